//! Alerts (issue 14, part 3), in workerd against the sandbox, whose webhook stand-in
//! (`/webhook/{name}`) captures what Slack or Discord would receive: one alert per kind and form
//! per quiet period for a dead letter, a refused key and a spam jump, with nothing personal in
//! it, and a slow webhook that delays neither a delivery nor a visitor's answer.

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use closem_tests::sandbox::SLOW_WEBHOOK;
use closem_tests::workerd::Launch;
use serde_json::{json, Value};

use crate::edge_support::{client, unique_email, Edge, KEY, TIMEZONE};

/// The quiet period of this module's workers, in seconds.
const QUIET_SECONDS: u64 = 20;
const DASHBOARD: &str = "https://forms.example.com/admin";

fn forms() -> Value {
    json!({
        "dead": { "mode": "addcontact" },
        "held": { "mode": "addcontact" },
        "trap": { "mode": "addcontact", "spam": { "honeypot": "company_website" } }
    })
}

/// A sandbox and a worker alerting the sandbox's webhook `name`, with a short quiet period and a
/// spam threshold of one trapped post per shard and hour.
fn start(name: &str) -> Edge {
    Edge::start_around(forms(), TIMEZONE, |sandbox| Launch {
        alert_webhook_url: Some(format!("{}/webhook/{name}", sandbox.url())),
        vars: vec![
            ("ALERT_QUIET_SECONDS".into(), QUIET_SECONDS.to_string()),
            ("ALERT_SPAM_PER_HOUR".into(), "1".into()),
            ("ALERT_DASHBOARD_URL".into(), DASHBOARD.into()),
        ],
        ..Launch::default()
    })
}

/// This module's pair, alerting webhook `ops`; tests that order faults hold the lock.
fn alerting() -> (MutexGuard<'static, ()>, &'static Edge) {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let edge = EDGE.get_or_init(|| start("ops"));
    edge.clear_faults();
    (guard, edge)
}

/// What the webhook stand-in received so far.
fn webhooks(edge: &Edge) -> Vec<Value> {
    client()
        .get(format!("{}/webhook/requests", edge.sandbox.url()))
        .send()
        .and_then(|response| response.json())
        .expect("the sandbox lists its webhooks")
}

/// The alerts received whose text names form `form` and says `words`.
fn alerts_about(edge: &Edge, form: &str, words: &str) -> Vec<Value> {
    let quoted = format!("form \"{form}\"");
    webhooks(edge)
        .into_iter()
        .filter(|post| {
            let text = post["body"]["text"].as_str().unwrap_or_default();
            text.contains(&quoted) && text.contains(words)
        })
        .collect()
}

/// Waits until `count` alerts match, and returns them.
fn wait_alerts(edge: &Edge, form: &str, words: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = alerts_about(edge, form, words);
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{count} alert(s) for {form} ({words}) never came: {:#?}",
            webhooks(edge)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Slack reads `text`, Discord `content`: both carry the same words, and nothing else is sent;
/// the words name the form and the dashboard, never the visitor.
fn assert_shape(post: &Value, personal: &[&str]) {
    assert_eq!(post["content_type"], "application/json", "{post}");
    let body = post["body"].as_object().expect("a JSON object");
    assert_eq!(body.len(), 2, "{post}");
    assert_eq!(body["text"], body["content"], "{post}");
    let text = body["text"].as_str().unwrap_or_default();
    assert!(text.contains(DASHBOARD), "{text}");
    assert!(!text.contains(KEY), "{text}");
    for value in personal {
        assert!(!text.contains(value), "{text} shows {value}");
    }
}

fn post_lead(edge: &Edge, form: &str, email: &str) -> String {
    let reply = edge.post(form, &[("email", email), ("first_name", "Alerted")]);
    reply.assert_status(202);
    reply.json()["id"]
        .as_str()
        .expect("an accepted submission has an id")
        .to_string()
}

#[test]
fn a_dead_letter_alerts_once_per_quiet_period_and_the_next_says_how_many_were_held_back() {
    let (_guard, edge) = alerting();
    edge.order_faults(json!({"down": true, "status": 503}));
    let first = unique_email("alert-dead-1");
    let second = unique_email("alert-dead-2");
    let ids = [
        post_lead(edge, "dead", &first),
        post_lead(edge, "dead", &second),
    ];
    for id in &ids {
        edge.wait_state(id, "dead");
    }
    let alerts = wait_alerts(edge, "dead", "dead-lettered", 1);
    // Both died within the quiet period: one alert.
    std::thread::sleep(Duration::from_secs(2));
    let alerts_now = alerts_about(edge, "dead", "dead-lettered");
    assert_eq!(alerts_now.len(), 1, "{alerts_now:#?}");
    assert_shape(&alerts[0], &[&first, &second, "Alerted"]);
    for id in &ids {
        let text = alerts[0]["body"]["text"].as_str().unwrap_or_default();
        assert!(!text.contains(id.as_str()), "{text}");
    }

    // After the quiet period, the next dead letter alerts again and counts the one held back.
    let started = Instant::now();
    let third = unique_email("alert-dead-3");
    let id = post_lead(edge, "dead", &third);
    edge.wait_state(&id, "dead");
    let wait = Duration::from_secs(QUIET_SECONDS).saturating_sub(started.elapsed());
    std::thread::sleep(wait);
    // The third may have died inside the quiet period: then a fourth, after it, alerts.
    let alerts = if alerts_about(edge, "dead", "dead-lettered").len() < 2 {
        let fourth = unique_email("alert-dead-4");
        let id = post_lead(edge, "dead", &fourth);
        edge.wait_state(&id, "dead");
        wait_alerts(edge, "dead", "dead-lettered", 2)
    } else {
        alerts_about(edge, "dead", "dead-lettered")
    };
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let text = alerts[1]["body"]["text"].as_str().unwrap_or_default();
    assert!(text.contains("more since the last alert"), "{text}");
    assert_shape(&alerts[1], &[&third]);
    edge.clear_faults();
    edge.assert_log_clean();
}

#[test]
fn a_refused_key_alerts_once_while_leads_are_held_and_delivery_resumes() {
    let (_guard, edge) = alerting();
    edge.order_faults(json!({"down": true, "status": 401}));
    let email = unique_email("alert-held");
    let id = post_lead(edge, "held", &email);
    edge.wait_state(&id, "held");
    let alerts = wait_alerts(edge, "held", "CLOSEM refuses the API key", 1);
    assert_shape(&alerts[0], &[&email, "Alerted"]);
    // Held submissions are retried every DELIVERY_MAX_DELAY (2 s in tests): each retry meets
    // the refusal again, and none of them alerts again within the quiet period.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        alerts_about(edge, "held", "CLOSEM refuses the API key").len(),
        1,
        "{:#?}",
        webhooks(edge)
    );
    edge.clear_faults();
    edge.wait_state(&id, "delivered");
    let accepted = edge
        .records_now(&email)
        .into_iter()
        .filter(|record| record["accepted"] == true)
        .count();
    assert_eq!(accepted, 1, "delivered once after the key works again");
}

#[test]
fn a_spam_jump_alerts_once_per_quiet_period_without_the_bots_fields() {
    let (_guard, edge) = alerting();
    let started = Instant::now();
    let mut emails = Vec::new();
    for n in 0..3 {
        let email = unique_email(&format!("alert-spam-{n}"));
        edge.post(
            "trap",
            &[
                ("email", &email),
                ("company_website", "http://spam.example"),
            ],
        )
        .assert_status(202);
        emails.push(email);
    }
    let alerts = wait_alerts(edge, "trap", "jumped", 1);
    assert!(
        started.elapsed() < Duration::from_secs(QUIET_SECONDS),
        "the posts took longer than the quiet period"
    );
    std::thread::sleep(Duration::from_secs(2));
    let alerts_now = alerts_about(edge, "trap", "jumped");
    assert_eq!(alerts_now.len(), 1, "{alerts_now:#?}");
    let personal: Vec<&str> = emails.iter().map(String::as_str).collect();
    assert_shape(&alerts[0], &personal);
    assert_shape(&alerts[0], &["spam.example"]);
}

#[test]
fn a_slow_webhook_delays_neither_delivery_nor_the_visitors_answer() {
    let edge = start(SLOW_WEBHOOK);
    // A spam jump raises an alert while the bot's request is answered: the answer must not wait
    // for the webhook (20 s, cut off by the edge after 3 s), which is posted after it. Compared
    // with an ordinary post's time, so a loaded machine does not fail it.
    let ordinary = Instant::now();
    let reply = edge.post("held", &[("email", &unique_email("slow-ordinary"))]);
    reply.assert_status(202);
    let ordinary = ordinary.elapsed();
    let started = Instant::now();
    edge.post(
        "trap",
        &[
            ("email", &unique_email("slow-spam")),
            ("company_website", "http://spam.example"),
        ],
    )
    .assert_status(202);
    assert!(
        started.elapsed() < ordinary + Duration::from_millis(2_500),
        "the answer waited {:?} (an ordinary post: {ordinary:?})",
        started.elapsed()
    );
    // A refused key raises an alert in the queue consumer; the held lead is still delivered
    // once the key works again, and the webhook's timeout is only logged.
    edge.order_faults(json!({"down": true, "status": 403}));
    let email = unique_email("slow-held");
    let id = post_lead(&edge, "held", &email);
    edge.wait_state(&id, "held");
    edge.clear_faults();
    let delivered = Instant::now();
    edge.wait_state(&id, "delivered");
    assert!(
        delivered.elapsed() < Duration::from_secs(40),
        "delivery waited {:?}",
        delivered.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !edge
        .worker
        .log()
        .lines()
        .any(|line| line.contains(r#""event":"alert""#) && line.contains(r#""outcome":"timeout""#))
    {
        assert!(
            Instant::now() < deadline,
            "no alert timed out:\n{}",
            edge.worker.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = edge.worker.log();
    assert!(
        !log.contains("/webhook/"),
        "the log shows the webhook URL:\n{log}"
    );
    edge.assert_log_clean();
}
