//! Running commands with visible progress and timings, and paths every verb shares.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub(crate) type Outcome<T = ()> = Result<T, String>;

/// The workspace root (the parent of xtask/).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// `node_modules/.bin`, put first on PATH so wrangler finds Node 22 and the npm tools.
pub(crate) fn npm_bin() -> PathBuf {
    root().join("node_modules").join(".bin")
}

/// PATH with `node_modules/.bin` and `~/.cargo/bin` in front.
pub(crate) fn tool_path() -> String {
    let mut parts = vec![npm_bin()];
    if let Some(home) = std::env::var_os("HOME") {
        parts.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(parts)
        .map(|joined| joined.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A command with the project's tool PATH and the quiet-wrangler settings.
pub(crate) fn cmd(program: &str) -> Command {
    let mut command = Command::new(program);
    command
        .env("PATH", tool_path())
        .env("WRANGLER_SEND_METRICS", "false")
        .current_dir(root());
    command
}

/// Runs a step to completion, printing what it is and how long it took.
pub(crate) fn step(label: &str, command: &mut Command) -> Outcome {
    let started = Instant::now();
    println!("==> {label}");
    let status = command.status().map_err(|error| {
        format!(
            "{label}: could not start {:?}: {error}",
            command.get_program()
        )
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if status.success() {
        println!("    {label}: done in {seconds:.1} s");
        Ok(())
    } else {
        Err(format!("{label}: failed after {seconds:.1} s ({status})"))
    }
}

/// Runs a command and returns its stdout (trimmed), or None when it cannot run or fails.
pub(crate) fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Finds an executable on the tool PATH.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&tool_path())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
