//! `cargo xtask bench` in the browser: widget start-up and submit handling in headless Chromium,
//! next to Formspree's script tag on the same page, driven through chromedriver's W3C endpoints.
//!
//! Serves bench/page.html twice from a loopback server (once with closem.js, once with Formspree's
//! global.js), loads each page alternately and prints one `sample NAME VALUE` line per measurement
//! (milliseconds) on stdout, or `note NAME TEXT` when something could not be measured.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use closem_tests::child::ChildGuard;
use closem_tests::http;
use closem_tests::workerd::workspace_root;
use serde_json::{json, Value};

const USAGE: &str = "usage: closem-bench-browser [--loads N]";

/// Page loads per script not counted: the first ones warm up Chromium itself.
const WARM_UP_LOADS: usize = 2;

/// The Chromium flags toolchain.md lists for headless runs on this machine (no network chatter).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// The two embeds, each after a mark of the moment the embed starts; the rest of the page is equal.
const CLOSEM_EMBED: &str = r#"<script>performance.mark("bench:script-start");</script>
<script src="/closem.js" defer></script>"#;
/// Formspree's documented CDN snippet, with an `onInit` callback so the page knows when it is done.
const FORMSPREE_EMBED: &str = r##"<script>performance.mark("bench:script-start");
window.formspree = window.formspree || function () { (formspree.q = formspree.q || []).push(arguments); };
formspree("initForm", { formElement: "#contact", formId: "benchcontact", onInit: window.__bench.formspreeInit });
formspree("initForm", { formElement: "#guide", formId: "benchguide", onInit: window.__bench.formspreeInit });
formspree("initForm", { formElement: "#booking", formId: "benchbooking", onInit: window.__bench.formspreeInit });
</script>
<script src="/formspree.js" defer></script>"##;

/// Waits for 3 enhanced forms, then a little longer so long-task entries are delivered.
const WAIT_READY: &str = r#"
var done = arguments[arguments.length - 1];
var began = performance.now();
(function poll() {
  var bench = window.__bench;
  if (bench && bench.ready !== null) {
    setTimeout(function () {
      var mark = performance.getEntriesByName("bench:script-start")[0];
      done({ ms: bench.ready - mark.startTime, longest: Math.max.apply(null, [0].concat(bench.longTasks)) });
    }, 100);
  } else if (performance.now() - began > 5000) {
    done({ error: "not ready after 5 s (" + (bench ? bench.enhanced : 0) + " of 3 forms enhanced)" });
  } else {
    setTimeout(poll, 2);
  }
})();
"#;

const SUBMIT: &str = r#"
var done = arguments[arguments.length - 1];
var bench = window.__bench;
bench.submitAt = null;
bench.sentAt = null;
document.getElementById("contact").requestSubmit();
var began = performance.now();
(function poll() {
  if (bench.sentAt !== null && bench.submitAt !== null) done({ ms: bench.sentAt - bench.submitAt });
  else if (performance.now() - began > 2000) done({ error: "no request sent within 2 s of the submit event" });
  else setTimeout(poll, 1);
})();
"#;

struct Script {
    name: &'static str,
    page: &'static str,
}

const SCRIPTS: [Script; 2] = [
    Script {
        name: "closem",
        page: "/closem.html",
    },
    Script {
        name: "formspree",
        page: "/formspree.html",
    },
];

fn main() {
    let mut loads: usize = 25;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (
            arg.as_str(),
            args.next().and_then(|value| value.parse().ok()),
        ) {
            ("--loads", Some(value)) => loads = value,
            _ => {
                eprintln!("closem-bench-browser: unexpected argument `{arg}`\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    if let Err(message) = run(loads) {
        eprintln!("closem-bench-browser: {message}");
        std::process::exit(1);
    }
}

fn run(loads: usize) -> Result<(), String> {
    let site = Arc::new(site()?);
    let site_port = serve(site)?;
    let driver = Driver::start()?;
    let session = driver.new_session()?;
    let result = measure(&driver, &session, site_port, loads);
    // Closing the session quits Chromium; the driver's guard then ends chromedriver.
    let _ = driver.call("DELETE", &format!("/session/{session}"), None);
    result
}

fn measure(driver: &Driver, session: &str, site_port: u16, loads: usize) -> Result<(), String> {
    let mut submit_failures: HashMap<&str, String> = HashMap::new();
    for round in 0..WARM_UP_LOADS + loads {
        let counted = round >= WARM_UP_LOADS;
        for script in &SCRIPTS {
            let url = format!("http://127.0.0.1:{site_port}{}?round={round}", script.page);
            driver.call(
                "POST",
                &format!("/session/{session}/url"),
                Some(json!({ "url": url })),
            )?;
            let ready = driver.execute_async(session, WAIT_READY)?;
            if let Some(error) = ready.get("error").and_then(Value::as_str) {
                return Err(format!("{}: {error}", script.name));
            }
            let submit = driver.execute_async(session, SUBMIT)?;
            if !counted {
                continue;
            }
            println!("sample startup.{} {}", script.name, number(&ready, "ms")?);
            println!(
                "sample longtask.{} {}",
                script.name,
                number(&ready, "longest")?
            );
            match submit.get("error").and_then(Value::as_str) {
                Some(error) => {
                    submit_failures.insert(script.name, error.to_string());
                }
                None => println!("sample submit.{} {}", script.name, number(&submit, "ms")?),
            }
        }
        let done = (round + 1).saturating_sub(WARM_UP_LOADS);
        if counted && done.is_multiple_of(5) {
            eprintln!("    {done} of {loads} page loads per script");
        }
    }
    for (name, error) in submit_failures {
        println!("note submit.{name} {error}");
    }
    Ok(())
}

fn number(value: &Value, key: &str) -> Result<f64, String> {
    value
        .get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("the page answered {value} without `{key}`"))
}

/// Path -> (content type, body): the two pages and the files their script tags load.
type Site = HashMap<String, (&'static str, Vec<u8>)>;

fn site() -> Result<Site, String> {
    let root = workspace_root();
    let page = read(&root.join("bench/page.html"))?;
    let page = String::from_utf8(page).map_err(|_| "bench/page.html is not UTF-8".to_string())?;
    if !page.contains("<!-- EMBED -->") {
        return Err("bench/page.html has no <!-- EMBED --> marker".into());
    }
    let html = "text/html; charset=utf-8";
    let javascript = "text/javascript; charset=utf-8";
    let mut site = Site::new();
    for (path, embed) in [
        ("/closem.html", CLOSEM_EMBED),
        ("/formspree.html", FORMSPREE_EMBED),
    ] {
        let text = page.replace("<!-- EMBED -->", embed);
        site.insert(path.to_string(), (html, text.into_bytes()));
    }
    let widget = root.join("widget/pkg");
    site.insert(
        "/closem.js".into(),
        (javascript, read(&widget.join("closem.js"))?),
    );
    site.insert(
        "/closem_bg.wasm".into(),
        ("application/wasm", read(&widget.join("closem_bg.wasm"))?),
    );
    let formspree = root.join("bench/node_modules/@formspree/ajax/dist/global.js");
    site.insert("/formspree.js".into(), (javascript, read(&formspree)?));
    Ok(site)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// A static server on 127.0.0.1 for the life of this process; nothing is cached, so every load
/// fetches and compiles the scripts as a first visit does.
fn serve(site: Arc<Site>) -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|error| format!("cannot bind the page server: {error}"))?;
    let port = listener
        .local_addr()
        .map_err(|error| error.to_string())?
        .port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let site = Arc::clone(&site);
            std::thread::spawn(move || answer(stream, &site));
        }
    });
    Ok(port)
}

fn answer(mut stream: TcpStream, site: &Site) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Skip the headers: every request is a GET without a body.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|read| read > 2) {
        header.clear();
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or(target);
    let (status, content_type, body) = match site.get(path) {
        Some((content_type, body)) => ("200 OK", *content_type, body.as_slice()),
        None => ("404 Not Found", "text/plain", &b"not found"[..]),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// chromedriver on a free loopback port; the guard ends it (and the Chromium it started) on drop.
struct Driver {
    port: u16,
    profile: PathBuf,
    child: Option<ChildGuard>,
}

impl Driver {
    fn start() -> Result<Driver, String> {
        let binary = ["/usr/bin/chromedriver", "/usr/local/bin/chromedriver"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.is_file())
            .ok_or("chromedriver is missing: run `cargo xtask setup`")?;
        let port = http::free_port();
        let child = ChildGuard::spawn(
            Command::new(binary)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .map_err(|error| format!("cannot start chromedriver: {error}"))?;
        let profile = workspace_root()
            .join("target/closem-bench")
            .join(format!("chromium-profile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if matches!(exchange(port, "GET", "/status", ""), Ok((200, _))) {
                return Ok(Driver {
                    port,
                    profile,
                    child: Some(child),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("chromedriver did not answer on port {port}"))
    }

    fn new_session(&self) -> Result<String, String> {
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| flag.to_string()).collect();
        args.push(format!("--user-data-dir={}", self.profile.display()));
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
        }}});
        let answer = self.call("POST", "/session", Some(capabilities))?;
        let session = answer
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("chromedriver did not open a session: {answer}"))?
            .to_string();
        self.call(
            "POST",
            &format!("/session/{session}/timeouts"),
            Some(json!({ "script": 15000, "pageLoad": 30000 })),
        )?;
        Ok(session)
    }

    fn execute_async(&self, session: &str, script: &str) -> Result<Value, String> {
        self.call(
            "POST",
            &format!("/session/{session}/execute/async"),
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// One W3C WebDriver command; returns its `value`, or the driver's error message.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let (_, payload) = exchange(self.port, method, path, &body)
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
}

impl Drop for Driver {
    fn drop(&mut self) {
        drop(self.child.take());
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One HTTP/1.1 request to 127.0.0.1:port; returns the status and the body. chromedriver keeps
/// connections open despite `Connection: close`, so the body is read by its declared length.
fn exchange(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {line:?}")))?;
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse::<usize>().ok();
        }
        chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
    }
    let mut payload = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            payload.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = length {
        payload.resize(length, 0);
        reader.read_exact(&mut payload)?;
    } else {
        reader.read_to_end(&mut payload)?;
    }
    Ok((status, payload))
}
