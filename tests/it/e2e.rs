//! End to end, the way a visitor and a site owner meet the product: the demo site (www/ and the
//! built widget) served by the worker in workerd, forwarding to the CLOSEM sandbox, driven in real
//! headless Chromium. Each state of the demo page is kept as a screenshot in
//! target/e2e-screenshots/ to look at.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use closem_shared::{message, Field, IssueKind};
use closem_tests::sandbox::spawn;
use closem_tests::webdriver::{Browser, BrowserOptions};
use closem_tests::workerd::{workspace_root, Launch, Workerd, WorkerdOptions};
use serde_json::{json, Value};

use crate::edge_support::{assert_fields, unique_email, value_of, Edge, KEY};

const WAIT: Duration = Duration::from_secs(20);

/// The demo (tests/demo/forms.json, the profiles `cargo xtask run` uses) plus test pages.
pub(crate) fn demo() -> &'static Edge {
    static DEMO: OnceLock<Edge> = OnceLock::new();
    DEMO.get_or_init(|| {
        let root = workspace_root();
        assert!(
            root.join("widget/pkg/closem.js").is_file(),
            "the widget is not built: run `cargo xtask build-widget`"
        );
        let forms: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("tests/demo/forms.json")).expect("demo forms"),
        )
        .expect("demo forms are JSON");
        let sandbox = spawn(KEY);
        let worker = Workerd::start_with(
            WorkerdOptions {
                api_key: Some(KEY.to_string()),
                base_url: format!("{}/", sandbox.url()),
                timezone: "America/New_York".into(),
                forms,
            },
            Launch {
                extra_site: Some(root.join("tests/pages")),
                ..Launch::default()
            },
        );
        Edge { sandbox, worker }
    })
}

fn screenshot(browser: &Browser, name: &str) {
    let path: PathBuf = workspace_root()
        .join("target/e2e-screenshots")
        .join(format!("{name}.png"));
    browser.screenshot(&path);
}

/// Waits for the widget to have enhanced every form on the page.
fn wait_enhanced(browser: &Browser, forms: usize) {
    let script = format!(
        "return document.querySelectorAll('form[data-closem][data-closem-ready]').length >= {forms}"
    );
    browser.wait_for("the widget to enhance the forms", &script, WAIT);
}

/// A browser on the demo's home page; with JavaScript, once the widget has enhanced its three
/// forms.
fn open_home(javascript: bool) -> Browser {
    let browser = Browser::start(BrowserOptions {
        javascript,
        ..BrowserOptions::default()
    });
    browser.goto(&demo().worker.url());
    if javascript {
        wait_enhanced(&browser, 3);
    }
    browser
}

/// Waits for the success block of form `#id`'s card to be shown.
fn wait_success(browser: &Browser, form_selector: &str) {
    let script = format!(
        "var done = document.querySelector('{form_selector} [data-closem-success], .closem-success');
         var form = document.querySelector('{form_selector}');
         return !!done && !done.hidden && (!form || !form.isConnected || form.hidden || getComputedStyle(form).display === 'none' || form.contains(done));"
    );
    browser.wait_for("the success message", &script, WAIT);
}

#[test]
fn the_lead_form_sends_exactly_the_canonical_fields() {
    let demo = demo();
    let browser = open_home(true);
    screenshot(&browser, "01-home");
    let email = unique_email("e2e-lead");
    browser.fill(&browser.find("#contact-name"), "Ada Lovelace");
    browser.fill(&browser.find("#contact-email"), &email);
    browser.fill(&browser.find("#contact-phone"), "+1 (555) 444-3333");
    browser.fill(&browser.find("#contact-message"), "Pricing for 20 seats");
    browser.click(&browser.find("form[data-closem=contact] button[type=submit]"));
    wait_success(&browser, "form[data-closem=contact]");
    screenshot(&browser, "02-lead-success");
    assert_fields(
        &demo.forwarded(&email),
        &[
            ("mode", "addcontact"),
            ("upsert", "true"),
            ("phone", "+15554443333"),
            ("email", &email),
            ("fullname", "Ada Lovelace"),
            ("notes", "Pricing for 20 seats"),
            ("tags", "42,57"),
            ("contactlists", "18"),
        ],
    );
}

#[test]
fn the_guide_form_runs_the_sequence_on_the_visitor_only() {
    let demo = demo();
    let browser = open_home(true);
    let email = unique_email("e2e-guide");
    browser.fill(&browser.find("#guide-email"), &email);
    browser.click(&browser.find("form[data-closem=guide] button[type=submit]"));
    wait_success(&browser, "form[data-closem=guide]");
    demo.assert_sequence_ran_for(&email);
}

#[test]
fn the_booking_form_sends_the_visitors_local_time_as_unix_seconds() {
    let demo = demo();
    let browser = open_home(true);
    let email = unique_email("e2e-booking");
    browser.fill(&browser.find("#booking-email"), &email);
    // A datetime-local input takes its value as typed digits in a locale-specific order; setting
    // the value is what a date picker does.
    let local = "2031-05-01T10:30";
    browser.execute(
        "var input = document.getElementById('booking-when'); input.value = arguments[0];
         input.dispatchEvent(new Event('input', {bubbles: true})); input.dispatchEvent(new Event('change', {bubbles: true}));",
        json!([local]),
    );
    let expected = browser
        .execute(
            "return String(new Date(arguments[0]).getTime() / 1000);",
            json!([local]),
        )
        .as_str()
        .expect("a number as text")
        .to_string();
    browser.fill(&browser.find("#booking-topic"), "Onboarding call");
    browser.click(&browser.find("form[data-closem=booking] button[type=submit]"));
    wait_success(&browser, "form[data-closem=booking]");
    screenshot(&browser, "03-booking-success");
    let fields = demo.forwarded(&email);
    assert_fields(
        &fields,
        &[
            ("mode", "scheduleappointment"),
            ("appointment_note", "Onboarding call"),
            ("appointment_timestamp", &expected),
            ("contact_emails", &email),
        ],
    );
    assert_eq!(value_of(&fields, "appointment_timestamp"), expected);
}

#[test]
fn invalid_input_shows_the_inline_message_and_sends_nothing() {
    let demo = demo();
    let browser = open_home(true);
    let marker = unique_email("e2e-invalid");
    browser.fill(&browser.find("#contact-name"), &marker);
    browser.fill(&browser.find("#contact-email"), "ada-at-example");
    // Enter in a field submits the form (implicit submission), as a keyboard user would.
    browser.fill(&browser.find("#contact-phone"), "12345\u{E007}");
    browser.wait_for(
        "the inline messages",
        "return document.getElementById('contact-email').getAttribute('aria-invalid') === 'true'",
        WAIT,
    );
    screenshot(&browser, "04-lead-invalid");
    for (input, field) in [
        ("#contact-email", Field::Email),
        ("#contact-phone", Field::Phone),
    ] {
        let element = browser.find(input);
        assert_eq!(
            browser.attribute(&element, "aria-invalid").as_deref(),
            Some("true"),
            "{input}"
        );
        let described = browser
            .attribute(&element, "aria-describedby")
            .unwrap_or_else(|| panic!("{input} has no aria-describedby"));
        let texts: Vec<String> = described
            .split_whitespace()
            .filter_map(|id| browser.try_find(&format!("#{id}")))
            .map(|error| browser.text(&error))
            .collect();
        assert!(
            texts
                .iter()
                .any(|text| text == message(Some(field), IssueKind::Format)),
            "{input} is described by {texts:?}"
        );
    }
    let focused = browser.execute(
        "var active = document.activeElement; return active && (active.id || active.outerHTML.slice(0, 80));",
        json!([]),
    );
    assert_eq!(
        focused,
        json!("contact-email"),
        "focus moves to the first invalid field"
    );
    std::thread::sleep(Duration::from_millis(500));
    demo.assert_not_forwarded(&marker);
}

#[test]
fn without_javascript_the_native_post_lands_on_the_thank_you_page() {
    let demo = demo();
    let browser = open_home(false);
    screenshot(&browser, "05-home-without-javascript");
    let email = unique_email("e2e-nojs");
    browser.fill(&browser.find("#guide-email"), &email);
    browser.click(&browser.find("form[data-closem=guide] button[type=submit]"));
    browser.wait_for(
        "the thank-you page",
        "return location.pathname === '/thanks'",
        WAIT,
    );
    screenshot(&browser, "06-native-thanks");
    assert!(
        browser.page_text().contains("Thank you"),
        "{}",
        browser.page_text()
    );
    demo.assert_sequence_ran_for(&email);
}

#[test]
fn without_javascript_bad_input_gets_the_page_listing_the_problems() {
    let demo = demo();
    let browser = open_home(false);
    let marker = unique_email("e2e-nojs-bad");
    browser.fill(&browser.find("#contact-name"), &marker);
    // type=email with `required` would stop a native post in the browser; an invalid phone passes
    // the browser and is caught by the edge.
    browser.fill(&browser.find("#contact-email"), "ada@example.com");
    browser.fill(&browser.find("#contact-phone"), "12345");
    browser.click(&browser.find("form[data-closem=contact] button[type=submit]"));
    browser.wait_for(
        "the problems page",
        "return location.pathname === '/f/contact'",
        WAIT,
    );
    screenshot(&browser, "07-native-problems");
    let text = browser.page_text();
    assert!(text.contains("Please check the form"), "{text}");
    assert!(
        text.contains(message(Some(Field::Phone), IssueKind::Format)),
        "{text}"
    );
    let back = browser.find("a[href]");
    assert_eq!(
        browser.attribute(&back, "href").as_deref(),
        Some(format!("{}/", demo.worker.url()).as_str())
    );
    demo.assert_not_forwarded(&marker);
}

#[test]
fn a_page_whose_csp_forbids_wasm_still_submits_natively() {
    let demo = demo();
    let browser = Browser::start(BrowserOptions::default());
    browser.goto(&format!("{}/e2e/csp.html", demo.worker.url()));
    // Give the widget every chance to start; the policy must stop it.
    std::thread::sleep(Duration::from_millis(1000));
    let form = browser.find("#csp-guide");
    assert_eq!(
        browser.attribute(&form, "data-closem-ready"),
        None,
        "the widget cannot start under this CSP"
    );
    let email = unique_email("e2e-csp");
    browser.fill(&browser.find("#csp-email"), &email);
    browser.click(&browser.find("#csp-guide button"));
    browser.wait_for(
        "the thank-you page",
        "return location.pathname === '/thanks'",
        WAIT,
    );
    demo.assert_sequence_ran_for(&email);
}

#[test]
fn a_form_inserted_after_load_is_enhanced_and_submits() {
    let demo = demo();
    let browser = open_home(true);
    browser.execute(
        "var form = document.createElement('form');
         form.id = 'late'; form.setAttribute('data-closem', 'guide'); form.action = '/f/guide'; form.method = 'post';
         form.innerHTML = '<input id=\"late-email\" name=\"email\" type=\"email\" required><button type=\"submit\">Go</button><p data-closem-success hidden>Done</p>';
         document.querySelector('main').appendChild(form);",
        json!([]),
    );
    browser.wait_for(
        "the late form to be enhanced",
        "return document.getElementById('late').hasAttribute('data-closem-ready')",
        WAIT,
    );
    let email = unique_email("e2e-late");
    browser.fill(&browser.find("#late-email"), &email);
    browser.click(&browser.find("#late button"));
    wait_success(&browser, "#late");
    demo.assert_sequence_ran_for(&email);
    assert_eq!(
        browser.current_url().trim_end_matches('/'),
        demo.worker.url(),
        "the widget submitted in place: no navigation"
    );
}
