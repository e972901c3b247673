//! Bad input of every kind gets a 4xx listing every problem by code, never a 5xx, and nothing
//! reaches CLOSEM; oversize bodies get 413; unknown forms 404 and other methods 405.

use crate::edge_support::{client, shared, unique_email, urlencoded, Reply};

const URLENCODED: Option<&str> = Some("application/x-www-form-urlencoded");

/// Posts `body` to `/f/{form}` for JSON and checks the status and the issue codes; `marker`, when
/// given, must not reach CLOSEM.
fn check(
    form: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    status: u16,
    codes: &[&str],
    marker: Option<&str>,
) {
    let edge = shared();
    let mut request = client()
        .post(edge.url(&format!("/f/{form}")))
        .header("Accept", "application/json");
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    let reply = edge.send(request.body(body));
    assert!(reply.status < 500, "{form} {content_type:?}: {reply:?}");
    reply.assert_issues(status, codes);
    if let Some(marker) = marker {
        edge.assert_not_forwarded(marker);
    }
}

/// Invalid values: 422 with every problem, nothing forwarded.
fn check_fields(form: &str, fields: &[(&str, &str)], codes: &[&str], marker: &str) {
    check(
        form,
        URLENCODED,
        urlencoded(fields),
        422,
        codes,
        Some(marker),
    );
}

/// The fields posted to the `plain` form, and the codes of the answer.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn invalid_values_get_422_with_every_problem_and_are_not_forwarded() {
    let m = unique_email("bad");
    let m = m.as_str();
    let cases: &[Case] = &[
        (&[("email", m), ("phone", "12345")], &["phone.format"]),
        (
            &[("email", m), ("phone", "+1 555 444 3333 x2")],
            &["phone.format"],
        ),
        (&[("email", m), ("phone", "+5554443333")], &["phone.format"]),
        (
            &[("fullname", m), ("email", "not-an-email")],
            &["email.format"],
        ),
        // The reference's own examples, mangled by Cloudflare's email obfuscation.
        (
            &[("fullname", m), ("email", "[email protected]")],
            &["email.format"],
        ),
        (
            &[("fullname", m), ("email", "jane@example")],
            &["email.format"],
        ),
        (
            &[("fullname", m), ("phone", "12345"), ("email", "x@")],
            &["phone.format", "email.format"],
        ),
        (
            &[("fullname", m), ("city", "Springfield")],
            &["email.contact"],
        ),
        (
            &[("fullname", m), ("email", ""), ("phone", " ")],
            &["email.contact"],
        ),
        (
            &[("email", m), ("fullname", &"x".repeat(300))],
            &["fullname.too_long"],
        ),
        (
            &[("email", m), ("notes", &"x".repeat(3000))],
            &["notes.too_long"],
        ),
        (
            &[("email", m), ("mail", "other@example.com")],
            &["email.conflict"],
        ),
    ];
    for (fields, codes) in cases {
        check_fields("plain", fields, codes, m);
    }
    check_fields("sequence", &[("fullname", m)], &["email.contact"], m);
    check_fields("cf7", &[("your-email", m)], &["fullname.required"], m);
}

#[test]
fn bad_appointment_times_get_422() {
    let m = unique_email("badtime");
    let m = m.as_str();
    let appointment = |timestamp: &str, codes: &[&str]| {
        check_fields(
            "appointment",
            &[
                ("email", m),
                ("appointment_note", "Demo"),
                ("appointment_timestamp", timestamp),
            ],
            codes,
            m,
        );
    };
    // The reference's own example is in the past now.
    appointment("04/01/2022 12:30 PM", &["appointment_timestamp.past"]);
    appointment("01/01/22 09:00 AM", &["appointment_timestamp.past"]);
    appointment("1000", &["appointment_timestamp.past"]);
    appointment("2030-12-01 09:00", &["appointment_timestamp.format"]);
    appointment("2030-13-01T09:00", &["appointment_timestamp.format"]);
    appointment("2022-04-01T12:30", &["appointment_timestamp.past"]);
    appointment("13/01/2030 09:00 AM", &["appointment_timestamp.format"]);
    appointment("02/30/2030 09:00 AM", &["appointment_timestamp.format"]);
    appointment("12/01/2030 13:00 PM", &["appointment_timestamp.format"]);
    appointment("12/01/2030 09:00", &["appointment_timestamp.format"]);
    appointment("tomorrow", &["appointment_timestamp.format"]);
    appointment("1922364000000000", &["appointment_timestamp.format"]);
    check_fields(
        "appointment",
        &[("email", m)],
        &[
            "appointment_note.required",
            "appointment_timestamp.required",
        ],
        m,
    );
    check_fields(
        "seminar",
        &[("email", m), ("appointment_timestamp", "soon")],
        &["appointment_timestamp.format"],
        m,
    );
}

#[test]
fn bad_bodies_get_400_or_415_with_a_body_code() {
    let m = unique_email("badbody");
    let m = m.as_str();
    let good = urlencoded(&[("email", m)]);
    let json = format!("{{\"email\":\"{m}\"}}").into_bytes();
    let unterminated =
        format!("--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n{m}");
    let nameless = format!("--XyZ\r\nContent-Disposition: form-data\r\n\r\n{m}\r\n--XyZ--\r\n");
    // Text that is not UTF-8, urlencoded and raw in multipart.
    let mut invalid = urlencoded(&[("email", m)]);
    invalid.extend_from_slice(b"&notes=%FF%FE");
    let mut raw = format!("--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n{m}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\n").into_bytes();
    raw.extend_from_slice(&[0xC3, 0x28, 0xFF]);
    raw.extend_from_slice(b"\r\n--XyZ--\r\n");
    // Too many fields, an over-long value, an over-long name.
    let names: Vec<String> = (0..64).map(|index| format!("extra{index}")).collect();
    let mut many: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "x")).collect();
    many.push(("email", m));
    let long_value = "x".repeat(8 * 1024 + 1);
    let long_name = "n".repeat(129);
    let multipart = Some("multipart/form-data; boundary=XyZ");
    let cases = [
        // Content types that are not a form.
        (Some("text/plain"), good.clone(), 415, "body.content_type"),
        (Some("application/json"), json, 415, "body.content_type"),
        (None, good.clone(), 415, "body.content_type"),
        // Broken multipart bodies.
        (
            Some("multipart/form-data"),
            good.clone(),
            400,
            "body.multipart",
        ),
        (multipart, good, 400, "body.multipart"),
        (multipart, unterminated.into_bytes(), 400, "body.multipart"),
        (multipart, nameless.into_bytes(), 400, "body.multipart"),
        (URLENCODED, invalid, 400, "body.utf8"),
        (multipart, raw, 400, "body.utf8"),
        (URLENCODED, urlencoded(&many), 400, "body.too_many_fields"),
        (
            URLENCODED,
            urlencoded(&[("email", m), ("notes", &long_value)]),
            400,
            "body.value_too_long",
        ),
        (
            URLENCODED,
            urlencoded(&[("email", m), (&long_name, "x")]),
            400,
            "body.name_too_long",
        ),
    ];
    for (content_type, body, status, code) in cases {
        check("plain", content_type, body, status, &[code], Some(m));
    }
}

#[test]
fn value_too_long_names_its_field() {
    let edge = shared();
    let long_value = "x".repeat(8 * 1024 + 1);
    let reply = edge.post(
        "plain",
        &[("email", "a@example.com"), ("notes", &long_value)],
    );
    reply.assert_issues(400, &["body.value_too_long"]);
    assert_eq!(reply.json()["issues"][0]["field"], "notes");
}

#[test]
fn oversize_bodies_get_413() {
    let edge = shared();
    let m = unique_email("oversize");
    let notes: Vec<String> = (0..12).map(|_| "x".repeat(6000)).collect();
    let mut fields: Vec<(&str, &str)> = vec![("email", &m)];
    fields.extend(notes.iter().map(|note| ("notes", note.as_str())));
    let body = urlencoded(&fields);
    assert!(body.len() > 64 * 1024);

    // With a Content-Length, refused before it is read.
    let reply = edge.send(
        client()
            .post(edge.url("/f/plain"))
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.clone()),
    );
    reply.assert_issues(413, &["body.too_large"]);

    // Chunked, without one: refused once read.
    let streamed = reqwest::blocking::Body::new(std::io::Cursor::new(body));
    let reply = edge.send(
        client()
            .post(edge.url("/f/plain"))
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(streamed),
    );
    reply.assert_issues(413, &["body.too_large"]);
    edge.assert_not_forwarded(&m);
}

#[test]
fn unknown_form_is_404() {
    let edge = shared();
    let m = unique_email("unknown");
    edge.post("no-such-form", &[("email", &m)])
        .assert_issues(404, &["form.unknown"]);
    for path in ["/f/", "/f/contact/extra", "/nowhere"] {
        let reply = edge.send(
            client()
                .post(edge.url(path))
                .header("Accept", "application/json")
                .form(&[("email", &m)]),
        );
        reply.assert_issues(404, &["form.unknown"]);
    }
    edge.assert_not_forwarded(&m);
}

#[test]
fn other_methods_on_a_form_are_405() {
    let edge = shared();
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let reply: Reply = edge.send(
            client()
                .request(method.clone(), edge.url("/f/contact"))
                .header("Accept", "application/json"),
        );
        reply.assert_issues(405, &["method.not_allowed"]);
        assert_eq!(reply.header("allow"), Some("POST, OPTIONS"), "{method}");
    }
    // GET on an unknown form is 404, not 405.
    let reply = edge.send(
        client()
            .get(edge.url("/f/no-such-form"))
            .header("Accept", "application/json"),
    );
    reply.assert_issues(404, &["form.unknown"]);
}
