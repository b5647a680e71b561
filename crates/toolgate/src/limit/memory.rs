//! Limits kept in this process: one keyed [`governor`] limiter (GCRA) per rule.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, RateLimiter};

use super::{Decision, Quota};

/// Keys whose bucket is full again are dropped this often (a caller that comes back starts
/// from a full bucket either way).
const PURGE_EVERY: Duration = Duration::from_secs(60);

pub(crate) struct MemoryStore {
    limiters: Vec<DefaultKeyedRateLimiter<String>>,
    last_purge: Mutex<Instant>,
}

impl MemoryStore {
    /// One limiter per rule, in the order of `quotas`.
    pub(crate) fn new<'a>(quotas: impl IntoIterator<Item = &'a Quota>) -> MemoryStore {
        let limiters = quotas.into_iter().map(|q| RateLimiter::keyed(to_governor(q))).collect();
        MemoryStore { limiters, last_purge: Mutex::new(Instant::now()) }
    }

    /// Takes one call from `key`'s bucket of rule `rule`, if it has one.
    pub(crate) fn check(&self, rule: usize, key: &str) -> Decision {
        let Some(limiter) = self.limiters.get(rule) else { return Decision::Allow };
        self.purge_now_and_then();
        match limiter.check_key(&key.to_owned()) {
            Ok(()) => Decision::Allow,
            Err(not_until) => Decision::Deny { retry_after: not_until.wait_time_from(limiter.clock().now()) },
        }
    }

    fn purge_now_and_then(&self) {
        let Ok(mut last) = self.last_purge.try_lock() else { return };
        if last.elapsed() < PURGE_EVERY {
            return;
        }
        *last = Instant::now();
        for l in &self.limiters {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// How many callers have a bucket that is not full (for tests).
    #[cfg(test)]
    pub(crate) fn keys(&self) -> usize {
        self.limiters.iter().map(|l| l.len()).sum()
    }
}

fn to_governor(q: &Quota) -> governor::Quota {
    // `Quota` keeps its interval at 1 µs or more, so `with_period` always succeeds.
    let interval = q.interval().max(Duration::from_micros(1));
    let base = governor::Quota::with_period(interval).unwrap_or_else(|| governor::Quota::per_second(q.burst_nz()));
    base.allow_burst(q.burst_nz())
}
