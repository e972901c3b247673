//! `cargo xtask run`: the local product. Builds what changed, starts the CLOSEM sandbox and the worker
//! in workerd with the demo forms, prints the URL, and stops every child on Ctrl-C.

use crate::process::Outcome;

pub fn run(_args: &[String]) -> Outcome {
    Err("not yet".into())
}
