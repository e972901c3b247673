//! `closem-leak-probe <how>`: starts what tests start (the CLOSEM sandbox, the worker in workerd
//! through wrangler dev, chromedriver with a headless Chromium holding a page of the worker open),
//! prints `ready`, and on a line from stdin ends the way `<how>` says. tests/it/leaks.rs runs it and
//! checks that nothing it started outlives it (issue 16).
//!
//! `<how>`: `exit` (returns from main with the worker in a static, as the shared test fixtures
//! keep theirs, and the browser dropped), `drop` (drops both, then returns), `panic` (a failing
//! assertion with the browser held), `setup-panic` (a browser that is never dropped, as a static's
//! would not be, then a panic inside the worker's static initialiser after the worker started), `timeout` (a deadline thread calls
//! `process::exit` while the main thread is stuck holding the browser), `wait` (waits to be
//! killed: SIGTERM, SIGKILL, Ctrl-C).

use std::io::{BufRead, Write};
use std::sync::OnceLock;
use std::time::Duration;

use closem_tests::sandbox::{spawn, SandboxHandle};
use closem_tests::webdriver::{Browser, BrowserOptions};
use closem_tests::workerd::{workspace_root, Workerd, WorkerdOptions};

const USAGE: &str = "usage: closem-leak-probe exit|drop|panic|setup-panic|timeout|wait";

const KEY: &str = "leak-probe-key-8e41c07b";

static WORKER: OnceLock<Workerd> = OnceLock::new();

fn main() {
    let how = std::env::args().nth(1).unwrap_or_default();
    let sandbox = spawn(KEY);
    match how.as_str() {
        "exit" => {
            let worker = WORKER.get_or_init(|| start_worker(&sandbox));
            let _browser = open_browser(worker);
            ready_then_go();
        }
        "drop" => {
            let worker = start_worker(&sandbox);
            let browser = open_browser(&worker);
            ready_then_go();
            drop(browser);
            drop(worker);
        }
        "panic" => {
            let worker = WORKER.get_or_init(|| start_worker(&sandbox));
            let browser = open_browser(worker);
            ready_then_go();
            assert_eq!(browser.current_url(), "about:blank", "a failing assertion");
        }
        "setup-panic" => {
            // Leaked rather than kept in a static (a `Browser` is not `Sync`): never dropped either way.
            let browser: &'static Browser =
                Box::leak(Box::new(Browser::start(BrowserOptions::default())));
            WORKER.get_or_init(|| {
                let worker = start_worker(&sandbox);
                browser.goto(&format!("{}/health", worker.url()));
                ready_then_go();
                panic!("set-up failed after the worker started");
            });
        }
        "timeout" => {
            let worker = WORKER.get_or_init(|| start_worker(&sandbox));
            let _browser = open_browser(worker);
            ready_then_go();
            std::thread::spawn(|| {
                eprintln!("closem-leak-probe: deadline passed, exiting");
                std::process::exit(1)
            });
            park_forever();
        }
        "wait" => {
            let worker = WORKER.get_or_init(|| start_worker(&sandbox));
            let _browser = open_browser(worker);
            println!("ready");
            let _ = std::io::stdout().flush();
            park_forever();
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2)
        }
    }
}

fn start_worker(sandbox: &SandboxHandle) -> Workerd {
    let path = workspace_root().join("tests/fixtures/forms.json");
    let forms = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .expect("tests/fixtures/forms.json holds the profiles");
    Workerd::start(WorkerdOptions {
        api_key: Some(KEY.to_string()),
        base_url: format!("{}/", sandbox.url()),
        timezone: "America/New_York".into(),
        forms,
    })
}

/// A browser with a page of the worker open, so Chromium holds connections to workerd (which
/// then waits for them on SIGTERM).
fn open_browser(worker: &Workerd) -> Browser {
    let browser = Browser::start(BrowserOptions::default());
    browser.goto(&format!("{}/health", worker.url()));
    browser
}

/// Says everything is started, then waits for the test's go-ahead (or for its end of the pipe).
fn ready_then_go() {
    println!("ready");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

fn park_forever() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
