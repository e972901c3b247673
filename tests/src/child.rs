//! A child process group that dies with its owner: killed on drop, and by a watchdog when the test
//! binary exits without dropping it (statics shared by many tests are never dropped).

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

pub struct ChildGuard {
    child: Child,
    watchdog: Option<Child>,
}

impl ChildGuard {
    /// Spawns `command` in a new process group, plus a watchdog that kills that group once our end of
    /// its stdin pipe closes, which the kernel does when this process exits for any reason.
    pub fn spawn(command: &mut Command) -> std::io::Result<ChildGuard> {
        let child = command.process_group(0).spawn()?;
        let group = child.id();
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "cat >/dev/null; kill -TERM -- -{group} 2>/dev/null"
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok();
        Ok(ChildGuard { child, watchdog })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
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
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let group = self.child.id();
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{group}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
        if let Some(mut watchdog) = self.watchdog.take() {
            // Closing its stdin lets the watchdog finish; the group is already gone.
            if let Some(mut stdin) = watchdog.stdin.take() {
                let _ = stdin.flush();
            }
            let _ = watchdog.wait();
        }
    }
}
