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

/// The entry module the worker ships with (`main` in edge/wrangler.jsonc): it bundles the forms
/// file and re-exports the built worker.
pub const ENTRY: &str = "edge/entry.mjs";

/// Writes `dir/entry.mjs`: edge/entry.mjs itself with its two imports pointed at `forms_file`
/// and at the built worker, so each test instance bundles its own forms file (an empty object
/// unless a [`Launch`] names one) exactly as a deploy bundles edge/forms.json.
pub fn entry_module(dir: &Path, forms_file: Option<&Path>) -> PathBuf {
    let root = workspace_root();
    let entry = std::fs::read_to_string(root.join(ENTRY)).expect("read edge/entry.mjs");
    let forms = match forms_file {
        Some(file) => file.to_path_buf(),
        None => {
            let empty = dir.join("forms.json");
            std::fs::write(&empty, "{}").expect("write an empty forms file");
            empty
        }
    };
    let mut imports = [
        ("\"./forms.json\"", forms),
        ("\"./build/index.js\"", root.join("edge/build/index.js")),
    ]
    .into_iter()
    .fold(entry, |text, (import, path)| {
        assert!(
            text.contains(import),
            "edge/entry.mjs no longer imports {import}"
        );
        text.replace(
            import,
            &serde_json::Value::from(path.to_string_lossy()).to_string(),
        )
    });
    imports.insert_str(
        0,
        "// Written by tests/src/workerd.rs from edge/entry.mjs.\n",
    );
    let path = dir.join("entry.mjs");
    std::fs::write(&path, imports).expect("write entry.mjs");
    path
}

/// edge/wrangler.jsonc as JSON (its comments dropped), for tests that compare it with
/// [`bindings`] and [`ratelimits`].
pub fn production_config() -> serde_json::Value {
    let path = workspace_root().join("edge/wrangler.jsonc");
    let text = std::fs::read_to_string(&path).expect("read edge/wrangler.jsonc");
    serde_json::from_str(&jsonc::without_comments(&text))
        .expect("edge/wrangler.jsonc is JSON with comments")
}

/// The JSONC reader `cargo xtask check` uses, compiled into this crate from its one file, so the
/// tests read `wrangler.jsonc` as the check and wrangler do (comments and trailing commas).
#[path = "../../xtask/src/jsonc.rs"]
// Only `without_comments` is needed here; the key positions serve `cargo xtask check`.
#[allow(dead_code)]
mod jsonc;

/// How the process is launched: a fixed port for the demo (tests take a free one), and whether to
/// echo the log to stderr as it arrives (the demo shows it; tests keep it for assertions).
#[derive(Default, Clone)]
pub struct Launch {
    pub port: Option<u16>,
    pub echo: bool,
    /// More static files served beside www/ (test pages), copied over it.
    pub extra_site: Option<PathBuf>,
    /// The `ADMIN_TOKEN` secret; without it the worker's admin routes answer 404.
    pub admin_token: Option<String>,
    /// The delivery queue's settings; [`Deliveries::TEST`] when not given.
    pub deliveries: Option<Deliveries>,
    /// The `RATE_LIMITER` binding's settings; [`RateLimit::TEST`] when not given.
    pub rate_limit: Option<RateLimit>,
    /// Start without the `RATE_LIMITER` binding (the edge then does not limit).
    pub without_rate_limiter: bool,
    /// The `TURNSTILE_SECRET` secret, for profiles with a Turnstile site key.
    pub turnstile_secret: Option<String>,
    /// `TURNSTILE_VERIFY_URL`, e.g. the sandbox's stand-in `{sandbox}/turnstile/siteverify`.
    pub turnstile_verify_url: Option<String>,
    /// The forms file bundled into this instance (as edge/forms.json is into a deploy); an empty
    /// object when not given.
    pub forms_file: Option<PathBuf>,
    /// The `ALERT_WEBHOOK_URL` secret, e.g. the sandbox's stand-in `{sandbox}/webhook/ops`.
    pub alert_webhook_url: Option<String>,
    /// More variables (`ALERT_QUIET_SECONDS`, ...), set beside the ones every instance has.
    pub vars: Vec<(String, String)>,
}

/// The `RATE_LIMITER` binding's `simple = { limit, period }`. edge/wrangler.jsonc holds
/// [`RateLimit::PRODUCTION`]; test instances run with [`RateLimit::TEST`], roomy enough that the
/// tests sharing one worker (all from one address) never trip it, unless a [`Launch`] asks for a
/// small limit. Both go through [`ratelimits`]; a test checks wrangler.jsonc agrees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Posts one client may send to one form per period.
    pub limit: u32,
    /// Seconds: 10 or 60, the only periods the binding has. Also the edge's `RATE_LIMIT_PERIOD`.
    pub period: u32,
}

impl RateLimit {
    pub const PRODUCTION: RateLimit = RateLimit {
        limit: 20,
        period: 60,
    };
    pub const TEST: RateLimit = RateLimit {
        limit: 100_000,
        period: 60,
    };
}

/// The rate limiter's binding name and namespace (edge/wrangler.jsonc and edge/src use the same).
pub const RATE_LIMIT_BINDING: &str = "RATE_LIMITER";
pub const RATE_LIMIT_NAMESPACE: &str = "1001";

/// The rate-limiting part of a wrangler configuration (as JSON).
pub fn ratelimits(rate_limit: &RateLimit) -> serde_json::Value {
    serde_json::json!({
        "ratelimits": [{
            "name": RATE_LIMIT_BINDING,
            "namespace_id": RATE_LIMIT_NAMESPACE,
            "simple": { "limit": rate_limit.limit, "period": rate_limit.period },
        }],
    })
}

/// The settings of the delivery queue, its consumer and the retry delays. edge/wrangler.jsonc holds
/// [`Deliveries::PRODUCTION`]; test instances run with [`Deliveries::TEST`], whose delays are short.
/// Both go through [`bindings`], so a test instance has exactly the production bindings; a test in
/// tests/it/edge_durable.rs checks that wrangler.jsonc names the same ones with these numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deliveries {
    pub max_batch_size: u32,
    /// Seconds the consumer waits to fill a batch.
    pub max_batch_timeout: u32,
    /// Deliveries of a message after the first before it goes to the dead-letter queue.
    pub max_retries: u32,
    /// The queue's default retry delay, in seconds (the worker passes its own backoff).
    pub retry_delay: u32,
    /// `DELIVERY_MAX_DELAY`: the cap of the worker's exponential backoff, in seconds.
    pub max_delay: u32,
}

impl Deliveries {
    pub const PRODUCTION: Deliveries = Deliveries {
        max_batch_size: 10,
        max_batch_timeout: 5,
        max_retries: 12,
        retry_delay: 30,
        max_delay: 600,
    };
    pub const TEST: Deliveries = Deliveries {
        max_batch_size: 10,
        max_batch_timeout: 1,
        max_retries: 3,
        retry_delay: 1,
        max_delay: 2,
    };
}

/// Binding and queue names (edge/wrangler.jsonc and edge/src use the same).
pub const QUEUE_BINDING: &str = "DELIVERIES";
pub const QUEUE: &str = "closem-deliveries";
pub const DEAD_LETTER_QUEUE: &str = "closem-deliveries-dlq";
pub const LEDGER_BINDING: &str = "LEDGER";
pub const LEDGER_CLASS: &str = "Ledger";
/// Retries of the dead-letter consumer (marking a submission dead only fails if the ledger does).
pub const DEAD_LETTER_RETRIES: u32 = 10;

/// The durable-delivery part of a wrangler configuration (as JSON): the queue producer, the two
/// consumers (deliveries, dead letters), the ledger's Durable Object binding and its migration;
/// plus the rate limiter with [`RateLimit::TEST`] (a [`Launch`] may replace it).
pub fn bindings(deliveries: &Deliveries) -> serde_json::Value {
    let mut bindings = serde_json::json!({
        "queues": {
            "producers": [{ "binding": QUEUE_BINDING, "queue": QUEUE }],
            "consumers": [
                {
                    "queue": QUEUE,
                    "max_batch_size": deliveries.max_batch_size,
                    "max_batch_timeout": deliveries.max_batch_timeout,
                    "max_retries": deliveries.max_retries,
                    "retry_delay": deliveries.retry_delay,
                    "dead_letter_queue": DEAD_LETTER_QUEUE,
                },
                {
                    "queue": DEAD_LETTER_QUEUE,
                    "max_batch_size": deliveries.max_batch_size,
                    "max_batch_timeout": deliveries.max_batch_timeout,
                    "max_retries": DEAD_LETTER_RETRIES,
                    "retry_delay": deliveries.retry_delay,
                },
            ],
        },
        "durable_objects": {
            "bindings": [{ "name": LEDGER_BINDING, "class_name": LEDGER_CLASS }],
        },
        "migrations": [{ "tag": "v1", "new_sqlite_classes": [LEDGER_CLASS] }],
    });
    if let (Some(bindings), serde_json::Value::Object(limiter)) =
        (bindings.as_object_mut(), ratelimits(&RateLimit::TEST))
    {
        bindings.extend(limiter);
    }
    bindings
}

pub struct Workerd {
    port: u16,
    admin_token: Option<String>,
    deliveries: Deliveries,
    log: Arc<Mutex<String>>,
    child: ChildGuard,
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
        // A free port can be taken by another process between choosing and binding it (tests
        // start many workers at once): then choose again.
        let mut attempt = 1;
        loop {
            match Workerd::try_start(&options, &launch) {
                Ok(worker) => return worker,
                Err(log)
                    if attempt < 3
                        && launch.port.is_none()
                        && log.contains("Address already in use") =>
                {
                    attempt += 1;
                }
                Err(log) => panic!("{log}"),
            }
        }
    }

    fn try_start(options: &WorkerdOptions, launch: &Launch) -> Result<Workerd, String> {
        let root = workspace_root();
        let built = root.join("edge/build/index.js");
        assert!(
            built.is_file(),
            "{} is missing: build the worker first with `cargo xtask build-edge`",
            built.display()
        );
        let port = launch.port.unwrap_or_else(http::free_port);
        let dir = root
            .join("target/closem-tests")
            .join(format!("workerd-{port}"));
        std::fs::create_dir_all(&dir).expect("create the instance directory");

        let deliveries = launch.deliveries.unwrap_or(Deliveries::TEST);
        let rate_limit = launch.rate_limit.unwrap_or(RateLimit::TEST);
        let main = entry_module(&dir, launch.forms_file.as_deref());
        let mut config = serde_json::json!({
            "name": "closem-forms-test",
            "main": main,
            "compatibility_date": "2026-11-01",
            "vars": {
                "CLOSEM_BASE_URL": options.base_url,
                "CLOSEM_TIMEZONE": options.timezone,
                "FORMS": options.forms,
                "DELIVERY_MAX_DELAY": deliveries.max_delay.to_string(),
                "RATE_LIMIT_PERIOD": rate_limit.period.to_string(),
            },
            "assets": { "directory": assemble_site(&root, &dir, launch.extra_site.as_deref()), "binding": "ASSETS" },
        });
        if let (Some(config), serde_json::Value::Object(bindings)) =
            (config.as_object_mut(), bindings(&deliveries))
        {
            config.extend(bindings);
        }
        if let (Some(config), serde_json::Value::Object(limiter)) =
            (config.as_object_mut(), ratelimits(&rate_limit))
        {
            config.extend(limiter);
            if launch.without_rate_limiter {
                config.remove("ratelimits");
            }
        }
        if let (Some(url), Some(vars)) =
            (&launch.turnstile_verify_url, config["vars"].as_object_mut())
        {
            vars.insert("TURNSTILE_VERIFY_URL".into(), url.clone().into());
        }
        if let Some(vars) = config["vars"].as_object_mut() {
            for (name, value) in &launch.vars {
                vars.insert(name.clone(), value.clone().into());
            }
        }
        let config_path = dir.join("wrangler.json");
        std::fs::write(&config_path, config.to_string()).expect("write wrangler.json");
        // A fresh instance starts with an empty ledger and empty queues.
        let _ = std::fs::remove_dir_all(dir.join("state"));
        // Secrets travel in an env file, as `.dev.vars` does, never on a command line.
        let env_path = dir.join("secrets.env");
        let mut secrets = String::new();
        if let Some(key) = &options.api_key {
            secrets.push_str(&format!("CLOSEM_API_KEY={key}\n"));
        }
        if let Some(token) = &launch.admin_token {
            secrets.push_str(&format!("ADMIN_TOKEN={token}\n"));
        }
        if let Some(secret) = &launch.turnstile_secret {
            secrets.push_str(&format!("TURNSTILE_SECRET={secret}\n"));
        }
        if let Some(url) = &launch.alert_webhook_url {
            secrets.push_str(&format!("ALERT_WEBHOOK_URL={url}\n"));
        }
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
                return Ok(Workerd {
                    port,
                    admin_token: launch.admin_token.clone(),
                    deliveries,
                    log,
                    child,
                });
            }
            if !child.is_running() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!(
            "workerd did not answer on port {port}; wrangler log:\n{}",
            log.lock().map(|text| text.clone()).unwrap_or_default()
        ))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `ADMIN_TOKEN` it was started with, if any.
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    /// The delivery settings it was started with.
    pub fn deliveries(&self) -> Deliveries {
        self.deliveries
    }

    /// How `wrangler dev` ended, once it has: then the worker no longer answers.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.exit_status()
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
