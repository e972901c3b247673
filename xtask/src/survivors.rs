//! What a verb started and is still running after it: every process whose environment carries the
//! verb's `CLOSEM_TEST_RUN=<id>`. The verb sets it on what it runs, and everything those start
//! inherits it (tests/src/child.rs explains how test children are stopped); what is left at the end
//! is named, stopped, and fails the verb.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The marker's name (tests/src/child.rs `RUN_VAR`).
pub(crate) const RUN_VAR: &str = "CLOSEM_TEST_RUN";

pub(crate) struct Run {
    id: String,
}

impl Run {
    pub(crate) fn new() -> Run {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        Run {
            id: format!("xtask-{}-{nanos}", std::process::id()),
        }
    }

    /// `CLOSEM_TEST_RUN=<id>`, for a person to look for with `grep -l ... /proc/*/environ`.
    pub(crate) fn marker(&self) -> String {
        format!("{RUN_VAR}={}", self.id)
    }

    /// Marks `command`, and so everything it starts, as part of this run.
    pub(crate) fn mark<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command.env(RUN_VAR, &self.id)
    }

    /// Gives the run's processes up to `grace` to end by themselves (watchdogs stop what a test
    /// binary left when it exits), then stops what is left and returns it as `pid command` lines.
    pub(crate) fn survivors(&self, grace: Duration) -> Vec<String> {
        let deadline = Instant::now() + grace;
        let mut left = self.processes();
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            left = self.processes();
        }
        if left.is_empty() {
            return Vec::new();
        }
        kill("TERM", &left);
        std::thread::sleep(Duration::from_secs(2));
        kill("KILL", &self.processes());
        left.iter()
            .map(|(pid, command)| format!("{pid} {command:.200}"))
            .collect()
    }

    /// Live processes (zombies excluded) carrying this run's marker, as (pid, command line).
    fn processes(&self) -> Vec<(u32, String)> {
        let wanted = format!("{RUN_VAR}={}", self.id);
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
}

fn kill(signal: &str, processes: &[(u32, String)]) {
    if processes.is_empty() {
        return;
    }
    let pids: Vec<String> = processes.iter().map(|(pid, _)| pid.to_string()).collect();
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -{signal} {} 2>/dev/null", pids.join(" ")))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn is_zombie(pid: u32) -> bool {
    // The state follows the command name, which is in parentheses and may hold spaces.
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
