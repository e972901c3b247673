//! Starts the built edge worker in workerd through `wrangler dev`, on 127.0.0.1 and free ports, with a
//! generated configuration, and captures everything it logs (tests check the key never shows up).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::child::ChildGuard;
use crate::http;

/// What a worker instance is started with. `forms` is the FORMS binding: an object, or a string
/// holding JSON (as `.dev.vars` and `--var` deliver it).
pub struct WorkerdOptions {
    pub api_key: Option<String>,
    pub base_url: String,
    pub timezone: String,
    pub forms: serde_json::Value,
}

pub struct Workerd {
    port: u16,
    log: Arc<Mutex<String>>,
    _child: ChildGuard,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives inside the workspace")
        .to_path_buf()
}

impl Workerd {
    /// Starts wrangler dev and waits until `GET /health` answers (any status). Panics with the
    /// captured log when the worker does not come up: a test cannot go on without it.
    pub fn start(options: WorkerdOptions) -> Workerd {
        let root = workspace_root();
        let shim = root.join("edge/build/worker/shim.mjs");
        assert!(
            shim.is_file(),
            "{} is missing: build the worker first with `cargo xtask build-edge`",
            shim.display()
        );
        let port = http::free_port();
        let inspector_port = http::free_port();
        let dir = root
            .join("target/closem-tests")
            .join(format!("workerd-{port}"));
        std::fs::create_dir_all(&dir).expect("create the instance directory");

        let config = serde_json::json!({
            "name": "closem-forms-test",
            "main": shim,
            "compatibility_date": "2026-11-01",
            "vars": {
                "CLOSEM_BASE_URL": options.base_url,
                "CLOSEM_TIMEZONE": options.timezone,
                "FORMS": options.forms,
            },
            "assets": { "directory": root.join("www"), "binding": "ASSETS" },
        });
        let config_path = dir.join("wrangler.json");
        std::fs::write(&config_path, config.to_string()).expect("write wrangler.json");
        // The key travels as a secret in an env file, as `.dev.vars` does, never on a command line.
        let env_path = dir.join("secrets.env");
        let secrets = options
            .api_key
            .as_ref()
            .map(|key| format!("CLOSEM_API_KEY={key}\n"))
            .unwrap_or_default();
        std::fs::write(&env_path, secrets).expect("write secrets.env");

        let npm_bin = root.join("node_modules/.bin");
        let path = format!(
            "{}:{}",
            npm_bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new(npm_bin.join("wrangler"));
        command
            .arg("dev")
            .arg("--config")
            .arg(&config_path)
            .arg("--env-file")
            .arg(&env_path)
            .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector_port.to_string()])
            .arg("--persist-to")
            .arg(dir.join("state"))
            .args([
                "--show-interactive-dev-session",
                "false",
                "--log-level",
                "log",
            ])
            .current_dir(&dir)
            .env("PATH", path)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = ChildGuard::spawn(&mut command).expect("start wrangler dev");
        let log = Arc::new(Mutex::new(String::new()));
        let (stdout, stderr) = child.take_output();
        capture(stdout, Arc::clone(&log));
        capture(stderr, Arc::clone(&log));

        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if http::get(port, "/health").is_some() {
                return Workerd {
                    port,
                    log,
                    _child: child,
                };
            }
            if !child.is_running() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "workerd did not answer on port {port}; wrangler log:\n{}",
            log.lock().map(|text| text.clone()).unwrap_or_default()
        );
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything wrangler and the worker have printed so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|text| text.clone()).unwrap_or_default()
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
