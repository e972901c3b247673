//! The widget's outbox end to end (issue 6, "the visitor's side"): real headless Chromium with its
//! network cut by chromedriver, the demo site and the edge in workerd, the CLOSEM sandbox behind.
//! A guide request made offline is kept in the page with its idempotency key, then reaches CLOSEM
//! exactly once when the network is back (an `online` event, or the next page load), and sending
//! it again with the same key is recognised by the edge as the same submission.

use std::time::Duration;

use closem_tests::webdriver::{Browser, BrowserOptions};
use serde_json::{json, Value};

use crate::e2e::demo;
use crate::edge_support::unique_email;

const WAIT: Duration = Duration::from_secs(20);

/// A browser on the demo page (see [`open`]) where the guide form was submitted offline for a
/// fresh marker email for `tag` (see [`submit_offline`]): the browser, the email and its key.
fn submit_offline_on_demo(tag: &str) -> (Browser, String, String) {
    let browser = Browser::start(BrowserOptions::default());
    open(&browser, &demo().worker.url());
    let email = unique_email(tag);
    let key = submit_offline(&browser, &email);
    (browser, email, key)
}

/// Opens the demo page with the widget started and its `closem:*` events recorded in `__closem`.
fn open(browser: &Browser, url: &str) {
    browser.goto(url);
    browser.wait_for(
        "the widget to enhance the forms",
        "return document.querySelectorAll('form[data-closem][data-closem-ready]').length >= 3",
        WAIT,
    );
    browser.execute(
        "window.__closem = [];
         for (const type of ['closem:submit', 'closem:success', 'closem:error'])
           document.addEventListener(type, (e) => __closem.push({ type: e.type, detail: e.detail }));",
        json!([]),
    );
}

fn set_offline(browser: &Browser, offline: bool) {
    let conditions = json!({ "network_conditions": {
        "offline": offline, "latency": 0, "download_throughput": -1, "upload_throughput": -1,
    }});
    browser
        .command("POST", "chromium/network_conditions", conditions)
        .unwrap_or_else(|error| panic!("network conditions: {error}"));
}

fn outbox(browser: &Browser) -> Vec<Value> {
    let entries = browser.execute(
        "return JSON.parse(localStorage.getItem('closem:outbox') || '[]');",
        json!([]),
    );
    entries.as_array().cloned().unwrap_or_default()
}

/// Submits the guide form for `email` with the network cut, and returns the key the widget made
/// for it, once the page says it will be sent and nothing has left the browser.
fn submit_offline(browser: &Browser, email: &str) -> String {
    browser.fill(&browser.find("#guide-email"), email);
    set_offline(browser, true);
    browser.click(&browser.find("form[data-closem=guide] button[type=submit]"));
    let status = browser.wait_for(
        "the queued status",
        "var region = document.querySelector('form[data-closem=guide] .closem-status');
         return region && /will be sent/.test(region.textContent) && region.textContent;",
        WAIT,
    );
    assert!(
        status.as_str().unwrap_or_default().contains("connection"),
        "{status}"
    );
    let events = browser.execute(
        "return __closem.map((e) => e.type + ':' + (e.detail && e.detail.issues ? e.detail.status + ':' + e.detail.issues[0].code : '')).join(',');",
        json!([]),
    );
    assert_eq!(
        events,
        json!("closem:submit:,closem:error:0:network.queued"),
        "the page heard that it was queued"
    );
    let entries = outbox(browser);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let entry = &entries[0];
    assert_eq!(entry["form"], "guide", "{entry}");
    assert!(
        entry["fields"]
            .as_array()
            .is_some_and(|fields| fields.contains(&json!(["email", email]))),
        "{entry}"
    );
    let key = entry["key"].as_str().expect("a key").to_string();
    assert_eq!(
        browser.property(&browser.find("#guide-email"), "value"),
        json!(email),
        "what the visitor typed is kept"
    );
    key
}

/// Re-posts the guide with `key`, as a visitor's second attempt would, and returns the answer.
fn post_again(browser: &Browser, key: &str, email: &str) -> Value {
    browser
        .execute_async(&format!(
            "var done = arguments[arguments.length - 1];
             var body = new FormData(); body.set('email', {email:?}); body.set('_closem_key', {key:?});
             fetch('/f/guide', {{ method: 'POST', body, headers: {{ Accept: 'application/json', 'Idempotency-Key': {key:?} }} }})
               .then((r) => r.json().then((json) => done({{ status: r.status, json }})), (e) => done({{ error: String(e) }}));"
        ))
        .unwrap_or_else(|error| panic!("re-post: {error}"))
}

#[test]
fn a_guide_request_made_offline_reaches_closem_once_when_the_network_is_back() {
    let demo = demo();
    let (browser, email, key) = submit_offline_on_demo("e2e-outbox-online");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        demo.records_now(&email).is_empty(),
        "nothing can have left the browser"
    );

    set_offline(&browser, false);
    browser.execute("window.dispatchEvent(new Event('online'));", json!([]));
    browser.wait_for(
        "the guide's success message",
        "var done = document.querySelector('.closem-success'); return !!done && !done.hidden && !document.querySelector('form[data-closem=guide]');",
        WAIT,
    );
    let id = browser.execute(
        "var success = __closem.find((e) => e.type === 'closem:success'); return success && success.detail.id;",
        json!([]),
    );
    let id = id
        .as_str()
        .expect("closem:success carries the id")
        .to_string();
    assert!(outbox(&browser).is_empty(), "accepted, so removed");

    let records = demo.wait_records(&email, |records| !records.is_empty());
    assert_eq!(records[0]["accepted"], true, "{:#?}", records[0]);
    assert_eq!(
        records[0]["idempotency_key"],
        json!(id),
        "CLOSEM got the submission under the key the edge made from the widget's"
    );

    // The visitor (or a second tab) sends the same submission again: the edge knows its key.
    let again = post_again(&browser, &key, &email);
    assert_eq!(again["status"], 202, "{again}");
    assert_eq!(
        again["json"]["id"],
        json!(id),
        "the same submission: {again}"
    );
    browser.execute("window.dispatchEvent(new Event('online'));", json!([]));
    demo.settle();
    let records = demo.records_now(&email);
    assert_eq!(records.len(), 1, "exactly once: {records:#?}");
}

#[test]
fn a_guide_request_made_offline_is_sent_by_the_next_page_load() {
    let demo = demo();
    let (browser, email, key) = submit_offline_on_demo("e2e-outbox-reload");

    // The visitor leaves while still offline; the network comes back; they open the site again.
    browser.goto("about:blank");
    set_offline(&browser, false);
    open(&browser, &demo.worker.url());
    browser.wait_for(
        "the outbox to be sent",
        "return (JSON.parse(localStorage.getItem('closem:outbox') || '[]')).length === 0",
        WAIT,
    );
    let records = demo.wait_records(&email, |records| !records.is_empty());
    let id = records[0]["idempotency_key"]
        .as_str()
        .expect("the edge forwards the submission's key")
        .to_string();
    let again = post_again(&browser, &key, &email);
    assert_eq!(
        again["json"]["id"],
        json!(id),
        "the widget's key names the submission CLOSEM got: {again}"
    );
    browser.goto(&demo.worker.url());
    demo.settle();
    let records = demo.records_now(&email);
    assert_eq!(records.len(), 1, "exactly once: {records:#?}");
    assert!(outbox(&browser).is_empty());
}
