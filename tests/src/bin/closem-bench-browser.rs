//! `cargo xtask bench` in the browser: widget start-up and submit handling in headless Chromium,
//! next to Formspree's script tag on the same page, driven through chromedriver's W3C endpoints.
//!
//! Serves bench/page.html twice from a loopback server (once with closem.js, once with Formspree's
//! global.js), loads each page alternately and prints one `sample NAME VALUE` line per measurement
//! (milliseconds) on stdout, or `note NAME TEXT` when something could not be measured.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;

use closem_tests::webdriver::{Browser, BrowserOptions};
use closem_tests::workerd::workspace_root;
use serde_json::{json, Value};

const USAGE: &str = "usage: closem-bench-browser [--loads N]";

/// Page loads per script not counted: the first ones warm up Chromium itself.
const WARM_UP_LOADS: usize = 2;

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
    // Dropping the browser quits Chromium and ends chromedriver.
    let browser = Browser::try_start(BrowserOptions::default())?;
    measure(&browser, site_port, loads)
}

fn measure(browser: &Browser, site_port: u16, loads: usize) -> Result<(), String> {
    let mut submit_failures: HashMap<&str, String> = HashMap::new();
    for round in 0..WARM_UP_LOADS + loads {
        let counted = round >= WARM_UP_LOADS;
        for script in &SCRIPTS {
            let url = format!("http://127.0.0.1:{site_port}{}?round={round}", script.page);
            browser.command("POST", "url", json!({ "url": url }))?;
            let ready = browser.execute_async(WAIT_READY)?;
            if let Some(error) = ready.get("error").and_then(Value::as_str) {
                return Err(format!("{}: {error}", script.name));
            }
            let submit = browser.execute_async(SUBMIT)?;
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
    // The widget as the forms host serves it: the moving names and the versioned folder its
    // loader fetches the wasm from.
    add_widget_files(&mut site, &root.join("widget/pkg"), "")?;
    let formspree = root.join("bench/node_modules/@formspree/ajax/dist/global.js");
    site.insert("/formspree.js".into(), (javascript, read(&formspree)?));
    Ok(site)
}

fn add_widget_files(site: &mut Site, dir: &Path, prefix: &str) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            add_widget_files(site, &path, &format!("{prefix}/{name}"))?;
        } else if let Some(kind) = match path.extension().and_then(|ext| ext.to_str()) {
            Some("js") => Some("text/javascript; charset=utf-8"),
            Some("wasm") => Some("application/wasm"),
            _ => None,
        } {
            site.insert(format!("{prefix}/{name}"), (kind, read(&path)?));
        }
    }
    Ok(())
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
