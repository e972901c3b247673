//! `cargo xtask bench` at the edge: the built worker next to a minimal JavaScript forwarding worker
//! (bench/js-forwarder), both in workerd through `wrangler dev`, both forwarding to one CLOSEM sandbox.
//!
//! Measures, per worker: the time from starting `wrangler dev` to the first 200 from `/health`;
//! the startup phase as `wrangler check startup` profiles it; throughput and latency of
//! `POST /f/lead` under `wrk` at concurrency 8 (or `--connections`), 1 (accept latency) and 32, in
//! rounds alternating between the two; and, for ours, the ledger calls each new lead cost while
//! the visitor waited, counted from the worker's own log lines (`ledger_calls`).
//! Prints `sample NAME VALUE` lines on stdout (milliseconds, requests per second or counts) and
//! progress on stderr. Every child process
//! (wrangler, workerd, wrk) is in a group that is killed when this process ends, however it ends.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use closem_tests::child::ChildGuard;
use closem_tests::http;
use closem_tests::sandbox::{self, SandboxHandle};
use closem_tests::workerd::{
    bindings, dev_command, entry_module, workspace_root, wrangler, Deliveries,
};
use serde_json::{json, Value};

const USAGE: &str = "usage: closem-bench-edge [--starts N] [--profiles N] [--seconds S] [--rounds N] [--connections C]";

/// The form under load: CLOSEM's own field names, so the JavaScript worker can forward it as is.
const FORM_ID: &str = "lead";
const LEAD_BODY: &str = "fullname=Ada+Lovelace&email=Ada.Lovelace%40Example.com&phone=%2B1+%28555%29+444-3333&notes=A+demo+for+a+team+of+twelve%2C+next+week+if+possible.";

/// The workerd compatibility date the harness uses for the edge (tests/src/workerd.rs).
const COMPATIBILITY_DATE: &str = "2026-11-01";

struct Options {
    starts: usize,
    profiles: usize,
    seconds: u32,
    rounds: u32,
    connections: u32,
}

/// One of the two workers being compared.
#[derive(Clone, Copy)]
enum Target {
    Ours,
    JavaScript,
}

impl Target {
    const BOTH: [Target; 2] = [Target::Ours, Target::JavaScript];

    fn name(self) -> &'static str {
        match self {
            Target::Ours => "ours",
            Target::JavaScript => "js",
        }
    }

    fn main_module(self, root: &Path) -> PathBuf {
        match self {
            Target::Ours => root.join("edge/build/index.js"),
            Target::JavaScript => root.join("bench/js-forwarder/worker.js"),
        }
    }

    /// The same form for both: ours as a profile, the forwarder as the fields it appends.
    fn vars(self, sandbox: &SandboxHandle) -> Value {
        let base_url = format!("{}/", sandbox.url());
        match self {
            Target::Ours => json!({
                "CLOSEM_BASE_URL": base_url,
                "CLOSEM_TIMEZONE": "America/New_York",
                "FORMS": { FORM_ID: {
                    "mode": "addcontact", "upsert": true, "tags": [42, 57], "contact_lists": [18],
                }},
            }),
            Target::JavaScript => json!({
                "CLOSEM_BASE_URL": base_url,
                "FIXED_FIELDS": {
                    "mode": "addcontact", "upsert": "true", "tags": "42,57", "contact_lists": "18",
                },
            }),
        }
    }
}

fn main() {
    let mut options = Options {
        starts: 3,
        profiles: 5,
        seconds: 10,
        rounds: 5,
        connections: 8,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|value| value.parse::<u32>().ok());
        match (arg.as_str(), value) {
            ("--starts", Some(value)) => options.starts = value as usize,
            ("--profiles", Some(value)) => options.profiles = value as usize,
            ("--seconds", Some(value)) => options.seconds = value,
            ("--rounds", Some(value)) if value >= 1 => options.rounds = value,
            ("--connections", Some(value)) => options.connections = value,
            _ => {
                eprintln!("closem-bench-edge: unexpected argument `{arg}`\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    if let Err(message) = run(&options) {
        eprintln!("closem-bench-edge: {message}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), String> {
    let root = workspace_root();
    for target in Target::BOTH {
        let main = target.main_module(&root);
        if !main.is_file() {
            return Err(format!(
                "{} is missing: run `cargo xtask build-edge`",
                main.display()
            ));
        }
    }
    let key = format!("bench-key-{}", std::process::id());
    let sandbox = sandbox::spawn(&key);
    let work = root
        .join("target/closem-bench")
        .join(format!("edge-{}", std::process::id()));
    let result = measure(options, &root, &work, &sandbox, &key);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn measure(
    options: &Options,
    root: &Path,
    work: &Path,
    sandbox: &SandboxHandle,
    key: &str,
) -> Result<(), String> {
    eprintln!(
        "    wrangler dev start to first /health 200, {} times each",
        options.starts
    );
    for round in 0..options.starts {
        // Alternate so that a slow moment of the machine hits both alike.
        for target in Target::BOTH {
            let instance = Instance::start(root, work, target, sandbox, key)?;
            println!("sample devstart.{} {:.1}", target.name(), instance.ready_ms);
            eprintln!(
                "      {} run {}: {:.0} ms",
                target.name(),
                round + 1,
                instance.ready_ms
            );
        }
    }

    eprintln!(
        "    wrangler check startup (startup phase profile), {} times each",
        options.profiles
    );
    for _ in 0..options.profiles {
        for target in Target::BOTH {
            let ms = check_startup(root, work, target, sandbox)?;
            println!("sample profile.{} {ms:.1}", target.name());
        }
    }

    let script = work.join("post.lua");
    std::fs::write(&script, wrk_script())
        .map_err(|error| format!("cannot write post.lua: {error}"))?;
    // Both workers stay up; the load alternates between them in short rounds so that whatever
    // else the machine does in the meantime weighs on both alike.
    let mut instances = Vec::new();
    for target in Target::BOTH {
        let instance = Instance::start(root, work, target, sandbox, key)?;
        let (status, body) = post_form(instance.port, &format!("/f/{FORM_ID}"), LEAD_BODY)
            .ok_or_else(|| format!("{}: POST /f/{FORM_ID} got no answer", target.name()))?;
        if !(200..300).contains(&status) {
            return Err(format!(
                "{}: POST /f/{FORM_ID} answered {status}, not 2xx: {body}",
                target.name()
            ));
        }
        let url = format!("http://127.0.0.1:{}/f/{FORM_ID}", instance.port);
        eprintln!("    {}: warm-up, 2 s", target.name());
        wrk(&script, &url, options.connections, 2)?;
        instances.push((target, url, instance));
    }
    let slice = (options.seconds / options.rounds).max(1);
    for (prefix, connections) in [("load", options.connections), ("load1", 1), ("load32", 32)] {
        rounds(options, &script, &instances, prefix, connections, slice)?;
    }
    let (_, _, ours) = &instances[0];
    let (leads, calls) = ours.log.counted();
    if leads == 0 {
        return Err("ours logged no recorded lead: ledger calls could not be counted".into());
    }
    println!("sample ledger.leads {leads}");
    println!(
        "sample ledger.calls_per_lead {:.3}",
        calls as f64 / leads as f64
    );
    eprintln!(
        "    ledger calls while the visitor waited: {calls} for {leads} new leads ({:.3} each)",
        calls as f64 / leads as f64
    );
    Ok(())
}

/// Rounds of load at `connections`, alternating between the workers; samples named `prefix.*`.
fn rounds(
    options: &Options,
    script: &Path,
    instances: &[(Target, String, Instance)],
    prefix: &str,
    connections: u32,
    slice: u32,
) -> Result<(), String> {
    for round in 1..=options.rounds {
        for (target, url, instance) in instances {
            let name = target.name();
            let result = wrk(script, url, connections, slice)?;
            if result.errors > 0 {
                eprintln!(
                    "      {name}: the last lines wrangler printed:\n{}",
                    instance.log.tail()
                );
            }
            let rate = result.requests / (result.duration_us / 1e6);
            println!("sample {prefix}.{name}.rps {rate:.1}");
            println!("sample {prefix}.{name}.p50 {:.3}", result.p50_us / 1e3);
            println!("sample {prefix}.{name}.p99 {:.3}", result.p99_us / 1e3);
            println!("sample {prefix}.{name}.requests {}", result.requests);
            println!("sample {prefix}.{name}.errors {}", result.errors);
            eprintln!(
                "    round {round} of {}, {name}: {slice} s at concurrency {connections}: {rate:.0} requests/s, \
                 p50 {:.1} ms, p99 {:.1} ms, {} errors",
                options.rounds,
                result.p50_us / 1e3,
                result.p99_us / 1e3,
                result.errors
            );
        }
    }
    Ok(())
}

/// A worker in workerd under `wrangler dev`, started the same way for both targets (the flags of
/// tests/src/workerd.rs, without static assets so that only the worker code differs).
struct Instance {
    port: u16,
    ready_ms: f64,
    log: Log,
    _child: ChildGuard,
}

impl Instance {
    fn start(
        root: &Path,
        work: &Path,
        target: Target,
        sandbox: &SandboxHandle,
        key: &str,
    ) -> Result<Instance, String> {
        let port = http::free_port();
        let dir = work.join(format!("{}-{port}", target.name()));
        let config = write_config(&dir, root, target, sandbox)?;
        let env_path = dir.join("secrets.env");
        std::fs::write(&env_path, format!("CLOSEM_API_KEY={key}\n"))
            .map_err(|error| format!("cannot write {}: {error}", env_path.display()))?;
        let mut command = dev_command(&dir, &config, &env_path, port);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = ChildGuard::spawn(&mut command)
            .map_err(|error| format!("cannot start wrangler dev: {error}"))?;
        let log = drain(&mut child);
        let deadline = started + Duration::from_secs(120);
        while Instant::now() < deadline {
            if matches!(http::get(port, "/health"), Some((200, _))) {
                return Ok(Instance {
                    port,
                    ready_ms: started.elapsed().as_secs_f64() * 1e3,
                    log,
                    _child: child,
                });
            }
            if !child.is_running() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(child);
        Err(format!(
            "{}: wrangler dev did not answer /health with 200 on port {port}; its log:\n{}",
            target.name(),
            log.tail()
        ))
    }
}

/// `wrangler check startup` builds the worker as `wrangler deploy` would and profiles its startup
/// phase in workerd; the profile's window (end - start) is the startup time in milliseconds.
fn check_startup(
    root: &Path,
    work: &Path,
    target: Target,
    sandbox: &SandboxHandle,
) -> Result<f64, String> {
    let dir = work.join(format!("{}-check", target.name()));
    let config = write_config(&dir, root, target, sandbox)?;
    let profile = dir.join("startup.cpuprofile");
    let _ = std::fs::remove_file(&profile);
    let output = wrangler(&dir)
        .args(["check", "startup", "--config"])
        .arg(&config)
        .arg("--outfile")
        .arg(&profile)
        .output()
        .map_err(|error| format!("cannot run wrangler check startup: {error}"))?;
    let text = std::fs::read_to_string(&profile).map_err(|error| {
        format!(
            "{}: wrangler check startup wrote no profile ({error}):\n{}{}",
            target.name(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let profile: Value = serde_json::from_str(&text)
        .map_err(|error| format!("{}: unreadable startup profile: {error}", target.name()))?;
    let start = profile.get("startTime").and_then(Value::as_f64);
    let end = profile.get("endTime").and_then(Value::as_f64);
    match (start, end) {
        (Some(start), Some(end)) => Ok((end - start) / 1e3),
        _ => Err(format!(
            "{}: the startup profile has no window",
            target.name()
        )),
    }
}

fn write_config(
    dir: &Path,
    root: &Path,
    target: Target,
    sandbox: &SandboxHandle,
) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir)
        .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    let mut config = json!({
        "name": format!("closem-bench-{}", target.name()),
        "main": match target {
            // The entry a deploy ships, with an empty forms file (the form is in FORMS).
            Target::Ours => entry_module(dir, None),
            Target::JavaScript => target.main_module(root),
        },
        "compatibility_date": COMPATIBILITY_DATE,
        "vars": target.vars(sandbox),
    });
    // Ours records each submission in its ledger and queues it: the same bindings as the tests.
    if let (Target::Ours, Some(object), Value::Object(extra)) =
        (target, config.as_object_mut(), bindings(&Deliveries::TEST))
    {
        object.extend(extra);
    }
    let path = dir.join("wrangler.json");
    std::fs::write(&path, config.to_string())
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    Ok(path)
}

/// The last lines a child printed, for error messages (under load wrangler logs every request),
/// and the new leads it logged with the ledger calls each cost.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<VecDeque<String>>>, Arc<Mutex<(u64, u64)>>);

impl Log {
    const KEEP: usize = 60;

    fn push(&self, line: String) {
        if line.contains("\"event\":\"submit\"") && line.contains("\"outcome\":\"recorded\"") {
            let calls = line.split("\"ledger_calls\":").nth(1).and_then(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse::<u64>()
                    .ok()
            });
            if let (Ok(mut counted), Some(calls)) = (self.1.lock(), calls) {
                counted.0 += 1;
                counted.1 += calls;
            }
        }
        if let Ok(mut lines) = self.0.lock() {
            if lines.len() == Log::KEEP {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    }

    /// (new leads logged, ledger calls they cost).
    fn counted(&self) -> (u64, u64) {
        self.1.lock().map(|counted| *counted).unwrap_or_default()
    }

    fn tail(&self) -> String {
        self.0
            .lock()
            .map(|lines| lines.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

/// Reads the child's output so its pipes never fill, keeping the last lines.
fn drain(child: &mut ChildGuard) -> Log {
    let log = Log::default();
    let (stdout, stderr) = child.take_output();
    if let Some(stdout) = stdout {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                log.push(line);
            }
        });
    }
    if let Some(stderr) = stderr {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                log.push(line);
            }
        });
    }
    log
}

/// `POST path` with a urlencoded body asking for JSON; returns (status, body).
fn post_form(port: u16, path: &str, body: &str) -> Option<(u16, String)> {
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "application/json"),
    ];
    let (status, body) = http::exchange(port, "POST", path, &headers, body.as_bytes()).ok()?;
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The wrk script: the lead as a urlencoded POST asking for JSON, counting every non-2xx answer.
fn wrk_script() -> String {
    format!(
        r#"wrk.method = "POST"
wrk.body = "{LEAD_BODY}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
local threads = {{}}
function setup(thread) table.insert(threads, thread); thread:set("me", #threads) end
function init(args) bad = 0; sent = 0 end
-- Every request is a new lead (its notes end with thread-counter): the edge dedupes repeated
-- submissions by their idempotency key, and the bench measures accepting new ones.
function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, wrk.body .. "+" .. me .. "-" .. sent)
end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, thread in ipairs(threads) do bad_total = bad_total + thread:get("bad") end
  local e = summary.errors
  io.write(string.format("result %d %d %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99),
    bad_total, e.connect, e.read, e.write, e.timeout))
end
"#
    )
}

struct WrkResult {
    requests: f64,
    duration_us: f64,
    p50_us: f64,
    p99_us: f64,
    errors: u64,
}

fn wrk(script: &Path, url: &str, connections: u32, seconds: u32) -> Result<WrkResult, String> {
    let output = Command::new("wrk")
        .args(["--threads", "1", "--connections", &connections.to_string()])
        .args(["--duration", &format!("{seconds}s"), "--timeout", "10s"])
        .arg("--script")
        .arg(script)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run wrk: {error} (install it: apt-get install wrk)"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("result "))
        .ok_or_else(|| {
            format!(
                "wrk printed no result ({}):\n{text}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let numbers: Vec<f64> = line
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers[..] {
        [requests, duration_us, p50_us, p99_us, non_2xx, connect, read, write, timeout] => {
            if non_2xx + connect + read + write + timeout > 0.0 {
                eprintln!(
                    "      errors: {non_2xx} non-2xx, {connect} connect, {read} read, {write} write, {timeout} timeout"
                );
            }
            Ok(WrkResult {
                requests,
                duration_us,
                p50_us,
                p99_us,
                errors: (non_2xx + connect + read + write + timeout) as u64,
            })
        }
        _ => Err(format!("unexpected wrk result line: {line}")),
    }
}
