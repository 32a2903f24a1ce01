//! The one way this crate takes a std mutex.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, taking it over if a panicking holder poisoned it: every critical section here is a
/// single insert, remove or read, so the data behind a poisoned lock is still consistent.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
