//! Child processes that die with their owner, however it ends: killed on drop, and by a watchdog
//! when the owner exits without dropping them (statics shared by many tests are never dropped; a
//! binary killed with SIGTERM or SIGKILL runs no destructor).
//!
//! Every child is found two ways: by its process group, and by a marker in its environment,
//! `CLOSEM_CHILD=<unique>`, which its own children (workerd under wrangler, Chromium under
//! chromedriver) inherit even when they leave the group. A whole run is marked the same way by
//! `CLOSEM_TEST_RUN=<id>` (set by `cargo xtask test` and `cargo xtask run` on everything they start
//! and inherited from there), so that what outlives a run can be named afterwards ([`marked`]).

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// xtask's reader of /proc, so the verbs and the tests find marked processes alike.
#[path = "../../xtask/src/procfs.rs"]
mod procfs;

/// The variable that marks every process of one test run or demo run.
pub const RUN_VAR: &str = "CLOSEM_TEST_RUN";

/// The variable that marks one [`ChildGuard`]'s child and all its descendants.
pub const CHILD_VAR: &str = "CLOSEM_CHILD";

/// How long a child has to exit after SIGTERM before it is sent SIGKILL. workerd waits for open
/// HTTP connections to close on SIGTERM (a browser may keep one for about ten seconds).
const GRACE: Duration = Duration::from_secs(5);

/// What the watchdog runs: it reads the child's process group, waits for end of file on its stdin
/// (the kernel closes our end of the pipe when this process exits, for any reason), then sends
/// SIGTERM to the group and to every process carrying the marker, and SIGKILL to what is left after
/// the grace period. The group is signalled only while its leader still carries the marker (a
/// process id is reused once its process is gone). Only shell builtins wait, so killing the
/// watchdog leaves nothing behind. `$1` is `CLOSEM_CHILD=<marker>`. (dash's `kill` takes no `--`:
/// `kill -TERM -- -GROUP` fails there, which is how test workers used to outlive their run.)
const WATCHDOG: &str = r#"mark=$1
read -r group
while read -r line; do :; done
marked() { grep -lsxzF "$mark" /proc/[0-9]*/environ; }
sweep() {
  pids=""
  for file in $(marked); do pid=${file#/proc/}; pids="$pids ${pid%/environ}"; done
  grep -qsxzF "$mark" "/proc/$group/environ" && pids="$pids -$group"
  [ -n "$pids" ] && kill -$1 $pids 2>/dev/null
}
sweep TERM
tries=0
while [ $tries -lt 50 ] && [ -n "$(marked)" ]; do sleep 0.1; tries=$((tries + 1)); done
sweep KILL
"#;

pub struct ChildGuard {
    child: Child,
    marker: String,
    watchdog: Child,
    /// Our end of the watchdog's stdin: closed by the kernel when this process exits.
    watchdog_stdin: Option<ChildStdin>,
}

impl ChildGuard {
    /// Spawns `command` in a new process group with a fresh `CLOSEM_CHILD` marker, after starting
    /// the watchdog that kills that group and everything carrying the marker once this process
    /// exits. The watchdog starts first, so no moment exists in which the child runs unwatched.
    pub fn spawn(command: &mut Command) -> std::io::Result<ChildGuard> {
        let marker = new_id();
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("closem-watchdog")
            .arg(format!("{CHILD_VAR}={marker}"))
            .env_remove(CHILD_VAR)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own group: a Ctrl-C or a kill aimed at our group does not take the watchdog too.
            .process_group(0)
            .spawn()?;
        let mut watchdog_stdin = watchdog.stdin.take();
        let child = match command.env(CHILD_VAR, &marker).process_group(0).spawn() {
            Ok(child) => child,
            Err(error) => {
                let _ = watchdog.kill();
                let _ = watchdog.wait();
                return Err(error);
            }
        };
        if let Some(stdin) = watchdog_stdin.as_mut() {
            let _ = writeln!(stdin, "{}", child.id());
            let _ = stdin.flush();
        }
        Ok(ChildGuard {
            child,
            marker,
            watchdog,
            watchdog_stdin,
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The value of `CLOSEM_CHILD` this child and its descendants carry.
    pub fn marker(&self) -> &str {
        &self.marker
    }

    /// The child's piped stdout and stderr, for a reader thread to own.
    pub fn take_output(
        &mut self,
    ) -> (
        Option<std::process::ChildStdout>,
        Option<std::process::ChildStderr>,
    ) {
        (self.child.stdout.take(), self.child.stderr.take())
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// How the process ended, once it has (its descendants may still run until the guard drops).
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends `signal` to every process carrying the child's marker, and to its group while the
    /// child is not yet reaped (until then its id, and so the group's, cannot be reused).
    fn signal(&mut self, signal: &str) {
        let mut targets: Vec<String> = marked(CHILD_VAR, &self.marker)
            .iter()
            .map(|process| process.pid.to_string())
            .collect();
        if matches!(self.child.try_wait(), Ok(None)) {
            targets.push(format!("-{}", self.child.id()));
        }
        send(signal, &targets);
    }

    /// Waits until the child has exited and nothing carries its marker, up to `limit`.
    fn wait_gone(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let exited = !matches!(self.child.try_wait(), Ok(None));
            if exited && marked(CHILD_VAR, &self.marker).is_empty() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.signal("TERM");
        if !self.wait_gone(GRACE) {
            self.signal("KILL");
            self.wait_gone(GRACE);
        }
        let _ = self.child.wait();
        // Everything is gone: stop the watchdog before closing its stdin, so it does not sweep.
        let _ = self.watchdog.kill();
        drop(self.watchdog_stdin.take());
        let _ = self.watchdog.wait();
    }
}

/// A live process found by its marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// Its command line, arguments separated by spaces.
    pub command: String,
}

/// Every live process (zombies excluded) whose environment holds `name=value`. Processes whose
/// environment cannot be read (other users', without root) are not seen.
pub fn marked(name: &str, value: &str) -> Vec<Process> {
    procfs::marked(name, value)
        .into_iter()
        .map(|(pid, command)| Process { pid, command })
        .collect()
}

/// Sends SIGTERM to every process marked `name=value`, then SIGKILL to what is left after `grace`,
/// and returns what was found running at first.
pub fn stop_marked(name: &str, value: &str, grace: Duration) -> Vec<Process> {
    let found = marked(name, value);
    if found.is_empty() {
        return found;
    }
    let pids = |processes: &[Process]| -> Vec<String> {
        processes
            .iter()
            .map(|process| process.pid.to_string())
            .collect()
    };
    send("TERM", &pids(&found));
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && !marked(name, value).is_empty() {
        std::thread::sleep(Duration::from_millis(100));
    }
    send("KILL", &pids(&marked(name, value)));
    found
}

/// A fresh id for a run or a child: this process's id, the time and a counter.
pub fn new_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `kill -SIGNAL targets...`; a target `-N` is process group N.
fn send(signal: &str, targets: &[String]) {
    procfs::send(signal, targets, CHILD_VAR);
}
