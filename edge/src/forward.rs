//! The only module that talks to CLOSEM: `POST {CLOSEM_BASE_URL}?m=api&auth={key}` with the
//! canonical fields as multipart form data, like the reference's curl examples, and the
//! submission's `Idempotency-Key` header (the same on every attempt).
//!
//! Errors from the runtime's fetch can quote the request URL, which holds the key; they are never
//! passed on or logged, only classified.

use closem_shared::{Field, Mode};
use wasm_bindgen::JsValue;

use crate::js::{self, NoAnswer};

use crate::config::Config;
use crate::hex;

/// Sent with every attempt so CLOSEM (or anything between) can recognise a repeat.
pub(crate) const IDEMPOTENCY_HEADER: &str = closem_shared::wire::KEY_HEADER;

/// How long CLOSEM gets to answer, its body included, before the attempt counts as failed.
pub(crate) const UPSTREAM_TIMEOUT_MS: u32 = 10_000;
/// How much of CLOSEM's answer is read, and how much of it is kept for operators.
const ANSWER_LIMIT: usize = 4 * 1024;
const EXCERPT_CHARS: usize = 200;

/// What became of one forwarding attempt: the failure policy, one row per status class.
///
/// | CLOSEM answers | verdict | then |
/// | --- | --- | --- |
/// | 2xx | delivered | final |
/// | 408, 425, 429 | throttled | pending; the ledger retries after `Retry-After` (seconds, capped at `DELIVERY_MAX_DELAY`; the backoff without one) |
/// | 401, 403 | held | `/health` degraded ("CLOSEM refuses the API key"); the ledger retries every `DELIVERY_MAX_DELAY` until the key works |
/// | 3xx | failed (not followed) | the queue retries with backoff, then dead |
/// | other 4xx | refused | final |
/// | 5xx, anything else, timeout, network | failed | the queue retries with backoff, then dead |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// CLOSEM answered 2xx.
    Delivered { status: u16 },
    /// CLOSEM answered a 4xx that the same fields would get again.
    Refused { status: u16 },
    /// CLOSEM refused the API key (401, 403): nothing is wrong with the submission.
    KeyRefused { status: u16 },
    /// CLOSEM asked to come back later (408, 425, 429), maybe saying when.
    Throttled {
        status: u16,
        retry_after: Option<u32>,
    },
    /// CLOSEM answered 5xx or 3xx, or did not answer in time, or could not be reached.
    Unavailable { cause: RetryCause },
}

/// Why a delivery could not be made just now, so the queue retries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryCause {
    Status(u16),
    /// A 3xx: the edge does not follow it (the key would go wherever it points).
    Redirect(u16),
    Timeout,
    Network,
}

impl Delivery {
    /// CLOSEM's status, when it answered.
    pub(crate) fn status(self) -> Option<u16> {
        match self {
            Delivery::Delivered { status }
            | Delivery::Refused { status }
            | Delivery::KeyRefused { status }
            | Delivery::Throttled { status, .. }
            | Delivery::Unavailable {
                cause: RetryCause::Status(status) | RetryCause::Redirect(status),
            } => Some(status),
            Delivery::Unavailable { .. } => None,
        }
    }

    /// A name for logs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Delivery::Delivered { .. } => "delivered",
            Delivery::Refused { .. } => "refused",
            Delivery::KeyRefused { .. } => "key_refused",
            Delivery::Throttled { .. } => "throttled",
            Delivery::Unavailable { cause } => cause.as_str(),
        }
    }
}

impl RetryCause {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RetryCause::Status(_) => "upstream_status",
            RetryCause::Redirect(_) => "redirect",
            RetryCause::Timeout => "timeout",
            RetryCause::Network => "network",
        }
    }
}

/// The request URL: the base URL with `m=api` and the key as `auth`, percent-encoded.
pub(crate) fn api_url(config: &Config) -> String {
    api_url_for(&config.base_url, config.api_key.expose())
}

fn api_url_for(base_url: &str, key: &str) -> String {
    let mut url = String::with_capacity(base_url.len() + key.len() + 16);
    url.push_str(base_url);
    url.push_str("?m=api&auth=");
    hex::push_percent_encoded(&mut url, key);
    url
}

/// Classifies an upstream answer by the policy table above.
pub(crate) fn classify(status: u16, retry_after: Option<&str>) -> Delivery {
    match status {
        200..=299 => Delivery::Delivered { status },
        401 | 403 => Delivery::KeyRefused { status },
        408 | 425 | 429 => Delivery::Throttled {
            status,
            retry_after: retry_after.and_then(retry_after_seconds),
        },
        300..=399 => Delivery::Unavailable {
            cause: RetryCause::Redirect(status),
        },
        400..=499 => Delivery::Refused { status },
        _ => Delivery::Unavailable {
            cause: RetryCause::Status(status),
        },
    }
}

/// `Retry-After` in seconds. The HTTP-date form counts as absent (the backoff applies).
pub(crate) fn retry_after_seconds(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The start of CLOSEM's answer for operators: at most [`EXCERPT_CHARS`] characters, control
/// characters as spaces, and the key (plain or percent-encoded) as `[key]`, wherever it appears.
pub(crate) fn excerpt(body: &str, key: &str) -> Option<String> {
    let mut text = body.to_string();
    if !key.is_empty() {
        text = text.replace(key, "[key]");
        let encoded = hex::percent_encoded(key);
        if encoded != key {
            text = text.replace(&encoded, "[key]");
        }
    }
    let text: String = text
        .chars()
        .map(|character| {
            if character.is_control() {
                ' '
            } else {
                character
            }
        })
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut cut: String = text.chars().take(EXCERPT_CHARS).collect();
    // The key cut in half at the end would still be most of the key.
    for end in (1..key.len().min(cut.len() + 1)).rev() {
        if key.is_char_boundary(end) && cut.ends_with(&key[..end]) && end >= 4 {
            cut.truncate(cut.len() - end);
            cut.push_str("[key]");
            break;
        }
    }
    Some(cut)
}

/// The fields to send again when an earlier attempt may have reached CLOSEM unrecorded (see
/// `ledger::in_doubt_rule`). CLOSEM keeps no idempotency key, but `addcontact` with `upsert=true`
/// modifies the contact CLOSEM already holds for that email or phone instead of adding a second
/// one (API docs, "Include upsert to modify existing contacts"), so such a resend cannot create
/// the lead twice. `runsequence` and `scheduleappointment` have no such switch: they go as they
/// are, and CLOSEM may run them twice (at least once, never lost; ARCHITECTURE.md).
pub(crate) fn resend_fields(mut fields: Vec<(String, String)>) -> Vec<(String, String)> {
    let adds_contact = fields
        .iter()
        .any(|(name, value)| name == Field::Mode.canonical() && value == Mode::AddContact.as_str());
    if adds_contact {
        fields.retain(|(name, _)| name != Field::Upsert.canonical());
        fields.push((Field::Upsert.canonical().to_owned(), "true".to_owned()));
    }
    fields
}

/// One attempt: `fields` as recorded in the ledger, `id` the submission's id. Answers the verdict
/// and the excerpt of CLOSEM's answer.
pub(crate) async fn forward(
    config: &Config,
    fields: &[(String, String)],
    id: &str,
) -> (Delivery, Option<String>) {
    let failed = (
        Delivery::Unavailable {
            cause: RetryCause::Network,
        },
        None,
    );
    let Ok(form) = web_sys::FormData::new() else {
        return failed;
    };
    for (name, value) in fields {
        if form.append_with_str(name, value).is_err() {
            return failed;
        }
    }
    let headers = js::object(&[(IDEMPOTENCY_HEADER, JsValue::from_str(id))]);
    let answer = js::post(
        &js_sys::global(),
        &api_url(config),
        headers,
        form.into(),
        &js::Exchange {
            timeout_ms: Some(UPSTREAM_TIMEOUT_MS),
            manual_redirect: true,
            body_limit: ANSWER_LIMIT,
            read_header: Some("Retry-After"),
        },
    )
    .await;
    match answer {
        Ok(posted) => (
            classify(posted.status, posted.header.as_deref()),
            excerpt(&posted.body, config.api_key.expose()),
        ),
        Err(NoAnswer::Timeout) => (
            Delivery::Unavailable {
                cause: RetryCause::Timeout,
            },
            None,
        ),
        Err(NoAnswer::Network) => failed,
    }
}

#[cfg(test)]
mod tests {
    use super::{
        api_url_for, classify, excerpt, resend_fields, retry_after_seconds, Delivery, RetryCause,
    };

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn a_contact_sent_again_in_doubt_is_an_upsert_and_other_modes_go_unchanged() {
        assert_eq!(
            resend_fields(pairs(&[("mode", "addcontact"), ("email", "a@b.co")])),
            pairs(&[
                ("mode", "addcontact"),
                ("email", "a@b.co"),
                ("upsert", "true")
            ])
        );
        // An explicit upsert=false would add the lead twice: it becomes true.
        assert_eq!(
            resend_fields(pairs(&[("mode", "addcontact"), ("upsert", "false")])),
            pairs(&[("mode", "addcontact"), ("upsert", "true")])
        );
        let sequence = pairs(&[("mode", "runsequence"), ("sequence_id", "7")]);
        assert_eq!(resend_fields(sequence.clone()), sequence);
    }

    #[test]
    fn the_key_is_percent_encoded_into_the_query() {
        assert_eq!(
            api_url_for("https://app.closem.ai/", "abc123"),
            "https://app.closem.ai/?m=api&auth=abc123"
        );
        assert_eq!(
            api_url_for("http://127.0.0.1:9/", "a b&c=d/é"),
            "http://127.0.0.1:9/?m=api&auth=a%20b%26c%3Dd%2F%C3%A9"
        );
    }

    #[test]
    fn the_failure_policy_has_one_verdict_per_status_class() {
        let check = |status: u16, retry_after: Option<&str>, expected: Delivery| {
            assert_eq!(classify(status, retry_after), expected, "{status}");
        };
        check(200, None, Delivery::Delivered { status: 200 });
        check(204, None, Delivery::Delivered { status: 204 });
        for status in [408, 425, 429] {
            check(
                status,
                Some("7"),
                Delivery::Throttled {
                    status,
                    retry_after: Some(7),
                },
            );
        }
        check(
            429,
            Some("Wed, 21 Oct 2026 07:28:00 GMT"),
            Delivery::Throttled {
                status: 429,
                retry_after: None,
            },
        );
        check(401, None, Delivery::KeyRefused { status: 401 });
        check(403, Some("5"), Delivery::KeyRefused { status: 403 });
        for status in [301, 302, 303, 307, 308] {
            check(
                status,
                None,
                Delivery::Unavailable {
                    cause: RetryCause::Redirect(status),
                },
            );
        }
        for status in [400, 404, 413, 415, 422] {
            check(status, None, Delivery::Refused { status });
        }
        for status in [500, 502, 503, 504, 100, 600] {
            check(
                status,
                Some("3"),
                Delivery::Unavailable {
                    cause: RetryCause::Status(status),
                },
            );
        }
    }

    #[test]
    fn retry_after_is_whole_seconds() {
        assert_eq!(retry_after_seconds("0"), Some(0));
        assert_eq!(retry_after_seconds(" 120 "), Some(120));
        assert_eq!(retry_after_seconds("-1"), None);
        assert_eq!(retry_after_seconds("1.5"), None);
        assert_eq!(retry_after_seconds("9999999999"), None);
        assert_eq!(retry_after_seconds(""), None);
    }

    #[test]
    fn excerpts_are_short_and_never_hold_the_key() {
        let key = "sk_live_0123456789";
        assert_eq!(
            excerpt(r#"{"status":"success","id":"sbx-1"}"#, key).as_deref(),
            Some(r#"{"status":"success","id":"sbx-1"}"#)
        );
        assert_eq!(
            excerpt(
                "bad auth=sk_live_0123456789 and\nagain sk_live_0123456789",
                key
            )
            .as_deref(),
            Some("bad auth=[key] and again [key]")
        );
        assert_eq!(
            excerpt("url ?auth=a%20b here", "a b").as_deref(),
            Some("url ?auth=[key] here")
        );
        assert_eq!(excerpt("  \n ", key), None);
        let long = "x".repeat(500);
        assert_eq!(
            excerpt(&long, key).map(|text| text.chars().count()),
            Some(200)
        );
        let cut = format!("{}{key}", "y".repeat(190));
        let kept = excerpt(&cut, key).unwrap_or_default();
        assert!(!kept.contains("sk_live_01"), "{kept}");
    }
}
