//! Fault injection: dropped connections, 5xx, 429, latency, truncated responses and corrupted
//! stored chunks, chosen by probability or by an explicit schedule. Decisions come from a
//! seeded ChaCha generator and a request counter, so the same seed and the same request
//! sequence give the same faults.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The fault configuration, read from `--faults FILE`/`--faults JSON` or `POST /_dev/faults`.
/// Probabilities are in `[0, 1]`; all zero means no faults.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Overrides the server's `--seed` for this configuration.
    pub seed: Option<u64>,
    /// Only requests whose path contains this string are affected (and counted).
    pub path_contains: Option<String>,
    /// Close the connection without a complete response.
    pub drop: f64,
    pub status_500: f64,
    pub status_502: f64,
    pub status_503: f64,
    pub status_429: f64,
    /// Send the headers and part of the body, then close the connection.
    pub truncate: f64,
    /// Probability of adding `latency_ms` before answering.
    pub latency: f64,
    pub latency_ms: u64,
    /// Probability that an acknowledged chunk is corrupted on disk afterwards, so assembly
    /// fails its CRC32C check (`assembly_failed` with `integrity_failure`).
    pub corrupt_chunk: f64,
    /// How long a scheduled `stall` holds a request without reading its body or answering,
    /// before dropping the connection (0: 60 s). Bounded, so a test server always lets go.
    pub stall_ms: u64,
    /// Explicit faults by the 1-based number of the matching request; applied before the
    /// probabilities.
    pub schedule: Vec<ScheduledFault>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFault {
    /// 1-based index among requests matching `path_contains`.
    pub request: u64,
    /// `drop`, `500`, `502`, `503`, `429`, `429_no_expiry` (a 429 without `x-ve-limit-*`
    /// headers), `truncate`, `latency`, `corrupt_chunk`, `stall`
    /// (accept the request, then neither read its body nor answer: a peer that hangs), or
    /// `redirect` (answer `307` with `Location` naming the same path and query, as a storage
    /// front end handing a token read to another host would).
    pub fault: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Drop,
    Status(u16),
    Truncate,
    CorruptChunk,
    /// Hold the request unread for this many milliseconds, then drop it.
    Stall(u64),
    /// Answer 307 to the same path and query.
    Redirect,
    /// A 429 without `x-ve-limit-*` headers: the client must pick its own wait.
    RateLimitedNoExpiry,
}

/// The scheduled fault names; anything else is refused when the configuration is set, so
/// a misspelt schedule cannot pass a test by injecting nothing.
pub const SCHEDULED_FAULTS: &[&str] = &[
    "drop",
    "truncate",
    "corrupt_chunk",
    "redirect",
    "stall",
    "latency",
    "429_no_expiry",
];

impl FaultConfig {
    /// Refuses schedule entries that name no fault.
    pub fn check(&self) -> Result<(), String> {
        for s in &self.schedule {
            let status = s
                .fault
                .parse::<u16>()
                .is_ok_and(|c| (400..600).contains(&c));
            if !status && !SCHEDULED_FAULTS.contains(&s.fault.as_str()) {
                return Err(format!(
                    "unknown fault {:?}: use an HTTP status (400-599) or one of {}",
                    s.fault,
                    SCHEDULED_FAULTS.join(", ")
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub latency_ms: u64,
    pub fault: Option<Fault>,
}

pub struct FaultState {
    cfg: FaultConfig,
    rng: ChaCha8Rng,
    counter: u64,
    /// Every decision with a fault, for `GET /_dev/faults` and tests comparing runs.
    pub log: Vec<(u64, String)>,
}

impl FaultState {
    pub fn new(cfg: FaultConfig, default_seed: u64) -> Self {
        let seed = cfg.seed.unwrap_or(default_seed);
        Self {
            cfg,
            rng: ChaCha8Rng::seed_from_u64(seed),
            counter: 0,
            log: Vec::new(),
        }
    }

    pub fn config(&self) -> &FaultConfig {
        &self.cfg
    }

    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// Decides the fate of one request. Always draws the same number of random values per
    /// matching request so later decisions do not depend on earlier outcomes.
    pub fn decide(&mut self, path: &str) -> Decision {
        if let Some(p) = &self.cfg.path_contains
            && !path.contains(p.as_str())
        {
            return Decision::default();
        }
        self.counter += 1;
        let n = self.counter;
        let u: f64 = self.rng.random();
        let l: f64 = self.rng.random();
        let c: f64 = self.rng.random();
        let mut d = Decision::default();
        if let Some(s) = self.cfg.schedule.iter().find(|s| s.request == n) {
            match s.fault.as_str() {
                "drop" => d.fault = Some(Fault::Drop),
                "truncate" => d.fault = Some(Fault::Truncate),
                "corrupt_chunk" => d.fault = Some(Fault::CorruptChunk),
                "redirect" => d.fault = Some(Fault::Redirect),
                "429_no_expiry" => d.fault = Some(Fault::RateLimitedNoExpiry),
                "stall" => {
                    let ms = if self.cfg.stall_ms == 0 {
                        60_000
                    } else {
                        self.cfg.stall_ms
                    };
                    d.fault = Some(Fault::Stall(ms));
                }
                "latency" => {
                    d.latency_ms = self.cfg.latency_ms.max(1);
                    if self.log.len() < 10_000 {
                        self.log.push((n, "latency".to_string()));
                    }
                }
                other => {
                    if let Ok(code) = other.parse::<u16>() {
                        d.fault = Some(Fault::Status(code));
                    }
                }
            }
        } else {
            let c0 = &self.cfg;
            let table = [
                (c0.drop, Fault::Drop),
                (c0.status_500, Fault::Status(500)),
                (c0.status_502, Fault::Status(502)),
                (c0.status_503, Fault::Status(503)),
                (c0.status_429, Fault::Status(429)),
                (c0.truncate, Fault::Truncate),
            ];
            let mut acc = 0.0;
            for (p, f) in table {
                acc += p.max(0.0);
                if u < acc {
                    d.fault = Some(f);
                    break;
                }
            }
            if d.fault.is_none() && c < self.cfg.corrupt_chunk {
                d.fault = Some(Fault::CorruptChunk);
            }
            if l < self.cfg.latency {
                d.latency_ms = self.cfg.latency_ms;
            }
        }
        if let Some(f) = d.fault {
            let label = match f {
                Fault::Drop => "drop".to_string(),
                Fault::Status(s) => s.to_string(),
                Fault::Truncate => "truncate".to_string(),
                Fault::CorruptChunk => "corrupt_chunk".to_string(),
                Fault::Stall(_) => "stall".to_string(),
                Fault::Redirect => "redirect".to_string(),
                Fault::RateLimitedNoExpiry => "429_no_expiry".to_string(),
            };
            if self.log.len() < 10_000 {
                self.log.push((n, label));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_decisions() {
        let cfg = FaultConfig {
            status_503: 0.3,
            drop: 0.1,
            latency: 0.2,
            latency_ms: 5,
            ..Default::default()
        };
        let run = |seed| {
            let mut s = FaultState::new(cfg.clone(), seed);
            (0..200)
                .map(|_| s.decide("/current/x/"))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn schedule_hits_the_numbered_request() {
        let cfg = FaultConfig {
            path_contains: Some("/chunk/".into()),
            schedule: vec![ScheduledFault {
                request: 2,
                fault: "503".into(),
            }],
            ..Default::default()
        };
        let mut s = FaultState::new(cfg, 1);
        assert_eq!(s.decide("/current/user/me/details/").fault, None);
        assert_eq!(s.decide("/current/upload/a/chunk/").fault, None);
        assert_eq!(
            s.decide("/current/upload/a/chunk/").fault,
            Some(Fault::Status(503))
        );
    }
}
