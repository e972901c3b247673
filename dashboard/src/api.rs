//! The admin JSON routes as Rust calls: gloo-net sends each request with the operator token as
//! its bearer token, and serde-wasm-bindgen turns the JavaScript value of `Response.json()` into
//! the types below. Nothing here touches the page.

use std::collections::BTreeMap;

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// Why a call gave no answer to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// 401: the token is wrong (or the admin routes' secret changed).
    Unauthorized,
    /// 404 on the listing: the worker has no `ADMIN_TOKEN`, so the admin routes are off.
    Disabled,
    /// Another error status, with the messages the edge gave.
    Refused(Vec<String>),
    /// No answer, or one that is not what the routes promise.
    Network,
}

impl ApiError {
    pub(crate) fn describe(&self) -> String {
        match self {
            ApiError::Unauthorized => "the token was refused: type the worker's ADMIN_TOKEN".into(),
            ApiError::Disabled => {
                "the admin routes are off: set the ADMIN_TOKEN secret on the worker".into()
            }
            ApiError::Refused(messages) => messages.join("; "),
            ApiError::Network => "the worker did not answer: try again".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SpamCounts {
    #[serde(default)]
    pub honeypot: u64,
    #[serde(default)]
    pub fill_time: u64,
    #[serde(default)]
    pub turnstile: u64,
}

/// `GET /admin/submissions`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Listing {
    pub counts: BTreeMap<String, i64>,
    #[serde(default)]
    pub spam: BTreeMap<String, SpamCounts>,
    /// Per form, submissions per state.
    #[serde(default)]
    pub forms: BTreeMap<String, BTreeMap<String, i64>>,
    pub submissions: Vec<Entry>,
    #[serde(default)]
    pub next: Option<String>,
}

/// One submission as the admin routes show it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Entry {
    pub id: String,
    pub form: String,
    pub mode: String,
    pub state: String,
    pub attempts: u32,
    #[serde(default)]
    pub last_status: Option<u16>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub trap: Option<String>,
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    #[serde(default)]
    pub fields_dropped: bool,
    pub created_ms: f64,
    #[serde(default)]
    pub timeline: Vec<Event>,
}

/// One step of a submission's timeline.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Event {
    pub at_ms: f64,
    pub kind: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub cause: Option<String>,
    #[serde(default)]
    pub excerpt: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct OneSubmission {
    submission: Entry,
}

#[derive(Debug, Clone, Deserialize)]
struct Replayed {
    queued: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Erased {
    erased: u64,
}

/// `GET /health` (public; the dashboard shows its problems only after sign-in).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Health {
    pub status: String,
    #[serde(default)]
    pub problems: Vec<HealthProblem>,
    #[serde(default)]
    pub forms: Vec<HealthForm>,
    #[serde(default)]
    pub deliveries: Option<HealthDeliveries>,
    #[serde(default)]
    pub rate_limit: Option<HealthState>,
    #[serde(default)]
    pub turnstile: Option<HealthTurnstile>,
    #[serde(default)]
    pub alerts: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HealthProblem {
    pub binding: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HealthForm {
    #[serde(default)]
    pub turnstile: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HealthDeliveries {
    pub state: String,
    #[serde(default)]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HealthState {
    pub state: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct HealthTurnstile {
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Refusal {
    #[serde(default)]
    issues: Vec<RefusalIssue>,
}

#[derive(Debug, Clone, Deserialize)]
struct RefusalIssue {
    message: String,
}

/// A query component, percent-encoded.
pub(crate) fn encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    token: Option<&str>,
) -> Result<T, ApiError> {
    let mut request = match method {
        "POST" => Request::post(path),
        _ => Request::get(path),
    };
    if let Some(token) = token {
        request = request.header("Authorization", &["Bearer ", token].concat());
    }
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    let status = response.status();
    let raw = web_sys::Response::from(response);
    let value = match raw.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    match status {
        200..=299 => serde_wasm_bindgen::from_value(value).map_err(|_| ApiError::Network),
        // /health answers 503 with its problems while the worker is not configured.
        503 if path == "/health" => {
            serde_wasm_bindgen::from_value(value).map_err(|_| ApiError::Network)
        }
        401 => Err(ApiError::Unauthorized),
        404 if path.starts_with("/admin/submissions?") => Err(ApiError::Disabled),
        _ => {
            let messages = serde_wasm_bindgen::from_value::<Refusal>(value)
                .map(|refusal| {
                    refusal
                        .issues
                        .into_iter()
                        .map(|issue| issue.message)
                        .collect()
                })
                .unwrap_or_default();
            Err(ApiError::Refused(messages))
        }
    }
}

/// One page of the listing: `state` and `form` filters (empty for all), after cursor `before`.
pub(crate) async fn list(
    token: &str,
    state: &str,
    form: &str,
    before: Option<&str>,
) -> Result<Listing, ApiError> {
    let mut path = String::from("/admin/submissions?limit=25");
    for (name, value) in [
        ("state", state),
        ("form", form),
        ("before", before.unwrap_or("")),
    ] {
        if !value.is_empty() {
            path.push_str(&["&", name, "=", &encode(value)].concat());
        }
    }
    call("GET", &path, Some(token)).await
}

pub(crate) async fn timeline(token: &str, id: &str) -> Result<Entry, ApiError> {
    let path = ["/admin/submissions/", &encode(id)].concat();
    call::<OneSubmission>("GET", &path, Some(token))
        .await
        .map(|one| one.submission)
}

/// Replays (or releases from spam) one submission; the ids set back to pending.
pub(crate) async fn replay(
    token: &str,
    id: &str,
    include_delivered: bool,
) -> Result<Vec<String>, ApiError> {
    let mut path = ["/admin/replay?id=", &encode(id)].concat();
    if include_delivered {
        path.push_str("&include_delivered=1");
    }
    call::<Replayed>("POST", &path, Some(token))
        .await
        .map(|replayed| replayed.queued)
}

/// Replays every submission in `state` (dead letters, or quarantined spam), up to 1000.
pub(crate) async fn replay_state(token: &str, state: &str) -> Result<Vec<String>, ApiError> {
    let path = ["/admin/replay?state=", &encode(state)].concat();
    call::<Replayed>("POST", &path, Some(token))
        .await
        .map(|replayed| replayed.queued)
}

/// Erases every submission of one person, by `email` or `phone`; how many went.
pub(crate) async fn erase(token: &str, kind: &str, value: &str) -> Result<u64, ApiError> {
    let path = ["/admin/erase?", kind, "=", &encode(value)].concat();
    call::<Erased>("POST", &path, Some(token))
        .await
        .map(|erased| erased.erased)
}

pub(crate) async fn health() -> Result<Health, ApiError> {
    call("GET", "/health", None).await
}
