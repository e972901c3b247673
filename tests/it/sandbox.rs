//! The CLOSEM sandbox itself: the documented rules it enforces, what it records, and the faults it
//! can be ordered to produce. Each test spawns its own sandbox in-process.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use closem_tests::sandbox::{spawn, SandboxHandle};
use reqwest::blocking::{multipart, Client};
use serde_json::{json, Value};

use crate::edge_reference::add_contact_example;

const KEY: &str = "sbx-test-key-7f3a91";

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

fn form(fields: &[(&str, &str)]) -> multipart::Form {
    fields
        .iter()
        .fold(multipart::Form::new(), |form, (name, value)| {
            form.text(name.to_string(), value.to_string())
        })
}

/// Posts `fields` as multipart form data, as the edge does; returns the status and JSON body.
fn post(sandbox: &SandboxHandle, fields: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(sandbox.api_url())
        .multipart(form(fields))
        .send()
        .expect("the sandbox answers");
    let status = response.status().as_u16();
    (status, response.json().expect("a JSON answer"))
}

fn check_accepted(sandbox: &SandboxHandle, fields: &[(&str, &str)], mode: &str) {
    let (status, body) = post(sandbox, fields);
    assert_eq!(status, 200, "{fields:?} -> {body}");
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["mode"], mode, "{body}");
    assert!(
        body["id"].as_str().is_some_and(|id| id.starts_with("sbx-")),
        "{body}"
    );
}

fn check_refused(sandbox: &SandboxHandle, fields: &[(&str, &str)], expected_errors: &[&str]) {
    let (status, body) = post(sandbox, fields);
    assert_eq!(status, 422, "{fields:?} -> {body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["errors"], json!(expected_errors), "{fields:?}");
}

fn requests(sandbox: &SandboxHandle, query: &str) -> Vec<Value> {
    client()
        .get(format!("{}/_sandbox/requests{query}", sandbox.url()))
        .send()
        .and_then(|response| response.error_for_status())
        .and_then(|response| response.json())
        .expect("the recorded requests")
}

fn order_faults(sandbox: &SandboxHandle, order: Value) -> Value {
    let response = client()
        .post(format!("{}/_sandbox/faults", sandbox.url()))
        .json(&order)
        .send()
        .expect("the sandbox answers");
    assert_eq!(response.status().as_u16(), 200, "fault order {order}");
    response.json().expect("the faults in force")
}

const CONTACT: &[(&str, &str)] = &[("mode", "addcontact"), ("email", "jane@example.com")];

#[test]
fn sandbox_health_answers_ok() {
    let sandbox = spawn(KEY);
    let response = client()
        .get(format!("{}/_sandbox/health", sandbox.url()))
        .send()
        .expect("health answers");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().unwrap(), "ok");
}

#[test]
fn sandbox_addcontact_accepts_the_reference_curl_fields() {
    let sandbox = spawn(KEY);
    let fields = add_contact_example("john.doe@example.com");
    let (status, body) = post(&sandbox, &fields);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"status": "success", "id": "sbx-000001", "mode": "addcontact"})
    );
}

#[test]
fn sandbox_addcontact_accepts_every_documented_alias() {
    let sandbox = spawn(KEY);
    for phone in ["phone", "phonenumber", "number", "phone_number"] {
        check_accepted(
            &sandbox,
            &[("mode", "addcontact"), (phone, "+15554443333")],
            "addcontact",
        );
    }
    for email in ["email", "mail", "emailaddress", "email_address"] {
        check_accepted(
            &sandbox,
            &[("mode", "addcontact"), (email, "jane@example.com")],
            "addcontact",
        );
    }
    let optional = [
        ("name", "Jane Roe"),
        ("full_name", "Jane Roe"),
        ("first", "Jane"),
        ("first_name", "Jane"),
        ("last", "Roe"),
        ("last_name", "Roe"),
        ("note", "called twice"),
        ("street", "1 Main St"),
        ("zip_code", "99999"),
        ("zipcode", "99999"),
        ("tag", "42"),
        ("contactlist", "18"),
        ("contact_lists", "18,32"),
        ("contact_list", "32"),
    ];
    for (alias, value) in optional {
        check_accepted(
            &sandbox,
            &[
                ("mode", "addcontact"),
                ("email", "jane@example.com"),
                (alias, value),
            ],
            "addcontact",
        );
    }
    let accepted = requests(&sandbox, "?accepted=1");
    assert_eq!(accepted.len(), 8 + optional.len());
    assert!(accepted
        .iter()
        .all(|request| request["unknown_fields"] == json!([])));
}

#[test]
fn sandbox_contacts_are_added_again_without_upsert_and_modified_with_it() {
    let sandbox = spawn(KEY);
    let ann = [("mode", "addcontact"), ("email", "Ann@Example.com")];
    check_accepted(&sandbox, &ann, "addcontact");
    // The same person again without upsert: CLOSEM holds her twice.
    check_accepted(&sandbox, &ann, "addcontact");
    // With upsert, found by email (any case) or by phone: her contact changes, none is added.
    let upsert = [
        ("mode", "addcontact"),
        ("email", "ann@example.com"),
        ("upsert", "true"),
    ];
    check_accepted(&sandbox, &upsert, "addcontact");
    let bob = [
        ("mode", "addcontact"),
        ("phone", "+1 (555) 444-3333"),
        ("upsert", "true"),
    ];
    check_accepted(&sandbox, &bob, "addcontact");
    let bob_again = [
        ("mode", "addcontact"),
        ("phone", "5554443333"),
        ("upsert", "true"),
    ];
    check_accepted(&sandbox, &bob_again, "addcontact");
    let contacts: Vec<Value> = requests(&sandbox, "")
        .iter()
        .map(|request| request["contact"].clone())
        .collect();
    assert_eq!(
        contacts,
        [
            json!("created"),
            json!("created"),
            json!("modified"),
            json!("created"),
            json!("modified")
        ]
    );
}

#[test]
fn sandbox_addcontact_without_phone_or_email_is_refused() {
    let sandbox = spawn(KEY);
    check_refused(
        &sandbox,
        &[
            ("mode", "addcontact"),
            ("fullname", "John Doe"),
            ("phone", ""),
        ],
        &["phone or email is required: send phone, email or both"],
    );
}

#[test]
fn sandbox_runsequence_accepts_the_reference_curl_fields() {
    let sandbox = spawn(KEY);
    check_accepted(
        &sandbox,
        &[
            ("mode", "runsequence"),
            ("sequence_id", "55"),
            ("contact_emails", "jane@example.com,john@example.com"),
            ("contact_phones", "+15554443333,777-888-9999"),
            ("contactlists", "18,32"),
            ("tags", "42,57"),
        ],
        "runsequence",
    );
    for target in [
        ("contact_emails", "jane@example.com"),
        ("contact_phones", "+15554443333"),
        ("contactlists", "18,32"),
        ("contact_list", "18"),
        ("tags", "42,57"),
        ("tag", "42"),
    ] {
        check_accepted(
            &sandbox,
            &[("mode", "runsequence"), ("sequence_id", "55"), target],
            "runsequence",
        );
    }
}

#[test]
fn sandbox_runsequence_without_sequence_id_or_target_is_refused() {
    let sandbox = spawn(KEY);
    check_refused(
        &sandbox,
        &[("mode", "runsequence")],
        &[
            "sequence_id is required for runsequence",
            "runsequence needs at least one of contact_emails, contact_phones, contact_lists or tags",
        ],
    );
    check_refused(
        &sandbox,
        &[("mode", "runsequence"), ("tags", "42")],
        &["sequence_id is required for runsequence"],
    );
}

#[test]
fn sandbox_scheduleappointment_accepts_unix_seconds_and_both_date_formats() {
    let sandbox = spawn(KEY);
    let in_an_hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600)
        .to_string();
    for timestamp in [
        in_an_hour.as_str(),
        "04/01/2099 12:30 PM",
        "04/01/99 12:30 pm",
        "12/31/2098 09:05 am",
    ] {
        check_accepted(
            &sandbox,
            &[
                ("mode", "scheduleappointment"),
                ("appointment_note", "Virtural Training Seminar"),
                ("appointment_timestamp", timestamp),
                ("contact_emails", "jane@example.com,john@example.com"),
                ("contact_phones", "+15554443333,1-777-888-9999"),
                ("contactlists", "18,32"),
                ("tags", "42,57"),
            ],
            "scheduleappointment",
        );
    }
}

#[test]
fn sandbox_scheduleappointment_without_note_timestamp_or_target_is_refused() {
    let sandbox = spawn(KEY);
    check_refused(
        &sandbox,
        &[("mode", "scheduleappointment")],
        &[
            "appointment_note is required for scheduleappointment",
            "appointment_timestamp is required for scheduleappointment",
            "scheduleappointment needs at least one of contact_emails, contact_phones, contact_lists or tags",
        ],
    );
}

#[test]
fn sandbox_bad_phone_formats_are_refused() {
    let sandbox = spawn(KEY);
    for phone in [
        "555-4443",
        "+1 555 444 3333",
        "(555) 444-3333",
        "+44 20 7946 0958",
        "phone",
    ] {
        check_refused(
            &sandbox,
            &[("mode", "addcontact"), ("phone", phone)],
            &["phone must look like +1 (555) 444-3333"],
        );
    }
    check_refused(
        &sandbox,
        &[
            ("mode", "runsequence"),
            ("sequence_id", "55"),
            ("contact_phones", "+15554443333,555-4443"),
        ],
        &["contact_phones entry 2 must look like +1 (555) 444-3333"],
    );
    for phone in [
        "+1 (555) 444-3333",
        "+15554443333",
        "15554443333",
        "1-555-444-3333",
        "555-444-3333",
        "5554443333",
    ] {
        check_accepted(
            &sandbox,
            &[("mode", "addcontact"), ("phone", phone)],
            "addcontact",
        );
    }
}

#[test]
fn sandbox_bad_and_past_timestamps_are_refused() {
    let sandbox = spawn(KEY);
    let appointment = |timestamp: &'static str| {
        [
            ("mode", "scheduleappointment"),
            ("appointment_note", "Demo call"),
            ("appointment_timestamp", timestamp),
            ("tags", "42"),
        ]
    };
    for bad in [
        "2099-04-01T12:30:00Z",
        "4/1/2099 12:30 PM",
        "04/01/2099 13:30 PM",
        "04/01/2099 12:30",
        "02/30/2099 10:00 AM",
        "soon",
    ] {
        check_refused(
            &sandbox,
            &appointment(bad),
            &["appointment_timestamp must be UNIX seconds or a date like 04/01/2030 12:30 PM"],
        );
    }
    // The reference's own example is now in the past.
    for past in ["04/01/2022 12:30 PM", "1648816200"] {
        check_refused(
            &sandbox,
            &appointment(past),
            &["appointment_timestamp must be in the future"],
        );
    }
}

#[test]
fn sandbox_bad_emails_ids_and_two_sequence_ids_are_refused() {
    let sandbox = spawn(KEY);
    check_refused(
        &sandbox,
        &[
            ("mode", "addcontact"),
            ("email", "jane@localhost"),
            ("tags", "42;57"),
            ("contact_list", "18,,32"),
            ("sequence_id", "99,100"),
        ],
        &[
            "email must look like name@example.com",
            "tags must be numeric ids separated by commas, like 42,57",
            "contact_list must be numeric ids separated by commas, like 18,32",
            "sequence_id must be one numeric id, like 99",
        ],
    );
    check_refused(
        &sandbox,
        &[
            ("mode", "runsequence"),
            ("sequence_id", "55"),
            ("contact_emails", "jane@example.com,not-an-email"),
        ],
        &["contact_emails entry 2 must look like name@example.com"],
    );
}

#[test]
fn sandbox_missing_or_unknown_mode_is_refused() {
    let sandbox = spawn(KEY);
    check_refused(
        &sandbox,
        &[("email", "jane@example.com")],
        &["mode is required: use addcontact, runsequence or scheduleappointment"],
    );
    check_refused(
        &sandbox,
        &[("mode", "deletecontact"), ("email", "jane@example.com")],
        &["mode must be addcontact, runsequence or scheduleappointment, not \"deletecontact\""],
    );
}

#[test]
fn sandbox_missing_auth_is_401_and_wrong_auth_is_403_without_echoing_keys() {
    let sandbox = spawn(KEY);
    let wrong_key = "wrong-key-d41d8cd9";
    for (query, expected_status) in [
        ("?m=api".to_string(), 401),
        ("?m=api&auth=".to_string(), 401),
        (format!("?m=api&auth={wrong_key}"), 403),
    ] {
        let response = client()
            .post(format!("{}/{query}", sandbox.url()))
            .multipart(form(CONTACT))
            .send()
            .expect("the sandbox answers");
        assert_eq!(response.status().as_u16(), expected_status, "{query}");
        let body = response.text().unwrap();
        assert!(body.contains("\"status\":\"error\""), "{body}");
        assert!(!body.contains(KEY) && !body.contains(wrong_key), "{body}");
    }
    let recorded = requests(&sandbox, "");
    assert_eq!(recorded.len(), 3);
    assert!(recorded
        .iter()
        .all(|request| request["auth_matched"] == false));
    let recorded_text = serde_json::to_string(&recorded).unwrap();
    assert!(!recorded_text.contains(KEY) && !recorded_text.contains(wrong_key));
}

#[test]
fn sandbox_missing_or_wrong_m_is_400() {
    let sandbox = spawn(KEY);
    for query in [format!("?auth={KEY}"), format!("?m=apx&auth={KEY}")] {
        let response = client()
            .post(format!("{}/{query}", sandbox.url()))
            .multipart(form(CONTACT))
            .send()
            .expect("the sandbox answers");
        assert_eq!(response.status().as_u16(), 400, "{query}");
        let body: Value = response.json().unwrap();
        assert_eq!(
            body["errors"],
            json!(["m must be api: post to ?m=api&auth=<api key>"])
        );
    }
}

#[test]
fn sandbox_urlencoded_body_is_accepted() {
    let sandbox = spawn(KEY);
    let response = client()
        .post(sandbox.api_url())
        .form(&[
            ("mode", "addcontact"),
            ("phone", "+1 (555) 444-3333"),
            ("name", "Zoë & Co"),
        ])
        .send()
        .expect("the sandbox answers");
    assert_eq!(response.status().as_u16(), 200);
    let recorded = requests(&sandbox, "");
    assert_eq!(
        recorded[0]["content_type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        recorded[0]["fields"],
        json!([
            ["mode", "addcontact"],
            ["phone", "+1 (555) 444-3333"],
            ["name", "Zoë & Co"]
        ])
    );
}

#[test]
fn sandbox_other_content_types_are_415_and_huge_bodies_413() {
    let sandbox = spawn(KEY);
    let response = client()
        .post(sandbox.api_url())
        .json(&json!({"mode": "addcontact", "email": "jane@example.com"}))
        .send()
        .expect("the sandbox answers");
    assert_eq!(response.status().as_u16(), 415);

    let huge = "x".repeat(closem_tests::sandbox::BODY_LIMIT + 1000);
    let response = client()
        .post(sandbox.api_url())
        .form(&[
            ("mode", "addcontact"),
            ("email", "jane@example.com"),
            ("notes", &huge),
        ])
        .send()
        .expect("the sandbox answers");
    assert_eq!(response.status().as_u16(), 413);
    let statuses: Vec<Value> = requests(&sandbox, "")
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(415), json!(413)]);
}

#[test]
fn sandbox_records_every_request_in_order_and_filters_accepted() {
    let sandbox = spawn(KEY);
    let fields = [
        ("mode", "addcontact"),
        ("zip", "99999"),
        ("email", "jane@example.com"),
        ("city", "Springfield"),
        ("website", "https://example.com"),
    ];
    let response = client()
        .post(sandbox.api_url())
        .header("Idempotency-Key", "submission-0001")
        .multipart(form(&fields))
        .send()
        .expect("the sandbox answers");
    assert_eq!(response.status().as_u16(), 200);
    check_refused(
        &sandbox,
        &[("mode", "addcontact")],
        &["phone or email is required: send phone, email or both"],
    );

    let all = requests(&sandbox, "");
    assert_eq!(all.len(), 2);
    let first = &all[0];
    assert_eq!(first["seq"], 1);
    assert_eq!(first["id"], "sbx-000001");
    assert_eq!(first["mode"], "addcontact");
    assert_eq!(first["status"], 200);
    assert_eq!(first["accepted"], true);
    assert_eq!(first["fault"], Value::Null);
    assert_eq!(first["auth_matched"], true);
    assert_eq!(first["idempotency_key"], "submission-0001");
    assert!(first["content_type"]
        .as_str()
        .is_some_and(|content_type| content_type.starts_with("multipart/form-data; boundary=")));
    assert!(first["time"]
        .as_str()
        .is_some_and(|time| time.ends_with('Z')));
    assert_eq!(
        first["fields"],
        json!(fields
            .iter()
            .map(|(name, value)| [name, value])
            .collect::<Vec<_>>())
    );
    assert_eq!(first["unknown_fields"], json!(["website"]));
    let second = &all[1];
    assert_eq!(second["seq"], 2);
    assert_eq!(second["status"], 422);
    assert_eq!(second["accepted"], false);
    assert_eq!(second["id"], Value::Null);
    assert_eq!(
        second["errors"],
        json!(["phone or email is required: send phone, email or both"])
    );

    let accepted = requests(&sandbox, "?accepted=1");
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["seq"], 1);
    let refused = requests(&sandbox, "?accepted=0");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["seq"], 2);
}

#[test]
fn sandbox_ids_are_sequential_over_accepted_requests() {
    let sandbox = spawn(KEY);
    check_refused(
        &sandbox,
        &[("mode", "addcontact")],
        &["phone or email is required: send phone, email or both"],
    );
    let ids: Vec<Value> = (0..3)
        .map(|_| post(&sandbox, CONTACT).1["id"].clone())
        .collect();
    assert_eq!(
        ids,
        [
            json!("sbx-000001"),
            json!("sbx-000002"),
            json!("sbx-000003")
        ]
    );
}

#[test]
fn sandbox_deleting_requests_clears_the_record() {
    let sandbox = spawn(KEY);
    post(&sandbox, CONTACT);
    assert_eq!(requests(&sandbox, "").len(), 1);
    let response = client()
        .delete(format!("{}/_sandbox/requests", sandbox.url()))
        .send()
        .expect("the sandbox answers");
    assert!(response.status().is_success());
    assert!(requests(&sandbox, "").is_empty());
}

#[test]
fn sandbox_fail_next_fails_exactly_n_requests_with_the_status() {
    let sandbox = spawn(KEY);
    let faults = order_faults(&sandbox, json!({"fail_next": 2, "status": 500}));
    assert_eq!(faults["fail_next"], 2);
    assert_eq!(faults["fail_next_status"], 500);
    assert_eq!(post(&sandbox, CONTACT).0, 500);
    assert_eq!(post(&sandbox, CONTACT).0, 500);
    assert_eq!(post(&sandbox, CONTACT).0, 200);
    let recorded = requests(&sandbox, "");
    let summary: Vec<(Value, Value, Value)> = recorded
        .iter()
        .map(|request| {
            (
                request["status"].clone(),
                request["accepted"].clone(),
                request["fault"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!(500), json!(false), json!("fail_next")),
            (json!(500), json!(false), json!("fail_next")),
            (json!(200), json!(true), Value::Null),
        ]
    );
    assert_eq!(
        recorded[0]["fields"],
        json!([["mode", "addcontact"], ["email", "jane@example.com"]])
    );
}

#[test]
fn sandbox_latency_delays_responses_until_cleared() {
    let sandbox = spawn(KEY);
    order_faults(&sandbox, json!({"latency_ms": 300}));
    let started = Instant::now();
    assert_eq!(post(&sandbox, CONTACT).0, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    order_faults(&sandbox, json!({"latency_ms": 0}));
    let started = Instant::now();
    assert_eq!(post(&sandbox, CONTACT).0, 200);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn sandbox_drop_next_drops_the_connection_without_an_answer() {
    let sandbox = spawn(KEY);
    order_faults(&sandbox, json!({"drop_next": 1}));
    let dropped = client()
        .post(sandbox.api_url())
        .multipart(form(CONTACT))
        .send();
    let error = dropped.expect_err("the connection is dropped, not answered");
    assert!(error.status().is_none(), "{error:?}");
    assert!(error.is_request() && !error.is_timeout(), "{error:?}");

    // On the wire: the socket closes with not one byte of an HTTP answer.
    order_faults(&sandbox, json!({"drop_next": 1}));
    let mut socket = TcpStream::connect(sandbox.address()).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let body = "mode=addcontact&email=jane%40example.com";
    let raw_request = format!(
        "POST /?m=api&auth={KEY} HTTP/1.1\r\nHost: sandbox\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(raw_request.as_bytes()).expect("write");
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));

    assert_eq!(post(&sandbox, CONTACT).0, 200);
    let recorded = requests(&sandbox, "");
    assert_eq!(recorded.len(), 3);
    for dropped in &recorded[..2] {
        assert_eq!(dropped["fault"], "drop_next");
        assert_eq!(dropped["status"], Value::Null);
        assert_eq!(dropped["accepted"], false);
    }
    assert_eq!(recorded[2]["accepted"], true);
}

#[test]
fn sandbox_down_fails_every_request_until_turned_off() {
    let sandbox = spawn(KEY);
    order_faults(&sandbox, json!({"down": true}));
    for _ in 0..3 {
        let (status, body) = post(&sandbox, CONTACT);
        assert_eq!(status, 503);
        assert_eq!(body["status"], "error");
    }
    assert!(requests(&sandbox, "?accepted=1").is_empty());
    order_faults(&sandbox, json!({"down": false}));
    assert_eq!(post(&sandbox, CONTACT).0, 200);
}

#[test]
fn sandbox_fail_rate_fails_a_repeatable_fraction() {
    let sandbox = spawn(KEY);
    let run = |sandbox: &SandboxHandle| -> Vec<u16> {
        order_faults(sandbox, json!({"fail_rate": 0.3, "status": 503, "seed": 7}));
        let client = client();
        (0..200)
            .map(|_| {
                client
                    .post(sandbox.api_url())
                    .form(CONTACT)
                    .send()
                    .expect("the sandbox answers")
                    .status()
                    .as_u16()
            })
            .collect()
    };
    let first = run(&sandbox);
    let failed = first.iter().filter(|status| **status == 503).count();
    assert!((40..=80).contains(&failed), "{failed} of 200 failed");
    assert!(first.iter().all(|status| *status == 503 || *status == 200));
    assert_eq!(
        run(&sandbox),
        first,
        "the same seed fails the same requests"
    );
}

#[test]
fn sandbox_deleting_faults_clears_every_order() {
    let sandbox = spawn(KEY);
    order_faults(
        &sandbox,
        json!({"fail_next": 5, "drop_next": 2, "down": true, "latency_ms": 50, "fail_rate": 1.0}),
    );
    let response = client()
        .delete(format!("{}/_sandbox/faults", sandbox.url()))
        .send()
        .expect("the sandbox answers");
    assert_eq!(response.status().as_u16(), 200);
    let shown: Value = client()
        .get(format!("{}/_sandbox/faults", sandbox.url()))
        .send()
        .and_then(|response| response.json())
        .expect("the faults in force");
    assert_eq!(shown["fail_next"], 0);
    assert_eq!(shown["drop_next"], 0);
    assert_eq!(shown["down"], false);
    assert_eq!(shown["latency_ms"], 0);
    assert_eq!(shown["fail_rate"], 0.0);
    assert_eq!(post(&sandbox, CONTACT).0, 200);
}

#[test]
fn sandbox_bad_fault_orders_are_refused() {
    let sandbox = spawn(KEY);
    for order in [
        json!({"fail_next": -1}),
        json!({"fail_rate": 1.5}),
        json!({"status": 503}),
        json!({"fail_next": 1, "status": 200}),
        json!({"explode": true}),
        json!([1, 2]),
    ] {
        let response = client()
            .post(format!("{}/_sandbox/faults", sandbox.url()))
            .json(&order)
            .send()
            .expect("the sandbox answers");
        assert_eq!(response.status().as_u16(), 400, "{order}");
    }
    assert_eq!(
        post(&sandbox, CONTACT).0,
        200,
        "no refused order took effect"
    );
}

#[test]
fn sandbox_inbox_escapes_submitted_markup_and_refreshes() {
    let sandbox = spawn(KEY);
    let attack = "<script>alert('x')</script>";
    post(
        &sandbox,
        &[
            ("mode", "addcontact"),
            ("email", "jane@example.com"),
            ("notes", attack),
            (attack, "1"),
        ],
    );
    for path in ["/_sandbox/", "/_sandbox/inbox"] {
        let response = client()
            .get(format!("{}{path}", sandbox.url()))
            .send()
            .expect("the inbox answers");
        assert_eq!(response.status().as_u16(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let page = response.text().unwrap();
        assert!(!page.contains("<script"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(page.contains("http-equiv=\"refresh\" content=\"2\""));
        assert!(page.contains("jane@example.com"));
    }
}

#[test]
fn sandbox_dropping_the_handle_stops_the_sandbox() {
    let sandbox = spawn(KEY);
    let health = format!("{}/_sandbox/health", sandbox.url());
    assert_eq!(client().get(&health).send().unwrap().status().as_u16(), 200);
    drop(sandbox);
    assert!(client().get(&health).send().is_err());
}
