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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use worker::{Env, Method, Request, RequestInit, Stub};

use crate::spam::Trap;

/// The Durable Object namespace binding.
pub const BINDING: &str = "LEDGER";
/// The one named instance.
const INSTANCE: &str = "ledger";
/// How long one delivery attempt holds a submission: longer than CLOSEM's timeout
/// (forward.rs), so a second queue delivery of the same message cannot call CLOSEM meanwhile.
pub const LEASE_MS: i64 = 30_000;

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Debug, Serialize, Deserialize)]
pub struct NewSubmission {
    pub key: String,
    pub also: Vec<String>,
    pub form: String,
    pub mode: String,
    pub fields: Vec<(String, String)>,
}

/// What `record` answers: the submission's id (the key found or recorded) and whether a queue
/// message must be sent for it (a new submission, or one whose earlier send failed).
#[derive(Debug, Serialize, Deserialize)]
pub struct Recorded {
    pub id: String,
    pub fresh: bool,
    pub needs_queue: bool,
}

/// What `begin` answers to a queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finish {
    pub key: String,
    pub result: Outcome,
    /// CLOSEM's status, when it answered.
    pub status: Option<u16>,
    /// `upstream_status`, `timeout` or `network` for failures.
    pub cause: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    Refused,
    Failed,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Finished {
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// One submission as operators see it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub form: String,
    pub mode: String,
    pub state: State,
    pub queued: bool,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub fields: Vec<(String, String)>,
    /// Milliseconds since the UNIX epoch.
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// Submissions per state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Counts {
    pub pending: u64,
    pub delivered: u64,
    pub refused: u64,
    pub dead: u64,
}

/// Bots turned away from one form, by trap (spam.rs): never recorded as submissions, only counted.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Listing {
    pub counts: Counts,
    /// Form id -> bots turned away, for forms that have turned any away.
    pub spam: BTreeMap<String, SpamCounts>,
    pub submissions: Vec<Entry>,
}

/// One bot turned away from `form` by the trap named `kind`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Trapped {
    pub form: String,
    pub kind: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyBody {
    key: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ListQuery {
    state: Option<State>,
    limit: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct ReplayQuery {
    key: Option<String>,
    limit: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Replayed {
    /// Keys set back to pending: each needs a queue message.
    pub keys: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Changed {
    pub changed: bool,
}

/// The worker's handle on the ledger for one request or batch.
pub struct LedgerClient {
    stub: Stub,
}

impl LedgerClient {
    pub fn open(env: &Env) -> worker::Result<LedgerClient> {
        let stub = env
            .durable_object(BINDING)?
            .id_from_name(INSTANCE)?
            .get_stub()?;
        Ok(LedgerClient { stub })
    }

    pub async fn record(&self, submission: &NewSubmission) -> worker::Result<Recorded> {
        self.call("record", submission).await
    }

    /// Notes that the submission's queue message was sent.
    pub async fn queued(&self, key: &str) -> worker::Result<Changed> {
        self.call("queued", &KeyBody { key: key.into() }).await
    }

    pub async fn begin(&self, key: &str) -> worker::Result<Begin> {
        self.call("begin", &KeyBody { key: key.into() }).await
    }

    pub async fn finish(&self, finish: &Finish) -> worker::Result<Finished> {
        self.call("finish", finish).await
    }

    /// Marks a pending submission dead (its message left the queue for the dead-letter queue).
    pub async fn dead(&self, key: &str) -> worker::Result<Changed> {
        self.call("dead", &KeyBody { key: key.into() }).await
    }

    /// Counts one bot turned away from `form`.
    pub async fn count(&self, form: &str, trap: Trap) -> worker::Result<Changed> {
        let trapped = Trapped {
            form: form.to_string(),
            kind: trap.as_str().to_string(),
        };
        self.call("count", &trapped).await
    }

    pub async fn list(&self, state: Option<State>, limit: u32) -> worker::Result<Listing> {
        self.call("list", &ListQuery { state, limit }).await
    }

    /// Sets dead submissions (or the one `key`, if dead or pending) back to pending and returns
    /// their keys; the caller queues each.
    pub async fn replay(&self, key: Option<&str>, limit: u32) -> worker::Result<Replayed> {
        let query = ReplayQuery {
            key: key.map(str::to_string),
            limit,
        };
        self.call("replay", &query).await
    }

    async fn call<T: Serialize, R: serde::de::DeserializeOwned>(
        &self,
        operation: &str,
        body: &T,
    ) -> worker::Result<R> {
        let body = serde_json::to_string(body).map_err(|error| error.to_string())?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(wasm_bindgen::JsValue::from_str(&body)));
        let request = Request::new_with_init(&format!("https://ledger/{operation}"), &init)?;
        let mut response = self.stub.fetch_with_request(request).await?;
        let text = response.text().await?;
        if response.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "ledger {operation}: {} {}",
                response.status_code(),
                text.chars().take(200).collect::<String>()
            )));
        }
        serde_json::from_str(&text).map_err(|error| worker::Error::RustError(error.to_string()))
    }
}

/// Seconds to wait before the next attempt after `attempts` failures: 2, 4, 8... up to `cap`.
pub fn backoff_seconds(attempts: u32, cap: u32) -> u32 {
    let exponential = 1u32.checked_shl(attempts.min(31)).unwrap_or(u32::MAX);
    exponential.min(cap).max(1)
}

#[cfg(test)]
mod tests {
    use super::{backoff_seconds, begin_rule, Begin, BeginRule, State};

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
        let busy = serde_json::to_value(Begin::Busy { retry_in_ms: 5 }).unwrap();
        assert_eq!(
            busy,
            serde_json::json!({"outcome": "busy", "retry_in_ms": 5})
        );
        let done = serde_json::to_value(Begin::Done {
            state: State::Delivered,
        })
        .unwrap();
        assert_eq!(
            done,
            serde_json::json!({"outcome": "done", "state": "delivered"})
        );
    }
}
