//! The `Ledger` Durable Object: one SQLite table of submissions. Each operation reads its JSON
//! body, then runs its statements without awaiting in between, so operations never interleave;
//! the runtime holds the answer until the writes are durable.
//!
//! Errors become a 500 that the worker treats as "the ledger is unavailable" (and so retries); the
//! object never panics on what it is sent. Rows are read as the runtime's objects, column by
//! column (no serde: see json.rs).

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlCursor, SqlStorage,
};

use super::{
    begin_rule, Begin, BeginRule, Finish, NewSubmission, Outcome, Recorded, SpamCounts, State,
    LEASE_MS,
};
use crate::js;
use crate::json;
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
        let ready = sql.exec_raw(SCHEMA, vec![]).is_ok();
        Ledger { sql, ready }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if !self.ready {
            return Response::error("the ledger's table could not be created", 500);
        }
        let operation = req.path();
        let body = req.text().await?;
        let Some(body) = json::parse(&body) else {
            return Response::error("the body is not JSON", 500);
        };
        let answer = match operation.trim_start_matches('/') {
            "record" => NewSubmission::from_json(&body).map(|new| self.record(new)),
            "queued" => json::text(&body, "key").map(|key| self.queued(&key)),
            "begin" => json::text(&body, "key").map(|key| self.begin(&key)),
            "finish" => Finish::from_json(&body).map(|finish| self.finish(&finish)),
            "dead" => json::text(&body, "key").map(|key| self.dead(&key)),
            "count" => self.count(&body),
            "list" => Some(self.list(&body)),
            "replay" => Some(self.replay(&body)),
            _ => return Response::error("no such ledger operation", 404),
        };
        match answer {
            Some(Ok(value)) => Response::ok(value),
            Some(Err(error)) => Response::error(
                ["ledger ", &operation, ": ", &error.to_string()].concat(),
                500,
            ),
            None => Response::error(["ledger ", &operation, ": unexpected body"].concat(), 500),
        }
    }
}

/// A row of `submissions` as SQLite returns it.
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
    fn read(row: &JsValue) -> Row {
        Row {
            key: text(row, "key").unwrap_or_default(),
            form: text(row, "form").unwrap_or_default(),
            mode: text(row, "mode").unwrap_or_default(),
            state: text(row, "state").unwrap_or_default(),
            queued: int(row, "queued").unwrap_or(0),
            attempts: int(row, "attempts").unwrap_or(0),
            last_status: int(row, "last_status"),
            last_error: text(row, "last_error"),
            fields: text(row, "fields").unwrap_or_default(),
            lease_until: int(row, "lease_until").unwrap_or(0),
            created_at: int(row, "created_at").unwrap_or(0),
            updated_at: int(row, "updated_at").unwrap_or(0),
        }
    }

    fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Pending)
    }

    fn fields(&self) -> Vec<(String, String)> {
        json::parse(&self.fields)
            .and_then(|fields| json::read_pairs(&fields))
            .unwrap_or_default()
    }

    /// The submission as operators see it.
    fn entry(&self) -> String {
        json::object()
            .str("key", &self.key)
            .str("form", &self.form)
            .str("mode", &self.mode)
            .str("state", self.state().as_str())
            .bool("queued", self.queued != 0)
            .int(
                "attempts",
                i64::from(u32::try_from(self.attempts).unwrap_or(0)),
            )
            .opt_int(
                "last_status",
                self.last_status
                    .and_then(|status| u16::try_from(status).ok())
                    .map(i64::from),
            )
            .opt_str("last_error", self.last_error.as_deref())
            .raw("fields", &json::pairs(&self.fields()))
            .int("created_ms", self.created_at)
            .int("updated_ms", self.updated_at)
            .finish()
    }
}

/// A text column of a row; `None` for NULL.
fn text(row: &JsValue, column: &str) -> Option<String> {
    js::get(row, column)?.as_string()
}

/// An integer column of a row; `None` for NULL.
fn int(row: &JsValue, column: &str) -> Option<i64> {
    js::get(row, column)?.as_f64().map(|number| number as i64)
}

/// Every row a statement returned.
fn rows(cursor: SqlCursor) -> Result<Vec<JsValue>> {
    cursor.collect()
}

fn number(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

impl Ledger {
    fn exec(&self, query: &str, bindings: Vec<JsValue>) -> Result<SqlCursor> {
        self.sql.exec_raw(query, bindings)
    }

    fn row(&self, key: &str) -> Result<Option<Row>> {
        let rows = rows(self.exec("SELECT * FROM submissions WHERE key = ?", vec![key.into()])?)?;
        Ok(rows.first().map(Row::read))
    }

    fn record(&self, new: NewSubmission) -> Result<String> {
        let now = now_ms();
        for key in std::iter::once(&new.key).chain(&new.also) {
            if let Some(row) = self.row(key)? {
                let needs_queue = row.state() == State::Pending && row.queued == 0;
                return Ok(Recorded {
                    id: row.key,
                    fresh: false,
                    needs_queue,
                }
                .to_json());
            }
        }
        self.exec(
            "INSERT INTO submissions (key, form, mode, state, fields, created_at, updated_at) \
             VALUES (?, ?, ?, 'pending', ?, ?, ?)",
            vec![
                new.key.as_str().into(),
                new.form.as_str().into(),
                new.mode.as_str().into(),
                json::pairs(&new.fields).into(),
                number(now),
                number(now),
            ],
        )?;
        self.prune(now)?;
        Ok(Recorded {
            id: new.key,
            fresh: true,
            needs_queue: true,
        }
        .to_json())
    }

    fn queued(&self, key: &str) -> Result<String> {
        let cursor = self.exec(
            "UPDATE submissions SET queued = 1 WHERE key = ?",
            vec![key.into()],
        )?;
        Ok(changed(&cursor))
    }

    fn begin(&self, key: &str) -> Result<String> {
        let now = now_ms();
        let Some(row) = self.row(key)? else {
            return Ok(Begin::Unknown.to_json());
        };
        let state = row.state();
        let begin = match begin_rule(state, row.lease_until, now) {
            BeginRule::Done => Begin::Done { state },
            BeginRule::Busy(retry_in_ms) => Begin::Busy { retry_in_ms },
            BeginRule::Go => {
                self.exec(
                    "UPDATE submissions SET state = 'pending', lease_until = ?, updated_at = ? \
                     WHERE key = ?",
                    vec![number(now + LEASE_MS), number(now), key.into()],
                )?;
                Begin::Go {
                    fields: row.fields(),
                    attempts: u32::try_from(row.attempts).unwrap_or(0),
                }
            }
        };
        Ok(begin.to_json())
    }

    fn finish(&self, finish: &Finish) -> Result<String> {
        let now = now_ms();
        let state = match finish.result {
            Outcome::Delivered => State::Delivered,
            Outcome::Refused => State::Refused,
            Outcome::Failed => State::Pending,
        };
        // A final state is never undone (a late report of an older attempt cannot reopen it).
        self.exec(
            "UPDATE submissions SET state = CASE WHEN state IN ('delivered', 'refused') \
             THEN state ELSE ? END, attempts = attempts + 1, last_status = ?, last_error = ?, \
             lease_until = 0, updated_at = ? WHERE key = ?",
            vec![
                state.as_str().into(),
                finish
                    .status
                    .map_or(JsValue::NULL, |status| number(i64::from(status))),
                finish
                    .cause
                    .as_deref()
                    .map_or(JsValue::NULL, JsValue::from_str),
                number(now),
                finish.key.as_str().into(),
            ],
        )?;
        let attempts = self
            .row(&finish.key)?
            .map_or(0, |row| u32::try_from(row.attempts).unwrap_or(0));
        Ok(json::object().int("attempts", i64::from(attempts)).finish())
    }

    fn dead(&self, key: &str) -> Result<String> {
        let cursor = self.exec(
            "UPDATE submissions SET state = 'dead', lease_until = 0, updated_at = ? \
             WHERE key = ? AND state = 'pending'",
            vec![number(now_ms()), key.into()],
        )?;
        Ok(changed(&cursor))
    }

    fn count(&self, body: &Value) -> Option<Result<String>> {
        let form = json::text(body, "form")?;
        let kind = json::text(body, "kind")?;
        if Trap::parse(&kind).is_none() || form.len() > 64 {
            return Some(Err(worker::Error::RustError("no such counter".into())));
        }
        Some(
            self.exec(
                "INSERT INTO counters (form, kind, n) VALUES (?, ?, 1) \
                 ON CONFLICT (form, kind) DO UPDATE SET n = n + 1",
                vec![form.into(), kind.into()],
            )
            .map(|cursor| changed(&cursor)),
        )
    }

    /// Form id -> bots turned away, for forms that have turned any away, as a JSON object.
    /// SQLite orders the ids by their bytes, as a sorted map would.
    fn spam(&self) -> Result<String> {
        let mut object = json::object();
        let mut current: Option<(String, SpamCounts)> = None;
        for row in rows(self.exec("SELECT form, kind, n FROM counters ORDER BY form", vec![])?)? {
            let form = text(&row, "form").unwrap_or_default();
            if current.as_ref().is_some_and(|(open, _)| *open != form) {
                if let Some((done, counts)) = current.take() {
                    object.raw(&done, &counts.to_json());
                }
            }
            let (_, counts) = current.get_or_insert_with(|| (form, SpamCounts::default()));
            counts.set(
                &text(&row, "kind").unwrap_or_default(),
                u64::try_from(int(&row, "n").unwrap_or(0)).unwrap_or(0),
            );
        }
        if let Some((form, counts)) = current {
            object.raw(&form, &counts.to_json());
        }
        Ok(object.finish())
    }

    /// `{counts, spam, submissions}`: the newest submissions (in `state`, if the body names one).
    fn list(&self, body: &Value) -> Result<String> {
        let limit = number(
            json::int(body, "limit")
                .unwrap_or(0)
                .clamp(0, i64::from(MAX_ROWS)),
        );
        let state = body
            .get("state")
            .and_then(Value::as_str)
            .and_then(State::parse);
        let cursor = match state {
            Some(state) => self.exec(
                "SELECT * FROM submissions WHERE state = ? ORDER BY updated_at DESC LIMIT ?",
                vec![state.as_str().into(), limit],
            )?,
            None => self.exec(
                "SELECT * FROM submissions ORDER BY updated_at DESC LIMIT ?",
                vec![limit],
            )?,
        };
        let submissions = json::array(rows(cursor)?.iter().map(|row| Row::read(row).entry()));
        Ok(json::object()
            .raw("counts", &self.counts()?)
            .raw("spam", &self.spam()?)
            .raw("submissions", &submissions)
            .finish())
    }

    /// Submissions per state, as a JSON object.
    fn counts(&self) -> Result<String> {
        let mut counts = [0i64; 4];
        let cursor = self.exec(
            "SELECT state, COUNT(*) AS n FROM submissions GROUP BY state",
            vec![],
        )?;
        for row in rows(cursor)? {
            let state = text(&row, "state").as_deref().and_then(State::parse);
            if let Some(index) = State::ALL.iter().position(|known| Some(*known) == state) {
                counts[index] = int(&row, "n").unwrap_or(0).max(0);
            }
        }
        let mut object = json::object();
        for (state, n) in State::ALL.into_iter().zip(counts) {
            object.int(state.as_str(), n);
        }
        Ok(object.finish())
    }

    /// `{keys}`: dead submissions (or the one `key`, if dead or pending) set back to pending.
    fn replay(&self, body: &Value) -> Result<String> {
        let limit = json::int(body, "limit")
            .unwrap_or(0)
            .clamp(0, i64::from(MAX_ROWS));
        let cursor = match body.get("key").and_then(Value::as_str) {
            Some(key) => self.exec(
                "SELECT key FROM submissions WHERE key = ? AND state IN ('dead', 'pending')",
                vec![key.into()],
            )?,
            None => self.exec(
                "SELECT key FROM submissions WHERE state = 'dead' ORDER BY updated_at LIMIT ?",
                vec![number(limit)],
            )?,
        };
        let keys: Vec<String> = rows(cursor)?
            .iter()
            .filter_map(|row| text(row, "key"))
            .collect();
        let now = now_ms();
        for key in &keys {
            self.exec(
                "UPDATE submissions SET state = 'pending', queued = 0, lease_until = 0, \
                 updated_at = ? WHERE key = ?",
                vec![number(now), key.as_str().into()],
            )?;
        }
        Ok(json::object()
            .raw("keys", &json::strings(keys.iter().map(String::as_str)))
            .finish())
    }

    /// Drops a few delivered or refused rows past [`KEEP_FINAL_MS`].
    fn prune(&self, now: i64) -> Result<()> {
        for state in ["delivered", "refused"] {
            self.exec(
                "DELETE FROM submissions WHERE key IN (SELECT key FROM submissions \
                 WHERE state = ? AND updated_at < ? LIMIT ?)",
                vec![
                    state.into(),
                    number(now - KEEP_FINAL_MS),
                    number(PRUNE_BATCH),
                ],
            )?;
        }
        Ok(())
    }
}

/// `{changed}`: whether the statement wrote a row.
fn changed(cursor: &SqlCursor) -> String {
    json::object()
        .bool("changed", cursor.rows_written() > 0)
        .finish()
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
