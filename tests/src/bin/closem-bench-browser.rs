//! `cargo xtask bench` in the browser: widget start-up and submit handling in headless Chromium,
//! next to Formspree's script tag on the same page, driven through chromedriver's W3C endpoints.
//!
//! Serves bench/page.html three times from a loopback server (with the moving closem.js tag, with
//! the pinned embed that preloads the wasm, and with Formspree's global.js), loads each page alternately and prints one `sample NAME VALUE` line per measurement
//! (milliseconds) on stdout, or `note NAME TEXT` when something could not be measured.

use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;

use closem_tests::site::read_head;
use closem_tests::webdriver::{Browser, BrowserOptions};
use closem_tests::workerd::workspace_root;
use serde_json::{json, Value};

const USAGE: &str = "usage: closem-bench-browser [--loads N]";

/// Page loads per script not counted: the first ones warm up Chromium itself.
const WARM_UP_LOADS: usize = 2;

/// The two embeds, each after a mark of the moment the embed starts; the rest of the page is equal.
const CLOSEM_EMBED: &str = r#"<script>performance.mark("bench:script-start");</script>
<script src="/closem.js" defer></script>"#;
/// The pinned embed `cargo xtask build-widget` prints: the wasm preloaded beside the versioned
/// script, both with integrity. `{VERSION}`, `{SCRIPT_SRI}` and `{WASM_SRI}` come from
/// `target/widget-release.txt`.
const CLOSEM_PINNED_EMBED: &str = r#"<script>performance.mark("bench:script-start");</script>
<link rel="preload" href="/v/{VERSION}/closem_bg.wasm" as="fetch" type="application/wasm" integrity="{WASM_SRI}" crossorigin="anonymous">
<script src="/v/{VERSION}/closem.js" integrity="{SCRIPT_SRI}" crossorigin="anonymous" defer></script>"#;
/// Formspree's documented CDN snippet, with an `onInit` callback so the page knows when it is done.
const FORMSPREE_EMBED: &str = r##"<script>performance.mark("bench:script-start");
window.formspree = window.formspree || function () { (formspree.q = formspree.q || []).push(arguments); };
formspree("initForm", { formElement: "#contact", formId: "benchcontact", onInit: window.__bench.formspreeInit });
formspree("initForm", { formElement: "#guide", formId: "benchguide", onInit: window.__bench.formspreeInit });
formspree("initForm", { formElement: "#booking", formId: "benchbooking", onInit: window.__bench.formspreeInit });
</script>
<script src="/formspree.js" defer></script>"##;

/// Waits for 3 enhanced forms (and, for closem-forms, for validation to be ready: the widget's
/// `closem:ready` mark), then a little longer so long-task entries are delivered. Reports the
/// widget's stages from its own `performance.mark`s and the wasm's resource timing (`fetched`:
/// the response's end), each from the moment the embed starts.
const WAIT_READY: &str = r#"
var done = arguments[arguments.length - 1];
var began = performance.now();
(function poll() {
  var bench = window.__bench;
  var closem = !!document.querySelector("script[src*=closem]");
  var at = function (name) { var entry = performance.getEntriesByName(name)[0]; return entry ? entry.startTime : null; };
  if (bench && bench.ready !== null && (!closem || at("closem:ready") !== null)) {
    setTimeout(function () {
      var start = at("bench:script-start");
      var wasm = performance.getEntriesByType("resource").filter(function (entry) { return /closem_bg\.wasm/.test(entry.name); })[0];
      var stages = closem ? {
        script: at("closem:start") - start,
        enhanced: at("closem:enhanced") - start,
        fetched: wasm ? wasm.responseEnd - start : null,
        compiled: at("closem:compiled") - start,
        validation: at("closem:ready") - start,
      } : {};
      done({ ms: bench.ready - start, longest: Math.max.apply(null, [0].concat(bench.longTasks)), stages: stages });
    }, 100);
  } else if (performance.now() - began > 20000) {
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

const SCRIPTS: [Script; 3] = [
    Script {
        name: "closem",
        page: "/closem.html",
    },
    Script {
        name: "closem-pinned",
        page: "/closem-pinned.html",
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

/// The network each page load runs on: loopback as it is, and an emulated phone network
/// (DevTools `Network.emulateNetworkConditions` through chromedriver: 150 ms latency, 1.6 Mbit/s
/// down, 750 kbit/s up, Chrome's "Slow 4G"/"Fast 3G"-like profile). Samples of the second carry the
/// prefix `mobile.`.
const NETWORKS: [(&str, f64, f64, f64); 2] = [
    ("", 0.0, -1.0, -1.0),
    ("mobile.", 150.0, 1_600_000.0 / 8.0, 750_000.0 / 8.0),
];

fn measure(browser: &Browser, site_port: u16, loads: usize) -> Result<(), String> {
    for (prefix, latency, down, up) in NETWORKS {
        let conditions = json!({ "network_conditions": {
            "offline": false, "latency": latency, "download_throughput": down, "upload_throughput": up,
        }});
        browser.command("POST", "chromium/network_conditions", conditions)?;
        // Fewer loads on the slow profile: each costs a few round trips of 150 ms.
        let loads = if prefix.is_empty() {
            loads
        } else {
            loads.div_ceil(2)
        };
        measure_on(browser, site_port, loads, prefix)?;
    }
    Ok(())
}

fn measure_on(browser: &Browser, site_port: u16, loads: usize, prefix: &str) -> Result<(), String> {
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
            println!(
                "sample {prefix}startup.{} {}",
                script.name,
                number(&ready, "ms")?
            );
            println!(
                "sample {prefix}longtask.{} {}",
                script.name,
                number(&ready, "longest")?
            );
            for (stage, value) in ready["stages"].as_object().into_iter().flatten() {
                if let Some(value) = value.as_f64() {
                    println!("sample {prefix}stage.{stage}.{} {value}", script.name);
                }
            }
            match submit.get("error").and_then(Value::as_str) {
                Some(error) => {
                    submit_failures.insert(script.name, error.to_string());
                }
                None => println!(
                    "sample {prefix}submit.{} {}",
                    script.name,
                    number(&submit, "ms")?
                ),
            }
        }
        let done = (round + 1).saturating_sub(WARM_UP_LOADS);
        if counted && done.is_multiple_of(5) {
            eprintln!("    {prefix}{done} of {loads} page loads per script");
        }
    }
    for (name, error) in submit_failures {
        println!("note {prefix}submit.{name} {error}");
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
    let release = read(&root.join("target/widget-release.txt"))?;
    let release = String::from_utf8_lossy(&release);
    let mut release = release.lines();
    let (version, script_sri, wasm_sri) = (release.next(), release.next(), release.next());
    let (Some(version), Some(script_sri), Some(wasm_sri)) = (version, script_sri, wasm_sri) else {
        return Err(
            "target/widget-release.txt is incomplete: run `cargo xtask build-widget`".into(),
        );
    };
    let pinned = CLOSEM_PINNED_EMBED
        .replace("{VERSION}", version)
        .replace("{SCRIPT_SRI}", script_sri)
        .replace("{WASM_SRI}", wasm_sri);
    for (path, embed) in [
        ("/closem.html", CLOSEM_EMBED),
        ("/closem-pinned.html", pinned.as_str()),
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
    // A gzip -9 copy of each script and module, served when the browser accepts it.
    let scripts: Vec<(String, Vec<u8>)> = site
        .iter()
        .filter(|(path, _)| path.ends_with(".js") || path.ends_with(".wasm"))
        .map(|(path, (_, body))| (path.clone(), body.clone()))
        .collect();
    for (path, body) in scripts {
        site.insert(format!("{path}.gz"), ("application/gzip", gzip(&body)?));
    }
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

fn gzip(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = std::process::Command::new("gzip")
        .args(["-9", "-c", "-n"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run gzip: {error}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(body)
            .map_err(|error| format!("gzip: {error}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("gzip: {error}"))?;
    Ok(output.stdout)
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
    // Every request is a GET without a body; only Accept-Encoding matters.
    let Some((_, head)) = read_head(&stream) else {
        return;
    };
    let gzip = head
        .header("accept-encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("gzip"));
    let path = head.path();
    // Compressed as a CDN serves it (gzip: Chromium offers brotli over https only), so that the
    // emulated phone network carries realistic bytes.
    let compressed = gzip.then(|| site.get(&format!("{path}.gz"))).flatten();
    let (status, content_type, body, encoding) = match (site.get(path), compressed) {
        (Some((content_type, _)), Some((_, body))) => (
            "200 OK",
            *content_type,
            body.as_slice(),
            "Content-Encoding: gzip\r\n",
        ),
        (Some((content_type, body)), None) => ("200 OK", *content_type, body.as_slice(), ""),
        _ => ("404 Not Found", "text/plain", &b"not found"[..], ""),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{encoding}Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}
