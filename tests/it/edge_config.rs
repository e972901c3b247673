//! The worker's bindings: a FORMS given as a JSON string works like an object, wrong bindings
//! make `/health` answer 503 naming each problem while every form answers 503 `edge.not_configured`,
//! and the bundled forms file holds hundreds of forms beside the variable (the file wins).

use closem_tests::workerd::{workspace_root, Launch, Workerd, WorkerdOptions};
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
    reply.assert_status(503);
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
    reply.assert_body_has("/health");
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

/// A forms file of `count` profiles in every mode, as a site with many forms writes it:
/// `form-N` is addcontact (tag N + 1) when N % 3 == 0, runsequence (sequence N + 1) when
/// N % 3 == 1, scheduleappointment otherwise. Written under target/ for one worker.
fn many_forms_file(count: usize, name: &str) -> std::path::PathBuf {
    let mut profiles = serde_json::Map::new();
    for index in 0..count {
        let profile = match index % 3 {
            0 => json!({
                "mode": "addcontact",
                "tags": [index + 1],
                "fields": { "your-email": "email", "your-name": "fullname" },
                "allowed_origins": [format!("https://site{index}.example.com")],
            }),
            1 => json!({ "mode": "runsequence", "sequence_id": index + 1 }),
            _ => json!({
                "mode": "scheduleappointment",
                "fields": { "when": "appointment_timestamp" },
                "appointment_note": "call back",
            }),
        };
        profiles.insert(format!("form-{index}"), profile);
    }
    let dir = workspace_root().join("target/closem-tests");
    std::fs::create_dir_all(&dir).expect("create target/closem-tests");
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(&Value::Object(profiles)).expect("json");
    assert!(
        text.len() > 5 * 1024,
        "far beyond one variable's 5 KB: {}",
        text.len()
    );
    std::fs::write(&path, text).expect("write the forms file");
    path
}

#[test]
fn three_hundred_forms_bundled_in_the_file_accept_leads_beside_the_variable() {
    let file = many_forms_file(300, "forms-300.json");
    // The variable adds one form and repeats one of the file's, whose file profile must win.
    let variable = json!({
        "extra": { "mode": "addcontact", "tags": [9001] },
        "form-0": { "mode": "addcontact", "tags": [9002] },
    });
    let started = std::time::Instant::now();
    let edge = Edge::start_with(
        variable,
        "UTC",
        Launch {
            forms_file: Some(file),
            ..Launch::default()
        },
    );
    let body = health(&edge.worker.url()).json();
    eprintln!(
        "    300-form worker: started and answered /health in {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["forms"].as_array().map(Vec::len), Some(301), "{body}");

    // A form deep in the file.
    let email = unique_email("deep-form");
    edge.assert_forwards(
        "form-297",
        &[("your-email", &email), ("your-name", "Ada Deep")],
        &email,
        &[
            ("mode", "addcontact"),
            ("email", &email),
            ("fullname", "Ada Deep"),
            ("tags", "298"),
        ],
    );
    let email = unique_email("deep-sequence");
    edge.assert_forwards(
        "form-280",
        &[("email", &email)],
        &email,
        &[
            ("mode", "runsequence"),
            ("sequence_id", "281"),
            ("contact_emails", &email),
        ],
    );
    // The variable's own form, and the repeated id answered by the file's profile.
    let email = unique_email("variable-form");
    edge.assert_forwards(
        "extra",
        &[("email", &email)],
        &email,
        &[("mode", "addcontact"), ("email", &email), ("tags", "9001")],
    );
    let email = unique_email("shadowed-form");
    edge.assert_forwards(
        "form-0",
        &[("your-email", &email)],
        &email,
        &[("mode", "addcontact"), ("email", &email), ("tags", "1")],
    );
    // One line says where the profiles came from.
    let log = edge.worker.log();
    let loaded: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("\"config_loaded\""))
        .collect();
    assert_eq!(loaded.len(), 1, "{log}");
    for part in [
        "\"forms_file\":300",
        "\"forms_variable\":1",
        "\"forms_shadowed\":[\"form-0\"]",
    ] {
        assert!(loaded[0].contains(part), "{part} in {}", loaded[0]);
    }
    edge.assert_log_clean();
}

#[test]
fn a_broken_bundled_file_is_reported_by_health_by_form_and_key() {
    // `cargo xtask check` stops such a file before a deploy; a worker started with one anyway
    // refuses every form and says why.
    let file = workspace_root().join("target/closem-tests/forms-broken.json");
    std::fs::create_dir_all(file.parent().expect("a parent")).expect("create the directory");
    std::fs::write(
        &file,
        r#"{ "contact": { "mode": "addkontact" }, "guide": { "mode": "runsequence" } }"#,
    )
    .expect("write the forms file");
    let edge = Edge::start_with(
        json!({}),
        "UTC",
        Launch {
            forms_file: Some(file),
            ..Launch::default()
        },
    );
    let reply = health(&edge.worker.url());
    reply.assert_status(503);
    let body = reply.json();
    let problems: Vec<(&str, &str)> = body["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|problem| {
            (
                problem["binding"].as_str().unwrap_or_default(),
                problem["message"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (
                "forms.json.contact.mode",
                "unknown mode: use addcontact, runsequence or scheduleappointment"
            ),
            ("forms.json.guide.sequence_id", "required for runsequence"),
        ],
        "{body}"
    );
    edge.post("contact", &[("email", "jane@example.com")])
        .assert_issues(503, &["edge.not_configured"]);
}
