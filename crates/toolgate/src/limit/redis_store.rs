//! Limits kept in Redis, shared by every toolgate instance that uses the same Redis and prefix:
//! one atomic Lua script (GCRA on Redis's clock) per call.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::memory::MemoryStore;
use super::{Decision, FailMode, RedisStore, Rule};

const SCRIPT: &str = include_str!("gcra.lua");

/// After a failure, Redis is left alone this long (calls get the failure mode at once), then
/// tried again.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct RedisRuntime {
    config: RedisStore,
    script: redis::Script,
    conn: Mutex<Option<ConnectionManager>>,
    health: Mutex<Health>,
    /// The fallback of [`FailMode::Local`].
    local: Option<MemoryStore>,
}

#[derive(Default)]
struct Health {
    /// Whether the last attempt failed (so the next success is worth a log line).
    down: bool,
    /// Until when Redis is not asked.
    quiet_until: Option<Instant>,
}

impl RedisRuntime {
    pub(crate) fn new(config: RedisStore, rules: &[Rule]) -> RedisRuntime {
        let local = (config.on_error == FailMode::Local).then(|| MemoryStore::new(rules.iter().map(|r| &r.quota)));
        RedisRuntime {
            config,
            script: redis::Script::new(SCRIPT),
            conn: Mutex::new(None),
            health: Mutex::new(Health::default()),
            local,
        }
    }

    /// Takes one call from `key`'s bucket of `rule` (rule number `index`).
    pub(crate) async fn check(&self, index: usize, rule: &Rule, key: &str) -> Decision {
        let quiet = self.health.lock().unwrap_or_else(|e| e.into_inner()).quiet_until;
        if quiet.is_some_and(|until| Instant::now() < until) {
            return self.fallback(index, key);
        }
        let t = micros(rule.quota.interval()).max(1);
        let tau = t.saturating_mul(u64::from(rule.quota.burst_size() - 1));
        let bucket = format!("{}:{}:{key}", self.config.prefix, rule.scope);
        let result = match self.connection() {
            Ok(mut conn) => {
                let mut invocation = self.script.key(&bucket);
                invocation.arg(t).arg(tau);
                match tokio::time::timeout(self.config.timeout, invocation.invoke_async::<(i64, i64)>(&mut conn)).await
                {
                    Ok(Ok(r)) => Ok(r),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no answer within {} ms", self.config.timeout.as_millis())),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok((allowed, wait)) => {
                self.answered();
                if allowed == 1 {
                    Decision::Allow
                } else {
                    Decision::Deny { retry_after: Duration::from_micros(u64::try_from(wait).unwrap_or(0)) }
                }
            }
            Err(why) => {
                self.failed(&why);
                self.fallback(index, key)
            }
        }
    }

    /// Asks Redis for a PING, logging whether it answers (at start-up).
    pub(crate) async fn probe(&self) {
        let result = match self.connection() {
            Ok(mut conn) => {
                match tokio::time::timeout(self.config.timeout, redis::cmd("PING").query_async::<String>(&mut conn))
                    .await
                {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no answer within {} ms", self.config.timeout.as_millis())),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => {
                tracing::info!("rate limits: kept in Redis at {} under `{}:`", self.config.label, self.config.prefix)
            }
            Err(why) => self.failed(&why),
        }
    }

    fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = &*conn {
            return Ok(c.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.config.timeout))
            .set_response_timeout(Some(self.config.timeout))
            .set_number_of_retries(0);
        let c = ConnectionManager::new_lazy_with_config(self.config.client.clone(), config)?;
        *conn = Some(c.clone());
        Ok(c)
    }

    fn answered(&self) {
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if health.down {
            health.down = false;
            health.quiet_until = None;
            tracing::info!("rate limits: Redis at {} answers again; limits are shared again", self.config.label);
        }
    }

    fn failed(&self, why: &str) {
        // A fresh connection next time: whatever state the old one is in, it is not trusted.
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        health.quiet_until = Some(Instant::now() + RETRY_AFTER);
        if !health.down {
            health.down = true;
            let what = match self.config.on_error {
                FailMode::Open => "letting every call through (fail-open)",
                FailMode::Closed => "refusing every limited call (fail-closed)",
                FailMode::Local => "limiting in this process only (each instance allows the full rate)",
            };
            tracing::warn!(
                "rate limits: Redis at {} failed: {why}; {what} until it answers again (tried every {} s)",
                self.config.label,
                RETRY_AFTER.as_secs()
            );
        }
    }

    fn fallback(&self, index: usize, key: &str) -> Decision {
        match (self.config.on_error, &self.local) {
            (FailMode::Open, _) => Decision::Allow,
            (FailMode::Local, Some(local)) => local.check(index, key),
            _ => Decision::Unavailable { retry_after: RETRY_AFTER },
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The URL without its password, for logs.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}***@{}", &url[..scheme + 3], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("redis://:secret@db:6379/0"), "redis://***@db:6379/0");
        assert_eq!(redact("rediss://user:pw@db/1"), "rediss://***@db/1");
        assert_eq!(redact("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
    }
}
