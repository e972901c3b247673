//! What becomes of a submission when CLOSEM misbehaves: the failure policy of
//! edge/src/forward.rs, one test per rule (issues 6 and 11). The visitor's answer does not depend
//! on CLOSEM: a valid submission is recorded (202, or 303 for a native post) and the queue's
//! consumer delivers it. A 5xx, a 3xx (never followed), a timeout or a dropped connection is
//! retried with backoff until it is delivered, once; 408/425/429 wait for `Retry-After` (capped);
//! 401/403 hold the submission, mark /health degraded and retry slowly until the key works; other
//! 4xx are refused; an outage longer than the retries dead-letters it for an operator to replay.
//! Every attempt is in the submission's timeline with CLOSEM's status and a key-free excerpt.
//! These tests order faults, so they run one at a time on their own sandbox and worker.

use std::time::Duration;

use closem_tests::workerd::{Deliveries, Launch};
use serde_json::{json, Value};

use crate::edge_support::{
    assert_log_clean, client, faulty, forms, records_at, send, start_keyed, strings_of,
    unique_email, Edge, ADMIN, DELIVERY_WAIT, KEY, TIMEZONE,
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

/// `GET /admin/submissions/{id}`: the submission with its timeline.
pub(crate) fn timeline(edge: &Edge, id: &str) -> Value {
    let reply = edge.admin_get(&format!("/admin/submissions/{id}"));
    reply.assert_status(200);
    reply.json()["submission"].clone()
}

/// The kinds of a submission's timeline events, oldest first.
pub(crate) fn timeline_kinds(edge: &Edge, id: &str) -> Vec<String> {
    timeline(edge, id)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The attempts in a timeline (events other than recorded, replayed, released, dead).
fn attempts_of(submission: &Value) -> Vec<Value> {
    submission["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|event| {
            !matches!(
                event["kind"].as_str(),
                Some("recorded" | "quarantined" | "replayed" | "released" | "dead")
            )
        })
        .cloned()
        .collect()
}

fn health(edge: &Edge) -> Value {
    edge.send(client().get(edge.url("/health"))).json()
}

fn replay(edge: &Edge, query: &str) -> Value {
    let reply = edge.replay(query);
    reply.assert_status(200);
    reply.json()
}

#[test]
fn every_attempt_is_in_the_timeline_with_its_status_and_a_key_free_excerpt() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"fail_next": 2, "status": 503}));
    let (_, id) = edge.lead("contact", "timeline");
    edge.wait_state(&id, "delivered");
    let submission = timeline(edge, &id);
    let kinds = strings_of(&submission["timeline"], "kind");
    assert_eq!(
        kinds,
        ["recorded", "failed", "failed", "delivered"],
        "{submission}"
    );
    let attempts = attempts_of(&submission);
    for failed in &attempts[..2] {
        assert_eq!(failed["status"], 503, "{failed}");
        assert_eq!(failed["cause"], "upstream_status", "{failed}");
        assert!(
            failed["excerpt"]
                .as_str()
                .is_some_and(|text| text.contains("sandbox fault")),
            "{failed}"
        );
    }
    assert_eq!(attempts[2]["status"], 200);
    assert!(
        attempts[2]["excerpt"]
            .as_str()
            .is_some_and(|text| text.contains("success")),
        "{}",
        attempts[2]
    );
    let times: Vec<i64> = submission["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["at_ms"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    assert_eq!(submission["state"], "delivered");
    assert!(!submission.to_string().contains(KEY));
    edge.admin_get("/admin/submissions/s0-k00000000000000000000000000000000")
        .assert_status(404);
    edge.admin_get("/admin/submissions/nope").assert_status(400);
}

#[test]
fn a_redirect_is_not_followed_and_counts_as_a_failed_attempt() {
    let (_serial, edge) = faulty();
    for status in [301, 302, 307, 308] {
        edge.order_faults(json!({"fail_next": 1, "status": status}));
        let (email, id) = edge.lead("plain", "redirect");
        let entry = edge.wait_state(&id, "delivered");
        assert_eq!(entry["attempts"], 2, "{status}: {entry}");
        let attempts = attempts_of(&timeline(edge, &id));
        // Followed, the request would have gone to 127.0.0.1:9 and failed as "network".
        assert_eq!(attempts[0]["status"], status, "{attempts:?}");
        assert_eq!(attempts[0]["cause"], "redirect", "{attempts:?}");
        let records = edge.records_now(&email);
        assert_eq!(records.len(), 2, "{status}: {records:#?}");
        assert_eq!(accepted(&records), 1);
    }
    edge.assert_log_clean();
}

#[test]
fn a_slowly_dripped_answer_is_cut_off_by_the_timeout() {
    let (_serial, edge) = faulty();
    // About 40 bytes of answer, one every 400 ms: 16 s, longer than the edge's 10 s timeout. The
    // 200 came first, so CLOSEM took the lead: delivered, once, and the attempt ended in time.
    edge.order_faults(json!({"drip_ms": 400}));
    let (email, id) = edge.lead("plain", "drip");
    let entry = edge.wait_state(&id, "delivered");
    assert_eq!(entry["attempts"], 1, "{entry}");
    let log = edge.worker.log();
    let line = log
        .lines()
        .find(|line| line.contains("\"event\":\"deliver\"") && line.contains(&id))
        .unwrap_or_else(|| panic!("no deliver line for {id}"));
    let at = line.find("\"ms\":").expect("the attempt's duration") + 5;
    let ms: u64 = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    assert!((9_000..14_000).contains(&ms), "{line}");
    edge.clear_faults();
    std::thread::sleep(a_retry_interval());
    assert_eq!(edge.records_now(&email).len(), 1);
}

#[test]
fn upstream_4xx_is_refused_and_not_retried() {
    let (_serial, edge) = faulty();
    let mut refused = Vec::new();
    for status in [400, 404, 413, 422] {
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
    let (email, id) = edge.lead("contact", "timeout");
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
fn a_contact_in_doubt_after_a_lost_answer_is_sent_again_as_an_upsert_so_closem_adds_it_once() {
    let (_serial, edge) = faulty();
    // CLOSEM takes the first attempt but its answer is lost on the way: the edge sees a broken
    // connection and cannot know that the contact was added. The second attempt fails plainly
    // (503), which must not clear the doubt.
    edge.order_faults(json!({"lose_answer_next": 1, "fail_next": 1}));
    let email = unique_email("in-doubt");
    // `plain` is an addcontact profile without upsert of its own.
    let id = edge.post("plain", &[("email", &email)]).assert_delivered();
    edge.wait_state(&id, "delivered");
    let records = edge.wait_records(&email, |records| accepted(records) >= 2);
    assert_keys(&records, &id);
    assert!(
        records.iter().any(|record| record["status"] == 503),
        "{records:#?}"
    );
    let records: Vec<Value> = records
        .into_iter()
        .filter(|record| record["accepted"] == true)
        .collect();
    let upsert = |record: &Value| {
        record["fields"]
            .as_array()
            .is_some_and(|fields| fields.contains(&json!(["upsert", "true"])))
    };
    // The first attempt as the profile built it; every one after the lost answer as an upsert, which
    // modified the contact the first had added.
    assert!(!upsert(&records[0]), "{}", records[0]);
    assert_eq!(records[0]["contact"], "created", "{}", records[0]);
    for record in &records[1..] {
        assert!(upsert(record), "{record}");
        assert_eq!(record["contact"], "modified", "{record}");
    }
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
    let (email, id) = edge.lead("sequence", "deadletter");
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
    let replay = edge.replay(&format!("key={id}"));
    replay.assert_status(200);
    assert_eq!(replay.json()["queued"], json!([id]), "{}", replay.body);
    edge.wait_state(&id, "delivered");
    let records = edge.wait_records(&email, |records| accepted(records) >= 1);
    std::thread::sleep(a_retry_interval());
    let records_later = edge.records_now(&email);
    assert_eq!(records_later.len(), records.len(), "{records_later:#?}");
    assert_eq!(accepted(&records_later), 1, "{records_later:#?}");
    assert_keys(&records_later, &id);
    // A second replay of a delivered submission queues nothing.
    let again = edge.replay(&format!("key={id}"));
    assert_eq!(again.json()["queued"], json!([]), "{}", again.body);
    edge.assert_log_clean();
}

#[test]
fn a_native_post_during_an_outage_is_accepted_and_delivered_later() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"fail_next": 1, "status": 503}));
    let email = unique_email("nativefault");
    let reply = edge.post_native("plain", &[("email", &email)]);
    reply.assert_status(303);
    assert_eq!(reply.header("location"), Some("/thanks"));
    let records = edge.wait_records(&email, |records| accepted(records) == 1);
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[0]["status"], 503, "{records:#?}");
}

#[test]
fn a_refused_key_holds_submissions_degrades_health_and_delivery_resumes_once_fixed() {
    let (_serial, edge) = faulty();
    assert_eq!(health(edge)["status"], "ok");
    for status in [401, 403] {
        // CLOSEM refuses the key for a window (rotated, mistyped), then takes it again.
        edge.order_faults(json!({"down": true, "status": status}));
        let (email, id) = edge.lead("sequence", "heldkey");
        let entry = edge.wait_state(&id, "held");
        assert_eq!(entry["last_status"], status, "{entry}");
        let body = health(edge);
        assert_eq!(body["status"], "degraded", "{body}");
        assert_eq!(
            body["deliveries"]["problem"], "CLOSEM refuses the API key",
            "{body}"
        );
        // Retried slowly (every DELIVERY_MAX_DELAY), and never dead-lettered meanwhile: more
        // attempts than the queue's retries would allow.
        let tries = u64::from(Deliveries::TEST.max_retries) + 2;
        let deadline = std::time::Instant::now() + DELIVERY_WAIT;
        loop {
            let entry = edge.ledger_entry(&id).unwrap_or_default();
            assert_eq!(entry["state"], "held", "{entry}");
            if entry["attempts"].as_u64() >= Some(tries) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{entry}");
            std::thread::sleep(Duration::from_millis(250));
        }
        edge.order_faults(json!({"down": false}));
        let entry = edge.wait_state(&id, "delivered");
        assert!(entry["attempts"].as_u64() > Some(tries), "{entry}");
        let records = edge.records_now(&email);
        assert_eq!(accepted(&records), 1, "{records:#?}");
        assert_keys(&records, &id);
        assert_eq!(health(edge)["status"], "ok", "a delivery clears it");
    }
    edge.assert_log_clean();
}

#[test]
fn throttling_waits_for_retry_after_within_the_cap_and_never_dead_letters() {
    // Its own worker: a backoff cap of 8 s tells Retry-After (and its cap) from the backoff.
    let edge = Edge::start_with(
        forms(),
        TIMEZONE,
        Launch {
            deliveries: Some(Deliveries {
                max_delay: 8,
                ..Deliveries::TEST
            }),
            ..Launch::default()
        },
    );
    let gap_of = |email: &str| -> f64 {
        let records = edge.wait_records(email, |records| accepted(records) == 1);
        assert_eq!(records.len(), 2, "{records:#?}");
        let id = records[0]["idempotency_key"].as_str().unwrap().to_string();
        let attempts = attempts_of(&timeline(&edge, &id));
        assert_eq!(attempts[0]["kind"], "throttled", "{attempts:?}");
        (attempts[1]["at_ms"].as_i64().unwrap() - attempts[0]["at_ms"].as_i64().unwrap()) as f64
            / 1000.0
    };
    // Retry-After: 5 is honoured (the backoff would have waited 2 s).
    edge.order_faults(json!({"fail_next": 1, "status": 429, "retry_after": 5}));
    let email = unique_email("throttle5");
    edge.post("plain", &[("email", &email)]).assert_delivered();
    let gap = gap_of(&email);
    assert!((4.5..8.0).contains(&gap), "{gap}");
    // An hour is capped at DELIVERY_MAX_DELAY.
    edge.order_faults(json!({"fail_next": 1, "status": 429, "retry_after": 3600}));
    let email = unique_email("throttlecap");
    edge.post("plain", &[("email", &email)]).assert_delivered();
    let gap = gap_of(&email);
    assert!((7.5..12.0).contains(&gap), "{gap}");
    // 408 and 425 too; and a stretch longer than the queue's retries is waited out, not dead.
    for status in [408, 425, 429] {
        edge.order_faults(json!({"fail_next": 6, "status": status, "retry_after": 1}));
        let (email, id) = edge.lead("plain", "throttlestretch");
        let entry = edge.wait_state(&id, "delivered");
        assert_eq!(entry["attempts"], 7, "{status}: {entry}");
        assert_eq!(accepted(&edge.records_now(&email)), 1);
    }
    edge.assert_log_clean();
}

#[test]
fn every_state_but_delivered_replays_and_delivered_only_when_asked() {
    let (_serial, edge) = faulty();
    edge.order_faults(json!({"fail_next": 1, "status": 422}));
    let (email, id) = edge.lead("plain", "replayrefused");
    edge.wait_state(&id, "refused");
    // Refused is final for the queue, not for an operator (the profile was wrong, say).
    assert_eq!(replay(edge, &format!("id={id}"))["queued"], json!([id]));
    edge.wait_state(&id, "delivered");
    assert_eq!(accepted(&edge.records_now(&email)), 1);
    // Delivered: not without asking...
    assert_eq!(replay(edge, &format!("id={id}"))["queued"], json!([]));
    assert_eq!(
        replay(edge, "state=delivered&limit=5")["queued"],
        json!([]),
        "a bulk replay of delivered needs asking too"
    );
    // ...and once asked, CLOSEM gets it again, under the same key.
    assert_eq!(
        replay(edge, &format!("id={id}&include_delivered=1"))["queued"],
        json!([id])
    );
    let records = edge.wait_records(&email, |records| accepted(records) == 2);
    assert_keys(&records, &id);
    let kinds = timeline_kinds(edge, &id);
    assert_eq!(
        kinds,
        [
            "recorded",
            "refused",
            "replayed",
            "delivered",
            "replayed",
            "delivered"
        ]
    );
    edge.replay("state=lost").assert_status(400);
}

#[test]
fn a_key_closem_does_not_know_holds_the_submission_and_admin_routes_are_off_without_the_secret() {
    let (sandbox, worker) = start_keyed("some-other-company-key", KEY);
    let email = unique_email("wrongkey");
    let reply = send(
        client()
            .post(format!("{}/f/plain", worker.url()))
            .header("Accept", "application/json")
            .form(&[("email", &email)]),
    );
    reply.assert_delivered();
    let list = || records_at(&sandbox.url());
    let deadline = std::time::Instant::now() + DELIVERY_WAIT;
    while list().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Tried again (slowly), never accepted: the key is wrong, not the lead.
    let records = list();
    assert!(records.len() >= 2, "{records:#?}");
    assert!(records.iter().all(|record| record["auth_matched"] == false));
    assert!(records.iter().all(|record| record["status"] == 403));
    let health: Value = send(client().get(format!("{}/health", worker.url()))).json();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(
        health["deliveries"]["problem"], "CLOSEM refuses the API key",
        "{health}"
    );

    // This worker has no ADMIN_TOKEN: its admin routes do not exist, token or not.
    for token in [None, Some(ADMIN)] {
        for (method, path) in [
            (reqwest::Method::GET, "/admin/submissions"),
            (reqwest::Method::POST, "/admin/replay"),
            (reqwest::Method::POST, "/admin/erase"),
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
