//! The doctor on the builders' markup the widget's browser tests use (tests/site/, with the
//! profiles of tests/fixtures/builders.json) and on a page with every mistake it knows
//! (tests/fixtures/doctor/), asserting each finding; and once through a URL.

use std::path::PathBuf;

use closem_shared::Forms;

use super::{diagnose, Level, Report};

fn workspace(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

fn forms(path: &str) -> Forms {
    let text = std::fs::read_to_string(workspace(path)).expect("read the profiles");
    Forms::from_json_str(&text).unwrap_or_else(|errors| panic!("{errors:?}"))
}

/// The test site's embed pages, which it serves from one template rather than from files.
#[path = "../../../tests/src/embed.rs"]
mod embed;

/// A tests/site page (or one of its embed pages) as the site serves it, with the worker at
/// `FORMS_HOST`.
fn site_page(name: &str) -> String {
    let text = embed::page(&format!("/{name}.html")).unwrap_or_else(|| {
        std::fs::read_to_string(workspace(&format!("tests/site/{name}.html")))
            .expect("read the page")
    });
    text.replace("{{FORMS}}", FORMS_HOST)
        .replace("{{VERSION}}", "0123456789ab")
        .replace("{{INTEGRITY}}", "sha384-x")
}

const FORMS_HOST: &str = "http://127.0.0.1:8787";

fn texts(report: &Report, level: Level) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|finding| finding.level == level)
        .map(|finding| {
            format!(
                "{}{}",
                finding
                    .form
                    .as_deref()
                    .map_or(String::new(), |form| format!("[{form}] ")),
                finding.text
            )
        })
        .collect()
}

/// Asserts that the report has exactly these errors and warnings, and these info lines among
/// others.
fn assert_report(report: &Report, errors: &[&str], warnings: &[&str], infos: &[&str]) {
    let all: Vec<String> = report
        .findings
        .iter()
        .map(|finding| finding.text.clone())
        .collect();
    assert_eq!(texts(report, Level::Error), errors, "{all:#?}");
    assert_eq!(texts(report, Level::Warning), warnings, "{all:#?}");
    let info = texts(report, Level::Info);
    for expected in infos {
        assert!(
            info.iter().any(|line| line == expected),
            "{expected}\nin {info:#?}"
        );
    }
}

#[test]
fn every_builder_page_the_widget_tests_can_produce_a_lead() {
    let profiles = forms("tests/fixtures/builders.json");
    let script = |line: usize| {
        format!("script: line {line}, src {FORMS_HOST}/closem.js: forms post to {FORMS_HOST} (the origin it loads from)")
    };
    let report = diagnose(&site_page("cf7"), None, &profiles);
    assert_report(
        &report,
        &[],
        &[
            "[cf7] your-name: without JavaScript it is known by its name only and dropped; map it in the profile's fields",
            "[cf7] your-email: without JavaScript it is known by its name only and dropped; map it in the profile's fields",
            "[cf7] without JavaScript no valid lead: enter a phone number or an email address",
        ],
        &[
            &script(9),
            "form \"cf7\" (line 14): profile cf7 (addcontact)",
            "[cf7] _wpcf7 (line 16, hidden): dropped: no CLOSEM field (map it in the profile's fields, or add data-closem-field)",
            "[cf7] your-name (line 24, text): feeds fullname (autocomplete=\"name\")",
            "[cf7] your-email (line 26, email): feeds email (autocomplete=\"email\")",
            "[cf7] your-message (line 30, textarea): feeds notes (the profile's fields mapping)",
            "[cf7] a valid lead: CLOSEM receives mode, email, fullname, notes, tags",
        ],
    );
    // The Webflow page also holds a form whose profile does not exist, on purpose (the widget's
    // test of a refusal): that one is the page's only error.
    let report = diagnose(&site_page("webflow"), None, &profiles);
    assert_eq!(
        texts(&report, Level::Error),
        ["[no-such-form] no profile named \"no-such-form\": every post gets 404 (profiles: bootstrap, cf7, elementor, gravity, hubspot, intl, intl-named, mailchimp, react, shopify, webflow, wpforms)"]
    );
    assert!(texts(&report, Level::Info).contains(
        &"[webflow] a valid lead: CLOSEM receives mode, sequence_id, contact_emails".to_owned()
    ));
    // The builders' pages, and the pages of the CSP, cross-origin, pinned and start-up tests.
    for page in [
        "wpforms",
        "gravity",
        "elementor",
        "mailchimp",
        "bootstrap",
        "shopify",
        "crossorigin",
        "csp-allowed",
        "csp-nowasm",
        "pinned",
        "startup",
    ] {
        let report = diagnose(&site_page(page), None, &profiles);
        assert!(report.ok(), "{page}: {:#?}", report.findings);
        assert!(
            texts(&report, Level::Info)
                .iter()
                .any(|line| line.contains("] a valid lead: CLOSEM receives mode, ")),
            "{page}: {:#?}",
            report.findings
        );
    }
    // Forms that JavaScript builds are not in the HTML, and the doctor says so.
    for page in ["react", "hubspot"] {
        let report = diagnose(&site_page(page), None, &profiles);
        assert!(!report.ok(), "{page}");
        assert!(
            texts(&report, Level::Error)[0].starts_with("no <form data-closem> in the page's HTML")
        );
    }
}

#[test]
fn every_kind_of_mistake_is_reported() {
    let html =
        std::fs::read_to_string(workspace("tests/fixtures/doctor/mistakes.html")).expect("page");
    let report = diagnose(&html, None, &forms("tests/fixtures/doctor/forms.json"));
    assert_report(
        &report,
        &[
            "[newsletter] no profile named \"newsletter\": every post gets 404 (profiles: callback, fine, guide, quote, visit)",
            "[quote] the action posts straight to CLOSEM: the page hands the API key to every visitor; point it at the forms host's /f/<form id>",
            "[callback] no valid lead: phone: enter a phone number (no input on the page can give it)",
            "[guide] no valid lead: email: enter a phone number or an email address (no input on the page can give it)",
            "[visit] no valid lead: appointment_timestamp: choose a time for the appointment (no input on the page can give it)",
        ],
        &[
            "closem.js is included 2 times: keep one tag",
            "[quote] phone: type email fights its field phone: type=email: browsers refuse anything but an email address when JavaScript is off",
            "[quote] text (line 24) has neither name nor id: its value is never sent",
            "[quote] company: data-closem-field=\"emial\" names no CLOSEM field, so it is ignored",
            "[callback] mobile: without JavaScript it is known by its name only and dropped; map it in the profile's fields",
            "[callback] mobile: type number fights its field phone: type=number keeps only digits: the +, spaces and dashes of a phone number are refused",
            "[guide] method is \"get\": without JavaScript the edge needs method=\"post\"",
            "[guide] no action: without JavaScript the form posts to the page itself; set action=\"https://forms.example.com/f/guide\"",
            "[visit] when: type date fights its field appointment_timestamp: the browser only accepts its own format in this type",
        ],
        &[
            "script: line 8, src https://cdn.example.com/closem.js: forms post to https://forms.example.com (its data-endpoint)",
            "[quote] tags (line 22, text): tags is a control field: ignored, the profile sets it",
            "[quote] favourite-colour (line 23, text): dropped: no CLOSEM field (map it in the profile's fields, or add data-closem-field)",
            "[quote] phone (line 21, email): feeds phone (a documented CLOSEM name)",
            "[quote] a valid lead: CLOSEM receives mode, phone, email",
            "[callback] mobile (line 32, number): feeds phone (autocomplete=\"tel\")",
            "[guide] fullname (line 37, text): dropped: a runsequence profile does not use fullname",
            "[fine] website (line 49, text): the profile's honeypot: people leave it empty, posts that fill it are kept as spam",
            "[fine] a valid lead: CLOSEM receives mode, email",
        ],
    );
    assert!(!report.ok());
    // The command fails on such a page.
    let outcome = super::run(&[
        workspace("tests/fixtures/doctor/mistakes.html")
            .display()
            .to_string(),
        "--forms".into(),
        workspace("tests/fixtures/doctor/forms.json")
            .display()
            .to_string(),
    ]);
    assert!(outcome.is_err());
}

#[test]
fn a_page_is_read_from_its_url_and_relative_tags_resolve_against_it() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let page = r#"<script src="/closem.js" defer></script>
<form data-closem="fine" action="/f/fine" method="post"><input name="email"></form>"#;
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        // The whole request, up to its blank line.
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|read| read == 1)
        {
            request.push(byte[0]);
        }
        let _ = write!(
            stream,
            "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n{page}"
        );
    });
    let url = format!("http://127.0.0.1:{port}/contact/");
    let (html, base) = super::read_page(&url).expect("fetch");
    server.join().expect("server");
    let report = diagnose(
        &html,
        base.as_deref(),
        &forms("tests/fixtures/doctor/forms.json"),
    );
    assert_report(
        &report,
        &[],
        &[],
        &[
            &format!("script: line 1, src /closem.js: forms post to http://127.0.0.1:{port} (the origin it loads from)"),
            "[fine] a valid lead: CLOSEM receives mode, email",
        ],
    );
}
