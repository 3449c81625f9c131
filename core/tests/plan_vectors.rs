//! Runs tests/vectors/upload/plans.json against the planner.

use fastio_core::upload::plan::{PlanConfig, PlanError, UploadPlan, plan};
use serde_json::Value;

fn load() -> Value {
    let path = format!(
        "{}/../tests/vectors/upload/plans.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check(name: &str, got: Result<UploadPlan, PlanError>, expect: &Value) {
    if let Some(kind) = expect.get("error") {
        let err = got.expect_err(name);
        let n = |k: &str| expect[k].as_u64().unwrap();
        match (kind.as_str().unwrap(), err) {
            ("too_large", PlanError::TooLarge { size, max }) => {
                assert_eq!((size, max), (n("size"), n("max")), "{name}")
            }
            (
                "too_many_chunks",
                PlanError::TooManyChunks {
                    size,
                    chunk_size,
                    chunks,
                    max,
                },
            ) => assert_eq!(
                (size, chunk_size, chunks, max),
                (n("size"), n("chunk_size"), n("chunks"), n("max")),
                "{name}"
            ),
            ("invalid_config", PlanError::InvalidConfig(_)) => {}
            (want, got) => panic!("{name}: expected {want}, got {got:?}"),
        }
        return;
    }
    let plan = got.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        serde_json::to_value(&plan).unwrap(),
        expect["plan"],
        "{name}"
    );
    let back: UploadPlan = serde_json::from_value(expect["plan"].clone()).unwrap();
    assert_eq!(back, plan, "{name}");
    if let Some(chunks) = expect.get("chunks") {
        for c in chunks.as_array().unwrap() {
            let order = c[0].as_u64().unwrap();
            let chunk = plan.chunk(order).unwrap();
            assert_eq!(
                (chunk.order, chunk.offset, chunk.len),
                (order, c[1].as_u64().unwrap(), c[2].as_u64().unwrap()),
                "{name} chunk {order}"
            );
        }
        assert_eq!(plan.chunk(plan.chunk_count() + 1), None);
    }
}

#[test]
fn plans() {
    let v = load();
    let cases = v["plans"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cfg: PlanConfig = serde_json::from_value(case["config"].clone()).unwrap();
        check(
            name,
            plan(case["size"].as_u64().unwrap(), &cfg),
            &case["expect"],
        );
    }
}

#[test]
fn streams() {
    for case in load()["streams"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let cfg: PlanConfig = serde_json::from_value(case["config"].clone()).unwrap();
        check(
            name,
            UploadPlan::stream(case["max_size"].as_u64(), &cfg),
            &case["expect"],
        );
    }
}

#[test]
fn limits() {
    for case in load()["limits"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let fallback: PlanConfig = serde_json::from_value(case["fallback"].clone()).unwrap();
        let want: PlanConfig = serde_json::from_value(case["expect"].clone()).unwrap();
        assert_eq!(
            PlanConfig::from_limits(&case["limits"], &fallback),
            want,
            "{name}"
        );
    }
}
