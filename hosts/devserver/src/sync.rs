//! Mutex access shared by the server state and the webhook deliverer.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex even if a panicking thread poisoned it: the guarded data stays consistent
/// because every critical section either completes or is rolled back by SQLite.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
