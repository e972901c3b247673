//! The API key never leaves the worker: not in any response (every reply read through
//! `edge_support::send` is checked) and not in the worker's log, after a run through every path.
//! Log lines carry no raw email address either.

use std::time::{Duration, Instant};

use crate::edge_support::{
    client, encode, records_at, shared, start_keyed, unique_email, Encoding, KEY,
};

#[test]
fn key_and_visitor_emails_stay_out_of_responses_and_the_log_across_every_path() {
    let edge = shared();
    let email = unique_email("secret");
    let email = email.as_str();

    // Deliveries in every mode and both encodings.
    let delivered = edge.post("contact", &[("email", email), ("phone", "5554443333")]);
    delivered.assert_delivered();
    edge.post_as("sequence", &[("email", email)], Encoding::Multipart)
        .assert_delivered();
    edge.post(
        "appointment",
        &[
            ("email", email),
            ("appointment_note", "Demo"),
            ("appointment_timestamp", "12/01/2030 09:00 AM"),
        ],
    )
    .assert_delivered();
    // Validation, control fields, spam, native pages.
    edge.post("plain", &[("email", "nope"), ("phone", "1")])
        .assert_issues(422, &["phone.format", "email.format"]);
    edge.post("strict", &[("email", email), ("auth", KEY)])
        .assert_issues(422, &["auth.control"]);
    edge.post("contact", &[("email", email), ("auth", KEY), ("m", "api")])
        .assert_delivered();
    edge.post("contact", &[("email", email), ("company_website", "x")])
        .assert_delivered();
    assert_eq!(edge.post_native("contact", &[("email", email)]).status, 303);
    assert_eq!(edge.post_native("plain", &[("email", "nope")]).status, 422);
    // CORS, routing, bodies.
    let preflight = |origin: &str| {
        edge.send(
            client()
                .request(reqwest::Method::OPTIONS, edge.url("/f/contact"))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST"),
        )
        .status
    };
    assert_eq!(preflight("https://www.example.com"), 204);
    assert_eq!(preflight("https://evil.example.net"), 403);
    let forbidden = client()
        .post(edge.url("/f/contact"))
        .header("Origin", "https://evil.example.net")
        .header("Accept", "application/json");
    edge.send(encode(forbidden, &[("email", email)], Encoding::UrlEncoded))
        .assert_issues(403, &["origin.forbidden"]);
    edge.post("missing", &[("email", email)])
        .assert_issues(404, &["form.unknown"]);
    assert_eq!(edge.send(client().get(edge.url("/f/contact"))).status, 405);
    let text = client()
        .post(edge.url("/f/plain"))
        .header("Accept", "application/json")
        .header("Content-Type", "text/plain")
        .body(format!("email={email}"));
    edge.send(text).assert_issues(415, &["body.content_type"]);
    let huge = client()
        .post(edge.url("/f/plain"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("notes={}", "x".repeat(70_000)));
    edge.send(huge).assert_issues(413, &["body.too_large"]);
    assert_eq!(edge.send(client().get(edge.url("/health"))).status, 200);
    assert_eq!(edge.send(client().get(edge.url("/thanks"))).status, 200);

    // The log is captured (the delivery's id shows up in it), and holds neither key nor email.
    let id = delivered.json()["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !edge.worker.log().contains(&id) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = edge.worker.log();
    assert!(log.contains(&id), "the log never showed {id}:\n{log}");
    edge.assert_log_clean();
    assert!(
        !log.contains(email),
        "the log shows a visitor's email:\n{log}"
    );
    assert!(
        !log.contains("5554443333"),
        "the log shows a visitor's phone:\n{log}"
    );
}

/// A key with characters that mean something in a query string (and `%41`, which a double
/// decoding would turn into `A`) reaches CLOSEM exactly, and leaks in neither form.
#[test]
fn a_key_with_reserved_characters_reaches_closem_intact() {
    let key = "Kx+9/q=&auth=z%41é~";
    let encoded = "Kx%2B9%2Fq%3D%26auth%3Dz%2541%C3%A9~";
    let (sandbox, worker) = start_keyed(key, key);
    let email = unique_email("reserved");
    let response = client()
        .post(format!("{}/f/plain", worker.url()))
        .header("Accept", "application/json")
        .form(&[("email", &email)])
        .send()
        .expect("the worker answers");
    let headers = format!("{:?}", response.headers());
    let body = response.text().expect("a body");
    assert!(body.contains("\"ok\":true"), "{body}");
    // Delivery is queued (issue 6): wait for the one request to arrive.
    let list = || records_at(&sandbox.url());
    let deadline = Instant::now() + Duration::from_secs(30);
    while list().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let records = list();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["auth_matched"], true, "{}", records[0]);
    assert_eq!(records[0]["accepted"], true, "{}", records[0]);
    let log = worker.log();
    for form in [key, encoded] {
        assert!(!headers.contains(form) && !body.contains(form), "{form}");
        assert!(!log.contains(form), "the log shows {form}:\n{log}");
    }
}
