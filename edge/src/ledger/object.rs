//! The `Ledger` Durable Object: one SQLite table of submissions. Each operation reads its JSON
//! body, then runs its statements without awaiting in between, so operations never interleave;
//! the runtime holds the answer until the writes are durable.
//!
//! Errors become a 500 that the worker treats as "the ledger is unavailable" (and so retries); the
//! object never panics on what it is sent.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue,
};

use std::collections::BTreeMap;

use super::{
    begin_rule, Begin, BeginRule, Changed, Counts, Entry, Finish, Finished, KeyBody, ListQuery,
    Listing, NewSubmission, Outcome, Recorded, ReplayQuery, Replayed, SpamCounts, State, Trapped,
    LEASE_MS,
};
use crate::spam::Trap;

/// Delivered and refused submissions are kept this long (a widget may resubmit from its outbox
/// days later), then pruned a few at a time as new ones arrive.
const KEEP_FINAL_MS: i64 = 30 * 24 * 3600 * 1000;
const PRUNE_BATCH: i64 = 20;
/// Most rows one list or replay returns.
const MAX_ROWS: u32 = 1000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS submissions (
    key TEXT PRIMARY KEY,
    form TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    queued INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    fields TEXT NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_state ON submissions (state, updated_at);
CREATE TABLE IF NOT EXISTS counters (
    form TEXT NOT NULL,
    kind TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (form, kind)
);
";

#[durable_object]
pub struct Ledger {
    sql: SqlStorage,
    ready: bool,
}

impl DurableObject for Ledger {
    fn new(state: worker::State, _env: Env) -> Self {
        let sql = state.storage().sql();
        let ready = sql.exec(SCHEMA, None).is_ok();
        Ledger { sql, ready }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if !self.ready {
            return Response::error("the ledger's table could not be created", 500);
        }
        let operation = req.path();
        let body = req.text().await?;
        let answer = match operation.trim_start_matches('/') {
            "record" => self.record(parse(&body)?),
            "queued" => self.queued(parse(&body)?),
            "begin" => self.begin(parse(&body)?),
            "finish" => self.finish(parse(&body)?),
            "dead" => self.dead(parse(&body)?),
            "count" => self.count(parse(&body)?),
            "list" => self.list(parse(&body)?),
            "replay" => self.replay(parse(&body)?),
            _ => return Response::error("no such ledger operation", 404),
        };
        match answer {
            Ok(value) => Response::ok(value),
            Err(error) => Response::error(format!("ledger {operation}: {error}"), 500),
        }
    }
}

/// A row as SQLite returns it.
#[derive(Deserialize)]
struct Row {
    key: String,
    form: String,
    mode: String,
    state: String,
    queued: i64,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    fields: String,
    lease_until: i64,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Pending)
    }

    fn fields(&self) -> Vec<(String, String)> {
        serde_json::from_str(&self.fields).unwrap_or_default()
    }

    fn entry(self) -> Entry {
        Entry {
            state: self.state(),
            fields: self.fields(),
            queued: self.queued != 0,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            last_status: self
                .last_status
                .and_then(|status| u16::try_from(status).ok()),
            key: self.key,
            form: self.form,
            mode: self.mode,
            last_error: self.last_error,
            created_ms: self.created_at,
            updated_ms: self.updated_at,
        }
    }
}

impl Ledger {
    fn row(&self, key: &str) -> Result<Option<Row>> {
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT * FROM submissions WHERE key = ?", vec![key.into()])?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    fn record(&self, new: NewSubmission) -> Result<String> {
        let now = now_ms();
        for key in std::iter::once(&new.key).chain(&new.also) {
            if let Some(row) = self.row(key)? {
                let needs_queue = row.state() == State::Pending && row.queued == 0;
                return json(Recorded {
                    id: row.key,
                    fresh: false,
                    needs_queue,
                });
            }
        }
        let fields = serde_json::to_string(&new.fields).map_err(|error| error.to_string())?;
        self.sql.exec(
            "INSERT INTO submissions (key, form, mode, state, fields, created_at, updated_at) \
             VALUES (?, ?, ?, 'pending', ?, ?, ?)",
            vec![
                new.key.as_str().into(),
                new.form.into(),
                new.mode.into(),
                fields.into(),
                now.into(),
                now.into(),
            ],
        )?;
        self.prune(now)?;
        json(Recorded {
            id: new.key,
            fresh: true,
            needs_queue: true,
        })
    }

    fn queued(&self, body: KeyBody) -> Result<String> {
        let cursor = self.sql.exec(
            "UPDATE submissions SET queued = 1 WHERE key = ?",
            vec![body.key.into()],
        )?;
        json(Changed {
            changed: cursor.rows_written() > 0,
        })
    }

    fn begin(&self, body: KeyBody) -> Result<String> {
        let now = now_ms();
        let Some(row) = self.row(&body.key)? else {
            return json(Begin::Unknown);
        };
        let state = row.state();
        match begin_rule(state, row.lease_until, now) {
            BeginRule::Done => json(Begin::Done { state }),
            BeginRule::Busy(retry_in_ms) => json(Begin::Busy { retry_in_ms }),
            BeginRule::Go => {
                self.sql.exec(
                    "UPDATE submissions SET state = 'pending', lease_until = ?, updated_at = ? \
                     WHERE key = ?",
                    vec![(now + LEASE_MS).into(), now.into(), body.key.into()],
                )?;
                json(Begin::Go {
                    fields: row.fields(),
                    attempts: u32::try_from(row.attempts).unwrap_or(0),
                })
            }
        }
    }

    fn finish(&self, finish: Finish) -> Result<String> {
        let now = now_ms();
        let state = match finish.result {
            Outcome::Delivered => State::Delivered,
            Outcome::Refused => State::Refused,
            Outcome::Failed => State::Pending,
        };
        // A final state is never undone (a late report of an older attempt cannot reopen it).
        self.sql.exec(
            "UPDATE submissions SET state = CASE WHEN state IN ('delivered', 'refused') \
             THEN state ELSE ? END, attempts = attempts + 1, last_status = ?, last_error = ?, \
             lease_until = 0, updated_at = ? WHERE key = ?",
            vec![
                state.as_str().into(),
                finish.status.map(i64::from).into(),
                finish.cause.into(),
                now.into(),
                finish.key.as_str().into(),
            ],
        )?;
        let attempts = self
            .row(&finish.key)?
            .map_or(0, |row| u32::try_from(row.attempts).unwrap_or(0));
        json(Finished { attempts })
    }

    fn dead(&self, body: KeyBody) -> Result<String> {
        let cursor = self.sql.exec(
            "UPDATE submissions SET state = 'dead', lease_until = 0, updated_at = ? \
             WHERE key = ? AND state = 'pending'",
            vec![now_ms().into(), body.key.into()],
        )?;
        json(Changed {
            changed: cursor.rows_written() > 0,
        })
    }

    fn count(&self, trapped: Trapped) -> Result<String> {
        if Trap::parse(&trapped.kind).is_none() || trapped.form.len() > 64 {
            return Err(worker::Error::RustError("no such counter".into()));
        }
        let cursor = self.sql.exec(
            "INSERT INTO counters (form, kind, n) VALUES (?, ?, 1) \
             ON CONFLICT (form, kind) DO UPDATE SET n = n + 1",
            vec![trapped.form.into(), trapped.kind.into()],
        )?;
        json(Changed {
            changed: cursor.rows_written() > 0,
        })
    }

    fn spam(&self) -> Result<BTreeMap<String, SpamCounts>> {
        #[derive(Deserialize)]
        struct Counter {
            form: String,
            kind: String,
            n: i64,
        }
        let rows: Vec<Counter> = self
            .sql
            .exec("SELECT form, kind, n FROM counters", None)?
            .to_array()?;
        let mut spam: BTreeMap<String, SpamCounts> = BTreeMap::new();
        for row in rows {
            spam.entry(row.form)
                .or_default()
                .set(&row.kind, u64::try_from(row.n).unwrap_or(0));
        }
        Ok(spam)
    }

    fn list(&self, query: ListQuery) -> Result<String> {
        let limit = i64::from(query.limit.min(MAX_ROWS));
        let rows: Vec<Row> = match query.state {
            Some(state) => self
                .sql
                .exec(
                    "SELECT * FROM submissions WHERE state = ? ORDER BY updated_at DESC LIMIT ?",
                    vec![state.as_str().into(), limit.into()],
                )?
                .to_array()?,
            None => self
                .sql
                .exec(
                    "SELECT * FROM submissions ORDER BY updated_at DESC LIMIT ?",
                    vec![limit.into()],
                )?
                .to_array()?,
        };
        json(Listing {
            counts: self.counts()?,
            spam: self.spam()?,
            submissions: rows.into_iter().map(Row::entry).collect(),
        })
    }

    fn counts(&self) -> Result<Counts> {
        #[derive(Deserialize)]
        struct Count {
            state: String,
            n: i64,
        }
        let rows: Vec<Count> = self
            .sql
            .exec(
                "SELECT state, COUNT(*) AS n FROM submissions GROUP BY state",
                None,
            )?
            .to_array()?;
        let mut counts = Counts::default();
        for row in rows {
            let n = u64::try_from(row.n).unwrap_or(0);
            match State::parse(&row.state) {
                Some(State::Pending) => counts.pending = n,
                Some(State::Delivered) => counts.delivered = n,
                Some(State::Refused) => counts.refused = n,
                Some(State::Dead) => counts.dead = n,
                None => {}
            }
        }
        Ok(counts)
    }

    fn replay(&self, query: ReplayQuery) -> Result<String> {
        #[derive(Deserialize)]
        struct Key {
            key: String,
        }
        let keys: Vec<Key> = match &query.key {
            Some(key) => self
                .sql
                .exec(
                    "SELECT key FROM submissions WHERE key = ? AND state IN ('dead', 'pending')",
                    vec![key.as_str().into()],
                )?
                .to_array()?,
            None => self
                .sql
                .exec(
                    "SELECT key FROM submissions WHERE state = 'dead' ORDER BY updated_at LIMIT ?",
                    vec![i64::from(query.limit.min(MAX_ROWS)).into()],
                )?
                .to_array()?,
        };
        let now = now_ms();
        for key in &keys {
            self.sql.exec(
                "UPDATE submissions SET state = 'pending', queued = 0, lease_until = 0, \
                 updated_at = ? WHERE key = ?",
                vec![now.into(), key.key.as_str().into()],
            )?;
        }
        json(Replayed {
            keys: keys.into_iter().map(|key| key.key).collect(),
        })
    }

    /// Drops a few delivered or refused rows past [`KEEP_FINAL_MS`].
    fn prune(&self, now: i64) -> Result<()> {
        let before: SqlStorageValue = (now - KEEP_FINAL_MS).into();
        for state in ["delivered", "refused"] {
            self.sql.exec(
                "DELETE FROM submissions WHERE key IN (SELECT key FROM submissions \
                 WHERE state = ? AND updated_at < ? LIMIT ?)",
                vec![state.into(), before.clone(), PRUNE_BATCH.into()],
            )?;
        }
        Ok(())
    }
}

fn parse<T: DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|error| worker::Error::RustError(error.to_string()))
}

fn json<T: serde::Serialize>(value: T) -> Result<String> {
    serde_json::to_string(&value).map_err(|error| worker::Error::RustError(error.to_string()))
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
