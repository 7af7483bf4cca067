//! How far a run is, as counters the runner updates and the command shows on a terminal: how
//! many trials are provisioning (waiting for a live review to become active), running, done,
//! and the slowest provisioning so far. Data only; nothing here prints.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The counters of one run.
#[derive(Debug, Default)]
pub struct Progress {
    provisioning: AtomicUsize,
    running: AtomicUsize,
    done: AtomicUsize,
    slowest_ms: AtomicU64,
}

/// A reading of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Trials waiting for their starting state.
    pub provisioning: usize,
    /// Trials exchanging with the target.
    pub running: usize,
    /// Trials ended.
    pub done: usize,
    /// The slowest provisioning so far.
    pub slowest: Duration,
}

impl Progress {
    /// A trial starts provisioning.
    pub fn provisioning(&self) {
        self.provisioning.fetch_add(1, Ordering::SeqCst);
    }

    /// A trial's provisioning ended after `took` (successfully or not); it runs on.
    pub fn provisioned(&self, took: Duration) {
        self.provisioning.fetch_sub(1, Ordering::SeqCst);
        self.running.fetch_add(1, Ordering::SeqCst);
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        self.slowest_ms.fetch_max(ms, Ordering::SeqCst);
    }

    /// A trial that does not apply was skipped without starting.
    pub fn skipped(&self) {
        self.done.fetch_add(1, Ordering::SeqCst);
    }

    /// A trial ended.
    pub fn done(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.done.fetch_add(1, Ordering::SeqCst);
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            provisioning: self.provisioning.load(Ordering::SeqCst),
            running: self.running.load(Ordering::SeqCst),
            done: self.done.load(Ordering::SeqCst),
            slowest: Duration::from_millis(self.slowest_ms.load(Ordering::SeqCst)),
        }
    }
}

impl std::fmt::Display for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} provisioning, {} running, {} done; slowest provisioning {:.1} s",
            self.provisioning,
            self.running,
            self.done,
            self.slowest.as_secs_f64()
        )
    }
}
