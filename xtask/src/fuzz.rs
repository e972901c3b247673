//! `cargo xtask fuzz [--seconds N]`: a bounded fuzz run (issue 6). Reruns the proptest fuzz
//! properties of the body parsers (edge/src/body/fuzz.rs) and of the phone, email, timestamp,
//! `parse` and profile parsers (shared/tests/it/fuzz.rs) in rounds with a large `PROPTEST_CASES`,
//! each round with fresh random seeds, until the time budget is spent; then prints how many inputs
//! each property ran. Any panic or broken property fails the run with proptest's minimal input.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{cmd, step, Outcome};

const DEFAULT_SECONDS: u64 = 60;
/// Cases per property in the first round; later rounds are sized from its pace.
const FIRST_ROUND_CASES: u64 = 2_000;
/// Rounds are kept short so a run ends close to its budget.
const LONGEST_ROUND: Duration = Duration::from_secs(30);

/// One crate's fuzz properties: the cargo arguments that build and select them.
struct Target {
    label: &'static str,
    cargo_args: &'static [&'static str],
}

const TARGETS: &[Target] = &[
    Target {
        label: "edge body parsers",
        cargo_args: &["test", "-q", "-p", "closem-edge", "--lib"],
    },
    Target {
        label: "shared value parsers and profiles",
        cargo_args: &[
            "test",
            "-q",
            "-p",
            "closem-shared",
            "--all-features",
            "--test",
            "it",
        ],
    },
];

pub(crate) fn run(args: &[String]) -> Outcome {
    let budget = Duration::from_secs(seconds(args)?);
    for target in TARGETS {
        step(
            &format!("build {}", target.label),
            cargo(target).arg("--no-run"),
        )?;
    }

    let started = Instant::now();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    let mut rounds = 0;
    let mut cases = FIRST_ROUND_CASES;
    loop {
        let round_started = Instant::now();
        rounds += 1;
        println!("==> fuzz round {rounds}: PROPTEST_CASES={cases}");
        for target in TARGETS {
            let counts = run_round(target, cases)?;
            for (name, inputs) in counts {
                *totals.entry(name).or_default() += inputs;
            }
        }
        let round_time = round_started.elapsed();
        let remaining = budget.saturating_sub(started.elapsed());
        // Size the next round to the pace of this one so it ends within the budget.
        let per_case = round_time.as_secs_f64() / cases as f64;
        let next = (remaining.min(LONGEST_ROUND).as_secs_f64() / per_case * 0.9) as u64;
        if next < 100 {
            break;
        }
        cases = next;
    }

    let seconds = started.elapsed().as_secs_f64();
    let total: u64 = totals.values().sum();
    println!(
        "\nfuzz: {rounds} rounds in {seconds:.0} s (budget {} s)",
        budget.as_secs()
    );
    for (name, inputs) in &totals {
        println!("  {name:<40} {inputs:>10} inputs");
    }
    println!("fuzz: {total} inputs, 0 panics, 0 failed properties");
    Ok(())
}

fn seconds(args: &[String]) -> Outcome<u64> {
    match args {
        [] => Ok(DEFAULT_SECONDS),
        [flag, value] if flag == "--seconds" => value
            .parse::<u64>()
            .ok()
            .filter(|seconds| *seconds > 0)
            .ok_or_else(|| format!("--seconds wants a positive whole number, not `{value}`")),
        _ => Err("usage: cargo xtask fuzz [--seconds N]".to_string()),
    }
}

fn cargo(target: &Target) -> Command {
    let mut command = cmd("cargo");
    command.args(target.cargo_args);
    command
}

/// Runs the target's fuzz properties once with `cases` inputs each; returns inputs per property
/// from the `closem-fuzz: NAME: N inputs, 0 panics` lines they print.
fn run_round(target: &Target, cases: u64) -> Outcome<Vec<(String, u64)>> {
    let output = cargo(target)
        .args(["fuzz", "--", "--nocapture"])
        .env("PROPTEST_CASES", cases.to_string())
        .output()
        .map_err(|error| format!("{}: could not start cargo: {error}", target.label))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
        return Err(format!(
            "{}: a fuzz property failed or panicked (minimal input above)",
            target.label
        ));
    }
    let counts: Vec<(String, u64)> = stdout.lines().filter_map(count_line).collect();
    if counts.is_empty() {
        return Err(format!("{}: no fuzz property ran", target.label));
    }
    for (name, inputs) in &counts {
        println!("    {name}: {inputs} inputs");
    }
    Ok(counts)
}

/// The harness's progress dots may share the line, so the marker is looked for anywhere in it.
fn count_line(line: &str) -> Option<(String, u64)> {
    const MARKER: &str = "closem-fuzz: ";
    let rest = &line[line.find(MARKER)? + MARKER.len()..];
    let (name, tail) = rest.rsplit_once(": ")?;
    let inputs = tail.strip_suffix(" inputs, 0 panics")?.parse().ok()?;
    Some((name.to_string(), inputs))
}
