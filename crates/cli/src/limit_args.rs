//! Rate-limit flags of `toolgate serve`, and the [`RateLimit`] they ask for.

use std::num::NonZeroU32;

use clap::{Args, ValueEnum};
use toolgate::limit::{FailMode, PerIpLimit, Quota, RateLimit, RedisStore};

use crate::common::Error;

/// Rate limits on tool calls, per caller: the authenticated principal, else the client's
/// address. Only `tools/call` counts.
#[derive(Debug, Args, Clone, Default)]
pub struct LimitArgs {
    /// Tool calls each caller may make, across all tools: CALLS/PERIOD such as `60/min`,
    /// `10/s`, `5/10s` or `1000/hour`, optionally `60/min, burst 10`.
    #[arg(long, value_name = "RATE", help_heading = "Rate limits")]
    pub rate_limit: Option<Quota>,
    /// How many calls a caller may make at once (default: a whole period's worth).
    #[arg(long, value_name = "N", requires = "rate_limit", help_heading = "Rate limits")]
    pub rate_limit_burst: Option<NonZeroU32>,
    /// A tool's own quota, per caller, instead of the shared one: `NAME=RATE`, or `NAME=none`
    /// for no limit; repeatable.
    #[arg(long = "rate-limit-tool", value_name = "NAME=RATE", help_heading = "Rate limits")]
    pub rate_limit_tools: Vec<String>,
    /// Keep the counts in Redis, shared by every instance using it:
    /// `redis://[[user]:password@]host[:port][/db]`. Give a URL with a password through the
    /// environment variable, not the command line. Without it, counts are kept in memory.
    #[arg(
        long,
        value_name = "URL",
        env = "TOOLGATE_RATE_LIMIT_REDIS",
        hide_env_values = true,
        help_heading = "Rate limits"
    )]
    pub rate_limit_redis: Option<String>,
    /// Prefix of the Redis keys; instances with the same prefix share their limits.
    #[arg(long, value_name = "PREFIX", default_value = "toolgate:ratelimit", help_heading = "Rate limits")]
    pub rate_limit_prefix: String,
    /// What to do with calls while Redis does not answer.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = OnRedisError::Local, help_heading = "Rate limits")]
    pub rate_limit_on_redis_error: OnRedisError,
    /// Every HTTP request each client address may make (IPv6 by /64), counted in memory, before
    /// authentication: a flood guard. Over it: 429 with Retry-After.
    #[arg(long, value_name = "RATE", help_heading = "Rate limits")]
    pub http_rate_limit: Option<Quota>,
    /// Tell anonymous callers apart by the address your reverse proxy puts in this header
    /// (`x-forwarded-for`: its last address) instead of the connection's. Only behind a proxy
    /// that sets it.
    #[arg(long, value_name = "HEADER", help_heading = "Rate limits")]
    pub rate_limit_client_ip_header: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum OnRedisError {
    /// Let every call through.
    Open,
    /// Refuse every limited call.
    Closed,
    /// Limit in this process alone until Redis is back (each instance allows the full rate).
    #[default]
    Local,
}

impl OnRedisError {
    fn describe(self) -> &'static str {
        match self {
            OnRedisError::Open => "let calls through",
            OnRedisError::Closed => "refuse calls",
            OnRedisError::Local => "limit in this process",
        }
    }
}

impl LimitArgs {
    /// The rate limit the flags ask for; `None` when no flag sets one.
    pub fn config(&self) -> Result<Option<RateLimit>, Error> {
        let mut limit = match self.rate_limit {
            Some(mut quota) => {
                if let Some(b) = self.rate_limit_burst {
                    quota = quota.burst(b);
                }
                RateLimit::new(quota)
            }
            None => RateLimit::default(),
        };
        let ip_header = self.ip_header()?;
        for t in &self.rate_limit_tools {
            let (name, rate) =
                t.split_once('=').map(|(n, r)| (n.trim(), r.trim())).filter(|(n, _)| !n.is_empty()).ok_or_else(
                    || format!("--rate-limit-tool: expected NAME=RATE (such as send_email=5/hour), found `{t}`"),
                )?;
            limit = match rate {
                "none" | "off" | "unlimited" => limit.unlimited(name),
                _ => limit.tool(name, rate.parse().map_err(|e| format!("--rate-limit-tool {name}: {e}"))?),
            };
        }
        if !limit.is_active() {
            if self.rate_limit_redis.is_some() {
                return Err("--rate-limit-redis needs --rate-limit or --rate-limit-tool".into());
            }
            return Ok(None);
        }
        if let Some(name) = ip_header {
            limit = limit.client_ip_header(name);
        }
        let place = match &self.rate_limit_redis {
            Some(url) => {
                let mode = match self.rate_limit_on_redis_error {
                    OnRedisError::Open => FailMode::Open,
                    OnRedisError::Closed => FailMode::Closed,
                    OnRedisError::Local => FailMode::Local,
                };
                let store = RedisStore::new(url)?.prefix(&self.rate_limit_prefix).on_error(mode);
                let place = format!("in {store}; if it fails: {}", self.rate_limit_on_redis_error.describe());
                limit = limit.redis(store);
                place
            }
            None => "in memory".to_owned(),
        };
        match self.rate_limit {
            Some(q) => tracing::info!("rate limits: {q} per caller (counted {place})"),
            None => tracing::info!("rate limits: per tool only (counted {place})"),
        }
        Ok(Some(limit))
    }

    fn ip_header(&self) -> Result<Option<http::HeaderName>, Error> {
        let Some(h) = &self.rate_limit_client_ip_header else { return Ok(None) };
        let name = http::HeaderName::from_bytes(h.as_bytes())
            .map_err(|_| format!("--rate-limit-client-ip-header: `{h}` is not a header name"))?;
        Ok(Some(name))
    }

    /// `app` behind the per-address guard of `--http-rate-limit`, if set.
    pub fn http_guard(&self, app: axum::Router) -> axum::Router {
        let Some(quota) = self.http_rate_limit else { return app };
        tracing::info!("rate limits: {quota} per client address, every HTTP request");
        let mut guard = PerIpLimit::new(quota);
        if let Ok(Some(name)) = self.ip_header() {
            guard = guard.client_ip_header(name);
        }
        guard.apply(app)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        limit: LimitArgs,
    }

    fn parse(args: &[&str]) -> Result<Option<RateLimit>, String> {
        let cli = Cli::try_parse_from(std::iter::once("t").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        cli.limit.config().map_err(|e| e.to_string())
    }

    #[test]
    fn flags_make_a_rate_limit() {
        assert!(parse(&[]).unwrap().is_none());
        assert!(parse(&["--rate-limit", "60/min"]).unwrap().is_some());
        assert!(parse(&["--rate-limit", "60/min", "--rate-limit-burst", "10"]).unwrap().is_some());
        assert!(parse(&["--rate-limit-tool", "send_email=5/hour"]).unwrap().is_some());
        assert!(parse(&["--rate-limit-tool", "health=none"]).unwrap().is_none(), "nothing is limited");
        let l = parse(&["--rate-limit", "1/s", "--rate-limit-redis", "redis://127.0.0.1:1/0"]).unwrap().unwrap();
        assert!(format!("{l:?}").contains("toolgate:ratelimit"));
        let l = parse(&["--rate-limit", "1/s", "--rate-limit-redis", "redis://:pw@127.0.0.1:1/0"]).unwrap().unwrap();
        assert!(!format!("{l:?}").contains("pw"), "no password in {l:?}");
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        let e = parse(&["--rate-limit", "60/fortnight"]).unwrap_err();
        assert!(e.contains("60/minute"), "{e}");
        let e = parse(&["--rate-limit-burst", "3"]).unwrap_err();
        assert!(e.contains("--rate-limit"), "{e}");
        let e = parse(&["--rate-limit-tool", "send_email"]).unwrap_err();
        assert!(e.contains("NAME=RATE"), "{e}");
        let e = parse(&["--rate-limit-redis", "redis://127.0.0.1/0"]).unwrap_err();
        assert!(e.contains("needs --rate-limit"), "{e}");
        let e = parse(&["--rate-limit-client-ip-header", "bad header"]).unwrap_err();
        assert!(e.contains("not a header name"), "{e}");
        let e = parse(&["--http-rate-limit", "lots"]).unwrap_err();
        assert!(e.contains("60/minute"), "{e}");
        let e = parse(&["--rate-limit", "1/s", "--rate-limit-redis", "http://x"]).unwrap_err();
        assert!(e.contains("rate limit store"), "{e}");
    }
}
