//! The one table of outstanding requests every machine keeps: ids, what each
//! request is for, its deadline, and the ids given up on.
//!
//! Every machine answers the host the same way from it: an answer to an
//! outstanding id is [`Fed::Accepted`]; an answer to an id the machine gave
//! up on (its deadline passed, the machine failed or was cancelled) is
//! [`Fed::Ignored`] — a late answer is an expected event on a slow network,
//! not a host error; an id never issued, or answered twice, is an
//! [`InputError`] — that is host misuse.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::upload::{InputError, RequestId};

/// What a machine did with an answer the host fed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fed {
    /// The answer was used.
    Accepted,
    /// The answer came for a request the machine had given up on (timed
    /// out, cancelled, or the machine had ended); it changed nothing.
    Ignored,
}

/// An outstanding request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry<K> {
    /// What the request is for.
    pub(crate) kind: K,
    /// When it is given up on (host clock, ms).
    pub(crate) deadline_ms: u64,
}

/// Ids, outstanding requests and abandoned ids.
///
/// Ids are issued in increasing order from 1, so "issued, neither
/// outstanding nor abandoned" means "already answered": no set of answered
/// ids has to grow with the transfer.
#[derive(Debug, Clone)]
pub(crate) struct Outstanding<K> {
    next_id: RequestId,
    pending: BTreeMap<RequestId, Entry<K>>,
    abandoned: BTreeSet<RequestId>,
}

impl<K> Default for Outstanding<K> {
    fn default() -> Self {
        Outstanding {
            next_id: 1,
            pending: BTreeMap::new(),
            abandoned: BTreeSet::new(),
        }
    }
}

impl<K: Copy> Outstanding<K> {
    /// A fresh id for something answered outside this table (a file read).
    pub(crate) fn issue_id(&mut self) -> RequestId {
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// Records a request sent now; returns its id.
    pub(crate) fn insert(&mut self, kind: K, deadline_ms: u64) -> RequestId {
        let id = self.issue_id();
        self.pending.insert(id, Entry { kind, deadline_ms });
        id
    }

    /// Takes the outstanding request `id` for its answer: `Ok(None)` for an
    /// abandoned id (the answer is to be ignored).
    pub(crate) fn take(&mut self, id: RequestId) -> Result<Option<Entry<K>>, InputError> {
        if let Some(e) = self.pending.remove(&id) {
            return Ok(Some(e));
        }
        match self.misuse(id) {
            None => Ok(None),
            Some(e) => Err(e),
        }
    }

    /// Why an answer for `id`, which is not outstanding, cannot be used:
    /// `None` when it is a late answer to be ignored.
    pub(crate) fn misuse(&self, id: RequestId) -> Option<InputError> {
        if self.abandoned.contains(&id) {
            None
        } else if id >= 1 && id < self.next_id {
            Some(InputError::Duplicate(id))
        } else {
            Some(InputError::UnknownId(id))
        }
    }

    /// What to answer the host for `id` when it is not an outstanding
    /// request: a late answer is ignored; anything else is the misuse, or
    /// `Finished` once the machine has ended.
    pub(crate) fn refuse(&self, id: RequestId, finished: bool) -> Result<Fed, InputError> {
        match self.misuse(id) {
            None => Ok(Fed::Ignored),
            Some(_) if finished => Err(InputError::Finished),
            Some(e) => Err(e),
        }
    }

    /// Takes the outstanding request `id` for its answer, or says what to
    /// answer the host instead (see [`Outstanding::refuse`]).
    pub(crate) fn answer(
        &mut self,
        id: RequestId,
        finished: bool,
    ) -> Result<Entry<K>, Result<Fed, InputError>> {
        if finished {
            return Err(self.refuse(id, true));
        }
        match self.take(id) {
            Ok(Some(e)) => Ok(e),
            Ok(None) => Err(Ok(Fed::Ignored)),
            Err(e) => Err(Err(e)),
        }
    }

    /// Marks an id issued by [`Outstanding::issue_id`] as given up on.
    pub(crate) fn abandon_id(&mut self, id: RequestId) {
        self.pending.remove(&id);
        self.abandoned.insert(id);
    }

    /// Gives up on every outstanding request (the machine failed or was
    /// cancelled); their answers will be ignored.
    pub(crate) fn abandon_all(&mut self) {
        let ids: Vec<RequestId> = self.pending.keys().copied().collect();
        for id in ids {
            self.abandon_id(id);
        }
    }

    /// Gives up on every request whose deadline has come; returns them in
    /// id order.
    pub(crate) fn expire(&mut self, now: u64) -> Vec<(RequestId, K)> {
        let due: Vec<(RequestId, K)> = self
            .pending
            .iter()
            .filter(|(_, e)| e.deadline_ms <= now)
            .map(|(id, e)| (*id, e.kind))
            .collect();
        for (id, _) in &due {
            self.abandon_id(*id);
        }
        due
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.pending.values().map(|e| e.deadline_ms).min()
    }

    /// Puts `id` back as outstanding (a response whose body is still to
    /// come), with a new deadline.
    pub(crate) fn reinstate(&mut self, id: RequestId, kind: K, deadline_ms: u64) {
        self.abandoned.remove(&id);
        self.pending.insert(id, Entry { kind, deadline_ms });
    }

    /// The outstanding request with the lowest id.
    pub(crate) fn first(&self) -> Option<(RequestId, Entry<K>)> {
        self.pending.iter().next().map(|(id, e)| (*id, *e))
    }

    pub(crate) fn get_mut(&mut self, id: RequestId) -> Option<&mut Entry<K>> {
        self.pending.get_mut(&id)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The outstanding requests' kinds.
    pub(crate) fn kinds(&self) -> impl Iterator<Item = K> + '_ {
        self.pending.values().map(|e| e.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_accepted_once_and_late_ones_ignored() {
        let mut t: Outstanding<u8> = Outstanding::default();
        let a = t.insert(1, 100);
        let b = t.insert(2, 50);
        let read = t.issue_id();
        assert_eq!((a, b, read), (1, 2, 3));
        assert_eq!(t.next_deadline(), Some(50));
        assert_eq!(t.expire(60), vec![(2, 2)]);
        assert_eq!(t.take(b), Ok(None), "a late answer is ignored");
        assert_eq!(t.take(a).map(|e| e.map(|e| e.kind)), Ok(Some(1)));
        assert_eq!(t.take(a), Err(InputError::Duplicate(a)));
        assert_eq!(t.take(9), Err(InputError::UnknownId(9)));
        assert_eq!(t.take(0), Err(InputError::UnknownId(0)));
        t.abandon_id(read);
        assert_eq!(t.misuse(read), None);
        let c = t.insert(3, 10);
        t.abandon_all();
        assert!(t.is_empty());
        assert_eq!(t.take(c), Ok(None));
        assert_eq!(t.issue_id(), 5);
    }
}
