//! Issue 6's corpus of malformed requests, sent through workerd to the shared worker: wrong and
//! missing content types, broken multipart, invalid UTF-8, huge and numerous fields, CRLF and NUL,
//! unicode look-alikes, control fields in every alias and case, forged origins, wrong methods and
//! odd paths. Each answer is a clear 4xx (JSON issues with code and message; the HTML problem page
//! for native posts), never a 5xx, and carries no key; a refused request reaches nothing in CLOSEM.
//! The documented exceptions are named: a filled honeypot gets the ordinary success a bot expects
//! (`spam`), and control or look-alike names sent to a lenient profile are dropped (`ignored`),
//! which is checked against what CLOSEM received. Each test prints its category's status tally.

use std::collections::BTreeMap;

use closem_shared::Field;
use reqwest::blocking::RequestBuilder;
use reqwest::header::HeaderValue;
use reqwest::Method;

use crate::edge_support::{client, shared, unique_email, urlencoded, Edge, Reply};

const URLENCODED: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data; boundary=XyZ";
/// Markers of refused requests carry this tag: none may ever reach CLOSEM.
const REFUSED_TAG: &str = "malformed-refused";

/// A request the edge accepted: its label, its marker, and the fields CLOSEM must receive.
type Delivery = (String, String, Vec<(String, String)>);

/// One category of the corpus: sends its requests, checks each answer, and tallies statuses.
struct Corpus {
    category: &'static str,
    edge: &'static Edge,
    statuses: BTreeMap<u16, usize>,
    /// Delivered requests whose forwarded fields are checked at the end, once the queue has run.
    deliveries: Vec<Delivery>,
}

impl Corpus {
    fn new(category: &'static str) -> Corpus {
        Corpus {
            category,
            edge: shared(),
            statuses: BTreeMap::new(),
            deliveries: Vec::new(),
        }
    }

    /// An email address that marks a refused request.
    fn marker(&self) -> String {
        unique_email(REFUSED_TAG)
    }

    /// A request for `path` asking for JSON, as the widget sends it.
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        client()
            .request(method, self.edge.url(path))
            .header("Accept", "application/json")
    }

    /// `POST /f/{form}` for JSON with these body bytes and Content-Type (none when `None`).
    fn post(&self, form: &str, content_type: Option<&str>, body: Vec<u8>) -> RequestBuilder {
        with_body(
            self.request(Method::POST, &format!("/f/{form}")),
            content_type,
            body,
        )
    }

    /// The same post as a browser without JavaScript sends it.
    fn post_native(&self, form: &str, content_type: Option<&str>, body: Vec<u8>) -> RequestBuilder {
        let request = client()
            .post(self.edge.url(&format!("/f/{form}")))
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        with_body(request, content_type, body)
    }

    fn send(&mut self, label: &str, request: RequestBuilder) -> Reply {
        let reply = self.edge.send(request);
        assert!(
            reply.status < 500,
            "{}: {label}: a 5xx: {reply:?}",
            self.category
        );
        *self.statuses.entry(reply.status).or_default() += 1;
        reply
    }

    /// A JSON refusal with this status and exactly these issue codes, each with a message.
    fn refused(&mut self, label: &str, request: RequestBuilder, status: u16, codes: &[&str]) {
        let reply = self.send(label, request);
        assert!((400..500).contains(&status), "{label}: expects a 4xx");
        assert_eq!(
            reply.status, status,
            "{}: {label}: {}",
            self.category, reply.body
        );
        let body = reply.json();
        assert_eq!(body["ok"], false, "{label}: {body}");
        let issues = body["issues"].as_array().expect("an issues array");
        assert!(!issues.is_empty(), "{label}: no issues: {body}");
        for issue in issues {
            let code = issue["code"].as_str().unwrap_or_default();
            let message = issue["message"].as_str().unwrap_or_default();
            assert!(!code.is_empty() && !message.is_empty(), "{label}: {issue}");
        }
        assert_eq!(reply.codes(), codes, "{}: {label}: {body}", self.category);
        self.assert_not_cors_readable(label, &reply);
    }

    /// A refusal without a JSON body (HEAD, preflight): the status only, and no CORS grant.
    fn refused_bare(&mut self, label: &str, request: RequestBuilder, status: u16) {
        let reply = self.send(label, request);
        assert_eq!(
            reply.status, status,
            "{}: {label}: {}",
            self.category, reply.body
        );
        self.assert_not_cors_readable(label, &reply);
    }

    /// A native (HTML) post refused: the problem page with a list item per problem.
    fn refused_native(&mut self, label: &str, request: RequestBuilder, status: u16, text: &str) {
        let reply = self.send(label, request);
        assert_eq!(
            reply.status, status,
            "{}: {label}: {}",
            self.category, reply.body
        );
        let content_type = reply.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("text/html"),
            "{label}: {content_type}"
        );
        assert!(
            reply.body.contains("<li>") && reply.body.contains(text),
            "{label}: {}",
            reply.body
        );
    }

    /// A refused origin must not be granted a read of the answer either.
    fn assert_not_cors_readable(&self, label: &str, reply: &Reply) {
        if let Some(origin) = reply.header("access-control-allow-origin") {
            let allowed = [
                "https://www.example.com",
                "https://shop.example.com",
                "http://localhost:8787",
            ];
            assert!(allowed.contains(&origin), "{label}: granted {origin}");
        }
    }

    /// The bot answer for a filled honeypot: an ordinary success with an id, nothing forwarded.
    fn spam(&mut self, label: &str, request: RequestBuilder, marker: &str) {
        let reply = self.send(label, request);
        assert!(
            reply.status == 200 || reply.status == 202,
            "{label}: {reply:?}"
        );
        let body = reply.json();
        assert_eq!(body["ok"], true, "{label}: {body}");
        assert!(
            body["id"].as_str().is_some_and(|id| !id.is_empty()),
            "{body}"
        );
        self.edge.assert_not_forwarded(marker);
    }

    /// Delivered with the offending names dropped: CLOSEM received exactly `forwarded`.
    fn ignored(
        &mut self,
        label: &str,
        request: RequestBuilder,
        marker: &str,
        forwarded: &[(&str, &str)],
    ) {
        let reply = self.send(label, request);
        assert!(
            reply.status == 200 || reply.status == 202,
            "{}: {label}: {reply:?}",
            self.category
        );
        assert_eq!(reply.json()["ok"], true, "{label}: {}", reply.body);
        let forwarded = forwarded
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        self.deliveries
            .push((label.to_string(), marker.to_string(), forwarded));
    }

    /// Prints the category's line of the table and checks what every request must leave behind.
    fn finish(self) -> usize {
        for (label, marker, expected) in &self.deliveries {
            let mut forwarded = self.edge.forwarded(marker);
            let mut expected = expected.clone();
            forwarded.sort_unstable();
            expected.sort_unstable();
            assert_eq!(
                forwarded, expected,
                "{}: {label}: CLOSEM got",
                self.category
            );
        }
        let total: usize = self.statuses.values().sum();
        let distribution: Vec<String> = self
            .statuses
            .iter()
            .map(|(status, count)| format!("{status}x{count}"))
            .collect();
        println!(
            "malformed corpus | {:<18} | {:>3} | {}",
            self.category,
            total,
            distribution.join(" ")
        );
        self.edge.assert_not_forwarded(REFUSED_TAG);
        self.edge.assert_log_clean();
        total
    }
}

fn with_body(request: RequestBuilder, content_type: Option<&str>, body: Vec<u8>) -> RequestBuilder {
    match content_type {
        Some(content_type) => request.header("Content-Type", content_type),
        None => request,
    }
    .body(body)
}

/// A well-formed multipart body (boundary `XyZ`) whose names and values are raw bytes.
fn multipart(fields: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"");
        body.extend_from_slice(name);
        body.extend_from_slice(b"\"\r\n\r\n");
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--XyZ--\r\n");
    body
}

fn multipart_text(fields: &[(&str, &str)]) -> Vec<u8> {
    let fields: Vec<(&[u8], &[u8])> = fields
        .iter()
        .map(|(name, value)| (name.as_bytes(), value.as_bytes()))
        .collect();
    multipart(&fields)
}

/// Body bytes in either encoding, alternating by `index` so both parsers see every case.
fn either(index: usize, fields: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
    if index.is_multiple_of(2) {
        (URLENCODED, urlencoded(fields))
    } else {
        (MULTIPART, multipart_text(fields))
    }
}

#[test]
fn wrong_and_missing_content_types() {
    let mut corpus = Corpus::new("content types");
    let m = corpus.marker();
    let form = urlencoded(&[("email", &m)]);
    let refused_types = [
        None,
        Some(""),
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("text/html"),
        Some("application/json"),
        Some("application/xml"),
        Some("application/octet-stream"),
        Some("application/x-www-form-urlencoded-extra"),
        Some("application/ x-www-form-urlencoded"),
        Some("form-urlencoded"),
        Some("multipart/mixed; boundary=XyZ"),
        Some("multipart/alternative; boundary=XyZ"),
        Some("*/*"),
    ];
    for content_type in refused_types {
        let label = format!("{content_type:?}");
        let request = corpus.post("plain", content_type, form.clone());
        corpus.refused(&label, request, 415, &["body.content_type"]);
    }
    let json = format!("{{\"email\":\"{m}\"}}").into_bytes();
    let request = corpus.post("plain", Some("application/json"), json);
    corpus.refused("a JSON body", request, 415, &["body.content_type"]);

    // Multipart that names no usable boundary.
    let body = multipart_text(&[("email", &m)]);
    for content_type in [
        "multipart/form-data",
        "multipart/form-data;",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundry=XyZ",
        &format!("multipart/form-data; boundary={}", "b".repeat(71)),
    ] {
        let request = corpus.post("plain", Some(content_type), body.clone());
        corpus.refused(content_type, request, 400, &["body.multipart"]);
    }

    // Odd casing and parameters are understood: the body is read, and its one problem reported.
    let no_contact = [("fullname", m.as_str())];
    for content_type in [
        "Application/X-WWW-Form-URLEncoded",
        "APPLICATION/X-WWW-FORM-URLENCODED; CHARSET=UTF-8",
        "application/x-www-form-urlencoded;charset=utf-8;foo=bar",
    ] {
        let request = corpus.post("plain", Some(content_type), urlencoded(&no_contact));
        corpus.refused(content_type, request, 422, &["email.contact"]);
    }
    for content_type in [
        "Multipart/Form-Data; BOUNDARY=XyZ",
        "multipart/form-data; charset=utf-8; boundary=\"XyZ\"",
    ] {
        let request = corpus.post("plain", Some(content_type), multipart_text(&no_contact));
        corpus.refused(content_type, request, 422, &["email.contact"]);
    }
    // Latin-1 is not transcoded: its bytes are not UTF-8.
    let request = corpus.post(
        "plain",
        Some("application/x-www-form-urlencoded; charset=ISO-8859-1"),
        format!("email={m}&fullname=Jos%E9").into_bytes(),
    );
    corpus.refused("latin-1 charset", request, 400, &["body.utf8"]);
    // A body in another encoding than declared reads as nonsense names: no contact.
    let request = corpus.post(
        "plain",
        Some(URLENCODED),
        format!("{{\"email\":\"{m}\"}}").into_bytes(),
    );
    corpus.refused("JSON labelled urlencoded", request, 422, &["email.contact"]);
    let request = corpus.post("plain", Some(URLENCODED), multipart_text(&[("email", &m)]));
    corpus.refused(
        "multipart labelled urlencoded",
        request,
        422,
        &["email.contact"],
    );
    // The same refusal as a page for a native post.
    let request = corpus.post_native("plain", Some("text/plain"), form);
    corpus.refused_native("native text/plain", request, 415, "multipart/form-data");
    assert!(corpus.finish() >= 25);
}

#[test]
fn broken_multipart() {
    let mut corpus = Corpus::new("broken multipart");
    let m = corpus.marker();
    let disposition = "Content-Disposition: form-data; name=\"email\"";
    let broken: Vec<(&str, String)> = vec![
        ("closing boundary cut", format!("--XyZ\r\n{disposition}\r\n\r\n{m}\r\n--XyZ")),
        ("closing boundary half", format!("--XyZ\r\n{disposition}\r\n\r\n{m}\r\n--XyZ-")),
        ("no line break before closing", format!("--XyZ\r\n{disposition}\r\n\r\n{m}--XyZ--")),
        ("ends after the value", format!("--XyZ\r\n{disposition}\r\n\r\n{m}\r\n")),
        ("no Content-Disposition", format!("--XyZ\r\nContent-Type: text/plain\r\n\r\n{m}\r\n--XyZ--")),
        ("misspelt Content-Disposition", format!("--XyZ\r\nContent-Disposal: form-data; name=\"email\"\r\n\r\n{m}\r\n--XyZ--")),
        ("no name", format!("--XyZ\r\nContent-Disposition: form-data\r\n\r\n{m}\r\n--XyZ--")),
        ("filename but no name", format!("--XyZ\r\nContent-Disposition: form-data; filename=\"a.txt\"\r\n\r\n{m}\r\n--XyZ--")),
        ("nam= typo", format!("--XyZ\r\nContent-Disposition: form-data; nam=\"email\"\r\n\r\n{m}\r\n--XyZ--")),
        ("LF line endings", format!("--XyZ\n{disposition}\n\n{m}\n--XyZ--\n")),
        ("header without blank line", format!("--XyZ\r\n{disposition}\r\n{m}\r\n--XyZ--")),
        ("value on the header line", format!("--XyZ\r\n{disposition} {m}\r\n--XyZ--")),
        ("truncated in the headers", format!("--XyZ\r\nContent-Disp{m}")),
        ("truncated after the boundary", "--XyZ".to_string()),
        ("padding after the boundary", format!("--XyZ \r\n{disposition}\r\n\r\n{m}\r\n--XyZ--")),
        ("preamble only", format!("hello {m}")),
        ("empty body", String::new()),
        ("second part broken", format!("--XyZ\r\n{disposition}\r\n\r\n{m}\r\n--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--")),
    ];
    for (label, body) in broken {
        let request = corpus.post("plain", Some(MULTIPART), body.into_bytes());
        corpus.refused(label, request, 400, &["body.multipart"]);
    }
    let body = multipart_text(&[("email", &m)]);
    let request = corpus.post("plain", Some("multipart/form-data; boundary=AbC"), body);
    corpus.refused("boundary mismatch", request, 400, &["body.multipart"]);

    // Well-formed but carrying no usable contact: read, then refused for that.
    let no_contact: Vec<(&str, String)> = vec![
        ("only the closing boundary", "--XyZ--\r\n".to_string()),
        ("empty name", format!("--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n{m}\r\n--XyZ--")),
        ("email only in a file part", format!("--XyZ\r\nContent-Disposition: form-data; name=\"email\"; filename=\"e.txt\"\r\nContent-Type: text/plain\r\n\r\n{m}\r\n--XyZ--")),
        ("nested multipart/mixed", format!("--XyZ\r\nContent-Disposition: form-data; name=\"files\"\r\nContent-Type: multipart/mixed; boundary=Inner\r\n\r\n--Inner\r\n{disposition}\r\n\r\n{m}\r\n--Inner--\r\n--XyZ--")),
    ];
    for (label, body) in no_contact {
        let request = corpus.post("plain", Some(MULTIPART), body.into_bytes());
        corpus.refused(label, request, 422, &["email.contact"]);
    }
    // A part smuggled inside a value is a real part: the strict profile refuses its control field.
    let smuggled = "x\r\n--XyZ\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\n1";
    let body = multipart_text(&[("email", &m), ("notes", smuggled)]);
    let request = corpus.post("strict", Some(MULTIPART), body);
    corpus.refused("part smuggled in a value", request, 422, &["tags.control"]);
    assert!(corpus.finish() >= 20);
}

#[test]
fn invalid_utf8_in_names_and_values() {
    let mut corpus = Corpus::new("invalid UTF-8");
    let m = corpus.marker();
    let sequences: [(&str, &[u8]); 7] = [
        ("lone FF", b"\xff"),
        ("FF FE", b"\xff\xfe"),
        ("overlong slash", b"\xc0\xaf"),
        ("surrogate", b"\xed\xa0\x80"),
        ("truncated euro", b"\xe2\x82"),
        ("lone continuation", b"\x80"),
        ("five-byte form", b"\xf8\x88\x80\x80\x80"),
    ];
    for (index, (label, bad)) in sequences.iter().enumerate() {
        let escaped: String = bad.iter().map(|byte| format!("%{byte:02X}")).collect();
        // In a value, escaped (urlencoded) and raw (multipart): the field is named.
        let request = corpus.post(
            "plain",
            Some(URLENCODED),
            format!("email={m}&fullname=Jo{escaped}").into_bytes(),
        );
        corpus.refused(
            &format!("urlencoded value {label}"),
            request,
            400,
            &["body.utf8"],
        );
        let mut value = b"Jo".to_vec();
        value.extend_from_slice(bad);
        let body = multipart(&[(b"email", m.as_bytes()), (b"fullname", &value)]);
        let request = corpus.post("plain", Some(MULTIPART), body);
        corpus.refused(
            &format!("multipart value {label}"),
            request,
            400,
            &["body.utf8"],
        );
        // In a name: escaped or raw, alternating between the encodings.
        let mut name = b"full".to_vec();
        name.extend_from_slice(bad);
        let (content_type, body) = if index.is_multiple_of(2) {
            (
                URLENCODED,
                format!("email={m}&full{escaped}=Jo").into_bytes(),
            )
        } else {
            (
                MULTIPART,
                multipart(&[(b"email", m.as_bytes()), (&name, b"Jo")]),
            )
        };
        let request = corpus.post("plain", Some(content_type), body);
        corpus.refused(&format!("name {label}"), request, 400, &["body.utf8"]);
    }
    // Raw (unescaped) bytes in an urlencoded body.
    let mut raw = format!("email={m}&fullname=Jo").into_bytes();
    raw.extend_from_slice(b"\xc3\x28");
    let request = corpus.post("plain", Some(URLENCODED), raw);
    corpus.refused("raw bytes in urlencoded", request, 400, &["body.utf8"]);
    // The field is named so the widget can show the message in place.
    let request = corpus.post(
        "plain",
        Some(URLENCODED),
        format!("email={m}&notes=%FF").into_bytes(),
    );
    let reply = corpus.send("the field is named", request);
    reply.assert_issues(400, &["body.utf8"]);
    assert_eq!(reply.json()["issues"][0]["field"], "notes");
    let request = corpus.post_native(
        "plain",
        Some(URLENCODED),
        format!("email={m}&notes=%FF").into_bytes(),
    );
    corpus.refused_native("native invalid UTF-8", request, 400, "UTF-8");
    assert!(corpus.finish() >= 20);
}

#[test]
fn huge_and_numerous_fields() {
    let mut corpus = Corpus::new("sizes");
    let m = corpus.marker();
    let long_value = "x".repeat(8 * 1024 + 1);
    let long_name = "n".repeat(129);
    let body = multipart_text(&[("email", &m), ("notes", &long_value)]);
    let request = corpus.post("plain", Some(MULTIPART), body);
    corpus.refused(
        "multipart value 8 KiB + 1",
        request,
        400,
        &["body.value_too_long"],
    );
    let body = multipart_text(&[("email", &m), (&long_name, "x")]);
    let request = corpus.post("plain", Some(MULTIPART), body);
    corpus.refused(
        "multipart name 129 bytes",
        request,
        400,
        &["body.name_too_long"],
    );
    let huge_name = "n".repeat(10_000);
    let body = urlencoded(&[("email", &m), (&huge_name, "x")]);
    let request = corpus.post("plain", Some(URLENCODED), body);
    corpus.refused(
        "urlencoded name 10 KB",
        request,
        400,
        &["body.name_too_long"],
    );

    let names: Vec<String> = (0..65).map(|index| format!("f{index}")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("email", &m)];
    fields.extend(names.iter().map(|name| (name.as_str(), "x")));
    let request = corpus.post("plain", Some(MULTIPART), multipart_text(&fields));
    corpus.refused(
        "multipart 66 fields",
        request,
        400,
        &["body.too_many_fields"],
    );
    let many = format!("email={m}&{}", "a=1&".repeat(1000));
    let request = corpus.post("plain", Some(URLENCODED), many.into_bytes());
    corpus.refused(
        "urlencoded 1001 fields",
        request,
        400,
        &["body.too_many_fields"],
    );
    let repeated = format!("{}email={m}", "email=x%40y.co&".repeat(64));
    let request = corpus.post("plain", Some(URLENCODED), repeated.into_bytes());
    corpus.refused("one name 65 times", request, 400, &["body.too_many_fields"]);

    // Empty pairs are not fields, so 10,000 of them only leave the contact missing.
    let empties = format!("{}fullname={m}", "&".repeat(10_000));
    let request = corpus.post("plain", Some(URLENCODED), empties.into_bytes());
    corpus.refused("10,000 empty pairs", request, 422, &["email.contact"]);
    // A body of exactly 64 KiB is read; its one field is checked.
    let mut exact = format!("fullname={m}&").into_bytes();
    exact.resize(64 * 1024, b'&');
    let request = corpus.post("plain", Some(URLENCODED), exact);
    corpus.refused("body of exactly 64 KiB", request, 422, &["email.contact"]);
    // Within the body limits but over the field's own.
    let notes = "x".repeat(8 * 1024);
    let request = corpus.post(
        "plain",
        Some(URLENCODED),
        urlencoded(&[("email", &m), ("notes", &notes)]),
    );
    corpus.refused("notes of 8 KiB", request, 422, &["notes.too_long"]);
    let emoji_notes = "😀".repeat(2048);
    let request = corpus.post(
        "plain",
        Some(MULTIPART),
        multipart_text(&[("email", &m), ("notes", &emoji_notes)]),
    );
    corpus.refused("2048 emoji notes", request, 422, &["notes.too_long"]);
    let accented = "é".repeat(257);
    let request = corpus.post(
        "plain",
        Some(URLENCODED),
        urlencoded(&[("email", &m), ("fullname", &accented)]),
    );
    corpus.refused("257 accented letters", request, 422, &["fullname.too_long"]);

    // Over 64 KiB, whatever the content type, declared or streamed: 413.
    let big_value = "x".repeat(64 * 1024);
    let big_urlencoded = urlencoded(&[("email", &m), ("notes", &big_value)]);
    let big_multipart = multipart_text(&[("email", &m), ("notes", &big_value)]);
    for (label, content_type, body) in [
        ("urlencoded", Some(URLENCODED), big_urlencoded.clone()),
        ("multipart", Some(MULTIPART), big_multipart.clone()),
        ("text/plain", Some("text/plain"), big_urlencoded.clone()),
        ("no content type", None, big_urlencoded.clone()),
    ] {
        let request = corpus.post("plain", content_type, body);
        corpus.refused(
            &format!("oversize {label}"),
            request,
            413,
            &["body.too_large"],
        );
    }
    for (label, body) in [("urlencoded", big_urlencoded), ("multipart", big_multipart)] {
        let content_type = if label == "multipart" {
            MULTIPART
        } else {
            URLENCODED
        };
        let streamed = reqwest::blocking::Body::new(std::io::Cursor::new(body));
        let request = corpus
            .request(Method::POST, "/f/plain")
            .header("Content-Type", content_type)
            .body(streamed);
        corpus.refused(
            &format!("oversize chunked {label}"),
            request,
            413,
            &["body.too_large"],
        );
    }
    assert!(corpus.finish() >= 15);
}

/// A label, the fields sent, and the one issue code expected.
type ValueCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

#[test]
fn crlf_and_nul_in_names_and_values() {
    let mut corpus = Corpus::new("CRLF and NUL");
    let m = corpus.marker();
    let header_injection = format!("{m}\r\nBcc: victim@example.org");
    let nul_email = format!("{m}\0");
    let split_email = format!("{m}\nx");
    let value_cases: Vec<ValueCase> = vec![
        (
            "CRLF header in email",
            vec![("email", &header_injection)],
            "email.format",
        ),
        (
            "NUL after email",
            vec![("email", &nul_email)],
            "email.format",
        ),
        (
            "LF inside email",
            vec![("email", &split_email)],
            "email.format",
        ),
        (
            "CRLF inside phone",
            vec![("email", &m), ("phone", "555\r\n4443333")],
            "phone.format",
        ),
        (
            "NUL after phone",
            vec![("email", &m), ("phone", "5554443333\0")],
            "phone.format",
        ),
        (
            "NUL inside phone",
            vec![("email", &m), ("phone", "555\u{0}444\u{0}3333")],
            "phone.format",
        ),
    ];
    for (index, (label, fields, code)) in value_cases.iter().enumerate() {
        let (content_type, body) = either(index, fields);
        let request = corpus.post("plain", Some(content_type), body);
        corpus.refused(label, request, 422, &[code]);
        let (content_type, body) = either(index + 1, fields);
        let request = corpus.post("strict", Some(content_type), body);
        corpus.refused(&format!("{label} (strict)"), request, 422, &[code]);
    }
    let appointment = [
        ("email", m.as_str()),
        ("appointment_note", "Demo"),
        ("appointment_timestamp", "4102444800\0"),
    ];
    let request = corpus.post("appointment", Some(URLENCODED), urlencoded(&appointment));
    corpus.refused(
        "NUL after a timestamp",
        request,
        422,
        &["appointment_timestamp.format"],
    );
    let second = format!("{m}\r\n,victim@example.org");
    let request = corpus.post(
        "sequence",
        Some(URLENCODED),
        urlencoded(&[("email", &second)]),
    );
    corpus.refused("CRLF and a second target", request, 422, &["email.format"]);

    // Names with NUL or CRLF inside are no CLOSEM field: the contact is missing.
    for (index, name) in [
        "em\0ail",
        "email\0",
        "\0email",
        "e\r\nmail",
        "email\r\nX-Injected: 1",
    ]
    .iter()
    .enumerate()
    {
        let (content_type, body) = if index.is_multiple_of(2) {
            (URLENCODED, urlencoded(&[(name, m.as_str())]))
        } else {
            // Browsers escape CR and LF in multipart names; NUL goes raw.
            let escaped = name.replace('\r', "%0D").replace('\n', "%0A");
            (MULTIPART, multipart(&[(escaped.as_bytes(), m.as_bytes())]))
        };
        let request = corpus.post("plain", Some(content_type), body);
        corpus.refused(&format!("name {name:?}"), request, 422, &["email.contact"]);
    }
    // An unescaped CRLF inside a quoted multipart name ends the header line there.
    let body = multipart(&[(b"e\r\nmail", m.as_bytes())]);
    let request = corpus.post("plain", Some(MULTIPART), body);
    corpus.refused(
        "raw CRLF in a multipart name",
        request,
        422,
        &["email.contact"],
    );
    assert!(corpus.finish() >= 16);
}

/// Found by the shared fuzzing (`shared/tests/it/fuzz.rs`): free text with NUL and other control
/// characters is accepted and forwarded to CLOSEM unchanged. Expected: 422 `fullname.format`.
#[test]
fn nul_in_free_text_is_refused() {
    let edge = shared();
    let m = unique_email("malformed-nul");
    edge.post("plain", &[("email", &m), ("fullname", "Jo\0hn")])
        .assert_issues(422, &["fullname.format"]);
    edge.post("plain", &[("email", &m), ("city", "Spring\u{1b}[2Jfield")])
        .assert_issues(422, &["city.format"]);
    edge.assert_not_forwarded(&m);
}

#[test]
fn unicode_look_alikes() {
    let mut corpus = Corpus::new("look-alikes");
    let m = corpus.marker();
    // Names that look like email or phone are not them: no contact.
    let names = [
        "ｅｍａｉｌ",
        "\u{0435}mail",
        "ema\u{0456}l",
        "email\u{200d}",
        "e\u{200b}mail",
        "\u{feff}email",
        "ｐｈｏｎｅ",
        "phon\u{0435}",
        "е-mail",
    ];
    for (index, name) in names.iter().enumerate() {
        let value = if name.contains('ｐ') || name.starts_with("phon") {
            "5554443333"
        } else {
            m.as_str()
        };
        let (content_type, body) = either(index, &[("fullname", &m), (name, value)]);
        let request = corpus.post("plain", Some(content_type), body);
        corpus.refused(&format!("name {name:?}"), request, 422, &["email.contact"]);
    }
    // Digits and separators from other scripts in a phone.
    let phones = [
        "５５５４４４３３３３",
        "\u{0665}\u{0665}\u{0665}\u{0664}\u{0664}\u{0664}\u{0663}\u{0663}\u{0663}\u{0663}",
        "555-444-\u{0417}\u{0417}\u{0417}\u{0417}",
        "555\u{2010}444\u{2010}3333",
        "+1 (555) 444\u{2212}3333",
        "５５５-444-3333",
        "\u{1d7d3}\u{1d7d3}\u{1d7d3}4443333",
        "555\u{00a0}444\u{00a0}3333",
        "＋1 555 444 3333",
        "555-444-333\u{0031}\u{20e3}",
    ];
    for (index, phone) in phones.iter().enumerate() {
        let (content_type, body) = either(index, &[("email", &m), ("phone", phone)]);
        let request = corpus.post("plain", Some(content_type), body);
        corpus.refused(&format!("phone {phone:?}"), request, 422, &["phone.format"]);
    }
    for email in [
        "jo\u{ff20}example.com",
        "j\u{043e}@example.com",
        "jo@ex\u{0430}mple.com",
        "jo@example\u{3002}com",
    ] {
        let request = corpus.post(
            "plain",
            Some(URLENCODED),
            urlencoded(&[("fullname", &m), ("email", email)]),
        );
        corpus.refused(&format!("email {email:?}"), request, 422, &["email.format"]);
    }
    let timestamp = [
        ("email", m.as_str()),
        ("appointment_note", "Demo"),
        ("appointment_timestamp", "４１０２４４４８００"),
    ];
    let request = corpus.post("appointment", Some(URLENCODED), urlencoded(&timestamp));
    corpus.refused(
        "fullwidth timestamp",
        request,
        422,
        &["appointment_timestamp.format"],
    );

    // Look-alikes of control names are no control field: even the strict profile drops them, and
    // nothing of them reaches CLOSEM.
    let controls = [
        ("ｍｏｄｅ", "runsequence"),
        ("t\u{0430}gs", "1"),
        ("sequence\u{200b}_id", "8"),
        ("ａｕｔｈ", "stolen-key"),
        ("contact_l\u{0456}sts", "4"),
        ("ｍ", "admin"),
    ];
    for (index, (name, value)) in controls.iter().enumerate() {
        let ignored = unique_email("malformed-ignored");
        let (content_type, body) = either(index, &[("email", &ignored), (name, value)]);
        let request = corpus.post("strict", Some(content_type), body);
        corpus.ignored(
            &format!("control look-alike {name:?}"),
            request,
            &ignored,
            &[("mode", "addcontact"), ("email", &ignored)],
        );
    }
    assert!(corpus.finish() >= 30);
}

/// A value CLOSEM would act on, for each control field.
fn control_value(field: Field) -> &'static str {
    match field {
        Field::Mode => "runsequence",
        Field::Upsert => "true",
        Field::Tags | Field::ContactLists => "7,8",
        Field::SequenceId => "9",
        Field::ContactEmails => "victim@example.org",
        Field::ContactPhones => "+15550009999",
        Field::Auth => "stolen-key",
        _ => "admin",
    }
}

/// Every spelling of every control alias: lower, upper, alternating case, padded.
fn control_names() -> Vec<(String, Field)> {
    let mut names: Vec<(String, Field)> = Vec::new();
    for field in Field::ALL.into_iter().filter(|field| field.is_control()) {
        for alias in field.aliases() {
            let alternating: String = alias
                .chars()
                .enumerate()
                .map(|(index, character)| {
                    if index % 2 == 1 {
                        character.to_ascii_uppercase()
                    } else {
                        character
                    }
                })
                .collect();
            for name in [
                alias.to_string(),
                alias.to_ascii_uppercase(),
                alternating,
                format!(" {alias}\t"),
            ] {
                if !names.iter().any(|(known, _)| *known == name) {
                    names.push((name, field));
                }
            }
        }
    }
    names
}

#[test]
fn control_fields_in_every_alias_to_the_strict_profile() {
    let mut corpus = Corpus::new("control (strict)");
    for (index, (name, field)) in control_names().iter().enumerate() {
        let m = corpus.marker();
        let (content_type, body) = either(index, &[("email", &m), (name, control_value(*field))]);
        let request = corpus.post("strict", Some(content_type), body);
        let code = format!("{}.control", field.canonical());
        corpus.refused(&format!("{name:?}"), request, 422, &[&code]);
    }
    assert!(corpus.finish() >= 45);
}

#[test]
fn control_fields_in_every_alias_to_a_lenient_profile_are_ignored() {
    let mut corpus = Corpus::new("control (lenient)");
    for (index, (name, field)) in control_names().iter().enumerate() {
        let m = unique_email("malformed-ignored");
        let (content_type, body) = either(index, &[("email", &m), (name, control_value(*field))]);
        let request = corpus.post("plain", Some(content_type), body);
        corpus.ignored(
            &format!("{name:?}"),
            request,
            &m,
            &[("mode", "addcontact"), ("email", &m)],
        );
    }
    assert!(corpus.finish() >= 45);
}

#[test]
fn forged_and_odd_origins() {
    let mut corpus = Corpus::new("origins");
    let origins: [&[u8]; 22] = [
        b"null",
        b"https://evil.example",
        b"https://www.example.com.evil.example",
        b"https://www.examp1e.com",
        b"https://www-example.com",
        b"https://www.example.co",
        b"https://wwwexample.com",
        b"HTTPS://WWW.EXAMPLE.COM",
        b"https://WWW.example.com",
        b"https://www.example.com/",
        b"https://www.example.com/contact",
        b"https://www.example.com:443",
        b"https://www.example.com:8443",
        b"http://www.example.com",
        b"https://shop.example.com.",
        b"https://www.example.com, https://evil.example",
        b"https://user@www.example.com",
        "https://www.ex\u{0430}mple.com".as_bytes(),
        b"https://www.xn--exmple-cua.com",
        b"http://localhost:8788",
        b"http://127.0.0.1:9",
        b"file://",
    ];
    for origin in origins {
        let m = corpus.marker();
        let label = String::from_utf8_lossy(origin).into_owned();
        let origin = HeaderValue::from_bytes(origin).expect("a header value");
        let request = corpus
            .post("contact", Some(URLENCODED), urlencoded(&[("email", &m)]))
            .header("Origin", origin);
        corpus.refused(&label, request, 403, &["origin.forbidden"]);
    }
    // A profile without an allow-list takes only its own origin.
    let m = corpus.marker();
    let request = corpus
        .post("plain", Some(URLENCODED), urlencoded(&[("email", &m)]))
        .header("Origin", "https://evil.example");
    corpus.refused(
        "foreign origin to plain",
        request,
        403,
        &["origin.forbidden"],
    );
    // Preflights from the same forged origins get no CORS grant.
    for origin in [
        "null",
        "https://www.example.com.evil.example",
        "HTTPS://WWW.EXAMPLE.COM",
    ] {
        let request = client()
            .request(Method::OPTIONS, corpus.edge.url("/f/contact"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST");
        corpus.refused_bare(&format!("preflight {origin}"), request, 403);
    }
    assert!(corpus.finish() >= 25);
}

#[test]
fn wrong_methods() {
    let mut corpus = Corpus::new("methods");
    let m = corpus.marker();
    for (form, method) in [
        ("contact", Method::PATCH),
        ("plain", Method::GET),
        ("plain", Method::PUT),
        ("plain", Method::DELETE),
        ("plain", Method::PATCH),
        ("strict", Method::from_bytes(b"PROPFIND").expect("a method")),
    ] {
        let label = format!("{method} {form}");
        let request = corpus
            .request(method, &format!("/f/{form}"))
            .header("Content-Type", URLENCODED)
            .body(urlencoded(&[("email", &m)]));
        corpus.refused(&label, request, 405, &["method.not_allowed"]);
    }
    let request = corpus.request(Method::GET, &format!("/f/plain?email={m}"));
    corpus.refused(
        "GET with the fields in the query",
        request,
        405,
        &["method.not_allowed"],
    );
    let request = corpus.request(Method::HEAD, "/f/plain");
    corpus.refused_bare("HEAD plain", request, 405);
    assert!(corpus.finish() >= 8);
}

#[test]
fn odd_paths_and_form_ids() {
    let mut corpus = Corpus::new("paths");
    let m = corpus.marker();
    let long_id = format!("/f/{}", "a".repeat(2000));
    let paths = [
        long_id.as_str(),
        "/f/CONTACT",
        "/f/Plain",
        "/f/plain%20",
        "/f/%20plain",
        "/f/plain%00",
        "/f/%00",
        "/f/%63ontact",
        "/f/contact%2F..%2Fplain",
        "/f/%EF%BD%90%EF%BD%8C%EF%BD%81%EF%BD%89%EF%BD%8E",
        "/f/p%D0%B0in",
        "/f//plain",
        "/F/plain",
        "/f/plain/",
        "/f/plain;x",
        "/f/plain.json",
        "/form/plain",
        "/f",
        "/f/",
        "/f/plain%2F",
    ];
    for path in paths {
        let label: String = path.chars().take(40).collect();
        let request = corpus
            .request(Method::POST, path)
            .header("Content-Type", URLENCODED)
            .body(urlencoded(&[("email", &m)]));
        corpus.refused(&label, request, 404, &["form.unknown"]);
    }
    assert!(corpus.finish() >= 20);
}

#[test]
fn honeypot_filled_is_treated_as_spam() {
    let mut corpus = Corpus::new("honeypot (spam)");
    for (index, honeypot) in ["https://bot.example", " x ", "0"].iter().enumerate() {
        let m = unique_email(REFUSED_TAG);
        let (content_type, body) = either(index, &[("email", &m), ("company_website", honeypot)]);
        let request = corpus.post("contact", Some(content_type), body);
        corpus.spam(&format!("honeypot {honeypot:?}"), request, &m);
    }
    // The honeypot is checked before validation, so an invalid bot post also looks accepted.
    let m = unique_email(REFUSED_TAG);
    let body = urlencoded(&[
        ("fullname", &m),
        ("email", "nope"),
        ("company_website", "x"),
    ]);
    let request = corpus.post("contact", Some(URLENCODED), body);
    corpus.spam("honeypot with invalid fields", request, &m);
    assert!(corpus.finish() >= 4);
}
