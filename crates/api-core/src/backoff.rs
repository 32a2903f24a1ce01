//! Exponential backoff with jitter, bounded by a deadline.

use std::time::Duration;
use tokio::time::{Instant, sleep_until};

#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self { next: initial, max }
    }

    /// The next delay: "equal jitter" (half fixed, half random) so that concurrent callers spread
    /// out while each still backs off.
    pub fn next_delay(&mut self) -> Duration {
        let current = self.next;
        self.next = (current * 2).min(self.max);
        let half = current / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Sleeps for the next delay unless that would pass `deadline`; returns whether it slept.
    pub async fn sleep_before(&mut self, deadline: Instant) -> bool {
        let wake = Instant::now() + self.next_delay();
        if wake >= deadline {
            return false;
        }
        sleep_until(wake).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_stay_within_jitter_bounds() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let bounds = [100, 200, 400, 400, 400];
        for upper in bounds {
            let delay = backoff.next_delay();
            let upper = Duration::from_millis(upper);
            assert!(
                delay >= upper / 2 && delay <= upper,
                "{delay:?} vs {upper:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn refuses_to_sleep_past_the_deadline() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
        let start = Instant::now();
        assert!(
            !backoff
                .sleep_before(start + Duration::from_millis(100))
                .await
        );
        assert_eq!(Instant::now(), start);
        assert!(backoff.sleep_before(start + Duration::from_secs(5)).await);
        assert!(Instant::now() > start);
    }
}
