//! The worker's bindings: a FORMS given as a JSON string works like an object, and wrong bindings
//! make `/health` answer 503 naming each problem while every form answers 503 `edge.not_configured`.

use closem_tests::workerd::{Workerd, WorkerdOptions};
use serde_json::{json, Value};

use crate::edge_support::{
    assert_log_clean, client, forms, send, shared, unique_email, Edge, Reply, KEY,
};

fn health(base: &str) -> Reply {
    send(client().get(format!("{base}/health")))
}

fn misconfigured(base_url: &str, timezone: &str, forms: Value) -> Workerd {
    Workerd::start(WorkerdOptions {
        api_key: Some(KEY.to_string()),
        base_url: base_url.to_string(),
        timezone: timezone.to_string(),
        forms,
    })
}

#[test]
fn health_lists_the_configured_forms() {
    let edge = shared();
    let reply = health(&edge.worker.url());
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["ok"], true);
    assert_eq!(body["timezone"], "America/New_York");
    let mut forms: Vec<(String, String)> = body["forms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|form| {
            (
                form["id"].as_str().unwrap().to_string(),
                form["mode"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    forms.sort();
    let expected: Vec<(String, String)> = [
        ("appointment", "scheduleappointment"),
        ("cf7", "addcontact"),
        ("contact", "addcontact"),
        ("plain", "addcontact"),
        ("seminar", "scheduleappointment"),
        ("sequence", "runsequence"),
        ("strict", "addcontact"),
    ]
    .iter()
    .map(|(id, mode)| (id.to_string(), mode.to_string()))
    .collect();
    assert_eq!(forms, expected);
}

#[test]
fn forms_given_as_a_json_string_work_like_an_object() {
    let as_string = Edge::start(Value::String(forms().to_string()));
    let as_object = shared();

    let string_health = health(&as_string.worker.url()).json();
    let object_health = health(&as_object.worker.url()).json();
    assert_eq!(string_health["ok"], true, "{string_health}");
    assert_eq!(string_health["forms"], object_health["forms"]);

    for edge in [&as_string, as_object] {
        let email = unique_email("formsstring");
        edge.assert_forwards(
            "contact",
            &[("email", &email), ("tags", "1")],
            &email,
            &[
                ("mode", "addcontact"),
                ("upsert", "true"),
                ("email", &email),
                ("tags", "42,57"),
                ("contactlists", "18,32"),
                ("sequence_id", "99"),
            ],
        );
        edge.post("strict", &[("email", &email), ("tags", "1")])
            .assert_issues(422, &["tags.control"]);
    }
    as_string.assert_log_clean();
}

#[test]
fn bad_bindings_make_health_503_and_every_form_503_not_configured() {
    let worker = misconfigured(
        "ftp://closem.example/",
        "Mars/Olympus_Mons",
        json!({
            "contact": {"mode": "addkontact"},
            "sequence": {"mode": "runsequence"},
            "bad id!": {"mode": "addcontact"},
            "tagged": {"mode": "runsequence", "sequence_id": 5, "tags": [42]},
        }),
    );
    let reply = health(&worker.url());
    assert_eq!(reply.status, 503, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["ok"], false);
    assert_eq!(body["api_key"], "set");
    let bindings: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| {
            assert!(
                problem["message"]
                    .as_str()
                    .is_some_and(|text| !text.is_empty()),
                "{problem}"
            );
            problem["binding"].as_str().unwrap()
        })
        .collect();
    for expected in [
        "CLOSEM_BASE_URL",
        "CLOSEM_TIMEZONE",
        "FORMS.contact.mode",
        "FORMS.sequence.sequence_id",
        "FORMS.bad id!",
        "FORMS.tagged.tags",
    ] {
        assert!(bindings.contains(&expected), "{expected} in {bindings:?}");
    }

    for form in ["x", "contact"] {
        let reply = send(
            client()
                .post(format!("{}/f/{form}", worker.url()))
                .header("Accept", "application/json")
                .form(&[("email", "jane@example.com")]),
        );
        reply.assert_issues(503, &["edge.not_configured"]);
        assert!(reply.header("retry-after").is_some());
    }
    // A native post gets the same news as a page.
    let reply = send(
        client()
            .post(format!("{}/f/x", worker.url()))
            .form(&[("email", "jane@example.com")]),
    );
    assert_eq!(reply.status, 503);
    assert!(reply.body.contains("/health"), "{}", reply.body);
    assert_log_clean(&worker);
}

#[test]
fn forms_that_are_not_json_are_reported_by_health() {
    let worker = misconfigured(
        "http://127.0.0.1:9/",
        "UTC",
        Value::String("{\"contact\": {\"mode\": ".into()),
    );
    let reply = health(&worker.url());
    assert_eq!(reply.status, 503);
    let body = reply.json();
    let problems = body["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|problem| problem["binding"].as_str().unwrap().starts_with("FORMS")),
        "{body}"
    );
    let reply = send(
        client()
            .post(format!("{}/f/x", worker.url()))
            .header("Accept", "application/json")
            .form(&[("email", "jane@example.com")]),
    );
    reply.assert_issues(503, &["edge.not_configured"]);
}
