//! Shared fixtures for the edge tests: one sandbox and one workerd started once per test binary and
//! shared by every test (each finds its own records by a unique marker), a second pair reserved for
//! fault orders (serialised by a lock), and helpers that send forms and read what CLOSEM received.
//!
//! Every answer read through [`Edge::send`] is checked for the API key in its headers and body.
//!
//! Delivery is asynchronous (the edge answers once a submission is recorded and queued; the queue's
//! consumer calls CLOSEM), so the helpers that read what CLOSEM received wait for it, within bounds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use closem_tests::sandbox::{spawn, SandboxHandle};
use closem_tests::workerd::{workspace_root, Launch, Workerd, WorkerdOptions};
use reqwest::blocking::{multipart, Client, RequestBuilder};
use serde_json::{json, Value};

/// The API key every sandbox answers to; distinctive so that a leak is unmistakable.
pub(crate) const KEY: &str = "edge-it-key-3c9f61d2a7";
/// The `ADMIN_TOKEN` of the workers [`Edge::start`] starts.
pub(crate) const ADMIN: &str = "edge-it-admin-token-5b1e0c94";
/// How long a helper waits for the queue to deliver what a test expects.
pub(crate) const DELIVERY_WAIT: Duration = Duration::from_secs(40);

/// The company timezone of the shared worker: strings like `12/01/2030 09:00 AM` are read in it.
pub(crate) const TIMEZONE: &str = "America/New_York";

/// A sandbox and a worker forwarding to it.
pub(crate) struct Edge {
    pub sandbox: SandboxHandle,
    pub worker: Workerd,
}

/// The FORMS profiles in tests/fixtures/forms.json.
pub(crate) fn forms() -> Value {
    let path = workspace_root().join("tests/fixtures/forms.json");
    let text = std::fs::read_to_string(&path).expect("read tests/fixtures/forms.json");
    serde_json::from_str(&text).expect("tests/fixtures/forms.json is JSON")
}

/// The pair most tests share. Never given fault orders: parallel tests would see them.
pub(crate) fn shared() -> &'static Edge {
    static SHARED: OnceLock<Edge> = OnceLock::new();
    SHARED.get_or_init(|| Edge::start(forms()))
}

/// The pair for tests that order faults, held for the caller alone; faults are cleared on entry.
pub(crate) fn faulty() -> (MutexGuard<'static, ()>, &'static Edge) {
    static FAULTY: OnceLock<Edge> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let edge = FAULTY.get_or_init(|| Edge::start(forms()));
    edge.clear_faults();
    (guard, edge)
}

pub(crate) fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client")
    })
}

/// A marker no other test uses: `tag-N@example.com`, an email address that CLOSEM accepts.
pub(crate) fn unique_email(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{tag}-{}@example.com", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// How a test encodes a form body.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Encoding {
    /// `application/x-www-form-urlencoded`, as a browser's native post sends it.
    UrlEncoded,
    /// `multipart/form-data`, as `curl --form` and `FormData` send it.
    Multipart,
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("an ASCII header"))
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }

    /// Asserts the answer's status, showing the body when it is another.
    pub(crate) fn assert_status(&self, status: u16) -> &Reply {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    /// Asserts that the body holds `text`, showing the body when it does not.
    pub(crate) fn assert_body_has(&self, text: &str) {
        assert!(self.body.contains(text), "{}", self.body);
    }

    /// The submission id of a JSON answer, empty when it has none (a refusal, a quarantine).
    pub(crate) fn id(&self) -> String {
        self.json()["id"].as_str().unwrap_or_default().to_string()
    }

    /// The `code` of every issue, in order.
    pub(crate) fn codes(&self) -> Vec<String> {
        self.json()["issues"]
            .as_array()
            .unwrap_or_else(|| panic!("no issues array: {}", self.body))
            .iter()
            .map(|issue| issue["code"].as_str().expect("a code").to_string())
            .collect()
    }

    /// Asserts a JSON success: 202 (recorded and queued for delivery), `ok`, an id and no
    /// issues. (The name predates durable delivery: CLOSEM gets it shortly after; `forwarded`
    /// waits for that.) Returns the submission's id.
    pub(crate) fn assert_delivered(&self) -> String {
        assert_eq!(self.status, 202, "{}", self.body);
        let body = self.json();
        assert_eq!(body["ok"], true, "{body}");
        let id = self.id();
        assert!(!id.is_empty(), "{body}");
        assert_eq!(body["issues"], json!([]), "{body}");
        id
    }

    /// Asserts a JSON refusal with this status and exactly these issue codes, each with a message.
    pub(crate) fn assert_issues(&self, status: u16, codes: &[&str]) {
        assert_eq!(self.status, status, "{}", self.body);
        let body = self.json();
        assert_eq!(body["ok"], false, "{body}");
        assert_eq!(self.codes(), codes, "{body}");
        for issue in body["issues"].as_array().into_iter().flatten() {
            assert!(
                issue["message"]
                    .as_str()
                    .is_some_and(|text| !text.is_empty()),
                "{issue}"
            );
        }
    }
}

impl Edge {
    /// A fresh sandbox answering to [`KEY`] and a worker forwarding to it with these profiles.
    pub(crate) fn start(forms: Value) -> Edge {
        Edge::start_in(forms, TIMEZONE)
    }

    /// Like [`Edge::start`], with another company timezone.
    pub(crate) fn start_in(forms: Value, timezone: &str) -> Edge {
        Edge::start_with(forms, timezone, Launch::default())
    }

    /// Like [`Edge::start_in`] with launch settings; the admin token is always [`ADMIN`].
    pub(crate) fn start_with(forms: Value, timezone: &str, launch: Launch) -> Edge {
        Edge::start_around(forms, timezone, |_| launch)
    }

    /// Like [`Edge::start_with`], for launch settings that name the sandbox (its webhook or its
    /// siteverify URL): `launch` gets the sandbox before the worker starts.
    pub(crate) fn start_around(
        forms: Value,
        timezone: &str,
        launch: impl FnOnce(&SandboxHandle) -> Launch,
    ) -> Edge {
        let sandbox = spawn(KEY);
        let launch = launch(&sandbox);
        let worker = Workerd::start_with(
            WorkerdOptions {
                api_key: Some(KEY.to_string()),
                base_url: format!("{}/", sandbox.url()),
                timezone: timezone.to_string(),
                forms,
            },
            Launch {
                admin_token: Some(ADMIN.to_string()),
                ..launch
            },
        );
        Edge { sandbox, worker }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.worker.url())
    }

    /// Sends a request to the worker and reads the answer, which must not carry the key.
    pub(crate) fn send(&self, request: RequestBuilder) -> Reply {
        send(request)
    }

    /// Posts `fields` to `/f/{form_id}` asking for JSON, as the widget does.
    pub(crate) fn post(&self, form_id: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_as(form_id, fields, Encoding::UrlEncoded)
    }

    pub(crate) fn post_as(
        &self,
        form_id: &str,
        fields: &[(&str, &str)],
        encoding: Encoding,
    ) -> Reply {
        self.post_with(form_id, &[("Accept", "application/json")], fields, encoding)
    }

    /// Posts `fields` to `/f/{form_id}` in `encoding` with these request headers (and no others:
    /// without an `Accept` asking for JSON the worker answers as to a native post).
    pub(crate) fn post_with(
        &self,
        form_id: &str,
        headers: &[(&str, &str)],
        fields: &[(&str, &str)],
        encoding: Encoding,
    ) -> Reply {
        let request = headers.iter().fold(
            client().post(self.url(&format!("/f/{form_id}"))),
            |request, (name, value)| request.header(*name, *value),
        );
        self.send(encode(request, fields, encoding))
    }

    /// Posts `fields` to `form_id` as the widget does, expects it accepted and delivered, and
    /// checks that CLOSEM received exactly `expected` for the submission `marker` finds.
    pub(crate) fn assert_forwards(
        &self,
        form_id: &str,
        fields: &[(&str, &str)],
        marker: &str,
        expected: &[(&str, &str)],
    ) {
        self.assert_forwards_as(form_id, fields, Encoding::UrlEncoded, marker, expected);
    }

    /// [`Edge::assert_forwards`] with the body in `encoding`.
    pub(crate) fn assert_forwards_as(
        &self,
        form_id: &str,
        fields: &[(&str, &str)],
        encoding: Encoding,
        marker: &str,
        expected: &[(&str, &str)],
    ) {
        self.post_as(form_id, fields, encoding).assert_delivered();
        assert_fields(&self.forwarded(marker), expected);
    }

    /// Posts a lead whose email is a fresh marker for `tag` to `form_id` and expects it accepted;
    /// returns the email and the submission's id.
    pub(crate) fn lead(&self, form_id: &str, tag: &str) -> (String, String) {
        let email = unique_email(tag);
        let id = self.post(form_id, &[("email", &email)]).assert_delivered();
        (email, id)
    }

    /// [`Edge::assert_forwards`] in both encodings, each time with a fresh marker for `tag` as
    /// [`EMAIL`] in `fields` and `expected`.
    pub(crate) fn assert_forwards_in_both_encodings(
        &self,
        form_id: &str,
        tag: &str,
        fields: &[(&str, &str)],
        expected: &[(&str, &str)],
    ) {
        for encoding in [Encoding::UrlEncoded, Encoding::Multipart] {
            let email = unique_email(tag);
            self.assert_forwards_as(
                form_id,
                &with_email(fields, &email),
                encoding,
                &email,
                &with_email(expected, &email),
            );
        }
    }

    /// Posts like a browser without JavaScript: no JSON in Accept, redirects not followed.
    pub(crate) fn post_native(&self, form_id: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_with(
            form_id,
            &[("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
            fields,
            Encoding::UrlEncoded,
        )
    }

    /// The requests CLOSEM received with `marker` in any field value, once at least one has
    /// arrived (or, after [`DELIVERY_WAIT`], none).
    pub(crate) fn records_with(&self, marker: &str) -> Vec<Value> {
        let deadline = Instant::now() + DELIVERY_WAIT;
        loop {
            let records = self.records_now(marker);
            if !records.is_empty() || Instant::now() >= deadline {
                return records;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The requests recorded so far with `marker` in any field value.
    pub(crate) fn records_now(&self, marker: &str) -> Vec<Value> {
        self.all_records()
            .into_iter()
            .filter(|record| {
                fields_of(record)
                    .iter()
                    .any(|(_, value)| value.contains(marker))
            })
            .collect()
    }

    /// Every request the sandbox has recorded.
    pub(crate) fn all_records(&self) -> Vec<Value> {
        records_at(&self.sandbox.url())
    }

    /// Waits (up to [`DELIVERY_WAIT`]) until `done` holds for the records carrying `marker`, and
    /// returns them; panics with what arrived if it never does.
    pub(crate) fn wait_records(&self, marker: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + DELIVERY_WAIT;
        loop {
            let records = self.records_now(marker);
            if done(&records) {
                return records;
            }
            assert!(
                Instant::now() < deadline,
                "CLOSEM never got what was expected for {marker}: {records:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The fields of the one request CLOSEM received carrying `marker` (waiting for the queue to
    /// deliver it), which it must have accepted with the right key and without undocumented fields.
    pub(crate) fn forwarded(&self, marker: &str) -> Vec<(String, String)> {
        let records = self.wait_records(marker, |records| !records.is_empty());
        assert_eq!(records.len(), 1, "one request with {marker}: {records:#?}");
        let record = &records[0];
        assert_eq!(record["auth_matched"], true, "{record}");
        assert_eq!(record["accepted"], true, "{record}");
        assert_eq!(record["unknown_fields"], json!([]), "{record}");
        fields_of(record)
    }

    /// Asserts that CLOSEM received exactly the sequence-55 run on `email` alone, which the
    /// `sequence` fixture profile and the demo's `guide` profile both forward.
    pub(crate) fn assert_sequence_ran_for(&self, email: &str) {
        assert_fields(
            &self.forwarded(email),
            &[
                ("mode", "runsequence"),
                ("sequence_id", "55"),
                ("contact_emails", email),
            ],
        );
    }

    /// Asserts that nothing carrying `marker` reached CLOSEM, once the queue has settled.
    pub(crate) fn assert_not_forwarded(&self, marker: &str) {
        self.settle();
        let records = self.records_now(marker);
        assert!(records.is_empty(), "{marker} reached CLOSEM: {records:#?}");
    }

    /// Waits until the ledger has no pending submission, so everything accepted so far has been
    /// delivered, refused or dead-lettered. Without an admin token (a worker another module
    /// started) it waits a few batch timeouts instead.
    pub(crate) fn settle(&self) {
        let Some(token) = self.worker.admin_token() else {
            let batch = self.worker.deliveries().max_batch_timeout;
            std::thread::sleep(Duration::from_secs(u64::from(batch) * 3 + 1));
            return;
        };
        let deadline = Instant::now() + DELIVERY_WAIT;
        loop {
            let listing = self.admin_list(token, "pending");
            if listing["counts"]["pending"] == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "submissions still pending: {listing}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `GET /admin/submissions?state=` with `token`; the answer must be 200 JSON.
    pub(crate) fn admin_list(&self, token: &str, state: &str) -> Value {
        let reply = self.send(
            client()
                .get(self.url(&format!("/admin/submissions?state={state}&limit=1000")))
                .bearer_auth(token),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }

    /// `GET {path}` with the [`ADMIN`] token, whatever it answers.
    pub(crate) fn admin_get(&self, path: &str) -> Reply {
        self.send(client().get(self.url(path)).bearer_auth(ADMIN))
    }

    /// `POST /admin/replay?{query}` with the [`ADMIN`] token, whatever it answers.
    pub(crate) fn replay(&self, query: &str) -> Reply {
        self.send(
            client()
                .post(self.url(&format!("/admin/replay?{query}")))
                .bearer_auth(ADMIN),
        )
    }

    /// The ledger's entry for submission `id`, if listed (newest 1000 of any state).
    pub(crate) fn ledger_entry(&self, id: &str) -> Option<Value> {
        let listing = self.admin_list(ADMIN, "");
        listing["submissions"]
            .as_array()?
            .iter()
            .find(|entry| entry["key"] == id)
            .cloned()
    }

    /// Waits until submission `id` is in `state` in the ledger, and returns its entry.
    pub(crate) fn wait_state(&self, id: &str, state: &str) -> Value {
        let deadline = Instant::now() + DELIVERY_WAIT + DELIVERY_WAIT;
        loop {
            let entry = self.ledger_entry(id);
            if let Some(entry) = entry.as_ref().filter(|entry| entry["state"] == state) {
                return entry.clone();
            }
            assert!(
                Instant::now() < deadline,
                "{id} never became {state}: {entry:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub(crate) fn order_faults(&self, order: Value) {
        order_faults(&self.sandbox.url(), order);
    }

    pub(crate) fn clear_faults(&self) {
        let response = client()
            .delete(format!("{}/_sandbox/faults", self.sandbox.url()))
            .send()
            .expect("the sandbox answers");
        assert_eq!(response.status().as_u16(), 200);
    }

    /// Asserts that the worker's captured log does not hold the key.
    pub(crate) fn assert_log_clean(&self) {
        assert_log_clean(&self.worker);
    }
}

pub(crate) fn assert_log_clean(worker: &Workerd) {
    let log = worker.log();
    assert!(!log.contains(KEY), "the worker's log shows the key:\n{log}");
}

/// Sends a request and reads the answer, which must not carry the key.
pub(crate) fn send(request: RequestBuilder) -> Reply {
    let response = request.send().expect("the worker answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().expect("a readable body");
    for (name, value) in &headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        assert!(!value.contains(KEY), "header {name} carries the key");
    }
    assert!(!body.contains(KEY), "the body carries the key: {body}");
    Reply {
        status,
        headers,
        body,
    }
}

pub(crate) fn encode(
    request: RequestBuilder,
    fields: &[(&str, &str)],
    encoding: Encoding,
) -> RequestBuilder {
    match encoding {
        Encoding::UrlEncoded => request.form(fields),
        Encoding::Multipart => request.multipart(
            fields
                .iter()
                .fold(multipart::Form::new(), |form, (name, value)| {
                    form.text(name.to_string(), value.to_string())
                }),
        ),
    }
}

/// Stands for a test's own marker address in a table of fields; [`with_email`] fills it in.
pub(crate) const EMAIL: &str = "{email}";

/// `fields` with [`EMAIL`] replaced by `email`.
pub(crate) fn with_email<'a>(
    fields: &[(&'a str, &'a str)],
    email: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields
        .iter()
        .map(|&(name, value)| (name, if value == EMAIL { email } else { value }))
        .collect()
}

/// A sandbox record's `fields` as pairs.
pub(crate) fn fields_of(record: &Value) -> Vec<(String, String)> {
    serde_json::from_value(record["fields"].clone()).expect("fields as [name, value] pairs")
}

/// Asserts the forwarded fields are exactly `expected`, in any order.
pub(crate) fn assert_fields(actual: &[(String, String)], expected: &[(&str, &str)]) {
    let mut actual: Vec<(&str, &str)> = actual
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let mut expected = expected.to_vec();
    actual.sort_unstable();
    expected.sort_unstable();
    assert_eq!(actual, expected);
}

/// The forwarded value of `name`, which must appear exactly once.
pub(crate) fn value_of<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    let values: Vec<&str> = fields
        .iter()
        .filter(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(values.len(), 1, "{name} once in {fields:?}");
    values[0]
}

/// `application/x-www-form-urlencoded` bytes for `fields`: everything but unreserved characters
/// escaped, so tests control every byte (reqwest's `form` escapes differently).
pub(crate) fn urlencoded(fields: &[(&str, &str)]) -> Vec<u8> {
    let encode = |text: &str| {
        let mut encoded = String::with_capacity(text.len());
        for byte in text.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._*".contains(&byte) {
                encoded.push(char::from(byte));
            } else if byte == b' ' {
                encoded.push('+');
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
        encoded
    };
    let mut body = String::new();
    for (name, value) in fields {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&encode(name));
        body.push('=');
        body.push_str(&encode(value));
    }
    body.into_bytes()
}

/// A sandbox answering to `sandbox_key` and a worker with the fixture profiles that sends it
/// `api_key` and has no admin token: for the tests of the key itself, which need their own pair.
pub(crate) fn start_keyed(sandbox_key: &str, api_key: &str) -> (SandboxHandle, Workerd) {
    let sandbox = spawn(sandbox_key);
    let worker = Workerd::start(WorkerdOptions {
        api_key: Some(api_key.to_string()),
        base_url: format!("{}/", sandbox.url()),
        timezone: TIMEZONE.to_string(),
        forms: forms(),
    });
    (sandbox, worker)
}

/// Every request the sandbox at `sandbox_url` has recorded.
pub(crate) fn records_at(sandbox_url: &str) -> Vec<Value> {
    client()
        .get(format!("{sandbox_url}/_sandbox/requests"))
        .send()
        .and_then(|response| response.error_for_status())
        .and_then(|response| response.json())
        .expect("the sandbox lists its requests")
}

/// The string `key` of every object in the JSON array `array` (the fields of a reply's issues,
/// the kinds of a timeline's events); panics when it is not such an array.
pub(crate) fn strings_of<'a>(array: &'a Value, key: &str) -> Vec<&'a str> {
    array
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {array}"))
        .iter()
        .map(|item| {
            item[key]
                .as_str()
                .unwrap_or_else(|| panic!("no string {key} in {item}"))
        })
        .collect()
}

/// Gives the sandbox at `sandbox_url` a fault order (`/_sandbox/faults`).
pub(crate) fn order_faults(sandbox_url: &str, order: Value) {
    let response = client()
        .post(format!("{sandbox_url}/_sandbox/faults"))
        .json(&order)
        .send()
        .expect("the sandbox answers");
    assert_eq!(response.status().as_u16(), 200, "fault order {order}");
}
