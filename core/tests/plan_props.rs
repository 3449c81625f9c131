//! Planner properties and edge cases.

use fastio_core::upload::plan::{
    CHUNK_COUNT_CEILING, CHUNK_SIZE_CEILING, Chunk, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_SINGLE_REQUEST_MAX, IN_FLIGHT_BYTES_CEILING, PlanConfig, PlanError, UploadPlan, plan,
};
use proptest::prelude::*;
use serde_json::json;

fn config() -> impl Strategy<Value = PlanConfig> {
    (
        0u64..10_000,
        1u64..5_000,
        prop::option::of(1u64..200),
        prop::option::of(0u64..1_000_000),
        1u32..10,
    )
        .prop_map(
            |(single_request_max, chunk_size, max_chunks, max_file_size, max_in_flight)| {
                PlanConfig {
                    single_request_max,
                    chunk_size,
                    max_chunks,
                    max_file_size,
                    max_in_flight,
                }
            },
        )
}

proptest! {
    #[test]
    fn plans_cover_the_file_exactly(size in 0u64..1_000_000, cfg in config()) {
        match plan(size, &cfg) {
            Ok(UploadPlan::Single { size: s }) => {
                prop_assert_eq!(s, size);
                prop_assert!(size <= cfg.single_request_max);
                prop_assert!(cfg.max_file_size.is_none_or(|m| size <= m));
            }
            Ok(p @ UploadPlan::Chunked { .. }) => {
                prop_assert!(size > cfg.single_request_max, "single exactly when size <= max");
                prop_assert!(cfg.max_file_size.is_none_or(|m| size <= m));
                prop_assert!(cfg.max_chunks.is_none_or(|m| p.chunk_count() <= m));
                prop_assert_eq!(p.max_in_flight(), cfg.max_in_flight);
                prop_assert_eq!(p.size(), Some(size));
                let chunks: Vec<Chunk> = p.chunks().collect();
                prop_assert_eq!(chunks.len() as u64, p.chunk_count());
                let mut next = 0u64;
                for (i, c) in chunks.iter().enumerate() {
                    prop_assert_eq!(c.order, i as u64 + 1, "1-based, consecutive");
                    prop_assert_eq!(c.offset, next, "no gap, no overlap");
                    prop_assert!(c.len > 0);
                    if i + 1 < chunks.len() {
                        prop_assert_eq!(c.len, cfg.chunk_size, "all equal but the last");
                    } else {
                        prop_assert!(c.len <= cfg.chunk_size);
                    }
                    prop_assert_eq!(p.chunk_at_offset(c.offset), Some(*c));
                    prop_assert_eq!(p.chunk_at_offset(c.end() - 1), Some(*c));
                    next = c.end();
                }
                prop_assert_eq!(next, size, "covers [0, size)");
                prop_assert_eq!(p.chunk(0), None);
                prop_assert_eq!(p.chunk(p.chunk_count() + 1), None);
                prop_assert_eq!(p.chunk_at_offset(size), None);
                // serialises and comes back equal
                let json = serde_json::to_string(&p).unwrap();
                prop_assert_eq!(serde_json::from_str::<UploadPlan>(&json).unwrap(), p);
            }
            Ok(other) => prop_assert!(false, "unexpected plan {:?}", other),
            Err(PlanError::TooLarge { size: s, max }) => {
                prop_assert_eq!(s, size);
                prop_assert_eq!(Some(max), cfg.max_file_size);
                prop_assert!(size > max);
            }
            Err(PlanError::TooManyChunks { size: s, chunk_size, chunks, max }) => {
                prop_assert_eq!(s, size);
                prop_assert_eq!(chunk_size, cfg.chunk_size);
                prop_assert_eq!(chunks, size.div_ceil(chunk_size));
                prop_assert_eq!(Some(max), cfg.max_chunks);
                prop_assert!(chunks > max);
                prop_assert!(size > cfg.single_request_max);
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }

    #[test]
    fn huge_sizes_never_panic(size in any::<u64>(), chunk in 1u64..=CHUNK_SIZE_CEILING, order in any::<u64>()) {
        let cfg = PlanConfig { chunk_size: chunk, ..PlanConfig::default() };
        let p = match plan(size, &cfg) {
            Ok(p) => p,
            Err(PlanError::TooManyChunks { chunks, .. }) => {
                prop_assert!(chunks > CHUNK_COUNT_CEILING);
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        };
        if let Some(c) = p.chunk(order) {
            prop_assert!(c.end() <= size);
        }
        let last = p.chunk(p.chunk_count());
        if let Some(c) = last {
            prop_assert_eq!(c.end(), size);
        }
        let _ = p.chunk_at_offset(order);
    }

    #[test]
    fn limits_parsing_never_panics(v in arb_json()) {
        let cfg = PlanConfig::from_limits(&v, &PlanConfig::default());
        prop_assert!(cfg.chunk_size > 0);
        prop_assert!(cfg.max_in_flight > 0 && cfg.max_in_flight <= DEFAULT_MAX_IN_FLIGHT);
        // Whatever an answer says, what a host allocates stays bounded.
        prop_assert!(cfg.chunk_size <= CHUNK_SIZE_CEILING);
        prop_assert!(cfg.chunk_size * u64::from(cfg.max_in_flight) <= IN_FLIGHT_BYTES_CEILING);
        prop_assert!(cfg.single_request_max <= DEFAULT_SINGLE_REQUEST_MAX);
    }

    #[test]
    fn chunks_over_the_ceilings_are_refused(chunk in CHUNK_SIZE_CEILING + 1.., in_flight in 1u32..4, size in any::<u64>()) {
        let cfg = PlanConfig { chunk_size: chunk, max_in_flight: in_flight, ..PlanConfig::default() };
        prop_assert!(matches!(plan(size, &cfg), Err(PlanError::InvalidConfig(_))));
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let key = prop::sample::select(vec![
        "chunk_size",
        "min_chunk_size",
        "max_chunk_size",
        "max_chunks",
        "max_size",
        "max_parallel",
        "single_request_max",
        "response",
        "limits",
        "other",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[0-9a-z.-]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop::collection::btree_map(key.clone().prop_map(String::from), inner, 0..6)
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
    })
}

#[test]
fn defaults() {
    let cfg = PlanConfig::default();
    assert_eq!(cfg.single_request_max, 4_194_304);
    assert_eq!(DEFAULT_SINGLE_REQUEST_MAX, 4_194_304);
    assert_eq!(cfg.chunk_size, DEFAULT_CHUNK_SIZE);
    assert_eq!(cfg.max_in_flight, 3);
    assert_eq!(plan(0, &cfg), Ok(UploadPlan::Single { size: 0 }));
    assert_eq!(
        plan(4_194_304, &cfg),
        Ok(UploadPlan::Single { size: 4_194_304 })
    );
    let p = plan(4_194_305, &cfg).unwrap();
    assert_eq!(p.chunk_count(), 2);
    assert_eq!(
        p.chunk(2),
        Some(Chunk {
            order: 2,
            offset: 4_194_304,
            len: 1
        })
    );
    // 40 GB at 4 MiB: about ten thousand chunks, computed not stored
    let p = plan(40_000_000_000, &cfg).unwrap();
    assert_eq!(p.chunk_count(), 9537);
    assert_eq!(p.chunks().map(|c| c.len).sum::<u64>(), 40_000_000_000);
}

#[test]
fn error_messages_carry_the_numbers() {
    let cfg = PlanConfig {
        max_file_size: Some(1000),
        ..PlanConfig::default()
    };
    let msg = plan(1001, &cfg).unwrap_err().to_string();
    assert!(msg.contains("1001") && msg.contains("1000"), "{msg}");
    let cfg = PlanConfig {
        max_chunks: Some(2),
        ..PlanConfig::default()
    };
    let msg = plan(3 * DEFAULT_CHUNK_SIZE, &cfg).unwrap_err().to_string();
    assert!(
        msg.contains("12582912") && msg.contains("3 chunks") && msg.contains("maximum of 2"),
        "{msg}"
    );
}

#[test]
fn stream_plans() {
    let cfg = PlanConfig::default();
    let p = UploadPlan::stream(None, &cfg).unwrap();
    assert_eq!(p, UploadPlan::Stream { max_size: None });
    assert_eq!(p.size(), None);
    assert_eq!(p.chunk(1), None);
    assert_eq!(p.chunks().count(), 0);
    assert_eq!(p.max_in_flight(), 1);
    assert_eq!(
        serde_json::to_value(UploadPlan::stream(Some(5), &cfg).unwrap()).unwrap(),
        json!({"kind": "stream", "max_size": 5})
    );
    let capped = PlanConfig {
        max_file_size: Some(4),
        ..cfg
    };
    assert_eq!(
        UploadPlan::stream(Some(5), &capped),
        Err(PlanError::TooLarge { size: 5, max: 4 })
    );
}

#[test]
fn inconsistent_serialised_plans_are_refused() {
    for bad in [
        json!({"kind": "chunked", "size": 10, "chunk_size": 3, "chunk_count": 3, "max_in_flight": 3}),
        json!({"kind": "chunked", "size": 10, "chunk_size": 0, "chunk_count": 0, "max_in_flight": 3}),
        json!({"kind": "chunked", "size": 0, "chunk_size": 3, "chunk_count": 0, "max_in_flight": 3}),
        json!({"kind": "chunked", "size": 10, "chunk_size": 3, "chunk_count": 4, "max_in_flight": 0}),
        json!({"kind": "chunked", "size": 10, "chunk_size": 3, "chunk_count": 4, "max_in_flight": 3, "extra": 1}),
        json!({"kind": "single"}),
        json!({"kind": "multipart", "size": 1}),
        json!("single"),
    ] {
        assert!(
            serde_json::from_value::<UploadPlan>(bad.clone()).is_err(),
            "{bad}"
        );
    }
    let ok = json!({"kind": "chunked", "size": 10, "chunk_size": 3, "chunk_count": 4, "max_in_flight": 3});
    assert_eq!(
        serde_json::from_value::<UploadPlan>(ok)
            .unwrap()
            .chunk_count(),
        4
    );
}

#[test]
fn invalid_configs() {
    for cfg in [
        PlanConfig {
            chunk_size: 0,
            ..PlanConfig::default()
        },
        PlanConfig {
            max_in_flight: 0,
            ..PlanConfig::default()
        },
        PlanConfig {
            max_chunks: Some(0),
            ..PlanConfig::default()
        },
    ] {
        assert!(matches!(plan(1, &cfg), Err(PlanError::InvalidConfig(_))));
        assert!(matches!(
            UploadPlan::stream(None, &cfg),
            Err(PlanError::InvalidConfig(_))
        ));
    }
}

/// Sizes no service accepts are refused by the plan, before the upload
/// machine would allocate a record per chunk.
#[test]
fn the_chunk_ceiling_holds_whatever_the_configuration() {
    let default = PlanConfig::default();
    for size in [
        u64::MAX,
        u64::MAX / 2,
        (CHUNK_COUNT_CEILING + 1) * DEFAULT_CHUNK_SIZE,
    ] {
        match plan(size, &default) {
            Err(PlanError::TooManyChunks { chunks, max, .. }) => {
                assert_eq!(max, CHUNK_COUNT_CEILING);
                assert_eq!(chunks, size.div_ceil(DEFAULT_CHUNK_SIZE));
            }
            other => panic!("size {size}: {other:?}"),
        }
    }
    let at_ceiling = CHUNK_COUNT_CEILING * DEFAULT_CHUNK_SIZE;
    assert_eq!(
        plan(at_ceiling, &default).unwrap().chunk_count(),
        CHUNK_COUNT_CEILING
    );
    // A configured maximum above the ceiling does not lift it.
    let lifted = PlanConfig {
        chunk_size: 1,
        max_chunks: Some(u64::MAX),
        ..PlanConfig::default()
    };
    assert!(matches!(
        plan(u64::MAX, &lifted),
        Err(PlanError::TooManyChunks {
            max: CHUNK_COUNT_CEILING,
            ..
        })
    ));
    // Nor does a plan read from JSON.
    let huge = json!({"kind": "chunked", "size": u64::MAX, "chunk_size": 1,
        "chunk_count": u64::MAX, "max_in_flight": 1});
    assert!(serde_json::from_value::<UploadPlan>(huge).is_err());
}
