//! `cargo xtask run`: the local product. Builds what changed, then runs `closem-demo` (tests/src/bin),
//! which starts the CLOSEM sandbox and the worker in workerd with the demo forms and prints the URL.
//! Ctrl-C reaches the demo, which stops its children; this process waits for it to finish.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::process::{cmd, root, step, Outcome};
use crate::{build, setup};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub fn run(args: &[String]) -> Outcome {
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
    let status = cmd(&demo.to_string_lossy())
        .args(args)
        .status()
        .map_err(|error| format!("cannot start {}: {error}", demo.display()))?;
    if status.success() || INTERRUPTED.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err(format!("the demo stopped: {status}"))
    }
}
