//! `GET /health`: version and configuration status, never a secret.

use worker::{Env, Response, Result};

pub fn handle_health(env: &Env) -> Result<Response> {
    let key_present = env.secret("CLOSEM_API_KEY").is_ok();
    let body = serde_json::json!({
        "ok": key_present,
        "version": env!("CARGO_PKG_VERSION"),
        "api_key": if key_present { "set" } else { "missing" },
    });
    let status = if key_present { 200 } else { 503 };
    Ok(Response::from_json(&body)?.with_status(status))
}
