//! A fixed-window request budget per bearer token, reported in `x-ve-limit-*` headers.

use std::collections::HashMap;

pub struct RateLimiter {
    max: u64,
    window_s: i64,
    windows: HashMap<String, (i64, u64)>,
}

/// What to put in the headers, and whether the request may proceed.
pub struct RateDecision {
    pub allowed: bool,
    pub avail: u64,
    pub max: u64,
    pub expires: i64,
}

impl RateLimiter {
    pub fn new(max: u64, window_s: u64) -> Self {
        Self {
            max,
            window_s: window_s.max(1) as i64,
            windows: HashMap::new(),
        }
    }

    pub fn set_budget(&mut self, max: u64, window_s: u64) {
        self.max = max;
        self.window_s = window_s.max(1) as i64;
        self.windows.clear();
    }

    pub fn take(&mut self, who: &str, now_s: i64) -> RateDecision {
        if self.windows.len() > 10_000 {
            // Bound memory against a flood of distinct bogus tokens.
            self.windows
                .retain(|_, (start, _)| *start + self.window_s > now_s);
        }
        let entry = self.windows.entry(who.to_string()).or_insert((now_s, 0));
        if entry.0 + self.window_s <= now_s {
            *entry = (now_s, 0);
        }
        let expires = entry.0 + self.window_s;
        if entry.1 >= self.max {
            return RateDecision {
                allowed: false,
                avail: 0,
                max: self.max,
                expires,
            };
        }
        entry.1 += 1;
        RateDecision {
            allowed: true,
            avail: self.max - entry.1,
            max: self.max,
            expires,
        }
    }
}
