//! The local product behind `cargo xtask run`: the CLOSEM sandbox plus the built worker in workerd
//! (serving www/ and the widget) with the demo forms. Ctrl-C (or SIGTERM, SIGHUP) stops both. When
//! the worker stops on its own (`wrangler dev` exits, or its runtime stops answering `/health`:
//! wrangler restarts a crashed workerd, which then may never answer), the demo says so, stops
//! everything and exits with status 1 rather than leave a site up that no longer works.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use closem_tests::sandbox;
use closem_tests::site::Site;
use closem_tests::workerd::{workspace_root, Launch, Workerd, WorkerdOptions};

const USAGE: &str =
    "usage: closem-demo [--port N] [--sandbox-port N] [--site-port N] [--timezone IANA-NAME]";

/// The sample customer site (tests/site/), on its own origin.
const SITE_PORT: u16 = 8788;

/// The operators' bearer token in the demo (a real deployment sets its own secret).
const ADMIN_TOKEN: &str = "demo-admin-token-0123456789";

/// The demo page shows the sandbox inbox beside the forms at this port (www/index.html knows it).
const SANDBOX_PORT: u16 = 8790;

/// How often the worker's `/health` is asked, and how long it may go unanswered before the demo
/// gives up on it (a busy machine answers in a second or two).
const HEALTH_EVERY: Duration = Duration::from_secs(5);
const HEALTH_SILENCE: Duration = Duration::from_secs(30);

fn main() {
    let mut port: u16 = 8787;
    let mut sandbox_port = SANDBOX_PORT;
    let mut site_port = SITE_PORT;
    let mut timezone = "America/New_York".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(value)) => port = value.parse().unwrap_or_else(|_| exit_usage(&arg)),
            ("--sandbox-port", Some(value)) => {
                sandbox_port = value.parse().unwrap_or_else(|_| exit_usage(&arg))
            }
            ("--site-port", Some(value)) => {
                site_port = value.parse().unwrap_or_else(|_| exit_usage(&arg))
            }
            ("--timezone", Some(value)) => timezone = value,
            _ => exit_usage(&arg),
        }
    }

    // The sample customer site: another origin, embedding the widget from the worker.
    let site = Site::serve_on("tests/site", site_port).unwrap_or_else(|error| {
        eprintln!("closem-demo: the customer site cannot listen on 127.0.0.1:{site_port}: {error}");
        eprintln!("  stop whatever uses that port, or pass --site-port N");
        std::process::exit(1)
    });
    // The demo's profiles travel as a deploy's do: in the bundled forms file, not in FORMS.
    let forms_file = workspace_root().join("target/closem-demo-forms.json");
    if let Err(error) = std::fs::write(&forms_file, demo_forms(&site.origin()).to_string()) {
        eprintln!(
            "closem-demo: cannot write {}: {error}",
            forms_file.display()
        );
        std::process::exit(1)
    }

    // A fresh key per run: the demo shows that it never reaches the browser.
    let api_key = format!("demo-key-{}", std::process::id());
    let sandbox = sandbox::spawn_on(&api_key, sandbox_port).unwrap_or_else(|error| {
        eprintln!("closem-demo: the sandbox cannot listen on 127.0.0.1:{sandbox_port}: {error}");
        eprintln!("  stop whatever uses that port, or pass --sandbox-port N");
        std::process::exit(1)
    });
    println!("==> CLOSEM sandbox on {}", sandbox.url());
    println!("==> starting the worker in workerd on port {port}");
    let mut worker = Workerd::start_with(
        WorkerdOptions {
            api_key: Some(api_key),
            base_url: format!("{}/", sandbox.url()),
            timezone,
            forms: serde_json::json!({}),
        },
        Launch {
            port: Some(port),
            echo: true,
            admin_token: Some(ADMIN_TOKEN.to_string()),
            forms_file: Some(forms_file),
            ..Launch::default()
        },
    );

    site.embed_from(&worker.url());

    println!();
    println!("  closem-forms is running. Open {}/", worker.url());
    println!(
        "  a customer's site embedding it from there (another origin, as on every real site): {}/",
        site.origin()
    );
    println!(
        "  sandbox inbox (what CLOSEM receives): {}/_sandbox/",
        sandbox.url()
    );
    println!("  health: {}/health", worker.url());
    println!(
        "  deliveries: curl -H 'Authorization: Bearer {ADMIN_TOKEN}' {}/admin/submissions",
        worker.url()
    );
    println!("  press Ctrl-C to stop");
    println!();

    match wait_for_stop(&mut worker) {
        Stop::Asked => {
            println!("\n==> stopping the worker and the sandbox");
            drop(worker);
            drop(sandbox);
        }
        Stop::WorkerDown(reason) => {
            eprintln!(
                "\nclosem-demo: the worker stopped on its own: {reason}. Its log is above. \
                 Stopping it and the sandbox; run `cargo xtask run` again to restart."
            );
            drop(worker);
            drop(sandbox);
            std::process::exit(1)
        }
    }
}

/// The demo's forms (tests/demo/forms.json) and the builders' pages' (tests/fixtures/builders.json),
/// each allowing the customer site's origin.
fn demo_forms(site_origin: &str) -> serde_json::Value {
    let mut forms = serde_json::Map::new();
    for file in ["tests/demo/forms.json", "tests/fixtures/builders.json"] {
        let path = workspace_root().join(file);
        let Some(serde_json::Value::Object(profiles)) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
        else {
            eprintln!("closem-demo: cannot read {}", path.display());
            std::process::exit(1)
        };
        forms.extend(profiles);
    }
    for profile in forms.values_mut() {
        profile["allowed_origins"] = serde_json::json!([site_origin]);
    }
    serde_json::Value::Object(forms)
}

fn exit_usage(arg: &str) -> ! {
    eprintln!("closem-demo: unexpected argument `{arg}`\n{USAGE}");
    std::process::exit(2)
}

enum Stop {
    /// Ctrl-C, SIGTERM or SIGHUP (the terminal closed).
    Asked,
    /// `wrangler dev` exited, or the worker stopped answering; why.
    WorkerDown(String),
}

/// Blocks until Ctrl-C, SIGTERM or SIGHUP, or until the worker is down.
fn wait_for_stop(worker: &mut Workerd) -> Stop {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a signal-only runtime");
    runtime.block_on(async {
        let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler");
        let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut hangup = signal(SignalKind::hangup()).expect("SIGHUP handler");
        let last_answer = watch_health(worker.port());
        let mut check = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = interrupt.recv() => return Stop::Asked,
                _ = terminate.recv() => return Stop::Asked,
                _ = hangup.recv() => return Stop::Asked,
                _ = check.tick() => {
                    if let Some(status) = worker.exit_status() {
                        return Stop::WorkerDown(exited(status));
                    }
                    let silence = last_answer.lock().map(|at| at.elapsed()).unwrap_or_default();
                    if silence >= HEALTH_SILENCE {
                        return Stop::WorkerDown(format!(
                            "{}/health has not answered for {} s",
                            worker.url(),
                            silence.as_secs()
                        ));
                    }
                }
            }
        }
    })
}

/// Asks `/health` every [`HEALTH_EVERY`] on a thread of its own (an unanswered request must not
/// delay Ctrl-C); the instant it last answered.
fn watch_health(port: u16) -> Arc<Mutex<Instant>> {
    let last_answer = Arc::new(Mutex::new(Instant::now()));
    let writer = Arc::clone(&last_answer);
    std::thread::spawn(move || loop {
        std::thread::sleep(HEALTH_EVERY);
        if answers(port) {
            if let Ok(mut at) = writer.lock() {
                *at = Instant::now();
            }
        }
    });
    last_answer
}

fn exited(status: ExitStatus) -> String {
    format!("wrangler dev exited ({status})")
}

/// True when `GET /health` gets an HTTP status line within a few seconds (any status: the route
/// reports configuration problems with a 503, and the worker is still up then).
fn answers(port: u16) -> bool {
    let ask = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.write_all(
            format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line)?;
        Ok(line.starts_with("HTTP/"))
    };
    ask().unwrap_or(false)
}
