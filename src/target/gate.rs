//! Throttling shared by every trial of a run, as Graph's SDKs do it: a 429, 503 or 504 is sent
//! again, after its `Retry-After` (honoured up to [`MAX_RETRY_AFTER`]) or, without one, after
//! exponential backoff with jitter; either wait holds *all* requests to the target (Graph
//! throttles per app, not per connection). Retries are bounded, and a create (`POST`) is sent
//! again only after a 429, which says it was not processed: a 503 or 504 may come after the
//! service acted.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many times a throttled request is sent again before its 429 or 503 is the answer.
pub const MAX_RETRIES: u32 = 6;

/// The longest backoff between two retries when the answer names no `Retry-After`.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// The longest `Retry-After` honoured: a longer one ends the retries, and the throttled answer
/// stands (a trial whose request under test ends throttled is an error, never a verdict).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Whether a status says the service is throttling or briefly unavailable (429, 503, 504):
/// an answer that says nothing about the request itself.
pub fn throttled(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

/// Whether an answer to `method` is sent again: a 429 always; a 503 or 504 unless the
/// request created something (`POST`), which the service may have done before failing.
pub fn retryable(method: &str, status: u16) -> bool {
    throttled(status) && (status == 429 || !method.eq_ignore_ascii_case("POST"))
}

/// The time before which no request may be sent.
#[derive(Debug, Default)]
pub struct Gate {
    not_before: Mutex<Option<Instant>>,
}

impl Gate {
    /// Waits until the gate is open.
    pub async fn wait(&self) {
        loop {
            let until = *self
                .not_before
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => return,
            }
        }
    }

    /// Closes the gate for `wait` (never shortening an earlier hold).
    pub fn hold(&self, wait: Duration) {
        let until = Instant::now() + wait.min(MAX_RETRY_AFTER);
        let mut slot = self
            .not_before
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none_or(|t| t < until) {
            *slot = Some(until);
        }
    }
}

/// A `Retry-After` in seconds (Graph sends fractions, e.g. `2.128`); dates are not used.
pub fn retry_after(value: Option<&str>) -> Option<Duration> {
    let secs: f64 = value?.trim().parse().ok()?;
    // Anything past a day is as good as a day (and keeps the conversion from overflowing).
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// The wait before retry `attempt` (from 0) when the answer says nothing: 200 ms doubling,
/// plus up to 100 ms of jitter so that workers do not retry in step.
pub fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(200).saturating_mul(1 << attempt.min(8));
    let jitter = Duration::from_millis((uuid::Uuid::new_v4().as_u128() % 100) as u64);
    (base + jitter).min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Some("2.128"), Some(Duration::from_millis(2128)))]
    #[case(Some(" 0 "), Some(Duration::ZERO))]
    #[case(Some("3600"), Some(Duration::from_secs(3600)))]
    #[case(Some("1e300"), Some(Duration::from_secs(86_400)))]
    #[case(Some("-1"), None)]
    #[case(Some("Wed, 21 Oct 2015 07:28:00 GMT"), None)]
    #[case(Some("NaN"), None)]
    #[case(None, None)]
    fn retry_after_is_seconds(#[case] value: Option<&str>, #[case] expected: Option<Duration>) {
        assert_eq!(retry_after(value), expected);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) < Duration::from_millis(300));
        assert!(backoff(3) >= Duration::from_millis(1600));
        assert!(backoff(30) <= MAX_WAIT && backoff(30) >= Duration::from_millis(51_200));
    }

    #[rstest]
    #[case("GET", 429, true)]
    #[case("POST", 429, true)]
    #[case("PUT", 503, true)]
    #[case("PATCH", 504, true)]
    #[case("DELETE", 504, true)]
    #[case("POST", 503, false)]
    #[case("POST", 504, false)]
    #[case("GET", 500, false)]
    #[case("GET", 502, false)]
    fn what_is_sent_again(#[case] method: &str, #[case] status: u16, #[case] again: bool) {
        assert_eq!(retryable(method, status), again);
    }

    #[tokio::test]
    async fn a_hold_delays_every_waiter_and_is_never_shortened() {
        let gate = Gate::default();
        gate.hold(Duration::from_millis(150));
        gate.hold(Duration::from_millis(10));
        let started = Instant::now();
        gate.wait().await;
        assert!(started.elapsed() >= Duration::from_millis(140));
        let started = Instant::now();
        gate.wait().await;
        assert!(started.elapsed() < Duration::from_millis(50));
    }
}
