//! `GET /health`: version, configuration status, the delivery bindings, whether delivery works
//! (`status: degraded` while CLOSEM refuses the API key, as any ledger shard last saw) and the
//! abuse defences (whether the rate limiter is on, whether the Turnstile secret is set). It names
//! what is wrong, never a secret's value, and never how many leads there are (that is for
//! `/admin/submissions`).

use worker::{Env, Response, Result};

use crate::config::{Config, Problem};
use crate::json;
use crate::respond::json_response;

/// What `/health` says about delivery while CLOSEM refuses the key.
pub(crate) const KEY_REFUSED: &str = "CLOSEM refuses the API key";

pub(crate) async fn handle_health(
    config: &std::result::Result<Config, Vec<Problem>>,
    env: &Env,
) -> Result<Response> {
    let version = env!("CARGO_PKG_VERSION");
    let body = match config {
        Ok(config) => {
            let delivery = crate::ledger::key_refused_since(env, config.all_shards())
                .await
                .map_err(drop);
            configured(config, delivery, version)
        }
        Err(problems) => not_configured(problems, version),
    };
    let status = if config.is_ok() { 200 } else { 503 };
    let response = json_response(body, status)?;
    response.headers().set("Cache-Control", "no-store")?;
    Ok(response)
}

/// The report of a worker whose bindings are right; `delivery` is when a shard last saw CLOSEM
/// refuse the key (`Err` when the ledger could not be asked).
fn configured(
    config: &Config,
    delivery: std::result::Result<Option<i64>, ()>,
    version: &str,
) -> String {
    let (deliveries, status) = deliveries(config, delivery);
    json::object()
        .bool("ok", true)
        .str("status", status)
        .str("version", version)
        .str("api_key", "set")
        .str("timezone", &config.timezone)
        .raw("forms", &forms(config))
        .raw("rate_limit", &rate_limit(config))
        .raw("turnstile", &turnstile(config))
        .raw("deliveries", &deliveries)
        .str(
            "admin",
            if config.admin_token.is_some() {
                "enabled"
            } else {
                "disabled"
            },
        )
        .str("alerts", if config.alerts.is_some() { "on" } else { "off" })
        .raw("problems", "[]")
        .finish()
}

fn forms(config: &Config) -> String {
    json::array(config.forms.iter().map(|(id, profile)| {
        json::object()
            .str("id", id)
            .str("mode", profile.mode().as_str())
            .bool("turnstile", profile.spam().turnstile_site_key.is_some())
            .finish()
    }))
}

fn rate_limit(config: &Config) -> String {
    json::object()
        .str("binding", crate::ratelimit::BINDING)
        .str("state", if config.rate_limiter { "on" } else { "off" })
        .int("period_seconds", i64::from(config.rate_limit_period))
        .finish()
}

fn turnstile(config: &Config) -> String {
    let verify_url = if config.turnstile_verify_url == crate::turnstile::DEFAULT_VERIFY_URL {
        "cloudflare"
    } else {
        "custom"
    };
    json::object()
        .str(
            "secret",
            if config.turnstile_secret.is_some() {
                "set"
            } else {
                "missing"
            },
        )
        .str("verify_url", verify_url)
        .finish()
}

/// The delivery bindings and state, and the overall status that follows from it.
fn deliveries(
    config: &Config,
    delivery: std::result::Result<Option<i64>, ()>,
) -> (String, &'static str) {
    let mut deliveries = json::object();
    deliveries
        .str("queue", crate::queue::BINDING)
        .str("ledger", crate::ledger::BINDING)
        .int("shards", i64::from(config.shards))
        .opt_int("previous_shards", config.previous_shards.map(i64::from))
        .int("max_delay_seconds", i64::from(config.max_delay))
        .int("retention_days", i64::from(config.retention_days))
        .int("spam_keep_days", i64::from(config.spam_keep_days));
    let status = match delivery {
        Ok(Some(since)) => {
            deliveries
                .str("state", "degraded")
                .str("problem", KEY_REFUSED)
                .int("since_ms", since);
            "degraded"
        }
        Err(()) => {
            deliveries
                .str("state", "unknown")
                .str("problem", "the ledger could not be asked");
            "degraded"
        }
        Ok(None) => {
            deliveries.str("state", "ok");
            "ok"
        }
    };
    (deliveries.finish(), status)
}

/// The report of a worker whose bindings are wrong: each problem, never a value.
fn not_configured(problems: &[Problem], version: &str) -> String {
    let api_key = if problems
        .iter()
        .any(|problem| problem.binding == "CLOSEM_API_KEY")
    {
        "missing"
    } else {
        "set"
    };
    let listed = json::array(problems.iter().map(|problem| {
        json::object()
            .str("binding", &problem.binding)
            .str("message", &problem.message)
            .finish()
    }));
    json::object()
        .bool("ok", false)
        .str("status", "not_configured")
        .str("version", version)
        .str("api_key", api_key)
        .raw("problems", &listed)
        .finish()
}
