//! The sharded ledger (issue 11): one durable write while the visitor waits, the alarm that queues
//! what was recorded, resharding, a hard kill of workerd between the write and the delivery, and
//! erasure, counts and pages across shards.
//!
//! [`Instance`] starts the worker like tests/src/workerd.rs does, but keeps its state folder and
//! its configuration so that it can be killed hard (SIGKILL of the whole process group: wrangler
//! and workerd) and started again on the same state, maybe with other variables.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use closem_tests::child::ChildGuard;
use closem_tests::http;
use closem_tests::sandbox::{spawn, SandboxHandle};
use closem_tests::workerd::{bindings, dev_command, entry_module, workspace_root, Deliveries};
use serde_json::{json, Value};

use crate::edge_support::{
    client, forms, send, shared, unique_email, Reply, ADMIN, DELIVERY_WAIT, KEY, TIMEZONE,
};

/// A worker whose state outlives its process.
pub(crate) struct Instance {
    pub sandbox: SandboxHandle,
    dir: PathBuf,
    port: u16,
    vars: Value,
    deliveries: Deliveries,
    child: Option<ChildGuard>,
    log: Arc<Mutex<String>>,
}

impl Instance {
    /// A fresh sandbox and a worker with an empty ledger, `vars` added to the usual ones.
    pub(crate) fn start(vars: Value, deliveries: Deliveries) -> Instance {
        let sandbox = spawn(KEY);
        let port = http::free_port();
        let dir = workspace_root()
            .join("target/closem-tests")
            .join(format!("instance-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the instance directory");
        let mut instance = Instance {
            sandbox,
            dir,
            port,
            vars,
            deliveries,
            child: None,
            log: Arc::new(Mutex::new(String::new())),
        };
        instance.launch();
        instance
    }

    fn launch(&mut self) {
        let mut vars = json!({
            "CLOSEM_BASE_URL": format!("{}/", self.sandbox.url()),
            "CLOSEM_TIMEZONE": TIMEZONE,
            "FORMS": forms(),
            "DELIVERY_MAX_DELAY": self.deliveries.max_delay.to_string(),
        });
        if let (Some(vars), Some(extra)) = (vars.as_object_mut(), self.vars.as_object()) {
            vars.extend(extra.clone());
        }
        let mut config = json!({
            "name": "closem-forms-instance",
            "main": entry_module(&self.dir, None),
            "compatibility_date": "2026-11-01",
            "vars": vars,
        });
        if let (Some(config), Value::Object(bindings)) =
            (config.as_object_mut(), bindings(&self.deliveries))
        {
            config.extend(bindings);
        }
        let config_path = self.dir.join("wrangler.json");
        std::fs::write(&config_path, config.to_string()).expect("write wrangler.json");
        let env_path = self.dir.join("secrets.env");
        std::fs::write(
            &env_path,
            format!("CLOSEM_API_KEY={KEY}\nADMIN_TOKEN={ADMIN}\n"),
        )
        .expect("write secrets.env");
        let mut command = dev_command(&self.dir, &config_path, &env_path, self.port);
        command
            .args(["--log-level", "log"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = ChildGuard::spawn(&mut command).expect("start wrangler dev");
        let (stdout, stderr) = child.take_output();
        capture(stdout, Arc::clone(&self.log));
        capture(stderr, Arc::clone(&self.log));
        let deadline = Instant::now() + Duration::from_secs(120);
        while http::get(self.port, "/health").is_none() {
            assert!(
                Instant::now() < deadline && child.is_running(),
                "workerd did not come up:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        self.child = Some(child);
    }

    /// SIGKILL to wrangler's process group (wrangler and workerd): no shutdown, no flush.
    pub(crate) fn kill_hard(&mut self) {
        if let Some(child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            drop(child);
        }
    }

    /// Kills it hard and starts it again on the same state folder, with `vars` instead.
    pub(crate) fn restart_with(&mut self, vars: Value) {
        self.kill_hard();
        self.vars = vars;
        self.launch();
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().map(|text| text.clone()).unwrap_or_default()
    }

    pub(crate) fn post_keyed(&self, form: &str, key: &str, email: &str) -> Reply {
        send(
            client()
                .post(self.url(&format!("/f/{form}")))
                .header("Accept", "application/json")
                .header("Idempotency-Key", key)
                .form(&[("email", email)]),
        )
    }

    pub(crate) fn admin(&self, path: &str) -> Value {
        let reply = send(client().get(self.url(path)).bearer_auth(ADMIN));
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        reply.json()
    }

    /// Every request the sandbox recorded.
    pub(crate) fn records(&self) -> Vec<Value> {
        client()
            .get(format!("{}/_sandbox/requests", self.sandbox.url()))
            .send()
            .and_then(|response| response.json())
            .expect("the sandbox lists its requests")
    }

    pub(crate) fn order_faults(&self, order: Value) {
        crate::edge_support::order_faults(&self.sandbox.url(), order);
    }

    /// Waits until nothing is pending or held, within `wait`.
    pub(crate) fn drain(&self, wait: Duration) -> Value {
        let deadline = Instant::now() + wait;
        loop {
            let counts = self.admin("/admin/submissions?limit=1")["counts"].clone();
            if counts["pending"] == 0 && counts["held"] == 0 {
                return counts;
            }
            assert!(Instant::now() < deadline, "still pending: {counts}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.child.take();
    }
}

fn capture(stream: Option<impl Read + Send + 'static>, log: Arc<Mutex<String>>) {
    let Some(stream) = stream else { return };
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut text) = log.lock() {
                text.push_str(&line);
                text.push('\n');
            }
        }
    });
}

/// How many CLOSEM accepted per idempotency key.
fn accepted_per_key(records: &[Value]) -> std::collections::BTreeMap<String, usize> {
    let mut per_key = std::collections::BTreeMap::new();
    for record in records.iter().filter(|record| record["accepted"] == true) {
        let key = record["idempotency_key"].as_str().unwrap_or_default();
        *per_key.entry(key.to_string()).or_insert(0) += 1;
    }
    per_key
}

#[test]
fn a_new_lead_costs_one_ledger_call_and_the_shards_alarm_queues_it() {
    let edge = shared();
    let (email, id) = edge.lead("plain", "onecall");
    edge.forwarded(&email);
    let log = edge.worker.log();
    let line = log
        .lines()
        .find(|line| line.contains("\"event\":\"submit\"") && line.contains(&id))
        .unwrap_or_else(|| panic!("no submit line for {id}"));
    assert!(line.contains("\"outcome\":\"recorded\""), "{line}");
    assert!(line.contains("\"ledger_calls\":1"), "{line}");
    assert!(
        log.contains("\"event\":\"sweep\",\"outcome\":\"queued\""),
        "the alarm sent it"
    );
    // A resubmission is answered by one call too.
    let again = edge.post("plain", &[("email", &email)]);
    assert_eq!(again.assert_delivered(), id);
    let log = edge.worker.log();
    let resubmitted = log
        .lines()
        .filter(|line| line.contains(&id) && line.contains("\"outcome\":\"resubmitted\""))
        .collect::<Vec<_>>();
    assert_eq!(resubmitted.len(), 1, "{resubmitted:?}");
    assert!(
        resubmitted[0].contains("\"ledger_calls\":1"),
        "{resubmitted:?}"
    );
}

#[test]
fn submissions_spread_over_the_shards_and_admin_lists_them_all_with_pages() {
    let edge = shared();
    let marker = unique_email("spread");
    let mut ids = Vec::new();
    for n in 0..24 {
        let email = format!("{n}-{marker}");
        ids.push(edge.post("plain", &[("email", &email)]).assert_delivered());
    }
    let shards: BTreeSet<&str> = ids
        .iter()
        .map(|id| id.split('-').next().unwrap_or_default())
        .collect();
    assert!(shards.len() >= 6, "24 keys on 16 shards: {shards:?}");
    // Pages of 5, newest first, through every shard: each id once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/admin/submissions?limit=5&before={cursor}"),
            None => "/admin/submissions?limit=5".to_string(),
        };
        let reply = edge.admin_get(&path);
        reply.assert_status(200);
        let page = reply.json();
        let entries = page["submissions"].as_array().cloned().unwrap_or_default();
        assert!(entries.len() <= 5);
        let created: Vec<i64> = entries
            .iter()
            .map(|entry| entry["created_ms"].as_i64().unwrap())
            .collect();
        assert!(
            created.windows(2).all(|pair| pair[0] >= pair[1]),
            "{created:?}"
        );
        seen.extend(
            entries
                .iter()
                .map(|entry| entry["id"].as_str().unwrap().to_string()),
        );
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
        assert!(seen.len() < 100_000);
    }
    for id in &ids {
        assert_eq!(seen.iter().filter(|seen| *seen == id).count(), 1, "{id}");
    }
    edge.admin_get("/admin/submissions?before=nonsense")
        .assert_status(400);
}

#[test]
fn erasing_a_person_removes_their_submissions_from_every_shard() {
    let edge = shared();
    let email = unique_email("erase");
    let phone = "+1 (555) 201-7788";
    let other = unique_email("erase-keep");
    let mut ids = Vec::new();
    for n in 0..6 {
        let key = format!("erase-{n}-{email}");
        let reply = edge.send(
            client()
                .post(edge.url("/f/plain"))
                .header("Accept", "application/json")
                .header("Idempotency-Key", key)
                .form(&[("email", email.as_str()), ("notes", &format!("note {n}"))]),
        );
        ids.push(reply.assert_delivered());
    }
    ids.push(
        edge.post("plain", &[("phone", phone), ("first_name", "Pat")])
            .assert_delivered(),
    );
    let kept = edge.post("plain", &[("email", &other)]).assert_delivered();
    edge.settle();
    let shards: BTreeSet<&str> = ids.iter().map(|id| id.split('-').next().unwrap()).collect();
    assert!(shards.len() >= 2, "{ids:?}");

    let erase = |query: &str| {
        edge.send(
            client()
                .post(edge.url(&format!("/admin/erase?{query}")))
                .bearer_auth(ADMIN),
        )
    };
    // The address as typed differently still names the person (case of the domain).
    let shouting = email.replace("example.com", "EXAMPLE.COM");
    let reply = erase(&format!("email={}", urlencoding(&shouting)));
    reply.assert_status(200);
    assert_eq!(reply.json()["erased"], 6, "{}", reply.body);
    let reply = erase(&format!("phone={}", urlencoding("555.201.7788")));
    assert_eq!(reply.json()["erased"], 1, "{}", reply.body);
    for id in &ids {
        let gone = edge.admin_get(&format!("/admin/submissions/{id}"));
        assert_eq!(gone.status, 404, "{id}: {}", gone.body);
    }
    let still = edge.admin_get(&format!("/admin/submissions/{kept}"));
    assert_eq!(still.status, 200, "another person's submission stays");
    assert_eq!(
        erase(&format!("email={}", urlencoding(&email))).json()["erased"],
        0
    );
    let bad = erase("email=not-an-address&phone=12");
    bad.assert_status(400);
    assert_eq!(bad.codes(), ["admin.email", "admin.phone"]);
    assert_eq!(erase("").status, 400);
    assert!(!edge.worker.log().contains(&email), "the log names nobody");
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Posts `count` keyed leads and returns (key, id) pairs; each must be accepted.
fn post_many(instance: &Instance, tag: &str, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|n| {
            let key = format!("{tag}-{n}");
            let email = format!("{tag}-{n}@example.com");
            let id = instance
                .post_keyed("plain", &key, &email)
                .assert_delivered();
            (key, id)
        })
        .collect()
}

#[test]
fn resharding_keeps_every_submission_found_and_delivered_once() {
    let mut instance = Instance::start(json!({"LEDGER_SHARDS": "2"}), Deliveries::TEST);
    let before = post_many(&instance, "reshard", 30);
    assert!(before
        .iter()
        .all(|(_, id)| id.starts_with("s0-") || id.starts_with("s1-")));
    instance.drain(DELIVERY_WAIT);

    // Grown to 5 shards, the old count named while resubmissions may still come.
    instance.restart_with(json!({"LEDGER_SHARDS": "5", "LEDGER_SHARDS_PREVIOUS": "2"}));
    let health: Value = send(client().get(instance.url("/health"))).json();
    assert_eq!(health["deliveries"]["shards"], 5, "{health}");
    assert_eq!(health["deliveries"]["previous_shards"], 2, "{health}");
    for (key, id) in &before {
        let email = format!("{key}@example.com");
        let again = instance.post_keyed("plain", key, &email).assert_delivered();
        assert_eq!(&again, id, "a resubmission finds the row on its old shard");
    }
    let after = post_many(&instance, "reshard-new", 40);
    let new_shards: BTreeSet<&str> = after
        .iter()
        .map(|(_, id)| id.split('-').next().unwrap())
        .collect();
    assert!(
        new_shards
            .iter()
            .any(|shard| ["s2", "s3", "s4"].contains(shard)),
        "{new_shards:?}"
    );
    let counts = instance.drain(DELIVERY_WAIT);
    assert_eq!(counts["delivered"], 70, "{counts}");
    // A lookup goes straight to the shard the id names, old or new.
    for (_, id) in before.iter().chain(&after) {
        assert_eq!(
            instance.admin(&format!("/admin/submissions/{id}"))["submission"]["state"],
            "delivered"
        );
    }
    std::thread::sleep(Duration::from_secs(3));
    let per_key = accepted_per_key(&instance.records());
    assert_eq!(per_key.len(), 70, "{per_key:?}");
    assert!(per_key.values().all(|n| *n == 1), "{per_key:?}");

    // Without the previous count, a moved key is not looked for where it was: it would be
    // recorded again (which is why the procedure keeps LEDGER_SHARDS_PREVIOUS for a while).
    instance.restart_with(json!({"LEDGER_SHARDS": "5"}));
    let moved = before
        .iter()
        .find(|(key, id)| {
            let again = instance
                .post_keyed("plain", key, &format!("{key}@example.com"))
                .assert_delivered();
            &again != id
        })
        .expect("some of the 30 keys moved from 2 to 5 shards");
    assert!(!moved.1.is_empty());
    let log = instance.log();
    assert!(!log.contains(KEY), "the log shows the key");
}

#[test]
fn leads_accepted_before_a_hard_kill_are_delivered_after_the_restart() {
    let mut instance = Instance::start(json!({}), Deliveries::TEST);
    // CLOSEM is down: everything accepted is still pending when the worker dies.
    instance.order_faults(json!({"down": true}));
    let accepted = post_many(&instance, "killed", 20);
    instance.kill_hard();
    instance.order_faults(json!({"down": false}));
    instance.restart_with(json!({}));
    // The first request wakes the shards it touches; the listing touches them all, and their
    // alarms (or sweeps) send what is due.
    let counts = instance.drain(Duration::from_secs(240));
    assert_eq!(counts["delivered"], 20, "{counts}");
    let per_key = accepted_per_key(&instance.records());
    for (_, id) in &accepted {
        assert_eq!(per_key.get(id), Some(&1), "{id}: {per_key:?}");
    }
}

#[test]
fn quarantine_is_bounded_per_client_and_shard_and_the_rest_is_only_counted() {
    let edge = shared();
    let admin = |path: &str| send(client().get(edge.url(path)).bearer_auth(ADMIN)).json();
    let marker = unique_email("flood");
    let trapped = |ip: &str, n: usize| {
        let email = format!("{n}-{marker}");
        let reply = send(
            client()
                .post(edge.url("/f/contact"))
                .header("Accept", "application/json")
                .header("CF-Connecting-IP", ip)
                .form(&[
                    ("email", email.as_str()),
                    ("company_website", "http://spam.example"),
                ]),
        );
        // Every bot sees the same ordinary success, kept or not.
        reply.assert_delivered();
    };
    let spam_counted = || {
        admin("/admin/submissions?state=spam&limit=1")["spam"]["contact"]["honeypot"]
            .as_u64()
            .unwrap_or(0)
    };
    let before = spam_counted();
    // One address, 400 trapped posts: at most 20 a day are kept per shard (16 shards).
    let posts = 400;
    for n in 0..posts {
        trapped("203.0.113.77", n);
    }
    let kept = |tag: &str| {
        admin("/admin/submissions?state=spam&limit=1000")["submissions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["fields"].to_string().contains(tag))
            .count()
    };
    let kept_flood = kept(&marker);
    assert!(kept_flood <= 20 * 16, "{kept_flood} kept");
    assert!(kept_flood < posts, "{kept_flood} kept of {posts}");
    assert!(
        kept_flood >= 16,
        "{kept_flood} kept: the bound is per shard, not none"
    );
    assert!(
        spam_counted() >= before + posts as u64,
        "every one is counted"
    );
    // Another client is not held back by this one.
    let other = unique_email("flood-other");
    let reply = send(
        client()
            .post(edge.url("/f/contact"))
            .header("Accept", "application/json")
            .header("CF-Connecting-IP", "203.0.113.78")
            .form(&[("email", other.as_str()), ("company_website", "x")]),
    );
    reply.assert_delivered();
    assert_eq!(kept(&other), 1);
}

/// Every Durable Object SQLite file of the ledger under `dir` (workerd's persisted state).
fn ledger_databases(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(ledger_databases(&path));
        } else if path.extension().is_some_and(|ext| ext == "sqlite")
            && path.to_string_lossy().contains("Ledger")
            && !path.ends_with("metadata.sqlite")
        {
            found.push(path);
        }
    }
    found
}

/// Moves every submission of the stopped worker's ledger `days` into the past, as if that time
/// had gone by (the sqlite3 command line, which `cargo xtask setup` installs).
fn age_ledger(dir: &std::path::Path, days: i64) {
    let databases = ledger_databases(dir);
    assert!(!databases.is_empty(), "no ledger database under {dir:?}");
    let shift = days * 86_400_000;
    for database in databases {
        let sql = format!(
            "UPDATE submissions SET created_at = created_at - {shift}, \
             updated_at = updated_at - {shift};"
        );
        let status = Command::new("sqlite3")
            .arg(&database)
            .arg(&sql)
            .status()
            .expect("run sqlite3 (cargo xtask setup installs it)");
        assert!(status.success(), "sqlite3 {database:?}: {status}");
    }
}

#[test]
fn after_the_retention_final_rows_lose_their_fields_spam_expires_and_unresolved_rows_stay() {
    let vars = json!({"LEDGER_SHARDS": "1"});
    let mut instance = Instance::start(vars.clone(), Deliveries::TEST);
    let admin_entry = |instance: &Instance, id: &str| {
        let reply = send(
            client()
                .get(instance.url(&format!("/admin/submissions/{id}")))
                .bearer_auth(ADMIN),
        );
        (reply.status, reply.json())
    };
    let marker = unique_email("retention");
    let delivered = instance
        .post_keyed("plain", "retention-delivered", &format!("d-{marker}"))
        .id();
    let spam = send(
        client()
            .post(instance.url("/f/contact"))
            .header("Accept", "application/json")
            .form(&[
                ("email", format!("s-{marker}").as_str()),
                ("company_website", "http://spam.example"),
            ]),
    )
    .id();
    instance.drain(DELIVERY_WAIT);
    // CLOSEM refuses to answer: this one stays unresolved (pending, then dead).
    instance.order_faults(json!({"down": true}));
    let unresolved = instance
        .post_keyed("plain", "retention-unresolved", &format!("u-{marker}"))
        .id();
    for id in [&delivered, &spam, &unresolved] {
        assert_eq!(admin_entry(&instance, id).0, 200, "{id} is recorded");
    }
    // 40 days later (retention 30, spam 14 by default), on the same state.
    instance.kill_hard();
    age_ledger(&instance.dir, 40);
    instance.restart_with(vars);
    // The first call re-arms the shard's alarm (the unresolved row is due), whose housekeeping
    // applies the retention.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (status, entry) = loop {
        let (status, entry) = admin_entry(&instance, &delivered);
        if entry["submission"]["fields_dropped"] == true {
            break (status, entry);
        }
        assert!(Instant::now() < deadline, "fields never dropped: {entry}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(status, 200);
    let submission = &entry["submission"];
    assert_eq!(submission["state"], "delivered", "{entry}");
    assert_eq!(submission["fields"], json!([]), "{entry}");
    assert!(!entry.to_string().contains(&marker), "{entry}");
    // Quarantined spam is gone; the unresolved row keeps everything.
    assert_eq!(admin_entry(&instance, &spam).0, 404, "spam expired");
    let (_, kept) = admin_entry(&instance, &unresolved);
    let kept = &kept["submission"];
    assert!(
        kept["state"] == "pending" || kept["state"] == "dead",
        "{kept}"
    );
    assert_eq!(kept["fields_dropped"], false, "{kept}");
    assert!(kept["fields"].to_string().contains(&marker), "{kept}");
}
