//! Durable delivery, exactly once as CLOSEM sees it (issues 6 and 11): idempotency keys (and a
//! key reused with other fields), the ledger's operator routes, and the wrangler configuration
//! the harness mirrors. Fault injection is in edge_soak.rs.

use std::collections::BTreeSet;

use closem_tests::workerd::{
    bindings, production_config, Deliveries, DEAD_LETTER_QUEUE, DEAD_LETTER_RETRIES,
    LEDGER_BINDING, LEDGER_CLASS, QUEUE, QUEUE_BINDING,
};
use serde_json::json;

use crate::edge_support::{
    client, fields_of, shared, unique_email, value_of, Edge, Encoding, Reply, ADMIN,
};

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

/// A fresh marker email for `tag` and an idempotency key of its own.
fn email_and_key(tag: &str) -> (String, String) {
    let email = unique_email(tag);
    let key = format!("it-{email}");
    (email, key)
}

/// Posts `fields` to `form` as the widget does, with `key` in the `Idempotency-Key` header.
fn post_keyed(edge: &Edge, form: &str, key: &str, fields: &[(&str, &str)]) -> Reply {
    edge.post_with(
        form,
        &[("Accept", "application/json"), ("Idempotency-Key", key)],
        fields,
        Encoding::UrlEncoded,
    )
}

#[test]
fn resubmitting_with_the_same_key_answers_the_same_id_and_closem_sees_it_once() {
    let edge = shared();
    let (email, key) = email_and_key("resubmit");
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
    let (email, key) = email_and_key("reused");
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
    let (email, key) = email_and_key("twoforms");
    let ids: Vec<String> = ["contact", "plain"]
        .into_iter()
        .map(|form| post_keyed(edge, form, &key, &[("email", &email)]).assert_delivered())
        .collect();
    assert_ne!(ids[0], ids[1]);
    let records = edge.wait_records(&email, |records| records.len() == 2);
    let keys: BTreeSet<&str> = records
        .iter()
        .filter_map(|record| record["idempotency_key"].as_str())
        .collect();
    assert_eq!(keys, ids.iter().map(String::as_str).collect());
}

#[test]
fn a_native_post_sent_twice_is_one_submission_and_a_changed_one_is_another() {
    let edge = shared();
    let email = unique_email("nativetwice");
    let fields = [("email", email.as_str()), ("first_name", "Ann")];
    for _ in 0..2 {
        edge.post_native("plain", &fields).assert_status(303);
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
    let by_header = |key: &str| post_keyed(edge, "plain", key, &[("email", &email)]);
    let by_field = |key: &str| edge.post("plain", &[("email", &email), ("_closem_key", key)]);
    let long = "x".repeat(201);
    for reply in [by_header("has space"), by_header(&long), by_field("")] {
        reply.assert_issues(400, &["idempotency_key.invalid"]);
    }
    edge.assert_not_forwarded(&email);
}

#[test]
fn admin_routes_want_the_bearer_token() {
    let edge = shared();
    let list = || client().get(edge.url("/admin/submissions"));
    let missing = edge.send(list());
    missing.assert_status(401);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    edge.send(list().bearer_auth("edge-it-admin-token-5b1e0c95"))
        .assert_status(401);
    edge.send(list().bearer_auth("edge")).assert_status(401);
    let replay = edge.send(client().post(edge.url("/admin/replay")).bearer_auth("nope"));
    replay.assert_status(401);

    let good = edge.send(list().bearer_auth(ADMIN));
    good.assert_status(200);
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
        let reply = edge.admin_get(path);
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
    }
    edge.send(
        client()
            .post(edge.url("/admin/replay?key=../../x"))
            .bearer_auth(ADMIN),
    )
    .assert_status(400);
    edge.admin_get("/admin/replay").assert_status(405);
}

#[test]
fn a_delivered_submission_is_listed_with_its_fields_and_state() {
    let edge = shared();
    let (email, id) = edge.lead("contact", "listed");
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

#[test]
fn wrangler_jsonc_declares_the_bindings_the_harness_uses() {
    let production = Deliveries::PRODUCTION;
    let config = production_config();
    // The queue, both consumers, the ledger and its migration: exactly what test instances get,
    // with production's numbers.
    let expected = bindings(&production);
    for key in ["queues", "durable_objects", "migrations"] {
        assert_eq!(config[key], expected[key], "{key}");
    }
    assert_eq!(config["queues"]["producers"][0]["binding"], QUEUE_BINDING);
    assert_eq!(config["queues"]["consumers"][0]["queue"], QUEUE);
    assert_eq!(
        config["queues"]["consumers"][0]["dead_letter_queue"],
        DEAD_LETTER_QUEUE
    );
    assert_eq!(
        config["queues"]["consumers"][1]["max_retries"],
        DEAD_LETTER_RETRIES
    );
    assert_eq!(
        config["durable_objects"]["bindings"][0]["name"],
        LEDGER_BINDING
    );
    assert_eq!(
        config["migrations"][0]["new_sqlite_classes"][0],
        LEDGER_CLASS
    );
    // The entry bundles the forms file beside the configuration.
    assert_eq!(config["main"], "entry.mjs");
    assert_eq!(config["build"]["command"], "cargo xtask build");

    let vars = &config["vars"];
    assert_eq!(vars["DELIVERY_MAX_DELAY"], production.max_delay.to_string());
    // The test instances run on the edge's defaults, which production states explicitly.
    assert_eq!(vars["LEDGER_SHARDS"], "16");
    assert_eq!(vars["RETENTION_DAYS"], "30");
    assert_eq!(vars["SPAM_KEEP_DAYS"], "14");
    assert!(vars.get("LEDGER_SHARDS_PREVIOUS").is_none());
    // Profiles live in edge/forms.json; the variable is for small setups only.
    assert!(vars.get("FORMS").is_none());
    // The test configuration is the same shape with shorter waits.
    let test = Deliveries::TEST;
    assert!(test.max_batch_timeout <= production.max_batch_timeout);
    assert!(test.max_delay <= production.max_delay);
}
