//! Throttling: every Nth API request is refused with 429 and a `Retry-After`; and a gateway
//! that times out: every Mth API request answered 504 without one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::tenant::lifecycle::Lifecycle;

/// Counts API requests and says which ones are throttled.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    /// Every Nth request is throttled (`None`: none is).
    every: Option<u64>,
    /// The `Retry-After` of a throttled request.
    retry_after: Duration,
    /// API requests counted so far.
    seen: AtomicU64,
    /// Every Mth request times out at the gateway (`None`: none does).
    gateway_every: Option<u64>,
    /// API requests counted for the gateway.
    gateway_seen: AtomicU64,
}

impl Throttle {
    /// The throttling a lifecycle asks for.
    pub(crate) fn of(lifecycle: &Lifecycle) -> Throttle {
        Throttle {
            every: lifecycle.throttle_every.filter(|n| *n > 0),
            retry_after: lifecycle
                .throttle_retry_after
                .unwrap_or(Duration::from_millis(100)),
            seen: AtomicU64::new(0),
            gateway_every: lifecycle.gateway_timeout_every.filter(|n| *n > 0),
            gateway_seen: AtomicU64::new(0),
        }
    }

    /// Counts one API request for the gateway: whether it times out.
    pub(crate) fn gateway_timeout(&self) -> bool {
        let Some(every) = self.gateway_every else {
            return false;
        };
        (self.gateway_seen.fetch_add(1, Ordering::SeqCst) + 1).is_multiple_of(every)
    }

    /// Counts one API request: how long to wait before retrying, when it is throttled.
    pub(crate) fn next(&self) -> Option<Duration> {
        let every = self.every?;
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        n.is_multiple_of(every).then_some(self.retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_third_request_waits_the_retry_after() {
        let t = Throttle::of(&Lifecycle {
            throttle_every: Some(3),
            throttle_retry_after: Some(Duration::from_millis(7)),
            ..Lifecycle::default()
        });
        let waits: Vec<_> = (0..6).map(|_| t.next()).collect();
        let w = Some(Duration::from_millis(7));
        assert_eq!(waits, [None, None, w, None, None, w]);
        assert_eq!(Throttle::of(&Lifecycle::default()).next(), None);
    }

    #[test]
    fn every_second_request_times_out_at_the_gateway() {
        let t = Throttle::of(&Lifecycle {
            gateway_timeout_every: Some(2),
            ..Lifecycle::default()
        });
        let timeouts: Vec<_> = (0..4).map(|_| t.gateway_timeout()).collect();
        assert_eq!(timeouts, [false, true, false, true]);
        assert!(!Throttle::of(&Lifecycle::default()).gateway_timeout());
    }
}
