//! Headless Chromium driven through chromedriver's W3C WebDriver endpoints, over plain loopback
//! HTTP (no client crate). Both processes die with the `Browser` (or with the test binary).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::child::ChildGuard;
use crate::http;
use crate::workerd::workspace_root;

/// The flags toolchain.md lists for headless Chromium on this machine (no network chatter).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

#[derive(Clone, Copy)]
pub struct BrowserOptions {
    /// False runs the page with JavaScript disabled (the progressive-enhancement path).
    pub javascript: bool,
    pub width: u32,
    pub height: u32,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            javascript: true,
            width: 1280,
            height: 900,
        }
    }
}

/// A WebDriver element reference.
#[derive(Clone, Debug)]
pub struct Element(String);

pub struct Browser {
    port: u16,
    session: String,
    profile: PathBuf,
    /// Console messages a test expects from the widget (substrings), which do not fail it.
    expected: std::sync::Mutex<Vec<String>>,
    _driver: ChildGuard,
}

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub fn chromedriver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/local/bin/chromedriver"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

impl Browser {
    /// Starts chromedriver and one Chromium session. Panics with what to install when missing.
    pub fn start(options: BrowserOptions) -> Browser {
        Browser::try_start(options).unwrap_or_else(|error| panic!("{error}"))
    }

    pub fn try_start(options: BrowserOptions) -> Result<Browser, String> {
        let binary = chromedriver().ok_or("chromedriver is missing: run `cargo xtask setup`")?;
        let port = http::free_port();
        let driver = ChildGuard::spawn(
            Command::new(binary)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .map_err(|error| format!("cannot start chromedriver: {error}"))?;
        let profile = workspace_root()
            .join("target/closem-tests")
            .join(format!("chromium-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);

        let deadline = Instant::now() + Duration::from_secs(20);
        while !matches!(http::request(port, "GET", "/status", ""), Ok((200, _))) {
            if Instant::now() > deadline {
                return Err(format!("chromedriver did not answer on port {port}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }

        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| flag.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!(
            "--window-size={},{}",
            options.width, options.height
        ));
        let mut chrome_options = json!({ "binary": "/usr/bin/chromium", "args": args });
        if !options.javascript {
            chrome_options["prefs"] =
                json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        // The browser log keeps every console message and uncaught exception of every page the
        // session opens, across navigations; `Drop` reads it.
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": chrome_options,
            "goog:loggingPrefs": { "browser": "ALL" },
        }}});
        let answer = call(port, "POST", "/session", Some(capabilities))?;
        let session = answer
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("chromedriver did not open a session: {answer}"))?
            .to_string();
        let browser = Browser {
            port,
            session,
            profile,
            expected: std::sync::Mutex::new(Vec::new()),
            _driver: driver,
        };
        browser.command(
            "POST",
            "timeouts",
            json!({ "script": 20000, "pageLoad": 30000 }),
        )?;
        Ok(browser)
    }

    /// One command on this session (`path` relative to `/session/{id}/`).
    pub fn command(&self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        let path = format!("/session/{}/{path}", self.session);
        let body = if method == "GET" { None } else { Some(body) };
        call(self.port, method, &path, body)
    }

    fn must(&self, method: &str, path: &str, body: Value) -> Value {
        self.command(method, path, body)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    pub fn goto(&self, url: &str) {
        self.must("POST", "url", json!({ "url": url }));
    }

    pub fn current_url(&self) -> String {
        self.must("GET", "url", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs a script in the page (`arguments` available) and returns its value.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.must(
            "POST",
            "execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// Runs an asynchronous script (it calls `arguments[arguments.length - 1]` with its result).
    pub fn execute_async(&self, script: &str) -> Result<Value, String> {
        self.command(
            "POST",
            "execute/async",
            json!({ "script": script, "args": [] }),
        )
    }

    /// Polls `condition` (a script returning a truthy value when done) until it holds.
    pub fn wait_for(&self, what: &str, condition: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.execute(condition, json!([]));
            if !matches!(value, Value::Null | Value::Bool(false)) {
                return value;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what} on {}", self.current_url());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn find(&self, css: &str) -> Element {
        let value = self
            .command(
                "POST",
                "element",
                json!({ "using": "css selector", "value": css }),
            )
            .unwrap_or_else(|error| {
                panic!(
                    "no element matches `{css}` on {}: {error}",
                    self.current_url()
                )
            });
        value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_string()))
            .unwrap_or_else(|| panic!("`{css}`: unexpected answer {value}"))
    }

    pub fn try_find(&self, css: &str) -> Option<Element> {
        let value = self
            .command(
                "POST",
                "element",
                json!({ "using": "css selector", "value": css }),
            )
            .ok()?;
        value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element(id.to_string()))
    }

    pub fn click(&self, element: &Element) {
        self.must("POST", &format!("element/{}/click", element.0), json!({}));
    }

    /// Types into a field (after clearing it).
    pub fn fill(&self, element: &Element, text: &str) {
        self.must("POST", &format!("element/{}/clear", element.0), json!({}));
        self.must(
            "POST",
            &format!("element/{}/value", element.0),
            json!({ "text": text }),
        );
    }

    /// The element's attribute, or None when it has none.
    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.must(
            "GET",
            &format!("element/{}/attribute/{name}", element.0),
            Value::Null,
        )
        .as_str()
        .map(str::to_string)
    }

    /// The element's property (`value`, `checked`, ...).
    pub fn property(&self, element: &Element, name: &str) -> Value {
        self.must(
            "GET",
            &format!("element/{}/property/{name}", element.0),
            Value::Null,
        )
    }

    pub fn text(&self, element: &Element) -> String {
        self.must("GET", &format!("element/{}/text", element.0), Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page's visible text.
    pub fn page_text(&self) -> String {
        let body = self.find("body");
        self.text(&body)
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) {
        let data = self.must("GET", "screenshot", Value::Null);
        let bytes = decode_base64(data.as_str().unwrap_or_default());
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(path, bytes)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    }
}

/// A console message or uncaught exception that the page logged.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

impl Browser {
    /// Console messages and uncaught exceptions logged since the last call (Chromium's browser log,
    /// which chromedriver drains on each read).
    pub fn console(&self) -> Vec<LogEntry> {
        let entries = self
            .command("POST", "se/log", json!({ "type": "browser" }))
            .unwrap_or_else(|error| panic!("cannot read the browser log: {error}"));
        entries
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| LogEntry {
                level: entry["level"].as_str().unwrap_or_default().to_string(),
                message: entry["message"].as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }

    /// Tells the error check that console errors containing `text` are this test's expectation
    /// (the CSP violation of a page that forbids WebAssembly, say).
    pub fn expect_console(&self, text: &str) {
        if let Ok(mut expected) = self.expected.lock() {
            expected.push(text.to_string());
        }
    }

    /// Errors the widget caused: severe entries (console errors, uncaught exceptions, failed loads)
    /// that name one of its files, less the ones the test expects.
    pub fn widget_errors(&self) -> Vec<String> {
        let expected = self
            .expected
            .lock()
            .map(|list| list.clone())
            .unwrap_or_default();
        self.console()
            .into_iter()
            .filter(|entry| entry.level == "SEVERE" && entry.message.contains("closem"))
            .map(|entry| entry.message)
            .filter(|message| !expected.iter().any(|text| message.contains(text)))
            .collect()
    }
}

impl Drop for Browser {
    /// Fails the test when the widget logged an error on any page the session opened (unless the
    /// test is failing already), then closes the session.
    fn drop(&mut self) {
        let errors = if std::thread::panicking() {
            Vec::new()
        } else {
            self.widget_errors()
        };
        let _ = call(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
        let _ = std::fs::remove_dir_all(&self.profile);
        assert!(
            errors.is_empty(),
            "the widget logged errors in the page:\n{}",
            errors.join("\n")
        );
    }
}

/// One W3C WebDriver command; returns its `value`, or the driver's error message.
fn call(port: u16, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    let (_, payload) = http::request(port, method, path, &body)
        .map_err(|error| format!("{method} {path}: {error}"))?;
    let payload = String::from_utf8_lossy(&payload);
    let answer: Value = serde_json::from_str(&payload)
        .map_err(|error| format!("{method} {path}: {error} in {payload}"))?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!("{method} {path}: {error}: {message}"));
    }
    Ok(value)
}

fn decode_base64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        buffer = buffer << 6 | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}
