//! Processes by the marker in their environment, read from `/proc`, and signals sent to them: one
//! file for `survivors.rs` here and, compiled in by `#[path]`, the tests' `child.rs`, which mark
//! what they start the same way.

use std::process::{Command, Stdio};

/// Every live process (zombies excluded) whose environment holds `name=value`, as (pid, command
/// line), by pid. Processes whose environment cannot be read (other users', without root) are not
/// seen.
pub(crate) fn marked(name: &str, value: &str) -> Vec<(u32, String)> {
    let wanted = format!("{name}={value}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found: Vec<(u32, String)> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|byte| *byte == 0)
                    .any(|entry| entry == wanted.as_bytes())
            }) && !is_zombie(*pid)
        })
        .map(|pid| (pid, command_line(pid)))
        .collect();
    found.sort();
    found
}

/// `kill -SIGNAL targets...` through the shell's builtin (present wherever `sh` is; it goes on past
/// targets that are already gone). A target `-N` is process group N. The shell runs without the
/// marker `unmark`, so it is never among what it signals.
pub(crate) fn send(signal: &str, targets: &[String], unmark: &str) {
    if targets.is_empty() {
        return;
    }
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -{signal} {} 2>/dev/null", targets.join(" ")))
        .env_remove(unmark)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn is_zombie(pid: u32) -> bool {
    // The state follows the command name, which is in parentheses and may itself hold spaces.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after_name = &stat[stat.rfind(')')? + 1..];
            after_name
                .split_whitespace()
                .next()
                .map(|state| state == "Z")
        })
        .unwrap_or(true)
}

fn command_line(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| {
            bytes
                .split(|byte| *byte == 0)
                .filter(|part| !part.is_empty())
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
