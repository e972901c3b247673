//! `cargo xtask test [tier...]`: sets the machine up, builds both wasm artefacts, then runs every test
//! tier and prints one summary line per tier and a closing `N passed, N failed` line. Everything the
//! tiers start carries this run's marker; whatever is still running at the end is named, stopped,
//! and fails the run.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{cmd, root, Outcome};
use crate::survivors::Run;
use crate::{build, setup};

/// How long a tier's processes get to end after its commands exit (test binaries' watchdogs give
/// their children 5 s after SIGTERM before SIGKILL).
const SURVIVOR_GRACE: Duration = Duration::from_secs(20);

struct Tier {
    name: &'static str,
    what: &'static str,
    commands: fn() -> Vec<Command>,
}

const TIERS: &[Tier] = &[
    Tier {
        name: "lint",
        what: "cargo fmt --check and clippy -D warnings",
        commands: lint,
    },
    Tier {
        name: "unit",
        what:
            "closem-shared tables and property tests, edge decisions, widget size, tidy, natively",
        commands: unit,
    },
    Tier {
        name: "integration",
        what: "CLOSEM sandbox and the built worker in workerd",
        commands: integration,
    },
    Tier {
        name: "browser",
        what: "widget wasm-bindgen-tests in headless Chromium",
        commands: browser,
    },
];

#[derive(Default)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

pub(crate) fn run(args: &[String]) -> Outcome {
    for wanted in args {
        if !TIERS.iter().any(|tier| tier.name == wanted) {
            let names: Vec<&str> = TIERS.iter().map(|tier| tier.name).collect();
            return Err(format!(
                "unknown tier `{wanted}`; tiers: {}",
                names.join(", ")
            ));
        }
    }
    setup::run()?;
    build::widget()?;
    build::edge()?;

    let selected = TIERS
        .iter()
        .filter(|tier| args.is_empty() || args.iter().any(|wanted| wanted == tier.name));
    let mut summaries = Vec::new();
    let mut total = Counts::default();
    let mut any_failed = false;
    let run = Run::new();
    let mut survivors = Vec::new();
    for tier in selected {
        println!("\n==> tier {}: {}", tier.name, tier.what);
        let started = Instant::now();
        let mut counts = Counts::default();
        let mut ok = true;
        for mut command in (tier.commands)() {
            ok &= run_counting(run.mark(&mut command), &mut counts)?;
        }
        // What a tier leaves running fails it, counted so that the closing line says so.
        let left = run.survivors(SURVIVOR_GRACE);
        if !left.is_empty() {
            println!(
                "xtask: tier {} left {} running (now stopped):",
                tier.name,
                processes(left.len())
            );
            for survivor in &left {
                println!("  {survivor}");
            }
            ok = false;
            counts.failed += 1;
            survivors.extend(
                left.into_iter()
                    .map(|left| format!("  {}: {left}", tier.name)),
            );
        }
        let seconds = started.elapsed().as_secs_f64();
        any_failed |= !ok || counts.failed > 0;
        summaries.push(format!(
            "{:<12} {:>4} passed, {:>3} failed, {:>3} ignored  {:>6.1} s  {}",
            tier.name,
            counts.passed,
            counts.failed,
            counts.ignored,
            seconds,
            if ok { "ok" } else { "FAILED" }
        ));
        total.passed += counts.passed;
        total.failed += counts.failed;
        total.ignored += counts.ignored;
    }
    if survivors.is_empty() {
        summaries.push(format!(
            "{:<12} none left running ({})",
            "processes",
            run.marker()
        ));
    } else {
        summaries.push(format!(
            "{:<12} {} left running by the tiers ({}), now stopped: FAILED",
            "processes",
            processes(survivors.len()),
            run.marker()
        ));
        summaries.extend(survivors);
    }
    println!("\n==> summary");
    for line in &summaries {
        println!("{line}");
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    if any_failed {
        Err("some tests failed".into())
    } else {
        Ok(())
    }
}

fn processes(count: usize) -> String {
    match count {
        1 => "1 process".into(),
        _ => format!("{count} processes"),
    }
}

/// Runs a command, echoing its stdout, adding up every `test result:` line; true when it exits 0.
fn run_counting(command: &mut Command, counts: &mut Counts) -> Outcome<bool> {
    let failed_before = counts.failed;
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start {:?}: {error}", command.get_program()))?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(rest) = line.trim().strip_prefix("test result: ") {
                counts.passed += number_before(rest, " passed");
                counts.failed += number_before(rest, " failed");
                counts.ignored += number_before(rest, " ignored");
            }
        }
    }
    let status = child.wait().map_err(|error| error.to_string())?;
    if !status.success() && counts.failed == failed_before {
        // A build or lint failure has no `test result:` line: count it, so the closing line
        // never says "0 failed" for a red run.
        counts.failed += 1;
        println!(
            "xtask: {:?} failed ({status}) without a failing test to count",
            command.get_program()
        );
    }
    Ok(status.success())
}

/// In "ok. 12 passed; 0 failed", the number in front of `label`.
fn number_before(text: &str, label: &str) -> u64 {
    let Some(end) = text.find(label) else {
        return 0;
    };
    let start = text[..end]
        .rfind(|character: char| !character.is_ascii_digit())
        .map_or(0, |index| index + 1);
    text[start..end].parse().unwrap_or(0)
}

fn lint() -> Vec<Command> {
    let mut fmt = cmd("cargo");
    fmt.args(["fmt", "--all", "--", "--check"]);
    let mut clippy = cmd("cargo");
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    vec![fmt, clippy]
}

fn unit() -> Vec<Command> {
    let mut shared = cmd("cargo");
    shared.args(["test", "--package", "closem-shared", "--all-features"]);
    let mut edge = cmd("cargo");
    edge.args(["test", "--package", "closem-edge"]);
    // Natively the widget's crate runs its size check against the built widget/pkg.
    let mut widget = cmd("cargo");
    widget.args(["test", "--package", "closem-widget"]);
    // The tidy tests (xtask/src/tidy.rs): the architecture invariants, read from the tree; and
    // `check` and `doctor`: the forms file's checks and the doctor's findings.
    let mut xtask = cmd("cargo");
    xtask.args(["test", "--package", "xtask"]);
    vec![shared, edge, widget, xtask]
}

fn integration() -> Vec<Command> {
    let mut test = cmd("cargo");
    test.args(["test", "--package", "closem-tests"]);
    vec![test]
}

fn browser() -> Vec<Command> {
    let mut test = cmd("cargo");
    test.args([
        "test",
        "--package",
        "closem-widget",
        "--target",
        "wasm32-unknown-unknown",
    ])
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        "wasm-bindgen-test-runner",
    )
    .env("CHROMEDRIVER", chromedriver())
    .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    vec![test]
}

fn chromedriver() -> String {
    crate::process::which("chromedriver")
        .map(|path| path.to_string_lossy().into_owned())
        .unwrap_or_else(|| {
            root()
                .join("chromedriver-missing")
                .to_string_lossy()
                .into_owned()
        })
}
