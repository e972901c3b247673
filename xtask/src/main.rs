//! `cargo xtask <verb>`: the project's automation (toolchain setup, builds, every test tier, the demo).

mod bench;
mod build;
mod check;
mod doctor;
mod fuzz;
mod jsonc;
mod process;
mod procfs;
mod run;
mod setup;
mod soak;
mod survivors;
mod test;
#[cfg(test)]
mod tidy;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <verb>

verbs:
  setup         install what the project needs on this machine (skips what is there)
  build         check, build-edge then build-widget (what `wrangler deploy` runs)
  build-widget  build the browser widget (closem.js + wasm) into widget/pkg
  build-edge    check, then build the Cloudflare Worker into edge/build
  doctor <URL or FILE> [--forms FILE]  say what each form[data-closem] of a page will send, and what stops a lead
  check [FILE]  validate the form profiles: edge/forms.json (or FILE) and FORMS in edge/wrangler.jsonc
  test [tier]   set up, build, then run every test tier (lint, unit, integration, browser)
  wrangler ...  run the project's wrangler (with Node 22) in edge/, e.g. `wrangler deploy`
  fuzz          rerun the parsers' fuzz properties for a time budget (--seconds N, default 60)
  soak [N [S [C]]]  fault injection: N leads (1000) over S seconds (60) from C clients (16), failing CLOSEM, killed worker
  bench         measure sizes, start-up and edge throughput next to the alternatives (prints a table)
  run           set up, build, start the CLOSEM sandbox, the worker in workerd and a customer site
                on another origin; Ctrl-C stops all";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verb = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let outcome = match verb {
        "setup" => setup::run(),
        // The edge first: it checks the profiles, so a bad one stops the build at once.
        "build" => build::edge().and_then(|()| build::widget().map(|_| ())),
        "build-widget" => build::widget().map(|_| ()),
        "build-edge" => build::edge(),
        "check" => check::run(rest),
        "doctor" => doctor::run(rest),
        "test" => test::run(rest),
        "run" => run::run(rest),
        "bench" => bench::run(rest),
        "soak" => soak::run(rest),
        "fuzz" => fuzz::run(rest),
        "wrangler" => setup::run().and_then(|()| {
            process::step(
                "wrangler",
                process::cmd("wrangler")
                    .args(rest)
                    .current_dir(process::root().join("edge")),
            )
        }),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown verb `{other}`\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}
