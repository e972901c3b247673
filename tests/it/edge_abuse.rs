//! Issue 6, abuse defences, through workerd: the honeypot and the minimum fill time (bots get a
//! normal-looking success, nothing is forwarded, operators see them counted), Turnstile verified
//! on the server against the sandbox's siteverify stand-in (hostname, action, single-use tokens,
//! an outage), and per-client rate limiting with the Workers rate limiting binding (429 with
//! `Retry-After`).
//!
//! Every test posts as its own client (`CF-Connecting-IP`, which workerd passes on locally), so
//! the small rate limit of this module's worker only ever trips where a test means it to.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use closem_tests::sandbox::{ALWAYS_FAILS, ALWAYS_SPENT, UNAVAILABLE_TOKEN};
use closem_tests::workerd::{
    production_config, ratelimits, Launch, RateLimit, Workerd, WorkerdOptions, RATE_LIMIT_BINDING,
    RATE_LIMIT_NAMESPACE,
};
use serde_json::{json, Value};

use crate::edge_support::{client, unique_email, Edge, Reply, ADMIN, KEY, TIMEZONE};

/// The `TURNSTILE_SECRET` of this module's worker; shaped like a real one (the stand-in wants
/// `0x…`) and distinctive, so a leak is unmistakable.
const TURNSTILE_SECRET: &str = "0x4AAAAAAA-edge-it-turnstile-secret-71c3e9";
/// Posts one client may send to one form per period, on this module's worker.
const LIMIT: RateLimit = RateLimit {
    limit: 3,
    period: 60,
};

fn forms() -> Value {
    json!({
        "trap": {
            "mode": "addcontact",
            "spam": { "honeypot": "company_website", "min_fill_ms": 3000 }
        },
        "guarded": {
            "mode": "addcontact",
            "allowed_origins": ["https://www.example.com"],
            "spam": { "turnstile_site_key": "0x4AAAAAAA-site-key", "turnstile_action": "lead" }
        },
        "hosted": {
            "mode": "addcontact",
            "spam": {
                "turnstile_site_key": "0x4AAAAAAA-site-key",
                "turnstile_hostnames": ["forms.example.org"]
            }
        },
        "limited": { "mode": "addcontact" }
    })
}

/// The sandbox and the worker of this module: Turnstile verified by the sandbox's stand-in, and a
/// rate limit of [`LIMIT`].
fn abuse() -> &'static Edge {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    EDGE.get_or_init(|| {
        Edge::start_around(forms(), TIMEZONE, |sandbox| Launch {
            rate_limit: Some(LIMIT),
            turnstile_secret: Some(TURNSTILE_SECRET.to_string()),
            turnstile_verify_url: Some(format!("{}/turnstile/siteverify", sandbox.url())),
            ..Launch::default()
        })
    })
}

/// A client address no other test uses.
fn client_ip() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("198.51.{}.{}", 100 + n / 250, 1 + n % 250)
}

/// Posts `fields` to `/f/{form}` as the client `ip`, asking for JSON, with an idempotency key if
/// given. Every answer is checked for the API key and the Turnstile secret.
fn post(edge: &Edge, form: &str, ip: &str, key: Option<&str>, fields: &[(&str, &str)]) -> Reply {
    let mut request = client()
        .post(edge.url(&format!("/f/{form}")))
        .header("Accept", "application/json")
        .header("CF-Connecting-IP", ip)
        .form(fields);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    secret_free(edge.send(request))
}

/// Posts like a browser without JavaScript.
fn post_native(edge: &Edge, form: &str, ip: &str, fields: &[(&str, &str)]) -> Reply {
    let request = client()
        .post(edge.url(&format!("/f/{form}")))
        .header("Accept", "text/html,*/*;q=0.8")
        .header("CF-Connecting-IP", ip)
        .form(fields);
    secret_free(edge.send(request))
}

fn secret_free(reply: Reply) -> Reply {
    assert!(
        !reply.body.contains(TURNSTILE_SECRET),
        "the body carries the Turnstile secret: {}",
        reply.body
    );
    for (name, value) in &reply.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        assert!(
            !value.contains(TURNSTILE_SECRET),
            "header {name} carries the secret"
        );
    }
    reply
}

/// Asserts the success a bot gets: 202, `ok`, an id shaped like a real one, no issues.
fn assert_looks_accepted(reply: &Reply) {
    let id = reply.assert_delivered();
    assert!(crate::edge_durable::is_submission_id(&id), "{id}");
}

/// The bots counted for `form` by `trap` in `GET /admin/submissions`.
fn spam_count(edge: &Edge, form: &str, trap: &str) -> u64 {
    edge.admin_list(ADMIN, "")["spam"][form][trap]
        .as_u64()
        .unwrap_or(0)
}

/// Whether the ledger holds any submission carrying `marker`.
fn in_ledger(edge: &Edge, marker: &str) -> bool {
    edge.admin_list(ADMIN, "")["submissions"]
        .to_string()
        .contains(marker)
}

/// The quarantined submissions carrying `marker` (state `spam`).
fn quarantined(edge: &Edge, marker: &str) -> Vec<Value> {
    edge.admin_list(ADMIN, "spam")["submissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["fields"].to_string().contains(marker))
        .cloned()
        .collect()
}

#[test]
fn a_filled_honeypot_looks_accepted_is_quarantined_not_forwarded_and_counted() {
    let edge = abuse();
    let ip = client_ip();
    let before = spam_count(edge, "trap", "honeypot");
    let marker = unique_email("abuse-honeypot");
    let fields = [
        ("email", marker.as_str()),
        ("company_website", "http://spam.example"),
    ];
    assert_looks_accepted(&post(edge, "trap", &ip, None, &fields));
    let native = post_native(edge, "trap", &ip, &fields);
    native.assert_status(303);
    assert_eq!(native.header("location"), Some("/thanks"));

    edge.assert_not_forwarded(&marker);
    // Kept for an operator (issue 11), once: the JSON post and the native post carry the same
    // fields, so their derived keys name one submission.
    let kept = quarantined(edge, &marker);
    assert_eq!(kept.len(), 1, "{kept:#?}");
    assert_eq!(kept[0]["state"], "spam", "{}", kept[0]);
    assert_eq!(kept[0]["trap"], "honeypot", "{}", kept[0]);
    assert!(spam_count(edge, "trap", "honeypot") >= before + 2);
    // Counts are for operators only.
    let health = secret_free(edge.send(client().get(edge.url("/health"))));
    assert!(!health.body.contains("honeypot"), "{}", health.body);
}

#[test]
fn a_form_sent_faster_than_the_minimum_fill_time_is_treated_as_a_bot() {
    let edge = abuse();
    let ip = client_ip();
    let before = spam_count(edge, "trap", "fill_time");
    let marker = unique_email("abuse-fast");
    let reply = post(
        edge,
        "trap",
        &ip,
        None,
        &[("email", &marker), ("_closem_t", "800")],
    );
    assert_looks_accepted(&reply);
    edge.assert_not_forwarded(&marker);
    let kept = quarantined(edge, &marker);
    assert_eq!(kept.len(), 1, "{kept:#?}");
    assert_eq!(kept[0]["trap"], "fill_time", "{}", kept[0]);
    assert_eq!(
        kept[0]["id"],
        reply.json()["id"],
        "the bot was given the quarantined submission's id"
    );
    assert!(spam_count(edge, "trap", "fill_time") > before);
}

#[test]
fn a_form_filled_slowly_enough_or_posted_without_javascript_is_delivered() {
    let edge = abuse();
    let ip = client_ip();
    let slow = unique_email("abuse-slow");
    post(
        edge,
        "trap",
        &ip,
        None,
        &[
            ("email", &slow),
            ("_closem_t", "3000"),
            ("company_website", ""),
        ],
    )
    .assert_delivered();
    let fields = edge.forwarded(&slow);
    assert!(
        fields
            .iter()
            .all(|(name, _)| !name.starts_with("_closem") && name != "company_website"),
        "{fields:?}"
    );

    // A native post has no fill time and is not judged by it.
    let native = unique_email("abuse-native");
    post_native(edge, "trap", &ip, &[("email", &native)]).assert_status(303);
    edge.forwarded(&native);
}

#[test]
fn turnstile_wants_a_token() {
    let edge = abuse();
    let ip = client_ip();
    let before = spam_count(edge, "guarded", "turnstile");
    let marker = unique_email("abuse-no-token");
    post(edge, "guarded", &ip, None, &[("email", &marker)])
        .assert_issues(403, &["turnstile.missing"]);
    post(
        edge,
        "guarded",
        &ip,
        None,
        &[("email", &marker), ("cf-turnstile-response", "  ")],
    )
    .assert_issues(403, &["turnstile.missing"]);
    // A native post gets the page listing the problem.
    let native = post_native(edge, "guarded", &ip, &[("email", &marker)]);
    assert_eq!(native.status, 403);
    native.assert_body_has("anti-bot check");
    edge.assert_not_forwarded(&marker);
    assert!(spam_count(edge, "guarded", "turnstile") >= before + 3);
}

#[test]
fn turnstile_refuses_tokens_siteverify_rejects() {
    let edge = abuse();
    let ip = client_ip();
    let marker = unique_email("abuse-bad-token");
    for token in ["forged-token", "XXXX.DUMMY.TOKEN.XXXX"] {
        post(
            edge,
            "guarded",
            &ip,
            None,
            &[("email", &marker), ("cf-turnstile-response", token)],
        )
        .assert_issues(403, &["turnstile.failed"]);
    }
    edge.assert_not_forwarded(&marker);
}

#[test]
fn turnstile_checks_the_hostname_and_the_action() {
    let edge = abuse();
    let ip = client_ip();
    let marker = unique_email("abuse-where");
    let attempt = |form: &str, token: String| {
        post(
            edge,
            form,
            &ip,
            None,
            &[("email", &marker), ("cf-turnstile-response", &token)],
        )
    };
    attempt("guarded", format!("ok:evil.example.net:lead:{marker}"))
        .assert_issues(403, &["turnstile.failed"]);
    attempt("guarded", format!("ok:www.example.com:signup:{marker}"))
        .assert_issues(403, &["turnstile.failed"]);
    // `hosted` names its host names itself: its allowed origins' hosts do not count.
    attempt("hosted", format!("ok:www.example.com::{marker}"))
        .assert_issues(403, &["turnstile.failed"]);
    edge.assert_not_forwarded(&marker);

    let hosted = unique_email("abuse-hosted");
    post(
        edge,
        "hosted",
        &ip,
        None,
        &[
            ("email", &hosted),
            (
                "cf-turnstile-response",
                &format!("ok:forms.example.org::{hosted}"),
            ),
        ],
    )
    .assert_delivered();
    edge.forwarded(&hosted);
}

#[test]
fn a_verified_token_is_delivered_once_even_when_resubmitted() {
    let edge = abuse();
    let ip = client_ip();
    let marker = unique_email("abuse-valid");
    let token = format!("ok:www.example.com:lead:{marker}");
    let fields = [
        ("email", marker.as_str()),
        ("cf-turnstile-response", &token),
    ];
    let key = format!("turnstile-{marker}");
    let id = post(edge, "guarded", &ip, Some(&key), &fields).assert_delivered();
    // The widget's outbox resends with the same key and token: the same submission.
    let again = post(edge, "guarded", &ip, Some(&key), &fields).assert_delivered();
    assert_eq!(again, id);
    // Another submission cannot spend the token again.
    post(edge, "guarded", &ip, Some(&format!("{key}-2")), &fields)
        .assert_issues(403, &["turnstile.failed"]);

    let forwarded = edge.forwarded(&marker);
    assert!(
        forwarded
            .iter()
            .all(|(name, _)| name != "cf-turnstile-response"),
        "{forwarded:?}"
    );
    // The stand-in was asked with the secret, the client's address and one idempotency key.
    let asked: Vec<Value> = client()
        .get(format!("{}/turnstile/requests", edge.sandbox.url()))
        .send()
        .and_then(|response| response.json())
        .expect("the stand-in lists what it was asked");
    let mine: Vec<&Value> = asked
        .iter()
        .filter(|request| request["response"] == token.as_str())
        .collect();
    assert_eq!(mine.len(), 3, "{mine:#?}");
    for request in &mine {
        assert_eq!(request["secret_sent"], true);
        assert_eq!(request["remoteip"], ip.as_str());
    }
    assert_eq!(mine[0]["idempotency_key"], mine[1]["idempotency_key"]);
    assert_ne!(mine[0]["idempotency_key"], mine[2]["idempotency_key"]);
}

#[test]
fn siteverify_down_is_503_and_nothing_is_recorded() {
    let edge = abuse();
    let ip = client_ip();
    let marker = unique_email("abuse-verify-down");
    let reply = post(
        edge,
        "guarded",
        &ip,
        None,
        &[
            ("email", &marker),
            ("cf-turnstile-response", UNAVAILABLE_TOKEN),
        ],
    );
    reply.assert_issues(503, &["edge.unavailable"]);
    assert!(reply.header("retry-after").is_some());
    assert!(!in_ledger(edge, &marker));
    edge.assert_not_forwarded(&marker);
}

#[test]
fn the_turnstile_secret_is_in_no_log_line() {
    let edge = abuse();
    let ip = client_ip();
    let marker = unique_email("abuse-secret");
    post(
        edge,
        "guarded",
        &ip,
        None,
        &[("email", &marker), ("cf-turnstile-response", "forged")],
    )
    .assert_issues(403, &["turnstile.failed"]);
    let log = edge.worker.log();
    assert!(
        log.contains("turnstile_failed"),
        "the refusal is logged:\n{log}"
    );
    assert!(!log.contains(TURNSTILE_SECRET), "the log shows the secret");
    edge.assert_log_clean();
}

/// Seconds into the limiter's current window (local windows are aligned to the clock).
fn seconds_into_window(period: u32) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.as_secs() % u64::from(period)
}

#[test]
fn the_post_over_the_rate_limit_gets_429_with_retry_after_and_goes_nowhere() {
    let edge = abuse();
    // All posts must fall in one window of the limiter.
    let into = seconds_into_window(LIMIT.period);
    if into + 20 > u64::from(LIMIT.period) {
        std::thread::sleep(Duration::from_secs(u64::from(LIMIT.period) - into + 1));
    }
    let ip = client_ip();
    let markers: Vec<String> = (0..=LIMIT.limit)
        .map(|_| unique_email("abuse-rate"))
        .collect();
    let (allowed, extra) = markers.split_at(LIMIT.limit as usize);
    for marker in allowed {
        post(edge, "limited", &ip, None, &[("email", marker)]).assert_delivered();
    }
    let limited = post(edge, "limited", &ip, None, &[("email", &extra[0])]);
    limited.assert_issues(429, &["rate.limited"]);
    assert_eq!(
        limited.header("retry-after"),
        Some(LIMIT.period.to_string().as_str())
    );
    let native = post_native(edge, "limited", &ip, &[("email", &extra[0])]);
    assert_eq!(native.status, 429);
    native.assert_body_has("wait a minute");

    // Another client, and this client on another form, are not held back.
    let other = unique_email("abuse-rate-other");
    post(edge, "limited", &client_ip(), None, &[("email", &other)]).assert_delivered();
    let trap = unique_email("abuse-rate-trap");
    post(edge, "trap", &ip, None, &[("email", &trap)]).assert_delivered();

    for marker in allowed {
        edge.forwarded(marker);
    }
    edge.assert_not_forwarded(&extra[0]);
    assert!(!in_ledger(edge, &extra[0]));
}

#[test]
fn health_reports_the_rate_limiter_and_turnstile() {
    let edge = abuse();
    let health = secret_free(edge.send(client().get(edge.url("/health"))));
    health.assert_status(200);
    let body = health.json();
    assert_eq!(
        body["rate_limit"],
        json!({"binding": RATE_LIMIT_BINDING, "state": "on", "period_seconds": LIMIT.period})
    );
    assert_eq!(
        body["turnstile"],
        json!({"secret": "set", "verify_url": "custom"})
    );
    let turnstile: Vec<(&str, bool)> = body["forms"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|form| {
            (
                form["id"].as_str().unwrap_or_default(),
                form["turnstile"] == true,
            )
        })
        .collect();
    assert!(turnstile.contains(&("guarded", true)), "{body}");
    assert!(turnstile.contains(&("trap", false)), "{body}");
}

fn bare_options(forms: Value) -> WorkerdOptions {
    WorkerdOptions {
        api_key: Some(KEY.to_string()),
        base_url: "http://127.0.0.1:9/".into(),
        timezone: TIMEZONE.into(),
        forms,
    }
}

#[test]
fn without_the_rate_limiter_binding_nothing_is_limited_and_health_says_so() {
    let worker = Workerd::start_with(
        bare_options(json!({ "plain": { "mode": "addcontact" } })),
        Launch {
            without_rate_limiter: true,
            ..Launch::default()
        },
    );
    let health: Value = client()
        .get(format!("{}/health", worker.url()))
        .send()
        .and_then(|response| response.json())
        .expect("health answers");
    assert_eq!(health["ok"], true, "{health}");
    assert_eq!(health["rate_limit"]["state"], "off", "{health}");
    // Far more posts than the production limit from one client: each is judged on its body
    // (422 for an empty form), none is turned away for its rate.
    for _ in 0..(RateLimit::PRODUCTION.limit + 2) {
        let reply = client()
            .post(format!("{}/f/plain", worker.url()))
            .header("Accept", "application/json")
            .header("CF-Connecting-IP", "203.0.113.9")
            .form(&[("name", "Jo")])
            .send()
            .expect("the worker answers");
        assert_eq!(reply.status().as_u16(), 422);
    }
}

#[test]
fn a_turnstile_site_key_without_the_secret_is_a_configuration_problem() {
    let worker = Workerd::start(bare_options(json!({
        "guarded": { "mode": "addcontact", "spam": { "turnstile_site_key": "0x4AAAAAAA-site-key" } }
    })));
    let health = client()
        .get(format!("{}/health", worker.url()))
        .send()
        .expect("health answers");
    assert_eq!(health.status().as_u16(), 503);
    let body: Value = health.json().expect("JSON");
    let problems = body["problems"].to_string();
    assert!(
        problems.contains("TURNSTILE_SECRET") && problems.contains("guarded"),
        "{body}"
    );
    let reply = client()
        .post(format!("{}/f/guarded", worker.url()))
        .header("Accept", "application/json")
        .form(&[("email", "jo@example.com")])
        .send()
        .expect("the worker answers");
    assert_eq!(reply.status().as_u16(), 503);
    assert!(reply
        .text()
        .unwrap_or_default()
        .contains("edge.not_configured"));
}

#[test]
fn wrangler_jsonc_declares_the_rate_limiter_the_harness_uses() {
    let config = production_config();
    let production = RateLimit::PRODUCTION;
    assert_eq!(config["ratelimits"], ratelimits(&production)["ratelimits"]);
    assert_eq!(config["ratelimits"][0]["name"], RATE_LIMIT_BINDING);
    assert_eq!(
        config["ratelimits"][0]["namespace_id"],
        RATE_LIMIT_NAMESPACE
    );
    assert_eq!(
        config["vars"]["RATE_LIMIT_PERIOD"],
        production.period.to_string(),
        "RATE_LIMIT_PERIOD must be the binding's period"
    );
    assert_eq!(
        config["vars"]["TURNSTILE_VERIFY_URL"],
        "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    );
}

#[test]
fn a_quarantined_submission_can_be_released_to_closem_once() {
    let edge = abuse();
    let ip = client_ip();
    let marker = unique_email("abuse-release");
    // A person who typed quickly (or whose autofill was quick) is judged a bot...
    let reply = post(
        edge,
        "trap",
        &ip,
        Some(&format!("release-{marker}")),
        &[
            ("email", &marker),
            ("first_name", "Quick"),
            ("_closem_t", "900"),
        ],
    );
    let id = reply.assert_delivered();
    edge.assert_not_forwarded(&marker);
    let kept = quarantined(edge, &marker);
    assert_eq!(kept.len(), 1, "{kept:#?}");
    assert_eq!(kept[0]["id"], id.as_str());
    assert!(
        kept[0]["fields"]
            .as_array()
            .is_some_and(|fields| fields.contains(&json!(["email", marker]))),
        "{}",
        kept[0]
    );
    // ...and an operator releases it: it goes to CLOSEM like any other.
    let release = edge.replay(&format!("id={id}"));
    release.assert_status(200);
    assert_eq!(release.json()["queued"], json!([id]), "{}", release.body);
    let fields = edge.forwarded(&marker);
    assert!(
        fields.contains(&("firstname".to_string(), "Quick".to_string())),
        "{fields:?}"
    );
    assert!(quarantined(edge, &marker).is_empty());
    assert_eq!(
        crate::edge_upstream::timeline_kinds(edge, &id),
        ["quarantined", "released", "delivered"]
    );
}

#[test]
fn a_recorded_submission_resent_with_a_spent_token_is_answered_from_the_ledger() {
    let edge = abuse();
    // Each post from its own address: this worker allows 3 posts per client and form.
    let marker = unique_email("abuse-outbox");
    let key = format!("outbox-{marker}");
    let token = format!("ok:www.example.com:lead:{marker}");
    let id = post(
        edge,
        "guarded",
        &client_ip(),
        Some(&key),
        &[("email", &marker), ("cf-turnstile-response", &token)],
    )
    .assert_delivered();
    // The visitor never saw that answer; the outbox resends later, its token spent or expired:
    // the submission is known, so the answer is the same success, not a new challenge.
    for stale in [ALWAYS_SPENT, ALWAYS_FAILS] {
        let again = post(
            edge,
            "guarded",
            &client_ip(),
            Some(&key),
            &[("email", &marker), ("cf-turnstile-response", stale)],
        );
        assert_eq!(again.assert_delivered(), id);
    }
    // A submission the ledger does not have still needs a valid token.
    post(
        edge,
        "guarded",
        &client_ip(),
        Some(&format!("{key}-new")),
        &[("email", &marker), ("cf-turnstile-response", ALWAYS_SPENT)],
    )
    .assert_issues(403, &["turnstile.failed"]);
    assert_eq!(edge.records_with(&marker).len(), 1);
    edge.settle();
    assert_eq!(edge.records_now(&marker).len(), 1, "CLOSEM got it once");
}
