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

/// How the process is launched: a fixed port for the demo (tests take a free one), and whether to
/// echo the log to stderr as it arrives (the demo shows it; tests keep it for assertions).
#[derive(Default, Clone)]
pub struct Launch {
    pub port: Option<u16>,
    pub echo: bool,
    /// More static files served beside www/ (test pages), copied over it.
    pub extra_site: Option<PathBuf>,
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
        Workerd::start_with(options, Launch::default())
    }

    pub fn start_with(options: WorkerdOptions, launch: Launch) -> Workerd {
        let root = workspace_root();
        let shim = root.join("edge/build/worker/shim.mjs");
        assert!(
            shim.is_file(),
            "{} is missing: build the worker first with `cargo xtask build-edge`",
            shim.display()
        );
        let port = launch.port.unwrap_or_else(http::free_port);
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
            "assets": { "directory": assemble_site(&root, &dir, launch.extra_site.as_deref()), "binding": "ASSETS" },
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

        let mut command = dev_command(&dir, &config_path, &env_path, port);
        command
            .args(["--log-level", "log"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = ChildGuard::spawn(&mut command).expect("start wrangler dev");
        let log = Arc::new(Mutex::new(String::new()));
        let (stdout, stderr) = child.take_output();
        capture(stdout, Arc::clone(&log), launch.echo);
        capture(stderr, Arc::clone(&log), launch.echo);

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

/// The project's wrangler, run in `dir` with Node 22 first on PATH, quiet and non-interactive.
pub fn wrangler(dir: &Path) -> Command {
    let npm_bin = workspace_root().join("node_modules/.bin");
    let path = format!(
        "{}:{}",
        npm_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(npm_bin.join("wrangler"));
    command
        .current_dir(dir)
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true")
        .stdin(Stdio::null());
    command
}

/// `wrangler dev` for the config in `dir`, on 127.0.0.1:`port` with a free inspector port, its state
/// kept in `dir`, the secrets read from `env_file` (as `.dev.vars` would be).
pub fn dev_command(dir: &Path, config: &Path, env_file: &Path, port: u16) -> Command {
    let mut command = wrangler(dir);
    command
        .arg("dev")
        .arg("--config")
        .arg(config)
        .arg("--env-file")
        .arg(env_file)
        .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
        .args(["--inspector-port", &http::free_port().to_string()])
        .arg("--persist-to")
        .arg(dir.join("state"))
        .args(["--show-interactive-dev-session", "false"]);
    command
}

/// The static files the worker serves: www/ plus the built widget (closem.js and its wasm) when
/// it exists, copied into the instance directory so www/ stays free of build output.
fn assemble_site(root: &Path, dir: &Path, extra: Option<&Path>) -> PathBuf {
    let site = dir.join("site");
    let _ = std::fs::remove_dir_all(&site);
    copy_tree(&root.join("www"), &site);
    copy_tree(&root.join("widget/pkg"), &site);
    if let Some(extra) = extra {
        copy_tree(extra, &site);
    }
    site
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the site directory");
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a site file");
        }
    }
}

fn capture(stream: Option<impl Read + Send + 'static>, log: Arc<Mutex<String>>, echo: bool) {
    let Some(stream) = stream else { return };
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if echo {
                eprintln!("  [workerd] {line}");
            }
            if let Ok(mut text) = log.lock() {
                text.push_str(&line);
                text.push('\n');
            }
        }
    });
}
