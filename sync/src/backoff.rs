//! Waiting between attempts: exponential backoff after failures that may pass.

use std::time::Duration;

/// Exponential backoff: the first wait is `initial`, each next one doubles, up to `max`;
/// [`Backoff::reset`] after a success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff from `initial` up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            failures: 0,
        }
    }

    /// The wait after one more failure.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self
            .initial
            .saturating_mul(1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        wait
    }

    /// Failures since the last reset.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Forgets the failures (after a success).
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_maximum_and_start_over_after_a_reset() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let waits: Vec<u128> = (0..6).map(|_| b.next_wait().as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(b.failures(), 6);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_millis(500));
        // No overflow after very many failures.
        for _ in 0..100 {
            b.next_wait();
        }
        assert_eq!(b.next_wait(), Duration::from_secs(4));
    }
}
