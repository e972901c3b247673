//! A stand-in for Slack's and Discord's incoming webhooks, so the edge's alerts (edge/src/alert.rs)
//! are captured locally: `POST /webhook/{name}` records the JSON it is sent and answers 204, as
//! Discord does (Slack answers `ok`; the edge reads neither). Two names misbehave on purpose:
//! `failing` answers 500 and `slow` answers after 20 s, longer than the edge waits.
//! `GET /webhook/requests` lists what arrived: `[{"name", "content_type", "body"}]` (the body
//! parsed as JSON, or null if it was not JSON), oldest first.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::server::{header_text, recorded_list};

/// The name whose posts get a 500.
pub const FAILING_WEBHOOK: &str = "failing";
/// The name whose posts are answered only after [`SLOW_ANSWER`].
pub const SLOW_WEBHOOK: &str = "slow";
const SLOW_ANSWER: Duration = Duration::from_secs(20);

/// What the webhooks received, oldest first.
type Received = Arc<Mutex<Vec<Value>>>;

/// The stand-in's routes, with their own state, for merging into the sandbox's router.
pub(super) fn router() -> Router {
    Router::new()
        .route("/webhook/requests", get(handle_requests))
        .route("/webhook/{name}", post(handle_post))
        .with_state(Received::default())
}

async fn handle_post(
    State(posts): State<Received>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = header_text(&headers, header::CONTENT_TYPE.as_str());
    let parsed = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    if let Ok(mut posts) = posts.lock() {
        posts.push(json!({ "name": name, "content_type": content_type, "body": parsed }));
    }
    match name.as_str() {
        FAILING_WEBHOOK => {
            (StatusCode::INTERNAL_SERVER_ERROR, "failing on purpose").into_response()
        }
        SLOW_WEBHOOK => {
            tokio::time::sleep(SLOW_ANSWER).await;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn handle_requests(State(posts): State<Received>) -> Response {
    recorded_list(&posts)
}
