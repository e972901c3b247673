//! The widget-to-edge wire contract: the names both sides spell. The widget writes them (its
//! `dom.js` spells the same strings, which a test compares with these constants) and the edge
//! reads them; no other module writes them out.

/// Every field whose name starts with this is the widget's, never a visitor's input.
pub const RESERVED_PREFIX: &str = "_closem";

/// The submission's idempotency key, as a field (native posts cannot set headers).
pub const KEY_FIELD: &str = "_closem_key";

/// Milliseconds from enhancing the form to sending it (the fill-time trap).
pub const FILL_TIME_FIELD: &str = "_closem_t";

/// The submission's idempotency key, as a header.
pub const KEY_HEADER: &str = "Idempotency-Key";

/// `_closem_field:<name>` carries the `data-closem-field` hint of the control sent as `<name>`.
pub const HINT_PREFIX: &str = "_closem_field:";

/// `_closem_auto:<name>` carries the `autocomplete` token of the control sent as `<name>`.
pub const AUTOCOMPLETE_PREFIX: &str = "_closem_auto:";

/// The visitor's language as the widget chose it (`Lang::code`: the form's `data-closem-lang` or
/// nearest `lang`); the edge answers in it. Native posts send none: then `Accept-Language` counts.
pub const LANG_FIELD: &str = "_closem_lang";

/// The visit's first touch (campaign parameters, referring host, landing path, time), encoded
/// as `key=value&...` (see `closem_shared::attribution`).
pub const FIRST_TOUCH_FIELD: &str = "_closem_first";

/// The visit's last touch, encoded like the first.
pub const LAST_TOUCH_FIELD: &str = "_closem_last";

/// The value of the reserved field `<prefix><name>` among `pairs`, if the widget sent one.
pub fn hint_for<'a, N: AsRef<str>, V: AsRef<str>>(
    pairs: &'a [(N, V)],
    prefix: &str,
    name: &str,
) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key.as_ref().strip_prefix(prefix) == Some(name))
        .map(|(_, value)| value.as_ref())
}

/// The keys of the edge's JSON answer, `{"ok": bool, "id": string?, "issues": [issue]}`, each
/// issue `{"field": string|null, "code": string, "message": string}`.
pub mod answer {
    pub const OK: &str = "ok";
    pub const ID: &str = "id";
    pub const ISSUES: &str = "issues";
    pub const FIELD: &str = "field";
    pub const CODE: &str = "code";
    pub const MESSAGE: &str = "message";
}

/// Form-level issue codes (`field` null). Field issues are `<CLOSEM field>.<kind>`
/// (`Issue::code`).
pub mod code {
    /// The edge could not record the submission: send it again later.
    pub const UNAVAILABLE: &str = "edge.unavailable";
    /// The worker's configuration is broken (`/health` says how).
    pub const NOT_CONFIGURED: &str = "edge.not_configured";
    /// The profile wants a Turnstile token and none came.
    pub const TURNSTILE_MISSING: &str = "turnstile.missing";
    /// The token did not verify (expired, spent, wrong site).
    pub const TURNSTILE_FAILED: &str = "turnstile.failed";
    /// 409: this idempotency key already names a submission with other fields; an edited
    /// submission needs a new key (the widget makes one).
    pub const KEY_REUSED: &str = "idempotency_key.reused";
    /// 400: the idempotency key is not one the edge accepts.
    pub const KEY_INVALID: &str = "idempotency_key.invalid";
    /// The widget's own: no answer came and the submission waits in the outbox.
    pub const QUEUED: &str = "network.queued";
    /// The widget's own: no answer came and nothing could be kept.
    pub const NETWORK: &str = "network";
}

/// What an answer means for the submission it answers, decided in one place for the widget and
/// stated here for the edge.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Disposition {
    /// 2xx with `ok: true`: recorded for delivery. Final.
    Accepted,
    /// 422: the visitor's to fix, issue by issue. Final for this submission.
    Fix,
    /// Another 4xx (or a 2xx without `ok`): refused as it is. Final.
    Refused,
    /// A Turnstile refusal (403 with a `turnstile.*` code): the same submission may go again with
    /// a fresh token, once the visitor has passed a new challenge.
    Rechallenge,
    /// No answer (status 0: offline, DNS, CORS), 408, 425, 429 or 5xx: kept and sent again under
    /// the same key, which the edge records once.
    Retry,
}

impl Disposition {
    pub const ALL: [Disposition; 5] = [
        Disposition::Accepted,
        Disposition::Fix,
        Disposition::Refused,
        Disposition::Rechallenge,
        Disposition::Retry,
    ];

    /// Its name as the widget's `dom.js` spells it (the widget's rules answer with it).
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Accepted => "accepted",
            Disposition::Fix => "fix",
            Disposition::Refused => "refused",
            Disposition::Rechallenge => "rechallenge",
            Disposition::Retry => "retry",
        }
    }

    /// `status` is 0 when no answer came; `ok` the answer's `ok`; `codes` its issues' codes.
    pub fn of<'a>(status: u16, ok: bool, mut codes: impl Iterator<Item = &'a str>) -> Disposition {
        match status {
            0 | 408 | 425 | 429 | 500..=599 => Disposition::Retry,
            200..=299 if ok => Disposition::Accepted,
            403 if codes.any(|code| code.starts_with("turnstile.")) => Disposition::Rechallenge,
            422 => Disposition::Fix,
            _ => Disposition::Refused,
        }
    }

    /// The outbox keeps the submission (to send again) rather than forgetting it.
    pub fn is_kept(self) -> bool {
        matches!(self, Disposition::Retry | Disposition::Rechallenge)
    }
}
