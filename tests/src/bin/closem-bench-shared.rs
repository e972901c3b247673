//! `cargo xtask bench` natively: what one submission costs in `closem-shared` (map, parse, validate
//! and normalise through `Profile::accept`, then `Submission::encode`), as a reference for the edge.
//!
//! Runs a typical lead through the demo's `contact` profile in timed batches and prints one
//! `sample shared.ns NANOSECONDS-PER-SUBMISSION` line per batch. Meant for a release build.

use std::hint::black_box;
use std::time::{Duration, Instant};

use closem_shared::{Context, Forms};

/// The demo's forms: `contact` maps Contact Form 7-style names and folds unmapped inputs into notes.
const FORMS: &str = include_str!("../../demo/forms.json");

/// A typical lead as the widget posts it, honeypot included.
const LEAD: [(&str, &str); 6] = [
    ("your-name", "Ada Lovelace"),
    ("your-email", "Ada.Lovelace@Example.com"),
    ("your-phone", "+1 (555) 444-3333"),
    (
        "your-message",
        "A demo for a team of twelve, next week if possible.",
    ),
    ("budget", "10-20k"),
    ("company_website", ""),
];

const BATCHES: usize = 25;
const BATCH_TIME: Duration = Duration::from_millis(40);

fn main() {
    let forms = Forms::from_json_str(FORMS).unwrap_or_else(|errors| {
        eprintln!("closem-bench-shared: tests/demo/forms.json is invalid: {errors:?}");
        std::process::exit(1)
    });
    let Some(profile) = forms.get("contact") else {
        eprintln!("closem-bench-shared: tests/demo/forms.json has no `contact` form");
        std::process::exit(1)
    };
    // A fixed clock keeps runs comparable; the lead has no time field anyway.
    let context = Context::utc(1_800_000_000);
    let submit = || {
        let accepted = profile.accept(black_box(&LEAD), &context);
        black_box(accepted.map(|accepted| accepted.submission.encode()))
    };
    if let Err(issues) = submit() {
        eprintln!("closem-bench-shared: the typical lead was refused: {issues:?}");
        std::process::exit(1)
    }

    // Size a batch to about BATCH_TIME so the clock's resolution does not matter.
    let mut per_batch: u32 = 1;
    loop {
        let started = Instant::now();
        for _ in 0..per_batch {
            let _ = submit();
        }
        if started.elapsed() >= BATCH_TIME / 4 || per_batch >= 1 << 24 {
            break;
        }
        per_batch *= 2;
    }
    per_batch *= 4;
    for _ in 0..BATCHES {
        let started = Instant::now();
        for _ in 0..per_batch {
            let _ = submit();
        }
        let nanos = started.elapsed().as_nanos() as f64 / f64::from(per_batch);
        println!("sample shared.ns {nanos:.1}");
    }
}
