//! The local product behind `cargo xtask run`: the CLOSEM sandbox plus the built worker in workerd
//! (serving www/ and the widget) with the demo forms. Ctrl-C stops both.

use closem_tests::sandbox;
use closem_tests::workerd::{workspace_root, Launch, Workerd, WorkerdOptions};

const USAGE: &str = "usage: closem-demo [--port N] [--sandbox-port N] [--timezone IANA-NAME]";

/// The operators' bearer token in the demo (a real deployment sets its own secret).
const ADMIN_TOKEN: &str = "demo-admin-token-0123456789";

/// The demo page shows the sandbox inbox beside the forms at this port (www/index.html knows it).
const SANDBOX_PORT: u16 = 8790;

fn main() {
    let mut port: u16 = 8787;
    let mut sandbox_port = SANDBOX_PORT;
    let mut timezone = "America/New_York".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(value)) => port = value.parse().unwrap_or_else(|_| exit_usage(&arg)),
            ("--sandbox-port", Some(value)) => {
                sandbox_port = value.parse().unwrap_or_else(|_| exit_usage(&arg))
            }
            ("--timezone", Some(value)) => timezone = value,
            _ => exit_usage(&arg),
        }
    }

    let forms_path = workspace_root().join("tests/demo/forms.json");
    let forms: serde_json::Value = std::fs::read_to_string(&forms_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| {
            eprintln!("closem-demo: cannot read {}", forms_path.display());
            std::process::exit(1)
        });

    // A fresh key per run: the demo shows that it never reaches the browser.
    let api_key = format!("demo-key-{}", std::process::id());
    let sandbox = sandbox::spawn_on(&api_key, sandbox_port).unwrap_or_else(|error| {
        eprintln!("closem-demo: the sandbox cannot listen on 127.0.0.1:{sandbox_port}: {error}");
        eprintln!("  stop whatever uses that port, or pass --sandbox-port N");
        std::process::exit(1)
    });
    println!("==> CLOSEM sandbox on {}", sandbox.url());
    println!("==> starting the worker in workerd on port {port}");
    let worker = Workerd::start_with(
        WorkerdOptions {
            api_key: Some(api_key),
            base_url: format!("{}/", sandbox.url()),
            timezone,
            forms,
        },
        Launch {
            port: Some(port),
            echo: true,
            admin_token: Some(ADMIN_TOKEN.to_string()),
            ..Launch::default()
        },
    );

    println!();
    println!("  closem-forms is running. Open {}/", worker.url());
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

    wait_for_stop();
    println!("\n==> stopping the worker and the sandbox");
    drop(worker);
    drop(sandbox);
}

fn exit_usage(arg: &str) -> ! {
    eprintln!("closem-demo: unexpected argument `{arg}`\n{USAGE}");
    std::process::exit(2)
}

/// Blocks until Ctrl-C or SIGTERM.
fn wait_for_stop() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a signal-only runtime");
    runtime.block_on(async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    });
}
