//! [`Quota`]: how many calls per period, and how many at once.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// A rate: `calls` per `period`, of which up to `burst` may come at once (GCRA: one call is
/// earned back every `period / calls`; a caller that has been quiet may spend `burst` in a row).
///
/// Parse one from text such as `60/minute`, `10/s`, `1000/hour`, `5/10s` or
/// `60/min, burst 10`. The burst defaults to `calls` (a whole period's worth at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    calls: NonZeroU32,
    period: Duration,
    burst: NonZeroU32,
}

impl Quota {
    /// `calls` per `period`; fails when either is zero or a call would be earned back in less
    /// than a microsecond.
    pub fn new(calls: u32, period: Duration) -> Result<Quota, crate::Error> {
        let Some(calls) = NonZeroU32::new(calls) else {
            return Err(crate::Error::Config("a rate limit needs at least 1 call per period".into()));
        };
        if period.as_nanos() / u128::from(calls.get()) < 1_000 {
            return Err(crate::Error::Config(format!(
                "a rate limit of {calls} calls per {period:?} is too fine (the interval between calls must be at least 1 µs)"
            )));
        }
        Ok(Quota { calls, period, burst: calls })
    }

    /// `n` calls per second (at most one per microsecond, like every constructor).
    pub fn per_second(n: NonZeroU32) -> Quota {
        Quota::every(n, Duration::from_secs(1))
    }

    /// `n` calls per minute.
    pub fn per_minute(n: NonZeroU32) -> Quota {
        Quota::every(n, Duration::from_secs(60))
    }

    /// `n` calls per hour.
    pub fn per_hour(n: NonZeroU32) -> Quota {
        Quota::every(n, Duration::from_secs(3600))
    }

    fn every(n: NonZeroU32, period: Duration) -> Quota {
        // Both stores count in whole microseconds: at most one call per microsecond.
        let calls = NonZeroU32::new(n.get().min(period.as_micros().min(u128::from(u32::MAX)) as u32)).unwrap_or(n);
        Quota { calls, period, burst: calls }
    }

    /// How many calls may come at once (default: `calls`).
    pub fn burst(mut self, burst: NonZeroU32) -> Quota {
        self.burst = burst;
        self
    }

    /// Calls per period.
    pub fn calls(&self) -> u32 {
        self.calls.get()
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// How many calls may come at once.
    pub fn burst_size(&self) -> u32 {
        self.burst.get()
    }

    /// How many calls may come at once, for the stores.
    pub(crate) fn burst_nz(&self) -> NonZeroU32 {
        self.burst
    }

    /// The time it takes to earn one call back (`period / calls`).
    pub fn interval(&self) -> Duration {
        let nanos = self.period.as_nanos() / u128::from(self.calls.get());
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let calls = self.calls.get();
        write!(f, "{calls} call{} per ", if calls == 1 { "" } else { "s" })?;
        let secs = self.period.as_secs();
        match (secs, self.period.subsec_nanos()) {
            (1, 0) => f.write_str("second")?,
            (60, 0) => f.write_str("minute")?,
            (3600, 0) => f.write_str("hour")?,
            (86400, 0) => f.write_str("day")?,
            (s, 0) => write!(f, "{s} seconds")?,
            _ => write!(f, "{} ms", self.period.as_millis())?,
        }
        if self.burst != self.calls {
            write!(f, " (at most {} at once)", self.burst)?;
        }
        Ok(())
    }
}

impl FromStr for Quota {
    type Err = crate::Error;

    /// `CALLS/PERIOD[, burst N]`: `60/minute`, `60/min`, `10/s`, `1000/hour`, `5/10s`,
    /// `100 per day`, `60/min burst 10`.
    fn from_str(s: &str) -> Result<Quota, crate::Error> {
        let bad = || {
            crate::Error::Config(format!(
                "`{s}` is not a rate: expected CALLS/PERIOD such as 60/minute, 10/s, 5/10s or 1000/hour, optionally followed by `, burst N`"
            ))
        };
        let text = s.trim().to_ascii_lowercase();
        let (rate, burst) = match text.find("burst") {
            Some(i) => (
                text[..i].trim_end_matches([' ', ',', ';']),
                Some(text[i + "burst".len()..].trim_start_matches([' ', '=', ':'])),
            ),
            None => (text.as_str(), None),
        };
        let (calls, period) = rate.split_once('/').or_else(|| rate.split_once(" per ")).ok_or_else(bad)?;
        let calls: u32 = calls.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let digits = period.find(|c: char| !c.is_ascii_digit()).unwrap_or(period.len());
        let count: u64 = if digits == 0 { 1 } else { period[..digits].parse().map_err(|_| bad())? };
        let unit = match period[digits..].trim() {
            "ms" | "millisecond" | "milliseconds" => Duration::from_millis(1),
            "s" | "sec" | "secs" | "second" | "seconds" => Duration::from_secs(1),
            "m" | "min" | "mins" | "minute" | "minutes" => Duration::from_secs(60),
            "h" | "hr" | "hour" | "hours" => Duration::from_secs(3600),
            "d" | "day" | "days" => Duration::from_secs(86400),
            _ => return Err(bad()),
        };
        let period = unit.checked_mul(u32::try_from(count).map_err(|_| bad())?).ok_or_else(bad)?;
        let mut quota = Quota::new(calls, period)?;
        if let Some(b) = burst {
            let b: u32 = b.trim().parse().map_err(|_| bad())?;
            quota = quota.burst(NonZeroU32::new(b).ok_or_else(|| {
                crate::Error::Config(format!(
                    "`{s}`: the burst must be at least 1 (it is how many calls may come at once)"
                ))
            })?);
        }
        Ok(quota)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn q(s: &str) -> Quota {
        s.parse().unwrap()
    }

    #[test]
    fn parses_rates() {
        assert_eq!(q("60/minute"), Quota::new(60, Duration::from_secs(60)).unwrap());
        assert_eq!(q("60/min"), q("60 per minute"));
        assert_eq!(q("10/s").interval(), Duration::from_millis(100));
        assert_eq!(q("5/10s").period(), Duration::from_secs(10));
        assert_eq!(q("5/10 s").period(), Duration::from_secs(10));
        assert_eq!(q("1000/hour").calls(), 1000);
        assert_eq!(q("2/250ms").interval(), Duration::from_millis(125));
        assert_eq!(q("60/min, burst 10").burst_size(), 10);
        assert_eq!(q("60/min burst=10").burst_size(), 10);
        assert_eq!(q(" 60/MIN;Burst:10 ").burst_size(), 10);
        assert_eq!(q("60/min").burst_size(), 60);
    }

    #[test]
    fn refuses_nonsense() {
        for s in ["", "60", "0/min", "60/fortnight", "x/min", "60/min burst 0", "60/min burst x", "1000000/1ms"] {
            assert!(s.parse::<Quota>().is_err(), "{s}");
        }
        let e = "60/fortnight".parse::<Quota>().unwrap_err().to_string();
        assert!(e.contains("60/minute"), "{e}");
    }

    #[test]
    fn displays_for_people() {
        assert_eq!(q("60/minute").to_string(), "60 calls per minute");
        assert_eq!(q("1/s").to_string(), "1 call per second");
        assert_eq!(q("60/min, burst 10").to_string(), "60 calls per minute (at most 10 at once)");
        assert_eq!(q("5/10s").to_string(), "5 calls per 10 seconds");
        assert_eq!(q("2/250ms").to_string(), "2 calls per 250 ms");
        assert_eq!(Quota::per_minute(NonZeroU32::new(60).unwrap()), q("60/min"));
    }
}
