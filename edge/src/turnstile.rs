//! Cloudflare Turnstile, checked on the server: a profile with a `turnstile_site_key` needs the
//! visitor's `cf-turnstile-response` token, which is verified with `POST TURNSTILE_VERIFY_URL`
//! (Cloudflare's siteverify: form fields `secret`, `response`, `remoteip`, `idempotency_key`;
//! JSON `{success, hostname, action, "error-codes"}`) before anything is recorded or queued.
//! The answer must be a success for one of the form's host names and, when the profile names one,
//! its action.
//!
//! Tokens are single-use. The verification carries a UUID made from the submission's idempotency
//! key, so a retry of the same submission (the widget's outbox) verifies its token again instead of
//! being told it was spent. The secret goes into the request body only: it is never logged, and
//! errors from the runtime (which could quote the request) are classified, never passed on.

use closem_shared::Profile;
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::config::Config;
use crate::hex;
use crate::js::{self, NoAnswer};

/// The form field Turnstile's widget fills in. Taken out of the fields before the profile sees
/// them, so it never reaches CLOSEM (not even as a note).
pub(crate) const TOKEN_FIELD: &str = "cf-turnstile-response";
pub(crate) const DEFAULT_VERIFY_URL: &str =
    "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/// How long siteverify gets to answer before the visitor is told to try again (503).
pub(crate) const VERIFY_TIMEOUT_MS: u32 = 5_000;
/// Turnstile's tokens are at most 2048 characters.
const MAX_TOKEN: usize = 2048;

/// What the check decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Passed,
    /// The visitor's side failed: answered 403, counted as a Turnstile failure.
    Failed(Failure),
    /// siteverify did not answer usefully (down, slow, 5xx, an answer that is not its JSON, or it
    /// refused our secret): answered 503, nothing recorded. The reason is for the log.
    Unavailable(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No token (or an empty or oversized one): the visitor did not complete the challenge.
    Missing,
    /// siteverify said no; its error codes, for the log.
    Rejected(Vec<String>),
    /// The challenge was solved on a host this form does not belong to.
    Hostname,
    /// The widget was rendered with another action than the profile's.
    Action,
}

impl Failure {
    /// A name for logs.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Failure::Missing => "missing",
            Failure::Rejected(_) => "rejected",
            Failure::Hostname => "hostname",
            Failure::Action => "action",
        }
    }
}

/// The host names a token of this form may come from: the profile's `turnstile_hostnames`, else
/// the hosts of its allowed origins and the edge's own host (same-origin forms).
pub(crate) fn expected_hostnames(profile: &Profile, own_origin: &str) -> Vec<String> {
    let configured = &profile.spam().turnstile_hostnames;
    if !configured.is_empty() {
        return configured.clone();
    }
    profile
        .allowed_origins()
        .iter()
        .map(String::as_str)
        .chain([own_origin])
        .filter_map(host_of)
        .collect()
}

/// The host of `scheme://host[:port]`, lowercased, without brackets for IPv6.
fn host_of(origin: &str) -> Option<String> {
    let authority = origin.split_once("://")?.1;
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split_once(']')?.0
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The token as sent, if it can be one.
pub(crate) fn usable_token(token: Option<&str>) -> Option<&str> {
    token
        .map(str::trim)
        .filter(|token| !token.is_empty() && token.len() <= MAX_TOKEN)
}

/// Judges siteverify's JSON answer against what the form expects.
pub(crate) fn judge(answer: &Value, hostnames: &[String], action: Option<&str>) -> Verdict {
    let Some(success) = answer.get("success").and_then(Value::as_bool) else {
        return Verdict::Unavailable("unreadable_answer");
    };
    if !success {
        let codes: Vec<String> = answer
            .get("error-codes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|code| code.chars().take(64).collect())
            .collect();
        // These name a fault of ours or of Cloudflare's, not of the visitor.
        let ours = [
            "missing-input-secret",
            "invalid-input-secret",
            "bad-request",
            "internal-error",
        ];
        if codes.iter().any(|code| ours.contains(&code.as_str())) {
            return Verdict::Unavailable("refused_by_siteverify");
        }
        return Verdict::Failed(Failure::Rejected(codes));
    }
    let hostname = answer
        .get("hostname")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !hostnames.contains(&hostname) {
        return Verdict::Failed(Failure::Hostname);
    }
    if let Some(action) = action {
        if answer.get("action").and_then(Value::as_str) != Some(action) {
            return Verdict::Failed(Failure::Action);
        }
    }
    Verdict::Passed
}

/// A version-4-shaped UUID from an idempotency key (`k` and 32 hex digits), as siteverify's
/// `idempotency_key` wants: the same submission always gets the same UUID.
pub(crate) fn idempotency_uuid(key: &str) -> Option<String> {
    let hex = key.strip_prefix('k')?;
    if hex.len() != 32 || !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let mut uuid = String::with_capacity(36);
    for (index, byte) in hex.bytes().enumerate() {
        if matches!(index, 8 | 12 | 16 | 20) {
            uuid.push('-');
        }
        let digit = match index {
            12 => b'4',
            // The variant: 10xx in the top bits of this digit.
            16 => b"89ab"[(char::from(byte).to_digit(16).unwrap_or(0) & 3) as usize],
            _ => byte.to_ascii_lowercase(),
        };
        uuid.push(char::from(digit));
    }
    Some(uuid)
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub(crate) fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            body.push('&');
        }
        hex::push_percent_encoded(&mut body, name);
        body.push('=');
        hex::push_percent_encoded(&mut body, value);
    }
    body
}

/// What one verification needs from the request.
pub(crate) struct Check<'a> {
    pub token: Option<&'a str>,
    pub remote_ip: Option<&'a str>,
    /// The submission's idempotency key.
    pub key: &'a str,
    pub hostnames: &'a [String],
    pub action: Option<&'a str>,
}

/// Verifies the token with siteverify. Without a secret the edge is not configured (config.rs
/// refuses that), so this answers unavailable rather than letting the submission through.
pub(crate) async fn verify(config: &Config, check: &Check<'_>) -> Verdict {
    let Some(token) = usable_token(check.token) else {
        return Verdict::Failed(Failure::Missing);
    };
    let Some(secret) = config.turnstile_secret.as_ref() else {
        return Verdict::Unavailable("no_secret");
    };
    let uuid = idempotency_uuid(check.key);
    let mut pairs = vec![("secret", secret.expose()), ("response", token)];
    if let Some(ip) = check.remote_ip {
        pairs.push(("remoteip", ip));
    }
    if let Some(uuid) = uuid.as_deref() {
        pairs.push(("idempotency_key", uuid));
    }
    let body = form_body(&pairs);
    let headers = js::object(&[(
        "Content-Type",
        JsValue::from_str("application/x-www-form-urlencoded"),
    )]);
    let answer = js::post(
        &js_sys::global(),
        &config.turnstile_verify_url,
        headers,
        JsValue::from(body),
        &js::Exchange {
            timeout_ms: Some(VERIFY_TIMEOUT_MS),
            manual_redirect: false,
            body_limit: 16 * 1024,
            read_header: None,
        },
    )
    .await;
    let posted = match answer {
        Ok(posted) => posted,
        Err(NoAnswer::Timeout) => return Verdict::Unavailable("timeout"),
        Err(NoAnswer::Network) => return Verdict::Unavailable("network"),
    };
    if !(200..300).contains(&posted.status) {
        return Verdict::Unavailable("siteverify_status");
    }
    match crate::json::parse(&posted.body) {
        Some(answer) => judge(&answer, check.hostnames, check.action),
        None => Verdict::Unavailable("unreadable_answer"),
    }
}

#[cfg(test)]
mod tests {
    use closem_shared::Forms;
    use serde_json::json;

    use super::{
        expected_hostnames, form_body, idempotency_uuid, judge, usable_token, Failure, Verdict,
    };

    fn hosts(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn answers_are_judged_by_success_hostname_and_action() {
        let check = |answer: serde_json::Value, action: Option<&str>, expected: Verdict| {
            let hostnames = hosts(&["www.example.com", "localhost"]);
            assert_eq!(judge(&answer, &hostnames, action), expected, "{answer}");
        };
        let pass = json!({"success": true, "hostname": "www.example.com", "action": "lead", "error-codes": []});
        check(pass.clone(), None, Verdict::Passed);
        check(pass.clone(), Some("lead"), Verdict::Passed);
        check(pass, Some("signup"), Verdict::Failed(Failure::Action));
        check(
            json!({"success": true, "hostname": "WWW.Example.com"}),
            None,
            Verdict::Passed,
        );
        check(
            json!({"success": true, "hostname": "evil.example.net", "action": "lead"}),
            Some("lead"),
            Verdict::Failed(Failure::Hostname),
        );
        check(
            json!({"success": true}),
            None,
            Verdict::Failed(Failure::Hostname),
        );
        check(
            json!({"success": true, "hostname": "localhost"}),
            Some("lead"),
            Verdict::Failed(Failure::Action),
        );
        check(
            json!({"success": false, "error-codes": ["timeout-or-duplicate"]}),
            None,
            Verdict::Failed(Failure::Rejected(vec!["timeout-or-duplicate".into()])),
        );
        check(
            json!({"success": false, "error-codes": ["invalid-input-response"]}),
            None,
            Verdict::Failed(Failure::Rejected(vec!["invalid-input-response".into()])),
        );
        check(
            json!({"success": false, "error-codes": ["invalid-input-secret"]}),
            None,
            Verdict::Unavailable("refused_by_siteverify"),
        );
        check(
            json!({"success": false, "error-codes": ["internal-error"]}),
            None,
            Verdict::Unavailable("refused_by_siteverify"),
        );
        check(
            json!({"ok": true}),
            None,
            Verdict::Unavailable("unreadable_answer"),
        );
        check(
            json!({"success": "true", "hostname": "localhost"}),
            None,
            Verdict::Unavailable("unreadable_answer"),
        );
    }

    #[test]
    fn hostnames_come_from_the_profile_or_its_origins() {
        let forms = Forms::from_value(json!({
            "listed": {
                "mode": "addcontact",
                "allowed_origins": ["https://www.example.com", "http://localhost:8787", "http://[::1]:8080"],
                "spam": { "turnstile_site_key": "0x4AAA" }
            },
            "named": {
                "mode": "addcontact",
                "allowed_origins": ["https://www.example.com"],
                "spam": { "turnstile_site_key": "0x4AAA", "turnstile_hostnames": ["forms.example.org"] }
            },
            "own": { "mode": "addcontact", "spam": { "turnstile_site_key": "0x4AAA" } }
        }))
        .expect("valid forms");
        let of = |id: &str| {
            expected_hostnames(
                forms.get(id).expect("a form"),
                "https://Forms.Example.net:8443",
            )
        };
        assert_eq!(
            of("listed"),
            hosts(&["www.example.com", "localhost", "::1", "forms.example.net"])
        );
        assert_eq!(of("named"), hosts(&["forms.example.org"]));
        assert_eq!(of("own"), hosts(&["forms.example.net"]));
    }

    #[test]
    fn idempotency_uuids_are_stable_and_well_formed() {
        let key = "k0123456789abcdef0123456789abcdef";
        let uuid = idempotency_uuid(key).expect("a uuid");
        assert_eq!(uuid, "01234567-89ab-4def-8123-456789abcdef");
        assert_eq!(idempotency_uuid(key), Some(uuid));
        assert_eq!(
            idempotency_uuid("kffffffffffffffffffffffffffffffff").as_deref(),
            Some("ffffffff-ffff-4fff-bfff-ffffffffffff")
        );
        assert_eq!(idempotency_uuid("k0123"), None);
        assert_eq!(idempotency_uuid("x0123456789abcdef0123456789abcdef"), None);
        assert_eq!(idempotency_uuid("k0123456789abcdef0123456789abcdeg"), None);
    }

    #[test]
    fn tokens_and_bodies() {
        assert_eq!(usable_token(None), None);
        assert_eq!(usable_token(Some("  ")), None);
        assert_eq!(usable_token(Some(" abc ")), Some("abc"));
        let long = "a".repeat(2049);
        assert_eq!(usable_token(Some(&long)), None);
        assert_eq!(
            form_body(&[
                ("secret", "0x4A+b/c="),
                ("response", "t.k-_~"),
                ("remoteip", "::1")
            ]),
            "secret=0x4A%2Bb%2Fc%3D&response=t.k-_~&remoteip=%3A%3A1"
        );
    }
}
