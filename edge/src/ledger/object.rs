//! One shard of the ledger: a Durable Object with SQLite storage. Operations arrive as
//! `POST https://ledger/{operation}` with a JSON body (mod.rs has the protocol); the object is
//! single-threaded, so each operation sees and leaves the table consistent.
//!
//! The object's alarm is its delivery loop: it sends the rows that are due to the `DELIVERIES`
//! queue (`sendBatch`, up to [`BATCH`] a run), drops the fields of final rows past the retention,
//! lets quarantined spam expire, and re-arms for the next row that falls due.

use std::cell::Cell;

use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlCursor, SqlStorage,
};

use super::{
    begin_rule, found_rule, in_doubt_rule, Begin, BeginRule, Finish, ListQuery, NewSubmission,
    Outcome, Recorded, ReplayOrder, State, LEASE_MS, SWEEP_MARGIN_MS,
};
use crate::js;
use crate::json;
use crate::log;
use crate::spam::Trap;

/// Rows listed or replayed per call, at most.
const MAX_ROWS: u32 = 1000;
/// Rows one alarm run sends to the queue: under `sendBatch`'s 100 messages and 100 bound
/// parameters per statement.
const BATCH: usize = 90;
/// Rows one alarm run clears or expires (retention), so a run stays short.
const HOUSEKEEPING_BATCH: i64 = 500;
/// How often an object that holds rows wakes for retention when nothing is due sooner.
const HOUSEKEEPING_MS: i64 = 3_600_000;
/// After a failed `sendBatch`, when the alarm tries again.
const SEND_RETRY_MS: i64 = 5_000;
const DAY_MS: i64 = 86_400_000;
/// Quarantined spam one form may have in one shard, and one client per day in one shard: beyond
/// them a trapped submission is only counted.
pub const SPAM_PER_FORM: i64 = 1000;
pub const SPAM_PER_CLIENT_DAY: i64 = 20;
/// The final rows' field retention and the spam quarantine, unless `RETENTION_DAYS` and
/// `SPAM_KEEP_DAYS` say (config.rs checks them for /health).
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
pub const DEFAULT_SPAM_KEEP_DAYS: u32 = 14;

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
    updated_at INTEGER NOT NULL,
    due_at INTEGER,
    trap TEXT,
    client TEXT,
    email TEXT,
    phone TEXT,
    fields_dropped INTEGER NOT NULL DEFAULT 0,
    in_doubt INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (
    form TEXT NOT NULL,
    kind TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (form, kind)
);
CREATE TABLE IF NOT EXISTS events (
    key TEXT NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status INTEGER,
    cause TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS spam_kept (form TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS spam_clients (
    client TEXT NOT NULL,
    day INTEGER NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (client, day)
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER);
";

/// Columns added since the first schema: added to an older table, each on its own (an error
/// means it is there already).
const ADDED_COLUMNS: [&str; 7] = [
    "due_at INTEGER",
    "trap TEXT",
    "client TEXT",
    "email TEXT",
    "phone TEXT",
    "fields_dropped INTEGER NOT NULL DEFAULT 0",
    "in_doubt INTEGER NOT NULL DEFAULT 0",
];

/// Indexes and the triggers that keep the counts, once the columns exist.
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS submissions_due ON submissions (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS submissions_state_created ON submissions (state, created_at, key);
CREATE INDEX IF NOT EXISTS submissions_created ON submissions (created_at, key);
CREATE INDEX IF NOT EXISTS submissions_email ON submissions (email) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS submissions_phone ON submissions (phone) WHERE phone IS NOT NULL;
CREATE INDEX IF NOT EXISTS submissions_keep ON submissions (updated_at)
    WHERE fields_dropped = 0 AND state IN ('delivered', 'refused');
CREATE INDEX IF NOT EXISTS events_by_key ON events (key, at);
INSERT OR IGNORE INTO state_counts (state) VALUES
    ('pending'), ('held'), ('delivered'), ('refused'), ('dead'), ('spam');
CREATE TRIGGER IF NOT EXISTS count_insert AFTER INSERT ON submissions BEGIN
    UPDATE state_counts SET n = n + 1 WHERE state = NEW.state;
    UPDATE spam_kept SET n = n + 1 WHERE NEW.state = 'spam' AND form = NEW.form;
END;
CREATE TRIGGER IF NOT EXISTS count_delete AFTER DELETE ON submissions BEGIN
    UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
    UPDATE spam_kept SET n = n - 1 WHERE OLD.state = 'spam' AND form = OLD.form;
END;
CREATE TRIGGER IF NOT EXISTS count_update AFTER UPDATE OF state ON submissions
    WHEN OLD.state <> NEW.state BEGIN
    UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
    UPDATE state_counts SET n = n + 1 WHERE state = NEW.state;
    UPDATE spam_kept SET n = n - 1 WHERE OLD.state = 'spam' AND form = OLD.form;
END;
";

#[durable_object]
pub struct Ledger {
    state: worker::State,
    env: Env,
    sql: SqlStorage,
    ready: bool,
    /// Whether this instance has checked, since it started, that its alarm is armed.
    armed: Cell<bool>,
}

impl DurableObject for Ledger {
    fn new(state: worker::State, env: Env) -> Self {
        let sql = state.storage().sql();
        let ready = migrate(&sql).is_ok();
        Ledger {
            state,
            env,
            sql,
            ready,
            armed: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if !self.ready {
            return Response::error("the ledger's tables could not be created", 500);
        }
        if !self.armed.replace(true) {
            // After a restart (or an alarm that never fired), due rows must not wait for a record.
            if let Some(due) = self.next_due()? {
                self.arm(due).await?;
            }
        }
        let operation = req.path();
        let body = req.text().await?;
        let Some(body) = json::parse(&body) else {
            return Response::error("the body is not JSON", 500);
        };
        let answer = match operation.trim_start_matches('/') {
            "record" => match NewSubmission::from_json(&body) {
                Some(new) => Some(self.record(new).await),
                None => None,
            },
            "begin" => match json::text(&body, "id") {
                Some(id) => Some(self.begin(&id).await),
                None => None,
            },
            "finish" => match Finish::from_json(&body) {
                Some(finish) => Some(self.finish(&finish).await),
                None => None,
            },
            "dead" => json::text(&body, "id").map(|id| self.dead(&id)),
            "count" => self.count(&body),
            "list" => Some(self.list(&ListQuery::from_json(&body))),
            "get" => json::text(&body, "id").map(|id| self.get(&id)),
            "replay" => match ReplayOrder::from_json(&body) {
                Some(order) => Some(self.replay(&order).await),
                None => None,
            },
            "erase" => Some(self.erase(&body)),
            "status" => Some(self.status()),
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

    async fn alarm(&self) -> Result<Response> {
        if !self.ready {
            return Response::error("the ledger's tables could not be created", 500);
        }
        let now = now_ms();
        let sent = self.send_due(now).await;
        // Retention must never stop the delivery loop: a failure is logged and tried next run.
        if self.housekeeping(now).is_err() {
            log::write(log::line("housekeeping").str("outcome", "error"));
        }
        let next = match sent {
            // A full batch: more may be due now.
            Ok(count) if count == BATCH => Some(now),
            Ok(_) => self.next_due()?,
            Err(()) => Some(now + SEND_RETRY_MS),
        };
        let housekeeping = self.holds_rows()?.then_some(now + HOUSEKEEPING_MS);
        let next = match (next, housekeeping) {
            (Some(due), Some(later)) => Some(due.min(later)),
            (due, later) => due.or(later),
        };
        if let Some(next) = next {
            self.set_alarm(next.max(now)).await?;
        }
        Response::ok("{}")
    }
}

/// Creates the tables, adds the columns an older table lacks, then the indexes and triggers; the
/// first time the counts table exists beside old rows, it is filled from them once.
fn migrate(sql: &SqlStorage) -> Result<()> {
    sql.exec_raw(SCHEMA, vec![])?;
    for column in ADDED_COLUMNS {
        let _ = sql.exec_raw(
            &["ALTER TABLE submissions ADD COLUMN ", column].concat(),
            vec![],
        );
    }
    sql.exec_raw(INDEXES, vec![])?;
    let counted =
        rows(sql.exec_raw("SELECT value FROM meta WHERE name = 'counts_ready'", vec![])?)?;
    if counted.is_empty() {
        sql.exec_raw(
            "UPDATE state_counts SET n = (SELECT COUNT(*) FROM submissions \
             WHERE submissions.state = state_counts.state); \
             INSERT OR REPLACE INTO meta (name, value) VALUES ('counts_ready', 1)",
            vec![],
        )?;
    }
    Ok(())
}

/// A row of `submissions` as SQLite returns it.
struct Row {
    key: String,
    form: String,
    mode: String,
    state: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    fields: String,
    lease_until: i64,
    created_at: i64,
    updated_at: i64,
    due_at: Option<i64>,
    trap: Option<String>,
    fields_dropped: bool,
    /// Once an attempt may have reached CLOSEM unrecorded, every later one is sent as if in doubt
    /// (the doubt outlives the failed attempts that may follow it).
    in_doubt: bool,
}

impl Row {
    fn read(row: &JsValue) -> Row {
        Row {
            key: text(row, "key").unwrap_or_default(),
            form: text(row, "form").unwrap_or_default(),
            mode: text(row, "mode").unwrap_or_default(),
            state: text(row, "state").unwrap_or_default(),
            attempts: int(row, "attempts").unwrap_or(0),
            last_status: int(row, "last_status"),
            last_error: text(row, "last_error"),
            fields: text(row, "fields").unwrap_or_default(),
            lease_until: int(row, "lease_until").unwrap_or(0),
            created_at: int(row, "created_at").unwrap_or(0),
            updated_at: int(row, "updated_at").unwrap_or(0),
            due_at: int(row, "due_at"),
            trap: text(row, "trap"),
            fields_dropped: int(row, "fields_dropped").unwrap_or(0) != 0,
            in_doubt: int(row, "in_doubt").unwrap_or(0) != 0,
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

    /// The submission as operators see it (`key` is the id too, for older clients).
    fn entry(&self) -> json::Object {
        let mut object = json::object();
        object
            .str("id", &self.key)
            .str("key", &self.key)
            .str("form", &self.form)
            .str("mode", &self.mode)
            .str("state", self.state().as_str())
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
            .opt_str("trap", self.trap.as_deref())
            .raw("fields", &json::pairs(&self.fields()))
            .bool("fields_dropped", self.fields_dropped)
            .int("created_ms", self.created_at)
            .int("updated_ms", self.updated_at)
            .opt_int("due_ms", self.due_at);
        object
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

fn optional(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

impl Ledger {
    fn exec(&self, query: &str, bindings: Vec<JsValue>) -> Result<SqlCursor> {
        self.sql.exec_raw(query, bindings)
    }

    fn row(&self, key: &str) -> Result<Option<Row>> {
        let rows = rows(self.exec("SELECT * FROM submissions WHERE key = ?", vec![key.into()])?)?;
        Ok(rows.first().map(Row::read))
    }

    /// Arms the alarm for `at` unless it is armed for earlier already.
    async fn arm(&self, at: i64) -> Result<()> {
        let storage = self.state.storage();
        let storage: &JsValue = storage.as_raw().as_ref();
        let armed = js::call_async(storage, "getAlarm", &[])
            .await
            .map_err(worker::Error::from)?;
        if armed.as_f64().is_none_or(|armed| armed as i64 > at) {
            self.set_alarm(at).await?;
        }
        Ok(())
    }

    /// `storage.setAlarm(at)`, called by name: the worker crate's wrapper brings a serializer
    /// (serde_wasm_bindgen) that costs the bundle kilobytes.
    async fn set_alarm(&self, at: i64) -> Result<()> {
        let storage = self.state.storage();
        let storage: &JsValue = storage.as_raw().as_ref();
        js::call_async(storage, "setAlarm", &[number(at)])
            .await
            .map(drop)
            .map_err(worker::Error::from)
    }

    /// The earliest time a row falls due, from the index.
    fn next_due(&self) -> Result<Option<i64>> {
        let found = rows(self.exec(
            "SELECT MIN(due_at) AS due FROM submissions WHERE due_at IS NOT NULL",
            vec![],
        )?)?;
        Ok(found.first().and_then(|row| int(row, "due")))
    }

    /// Whether there is anything retention may have to clear later.
    fn holds_rows(&self) -> Result<bool> {
        let found = rows(self.exec(
            "SELECT SUM(n) AS n FROM state_counts WHERE state IN ('delivered', 'refused', 'spam')",
            vec![],
        )?)?;
        Ok(found
            .first()
            .and_then(|row| int(row, "n"))
            .is_some_and(|n| n > 0))
    }

    async fn record(&self, new: NewSubmission) -> Result<String> {
        let now = now_ms();
        if let Some(spam) = &new.spam {
            self.bump_counter(&new.form, spam.trap.as_str())?;
        }
        let fields = json::pairs(&new.fields);
        for key in std::iter::once(&new.id).chain(&new.also) {
            if let Some(row) = self.row(key)? {
                let recorded = if found_rule(&row.fields, row.fields_dropped, &fields) {
                    Recorded::Found { id: row.key }
                } else {
                    Recorded::Conflict { id: row.key }
                };
                return Ok(recorded.to_json());
            }
        }
        if !new.insert {
            return Ok(Recorded::Absent.to_json());
        }
        let (state, due, trap, client) = match &new.spam {
            Some(spam) => {
                if !self.spam_has_room(&new.form, &spam.client, now)? {
                    return Ok(Recorded::Counted.to_json());
                }
                (
                    State::Spam,
                    JsValue::NULL,
                    JsValue::from_str(spam.trap.as_str()),
                    JsValue::from_str(&spam.client),
                )
            }
            None => (State::Pending, number(now), JsValue::NULL, JsValue::NULL),
        };
        self.exec(
            "INSERT INTO submissions (key, form, mode, state, fields, created_at, updated_at, \
             due_at, trap, client, email, phone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                new.id.as_str().into(),
                new.form.as_str().into(),
                new.mode.as_str().into(),
                state.as_str().into(),
                fields.into(),
                number(now),
                number(now),
                due,
                trap,
                client,
                optional(new.email.as_deref()),
                optional(new.phone.as_deref()),
            ],
        )?;
        if state == State::Pending {
            self.arm(now).await?;
        }
        Ok(Recorded::New { id: new.id }.to_json())
    }

    /// Whether one more spam row fits this form's and this client's bound; counts it if so.
    fn spam_has_room(&self, form: &str, client: &str, now: i64) -> Result<bool> {
        self.exec(
            "INSERT OR IGNORE INTO spam_kept (form) VALUES (?)",
            vec![form.into()],
        )?;
        let kept = rows(self.exec("SELECT n FROM spam_kept WHERE form = ?", vec![form.into()])?)?;
        if kept.first().and_then(|row| int(row, "n")).unwrap_or(0) >= SPAM_PER_FORM {
            return Ok(false);
        }
        let day = number(now / DAY_MS);
        let by_client = rows(self.exec(
            "SELECT n FROM spam_clients WHERE client = ? AND day = ?",
            vec![client.into(), day.clone()],
        )?)?;
        if by_client.first().and_then(|row| int(row, "n")).unwrap_or(0) >= SPAM_PER_CLIENT_DAY {
            return Ok(false);
        }
        self.exec(
            "INSERT INTO spam_clients (client, day, n) VALUES (?, ?, 1) \
             ON CONFLICT (client, day) DO UPDATE SET n = n + 1",
            vec![client.into(), day],
        )?;
        Ok(true)
    }

    /// Sends the rows that are due to the queue; how many. `Err` if the send failed (they stay
    /// due, and the alarm tries again soon).
    async fn send_due(&self, now: i64) -> std::result::Result<usize, ()> {
        let due = rows(
            self.exec(
                "SELECT key FROM submissions WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                vec![number(now), number(BATCH as i64)],
            )
            .map_err(drop)?,
        )
        .map_err(drop)?;
        let keys: Vec<String> = due.iter().filter_map(|row| text(row, "key")).collect();
        if keys.is_empty() {
            return Ok(0);
        }
        let messages: js_sys::Array = keys
            .iter()
            .map(|key| {
                let body = js::object(&[("key", JsValue::from_str(key))]);
                js::object(&[("body", body)])
            })
            .collect();
        let queue = js::get(&self.env, crate::queue::BINDING).ok_or(())?;
        if js::call_async(&queue, "sendBatch", &[messages.into()])
            .await
            .is_err()
        {
            log::write(
                log::line("sweep")
                    .str("outcome", "queue_error")
                    .int("due", i64::try_from(keys.len()).unwrap_or(0)),
            );
            return Err(());
        }
        // Sent: due again only if the message is lost (nothing else happens to the row meanwhile).
        let marks = vec!["?"; keys.len()].join(",");
        let mut bindings = vec![number(now_ms() + SWEEP_MARGIN_MS), number(now)];
        bindings.extend(keys.iter().map(|key| JsValue::from_str(key)));
        self.exec(
            &[
                "UPDATE submissions SET due_at = ? WHERE due_at <= ? AND key IN (",
                &marks,
                ")",
            ]
            .concat(),
            bindings,
        )
        .map_err(drop)?;
        log::write(
            log::line("sweep")
                .str("outcome", "queued")
                .int("sent", i64::try_from(keys.len()).unwrap_or(0)),
        );
        Ok(keys.len())
    }

    /// Retention: final rows past `RETENTION_DAYS` keep their metadata but lose their fields, the
    /// contact digests and the answers' excerpts; spam past `SPAM_KEEP_DAYS` goes. A bounded
    /// batch per run.
    fn housekeeping(&self, now: i64) -> Result<()> {
        let retention = days(&self.env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS);
        let spam_keep = days(&self.env, "SPAM_KEEP_DAYS", DEFAULT_SPAM_KEEP_DAYS);
        let cutoff = number(now - i64::from(retention) * DAY_MS);
        self.exec(
            "UPDATE events SET detail = NULL WHERE key IN (SELECT key FROM submissions \
             WHERE fields_dropped = 0 AND state IN ('delivered', 'refused') AND updated_at < ? \
             LIMIT ?)",
            vec![cutoff.clone(), number(HOUSEKEEPING_BATCH)],
        )?;
        self.exec(
            "UPDATE submissions SET fields = '[]', email = NULL, phone = NULL, fields_dropped = 1 \
             WHERE key IN (SELECT key FROM submissions WHERE fields_dropped = 0 \
             AND state IN ('delivered', 'refused') AND updated_at < ? LIMIT ?)",
            vec![cutoff, number(HOUSEKEEPING_BATCH)],
        )?;
        let spam_cutoff = number(now - i64::from(spam_keep) * DAY_MS);
        self.exec(
            "DELETE FROM events WHERE key IN (SELECT key FROM submissions \
             WHERE state = 'spam' AND created_at < ? LIMIT ?)",
            vec![spam_cutoff.clone(), number(HOUSEKEEPING_BATCH)],
        )?;
        self.exec(
            "DELETE FROM submissions WHERE key IN (SELECT key FROM submissions \
             WHERE state = 'spam' AND created_at < ? LIMIT ?)",
            vec![spam_cutoff, number(HOUSEKEEPING_BATCH)],
        )?;
        self.exec(
            "DELETE FROM spam_clients WHERE day < ?",
            vec![number(now / DAY_MS - 1)],
        )?;
        Ok(())
    }

    async fn begin(&self, key: &str) -> Result<String> {
        let now = now_ms();
        let Some(row) = self.row(key)? else {
            return Ok(Begin::Unknown.to_json());
        };
        let state = row.state();
        let begin = match begin_rule(state, row.lease_until, now) {
            BeginRule::Done => Begin::Done { state },
            BeginRule::Busy(retry_in_ms) => Begin::Busy { retry_in_ms },
            BeginRule::Go => {
                let in_doubt =
                    row.in_doubt || in_doubt_rule(row.lease_until, row.last_error.as_deref());
                // A dead row with a live message left is being delivered again: pending.
                let due = now + LEASE_MS + SWEEP_MARGIN_MS;
                self.exec(
                    "UPDATE submissions SET state = CASE WHEN state = 'dead' THEN 'pending' \
                     ELSE state END, lease_until = ?, due_at = ?, updated_at = ?, in_doubt = ? \
                     WHERE key = ?",
                    vec![
                        number(now + LEASE_MS),
                        number(due),
                        number(now),
                        number(i64::from(in_doubt)),
                        key.into(),
                    ],
                )?;
                // If this attempt's report never comes, the sweep sends the row again.
                self.arm(due).await?;
                Begin::Go {
                    fields: row.fields(),
                    attempts: u32::try_from(row.attempts).unwrap_or(0),
                    in_doubt,
                }
            }
        };
        Ok(begin.to_json())
    }

    async fn finish(&self, finish: &Finish) -> Result<String> {
        let now = now_ms();
        let state = finish.result.state();
        let due_at = finish.result.due_at(now, finish.retry_in_ms);
        let due = due_at.map_or(JsValue::NULL, number);
        // A final state is never undone (a late report of an older attempt cannot reopen it).
        self.exec(
            "UPDATE submissions SET state = CASE WHEN state IN ('delivered', 'refused') \
             THEN state ELSE ? END, due_at = CASE WHEN state IN ('delivered', 'refused') \
             THEN NULL ELSE ? END, attempts = attempts + 1, last_status = ?, last_error = ?, \
             lease_until = 0, updated_at = ? WHERE key = ?",
            vec![
                state.as_str().into(),
                due,
                finish
                    .status
                    .map_or(JsValue::NULL, |status| number(i64::from(status))),
                optional(finish.cause.as_deref()),
                number(now),
                finish.id.as_str().into(),
            ],
        )?;
        self.event(
            &finish.id,
            now,
            finish.result.as_str(),
            finish.status,
            finish.cause.as_deref(),
            finish.excerpt.as_deref(),
        )?;
        match finish.result {
            Outcome::Held => {
                self.exec(
                    "INSERT OR IGNORE INTO meta (name, value) VALUES ('key_refused_since', ?)",
                    vec![number(now)],
                )?;
            }
            Outcome::Delivered => {
                self.exec("DELETE FROM meta WHERE name = 'key_refused_since'", vec![])?;
            }
            _ => {}
        }
        let row = self.row(&finish.id)?;
        if let Some(due) = due_at.filter(|_| row.as_ref().is_some_and(|row| row.due_at.is_some())) {
            // Held and throttled rows are sent again by the alarm when their wait is over.
            self.arm(due).await?;
        }
        let attempts = row.map_or(0, |row| u32::try_from(row.attempts).unwrap_or(0));
        Ok(json::object().int("attempts", i64::from(attempts)).finish())
    }

    fn event(
        &self,
        key: &str,
        at: i64,
        kind: &str,
        status: Option<u16>,
        cause: Option<&str>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO events (key, at, kind, status, cause, detail) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                key.into(),
                number(at),
                kind.into(),
                status.map_or(JsValue::NULL, |status| number(i64::from(status))),
                optional(cause),
                optional(detail),
            ],
        )
        .map(drop)
    }

    fn dead(&self, key: &str) -> Result<String> {
        let now = now_ms();
        let cursor = self.exec(
            "UPDATE submissions SET state = 'dead', due_at = NULL, lease_until = 0, \
             updated_at = ? WHERE key = ? AND state = 'pending'",
            vec![number(now), key.into()],
        )?;
        let changed = cursor.rows_written() > 0;
        if changed {
            self.event(key, now, "dead", None, None, None)?;
        }
        Ok(json::object().bool("changed", changed).finish())
    }

    fn bump_counter(&self, form: &str, kind: &str) -> Result<()> {
        self.exec(
            "INSERT INTO counters (form, kind, n) VALUES (?, ?, 1) \
             ON CONFLICT (form, kind) DO UPDATE SET n = n + 1",
            vec![form.into(), kind.into()],
        )
        .map(drop)
    }

    fn count(&self, body: &Value) -> Option<Result<String>> {
        let form = json::text(body, "form")?;
        let kind = json::text(body, "kind")?;
        if Trap::parse(&kind).is_none() || form.len() > 64 {
            return Some(Err(worker::Error::RustError("no such counter".into())));
        }
        Some(self.bump_counter(&form, &kind).map(|()| "{}".to_string()))
    }

    /// `[[form, trap, n], ...]`: the bots turned away, by form and trap (the worker merges the
    /// shards' into one object per form).
    fn spam(&self) -> Result<String> {
        let counted = rows(self.exec("SELECT form, kind, n FROM counters ORDER BY form", vec![])?)?;
        Ok(json::array(counted.iter().map(|row| {
            json::array([
                json::string(&text(row, "form").unwrap_or_default()),
                json::string(&text(row, "kind").unwrap_or_default()),
                int(row, "n").unwrap_or(0).max(0).to_string(),
            ])
        })))
    }

    /// `{counts, spam, submissions}`: one page of submissions (in `state`, if named), newest
    /// first, from an index; the counts kept by the triggers.
    fn list(&self, query: &ListQuery) -> Result<String> {
        let limit = number(i64::from(query.limit.min(MAX_ROWS)));
        let (before_ms, before_id) = query
            .before
            .clone()
            .unwrap_or((i64::MAX / 2, String::new()));
        let cursor = match query.state {
            Some(state) => self.exec(
                "SELECT * FROM submissions WHERE state = ? AND (created_at, key) < (?, ?) \
                 ORDER BY created_at DESC, key DESC LIMIT ?",
                vec![
                    state.as_str().into(),
                    number(before_ms),
                    before_id.as_str().into(),
                    limit,
                ],
            )?,
            None => self.exec(
                "SELECT * FROM submissions WHERE (created_at, key) < (?, ?) \
                 ORDER BY created_at DESC, key DESC LIMIT ?",
                vec![number(before_ms), before_id.as_str().into(), limit],
            )?,
        };
        // Each entry travels as JSON text with its order key beside it, so the worker merges the
        // shards' pages without taking entries apart and writing them again.
        let found: Vec<Row> = rows(cursor)?.iter().map(Row::read).collect();
        let order = json::array(
            found
                .iter()
                .map(|row| json::array([row.created_at.to_string(), json::string(&row.key)])),
        );
        let entries = json::strings(
            found
                .iter()
                .map(|row| row.entry().finish())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        Ok(json::object()
            .raw("counts", &self.counts()?)
            .raw("spam", &self.spam()?)
            .raw("order", &order)
            .raw("entries", &entries)
            .finish())
    }

    /// Submissions per state, as a JSON object.
    fn counts(&self) -> Result<String> {
        let mut object = json::object();
        let found = rows(self.exec("SELECT state, n FROM state_counts", vec![])?)?;
        for state in State::ALL {
            let n = found
                .iter()
                .find(|row| text(row, "state").as_deref() == Some(state.as_str()))
                .and_then(|row| int(row, "n"))
                .unwrap_or(0);
            object.int(state.as_str(), n.max(0));
        }
        Ok(object.finish())
    }

    /// `{submission}`: the row with its timeline (recorded, each attempt and operator action, the
    /// state now), or null.
    fn get(&self, key: &str) -> Result<String> {
        let Some(row) = self.row(key)? else {
            return Ok(r#"{"submission":null}"#.to_string());
        };
        let events = rows(self.exec(
            "SELECT at, kind, status, cause, detail FROM events WHERE key = ? ORDER BY at, rowid",
            vec![key.into()],
        )?)?;
        let recorded = json::object()
            .int("at_ms", row.created_at)
            .str(
                "kind",
                if row.trap.is_some() {
                    "quarantined"
                } else {
                    "recorded"
                },
            )
            .finish();
        let timeline = json::array(std::iter::once(recorded).chain(events.iter().map(|event| {
            json::object()
                .int("at_ms", int(event, "at").unwrap_or(0))
                .str("kind", &text(event, "kind").unwrap_or_default())
                .opt_int("status", int(event, "status"))
                .opt_str("cause", text(event, "cause").as_deref())
                .opt_str("excerpt", text(event, "detail").as_deref())
                .finish()
        })));
        let entry = row.entry().raw("timeline", &timeline).finish();
        Ok(json::object().raw("submission", &entry).finish())
    }

    /// `{ids}`: the submissions named set back to pending and due at once; the alarm queues them.
    async fn replay(&self, order: &ReplayOrder) -> Result<String> {
        let keys: Vec<String> = match &order.id {
            Some(key) => self
                .row(key)?
                .filter(|row| row.state().replayable(order.include_delivered))
                .map(|row| row.key)
                .into_iter()
                .collect(),
            None if order.state.replayable(order.include_delivered) => rows(self.exec(
                "SELECT key FROM submissions WHERE state = ? ORDER BY created_at LIMIT ?",
                vec![
                    order.state.as_str().into(),
                    number(i64::from(order.limit.min(MAX_ROWS))),
                ],
            )?)?
            .iter()
            .filter_map(|row| text(row, "key"))
            .collect(),
            None => Vec::new(),
        };
        let now = now_ms();
        for key in &keys {
            let was_spam = self.row(key)?.is_some_and(|row| row.state() == State::Spam);
            self.exec(
                "UPDATE submissions SET state = 'pending', lease_until = 0, due_at = ?, \
                 updated_at = ? WHERE key = ?",
                vec![number(now), number(now), key.as_str().into()],
            )?;
            let kind = if was_spam { "released" } else { "replayed" };
            self.event(key, now, kind, None, None, None)?;
        }
        if !keys.is_empty() {
            self.arm(now).await?;
        }
        Ok(json::object()
            .raw("ids", &json::strings(keys.iter().map(String::as_str)))
            .finish())
    }

    /// `{erased}`: every submission (and its timeline) of the person whose email or phone digest
    /// is given.
    fn erase(&self, body: &Value) -> Result<String> {
        let mut keys: Vec<String> = Vec::new();
        for column in ["email", "phone"] {
            let Some(digest) = json::text(body, column) else {
                continue;
            };
            let query = ["SELECT key FROM submissions WHERE ", column, " = ?"].concat();
            for row in rows(self.exec(&query, vec![digest.into()])?)? {
                if let Some(key) = text(&row, "key").filter(|key| !keys.contains(key)) {
                    keys.push(key);
                }
            }
        }
        for key in &keys {
            self.exec(
                "DELETE FROM events WHERE key = ?",
                vec![key.as_str().into()],
            )?;
            self.exec(
                "DELETE FROM submissions WHERE key = ?",
                vec![key.as_str().into()],
            )?;
        }
        Ok(json::object()
            .int("erased", i64::try_from(keys.len()).unwrap_or(i64::MAX))
            .finish())
    }

    /// `{key_refused_since}`: when CLOSEM last began refusing the key, unless a delivery has
    /// succeeded since.
    fn status(&self) -> Result<String> {
        let found = rows(self.exec(
            "SELECT value FROM meta WHERE name = 'key_refused_since'",
            vec![],
        )?)?;
        Ok(json::object()
            .opt_int(
                "key_refused_since",
                found.first().and_then(|row| int(row, "value")),
            )
            .finish())
    }
}

/// A whole number of days from a variable, or `default`.
fn days(env: &Env, name: &str, default: u32) -> u32 {
    js::get(env, name)
        .and_then(|value| value.as_string())
        .and_then(|text| crate::config::days(&text))
        .unwrap_or(default)
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
