//! The ledger: every accepted submission, keyed by its idempotency key, with its delivery state.
//! It is what makes delivery exactly-once as CLOSEM sees it: a resubmission finds its key and is
//! not queued again, and a queue message whose submission is already delivered or refused is
//! acknowledged without calling CLOSEM.
//!
//! The ledger is one Durable Object with SQLite storage ([`object::Ledger`]), reached by name so
//! operators can list every submission in one place. If one instance ever limits throughput, the
//! path is to shard by key (`id_from_name(first hex digits of the key)`) and let the admin routes
//! ask every shard.
//!
//! This module holds the protocol between the worker and the object (JSON over the object's
//! `fetch`), the pure rules of state changes (tested natively), and the worker's side of the calls.

mod object;

pub use object::Ledger;

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::Env;

use crate::js;
use crate::json;
use crate::spam::Trap;

/// The Durable Object namespace binding.
pub const BINDING: &str = "LEDGER";
/// The one named instance.
const INSTANCE: &str = "ledger";
/// How long one delivery attempt holds a submission: longer than CLOSEM's timeout
/// (forward.rs), so a second queue delivery of the same message cannot call CLOSEM meanwhile.
pub const LEASE_MS: i64 = 30_000;

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Recorded; queued for delivery or between attempts.
    Pending,
    /// CLOSEM answered 2xx. Final.
    Delivered,
    /// CLOSEM answered 4xx: the same fields would be refused again. Final.
    Refused,
    /// The queue gave up after its retries; an operator can replay it.
    Dead,
}

impl State {
    pub const ALL: [State; 4] = [
        State::Pending,
        State::Delivered,
        State::Refused,
        State::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Refused => "refused",
            State::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// Delivered and refused submissions never go to CLOSEM again.
    pub fn is_final(self) -> bool {
        matches!(self, State::Delivered | State::Refused)
    }
}

/// What `record` is given: the key (and, for derived keys, the previous bucket's key, which also
/// counts as "already recorded") and what will be forwarded.
#[derive(Debug, PartialEq, Eq)]
pub struct NewSubmission {
    pub key: String,
    pub also: Vec<String>,
    pub form: String,
    pub mode: String,
    pub fields: Vec<(String, String)>,
}

impl NewSubmission {
    fn to_json(&self) -> String {
        json::object()
            .str("key", &self.key)
            .raw("also", &json::strings(self.also.iter().map(String::as_str)))
            .str("form", &self.form)
            .str("mode", &self.mode)
            .raw("fields", &json::pairs(&self.fields))
            .finish()
    }

    fn from_json(value: &Value) -> Option<NewSubmission> {
        Some(NewSubmission {
            key: json::text(value, "key")?,
            also: value
                .get("also")?
                .as_array()?
                .iter()
                .map(|key| key.as_str().map(str::to_string))
                .collect::<Option<_>>()?,
            form: json::text(value, "form")?,
            mode: json::text(value, "mode")?,
            fields: json::read_pairs(value.get("fields")?)?,
        })
    }
}

/// What `record` answers: the submission's id (the key found or recorded) and whether a queue
/// message must be sent for it (a new submission, or one whose earlier send failed).
#[derive(Debug, PartialEq, Eq)]
pub struct Recorded {
    pub id: String,
    pub fresh: bool,
    pub needs_queue: bool,
}

impl Recorded {
    fn to_json(&self) -> String {
        json::object()
            .str("id", &self.id)
            .bool("fresh", self.fresh)
            .bool("needs_queue", self.needs_queue)
            .finish()
    }

    fn from_json(value: &Value) -> Option<Recorded> {
        Some(Recorded {
            id: json::text(value, "id")?,
            fresh: value.get("fresh")?.as_bool()?,
            needs_queue: value.get("needs_queue")?.as_bool()?,
        })
    }
}

/// What `begin` answers to a queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Deliver these fields now; the submission is leased to this attempt.
    Go {
        fields: Vec<(String, String)>,
        attempts: u32,
    },
    /// Already delivered or refused: acknowledge, do not call CLOSEM.
    Done { state: State },
    /// Another attempt holds the lease: try again after it ends.
    Busy { retry_in_ms: i64 },
    /// No such submission (never recorded, or pruned): nothing to deliver.
    Unknown,
}

impl Begin {
    /// `{"outcome": "go" | "done" | "busy" | "unknown", ...}`.
    fn to_json(&self) -> String {
        let mut object = json::object();
        match self {
            Begin::Go { fields, attempts } => object
                .str("outcome", "go")
                .raw("fields", &json::pairs(fields))
                .int("attempts", i64::from(*attempts)),
            Begin::Done { state } => object.str("outcome", "done").str("state", state.as_str()),
            Begin::Busy { retry_in_ms } => object
                .str("outcome", "busy")
                .int("retry_in_ms", *retry_in_ms),
            Begin::Unknown => object.str("outcome", "unknown"),
        }
        .finish()
    }

    fn from_json(value: &Value) -> Option<Begin> {
        match value.get("outcome")?.as_str()? {
            "go" => Some(Begin::Go {
                fields: json::read_pairs(value.get("fields")?)?,
                attempts: u32::try_from(json::int(value, "attempts")?).ok()?,
            }),
            "done" => Some(Begin::Done {
                state: State::parse(value.get("state")?.as_str()?)?,
            }),
            "busy" => Some(Begin::Busy {
                retry_in_ms: json::int(value, "retry_in_ms")?,
            }),
            "unknown" => Some(Begin::Unknown),
            _ => None,
        }
    }
}

/// Decides `begin` for a recorded submission, from its state and lease.
pub fn begin_rule(state: State, lease_until_ms: i64, now_ms: i64) -> BeginRule {
    if state.is_final() {
        BeginRule::Done
    } else if lease_until_ms > now_ms {
        BeginRule::Busy(lease_until_ms - now_ms)
    } else {
        // Pending, or dead with a live message left (a replay re-queued it): deliver.
        BeginRule::Go
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginRule {
    Done,
    Busy(i64),
    Go,
}

/// How one attempt ended, as the consumer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    pub key: String,
    pub result: Outcome,
    /// CLOSEM's status, when it answered.
    pub status: Option<u16>,
    /// `upstream_status`, `timeout` or `network` for failures.
    pub cause: Option<String>,
}

impl Finish {
    fn to_json(&self) -> String {
        json::object()
            .str("key", &self.key)
            .str("result", self.result.as_str())
            .opt_int("status", self.status.map(i64::from))
            .opt_str("cause", self.cause.as_deref())
            .finish()
    }

    fn from_json(value: &Value) -> Option<Finish> {
        let result = value.get("result")?.as_str()?;
        Some(Finish {
            key: json::text(value, "key")?,
            result: Outcome::ALL
                .into_iter()
                .find(|outcome| outcome.as_str() == result)?,
            status: match value.get("status")? {
                Value::Null => None,
                status => Some(u16::try_from(status.as_u64()?).ok()?),
            },
            cause: match value.get("cause")? {
                Value::Null => None,
                cause => Some(cause.as_str()?.to_string()),
            },
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    Refused,
    Failed,
}

impl Outcome {
    const ALL: [Outcome; 3] = [Outcome::Delivered, Outcome::Refused, Outcome::Failed];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// Bots turned away from one form, by trap (spam.rs): never recorded as submissions, only counted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SpamCounts {
    pub honeypot: u64,
    pub fill_time: u64,
    pub turnstile: u64,
}

impl SpamCounts {
    /// Sets the count of the trap named `kind`; unknown names are ignored.
    pub fn set(&mut self, kind: &str, n: u64) {
        match Trap::parse(kind) {
            Some(Trap::Honeypot) => self.honeypot = n,
            Some(Trap::FillTime) => self.fill_time = n,
            Some(Trap::Turnstile) => self.turnstile = n,
            None => {}
        }
    }

    fn to_json(&self) -> String {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        json::object()
            .int("honeypot", count(self.honeypot))
            .int("fill_time", count(self.fill_time))
            .int("turnstile", count(self.turnstile))
            .finish()
    }
}

/// The ledger could not be reached, or its answer was not what the protocol says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// The worker's handle on the ledger for one request or batch.
pub struct LedgerClient {
    stub: JsValue,
}

impl LedgerClient {
    pub fn open(env: &Env) -> Result<LedgerClient, Unavailable> {
        let namespace = js::get(env, BINDING).ok_or(Unavailable)?;
        let id = js::call(&namespace, "idFromName", &[JsValue::from_str(INSTANCE)])
            .map_err(|_| Unavailable)?;
        let stub = js::call(&namespace, "get", &[id]).map_err(|_| Unavailable)?;
        Ok(LedgerClient { stub })
    }

    pub async fn record(&self, submission: &NewSubmission) -> Result<Recorded, Unavailable> {
        let answer = self.call("record", submission.to_json()).await?;
        Recorded::from_json(&answer).ok_or(Unavailable)
    }

    /// Notes that the submission's queue message was sent; whether a row changed.
    pub async fn queued(&self, key: &str) -> Result<bool, Unavailable> {
        self.changed("queued", key).await
    }

    pub async fn begin(&self, key: &str) -> Result<Begin, Unavailable> {
        let answer = self.call("begin", key_body(key)).await?;
        Begin::from_json(&answer).ok_or(Unavailable)
    }

    /// Reports an attempt; answers the attempts so far, this one included.
    pub async fn finish(&self, finish: &Finish) -> Result<u32, Unavailable> {
        let answer = self.call("finish", finish.to_json()).await?;
        json::int(&answer, "attempts")
            .and_then(|attempts| u32::try_from(attempts).ok())
            .ok_or(Unavailable)
    }

    /// Marks a pending submission dead (its message left the queue for the dead-letter queue);
    /// whether it was pending.
    pub async fn dead(&self, key: &str) -> Result<bool, Unavailable> {
        self.changed("dead", key).await
    }

    /// Counts one bot turned away from `form`.
    pub async fn count(&self, form: &str, trap: Trap) -> Result<(), Unavailable> {
        let body = json::object()
            .str("form", form)
            .str("kind", trap.as_str())
            .finish();
        self.call("count", body).await.map(drop)
    }

    /// The listing operators see (counts, spam, submissions), as JSON text.
    pub async fn list(&self, state: Option<State>, limit: u32) -> Result<String, Unavailable> {
        let body = json::object()
            .opt_str("state", state.map(State::as_str))
            .int("limit", i64::from(limit))
            .finish();
        self.text("list", body).await
    }

    /// Sets dead submissions (or the one `key`, if dead or pending) back to pending and returns
    /// their keys; the caller queues each.
    pub async fn replay(&self, key: Option<&str>, limit: u32) -> Result<Vec<String>, Unavailable> {
        let body = json::object()
            .opt_str("key", key)
            .int("limit", i64::from(limit))
            .finish();
        let answer = self.call("replay", body).await?;
        answer
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(Unavailable)?
            .iter()
            .map(|key| key.as_str().map(str::to_string).ok_or(Unavailable))
            .collect()
    }

    async fn changed(&self, operation: &str, key: &str) -> Result<bool, Unavailable> {
        let answer = self.call(operation, key_body(key)).await?;
        answer
            .get("changed")
            .and_then(Value::as_bool)
            .ok_or(Unavailable)
    }

    async fn call(&self, operation: &str, body: String) -> Result<Value, Unavailable> {
        json::parse(&self.text(operation, body).await?).ok_or(Unavailable)
    }

    async fn text(&self, operation: &str, body: String) -> Result<String, Unavailable> {
        let url = ["https://ledger/", operation].concat();
        let headers = js::object(&[]);
        let posted = js::post(&self.stub, &url, headers, JsValue::from(body), None)
            .await
            .map_err(|_| Unavailable)?;
        if posted.status == 200 {
            Ok(posted.body)
        } else {
            Err(Unavailable)
        }
    }
}

/// `{"key": key}`, the body of the operations on one submission.
fn key_body(key: &str) -> String {
    json::object().str("key", key).finish()
}

/// Seconds to wait before the next attempt after `attempts` failures: 2, 4, 8... up to `cap`.
pub fn backoff_seconds(attempts: u32, cap: u32) -> u32 {
    let exponential = 1u32.checked_shl(attempts.min(31)).unwrap_or(u32::MAX);
    exponential.min(cap).max(1)
}

#[cfg(test)]
mod tests {
    use super::{
        backoff_seconds, begin_rule, Begin, BeginRule, Finish, NewSubmission, Outcome, Recorded,
        State,
    };

    #[test]
    fn begin_delivers_only_what_is_neither_final_nor_leased() {
        let check = |state, lease_until, now, expected| {
            assert_eq!(
                begin_rule(state, lease_until, now),
                expected,
                "{state:?} {lease_until} {now}"
            );
        };
        check(State::Pending, 0, 1_000, BeginRule::Go);
        check(State::Dead, 0, 1_000, BeginRule::Go);
        check(State::Pending, 1_000, 1_000, BeginRule::Go);
        check(State::Pending, 31_000, 1_000, BeginRule::Busy(30_000));
        check(State::Delivered, 0, 1_000, BeginRule::Done);
        check(State::Delivered, 31_000, 1_000, BeginRule::Done);
        check(State::Refused, 0, 1_000, BeginRule::Done);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let delays: Vec<u32> = (0..9)
            .map(|attempts| backoff_seconds(attempts, 60))
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff_seconds(40, 60), 60);
        assert_eq!(backoff_seconds(3, 2), 2);
        assert_eq!(backoff_seconds(3, 0), 1);
    }

    #[test]
    fn states_and_begin_answers_have_stable_wire_names() {
        for state in State::ALL {
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
        assert_eq!(State::parse("lost"), None);
        let check = |begin: Begin, expected: serde_json::Value| {
            let text = begin.to_json();
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&text).unwrap(),
                expected
            );
            assert_eq!(Begin::from_json(&expected), Some(begin));
        };
        check(
            Begin::Busy { retry_in_ms: 5 },
            serde_json::json!({"outcome": "busy", "retry_in_ms": 5}),
        );
        check(
            Begin::Done {
                state: State::Delivered,
            },
            serde_json::json!({"outcome": "done", "state": "delivered"}),
        );
        check(
            Begin::Go {
                fields: vec![("email".into(), "a@b.co".into())],
                attempts: 2,
            },
            serde_json::json!({"outcome": "go", "fields": [["email", "a@b.co"]], "attempts": 2}),
        );
        check(Begin::Unknown, serde_json::json!({"outcome": "unknown"}));
        assert_eq!(
            Begin::from_json(&serde_json::json!({"outcome": "maybe"})),
            None
        );
    }

    #[test]
    fn messages_to_the_ledger_round_trip() {
        let new = NewSubmission {
            key: "k1".into(),
            also: vec!["k0".into()],
            form: "contact".into(),
            mode: "addcontact".into(),
            fields: vec![("email".into(), "a@b.co".into())],
        };
        let read = |text: String| serde_json::from_str::<serde_json::Value>(&text).unwrap();
        assert_eq!(NewSubmission::from_json(&read(new.to_json())), Some(new));
        let recorded = Recorded {
            id: "k1".into(),
            fresh: false,
            needs_queue: true,
        };
        assert_eq!(
            Recorded::from_json(&read(recorded.to_json())),
            Some(recorded)
        );
        for finish in [
            Finish {
                key: "k1".into(),
                result: Outcome::Delivered,
                status: Some(200),
                cause: None,
            },
            Finish {
                key: "k1".into(),
                result: Outcome::Failed,
                status: None,
                cause: Some("timeout".into()),
            },
        ] {
            assert_eq!(Finish::from_json(&read(finish.to_json())), Some(finish));
        }
    }
}
