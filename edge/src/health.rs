//! `GET /health`: version, configuration status, the delivery bindings and the abuse defences
//! (whether the rate limiter is on, whether the Turnstile secret is set). It names what is wrong,
//! never a secret's value, and never how many leads there are (that is for `/admin/submissions`).

use worker::{Response, Result};

use crate::config::{Config, Problem};

pub fn handle_health(config: &std::result::Result<Config, Vec<Problem>>) -> Result<Response> {
    let version = env!("CARGO_PKG_VERSION");
    let body = match config {
        Ok(config) => serde_json::json!({
            "ok": true,
            "version": version,
            "api_key": "set",
            "timezone": config.timezone,
            "forms": config.forms.iter().map(|(id, profile)| serde_json::json!({
                "id": id, "mode": profile.mode().as_str(),
                "turnstile": profile.spam().turnstile_site_key.is_some(),
            })).collect::<Vec<_>>(),
            "rate_limit": {
                "binding": crate::ratelimit::BINDING,
                "state": if config.rate_limiter { "on" } else { "off" },
                "period_seconds": config.rate_limit_period,
            },
            "turnstile": {
                "secret": if config.turnstile_secret.is_some() { "set" } else { "missing" },
                "verify_url": if config.turnstile_verify_url == crate::turnstile::DEFAULT_VERIFY_URL { "cloudflare" } else { "custom" },
            },
            "deliveries": {
                "queue": crate::queue::BINDING,
                "ledger": crate::ledger::BINDING,
                "max_delay_seconds": config.max_delay,
            },
            "admin": if config.admin_token.is_some() { "enabled" } else { "disabled" },
            "problems": [],
        }),
        Err(problems) => serde_json::json!({
            "ok": false,
            "version": version,
            "api_key": if problems.iter().any(|problem| problem.binding == "CLOSEM_API_KEY") { "missing" } else { "set" },
            "problems": problems.iter().map(|problem| serde_json::json!({
                "binding": problem.binding, "message": problem.message,
            })).collect::<Vec<_>>(),
        }),
    };
    let status = if config.is_ok() { 200 } else { 503 };
    let response = Response::from_json(&body)?.with_status(status);
    response.headers().set("Cache-Control", "no-store")?;
    Ok(response)
}
