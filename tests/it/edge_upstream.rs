//! What the client hears when CLOSEM misbehaves: a 4xx is reported as 502 `closem.refused`; a 5xx,
//! a timeout or a dropped connection as 503 `closem.unavailable` with Retry-After. These tests order
//! faults, so they run one at a time on their own sandbox and worker.

use std::time::{Duration, Instant};

use closem_tests::sandbox::spawn;
use closem_tests::workerd::{Workerd, WorkerdOptions};
use serde_json::json;

use crate::edge_support::{
    assert_log_clean, client, encode, faulty, forms, send, unique_email, Encoding, Reply, KEY,
    TIMEZONE,
};

fn assert_unavailable(reply: &Reply) {
    reply.assert_issues(503, &["closem.unavailable"]);
    let retry_after = reply.header("retry-after").expect("a Retry-After header");
    assert!(
        retry_after.parse::<u32>().is_ok_and(|seconds| seconds > 0),
        "{retry_after}"
    );
}

#[test]
fn upstream_4xx_is_502_refused_without_retry_after() {
    let (_serial, edge) = faulty();
    for status in [400, 401, 403, 413, 422] {
        edge.order_faults(json!({"fail_next": 1, "status": status}));
        let email = unique_email("refused");
        let reply = edge.post("contact", &[("email", &email)]);
        reply.assert_issues(502, &["closem.refused"]);
        assert!(reply.header("retry-after").is_none(), "{status}");
        let records = edge.records_with(&email);
        assert_eq!(records.len(), 1, "{status}: {records:#?}");
        assert_eq!(records[0]["status"], status);
        assert_eq!(records[0]["fault"], "fail_next");
    }
    edge.assert_log_clean();
}

#[test]
fn upstream_5xx_is_503_unavailable_with_retry_after() {
    let (_serial, edge) = faulty();
    for status in [500, 502, 503, 504] {
        edge.order_faults(json!({"fail_next": 1, "status": status}));
        let email = unique_email("unavailable");
        let reply = edge.post("sequence", &[("email", &email)]);
        assert_unavailable(&reply);
        let records = edge.records_with(&email);
        assert!(
            records.iter().any(|record| record["status"] == status),
            "{status}: {records:#?}"
        );
    }
    edge.assert_log_clean();
}

#[test]
fn upstream_timeout_is_503_after_the_edges_timeout() {
    let (_serial, edge) = faulty();
    // The edge gives CLOSEM 10 s (edge/src/forward.rs); the sandbox takes 12.
    edge.order_faults(json!({"latency_ms": 12_000}));
    let email = unique_email("timeout");
    let started = Instant::now();
    let reply = edge.post("contact", &[("email", &email)]);
    let waited = started.elapsed();
    edge.clear_faults();
    assert_unavailable(&reply);
    assert!(
        waited >= Duration::from_millis(9_500) && waited < Duration::from_secs(12),
        "answered after {waited:?}"
    );
    edge.assert_log_clean();
}

#[test]
fn dropped_upstream_connection_is_503_unavailable() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"drop_next": 1}));
    let email = unique_email("dropped");
    let reply = edge.post(
        "appointment",
        &[
            ("email", &email),
            ("appointment_note", "Demo"),
            ("appointment_timestamp", "1932827400"),
        ],
    );
    assert_unavailable(&reply);
    let records = edge.records_with(&email);
    assert!(
        records.iter().any(|record| record["fault"] == "drop_next"),
        "{records:#?}"
    );
    edge.assert_log_clean();
}

#[test]
fn upstream_failures_on_a_native_post_are_html_pages() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"fail_next": 1, "status": 503}));
    let reply = edge.post_native("plain", &[("email", &unique_email("nativefault"))]);
    assert_eq!(reply.status, 503);
    assert!(reply.header("retry-after").is_some());
    assert!(reply.header("location").is_none());
    assert!(
        reply.body.contains("the CRM could not be reached"),
        "{}",
        reply.body
    );

    edge.order_faults(json!({"fail_next": 1, "status": 422}));
    let reply = edge.post_native("plain", &[("email", &unique_email("nativefault"))]);
    assert_eq!(reply.status, 502);
    assert!(
        reply.body.contains("the CRM refused this submission"),
        "{}",
        reply.body
    );
}

#[test]
fn the_next_submission_after_a_fault_is_delivered() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"fail_next": 1, "status": 503}));
    let failed = unique_email("recover");
    assert_unavailable(&edge.post("plain", &[("email", &failed)]));
    let delivered = unique_email("recover");
    edge.post("plain", &[("email", &delivered)])
        .assert_delivered();
    edge.forwarded(&delivered);
}

#[test]
fn a_key_closem_does_not_know_is_502_refused() {
    let sandbox = spawn("some-other-company-key");
    let worker = Workerd::start(WorkerdOptions {
        api_key: Some(KEY.to_string()),
        base_url: format!("{}/", sandbox.url()),
        timezone: TIMEZONE.to_string(),
        forms: forms(),
    });
    let email = unique_email("wrongkey");
    let reply = send(
        client()
            .post(format!("{}/f/plain", worker.url()))
            .header("Accept", "application/json")
            .form(&[("email", &email)]),
    );
    reply.assert_issues(502, &["closem.refused"]);
    let records: Vec<serde_json::Value> = client()
        .get(format!("{}/_sandbox/requests", sandbox.url()))
        .send()
        .and_then(|response| response.json())
        .expect("the sandbox lists its requests");
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["auth_matched"], false);
    assert_eq!(records[0]["status"], 403);
    assert_log_clean(&worker);
}

#[test]
fn unavailable_answers_let_allowed_origins_read_retry_after() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"fail_next": 1, "status": 503}));
    let origin = "https://www.example.com";
    let request = client()
        .post(edge.url("/f/contact"))
        .header("Origin", origin)
        .header("Accept", "application/json");
    let reply = edge.send(encode(
        request,
        &[("email", &unique_email("expose"))],
        Encoding::UrlEncoded,
    ));
    assert_unavailable(&reply);
    assert_eq!(reply.header("access-control-allow-origin"), Some(origin));
    let exposed = reply
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
}
