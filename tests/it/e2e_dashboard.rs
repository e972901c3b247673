//! The operators' dashboard (issue 14, part 2) end to end: the page the worker serves at
//! `/admin` (built by `cargo xtask build-widget` into its static assets), driven in headless
//! Chromium against the worker in workerd and the CLOSEM sandbox. Sign in with the token, see
//! the counts, open a timeline, replay a dead letter, release a spam submission and erase a
//! person, with the sandbox showing what arrived; without the token the page shows nothing.
//! Each state is kept as a screenshot in target/e2e-screenshots/ (`dashboard-*.png`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use closem_tests::webdriver::{Browser, BrowserOptions};
use closem_tests::workerd::{workspace_root, Launch};
use serde_json::{json, Value};

use crate::edge_support::{client, unique_email, Edge, ADMIN, KEY, TIMEZONE};

const WAIT: Duration = Duration::from_secs(60);

fn screenshot(browser: &Browser, name: &str) {
    let path: PathBuf = workspace_root()
        .join("target/e2e-screenshots")
        .join(format!("{name}.png"));
    browser.screenshot(&path);
}

/// This test's own sandbox and worker, so the counts it reads are its own.
fn start() -> Edge {
    assert!(
        workspace_root().join("widget/pkg/admin.html").is_file(),
        "the dashboard is not built: run `cargo xtask build-widget`"
    );
    Edge::start_with(
        json!({
            "contact": { "mode": "addcontact" },
            "trap": { "mode": "addcontact", "spam": { "honeypot": "company_website" } }
        }),
        TIMEZONE,
        Launch::default(),
    )
}

fn accepted_by_closem(edge: &Edge, email: &str) -> usize {
    edge.records_now(email)
        .iter()
        .filter(|record| record["accepted"] == true)
        .count()
}

fn wait_accepted(edge: &Edge, email: &str) {
    let deadline = Instant::now() + WAIT;
    while accepted_by_closem(edge, email) == 0 {
        assert!(Instant::now() < deadline, "CLOSEM never accepted {email}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn lead(edge: &Edge, form: &str, fields: &[(&str, &str)]) -> String {
    let reply = edge.post(form, fields);
    reply.assert_status(202);
    reply.json()["id"].as_str().expect("an id").to_string()
}

fn visible(browser: &Browser, id: &str) -> bool {
    browser.execute(
        "var e = document.getElementById(arguments[0]); return !!e && !e.hidden && e.offsetParent !== null;",
        json!([id]),
    ) == Value::Bool(true)
}

fn wait_visible(browser: &Browser, id: &str) {
    browser.wait_for(
        id,
        &format!("var e = document.getElementById('{id}'); return !!e && !e.hidden;"),
        WAIT,
    );
}

fn wait_status(browser: &Browser, words: &str) -> String {
    let script = format!(
        "var t = document.getElementById('status').textContent; return t.indexOf({}) >= 0 ? t : false;",
        json!(words)
    );
    browser
        .wait_for(&format!("the status to say {words}"), &script, WAIT)
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn click(browser: &Browser, css: &str) {
    let element = browser.find(css);
    browser.click(&element);
}

/// Types `text` into the control `field` and clicks `button`.
fn fill_and_click(browser: &Browser, field: &str, text: &str, button: &str) {
    browser.fill(&browser.find(field), text);
    click(browser, button);
}

/// Opens a submission's timeline from the list (after filtering by `state`).
fn open_timeline(browser: &Browser, state: &str, id: &str) {
    browser.execute(
        "document.getElementById('filter-state').value = arguments[0]; \
         document.getElementById('status').textContent = '';",
        json!([state]),
    );
    click(browser, "#filter button[type=submit]");
    wait_status(browser, &format!("({state})"));
    let row = format!("tr[data-id='{id}'] button");
    browser.wait_for(
        &format!("{id} in the list"),
        &format!("return !!document.querySelector(\"{row}\")"),
        WAIT,
    );
    click(browser, &row);
    browser.wait_for(
        "the timeline",
        &format!(
            "var t = document.getElementById('timeline-title'); return !document.getElementById('timeline').hidden && t.textContent.indexOf('{id}') >= 0;"
        ),
        WAIT,
    );
}

/// Confirms the pending action, after checking the question says what will happen.
fn confirm(browser: &Browser, name: &str, question: &str) {
    wait_visible(browser, "confirm");
    let text = browser.text(&browser.find("#confirm-text"));
    assert!(text.contains(question), "{text}");
    let focused = browser.execute("return document.activeElement.id;", json!([]));
    assert_eq!(focused, "confirm-yes", "focus moves to the confirmation");
    screenshot(browser, name);
    click(browser, "#confirm-yes");
}

#[test]
fn the_dashboard_shows_nothing_without_the_token_and_steers_every_lead_with_it() {
    let Some(browser) = Browser::try_start(BrowserOptions::default()).ok() else {
        panic!("Chromium could not start");
    };
    let edge = start();

    // What the dashboard will find: a delivered lead, a dead letter, a quarantined bot post, and
    // a person to erase.
    let delivered = unique_email("dash-delivered");
    lead(&edge, "contact", &[("email", &delivered)]);
    wait_accepted(&edge, &delivered);
    edge.order_faults(json!({"down": true, "status": 503}));
    let dead = unique_email("dash-dead");
    let dead_id = lead(&edge, "contact", &[("email", &dead), ("first_name", "Dee")]);
    edge.wait_state(&dead_id, "dead");
    edge.clear_faults();
    let spam = unique_email("dash-spam");
    let spam_id = lead(
        &edge,
        "trap",
        &[("email", &spam), ("company_website", "http://bots.example")],
    );
    edge.wait_state(&spam_id, "spam");
    let person = unique_email("dash-erase");
    let person_id = lead(&edge, "contact", &[("email", &person)]);
    wait_accepted(&edge, &person);

    // The page itself holds no data and is bearer-only behind it.
    let page = client().get(edge.url("/admin")).send().expect("GET /admin");
    assert_eq!(page.status().as_u16(), 200);
    let headers = page.headers().clone();
    let html = page.text().unwrap_or_default();
    assert!(html.contains("id=\"login\""), "{html}");
    for secret in [
        delivered.as_str(),
        &dead,
        &spam,
        &person,
        &dead_id,
        ADMIN,
        KEY,
    ] {
        assert!(!html.contains(secret), "the page holds {secret}");
    }
    assert_eq!(
        headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-cache")
    );
    let csp = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let with_cookie = client()
        .get(edge.url("/admin/submissions"))
        .header("Cookie", format!("token={ADMIN}"))
        .send()
        .expect("GET /admin/submissions");
    assert_eq!(
        with_cookie.status().as_u16(),
        401,
        "cookies are not a token"
    );

    // Without the token: the sign-in form only.
    browser.goto(&edge.url("/admin"));
    wait_visible(&browser, "login");
    assert!(!visible(&browser, "dashboard"));
    let text = browser.page_text();
    assert!(!text.contains(&dead_id) && !text.contains(&dead), "{text}");
    let focused = browser.execute("return document.activeElement.id;", json!([]));
    assert_eq!(focused, "token", "the token field has focus");
    screenshot(&browser, "dashboard-signed-out");

    // A wrong token is refused and forgotten.
    fill_and_click(
        &browser,
        "#token",
        "not-the-operator-token",
        "#login button[type=submit]",
    );
    browser.wait_for(
        "the refusal",
        "return document.getElementById('login-error').textContent.indexOf('refused') >= 0",
        WAIT,
    );
    assert!(!visible(&browser, "dashboard"));
    let stored = browser.execute(
        "return sessionStorage.getItem('closem-admin-token');",
        json!([]),
    );
    assert_eq!(stored, Value::Null);
    screenshot(&browser, "dashboard-refused");

    // The right one: counts by state and form, the list, the configuration.
    fill_and_click(&browser, "#token", ADMIN, "#login button[type=submit]");
    wait_visible(&browser, "dashboard");
    wait_status(&browser, "Listed");
    let count = |state: &str| {
        browser.execute(
            "var c = document.querySelector(\"#counts-body td[data-state='\" + arguments[0] + \"']\"); return c && c.textContent;",
            json!([state]),
        )
    };
    assert_eq!(count("dead"), "1");
    assert_eq!(count("spam"), "1");
    assert_eq!(count("delivered"), "2");
    let contact_row = browser.text(&browser.find("#forms-body tr[data-form='contact']"));
    assert!(contact_row.starts_with("contact"), "{contact_row}");
    browser.wait_for(
        "the configuration",
        "return document.getElementById('health-status').textContent.length > 0",
        WAIT,
    );
    let problems = browser.text(&browser.find("#problems"));
    assert!(problems.contains("ALERT_WEBHOOK_URL"), "{problems}");
    assert_eq!(
        browser.execute(
            "return sessionStorage.getItem('closem-admin-token');",
            json!([])
        ),
        ADMIN
    );
    assert_eq!(
        browser.execute("return document.cookie;", json!([])),
        "",
        "no cookie is set"
    );
    screenshot(&browser, "dashboard-counts");

    // One lead's timeline, then its replay: CLOSEM receives the dead letter.
    open_timeline(&browser, "dead", &dead_id);
    let timeline = browser.text(&browser.find("#timeline"));
    assert!(timeline.contains("dead"), "{timeline}");
    assert!(timeline.contains("failed"), "{timeline}");
    assert!(
        timeline.contains(&dead),
        "the fields CLOSEM receives: {timeline}"
    );
    screenshot(&browser, "dashboard-timeline");
    assert_eq!(browser.text(&browser.find("#timeline-action")), "Replay");
    click(&browser, "#timeline-action");
    confirm(&browser, "dashboard-confirm-replay", &dead_id);
    wait_status(&browser, "Replayed");
    wait_accepted(&edge, &dead);
    edge.wait_state(&dead_id, "delivered");

    // Release the quarantined submission: CLOSEM receives it.
    open_timeline(&browser, "spam", &spam_id);
    assert_eq!(
        browser.text(&browser.find("#timeline-action")),
        "Release from spam"
    );
    click(&browser, "#timeline-action");
    confirm(&browser, "dashboard-confirm-release", &spam_id);
    wait_status(&browser, "Replayed");
    wait_accepted(&edge, &spam);

    // Erase a person: a malformed address is refused in the page with shared/'s message; the
    // real one erases their submission on every shard.
    fill_and_click(&browser, "#erase-who", "not an email@", "#erase-submit");
    browser.wait_for(
        "the erase error",
        "return document.getElementById('erase-error').textContent.length > 0",
        WAIT,
    );
    assert!(!visible(&browser, "confirm"));
    fill_and_click(&browser, "#erase-who", &person, "#erase-submit");
    confirm(&browser, "dashboard-confirm-erase", &person);
    let said = wait_status(&browser, "Erased");
    assert!(said.contains("Erased 1 submission of"), "{said}");
    assert!(edge.ledger_entry(&person_id).is_none(), "erased");
    screenshot(&browser, "dashboard-erased");

    // On a phone: one column, nothing cut off sideways.
    browser.execute(
        "document.getElementById('timeline-close').click();",
        json!([]),
    );
    let wide = browser.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1",
        json!([]),
    );
    assert_eq!(wide, true, "the desktop page does not scroll sideways");

    // Signing out forgets the token and shows nothing again, also after a reload.
    click(&browser, "#sign-out");
    wait_visible(&browser, "login");
    assert_eq!(
        browser.execute(
            "return sessionStorage.getItem('closem-admin-token');",
            json!([])
        ),
        Value::Null
    );
    assert_eq!(
        browser.execute(
            "return document.getElementById('list-body').children.length",
            json!([])
        ),
        0
    );
    browser.goto(&edge.url("/admin"));
    wait_visible(&browser, "login");
    assert!(!visible(&browser, "dashboard"));
    edge.assert_log_clean();
}

#[test]
fn the_dashboard_fits_a_phone() {
    let Some(browser) = Browser::try_start(BrowserOptions {
        javascript: true,
        width: 390,
        height: 844,
    })
    .ok() else {
        panic!("Chromium could not start");
    };
    let edge = start();
    let email = unique_email("dash-phone");
    lead(&edge, "contact", &[("email", &email)]);
    wait_accepted(&edge, &email);
    browser.goto(&edge.url("/admin"));
    wait_visible(&browser, "login");
    screenshot(&browser, "dashboard-phone-signed-out");
    fill_and_click(&browser, "#token", ADMIN, "#login button[type=submit]");
    wait_visible(&browser, "dashboard");
    wait_status(&browser, "Listed");
    let fits = browser.execute(
        "return document.body.scrollWidth <= window.innerWidth + 1",
        json!([]),
    );
    assert_eq!(fits, true, "the page does not scroll sideways on a phone");
    screenshot(&browser, "dashboard-phone");
}
