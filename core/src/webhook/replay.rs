//! A bounded replay guard the host keeps between requests.

use std::collections::{BTreeMap, VecDeque};

use sha2::{Digest, Sha256};

/// The outcome of [`ReplayGuard::check`].
#[non_exhaustive]
#[must_use = "a replayed delivery must be dropped"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// First time this id is seen within the window; it is now remembered.
    Fresh,
    /// The id was seen within the window: drop the delivery.
    Replayed,
}

/// Remembers delivery ids for a time window in bounded memory.
///
/// Ids are stored as SHA-256 digests, so each entry costs the same whatever
/// the id's length. The map is ordered rather than hashed: std's hash maps
/// seed themselves from OS randomness, which the core never reads. An id is forgotten `window_s` seconds after it was first
/// seen. When `capacity` ids are remembered and none has expired, the oldest
/// is forgotten early to make room; [`ReplayGuard::evicted_early`] counts
/// those so a host can see that its capacity is too small for its traffic.
///
/// Use a window at least as long as the verifier's total tolerance
/// ([`Tolerance::window_s`](super::Tolerance::window_s)): a replay older than
/// that is rejected by its timestamp instead.
#[derive(Debug, Clone)]
pub struct ReplayGuard {
    window_s: u64,
    capacity: usize,
    expiry_by_id: BTreeMap<[u8; 32], u64>,
    /// Ids in order of expiry, which is also insertion order because
    /// expiries never decrease (see `check`).
    queue: VecDeque<(u64, [u8; 32])>,
    evicted_early: u64,
}

impl ReplayGuard {
    /// A guard that remembers ids for `window_s` seconds, at most `capacity`
    /// at once (a capacity of 0 is treated as 1).
    pub fn new(window_s: u64, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        ReplayGuard {
            window_s,
            capacity,
            expiry_by_id: BTreeMap::new(),
            queue: VecDeque::new(),
            evicted_early: 0,
        }
    }

    /// Records `id` as seen at `now` (unix seconds) and says whether it had
    /// been seen within the window. Call it only after the delivery verified,
    /// so forged requests cannot fill the guard.
    pub fn check(&mut self, id: &str, now: u64) -> ReplayVerdict {
        self.expire(now);
        let key: [u8; 32] = Sha256::digest(id.as_bytes()).into();
        if let Some(&expiry) = self.expiry_by_id.get(&key)
            && expiry > now
        {
            return ReplayVerdict::Replayed;
        }
        while self.queue.len() >= self.capacity {
            let Some((expiry, old)) = self.queue.pop_front() else {
                break;
            };
            self.forget(expiry, &old);
            self.evicted_early += 1;
        }
        // Expiries never decrease even if the caller's clock steps back, so
        // the queue stays sorted and `expire` can stop at the first live entry.
        let floor = self.queue.back().map_or(0, |(e, _)| *e);
        let expiry = now.saturating_add(self.window_s).max(floor);
        self.expiry_by_id.insert(key, expiry);
        self.queue.push_back((expiry, key));
        ReplayVerdict::Fresh
    }

    /// Forgets every id whose window has passed at `now`. `check` does this
    /// itself; call it to release memory during quiet periods.
    pub fn expire(&mut self, now: u64) {
        while let Some(&(expiry, key)) = self.queue.front() {
            if expiry > now {
                break;
            }
            self.queue.pop_front();
            self.forget(expiry, &key);
        }
    }

    fn forget(&mut self, expiry: u64, key: &[u8; 32]) {
        if self.expiry_by_id.get(key) == Some(&expiry) {
            self.expiry_by_id.remove(key);
        }
    }

    /// How many ids are remembered now.
    pub fn len(&self) -> usize {
        self.expiry_by_id.len()
    }

    /// True when no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.expiry_by_id.is_empty()
    }

    /// The most ids remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many ids were forgotten before their window ended because the
    /// guard was full.
    pub fn evicted_early(&self) -> u64 {
        self.evicted_early
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_sighting_within_window_is_a_replay() {
        let mut guard = ReplayGuard::new(600, 10);
        assert_eq!(guard.check("msg_1", 1000), ReplayVerdict::Fresh);
        assert_eq!(guard.check("msg_1", 1599), ReplayVerdict::Replayed);
        assert_eq!(guard.check("msg_2", 1599), ReplayVerdict::Fresh);
        assert_eq!(guard.len(), 2);
    }

    #[test]
    fn ids_expire_with_the_window() {
        let mut guard = ReplayGuard::new(600, 10);
        assert_eq!(guard.check("msg_1", 1000), ReplayVerdict::Fresh);
        assert_eq!(guard.check("msg_1", 1600), ReplayVerdict::Fresh);
        assert_eq!(guard.len(), 1);
        guard.expire(2200);
        assert!(guard.is_empty());
    }

    #[test]
    fn memory_stays_within_capacity_and_oldest_goes_first() {
        let mut guard = ReplayGuard::new(3600, 3);
        for (i, id) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert_eq!(guard.check(id, 100 + i as u64), ReplayVerdict::Fresh);
            assert!(guard.len() <= 3);
        }
        assert_eq!(guard.evicted_early(), 2);
        assert_eq!(guard.check("e", 200), ReplayVerdict::Replayed);
        assert_eq!(guard.check("c", 200), ReplayVerdict::Replayed);
        // "a" was pushed out early, so it reads as new again.
        assert_eq!(guard.check("a", 200), ReplayVerdict::Fresh);
        assert_eq!(guard.len(), 3);
    }

    #[test]
    fn a_clock_stepping_back_keeps_ids_remembered() {
        let mut guard = ReplayGuard::new(100, 10);
        assert_eq!(guard.check("late", 1000), ReplayVerdict::Fresh);
        assert_eq!(guard.check("early", 500), ReplayVerdict::Fresh);
        assert_eq!(guard.check("late", 1050), ReplayVerdict::Replayed);
        assert_eq!(guard.check("early", 1050), ReplayVerdict::Replayed);
        guard.expire(1100);
        assert!(guard.is_empty());
    }

    #[test]
    fn zero_capacity_still_catches_an_immediate_replay() {
        let mut guard = ReplayGuard::new(60, 0);
        assert_eq!(guard.capacity(), 1);
        assert_eq!(guard.check("x", 1), ReplayVerdict::Fresh);
        assert_eq!(guard.check("x", 2), ReplayVerdict::Replayed);
    }
}
