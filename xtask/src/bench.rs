//! `cargo xtask bench`: measures what users feel next to the alternatives, in one run, and prints
//! a Markdown table (also written to BENCHMARKS.md).
//!
//! Sizes are measured here; the timings come from three helper binaries in tests/src/bin, built in
//! release: `closem-bench-browser` (headless Chromium through chromedriver), `closem-bench-edge`
//! (workerd through wrangler dev, with the CLOSEM sandbox as upstream, under wrk) and
//! `closem-bench-shared` (the native cost of one submission). Each prints `sample NAME VALUE`
//! lines; statistics and ratios are computed here, so every comparison is from the same run.
//! The helpers own their child processes in killed-on-exit groups (tests/src/child.rs).

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use crate::process::{cmd, output, root, step, which, Outcome};
use crate::{build, setup};

const USAGE: &str =
    "usage: cargo xtask bench [--loads N] [--starts N] [--seconds S] [--connections C]";

/// The helper binaries, built together in one release build.
const HELPERS: &[&str] = &[
    "closem-bench-browser",
    "closem-bench-edge",
    "closem-bench-shared",
];

/// The files the widget's script tag loads, and the worker bundle, relative to the root.
const WIDGET_FILES: &[&str] = &["widget/pkg/closem.js", "widget/pkg/closem_bg.wasm"];
const FORMSPREE_SCRIPT: &str = "bench/node_modules/@formspree/ajax/dist/global.js";
const EDGE_FILES: &[&str] = &["edge/build/index.js", "edge/build/index_bg.wasm"];
const JS_FORWARDER: &str = "bench/js-forwarder/worker.js";

struct Settings {
    loads: u32,
    starts: u32,
    seconds: u32,
    connections: u32,
}

#[derive(Default)]
struct Results {
    samples: BTreeMap<String, Vec<f64>>,
    notes: BTreeMap<String, String>,
}

pub(crate) fn run(args: &[String]) -> Outcome {
    let settings = parse_args(args)?;
    let started = Instant::now();
    let load_average = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    // setup brings brotli (sizes) with Chromium; the load generator only the bench needs.
    setup::run()?;
    setup::ensure_apt(&["wrk"])?;
    build::widget()?;
    build::edge()?;
    step(
        "install @formspree/ajax from bench/package-lock.json (npm ci)",
        cmd("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(root().join("bench")),
    )?;
    let mut build_helpers = cmd("cargo");
    build_helpers.args(["build", "--release", "--quiet", "--package", "closem-tests"]);
    for helper in HELPERS {
        build_helpers.args(["--bin", helper]);
    }
    step(
        "build the bench helpers (release; the first time takes minutes)",
        &mut build_helpers,
    )?;

    println!("==> bench: transfer and bundle sizes");
    let sizes = Sizes {
        widget: measure_files(WIDGET_FILES)?,
        formspree: measure_files(&[FORMSPREE_SCRIPT])?,
        edge: measure_files(EDGE_FILES)?,
        js_forwarder: measure_files(&[JS_FORWARDER])?,
    };

    let mut results = Results::default();
    collect(
        &format!(
            "bench: widget start-up and submit in headless Chromium ({} loads per script)",
            settings.loads
        ),
        "closem-bench-browser",
        &["--loads".into(), settings.loads.to_string()],
        &mut results,
    )?;
    collect(
        &format!(
            "bench: edge start-up and load in workerd ({} starts, {} s at concurrency {} per worker)",
            settings.starts, settings.seconds, settings.connections
        ),
        "closem-bench-edge",
        &[
            "--starts".into(),
            settings.starts.to_string(),
            "--seconds".into(),
            settings.seconds.to_string(),
            "--connections".into(),
            settings.connections.to_string(),
        ],
        &mut results,
    )?;
    collect(
        "bench: closem-shared per submission, natively",
        "closem-bench-shared",
        &[],
        &mut results,
    )?;

    let table = report(&settings, &sizes, &results, load_average.trim());
    println!("\n{table}");
    let path = root().join("BENCHMARKS.md");
    fs::write(&path, &table)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    println!(
        "==> bench: done in {:.0} s; the table is in BENCHMARKS.md",
        started.elapsed().as_secs_f64()
    );
    errors_are_zero(&results)
}

fn parse_args(args: &[String]) -> Outcome<Settings> {
    let mut settings = Settings {
        loads: 25,
        starts: 3,
        seconds: 10,
        connections: 8,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|value| value.parse::<u32>().ok());
        match (arg.as_str(), value) {
            ("--loads", Some(value)) if value >= 1 => settings.loads = value,
            ("--starts", Some(value)) if value >= 1 => settings.starts = value,
            ("--seconds", Some(value)) if (1..=60).contains(&value) => settings.seconds = value,
            ("--connections", Some(value)) if (1..=64).contains(&value) => {
                settings.connections = value
            }
            _ => return Err(format!("unexpected argument `{arg}`\n{USAGE}")),
        }
    }
    Ok(settings)
}

/// Bytes on the wire for a set of files fetched separately: raw, gzip -9 and brotli -11.
#[derive(Clone, Copy)]
struct Transfer {
    raw: u64,
    gzip: u64,
    brotli: u64,
}

struct Sizes {
    widget: Transfer,
    formspree: Transfer,
    edge: Transfer,
    js_forwarder: Transfer,
}

fn measure_files(files: &[&str]) -> Outcome<Transfer> {
    let mut total = Transfer {
        raw: 0,
        gzip: 0,
        brotli: 0,
    };
    for file in files {
        let path = root().join(file);
        let raw = fs::metadata(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?
            .len();
        total.raw += raw;
        total.gzip += compressed_size(&path, "gzip", &["-9", "-n", "-c"])?;
        total.brotli += compressed_size(&path, "brotli", &["-q", "11", "-c"])?;
    }
    Ok(total)
}

fn compressed_size(path: &Path, program: &str, args: &[&str]) -> Outcome<u64> {
    let out = cmd(program)
        .args(args)
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot run {program}: {error}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {} failed: {}",
            path.display(),
            out.status
        ));
    }
    Ok(out.stdout.len() as u64)
}

/// Runs a helper, showing its progress (stderr) and gathering its `sample`/`note` lines.
fn collect(label: &str, helper: &str, args: &[String], results: &mut Results) -> Outcome {
    let started = Instant::now();
    println!("==> {label}");
    let program: PathBuf = root().join("target").join("release").join(helper);
    let mut child = cmd(&program.to_string_lossy())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", program.display()))?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut words = line.splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("sample"), Some(name), Some(value)) => {
                    if let Ok(value) = value.trim().parse::<f64>() {
                        results
                            .samples
                            .entry(name.to_string())
                            .or_default()
                            .push(value);
                    }
                }
                (Some("note"), Some(name), Some(text)) => {
                    results.notes.insert(name.to_string(), text.to_string());
                }
                _ => println!("    {line}"),
            }
        }
    }
    let status = child.wait().map_err(|error| error.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    if status.success() {
        println!("    done in {seconds:.1} s");
        Ok(())
    } else {
        Err(format!("{label}: failed after {seconds:.1} s ({status})"))
    }
}

/// The load test only counts if every request got a 2xx.
fn errors_are_zero(results: &Results) -> Outcome {
    for load in ["load", "load1", "load32"] {
        for target in ["ours", "js"] {
            let errors: f64 = results
                .samples
                .get(&format!("{load}.{target}.errors"))
                .map_or(0.0, |values| values.iter().sum());
            if errors > 0.0 {
                return Err(format!(
                    "the load test `{load}` of `{target}` had {errors} errors (non-2xx or socket errors)"
                ));
            }
        }
    }
    Ok(())
}

/// Median and spread of a set of runs: p10-p90 from 10 runs on, min-max below.
struct Stats {
    median: f64,
    low: f64,
    high: f64,
}

fn stats(values: &[f64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        let position = fraction * (sorted.len() - 1) as f64;
        let (below, above) = (position.floor() as usize, position.ceil() as usize);
        sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
    };
    let (low, high) = if sorted.len() >= 10 {
        (at(0.1), at(0.9))
    } else {
        (sorted[0], sorted[sorted.len() - 1])
    };
    Some(Stats {
        median: at(0.5),
        low,
        high,
    })
}

/// Three significant digits or so: 0.123, 1.23, 12.3, 123.
fn number(value: f64) -> String {
    match value.abs() {
        magnitude if magnitude >= 100.0 => format!("{value:.0}"),
        magnitude if magnitude >= 10.0 => format!("{value:.1}"),
        magnitude if magnitude >= 1.0 => format!("{value:.2}"),
        _ => format!("{value:.3}"),
    }
}

fn bytes(value: u64) -> String {
    if value >= 10_000 {
        format!("{:.1} KB", value as f64 / 1000.0)
    } else {
        format!("{value} B")
    }
}

fn ratio(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 {
        format!("{:.2}", ours / theirs)
    } else {
        "–".into()
    }
}

struct Table {
    lines: Vec<String>,
}

impl Table {
    fn row(&mut self, cells: [&str; 4]) {
        self.lines.push(format!("| {} |", cells.join(" | ")));
    }

    fn section(&mut self, title: &str) {
        self.row([&format!("**{title}**"), "", "", ""]);
    }

    fn sizes(&mut self, what: &str, ours: Transfer, theirs: Transfer) {
        for (label, ours, theirs) in [
            ("raw", ours.raw, theirs.raw),
            ("gzip -9", ours.gzip, theirs.gzip),
            ("brotli -11", ours.brotli, theirs.brotli),
        ] {
            self.row([
                &format!("{what}, {label}"),
                &bytes(ours),
                &bytes(theirs),
                &ratio(ours as f64, theirs as f64),
            ]);
        }
    }

    /// A timing row: median (spread) for both sides and the ratio of medians.
    fn timing(&mut self, what: &str, results: &Results, ours: &str, theirs: &str) {
        let cell =
            |name: &str| match stats(results.samples.get(name).map_or(&[][..], Vec::as_slice)) {
                Some(stats) => format!(
                    "{} ({}–{})",
                    number(stats.median),
                    number(stats.low),
                    number(stats.high)
                ),
                None => match results.notes.get(name) {
                    Some(note) => format!("not measured: {note}"),
                    None => "not measured".into(),
                },
            };
        let median = |name: &str| {
            stats(results.samples.get(name).map_or(&[][..], Vec::as_slice))
                .map(|stats| stats.median)
        };
        let ratio_cell = match (median(ours), median(theirs)) {
            (Some(ours), Some(theirs)) => ratio(ours, theirs),
            _ => "–".into(),
        };
        self.row([what, &cell(ours), &cell(theirs), &ratio_cell]);
    }
}

/// The emulated phone network's latency (closem-bench-browser's `NETWORKS`): one round trip.
const MOBILE_LATENCY_MS: f64 = 150.0;

fn report(settings: &Settings, sizes: &Sizes, results: &Results, load_average: &str) -> String {
    let count = |name: &str| results.samples.get(name).map_or(0, Vec::len);
    let median = |name: &str| {
        stats(results.samples.get(name).map_or(&[][..], Vec::as_slice))
            .map_or(0.0, |stats| stats.median)
    };
    let total = |name: &str| -> f64 {
        results
            .samples
            .get(name)
            .map_or(0.0, |values| values.iter().sum())
    };
    let formspree_version = package_version(&root().join("bench/node_modules/@formspree/ajax"));
    let wrangler_version = package_version(&root().join("node_modules/wrangler"));
    let chromium = output(cmd("chromium").arg("--version"))
        .unwrap_or_else(|| "Chromium (version unknown)".into());

    let mut table = Table { lines: Vec::new() };
    table.lines.push("# closem-forms benchmarks".into());
    table.lines.push(String::new());
    table.lines.push(format!(
        "Measured by `cargo xtask bench` on {} ({}; load average at start {}), with {}, \
         wrangler {wrangler_version} (workerd) and @formspree/ajax {formspree_version}. \
         Timings are medians with their spread in brackets: p10–p90 from 10 runs on, min–max \
         below. Each ratio is closem-forms / the alternative, both measured in the same run.",
        today(),
        machine(),
        load_average,
        chromium.trim()
    ));
    table.lines.push(String::new());
    table.row(["measure", "closem-forms", "alternative", "ratio"]);
    table.row(["---", "---:", "---:", "---:"]);

    table.section(&format!(
        "Widget, next to Formspree's script tag (@formspree/ajax {formspree_version} dist/global.js)"
    ));
    table.sizes(
        "transfer (closem.js + closem_bg.wasm)",
        sizes.widget,
        sizes.formspree,
    );
    let loads = count("startup.closem");
    table.timing(
        &format!(
            "start-up: script start to 3 forms enhanced, ms (headless Chromium, {loads} page loads)"
        ),
        results,
        "startup.closem",
        "startup.formspree",
    );
    let long_task = |script: &str| {
        let values = results
            .samples
            .get(&format!("longtask.{script}"))
            .map_or(&[][..], Vec::as_slice);
        let with = values.iter().filter(|&&value| value > 0.0).count();
        let longest = values.iter().copied().fold(0.0, f64::max);
        if with == 0 {
            format!("none in {} loads", values.len())
        } else {
            format!("{} ms ({with} of {} loads)", number(longest), values.len())
        }
    };
    table.row([
        "longest task ≥ 50 ms during start-up (Long Tasks API)",
        &long_task("closem"),
        &long_task("formspree"),
        "–",
    ]);
    table.timing(
        "submit event to request sent (`requestSubmit()` on a valid form), ms",
        results,
        "submit.closem",
        "submit.formspree",
    );
    // Start-up by stage (the widget's `performance.mark`s; `fetched` is the wasm's responseEnd),
    // each against Formspree's one stage, ready, on both networks.
    for (network, prefix) in [
        ("loopback", ""),
        ("phone network: 150 ms latency, 1.6 Mbit/s down", "mobile."),
    ] {
        let loads = count(&format!("{prefix}startup.closem"));
        for (stage, what) in [
            ("enhanced", "forms enhanced"),
            ("fetched", "wasm fetched"),
            ("compiled", "wasm compiled"),
            ("validation", "validation ready"),
        ] {
            table.timing(
                &format!(
                    "{network}: script start to {what}, ms ({loads} loads; alternative: Formspree ready)"
                ),
                results,
                &format!("{prefix}stage.{stage}.closem"),
                &format!("{prefix}startup.formspree"),
            );
        }
    }
    // The pinned embed (`<link rel=preload>` of the wasm beside the versioned script) on the
    // phone network, where the round trip it saves shows.
    let loads = count("mobile.startup.closem-pinned");
    for (stage, what) in [
        ("enhanced", "forms enhanced"),
        ("fetched", "wasm fetched"),
        ("validation", "validation ready"),
    ] {
        table.timing(
            &format!(
                "phone network, pinned embed with the wasm preloaded: script start to {what}, ms \
                 ({loads} loads; alternative: Formspree ready)"
            ),
            results,
            &format!("mobile.stage.{stage}.closem-pinned"),
            "mobile.startup.formspree",
        );
    }
    let target = median("mobile.startup.formspree") + MOBILE_LATENCY_MS;
    for (embed, name) in [
        ("the moving script tag", "closem"),
        ("the pinned embed (wasm preloaded)", "closem-pinned"),
    ] {
        let validation = median(&format!("mobile.stage.validation.{name}"));
        table.row([
            &format!(
                "phone network, {embed}: validation ready against Formspree ready + one round \
                 trip, ms"
            ),
            &number(validation),
            &number(target),
            &ratio(validation, target),
        ]);
    }

    table.section("Edge, next to a minimal JavaScript forwarding worker (bench/js-forwarder)");
    table.row([
        "bundle (index.js + index_bg.wasm / worker.js), raw",
        &bytes(sizes.edge.raw),
        &bytes(sizes.js_forwarder.raw),
        &ratio(sizes.edge.raw as f64, sizes.js_forwarder.raw as f64),
    ]);
    table.row([
        "bundle, gzip -9",
        &bytes(sizes.edge.gzip),
        &bytes(sizes.js_forwarder.gzip),
        &ratio(sizes.edge.gzip as f64, sizes.js_forwarder.gzip as f64),
    ]);
    table.timing(
        &format!(
            "`wrangler dev` start to first 200 from /health, ms ({} starts)",
            count("devstart.ours")
        ),
        results,
        "devstart.ours",
        "devstart.js",
    );
    table.timing(
        &format!(
            "startup phase in workerd (`wrangler check startup` profile window), ms ({} runs)",
            count("profile.ours")
        ),
        results,
        "profile.ours",
        "profile.js",
    );
    let load = format!(
        "{} s per worker in {} alternating rounds at concurrency {}, wrk on loopback",
        settings.seconds,
        count("load.ours.rps"),
        settings.connections
    );
    table.timing(
        &format!("`POST /f/lead` to the CLOSEM sandbox, requests/s ({load})"),
        results,
        "load.ours.rps",
        "load.js.rps",
    );
    table.timing(
        "latency p50, ms (median of the rounds' p50)",
        results,
        "load.ours.p50",
        "load.js.p50",
    );
    table.timing(
        "latency p99, ms (median of the rounds' p99)",
        results,
        "load.ours.p99",
        "load.js.p99",
    );
    table.row([
        "added latency at p50 (closem-forms − JavaScript), ms",
        &number(median("load.ours.p50") - median("load.js.p50")),
        "",
        "",
    ]);
    table.timing(
        &format!(
            "accept latency at concurrency 1, p50, ms ({} rounds)",
            count("load1.ours.p50")
        ),
        results,
        "load1.ours.p50",
        "load1.js.p50",
    );
    table.timing(
        "accept latency at concurrency 1, p99, ms",
        results,
        "load1.ours.p99",
        "load1.js.p99",
    );
    table.timing(
        "throughput at concurrency 32, requests/s",
        results,
        "load32.ours.rps",
        "load32.js.rps",
    );
    table.timing(
        "latency p99 at concurrency 32, ms",
        results,
        "load32.ours.p99",
        "load32.js.p99",
    );
    let all = |target: &str, what: &str| {
        ["load", "load1", "load32"]
            .iter()
            .map(|load| total(&format!("{load}.{target}.{what}")))
            .sum::<f64>()
    };
    table.row([
        "errors (non-2xx or socket) / requests, all loads",
        &format!("{} / {}", all("ours", "errors"), all("ours", "requests")),
        &format!("{} / {}", all("js", "errors"), all("js", "requests")),
        "",
    ]);
    table.row([
        &format!(
            "ledger calls per new lead while the visitor waits (counted in the worker's log, {} leads)",
            total("ledger.leads")
        ),
        &number(median("ledger.calls_per_lead")),
        "none (it calls CLOSEM instead)",
        "",
    ]);

    table.section("closem-shared natively (release build), for reference");
    let shared = stats(
        results
            .samples
            .get("shared.ns")
            .map_or(&[][..], Vec::as_slice),
    );
    table.row([
        &format!(
            "one typical lead through `Profile::accept` + `Submission::encode`, ns ({} batches)",
            count("shared.ns")
        ),
        &shared.map_or("not measured".into(), |stats| {
            format!(
                "{} ({}–{})",
                number(stats.median),
                number(stats.low),
                number(stats.high)
            )
        }),
        "",
        "",
    ]);
    table.lines.push(String::new());
    table.lines.push(
        "Both workers run in workerd under `wrangler dev` with the same flags and no static \
         assets, forwarding to the same CLOSEM sandbox; the sandbox and wrk share the machine, so \
         absolute numbers are pessimistic; the ratios are the point. closem-forms writes one \
         structured log line per submission and the JavaScript worker none: under `wrangler dev` \
         each `console.log` travels through the inspector to wrangler, which costs throughput.          The two do different work per request: closem-forms validates, maps, records the lead in          its Durable Object ledger and queues it (CLOSEM is called later by the queue consumer),          while the JavaScript worker forwards each post to CLOSEM before answering. Every request          is a new lead (wrk varies the notes), so none is answered from the ledger's dedupe."
            .into(),
    );
    table.lines.push(String::new());
    table.lines.push(CAPACITY.into());
    table.lines.push(String::new());
    table.lines.extend(wasm_top_items());
    table.lines.join("\n")
}

/// The widget's largest wasm items, from twiggy on the shipped module as the build optimises it
/// but with its names kept (`wasm-opt -Oz -g` on the glue's wasm, which the build then strips and
/// shortens): what twiggy shows on the release build before wasm-opt still holds what wasm-opt
/// removes (`core::fmt` among it). `cargo install twiggy` to see them.
fn wasm_top_items() -> Vec<String> {
    let glue = root().join("target/widget-glue");
    let named = glue.join("named.wasm");
    let top = build::tool("wasm-opt").ok().and_then(|wasm_opt| {
        output(
            cmd(&wasm_opt)
                .args(["-Oz", "-g"])
                .args(build::WASM_FEATURES)
                .arg(glue.join("closem_bg.wasm"))
                .arg("-o")
                .arg(&named),
        )?;
        let twiggy = which("twiggy")?;
        output(
            cmd(&twiggy.to_string_lossy())
                .args(["top", "-n", "12"])
                .arg(&named),
        )
    });
    match top {
        Some(top) => {
            let mut lines = vec![
                "The widget's largest wasm items (twiggy top on the shipped module, optimised, names kept):"
                    .into(),
                String::new(),
                "```".into(),
            ];
            lines.extend(top.lines().map(str::to_owned));
            lines.extend(["```".into(), String::new()]);
            lines
        }
        None => vec![
            "(twiggy is not installed: `cargo install twiggy` lists the wasm's largest items here.)"
                .into(),
            String::new(),
        ],
    }
}

/// What production can take, on paper: the platform's limits (with their sources, gathered in the
/// project's notes on platform limits) times the shards, next to the ledger calls counted above.
const CAPACITY: &str = "## Capacity estimate for production

Local `wrangler dev` runs every Durable Object, the queue and the consumer in one process on
this machine, so the figures above say what the code costs, not what Cloudflare can take. On
paper, per new lead:

| step | calls | limit | source |
| --- | --- | --- | --- |
| while the visitor waits | 1 ledger request (`record`: one row, its index entries, the alarm) | about 1,000 requests/s per Durable Object (soft limit, then \"overloaded\") | Cloudflare docs, durable-objects FAQ / limits |
| the shard's alarm | `sendBatch` of up to 90 rows per run: about 0.01-0.1 request per lead | 100 messages or 256 KB per `sendBatch` | Cloudflare docs, queues/platform/limits |
| delivery | 2 ledger requests per attempt (`begin`, `finish`) | the same 1,000/s per object | as above |
| the queue | 1 message per attempt | 5,000 messages/s per queue; up to 250 concurrent consumer invocations | queues/platform/limits; blog.cloudflare.com/how-we-built-cloudflare-queues |
| storage | about 1-1.5 KB per row with its fields and indexes, about 0.4 KB after retention | 10 GB per object; rows written dominate the price | durable-objects/platform/limits; durable-objects pricing |

So one shard sustains about 1,000 / 3 = 330 delivered leads/s (bursts of up to 1,000 leads/s are
accepted while deliveries lag behind), and the default 16 shards about 5,300 leads/s, at which
point the one queue (5,000 messages/s, one message per attempt) is the bound: about 4,000-5,000
leads/s with a few retries. Before this issue the single object took about 250 leads/s (four
calls per lead). Raise `LEDGER_SHARDS` (up to 1024) for more, and look at CLOSEM's own rate
limits first: 429s are honoured, not dropped. Storage per shard: 10 GB / 1.5 KB is about 7 million
rows with their fields, so about 100 million leads a month across 16 shards before retention
(30 days) has to keep up. A visitor far from a shard pays one round trip to it (objects are created
near their first caller and never move: durable-objects/reference/data-location); the write is
confirmed by a quorum of nearby followers before the answer (blog.cloudflare.com/sqlite-in-durable-objects).";

/// `"version": "x.y.z"` from a package's package.json.
fn package_version(package: &Path) -> String {
    let text = fs::read_to_string(package.join("package.json")).unwrap_or_default();
    text.split("\"version\"")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .unwrap_or("(unknown)")
        .to_string()
}

fn today() -> String {
    output(cmd("date").args(["-u", "+%Y-%m-%d"])).unwrap_or_else(|| "(unknown date)".into())
}

/// CPU model and core count, from /proc/cpuinfo.
fn machine() -> String {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim())
        .to_string();
    let cores = info
        .lines()
        .filter(|line| line.starts_with("processor"))
        .count();
    format!("{model}, {cores} cores")
}
