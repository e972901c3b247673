//! What a verb started and is still running after it: every process whose environment carries the
//! verb's `CLOSEM_TEST_RUN=<id>`. The verb sets it on what it runs, and everything those start
//! inherits it (tests/src/child.rs explains how test children are stopped); what is left at the end
//! is named, stopped, and fails the verb.

use std::process::Command;

use crate::procfs;
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
        procfs::marked(RUN_VAR, &self.id)
    }
}

fn kill(signal: &str, processes: &[(u32, String)]) {
    let pids: Vec<String> = processes.iter().map(|(pid, _)| pid.to_string()).collect();
    procfs::send(signal, &pids, RUN_VAR);
}
