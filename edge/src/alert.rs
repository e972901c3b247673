//! Alerts to the operators' chat. With the `ALERT_WEBHOOK_URL` secret set, the edge posts a short
//! JSON message, `{"text": ..., "content": ...}` (Slack's incoming webhooks read `text`, Discord's
//! read `content`), when a submission is dead-lettered, when CLOSEM refuses the API key (a
//! submission is held), and when trapped spam for a form jumps.
//!
//! - At most one alert per kind and form per quiet period (`ALERT_QUIET_SECONDS`, default an
//!   hour): the claim is durable, kept by ledger shard 0 (`alert` operation, table `alerts`), so
//!   every isolate and shard agrees; what is held back is counted and said in the next alert.
//! - No personal data: the form id, counts and a link to the dashboard (`ALERT_DASHBOARD_URL`).
//! - A failing or slow webhook never affects delivery: the post is made after the delivery's
//!   state is recorded and its message acknowledged, with a 3 s timeout, and its outcome is only
//!   logged (never the URL, which is a credential). It is not a CLOSEM request (forward.rs makes
//!   those) and carries nothing of the API key.
//! - "Spam jumps": a shard counts each form's trapped posts per clock hour; when one shard's count
//!   reaches `ALERT_SPAM_PER_HOUR` divided by `LEDGER_SHARDS` (rounded up), its share of that rate
//!   (keys spread evenly over the shards), the spam alert is claimed.

use std::cell::RefCell;

use wasm_bindgen::JsValue;
use worker::Env;

use crate::js;
use crate::json;
use crate::ledger::LedgerClient;
use crate::log;

/// Unless `ALERT_QUIET_SECONDS` says.
pub(crate) const DEFAULT_QUIET_SECONDS: u32 = 3600;
/// Unless `ALERT_SPAM_PER_HOUR` says.
pub(crate) const DEFAULT_SPAM_PER_HOUR: u32 = 100;
/// How long a webhook may take to answer.
const TIMEOUT_MS: u32 = 3_000;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A submission ran out of delivery attempts.
    DeadLetter,
    /// CLOSEM answered 401/403: submissions are held.
    KeyRefused,
    /// Trapped posts for a form passed the hourly threshold.
    SpamJump,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::DeadLetter => "dead_letter",
            Kind::KeyRefused => "key_refused",
            Kind::SpamJump => "spam",
        }
    }
}

/// The alert settings, read once with the rest of the configuration. No Debug: the URL is a
/// credential (whoever has it can post to the channel).
#[derive(Clone)]
pub(crate) struct Alerts {
    webhook: String,
    pub quiet_seconds: u32,
    pub spam_per_hour: u32,
    pub dashboard: Option<String>,
}

/// Reads `ALERT_WEBHOOK_URL` (secret), `ALERT_QUIET_SECONDS`, `ALERT_SPAM_PER_HOUR` and
/// `ALERT_DASHBOARD_URL`; `None` without the secret (alerts off). Problems name the binding,
/// never the secret's value.
pub(crate) fn load(env: &Env, problems: &mut Vec<crate::config::Problem>) -> Option<Alerts> {
    use crate::config::{secret, string_var, Problem};
    let whole = |name: &str, default: u32, max: u32, problems: &mut Vec<Problem>| match string_var(
        env, name,
    ) {
        None => default,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                problems.push(Problem::new(
                    name,
                    ["must be a whole number from 1 to ", &max.to_string()].concat(),
                ));
                default
            }
        },
    };
    let quiet_seconds = whole(
        "ALERT_QUIET_SECONDS",
        DEFAULT_QUIET_SECONDS,
        604_800,
        problems,
    );
    let spam_per_hour = whole(
        "ALERT_SPAM_PER_HOUR",
        DEFAULT_SPAM_PER_HOUR,
        1_000_000,
        problems,
    );
    let dashboard = match string_var(env, "ALERT_DASHBOARD_URL") {
        None => None,
        Some(text) => match crate::config::base_url(&text) {
            Some(url) => Some(url),
            None => {
                problems.push(Problem::new(
                    "ALERT_DASHBOARD_URL",
                    "must be an http(s) URL like https://forms.example.com/admin",
                ));
                None
            }
        },
    };
    let webhook = secret(env, "ALERT_WEBHOOK_URL").filter(|url| !url.is_empty())?;
    if crate::config::base_url(&webhook).is_none() {
        problems.push(Problem::new(
            "ALERT_WEBHOOK_URL",
            "the secret is not an http(s) URL: set it to the incoming webhook's URL from Slack or Discord",
        ));
        return None;
    }
    Some(Alerts {
        webhook,
        quiet_seconds,
        spam_per_hour,
        dashboard,
    })
}

/// The message for one alert: the same words under `text` and `content`. `held_back` counts the
/// alerts of this kind and form suppressed since the last one; `count` is the spam count.
pub(crate) fn message(
    kind: Kind,
    form: &str,
    held_back: i64,
    count: i64,
    dashboard: Option<&str>,
) -> String {
    // Form ids come from the configuration; escaped anyway for Slack's `<`, `>` and `&` markup.
    let escaped = form
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let form = escaped;
    let what = match kind {
        Kind::DeadLetter => [
            "closem-forms: a lead of form \"",
            &form,
            "\" ran out of delivery attempts and is dead-lettered; it is kept for a replay.",
        ]
        .concat(),
        Kind::KeyRefused => [
            "closem-forms: CLOSEM refuses the API key. Leads of form \"",
            &form,
            "\" are held and retried until CLOSEM_API_KEY works again.",
        ]
        .concat(),
        Kind::SpamJump => [
            "closem-forms: spam for form \"",
            &form,
            "\" jumped: ",
            &count.to_string(),
            " trapped posts this hour on one ledger shard.",
        ]
        .concat(),
    };
    let held = if held_back > 0 {
        [
            " ",
            &held_back.to_string(),
            " more since the last alert of this kind.",
        ]
        .concat()
    } else {
        String::new()
    };
    let link = match dashboard {
        Some(url) => [" Dashboard: ", url].concat(),
        None => " Open /admin on the forms host.".to_string(),
    };
    let text = [what.as_str(), &held, &link].concat();
    json::object()
        .str("text", &text)
        .str("content", &text)
        .finish()
}

/// The per-shard count of trapped posts in an hour that makes a spam alert: the shard's share of
/// `per_hour`, at least 1.
pub(crate) fn spam_threshold(per_hour: u32, shards: u16) -> i64 {
    let shards = u32::from(shards.max(1));
    i64::from(per_hour.div_ceil(shards).max(1))
}

thread_local! {
    /// Alerts raised while a visitor's request is answered, posted after it (`flush`).
    static DEFERRED: RefCell<Vec<(Kind, String, i64)>> = const { RefCell::new(Vec::new()) };
}

/// Claims the alert (durably, on shard 0) and, if this is the first of its quiet period, posts
/// it. Never fails: a problem is logged without the URL.
pub(crate) async fn raise(env: &Env, alerts: &Alerts, kind: Kind, form: &str, count: i64) {
    let quiet_ms = i64::from(alerts.quiet_seconds) * 1000;
    let claim = match LedgerClient::open(env, 0) {
        Ok(ledger) => ledger.claim_alert(kind.as_str(), form, quiet_ms).await,
        Err(_) => Err(crate::ledger::Unavailable),
    };
    let held_back = match claim {
        Ok(Some(held_back)) => held_back,
        Ok(None) => return,
        Err(_) => {
            log::write(
                log::line("alert")
                    .str("kind", kind.as_str())
                    .str("form", form)
                    .str("outcome", "claim_failed"),
            );
            return;
        }
    };
    let body = message(kind, form, held_back, count, alerts.dashboard.as_deref());
    let headers = js::object(&[("Content-Type", JsValue::from_str("application/json"))]);
    let exchange = js::Exchange {
        timeout_ms: Some(TIMEOUT_MS),
        manual_redirect: true,
        body_limit: 256,
        read_header: None,
    };
    let posted = js::post(
        &js_sys::global().into(),
        &alerts.webhook,
        headers,
        JsValue::from(body),
        &exchange,
    )
    .await;
    let outcome = match &posted {
        Ok(answer) if (200..300).contains(&answer.status) => "sent",
        Ok(_) => "refused",
        Err(js::NoAnswer::Timeout) => "timeout",
        Err(js::NoAnswer::Network) => "network",
    };
    log::write(
        log::line("alert")
            .str("kind", kind.as_str())
            .str("form", form)
            .str("outcome", outcome)
            .opt_int("status", posted.ok().map(|answer| i64::from(answer.status))),
    );
}

/// Notes a spam count for a form on one shard this hour (from the ledger's answer); when it
/// reaches the threshold, an alert is raised once the visitor's request is answered.
pub(crate) fn spam_counted(alerts: Option<&Alerts>, shards: u16, form: &str, count: Option<i64>) {
    let (Some(alerts), Some(count)) = (alerts, count) else {
        return;
    };
    if count == spam_threshold(alerts.spam_per_hour, shards) {
        DEFERRED.with(|deferred| {
            deferred
                .borrow_mut()
                .push((Kind::SpamJump, form.to_string(), count))
        });
    }
}

/// Posts the alerts raised while the request was answered, after it (`waitUntil`).
pub(crate) fn flush(ctx: &worker::Context, env: &Env, alerts: Option<&Alerts>) {
    let raised = DEFERRED.with(|deferred| std::mem::take(&mut *deferred.borrow_mut()));
    let Some(alerts) = alerts else {
        return;
    };
    for (kind, form, count) in raised {
        let (env, alerts) = (env.clone(), alerts.clone());
        ctx.wait_until(async move { raise(&env, &alerts, kind, &form, count).await });
    }
}

#[cfg(test)]
mod tests {
    use super::{message, spam_threshold, Kind};

    #[test]
    fn messages_carry_text_and_content_and_no_more_than_form_counts_and_link() {
        let check = |kind, held_back, expected: &str| {
            let text = message(
                kind,
                "contact",
                held_back,
                7,
                Some("https://f.example/admin"),
            );
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["text"], value["content"], "{text}");
            assert_eq!(value.as_object().unwrap().len(), 2, "{text}");
            assert_eq!(value["text"], expected);
        };
        check(
            Kind::DeadLetter,
            0,
            "closem-forms: a lead of form \"contact\" ran out of delivery attempts and is \
             dead-lettered; it is kept for a replay. Dashboard: https://f.example/admin",
        );
        check(
            Kind::KeyRefused,
            3,
            "closem-forms: CLOSEM refuses the API key. Leads of form \"contact\" are held and \
             retried until CLOSEM_API_KEY works again. 3 more since the last alert of this kind. \
             Dashboard: https://f.example/admin",
        );
        check(
            Kind::SpamJump,
            0,
            "closem-forms: spam for form \"contact\" jumped: 7 trapped posts this hour on one \
             ledger shard. Dashboard: https://f.example/admin",
        );
        let bare = message(Kind::DeadLetter, "<b>&", 0, 0, None);
        assert!(bare.contains("&lt;b&gt;&amp;"), "{bare}");
        assert!(bare.contains("Open /admin on the forms host."), "{bare}");
    }

    #[test]
    fn the_spam_threshold_is_each_shards_share_and_at_least_one() {
        assert_eq!(spam_threshold(100, 16), 7);
        assert_eq!(spam_threshold(100, 1), 100);
        assert_eq!(spam_threshold(3, 16), 1);
        assert_eq!(spam_threshold(1, 0), 1);
    }
}
