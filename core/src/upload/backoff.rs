//! Exponential backoff with full jitter, from a seed the host supplies.

use serde::{Deserialize, Serialize};

use crate::decode::{ApiError, DEFAULT_RATE_LIMIT_WAIT_S, ErrorKind, Retry};

/// Retry limits and backoff shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The backoff cap for the first retry, ms (the official CLI starts at 2 s).
    pub base_ms: u64,
    /// The largest backoff, ms (the CLI caps at 30 s).
    pub max_ms: u64,
    /// The longest wait honoured for a 429 (`x-ve-limit-expires` may be far off).
    pub max_rate_limit_wait_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_ms: 2_000,
            max_ms: 30_000,
            max_rate_limit_wait_ms: 300_000,
        }
    }
}

/// SplitMix64: a tiny, well-known generator. Jitter needs spread, not
/// secrecy, and the core may not ask the OS for randomness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// A generator from the host's seed.
    pub fn new(seed: u64) -> Self {
        Jitter { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniformly drawn delay in `[0, cap]`.
    pub fn below(&mut self, cap: u64) -> u64 {
        if cap == 0 {
            return 0;
        }
        self.next_u64() % (cap + 1)
    }
}

/// Whether a step of the machines that failed with `e` may be tried again,
/// and how: a transport failure, a 5xx or a 408 backs off whatever the body
/// says (a resendable step); otherwise the decoder's decision. Every retry
/// loop — the machines', the gateway's relay — asks this one rule.
pub fn step_retry(e: &ApiError) -> Retry {
    match (e.kind, e.status) {
        (ErrorKind::Transport, _) => Retry::Backoff,
        (_, Some(s)) if (500..600).contains(&s) || s == 408 => Retry::Backoff,
        _ => e.retry,
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first) of a step that
    /// failed with `e`, or `None` when it must not be tried again.
    pub fn step_wait_ms(&self, e: &ApiError, retry: u32, jitter: &mut Jitter) -> Option<u64> {
        match step_retry(e) {
            Retry::Never => None,
            Retry::Backoff => Some(self.delay_ms(retry, jitter)),
            timed => self.rate_limit_wait_ms(timed),
        }
    }

    /// The wait a rate-limit decision asks for, in ms, capped at
    /// `max_rate_limit_wait_ms`; `None` when the decision is not a timed
    /// wait. The machines' clock is the host's monotonic one, which cannot
    /// be compared with a Unix time, so an `At` (an expiry without a `Date`)
    /// waits the default a 429 without an expiry gets.
    pub fn rate_limit_wait_ms(&self, retry: Retry) -> Option<u64> {
        let ms = match retry {
            Retry::At { .. } => DEFAULT_RATE_LIMIT_WAIT_S.saturating_mul(1000),
            Retry::After { seconds } => seconds.saturating_mul(1000),
            _ => return None,
        };
        Some(ms.min(self.max_rate_limit_wait_ms))
    }

    /// Full-jitter backoff before retry number `retry` (1 for the first retry).
    pub fn delay_ms(&self, retry: u32, jitter: &mut Jitter) -> u64 {
        let exp = self
            .base_ms
            .saturating_mul(1u64 << retry.saturating_sub(1).min(20));
        jitter.below(exp.min(self.max_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_cap_and_vary() {
        let p = RetryPolicy::default();
        let mut j = Jitter::new(7);
        let mut seen = std::collections::BTreeSet::new();
        for retry in 1..40 {
            let d = p.delay_ms(retry, &mut j);
            assert!(d <= p.max_ms);
            assert!(d <= p.base_ms << (retry - 1).min(20));
            seen.insert(d);
        }
        assert!(seen.len() > 20, "jitter spreads delays");
        let mut a = Jitter::new(1);
        let mut b = Jitter::new(1);
        assert_eq!(a.below(1000), b.below(1000), "same seed, same draw");
    }
}
