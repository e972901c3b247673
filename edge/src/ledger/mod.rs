//! The ledger: every accepted submission, keyed by its id, with its delivery state. It is what
//! makes delivery exactly-once as CLOSEM sees it: a resubmission finds its id and is answered
//! from the row, and a queue message whose submission is already delivered or refused is
//! acknowledged without calling CLOSEM.
//!
//! The ledger is `LEDGER_SHARDS` Durable Objects with SQLite storage ([`object::Ledger`]); a
//! submission lives on the shard its id names (shard.rs). While the visitor waits, a new
//! submission costs one call, `record`, which writes its row and arms the object's alarm before
//! the answer leaves the object (the output gate holds it until the write is durable). The alarm
//! then sends every row that is due to the `DELIVERIES` queue with `sendBatch` and re-arms; a row
//! stays due until an attempt starts, so a lost message or a crash between the write and the send
//! is re-driven by the next sweep (see ARCHITECTURE.md's invariants).
//!
//! This module holds the protocol between the worker and the objects (JSON over the object's
//! `fetch`), the pure rules of state changes (tested natively), and the worker's side of calls.

// the lead is rewriting ledger/ now; narrow its `pub` items once that lands (issue 15).
#![allow(unreachable_pub)]

mod object;
pub mod shard;

pub use object::{Ledger, DEFAULT_RETENTION_DAYS, DEFAULT_SPAM_KEEP_DAYS};

use std::cell::Cell;

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::Env;

use crate::js;
use crate::json;
use crate::spam::Trap;
use shard::SubmissionId;

/// The Durable Object namespace binding.
pub const BINDING: &str = "LEDGER";
/// How long one delivery attempt holds a submission: longer than CLOSEM's timeout
/// (forward.rs), so a second queue delivery of the same message cannot call CLOSEM meanwhile.
pub const LEASE_MS: i64 = 30_000;
/// How long after a row was handed to the queue (or an attempt began or failed) the sweep sends
/// it again if nothing more happened: longer than a message takes to come back with its retry
/// delay, so it only re-drives messages that were lost. A second message is harmless (`begin`).
pub const SWEEP_MARGIN_MS: i64 = 60_000;

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Recorded; queued for delivery or between attempts.
    Pending,
    /// CLOSEM refused the API key (401/403): retried slowly until the key works again.
    Held,
    /// CLOSEM answered 2xx. Final.
    Delivered,
    /// CLOSEM answered another 4xx: the same fields would be refused again. Final.
    Refused,
    /// The retries ran out (5xx, timeouts, network, 3xx); an operator can replay it.
    Dead,
    /// Caught by a bot trap and kept for operators to release, for `SPAM_KEEP_DAYS`.
    Spam,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Pending,
        State::Held,
        State::Delivered,
        State::Refused,
        State::Dead,
        State::Spam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Held => "held",
            State::Delivered => "delivered",
            State::Refused => "refused",
            State::Dead => "dead",
            State::Spam => "spam",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// Delivered and refused submissions never go to CLOSEM again by themselves.
    pub fn is_final(self) -> bool {
        matches!(self, State::Delivered | State::Refused)
    }

    /// Whether an operator's replay takes it: every state but delivered, which only when asked.
    pub fn replayable(self, include_delivered: bool) -> bool {
        self != State::Delivered || include_delivered
    }
}

/// What `record` is given: the id (and, for derived keys, the previous bucket's id, which also
/// counts as "already recorded") and what will be forwarded. `insert: false` only looks (a key's
/// shard before resharding); `spam` keeps a trapped submission in quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    pub id: String,
    pub also: Vec<String>,
    pub form: String,
    pub mode: String,
    pub fields: Vec<(String, String)>,
    /// Digests of the visitor's own email and phone, for erasure.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub insert: bool,
    pub spam: Option<SpamMark>,
}

/// A trapped submission: which trap, and a fingerprint of the client for the per-client bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpamMark {
    pub trap: Trap,
    pub client: String,
}

impl NewSubmission {
    fn to_json(&self) -> String {
        let mut object = json::object();
        object
            .str("id", &self.id)
            .raw("also", &json::strings(self.also.iter().map(String::as_str)))
            .str("form", &self.form)
            .str("mode", &self.mode)
            .raw("fields", &json::pairs(&self.fields))
            .opt_str("email", self.email.as_deref())
            .opt_str("phone", self.phone.as_deref())
            .bool("insert", self.insert);
        if let Some(spam) = &self.spam {
            object
                .str("trap", spam.trap.as_str())
                .str("client", &spam.client);
        }
        object.finish()
    }

    fn from_json(value: &Value) -> Option<NewSubmission> {
        let optional = |name: &str| match value.get(name) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(text)) => Some(Some(text.clone())),
            Some(_) => None,
        };
        let spam = match json::text(value, "trap") {
            Some(trap) => Some(SpamMark {
                trap: Trap::parse(&trap)?,
                client: json::text(value, "client")?,
            }),
            None => None,
        };
        Some(NewSubmission {
            id: json::text(value, "id")?,
            also: value
                .get("also")?
                .as_array()?
                .iter()
                .map(|id| id.as_str().map(str::to_string))
                .collect::<Option<_>>()?,
            form: json::text(value, "form")?,
            mode: json::text(value, "mode")?,
            fields: json::read_pairs(value.get("fields")?)?,
            email: optional("email")?,
            phone: optional("phone")?,
            insert: value.get("insert")?.as_bool()?,
            spam,
        })
    }
}

/// What `record` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new row (`insert`), due for the queue at once.
    New { id: String },
    /// The id (or the previous bucket's) was there with the same fields: a resubmission.
    Found { id: String },
    /// The id was there with different fields: the client reused a key (409).
    Conflict { id: String },
    /// Not there (a lookup with `insert: false`).
    Absent,
    /// A trapped submission past its form's or client's bound: counted, not kept.
    Counted,
}

impl Recorded {
    fn to_json(&self) -> String {
        let mut object = json::object();
        match self {
            Recorded::New { id } => object.str("outcome", "new").str("id", id),
            Recorded::Found { id } => object.str("outcome", "found").str("id", id),
            Recorded::Conflict { id } => object.str("outcome", "conflict").str("id", id),
            Recorded::Absent => object.str("outcome", "absent"),
            Recorded::Counted => object.str("outcome", "counted"),
        };
        object.finish()
    }

    fn from_json(value: &Value) -> Option<Recorded> {
        let id = || json::text(value, "id");
        Some(match value.get("outcome")?.as_str()? {
            "new" => Recorded::New { id: id()? },
            "found" => Recorded::Found { id: id()? },
            "conflict" => Recorded::Conflict { id: id()? },
            "absent" => Recorded::Absent,
            "counted" => Recorded::Counted,
            _ => return None,
        })
    }
}

/// Decides `record` for an id found in the ledger: the same submission again, or another one
/// under a reused key. Rows whose fields were dropped (retention) can no longer be compared and
/// count as the same.
pub fn found_rule(stored_fields: &str, fields_dropped: bool, new_fields: &str) -> bool {
    fields_dropped || stored_fields == new_fields
}

/// Whether an earlier attempt may have reached CLOSEM although the ledger holds no answer for it:
/// its lease is still set (the attempt began and never reported: the worker died or lost the
/// report), or it ended in a timeout or a network error (CLOSEM may have taken the request after
/// the edge stopped waiting, or answered into a broken connection).
pub fn in_doubt_rule(lease_until_ms: i64, last_error: Option<&str>) -> bool {
    lease_until_ms != 0 || matches!(last_error, Some("timeout" | "network"))
}

/// What `begin` answers to a queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Deliver these fields now; the submission is leased to this attempt.
    Go {
        fields: Vec<(String, String)>,
        attempts: u32,
        /// An earlier attempt may have reached CLOSEM without its answer being recorded
        /// (`in_doubt_rule`): this one is sent so that CLOSEM cannot take it twice.
        in_doubt: bool,
    },
    /// Already delivered or refused (or quarantined): acknowledge, do not call CLOSEM.
    Done { state: State },
    /// Another attempt holds the lease: try again after it ends.
    Busy { retry_in_ms: i64 },
    /// No such submission (never recorded, or erased): nothing to deliver.
    Unknown,
}

impl Begin {
    /// `{"outcome": "go" | "done" | "busy" | "unknown", ...}`.
    fn to_json(&self) -> String {
        let mut object = json::object();
        match self {
            Begin::Go {
                fields,
                attempts,
                in_doubt,
            } => object
                .str("outcome", "go")
                .raw("fields", &json::pairs(fields))
                .int("attempts", i64::from(*attempts))
                .bool("in_doubt", *in_doubt),
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
                in_doubt: value.get("in_doubt")?.as_bool()?,
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
    if state.is_final() || state == State::Spam {
        BeginRule::Done
    } else if lease_until_ms > now_ms {
        BeginRule::Busy(lease_until_ms - now_ms)
    } else {
        // Pending, held, or dead with a live message left: deliver.
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
    pub id: String,
    pub result: Outcome,
    /// CLOSEM's status, when it answered.
    pub status: Option<u16>,
    /// `upstream_status`, `redirect`, `timeout` or `network` for failures.
    pub cause: Option<String>,
    /// The start of CLOSEM's answer, without the key, for operators.
    pub excerpt: Option<String>,
    /// When to try again: the queue's delay (failed) or the ledger's own (held, throttled).
    pub retry_in_ms: i64,
}

impl Finish {
    fn to_json(&self) -> String {
        json::object()
            .str("id", &self.id)
            .str("result", self.result.as_str())
            .opt_int("status", self.status.map(i64::from))
            .opt_str("cause", self.cause.as_deref())
            .opt_str("excerpt", self.excerpt.as_deref())
            .int("retry_in_ms", self.retry_in_ms)
            .finish()
    }

    fn from_json(value: &Value) -> Option<Finish> {
        let result = value.get("result")?.as_str()?;
        let text = |name: &str| match value.get(name)? {
            Value::Null => Some(None),
            text => Some(Some(text.as_str()?.to_string())),
        };
        Some(Finish {
            id: json::text(value, "id")?,
            result: Outcome::ALL
                .into_iter()
                .find(|outcome| outcome.as_str() == result)?,
            status: match value.get("status")? {
                Value::Null => None,
                status => Some(u16::try_from(status.as_u64()?).ok()?),
            },
            cause: text("cause")?,
            excerpt: text("excerpt")?,
            retry_in_ms: json::int(value, "retry_in_ms")?,
        })
    }
}

/// What an attempt did to its submission (the failure policy's verdict, forward.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: delivered.
    Delivered,
    /// Another 4xx: refused, final.
    Refused,
    /// 401/403: held, retried by the ledger after `retry_in_ms`.
    Held,
    /// 408/425/429: still pending, retried by the ledger after `retry_in_ms` (`Retry-After`).
    Throttled,
    /// 5xx, 3xx, timeout, network: still pending, the queue retries the message.
    Failed,
}

impl Outcome {
    const ALL: [Outcome; 5] = [
        Outcome::Delivered,
        Outcome::Refused,
        Outcome::Held,
        Outcome::Throttled,
        Outcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Refused => "refused",
            Outcome::Held => "held",
            Outcome::Throttled => "throttled",
            Outcome::Failed => "failed",
        }
    }

    /// The state a (non-final) submission takes after this attempt.
    pub fn state(self) -> State {
        match self {
            Outcome::Delivered => State::Delivered,
            Outcome::Refused => State::Refused,
            Outcome::Held => State::Held,
            Outcome::Throttled | Outcome::Failed => State::Pending,
        }
    }

    /// When the sweep should send it again, if ever: held and throttled ones when their wait is
    /// over (the ledger retries them), failed ones only if the queue's retry never comes back.
    pub fn due_at(self, now_ms: i64, retry_in_ms: i64) -> Option<i64> {
        match self {
            Outcome::Delivered | Outcome::Refused => None,
            Outcome::Held | Outcome::Throttled => Some(now_ms + retry_in_ms.max(0)),
            Outcome::Failed => Some(now_ms + retry_in_ms.max(0) + SWEEP_MARGIN_MS),
        }
    }
}

/// Bots turned away from one form, by trap (spam.rs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SpamCounts {
    pub honeypot: u64,
    pub fill_time: u64,
    pub turnstile: u64,
}

impl SpamCounts {
    /// Adds `n` to the count of the trap named `kind`; unknown names are ignored.
    pub fn add(&mut self, kind: &str, n: u64) {
        match Trap::parse(kind) {
            Some(Trap::Honeypot) => self.honeypot += n,
            Some(Trap::FillTime) => self.fill_time += n,
            Some(Trap::Turnstile) => self.turnstile += n,
            None => {}
        }
    }

    pub fn to_json(&self) -> String {
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

/// The worker's handle on one shard of the ledger.
pub struct LedgerClient {
    stub: JsValue,
    /// Calls made through this handle (the bench and the log count the visitor's).
    calls: Cell<u32>,
}

impl LedgerClient {
    pub fn open(env: &Env, shard: u16) -> Result<LedgerClient, Unavailable> {
        let namespace = js::get(env, BINDING).ok_or(Unavailable)?;
        let name = JsValue::from_str(&shard::object_name(shard));
        let id = js::call(&namespace, "idFromName", &[name]).map_err(|_| Unavailable)?;
        let stub = js::call(&namespace, "get", &[id]).map_err(|_| Unavailable)?;
        Ok(LedgerClient {
            stub,
            calls: Cell::new(0),
        })
    }

    /// The shard an id names.
    pub fn for_id(env: &Env, id: &SubmissionId) -> Result<LedgerClient, Unavailable> {
        LedgerClient::open(env, id.shard)
    }

    pub fn calls(&self) -> u32 {
        self.calls.get()
    }

    pub async fn record(&self, submission: &NewSubmission) -> Result<Recorded, Unavailable> {
        self.record_spam(submission)
            .await
            .map(|(recorded, _)| recorded)
    }

    pub async fn begin(&self, id: &str) -> Result<Begin, Unavailable> {
        let answer = self.call("begin", id_body(id)).await?;
        Begin::from_json(&answer).ok_or(Unavailable)
    }

    /// Reports an attempt; answers the attempts so far, this one included, and the submission's
    /// form (empty if it is gone), for alerts.
    pub async fn finish(&self, finish: &Finish) -> Result<(u32, String), Unavailable> {
        let answer = self.call("finish", finish.to_json()).await?;
        let attempts = json::int(&answer, "attempts")
            .and_then(|attempts| u32::try_from(attempts).ok())
            .ok_or(Unavailable)?;
        Ok((attempts, json::text(&answer, "form").unwrap_or_default()))
    }

    /// Marks a pending submission dead (its message left the queue for the dead-letter queue);
    /// whether it was pending, and its form (empty if it is gone), for alerts.
    pub async fn dead(&self, id: &str) -> Result<(bool, String), Unavailable> {
        let answer = self.call("dead", id_body(id)).await?;
        let changed = answer
            .get("changed")
            .and_then(Value::as_bool)
            .ok_or(Unavailable)?;
        Ok((changed, json::text(&answer, "form").unwrap_or_default()))
    }

    /// Counts one bot turned away from `form` (a failed Turnstile check: nothing is kept);
    /// answers this shard's count of the form's trapped posts this hour, for the spam alert.
    pub async fn count(&self, form: &str, trap: Trap) -> Result<Option<i64>, Unavailable> {
        let body = json::object()
            .str("form", form)
            .str("kind", trap.as_str())
            .finish();
        let answer = self.call("count", body).await?;
        Ok(json::int(&answer, "hour_count"))
    }

    /// `record`, with (for a trapped submission) this shard's count of the form's trapped posts
    /// this hour, for the spam alert.
    pub async fn record_spam(
        &self,
        submission: &NewSubmission,
    ) -> Result<(Recorded, Option<i64>), Unavailable> {
        let answer = self.call("record", submission.to_json()).await?;
        let recorded = Recorded::from_json(&answer).ok_or(Unavailable)?;
        Ok((recorded, json::int(&answer, "hour_count")))
    }

    /// Claims the alert of `kind` for `form` (on the shard that keeps alerts, 0): `Some(n)` if
    /// none was sent in the last `quiet_ms` (send it; `n` were held back since the last one),
    /// `None` if one was (this one is counted as held back).
    pub async fn claim_alert(
        &self,
        kind: &str,
        form: &str,
        quiet_ms: i64,
    ) -> Result<Option<i64>, Unavailable> {
        let body = json::object()
            .str("kind", kind)
            .str("form", form)
            .int("quiet_ms", quiet_ms)
            .finish();
        let answer = self.call("alert", body).await?;
        match answer.get("send").and_then(Value::as_bool) {
            Some(true) => Ok(Some(json::int(&answer, "held_back").unwrap_or(0))),
            Some(false) => Ok(None),
            None => Err(Unavailable),
        }
    }

    /// One submission with its timeline as JSON text, or `None`.
    pub async fn get(&self, id: &str) -> Result<Option<String>, Unavailable> {
        let text = self.text("get", id_body(id)).await?;
        let entry = text
            .strip_prefix(r#"{"submission":"#)
            .and_then(|rest| rest.strip_suffix('}'))
            .ok_or(Unavailable)?;
        Ok((entry != "null").then(|| entry.to_string()))
    }

    /// Sets the submissions an operator names back to pending, due at once (the object's alarm
    /// queues them); returns their ids.
    pub async fn replay(&self, order: &ReplayOrder) -> Result<Vec<String>, Unavailable> {
        let answer = self.call("replay", order.to_json()).await?;
        answer
            .get("ids")
            .and_then(Value::as_array)
            .ok_or(Unavailable)?
            .iter()
            .map(|id| id.as_str().map(str::to_string).ok_or(Unavailable))
            .collect()
    }

    async fn call(&self, operation: &str, body: String) -> Result<Value, Unavailable> {
        json::parse(&self.text(operation, body).await?).ok_or(Unavailable)
    }

    async fn text(&self, operation: &str, body: String) -> Result<String, Unavailable> {
        self.calls.set(self.calls.get().saturating_add(1));
        let url = ["https://ledger/", operation].concat();
        let headers = js::object(&[]);
        let posted = js::post(
            &self.stub,
            &url,
            headers,
            JsValue::from(body),
            &js::Exchange::WHOLE,
        )
        .await
        .map_err(|_| Unavailable)?;
        if posted.status == 200 {
            Ok(posted.body)
        } else {
            Err(Unavailable)
        }
    }
}

/// Asks every shard in `shards` the same `operation` at once; their answers in shard order, or
/// `None` if one could not answer. One function for every fan-out (listings, replays, erasure,
/// /health), so the wasm holds one copy of its machinery.
async fn fan_out(
    env: &Env,
    shards: std::ops::Range<u16>,
    operation: &str,
    body: &str,
) -> Option<Vec<Value>> {
    let answers = std::cell::RefCell::new(shards.clone().map(|_| None).collect::<Vec<_>>());
    let start = shards.start;
    crate::queue::join_all(shards.map(|shard| {
        let answers = &answers;
        async move {
            let answer = match LedgerClient::open(env, shard) {
                Ok(ledger) => ledger.call(operation, body.to_string()).await.ok(),
                Err(_) => None,
            };
            if let Some(slot) = answers.borrow_mut().get_mut(usize::from(shard - start)) {
                *slot = answer;
            }
        }
    }))
    .await;
    answers.into_inner().into_iter().collect()
}

/// Every shard's listing page (`{counts, spam, submissions}`), for merging.
pub async fn list_all(
    env: &Env,
    shards: std::ops::Range<u16>,
    query: &ListQuery,
) -> Option<Vec<Value>> {
    fan_out(env, shards, "list", &query.to_json()).await
}

/// A replay on every shard; the ids set back to pending.
pub async fn replay_all(
    env: &Env,
    shards: std::ops::Range<u16>,
    order: &ReplayOrder,
) -> Option<Vec<String>> {
    let answers = fan_out(env, shards, "replay", &order.to_json()).await?;
    let mut ids = Vec::new();
    for answer in &answers {
        for id in answer.get("ids")?.as_array()? {
            ids.push(id.as_str()?.to_string());
        }
    }
    Some(ids)
}

/// Erasure on every shard (digests of the email or phone); how many rows went.
pub async fn erase_all(
    env: &Env,
    shards: std::ops::Range<u16>,
    email: Option<&str>,
    phone: Option<&str>,
) -> Option<u64> {
    let body = json::object()
        .opt_str("email", email)
        .opt_str("phone", phone)
        .finish();
    let answers = fan_out(env, shards, "erase", &body).await?;
    answers
        .iter()
        .map(|answer| json::int(answer, "erased").and_then(|n| u64::try_from(n).ok()))
        .sum()
}

/// Whether CLOSEM refuses the key as any shard last saw: `Some(since)` (the earliest refusal
/// with no delivery since), `None` if none says so; `Err` if a shard could not be asked.
pub async fn key_refused_since(
    env: &Env,
    shards: std::ops::Range<u16>,
) -> Result<Option<i64>, Unavailable> {
    let answers = fan_out(env, shards, "status", "{}")
        .await
        .ok_or(Unavailable)?;
    Ok(answers
        .iter()
        .filter_map(|answer| json::int(answer, "key_refused_since"))
        .min())
}

/// What a listing asks one shard: a state (or all), how many, and where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub state: Option<State>,
    /// Only this form's submissions.
    pub form: Option<String>,
    pub limit: u32,
    /// Only submissions older than this (created, id), newest first.
    pub before: Option<(i64, String)>,
}

impl ListQuery {
    fn to_json(&self) -> String {
        let mut object = json::object();
        object
            .opt_str("state", self.state.map(State::as_str))
            .opt_str("form", self.form.as_deref())
            .int("limit", i64::from(self.limit));
        if let Some((created, id)) = &self.before {
            object.int("before_ms", *created).str("before_id", id);
        }
        object.finish()
    }

    fn from_json(value: &Value) -> ListQuery {
        ListQuery {
            state: json::text(value, "state").and_then(|state| State::parse(&state)),
            form: json::text(value, "form"),
            limit: json::int(value, "limit")
                .and_then(|limit| u32::try_from(limit).ok())
                .unwrap_or(0),
            before: json::int(value, "before_ms").zip(json::text(value, "before_id")),
        }
    }
}

/// What a replay asks one shard: one id, or up to `limit` submissions in `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayOrder {
    pub id: Option<String>,
    pub state: State,
    pub limit: u32,
    /// A delivered submission is replayed only when this says so.
    pub include_delivered: bool,
}

impl ReplayOrder {
    fn to_json(&self) -> String {
        json::object()
            .opt_str("id", self.id.as_deref())
            .str("state", self.state.as_str())
            .int("limit", i64::from(self.limit))
            .bool("include_delivered", self.include_delivered)
            .finish()
    }

    fn from_json(value: &Value) -> Option<ReplayOrder> {
        Some(ReplayOrder {
            id: json::text(value, "id"),
            state: State::parse(&json::text(value, "state")?)?,
            limit: u32::try_from(json::int(value, "limit")?).ok()?,
            include_delivered: value.get("include_delivered")?.as_bool()?,
        })
    }
}

/// The digest erasure finds a person's rows by: SHA-256 of the kind and the lowercased value,
/// as 32 hex digits (the value itself is not kept beside the fields). `Some(None)` without a
/// value, `None` if the runtime's digest failed.
pub async fn contact_digest(kind: &str, value: Option<&str>) -> Option<Option<String>> {
    let Some(value) = value else {
        return Some(None);
    };
    // Canonical emails and phones are ASCII (shared/), so ASCII case folding is enough.
    let preimage = [kind, "\0", &value.trim().to_ascii_lowercase()].concat();
    let digest = crate::idempotency::digest(preimage.as_bytes()).await?;
    Some(Some(
        crate::idempotency::key_from_digest(&digest)[1..].to_string(),
    ))
}

/// `{"id": id}`, the body of the operations on one submission.
fn id_body(id: &str) -> String {
    json::object().str("id", id).finish()
}

/// Whether an alert last sent at `last_sent_ms` (if ever) leaves room for another at `now_ms`.
pub fn alert_rule(last_sent_ms: Option<i64>, now_ms: i64, quiet_ms: i64) -> bool {
    last_sent_ms.is_none_or(|sent| now_ms - sent >= quiet_ms)
}

/// The clock hour a spam count belongs to.
pub fn spam_hour(now_ms: i64) -> i64 {
    now_ms / 3_600_000
}

/// Seconds to wait before the next attempt after `attempts` failures: 2, 4, 8... up to `cap`.
pub fn backoff_seconds(attempts: u32, cap: u32) -> u32 {
    let exponential = 1u32.checked_shl(attempts.min(31)).unwrap_or(u32::MAX);
    exponential.min(cap).max(1)
}

#[cfg(test)]
mod tests {
    use super::{
        alert_rule, backoff_seconds, begin_rule, found_rule, in_doubt_rule, Begin, BeginRule,
        Finish, ListQuery, NewSubmission, Outcome, Recorded, ReplayOrder, SpamMark, State,
        SWEEP_MARGIN_MS,
    };
    use crate::spam::Trap;

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
        check(State::Held, 0, 1_000, BeginRule::Go);
        check(State::Dead, 0, 1_000, BeginRule::Go);
        check(State::Pending, 1_000, 1_000, BeginRule::Go);
        check(State::Pending, 31_000, 1_000, BeginRule::Busy(30_000));
        check(State::Delivered, 0, 1_000, BeginRule::Done);
        check(State::Delivered, 31_000, 1_000, BeginRule::Done);
        check(State::Refused, 0, 1_000, BeginRule::Done);
        check(State::Spam, 0, 1_000, BeginRule::Done);
    }

    #[test]
    fn only_delivered_and_refused_are_final_and_only_delivered_needs_asking_to_replay() {
        for state in State::ALL {
            assert_eq!(
                state.is_final(),
                matches!(state, State::Delivered | State::Refused),
                "{state:?}"
            );
            assert!(state.replayable(true), "{state:?}");
            assert_eq!(
                state.replayable(false),
                state != State::Delivered,
                "{state:?}"
            );
        }
    }

    #[test]
    fn outcomes_say_the_next_state_and_when_the_sweep_sends_again() {
        let check = |outcome: Outcome, state: State, due: Option<i64>| {
            assert_eq!(outcome.state(), state, "{outcome:?}");
            assert_eq!(outcome.due_at(1_000, 5_000), due, "{outcome:?}");
        };
        check(Outcome::Delivered, State::Delivered, None);
        check(Outcome::Refused, State::Refused, None);
        check(Outcome::Held, State::Held, Some(6_000));
        check(Outcome::Throttled, State::Pending, Some(6_000));
        check(
            Outcome::Failed,
            State::Pending,
            Some(6_000 + SWEEP_MARGIN_MS),
        );
    }

    #[test]
    fn a_found_key_is_the_same_submission_only_with_the_same_fields() {
        assert!(found_rule(
            r#"[["email","a@b.co"]]"#,
            false,
            r#"[["email","a@b.co"]]"#
        ));
        assert!(!found_rule(
            r#"[["email","a@b.co"]]"#,
            false,
            r#"[["email","c@b.co"]]"#
        ));
        assert!(found_rule("[]", true, r#"[["email","c@b.co"]]"#));
    }

    #[test]
    fn an_attempt_without_a_recorded_answer_leaves_the_submission_in_doubt() {
        // Never attempted, or every attempt answered: CLOSEM's state is known.
        assert!(!in_doubt_rule(0, None));
        assert!(!in_doubt_rule(0, Some("upstream_status")));
        assert!(!in_doubt_rule(0, Some("throttled")));
        assert!(!in_doubt_rule(0, Some("key_refused")));
        // Began and never reported (the worker died mid-attempt).
        assert!(in_doubt_rule(1_700_000_000_000, None));
        // CLOSEM may have taken it after the edge stopped waiting.
        assert!(in_doubt_rule(0, Some("timeout")));
        assert!(in_doubt_rule(0, Some("network")));
    }

    #[test]
    fn one_alert_per_quiet_period() {
        assert!(alert_rule(None, 1_000, 60_000));
        assert!(!alert_rule(Some(1_000), 1_000, 60_000));
        assert!(!alert_rule(Some(1_000), 60_999, 60_000));
        assert!(alert_rule(Some(1_000), 61_000, 60_000));
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
                in_doubt: true,
            },
            serde_json::json!({"outcome": "go", "fields": [["email", "a@b.co"]], "attempts": 2,
                "in_doubt": true}),
        );
        check(Begin::Unknown, serde_json::json!({"outcome": "unknown"}));
        assert_eq!(
            Begin::from_json(&serde_json::json!({"outcome": "maybe"})),
            None
        );
    }

    // Long: one round trip per protocol message, side by side.
    #[test]
    fn messages_to_the_ledger_round_trip() {
        let read = |text: String| serde_json::from_str::<serde_json::Value>(&text).unwrap();
        let new = NewSubmission {
            id: "s1-k1".into(),
            also: vec!["s1-k0".into()],
            form: "contact".into(),
            mode: "addcontact".into(),
            fields: vec![("email".into(), "a@b.co".into())],
            email: Some("e".into()),
            phone: None,
            insert: true,
            spam: None,
        };
        assert_eq!(
            NewSubmission::from_json(&read(new.to_json())),
            Some(new.clone())
        );
        let trapped = NewSubmission {
            spam: Some(SpamMark {
                trap: Trap::Honeypot,
                client: "c".into(),
            }),
            ..new
        };
        assert_eq!(
            NewSubmission::from_json(&read(trapped.to_json())),
            Some(trapped)
        );
        for recorded in [
            Recorded::New { id: "s1-k1".into() },
            Recorded::Found { id: "s1-k1".into() },
            Recorded::Conflict { id: "s1-k1".into() },
            Recorded::Absent,
            Recorded::Counted,
        ] {
            assert_eq!(
                Recorded::from_json(&read(recorded.to_json())),
                Some(recorded)
            );
        }
        for finish in [
            Finish {
                id: "s1-k1".into(),
                result: Outcome::Delivered,
                status: Some(200),
                cause: None,
                excerpt: Some("{\"status\":\"success\"}".into()),
                retry_in_ms: 0,
            },
            Finish {
                id: "s1-k1".into(),
                result: Outcome::Failed,
                status: None,
                cause: Some("timeout".into()),
                excerpt: None,
                retry_in_ms: 4_000,
            },
        ] {
            assert_eq!(Finish::from_json(&read(finish.to_json())), Some(finish));
        }
        let query = ListQuery {
            state: Some(State::Dead),
            form: Some("contact".into()),
            limit: 5,
            before: Some((17, "s1-k1".into())),
        };
        assert_eq!(ListQuery::from_json(&read(query.to_json())), query);
        let order = ReplayOrder {
            id: None,
            state: State::Spam,
            limit: 10,
            include_delivered: false,
        };
        assert_eq!(ReplayOrder::from_json(&read(order.to_json())), Some(order));
    }
}
