//! What becomes of a submission when CLOSEM misbehaves. The visitor's answer no longer depends on
//! CLOSEM: a valid submission is recorded and queued (202, or 303 for a native post) and the
//! queue's consumer delivers it. A 5xx, a timeout or a dropped connection is retried with backoff
//! until it is delivered, once; a 4xx is recorded as refused and not retried; an outage longer than
//! the retries dead-letters it for an operator to replay. These tests order faults, so they run
//! one at a time on their own sandbox and worker (issue 6).

use std::time::Duration;

use closem_tests::sandbox::spawn;
use closem_tests::workerd::{Deliveries, Workerd, WorkerdOptions};
use serde_json::{json, Value};

use crate::edge_support::{
    assert_log_clean, client, faulty, forms, send, unique_email, Edge, ADMIN, DELIVERY_WAIT, KEY,
    TIMEZONE,
};

/// Longer than one retry of the test configuration (backoff cap plus a batch timeout), so a
/// retry that should not happen would have happened.
fn a_retry_interval() -> Duration {
    let test = Deliveries::TEST;
    Duration::from_secs(u64::from(test.max_delay + test.max_batch_timeout) + 2)
}

fn accepted(records: &[Value]) -> usize {
    records
        .iter()
        .filter(|record| record["accepted"] == true)
        .count()
}

/// Every attempt carried the submission's id as its Idempotency-Key.
fn assert_keys(records: &[Value], id: &str) {
    for record in records {
        assert_eq!(record["idempotency_key"], id, "{record}");
    }
}

fn post_with_key(edge: &Edge, form: &str, key: &str, email: &str) -> String {
    let reply = edge.send(
        client()
            .post(edge.url(&format!("/f/{form}")))
            .header("Accept", "application/json")
            .header("Idempotency-Key", key)
            .form(&[("email", email)]),
    );
    reply.assert_delivered()
}

#[test]
fn upstream_5xx_then_recovery_is_delivered_exactly_once() {
    let (_serial, edge) = faulty();
    for status in [500, 502, 503, 504] {
        edge.order_faults(json!({"fail_next": 2, "status": status}));
        let email = unique_email("recover");
        let id = post_with_key(edge, "sequence", &format!("it-recover-{email}"), &email);
        let entry = edge.wait_state(&id, "delivered");
        assert_eq!(entry["attempts"], 3, "{status}: {entry}");
        assert_eq!(entry["last_status"], 200, "{status}: {entry}");
        let records = edge.records_now(&email);
        assert_eq!(accepted(&records), 1, "{status}: {records:#?}");
        assert_eq!(records.len(), 3, "{status}: {records:#?}");
        let failures = records.iter().filter(|record| record["status"] == status);
        assert_eq!(failures.count(), 2, "{status}: {records:#?}");
        assert_keys(&records, &id);
    }
    edge.assert_log_clean();
}

#[test]
fn upstream_4xx_is_refused_and_not_retried() {
    let (_serial, edge) = faulty();
    let mut refused = Vec::new();
    for status in [400, 401, 403, 413, 422] {
        edge.order_faults(json!({"fail_next": 1, "status": status}));
        let email = unique_email("refused");
        let reply = edge.post("contact", &[("email", &email)]);
        let id = reply.assert_delivered();
        let entry = edge.wait_state(&id, "refused");
        assert_eq!(entry["attempts"], 1, "{status}: {entry}");
        assert_eq!(entry["last_status"], status, "{status}: {entry}");
        refused.push((status, email, id));
    }
    std::thread::sleep(a_retry_interval());
    for (status, email, id) in refused {
        let records = edge.records_now(&email);
        assert_eq!(records.len(), 1, "{status}: {records:#?}");
        assert_eq!(records[0]["status"], status);
        assert_eq!(records[0]["fault"], "fail_next");
        assert_keys(&records, &id);
    }
    edge.assert_log_clean();
}

#[test]
fn an_upstream_timeout_is_retried_until_delivered() {
    let (_serial, edge) = faulty();
    // The edge gives CLOSEM 10 s (edge/src/forward.rs); the sandbox takes 12.
    edge.order_faults(json!({"latency_ms": 12_000}));
    let email = unique_email("timeout");
    let id = edge
        .post("contact", &[("email", &email)])
        .assert_delivered();
    // The first attempt times out...
    let deadline = std::time::Instant::now() + DELIVERY_WAIT;
    loop {
        let entry = edge.ledger_entry(&id);
        if entry
            .as_ref()
            .is_some_and(|entry| entry["last_error"] == "timeout")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{entry:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // ...and once CLOSEM answers in time again, a retry delivers it.
    edge.clear_faults();
    let entry = edge.wait_state(&id, "delivered");
    assert!(entry["attempts"].as_u64() >= Some(2), "{entry}");
    let records = edge.wait_records(&email, |records| accepted(records) >= 1);
    assert_keys(&records, &id);
    edge.assert_log_clean();
}

#[test]
fn a_dropped_upstream_connection_is_retried_until_delivered() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"drop_next": 1}));
    let email = unique_email("dropped");
    let id = edge
        .post(
            "appointment",
            &[
                ("email", &email),
                ("appointment_note", "Demo"),
                ("appointment_timestamp", "1932827400"),
            ],
        )
        .assert_delivered();
    let entry = edge.wait_state(&id, "delivered");
    assert_eq!(entry["attempts"], 2, "{entry}");
    let records = edge.records_now(&email);
    assert_eq!(accepted(&records), 1, "{records:#?}");
    assert!(
        records.iter().any(|record| record["fault"] == "drop_next"),
        "{records:#?}"
    );
    assert_keys(&records, &id);
    edge.assert_log_clean();
}

#[test]
fn persistent_5xx_is_dead_lettered_and_a_replay_delivers_it_once() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"down": true}));
    let email = unique_email("deadletter");
    let id = edge
        .post("sequence", &[("email", &email)])
        .assert_delivered();
    let entry = edge.wait_state(&id, "dead");
    // The first delivery and every retry the queue allows reached CLOSEM, then it gave up.
    let tries = u64::from(Deliveries::TEST.max_retries) + 1;
    assert_eq!(entry["attempts"].as_u64(), Some(tries), "{entry}");
    let dead = edge.admin_list(ADMIN, "dead");
    assert!(
        dead["submissions"]
            .as_array()
            .is_some_and(|list| list.iter().any(|entry| entry["key"] == id)),
        "{dead}"
    );
    assert!(dead["counts"]["dead"].as_u64() >= Some(1), "{dead}");
    let records = edge.records_now(&email);
    assert_eq!(records.len() as u64, tries, "{records:#?}");
    assert_eq!(accepted(&records), 0, "{records:#?}");

    edge.clear_faults();
    let replay = edge.send(
        client()
            .post(edge.url(&format!("/admin/replay?key={id}")))
            .bearer_auth(ADMIN),
    );
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.json()["queued"], json!([id]), "{}", replay.body);
    edge.wait_state(&id, "delivered");
    let records = edge.wait_records(&email, |records| accepted(records) >= 1);
    std::thread::sleep(a_retry_interval());
    let records_later = edge.records_now(&email);
    assert_eq!(records_later.len(), records.len(), "{records_later:#?}");
    assert_eq!(accepted(&records_later), 1, "{records_later:#?}");
    assert_keys(&records_later, &id);
    // A second replay of a delivered submission queues nothing.
    let again = edge.send(
        client()
            .post(edge.url(&format!("/admin/replay?key={id}")))
            .bearer_auth(ADMIN),
    );
    assert_eq!(again.json()["queued"], json!([]), "{}", again.body);
    edge.assert_log_clean();
}

#[test]
fn a_native_post_during_an_outage_is_accepted_and_delivered_later() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"fail_next": 1, "status": 503}));
    let email = unique_email("nativefault");
    let reply = edge.post_native("plain", &[("email", &email)]);
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), Some("/thanks"));
    let records = edge.wait_records(&email, |records| accepted(records) == 1);
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[0]["status"], 503, "{records:#?}");
}

#[test]
fn a_key_closem_does_not_know_is_refused_once_and_admin_routes_are_off_without_the_secret() {
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
    reply.assert_delivered();
    let list = || -> Vec<Value> {
        client()
            .get(format!("{}/_sandbox/requests", sandbox.url()))
            .send()
            .and_then(|response| response.json())
            .expect("the sandbox lists its requests")
    };
    let deadline = std::time::Instant::now() + DELIVERY_WAIT;
    while list().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(a_retry_interval());
    let records = list();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["auth_matched"], false);
    assert_eq!(records[0]["status"], 403);

    // This worker has no ADMIN_TOKEN: its admin routes do not exist, token or not.
    for token in [None, Some(ADMIN)] {
        for (method, path) in [
            (reqwest::Method::GET, "/admin/submissions"),
            (reqwest::Method::POST, "/admin/replay"),
        ] {
            let mut request = client().request(method.clone(), format!("{}{path}", worker.url()));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let reply = send(request);
            assert_eq!(reply.status, 404, "{method} {path}: {}", reply.body);
        }
    }
    assert_log_clean(&worker);
}
