//! `cargo xtask run`: the local product. Builds what changed, then runs `closem-demo` (tests/src/bin),
//! which starts the CLOSEM sandbox and the worker in workerd with the demo forms and prints the URL.
//! Ctrl-C reaches the demo, which stops its children; this process waits for it to finish, then
//! checks that nothing the demo started is still running (and stops and names what is).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::process::{cmd, root, step, Outcome};
use crate::survivors::Run;
use crate::{build, setup};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How long the demo's processes get to end after it exits (its watchdogs allow 5 s after SIGTERM).
const SURVIVOR_GRACE: Duration = Duration::from_secs(10);

pub(crate) fn run(args: &[String]) -> Outcome {
    setup::run()?;
    build::widget()?;
    build::edge()?;
    step(
        "build the demo launcher",
        cmd("cargo").args([
            "build",
            "--quiet",
            "--package",
            "closem-tests",
            "--bin",
            "closem-demo",
        ]),
    )?;
    // The terminal sends Ctrl-C to the whole foreground group: let the demo handle it and wait.
    ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
        .map_err(|error| format!("cannot handle Ctrl-C: {error}"))?;
    let demo = root().join("target").join("debug").join("closem-demo");
    let run = Run::new();
    let status = run
        .mark(cmd(&demo.to_string_lossy()).args(args))
        .status()
        .map_err(|error| format!("cannot start {}: {error}", demo.display()))?;
    let survivors = run.survivors(SURVIVOR_GRACE);
    if !survivors.is_empty() {
        return Err(format!(
            "the demo left {} process(es) running (now stopped):\n  {}",
            survivors.len(),
            survivors.join("\n  ")
        ));
    }
    if status.success() || INTERRUPTED.load(Ordering::SeqCst) {
        println!("==> stopped; nothing left running");
        Ok(())
    } else {
        Err(format!("the demo stopped: {status}"))
    }
}
