//! Durable delivery, exactly once as CLOSEM sees it (issue 6): idempotency keys, the ledger's
//! operator routes, the wrangler configuration the harness mirrors, and fault injection (a small
//! run here; `cargo xtask soak` runs the full one).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use closem_tests::workerd::{
    workspace_root, Deliveries, Launch, DEAD_LETTER_QUEUE, DEAD_LETTER_RETRIES, LEDGER_BINDING,
    LEDGER_CLASS, QUEUE, QUEUE_BINDING,
};
use serde_json::{json, Value};

use crate::edge_support::{
    client, fields_of, forms, send, shared, unique_email, value_of, Edge, Reply, ADMIN, TIMEZONE,
};

/// `s{shard}-k{32 hex digits}`: the id names its ledger shard (edge/src/ledger/shard.rs).
pub fn is_submission_id(id: &str) -> bool {
    let Some((shard, key)) = id.strip_prefix('s').and_then(|rest| rest.split_once('-')) else {
        return false;
    };
    !shard.is_empty()
        && shard.bytes().all(|byte| byte.is_ascii_digit())
        && key.len() == 33
        && key.starts_with('k')
        && key[1..]
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

fn post_keyed(edge: &Edge, form: &str, key: &str, fields: &[(&str, &str)]) -> Reply {
    edge.send(
        client()
            .post(edge.url(&format!("/f/{form}")))
            .header("Accept", "application/json")
            .header("Idempotency-Key", key)
            .form(fields),
    )
}

#[test]
fn resubmitting_with_the_same_key_answers_the_same_id_and_closem_sees_it_once() {
    let edge = shared();
    let email = unique_email("resubmit");
    let key = format!("it-{email}");
    let first = post_keyed(edge, "sequence", &key, &[("email", &email)]).assert_delivered();
    let again = post_keyed(edge, "sequence", &key, &[("email", &email)]).assert_delivered();
    // The widget's form field names the same submission as the header.
    let as_field = edge
        .post("sequence", &[("email", &email), ("_closem_key", &key)])
        .assert_delivered();
    assert_eq!(first, again);
    assert_eq!(first, as_field);
    let fields = edge.forwarded(&email);
    assert!(
        fields.iter().all(|(name, _)| name != "_closem_key"),
        "{fields:?}"
    );
    edge.settle();
    let records = edge.records_now(&email);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["idempotency_key"], first.as_str());
    // Resubmitted after delivery: still the same id, still nothing new for CLOSEM.
    let late = post_keyed(edge, "sequence", &key, &[("email", &email)]).assert_delivered();
    assert_eq!(late, first);
    edge.settle();
    assert_eq!(edge.records_now(&email).len(), 1);
}

#[test]
fn one_key_on_two_forms_is_two_submissions() {
    let edge = shared();
    let email = unique_email("twoforms");
    let key = format!("it-{email}");
    let contact = post_keyed(edge, "contact", &key, &[("email", &email)]).assert_delivered();
    let plain = post_keyed(edge, "plain", &key, &[("email", &email)]).assert_delivered();
    assert_ne!(contact, plain);
    let records = edge.wait_records(&email, |records| records.len() == 2);
    let keys: BTreeSet<&str> = records
        .iter()
        .filter_map(|record| record["idempotency_key"].as_str())
        .collect();
    assert_eq!(keys, BTreeSet::from([contact.as_str(), plain.as_str()]));
}

#[test]
fn a_native_post_sent_twice_is_one_submission_and_a_changed_one_is_another() {
    let edge = shared();
    let email = unique_email("nativetwice");
    let fields = [("email", email.as_str()), ("first_name", "Ann")];
    for _ in 0..2 {
        let reply = edge.post_native("plain", &fields);
        assert_eq!(reply.status, 303, "{}", reply.body);
    }
    edge.settle();
    let records = edge.records_now(&email);
    assert_eq!(records.len(), 1, "{records:#?}");
    let key = records[0]["idempotency_key"].as_str().unwrap_or_default();
    assert!(is_submission_id(key), "{key}");

    let changed = [("email", email.as_str()), ("first_name", "Anna")];
    assert_eq!(edge.post_native("plain", &changed).status, 303);
    let records = edge.wait_records(&email, |records| records.len() == 2);
    assert_eq!(value_of(&fields_of(&records[1]), "firstname"), "Anna");
}

#[test]
fn an_unusable_idempotency_key_is_400_and_not_recorded() {
    let edge = shared();
    let email = unique_email("badkey");
    for key in ["has space", &"x".repeat(201)] {
        post_keyed(edge, "plain", key, &[("email", &email)])
            .assert_issues(400, &["idempotency_key.invalid"]);
    }
    edge.post("plain", &[("email", &email), ("_closem_key", "")])
        .assert_issues(400, &["idempotency_key.invalid"]);
    edge.assert_not_forwarded(&email);
}

#[test]
fn admin_routes_want_the_bearer_token() {
    let edge = shared();
    let list = || client().get(edge.url("/admin/submissions"));
    let missing = edge.send(list());
    assert_eq!(missing.status, 401, "{}", missing.body);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let wrong = edge.send(list().bearer_auth("edge-it-admin-token-5b1e0c95"));
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let short = edge.send(list().bearer_auth("edge"));
    assert_eq!(short.status, 401, "{}", short.body);
    let replay = edge.send(client().post(edge.url("/admin/replay")).bearer_auth("nope"));
    assert_eq!(replay.status, 401, "{}", replay.body);

    let good = edge.send(list().bearer_auth(ADMIN));
    assert_eq!(good.status, 200, "{}", good.body);
    let body = good.json();
    for state in ["pending", "delivered", "refused", "dead"] {
        assert!(body["counts"][state].is_u64(), "{body}");
    }
    let checks = [
        ("/admin/submissions?state=lost", 400),
        ("/admin/submissions?limit=0", 400),
        ("/admin/nothing", 404),
    ];
    for (path, status) in checks {
        let reply = edge.send(client().get(edge.url(path)).bearer_auth(ADMIN));
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
    }
    let bad_key = edge.send(
        client()
            .post(edge.url("/admin/replay?key=../../x"))
            .bearer_auth(ADMIN),
    );
    assert_eq!(bad_key.status, 400, "{}", bad_key.body);
    let wrong_method = edge.send(client().get(edge.url("/admin/replay")).bearer_auth(ADMIN));
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.body);
}

#[test]
fn a_delivered_submission_is_listed_with_its_fields_and_state() {
    let edge = shared();
    let email = unique_email("listed");
    let id = edge
        .post("contact", &[("email", &email)])
        .assert_delivered();
    edge.forwarded(&email);
    let entry = edge.wait_state(&id, "delivered");
    assert_eq!(entry["form"], "contact", "{entry}");
    assert_eq!(entry["mode"], "addcontact", "{entry}");
    assert_eq!(entry["attempts"], 1, "{entry}");
    assert!(
        entry["fields"]
            .as_array()
            .is_some_and(|fields| fields.contains(&json!(["email", email]))),
        "{entry}"
    );
    // The log names the submission, never the address.
    let log = edge.worker.log();
    assert!(!log.contains(&email), "the log shows a visitor's email");
}

#[test]
fn health_names_the_delivery_bindings() {
    let edge = shared();
    let health = edge.send(client().get(edge.url("/health")));
    let body = health.json();
    assert_eq!(body["deliveries"]["queue"], QUEUE_BINDING, "{body}");
    assert_eq!(body["deliveries"]["ledger"], LEDGER_BINDING, "{body}");
    assert_eq!(body["admin"], "enabled", "{body}");
    assert!(
        body["counts"].is_null(),
        "no lead volume on a public route: {body}"
    );
}

/// The values of one `[[section]]` (or `[section]`) of a TOML file, in order of appearance, as
/// `key -> raw value` maps. Enough for the flat tables of edge/wrangler.toml; no dependency.
fn toml_sections(text: &str, section: &str) -> Vec<BTreeMap<String, String>> {
    let mut found = Vec::new();
    let mut current: Option<BTreeMap<String, String>> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            found.extend(current.take());
            let name = line.trim_matches(|c| c == '[' || c == ']');
            current = (name == section).then(BTreeMap::new);
        } else if let (Some(table), Some((key, value))) = (current.as_mut(), line.split_once('=')) {
            if !line.starts_with('#') {
                table.insert(key.trim().to_string(), value.trim().to_string());
            }
        }
    }
    found.extend(current);
    found
}

#[test]
fn wrangler_toml_declares_the_bindings_the_harness_uses() {
    let text = std::fs::read_to_string(workspace_root().join("edge/wrangler.toml"))
        .expect("read edge/wrangler.toml");
    let quoted = |text: &str| format!("\"{text}\"");
    let production = Deliveries::PRODUCTION;

    let producers = toml_sections(&text, "queues.producers");
    assert_eq!(producers.len(), 1, "{producers:?}");
    assert_eq!(producers[0]["binding"], quoted(QUEUE_BINDING));
    assert_eq!(producers[0]["queue"], quoted(QUEUE));

    let consumers = toml_sections(&text, "queues.consumers");
    assert_eq!(consumers.len(), 2, "{consumers:?}");
    let deliveries = &consumers[0];
    assert_eq!(deliveries["queue"], quoted(QUEUE));
    assert_eq!(deliveries["dead_letter_queue"], quoted(DEAD_LETTER_QUEUE));
    let numbers = [
        ("max_batch_size", production.max_batch_size),
        ("max_batch_timeout", production.max_batch_timeout),
        ("max_retries", production.max_retries),
        ("retry_delay", production.retry_delay),
    ];
    for (key, value) in numbers {
        assert_eq!(deliveries[key], value.to_string(), "{key}");
    }
    let dead_letters = &consumers[1];
    assert_eq!(dead_letters["queue"], quoted(DEAD_LETTER_QUEUE));
    assert_eq!(dead_letters["max_retries"], DEAD_LETTER_RETRIES.to_string());
    assert!(!dead_letters.contains_key("dead_letter_queue"));

    let objects = toml_sections(&text, "durable_objects.bindings");
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0]["name"], quoted(LEDGER_BINDING));
    assert_eq!(objects[0]["class_name"], quoted(LEDGER_CLASS));
    let migrations = toml_sections(&text, "migrations");
    assert_eq!(migrations.len(), 1, "{migrations:?}");
    assert_eq!(
        migrations[0]["new_sqlite_classes"],
        format!("[{}]", quoted(LEDGER_CLASS))
    );

    let vars = toml_sections(&text, "vars");
    assert_eq!(
        vars[0]["DELIVERY_MAX_DELAY"],
        quoted(&production.max_delay.to_string())
    );
    // The test configuration is the same shape with shorter waits.
    let test = Deliveries::TEST;
    assert!(test.max_batch_timeout <= production.max_batch_timeout);
    assert!(test.max_delay <= production.max_delay);
}

/// What a fault-injection run counted.
#[derive(Debug, Default)]
pub struct SoakReport {
    pub submitted: usize,
    pub answered_other: usize,
    pub delivered: u64,
    pub refused: u64,
    pub dead_lettered_before_replay: u64,
    pub dead_after_replay: u64,
    pub pending_at_end: u64,
    /// Every request the sandbox recorded, and those it failed (5xx, dropped) or refused.
    pub closem_requests: usize,
    pub closem_not_accepted: usize,
    pub closem_dropped: usize,
    /// Attempts the edge gave up on after its 10 s timeout (from the worker's log).
    pub edge_timeouts: usize,
    /// Submissions CLOSEM accepted, and those it accepted more than once.
    pub accepted_keys: usize,
    pub duplicates: usize,
    /// Submitted (202) but never accepted by CLOSEM.
    pub lost: usize,
    pub seconds: u64,
}

/// The settings a soak runs with: the test configuration (3 retries) with delays of 2, 4, 4 s, so
/// a submission rides out about 12 s of failures; longer runs of failures (the outage window, or
/// four 30% failures in a row) dead-letter it, and the replay after recovery delivers it.
const SOAK_DELIVERIES: Deliveries = Deliveries {
    max_delay: 4,
    ..Deliveries::TEST
};

/// Sends `count` submissions from 8 clients, paced over `pace`, while the sandbox fails 30% of
/// requests with 5xx (seeded), answers slower than the edge's timeout for a window, drops some
/// connections and is fully down for another window; then lets the ledger drain, replays what was
/// dead-lettered, lets it drain again and counts. Bounded: panics past its deadlines.
pub fn soak(count: usize, pace: Duration) -> SoakReport {
    let started = Instant::now();
    let edge = Edge::start_with(
        forms(),
        TIMEZONE,
        Launch {
            deliveries: Some(SOAK_DELIVERIES),
            ..Launch::default()
        },
    );
    edge.order_faults(json!({"fail_rate": 0.3, "status": 503, "seed": 20261126}));

    let next = AtomicUsize::new(0);
    let ids = Mutex::new(Vec::<(usize, String)>::new());
    let others = AtomicUsize::new(0);
    let phase_order = Mutex::new(0usize);
    let gap = pace / u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    // Phases by share of the submissions sent: a slow window (timeouts), a drop, an outage.
    let phases = [
        (count * 25 / 100, json!({"latency_ms": 11_000})),
        (count * 30 / 100, json!({"latency_ms": 0, "drop_next": 3})),
        (count * 50 / 100, json!({"down": true})),
        (count * 75 / 100, json!({"down": false})),
    ];
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                if index >= count {
                    return;
                }
                {
                    let mut order = phase_order.lock().unwrap_or_else(|e| e.into_inner());
                    while *order < phases.len() && index >= phases[*order].0 {
                        edge.order_faults(phases[*order].1.clone());
                        *order += 1;
                    }
                }
                let email = format!("soak-{index}@example.com");
                let form = ["contact", "sequence", "plain"][index % 3];
                let reply = send(
                    client()
                        .post(edge.url(&format!("/f/{form}")))
                        .header("Accept", "application/json")
                        .header("Idempotency-Key", format!("soak-{index}"))
                        .form(&[("email", email.as_str())]),
                );
                if reply.status == 202 {
                    let id = reply.json()["id"].as_str().unwrap_or_default().to_string();
                    ids.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((index, id));
                } else {
                    others.fetch_add(1, Ordering::SeqCst);
                }
                std::thread::sleep(gap * 8);
            });
        }
    });
    // Submissions are in; CLOSEM keeps failing 30% until the queue has drained.
    let drain = |what: &str| -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let listing = edge.admin_list(ADMIN, "pending");
            if listing["counts"]["pending"] == 0 {
                return listing["counts"].clone();
            }
            assert!(
                Instant::now() < deadline,
                "{what}: still pending after 300 s: {}",
                listing["counts"]
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    };
    let first = drain("before replay");
    edge.clear_faults();
    // Replay every dead letter (a call takes up to 1000) until none is left.
    let mut replayed = 0;
    let last = loop {
        let replay = edge.send(client().post(edge.url("/admin/replay")).bearer_auth(ADMIN));
        assert_eq!(replay.status, 200, "{}", replay.body);
        let queued = replay.json()["queued"].as_array().map_or(0, Vec::len);
        replayed += queued;
        let counts = drain("after replay");
        if queued == 0 || replayed > count {
            break counts;
        }
    };

    let ids = ids.into_inner().unwrap_or_else(|e| e.into_inner());
    let records = edge.all_records();
    let mut accepted_per_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut not_accepted = 0;
    let mut dropped = 0;
    for record in &records {
        let key = record["idempotency_key"].as_str().unwrap_or_default();
        if record["accepted"] == true {
            *accepted_per_key.entry(key.to_string()).or_default() += 1;
        } else {
            not_accepted += 1;
        }
        if record["fault"] == "drop_next" {
            dropped += 1;
        }
    }
    let edge_timeouts = edge.worker.log().matches("\"outcome\":\"timeout\"").count();
    let lost = ids
        .iter()
        .filter(|(_, id)| !accepted_per_key.contains_key(id))
        .count();
    let count_of = |counts: &Value, state: &str| counts[state].as_u64().unwrap_or(0);
    SoakReport {
        submitted: ids.len(),
        answered_other: others.load(Ordering::SeqCst),
        delivered: count_of(&last, "delivered"),
        refused: count_of(&last, "refused"),
        dead_lettered_before_replay: count_of(&first, "dead"),
        dead_after_replay: count_of(&last, "dead"),
        pending_at_end: count_of(&last, "pending"),
        closem_requests: records.len(),
        closem_not_accepted: not_accepted,
        closem_dropped: dropped,
        edge_timeouts,
        accepted_keys: accepted_per_key.len(),
        duplicates: accepted_per_key.values().filter(|n| **n > 1).count(),
        lost,
        seconds: started.elapsed().as_secs(),
    }
}

impl SoakReport {
    /// The figures, one per line, as a person reads them.
    pub fn table(&self) -> String {
        let rows: [(&str, String); 15] = [
            ("submitted (202)", self.submitted.to_string()),
            ("answered otherwise", self.answered_other.to_string()),
            ("delivered", self.delivered.to_string()),
            ("refused", self.refused.to_string()),
            (
                "dead-lettered, before replay",
                self.dead_lettered_before_replay.to_string(),
            ),
            ("dead after replay", self.dead_after_replay.to_string()),
            ("pending at the end", self.pending_at_end.to_string()),
            ("CLOSEM requests", self.closem_requests.to_string()),
            (
                "  of which failed or refused",
                self.closem_not_accepted.to_string(),
            ),
            ("  of which dropped", self.closem_dropped.to_string()),
            ("edge timeouts", self.edge_timeouts.to_string()),
            (
                "submissions CLOSEM accepted",
                self.accepted_keys.to_string(),
            ),
            ("duplicates seen by CLOSEM", self.duplicates.to_string()),
            ("lost", self.lost.to_string()),
            ("seconds", self.seconds.to_string()),
        ];
        rows.iter()
            .map(|(name, value)| format!("  {name:<30} {value:>7}\n"))
            .collect()
    }
}

fn check_soak(report: &SoakReport, count: usize) {
    eprintln!("fault injection, {count} submissions:\n{}", report.table());
    assert_eq!(report.submitted, count, "{report:#?}");
    assert_eq!(report.answered_other, 0, "{report:#?}");
    assert_eq!(report.lost, 0, "{report:#?}");
    assert_eq!(report.pending_at_end, 0, "{report:#?}");
    assert_eq!(report.dead_after_replay, 0, "{report:#?}");
    assert_eq!(report.delivered as usize, count, "{report:#?}");
    assert_eq!(report.duplicates, 0, "{report:#?}");
}

/// The integration tier's fault injection: 150 submissions.
#[test]
fn fault_injection_loses_nothing_and_duplicates_nothing() {
    let report = soak(150, Duration::from_secs(20));
    check_soak(&report, 150);
}

/// The full run, for `cargo xtask soak`: `CLOSEM_SOAK_SUBMISSIONS` submissions (1,000 unless
/// set) over `CLOSEM_SOAK_SECONDS` (60 unless set).
#[test]
#[ignore = "several minutes: run with `cargo xtask soak`"]
fn soak_fault_injection() {
    let number = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(default)
    };
    let count = number("CLOSEM_SOAK_SUBMISSIONS", 1000);
    let seconds = number("CLOSEM_SOAK_SECONDS", 60);
    let report = soak(count, Duration::from_secs(seconds as u64));
    check_soak(&report, count);
}
