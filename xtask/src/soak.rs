//! `cargo xtask soak [SUBMISSIONS [SECONDS [CLIENTS]]]`: the full fault-injection run of issues 6
//! and 11. Builds the worker, then runs the ignored test `edge_soak::soak_fault_injection`
//! (1,000 leads from 16 clients over 60 s unless told otherwise) against real workerd and the
//! CLOSEM sandbox while the sandbox fails 30% of requests with 503, answers a stretch with 429
//! and `Retry-After`, refuses the API key (401) for a window and goes down for another, and
//! workerd is killed hard (SIGKILL of its process group) mid-burst and restarted on the same
//! state folder. It prints submitted, accepted, delivered, duplicates, lost and the CLOSEM
//! request count, and fails unless every accepted lead was delivered exactly once. Bounded: the
//! test gives up after its drain deadlines.

use crate::build;
use crate::process::{self, Outcome};

pub(crate) fn run(args: &[String]) -> Outcome {
    let number = |index: usize, default: &str| -> Outcome<String> {
        let text = args.get(index).map_or(default, String::as_str);
        text.parse::<u32>()
            .map(|value| value.to_string())
            .map_err(|_| format!("soak: `{text}` is not a whole number\nusage: cargo xtask soak [SUBMISSIONS [SECONDS [CLIENTS]]]"))
    };
    let submissions = number(0, "1000")?;
    let seconds = number(1, "60")?;
    let clients = number(2, "16")?;
    build::edge()?;
    process::step(
        &format!("fault injection: {submissions} leads from {clients} clients over {seconds} s"),
        process::cmd("cargo")
            .args(["test", "-p", "closem-tests", "--test", "it"])
            .args([
                "edge_soak::soak_fault_injection",
                "--",
                "--ignored",
                "--nocapture",
            ])
            .env("CLOSEM_SOAK_SUBMISSIONS", submissions)
            .env("CLOSEM_SOAK_SECONDS", seconds)
            .env("CLOSEM_SOAK_CLIENTS", clients),
    )
}
