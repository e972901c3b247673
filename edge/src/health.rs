//! `GET /health`: version, configuration status and the delivery bindings. It names what is wrong,
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
            })).collect::<Vec<_>>(),
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
