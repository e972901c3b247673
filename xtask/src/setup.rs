//! `cargo xtask setup`: installs what the project needs on a fresh machine, skipping what is already
//! there at the right version, and prints each step's time. Every later verb calls it first.

use std::fs;
use std::time::Instant;

use crate::process::{cmd, output, root, step, which, Outcome};

/// worker-build turns the edge crate into a Worker bundle. Pinned: its output format and the shim it
/// writes change between releases.
pub(crate) const WORKER_BUILD_VERSION: &str = "0.8.7";

/// What the tests need from Debian: the browser and its driver (they must match, so both from apt),
/// brotli for the size figures, sqlite3 for ageing a stopped worker's ledger (retention test).
const APT_PACKAGES: &[&str] = &["chromium", "chromium-driver", "brotli", "sqlite3"];

pub(crate) fn run() -> Outcome {
    let started = Instant::now();
    println!("==> setup: checking the toolchain");
    wasm_target()?;
    wasm_bindgen_cli()?;
    worker_build()?;
    npm_tools()?;
    browser()?;
    println!(
        "==> setup: ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn wasm_target() -> Outcome {
    let installed =
        output(cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|line| line.trim() == "wasm32-unknown-unknown")
    {
        println!("    wasm32-unknown-unknown target: present");
        return Ok(());
    }
    step(
        "install the wasm32-unknown-unknown target",
        cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
    )
}

/// The version of the `wasm-bindgen` crate that Cargo.lock pins; the CLI must match it exactly.
pub(crate) fn locked_wasm_bindgen_version() -> Outcome<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|error| format!("cannot read Cargo.lock: {error}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|next| next.strip_prefix("version = \""))
            {
                return Ok(version.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn wasm_bindgen_cli() -> Outcome {
    let wanted = locked_wasm_bindgen_version()?;
    let have = output(cmd("wasm-bindgen").arg("--version")).unwrap_or_default();
    let runner = which("wasm-bindgen-test-runner").is_some();
    if have == format!("wasm-bindgen {wanted}") && runner {
        println!("    wasm-bindgen-cli {wanted}: present");
        return Ok(());
    }
    // No --locked: the CLI's own lockfile names a crate version this registry mirror lacks.
    step(
        &format!("install wasm-bindgen-cli {wanted} (matches Cargo.lock; a few minutes)"),
        cmd("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--force",
            "--version",
            &wanted,
        ]),
    )
}

fn worker_build() -> Outcome {
    let have = output(cmd("worker-build").arg("--version")).unwrap_or_default();
    if have.trim() == WORKER_BUILD_VERSION {
        println!("    worker-build {WORKER_BUILD_VERSION}: present");
        return Ok(());
    }
    step(
        &format!("install worker-build {WORKER_BUILD_VERSION} (several minutes)"),
        cmd("cargo").args([
            "install",
            "worker-build",
            "--force",
            "--version",
            WORKER_BUILD_VERSION,
        ]),
    )
}

/// wrangler (workerd), binaryen (wasm-opt), esbuild and Node 22 come from the committed lockfile.
/// A copy of the lockfile inside node_modules records what was installed last.
fn npm_tools() -> Outcome {
    let lock_path = root().join("package-lock.json");
    let stamp_path = root()
        .join("node_modules")
        .join(".closem-package-lock.json");
    let lock =
        fs::read(&lock_path).map_err(|error| format!("cannot read package-lock.json: {error}"))?;
    if fs::read(&stamp_path).ok().as_deref() == Some(lock.as_slice()) {
        println!("    npm tools (wrangler, binaryen, esbuild, node 22): present");
        return Ok(());
    }
    if which("npm").is_none() {
        return Err("npm is missing: install Node.js 20 or newer with npm, then run again".into());
    }
    step(
        "install npm tools from package-lock.json (wrangler, binaryen, esbuild, node 22)",
        cmd("npm").args(["ci", "--no-audit", "--no-fund"]),
    )?;
    fs::write(&stamp_path, &lock).map_err(|error| format!("cannot write {stamp_path:?}: {error}"))
}

fn browser() -> Outcome {
    ensure_apt(APT_PACKAGES)
}

/// Installs the Debian packages whose binaries are missing (when root; otherwise says what to run).
pub(crate) fn ensure_apt(packages: &[&str]) -> Outcome {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| which(binary_of(package)).is_none())
        .collect();
    if missing.is_empty() {
        println!("    {}: present", packages.join(", "));
        return Ok(());
    }
    let is_root = output(cmd("id").arg("-u")).as_deref() == Some("0");
    if !is_root {
        return Err(format!(
            "missing {}: install them with `sudo apt-get install -y {}` (Debian/Ubuntu) and run again",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    step("apt-get update", cmd("apt-get").args(["update", "-qq"]))?;
    step(
        &format!("install {} from apt", missing.join(", ")),
        cmd("apt-get")
            .args(["install", "-y", "-qq"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn binary_of(package: &str) -> &str {
    match package {
        "chromium-driver" => "chromedriver",
        other => other,
    }
}
