//! A stand-in for Cloudflare Turnstile's siteverify, so the edge's Turnstile check runs locally:
//! `POST /turnstile/siteverify` with form fields `secret`, `response`, `remoteip` and
//! `idempotency_key` (urlencoded or JSON, as Cloudflare accepts), answering
//! `{"success", "challenge_ts", "hostname", "action", "cdata", "error-codes"}` like the real one.
//! `GET /turnstile/requests` lists what it was asked (never the secret, only whether one came).
//!
//! Secrets, as Cloudflare documents its test keys: `1x0000000000000000000000000000000AA` passes any
//! token (hostname `example.com`), `2x…AA` fails every one, `3x…AA` says every one was spent; other
//! secrets must look like real ones (`0x…`), else `invalid-input-secret`. With a real-looking
//! secret the token decides:
//!
//! - `ok:<hostname>:<action>:<anything>`: success on that hostname with that action (may be
//!   empty). Tokens are single-use: a second verification says `timeout-or-duplicate`, unless it
//!   repeats the first one's `idempotency_key`, which answers the same success again.
//! - `XXXX.DUMMY.TOKEN.XXXX` (what Cloudflare's test site keys produce): `invalid-input-response`,
//!   as real secrets refuse it.
//! - `unavailable`: HTTP 503, as if Cloudflare were down.
//! - anything else: `invalid-input-response`; none at all: `missing-input-response`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::calendar;
use super::server::{header_text, recorded_list};

pub const ALWAYS_PASSES: &str = "1x0000000000000000000000000000000AA";
pub const ALWAYS_FAILS: &str = "2x0000000000000000000000000000000AA";
pub const ALWAYS_SPENT: &str = "3x0000000000000000000000000000000AA";
/// The token that makes the stand-in answer 503.
pub const UNAVAILABLE_TOKEN: &str = "unavailable";

/// A token's first verification: its idempotency key (if any) and its answer.
struct Spent {
    idempotency_key: Option<String>,
    answer: Value,
}

#[derive(Clone, Default)]
struct Verifier {
    spent: Arc<Mutex<HashMap<String, Spent>>>,
    asked: Arc<Mutex<Vec<Value>>>,
}

/// The stand-in's routes, with their own state, for merging into the sandbox's router.
pub(super) fn router() -> Router {
    Router::new()
        .route("/turnstile/siteverify", post(handle_siteverify))
        .route("/turnstile/requests", get(handle_requests))
        .with_state(Verifier::default())
}

async fn handle_siteverify(
    State(verifier): State<Verifier>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = fields(&headers, &body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let (secret, token) = (field("secret"), field("response"));
    let idempotency_key = field("idempotency_key").map(str::to_string);
    if let Ok(mut asked) = verifier.asked.lock() {
        asked.push(json!({
            "secret_sent": secret.is_some(),
            "response": token,
            "remoteip": field("remoteip"),
            "idempotency_key": idempotency_key,
        }));
    }
    if token == Some(UNAVAILABLE_TOKEN) {
        let answer = json!({"success": false, "error-codes": ["internal-error"]});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(answer)).into_response();
    }
    let answer = match (secret, token) {
        (None, _) => failure("missing-input-secret"),
        (Some(ALWAYS_FAILS), _) => failure("invalid-input-response"),
        (Some(ALWAYS_SPENT), _) => failure("timeout-or-duplicate"),
        (Some(_), None) => failure("missing-input-response"),
        (Some(ALWAYS_PASSES), Some(_)) => success("example.com", ""),
        (Some(secret), Some(_)) if !secret.starts_with("0x") || secret.len() > 255 => {
            failure("invalid-input-secret")
        }
        (Some(_), Some(token)) => verify(&verifier, token, idempotency_key),
    };
    Json(answer).into_response()
}

fn verify(verifier: &Verifier, token: &str, idempotency_key: Option<String>) -> Value {
    let Some(claims) = token.strip_prefix("ok:") else {
        return failure("invalid-input-response");
    };
    let mut parts = claims.splitn(3, ':');
    let (Some(hostname), Some(action)) = (parts.next(), parts.next()) else {
        return failure("invalid-input-response");
    };
    let Ok(mut spent) = verifier.spent.lock() else {
        return failure("internal-error");
    };
    if let Some(first) = spent.get(token) {
        return if first.idempotency_key.is_some() && first.idempotency_key == idempotency_key {
            first.answer.clone()
        } else {
            failure("timeout-or-duplicate")
        };
    }
    let answer = success(hostname, action);
    let first = Spent {
        idempotency_key,
        answer: answer.clone(),
    };
    spent.insert(token.to_string(), first);
    answer
}

fn success(hostname: &str, action: &str) -> Value {
    json!({
        "success": true,
        "challenge_ts": calendar::now_rfc3339(),
        "hostname": hostname,
        "error-codes": [],
        "action": action,
        "cdata": "",
    })
}

fn failure(code: &str) -> Value {
    json!({"success": false, "error-codes": [code]})
}

async fn handle_requests(State(verifier): State<Verifier>) -> Response {
    recorded_list(&verifier.asked)
}

/// The body's fields: JSON object or urlencoded form, as siteverify takes either.
fn fields(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let json = header_text(headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|value| value.starts_with("application/json"));
    if json {
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        return object
            .into_iter()
            .filter_map(|(key, value)| Some((key, value.as_str()?.to_string())))
            .collect();
    }
    form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}
