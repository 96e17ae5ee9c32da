//! The bound of a load phase: a deadline, a request count, and Ctrl-C.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shared by a phase's workers; each asks for a ticket before a request.
#[derive(Debug)]
pub struct Budget {
    deadline: Instant,
    max_requests: u64,
    issued: AtomicU64,
    interrupted: Arc<AtomicBool>,
}

impl Budget {
    pub fn new(duration: Duration, max_requests: u64, interrupted: Arc<AtomicBool>) -> Arc<Budget> {
        Arc::new(Budget { deadline: Instant::now() + duration, max_requests, issued: AtomicU64::new(0), interrupted })
    }

    /// The ordinal of the next request (0, 1, ...), or `None` once the
    /// phase is over: deadline passed, request bound reached, or Ctrl-C.
    pub fn take(&self) -> Option<u64> {
        if self.is_over() {
            return None;
        }
        let ordinal = self.issued.fetch_add(1, Ordering::Relaxed);
        (ordinal < self.max_requests).then_some(ordinal)
    }

    /// True when no more requests may start.
    pub fn is_over(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
            || Instant::now() >= self.deadline
            || self.issued.load(Ordering::Relaxed) >= self.max_requests
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bound_hands_out_exactly_that_many_tickets() {
        let budget = Budget::new(Duration::from_secs(60), 3, Arc::default());
        let tickets: Vec<_> = std::iter::from_fn(|| budget.take()).take(10).collect();
        assert_eq!(tickets, vec![0, 1, 2]);
        assert!(budget.is_over());
    }

    #[test]
    fn deadline_and_interrupt_end_the_phase() {
        assert_eq!(Budget::new(Duration::ZERO, 10, Arc::default()).take(), None);
        let interrupted = Arc::new(AtomicBool::new(false));
        let budget = Budget::new(Duration::from_secs(60), 10, interrupted.clone());
        assert_eq!(budget.take(), Some(0));
        interrupted.store(true, Ordering::Relaxed);
        assert_eq!(budget.take(), None);
    }
}
