//! The sandbox's HTTP routes: the emulated CLOSEM endpoint (`POST /?m=api&auth=KEY`) and the
//! `/_sandbox/` routes that tests and people use to look inside and to order faults.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use super::calendar;
use super::inbox;
use super::rules;
use super::store::{Arrival, FaultAction, Store};

/// Largest API body accepted; larger ones get 413.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// A too-large body is read (and thrown away) up to this size so the client can read the 413
/// instead of seeing its upload cut off; past it the connection is simply closed.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Clone)]
struct App {
    store: Store,
    key: Arc<str>,
}

/// Serves the sandbox on `listener` until the future is dropped or the listener fails.
pub async fn serve(listener: TcpListener, key: String) -> io::Result<()> {
    axum::serve(listener, router(key)).await
}

/// All routes, with a fresh empty store, answering to the API key `key`.
pub fn router(key: String) -> Router {
    let app = App {
        store: Store::new(),
        key: Arc::from(key),
    };
    Router::new()
        .route("/", post(handle_api))
        .route("/_sandbox", get(handle_inbox))
        .route("/_sandbox/", get(handle_inbox))
        .route("/_sandbox/inbox", get(handle_inbox))
        .route("/_sandbox/health", get(handle_health))
        .route(
            "/_sandbox/requests",
            get(handle_list_requests).delete(handle_clear_requests),
        )
        .route(
            "/_sandbox/faults",
            get(handle_show_faults)
                .post(handle_order_faults)
                .delete(handle_clear_faults),
        )
        .fallback(handle_not_found)
        .with_state(app)
        .merge(super::turnstile::router())
        .merge(super::webhook::router())
}

/// The emulated CLOSEM API. Order of answers: fault orders, then `m` (400), then `auth` (401 or
/// 403), then the body's encoding (400, 413, 415), then the documented rules (422). Every request
/// is recorded, whatever the answer.
async fn handle_api(State(app): State<App>, request: Request) -> Response {
    let fault = app.store.decide_fault();
    let (drip, retry_after) = (fault.drip, fault.retry_after);
    let mut response = answer_api(&app, request, fault).await;
    if let Some(seconds) = retry_after.filter(|_| response.status().as_u16() >= 300) {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    if response.status().is_redirection() {
        // Where a redirect would take the key: a client must not follow it.
        response.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_static("http://127.0.0.1:9/elsewhere"),
        );
    }
    if drip.is_zero() {
        response
    } else {
        let (parts, body) = response.into_parts();
        Response::from_parts(parts, drip_body(body, drip).await)
    }
}

/// The body one byte at a time, `gap` apart: a slow drip the client's timeout must cover.
async fn drip_body(body: Body, gap: std::time::Duration) -> Body {
    let bytes = axum::body::to_bytes(body, DRAIN_LIMIT)
        .await
        .unwrap_or_default();
    Body::from_stream(Drip {
        bytes,
        at: 0,
        gap,
        sleep: None,
    })
}

struct Drip {
    bytes: Bytes,
    at: usize,
    gap: std::time::Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl futures_core::Stream for Drip {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.at >= self.bytes.len() {
            return Poll::Ready(None);
        }
        let gap = self.gap;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(gap)));
        match std::future::Future::poll(sleep.as_mut(), context) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.sleep = None;
                let at = self.at;
                self.at += 1;
                Poll::Ready(Some(Ok(self.bytes.slice(at..at + 1))))
            }
        }
    }
}

async fn answer_api(app: &App, request: Request, fault: super::store::FaultDecision) -> Response {
    let time = calendar::now_rfc3339();
    let (parts, body) = request.into_parts();
    let content_type = header_text(&parts.headers, header::CONTENT_TYPE.as_str());
    let idempotency_key = header_text(&parts.headers, "idempotency-key");
    let query = query_pairs(&parts.uri);
    let m = first_value(&query, "m");
    let auth = first_value(&query, "auth").filter(|given| !given.is_empty());
    let auth_matched = auth.is_some_and(|given| same_key(given.as_bytes(), app.key.as_bytes()));

    let parsed = match read_body(body).await {
        Ok(bytes) => parse_fields(&parts.headers, bytes).await,
        Err(refusal) => Err(refusal),
    };
    if !fault.latency.is_zero() {
        tokio::time::sleep(fault.latency).await;
    }
    let fields = parsed.as_ref().cloned().unwrap_or_default();
    let arrival = Arrival {
        time,
        mode: first_value(&fields, "mode").map(str::to_string),
        status: None,
        accepted: false,
        fault: None,
        errors: Vec::new(),
        content_type,
        auth_matched,
        idempotency_key,
        fields,
        unknown_fields: Vec::new(),
    };

    let answer = decide_api(app, arrival, fault.action, m, auth, parsed);
    if fault.action == Some(FaultAction::LoseAnswer) {
        return dropped_connection();
    }
    answer
}

/// Decides and records one API request after its faults' latency.
fn decide_api(
    app: &App,
    mut arrival: Arrival,
    action: Option<FaultAction>,
    m: Option<&str>,
    auth: Option<&str>,
    parsed: Result<Vec<(String, String)>, BodyRefusal>,
) -> Response {
    match action {
        Some(FaultAction::LoseAnswer) => arrival.fault = Some("lose_answer_next"),
        Some(FaultAction::Drop) => {
            arrival.fault = Some("drop_next");
            app.store.record(arrival);
            return dropped_connection();
        }
        Some(FaultAction::Fail { status, order }) => {
            arrival.fault = Some(order);
            let error = format!("sandbox fault {order}: the service is unavailable, try again");
            return refuse(&app.store, arrival, status, vec![error]);
        }
        None => {}
    }
    if m != Some("api") {
        let error = "m must be api: post to ?m=api&auth=<api key>".to_string();
        return refuse(&app.store, arrival, 400, vec![error]);
    }
    if auth.is_none() {
        let error = "auth is required: add auth=<api key> to the query".to_string();
        return refuse(&app.store, arrival, 401, vec![error]);
    }
    if !arrival.auth_matched {
        let error = "auth does not match the company's api key".to_string();
        return refuse(&app.store, arrival, 403, vec![error]);
    }
    if let Err(refusal) = parsed {
        return refuse(&app.store, arrival, refusal.status, vec![refusal.message]);
    }
    match rules::check(&arrival.fields, calendar::now_unix()) {
        Ok(mode) => {
            arrival.unknown_fields = rules::unknown_fields(mode, &arrival.fields);
            arrival.status = Some(200);
            arrival.accepted = true;
            let recorded = app.store.record(arrival);
            let answer = json!({"status": "success", "id": recorded.id, "mode": mode.as_str()});
            (StatusCode::OK, Json(answer)).into_response()
        }
        Err(errors) => refuse(&app.store, arrival, 422, errors),
    }
}

fn refuse(store: &Store, mut arrival: Arrival, status: u16, errors: Vec<String>) -> Response {
    arrival.status = Some(status);
    arrival.errors = errors.clone();
    store.record(arrival);
    error_response(status, errors)
}

fn error_response(status: u16, errors: Vec<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (status, Json(json!({"status": "error", "errors": errors}))).into_response()
}

/// A client fault in the body's framing, answered before the documented rules run.
struct BodyRefusal {
    status: u16,
    message: String,
}

impl BodyRefusal {
    fn new(status: u16, message: impl Into<String>) -> BodyRefusal {
        BodyRefusal {
            status,
            message: message.into(),
        }
    }
}

async fn read_body(body: Body) -> Result<Bytes, BodyRefusal> {
    let mut stream = body.into_data_stream();
    let mut collected = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = std::future::poll_fn(|context| {
        futures_core::Stream::poll_next(Pin::new(&mut stream), context)
    })
    .await
    {
        let chunk =
            chunk.map_err(|_| BodyRefusal::new(400, "the request body could not be read"))?;
        total = total.saturating_add(chunk.len());
        if total <= BODY_LIMIT {
            collected.extend_from_slice(&chunk);
        } else if total > DRAIN_LIMIT {
            break;
        }
    }
    if total > BODY_LIMIT {
        return Err(BodyRefusal::new(
            413,
            format!("the request body is over {BODY_LIMIT} bytes: send less"),
        ));
    }
    Ok(Bytes::from(collected))
}

/// The fields in the order received, from a multipart or urlencoded body.
async fn parse_fields(
    headers: &HeaderMap,
    bytes: Bytes,
) -> Result<Vec<(String, String)>, BodyRefusal> {
    let content_type = header_text(headers, header::CONTENT_TYPE.as_str()).unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mut rebuilt = Request::new(Body::from(bytes.clone()));
    *rebuilt.method_mut() = Method::POST;
    *rebuilt.headers_mut() = headers.clone();
    match essence.as_str() {
        "multipart/form-data" => {
            let unreadable = |error: axum::extract::multipart::MultipartError| {
                BodyRefusal::new(
                    400,
                    format!("the multipart body could not be read: {error}"),
                )
            };
            let mut multipart = Multipart::from_request(rebuilt, &())
                .await
                .map_err(|rejection| BodyRefusal::new(400, rejection.body_text()))?;
            let mut fields = Vec::new();
            while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
                let name = field.name().unwrap_or_default().to_string();
                let value = field.bytes().await.map_err(unreadable)?;
                fields.push((name, String::from_utf8_lossy(&value).into_owned()));
            }
            Ok(fields)
        }
        "application/x-www-form-urlencoded" => {
            Form::<Vec<(String, String)>>::from_request(rebuilt, &())
                .await
                .map(|Form(fields)| fields)
                .map_err(|rejection| BodyRefusal::new(400, rejection.body_text()))
        }
        "" if bytes.is_empty() => Ok(Vec::new()),
        _ => Err(BodyRefusal::new(
            415,
            "send the fields as multipart/form-data or application/x-www-form-urlencoded",
        )),
    }
}

/// A response whose body fails before its head is flushed: hyper then closes the connection, so
/// the client sees it dropped without an answer.
fn dropped_connection() -> Response {
    struct Abort;
    impl futures_core::Stream for Abort {
        type Item = Result<Bytes, io::Error>;
        fn poll_next(self: Pin<&mut Self>, _context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "sandbox fault drop_next",
            ))))
        }
    }
    Response::new(Body::from_stream(Abort))
}

async fn handle_list_requests(State(app): State<App>, uri: Uri) -> Response {
    let query = query_pairs(&uri);
    let accepted = match first_value(&query, "accepted") {
        None => None,
        Some("1" | "true") => Some(true),
        Some("0" | "false") => Some(false),
        Some(_) => {
            return error_response(400, vec!["accepted must be 1 or 0".to_string()]);
        }
    };
    Json(app.store.requests(accepted)).into_response()
}

async fn handle_clear_requests(State(app): State<App>) -> StatusCode {
    app.store.clear_requests();
    StatusCode::NO_CONTENT
}

async fn handle_show_faults(State(app): State<App>) -> Response {
    Json(app.store.faults()).into_response()
}

async fn handle_order_faults(State(app): State<App>, body: Bytes) -> Response {
    let order: Value = match serde_json::from_slice(&body) {
        Ok(order) => order,
        Err(_) => {
            let error = "the fault order must be JSON, like {\"fail_next\": 2, \"status\": 503}";
            return error_response(400, vec![error.to_string()]);
        }
    };
    match app.store.apply_fault_order(&order) {
        Ok(faults) => Json(faults).into_response(),
        Err(errors) => error_response(400, errors),
    }
}

async fn handle_clear_faults(State(app): State<App>) -> Response {
    app.store.clear_faults();
    Json(app.store.faults()).into_response()
}

async fn handle_inbox(State(app): State<App>) -> Response {
    let page = inbox::render(&app.store.requests(None), &app.store.faults());
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Html(page),
    )
        .into_response()
}

async fn handle_health() -> &'static str {
    "ok"
}

async fn handle_not_found() -> Response {
    let error = "no such route: the api is POST /?m=api&auth=<api key>, the inbox GET /_sandbox/";
    error_response(404, vec![error.to_string()])
}

/// A header's value as text (lossily), if sent.
pub(super) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Answers the JSON array of what a stand-in (siteverify, the webhooks) has recorded so far.
pub(super) fn recorded_list(list: &Mutex<Vec<Value>>) -> Response {
    let items = list.lock().map(|items| items.clone()).unwrap_or_default();
    Json(Value::Array(items)).into_response()
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_default()
}

fn first_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(candidate, _)| candidate == name)
        .map(|(_, value)| value.as_str())
}

/// Compares keys without stopping at the first differing byte.
fn same_key(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = u8::from(given.len() != expected.len());
    for (left, right) in given.iter().zip(expected) {
        difference |= left ^ right;
    }
    difference == 0
}
