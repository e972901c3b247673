//! Durable delivery, exactly once as CLOSEM sees it (issues 6 and 11): idempotency keys (and a
//! key reused with other fields), the ledger's operator routes, and the wrangler configuration
//! the harness mirrors. Fault injection is in edge_soak.rs.

use std::collections::{BTreeMap, BTreeSet};

use closem_tests::workerd::{
    workspace_root, Deliveries, DEAD_LETTER_QUEUE, DEAD_LETTER_RETRIES, LEDGER_BINDING,
    LEDGER_CLASS, QUEUE, QUEUE_BINDING,
};
use serde_json::json;

use crate::edge_support::{client, fields_of, shared, unique_email, value_of, Edge, Reply, ADMIN};

/// `s{shard}-k{32 hex digits}`: the id names its ledger shard (edge/src/ledger/shard.rs).
pub(crate) fn is_submission_id(id: &str) -> bool {
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
fn a_key_reused_with_other_fields_is_409_and_the_first_submission_stands() {
    let edge = shared();
    let email = unique_email("reused");
    let key = format!("it-{email}");
    let first = post_keyed(
        edge,
        "plain",
        &key,
        &[("email", &email), ("first_name", "Ann")],
    )
    .assert_delivered();
    let edited = post_keyed(
        edge,
        "plain",
        &key,
        &[("email", &email), ("first_name", "Anna")],
    );
    edited.assert_issues(409, &["idempotency_key.reused"]);
    assert_eq!(edited.json()["issues"][0]["field"], "_closem_key");
    // The same fields again are still the same submission.
    let again = post_keyed(
        edge,
        "plain",
        &key,
        &[("email", &email), ("first_name", "Ann")],
    );
    assert_eq!(again.assert_delivered(), first);
    // CLOSEM got the first submission, once.
    let records = edge.wait_records(&email, |records| !records.is_empty());
    edge.settle();
    let records_later = edge.records_now(&email);
    assert_eq!(records_later.len(), records.len());
    assert_eq!(value_of(&fields_of(&records_later[0]), "firstname"), "Ann");
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
    for state in ["pending", "held", "delivered", "refused", "dead", "spam"] {
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
    assert_eq!(body["deliveries"]["shards"], 16, "{body}");
    assert_eq!(body["deliveries"]["retention_days"], 30, "{body}");
    assert_eq!(body["status"], "ok", "{body}");
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
    // The test instances run on the edge's defaults, which production states explicitly.
    assert_eq!(vars[0]["LEDGER_SHARDS"], quoted("16"));
    assert_eq!(vars[0]["RETENTION_DAYS"], quoted("30"));
    assert_eq!(vars[0]["SPAM_KEEP_DAYS"], quoted("14"));
    assert!(!vars[0].contains_key("LEDGER_SHARDS_PREVIOUS"));
    // The test configuration is the same shape with shorter waits.
    let test = Deliveries::TEST;
    assert!(test.max_batch_timeout <= production.max_batch_timeout);
    assert!(test.max_delay <= production.max_delay);
}
