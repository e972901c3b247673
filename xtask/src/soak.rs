//! `cargo xtask soak [SUBMISSIONS [SECONDS]]`: the full fault-injection run of issue 6. Builds the
//! worker, then runs the ignored test `edge_durable::soak_fault_injection` (1,000 submissions over
//! 60 s unless told otherwise) against real workerd and the CLOSEM sandbox while the sandbox fails
//! 30% of requests, answers too slowly for a window, drops connections and goes down for another
//! window. It prints submitted, delivered, refused, dead-lettered, duplicates and lost, and fails
//! unless nothing is lost or duplicated. Bounded: the test gives up after its drain deadlines.

use crate::build;
use crate::process::{self, Outcome};

pub fn run(args: &[String]) -> Outcome {
    let number = |index: usize, default: &str| -> Outcome<String> {
        let text = args.get(index).map_or(default, String::as_str);
        text.parse::<u32>()
            .map(|value| value.to_string())
            .map_err(|_| format!("soak: `{text}` is not a whole number\nusage: cargo xtask soak [SUBMISSIONS [SECONDS]]"))
    };
    let submissions = number(0, "1000")?;
    let seconds = number(1, "60")?;
    build::edge()?;
    process::step(
        &format!("fault injection: {submissions} submissions over {seconds} s"),
        process::cmd("cargo")
            .args(["test", "-p", "closem-tests", "--test", "it"])
            .args([
                "edge_durable::soak_fault_injection",
                "--",
                "--ignored",
                "--nocapture",
            ])
            .env("CLOSEM_SOAK_SUBMISSIONS", submissions)
            .env("CLOSEM_SOAK_SECONDS", seconds),
    )
}
