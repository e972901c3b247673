//! The one proptest runner of `cargo xtask fuzz`'s properties, here for shared/'s and compiled
//! into the edge's body fuzzing too (`#[path]`), so both count and report inputs alike.

use std::cell::Cell;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseResult, TestRunner};

/// Runs `test` on generated inputs: `PROPTEST_CASES` of them when set, else `default_cases`
/// (sized so plain `cargo test` stays quick). A panic inside `test` fails the run like an
/// assertion, and the smallest failing input is reported. Prints how many inputs ran, as
/// `closem-fuzz: {crate_name}::{name}: N inputs, 0 panics`, which `cargo xtask fuzz` adds up.
pub(crate) fn fuzz<S: Strategy>(
    crate_name: &str,
    name: &str,
    default_cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default_cases);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        max_shrink_time: 30_000,
        ..Config::default()
    };
    let inputs = Cell::new(0u64);
    let outcome = TestRunner::new(config).run(&strategy, |value| {
        inputs.set(inputs.get() + 1);
        test(value)
    });
    if let Err(failure) = outcome {
        panic!("{name}: {failure}");
    }
    println!(
        "closem-fuzz: {crate_name}::{name}: {} inputs, 0 panics",
        inputs.get()
    );
}
