//! Nothing a test binary starts outlives it, however it ends (issue 16: after a green CI run four
//! `wrangler dev` instances and their workerd processes were still running). Each test runs
//! `closem-leak-probe`, which starts the sandbox, a worker in workerd and a headless Chromium the
//! way the tests do, ends it one way, and checks that no process marked with that probe's run is
//! left: wrangler, workerd, chromedriver, Chromium or the watchdogs themselves.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use closem_tests::child::{marked, new_id, stop_marked, Process};

/// Marks everything one probe starts (inherited by every descendant, next to `CLOSEM_TEST_RUN`).
const PROBE_VAR: &str = "CLOSEM_LEAK_PROBE";

/// Starting a worker and a browser on a busy 2-core machine can take a while.
const START_WAIT: Duration = Duration::from_secs(240);

/// The watchdogs' grace period is 5 s, then SIGKILL; workerd and Chromium then take a moment.
const GONE_WAIT: Duration = Duration::from_secs(30);

/// How the probe is ended once it says it is ready.
enum End {
    /// It is told to go on and ends by itself (the mode's way).
    ByItself,
    /// `kill -SIGNAL <probe>`.
    Signal(&'static str),
    /// `kill -SIGNAL -<probe's group>`, as a terminal's Ctrl-C reaches a foreground job.
    GroupSignal(&'static str),
}

struct Probe {
    child: Child,
    run: String,
    stderr: mpsc::Receiver<String>,
}

impl Probe {
    fn start(how: &str) -> (Probe, Vec<Process>) {
        let run = new_id();
        let mut child = Command::new(env!("CARGO_BIN_EXE_closem-leak-probe"))
            .arg(how)
            .env(PROBE_VAR, &run)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("start closem-leak-probe");
        let (stderr_sender, stderr) = mpsc::channel();
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            let _ = stderr_sender.send(text);
        });
        let (ready_sender, ready) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line == "ready" {
                    let _ = ready_sender.send(());
                }
            }
        });
        let mut probe = Probe { child, run, stderr };
        if ready.recv_timeout(START_WAIT).is_err() {
            let _ = probe.child.kill();
            let _ = probe.child.wait();
            panic!(
                "closem-leak-probe {how} did not get ready:\n{}",
                probe.stderr_text()
            );
        }
        let started = probe.processes();
        (probe, started)
    }

    fn processes(&self) -> Vec<Process> {
        marked(PROBE_VAR, &self.run)
    }

    fn stderr_text(&self) -> String {
        self.stderr
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default()
    }

    fn end(&mut self, end: End) -> ExitStatus {
        match end {
            End::ByItself => {
                let stdin = self.child.stdin.as_mut().expect("piped stdin");
                stdin.write_all(b"go\n").expect("tell the probe to go on");
                stdin.flush().expect("flush the probe's stdin");
            }
            End::Signal(signal) => kill(signal, &self.child.id().to_string()),
            End::GroupSignal(signal) => kill(signal, &format!("-{}", self.child.id())),
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let status = self.child.wait().expect("wait for the probe");
                panic!("the probe did not end within 60 s ({status})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until nothing of this probe's run is left; returns what is still running after
    /// [`GONE_WAIT`] (and then kills it, so a failing test leaves nothing either), and how long it took.
    fn survivors(&self) -> (Vec<Process>, Duration) {
        let started = Instant::now();
        while started.elapsed() < GONE_WAIT {
            if self.processes().is_empty() {
                return (Vec::new(), started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        (
            stop_marked(PROBE_VAR, &self.run, Duration::from_secs(2)),
            started.elapsed(),
        )
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        stop_marked(PROBE_VAR, &self.run, Duration::from_secs(2));
    }
}

fn kill(signal: &str, target: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -{signal} {target}"))
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {target}: {status}");
}

/// Runs the probe in mode `how`, ends it with `end`, and checks that it ended as `expected` says
/// and that every process it started is gone.
fn check(how: &str, end: End, expected: impl Fn(&ExitStatus) -> bool) {
    let (mut probe, started) = Probe::start(how);
    let listing = |processes: &[Process]| -> String {
        processes
            .iter()
            .map(|process| format!("  {} {:.160}", process.pid, process.command))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (what, needle) in [
        ("wrangler", "wrangler"),
        ("workerd", "workerd serve"),
        ("chromedriver", "chromedriver"),
        ("Chromium", "chromium"),
    ] {
        assert!(
            started
                .iter()
                .any(|process| process.command.contains(needle)),
            "the probe ({how}) runs no {what} carrying its marker; it runs:\n{}",
            listing(&started)
        );
    }
    let status = probe.end(end);
    let stderr = probe.stderr_text();
    assert!(
        expected(&status),
        "the probe ({how}) ended unexpectedly: {status}\n{stderr}"
    );
    let (survivors, waited) = probe.survivors();
    assert!(
        survivors.is_empty(),
        "{} of the {} processes the probe ({how}) started outlived it by {:.1} s:\n{}",
        survivors.len(),
        started.len(),
        waited.as_secs_f64(),
        listing(&survivors)
    );
    println!(
        "leaks: {how}: {} processes gone {:.1} s after the probe ended ({status})",
        started.len(),
        waited.as_secs_f64()
    );
}

#[test]
fn nothing_outlives_a_normal_exit_with_the_worker_in_a_static() {
    check("exit", End::ByItself, ExitStatus::success);
}

#[test]
fn nothing_outlives_workers_and_browsers_dropped_before_exit() {
    check("drop", End::ByItself, ExitStatus::success);
}

#[test]
fn nothing_outlives_a_failing_assertion() {
    check("panic", End::ByItself, |status| status.code() == Some(101));
}

#[test]
fn nothing_outlives_a_panic_in_a_static_initialiser() {
    check("setup-panic", End::ByItself, |status| {
        status.code() == Some(101)
    });
}

#[test]
fn nothing_outlives_an_exit_while_the_main_thread_is_stuck() {
    check("timeout", End::ByItself, |status| status.code() == Some(1));
}

#[test]
fn nothing_outlives_sigterm() {
    check("wait", End::Signal("TERM"), |status| {
        status.signal() == Some(15)
    });
}

#[test]
fn nothing_outlives_sigkill() {
    check("wait", End::Signal("KILL"), |status| {
        status.signal() == Some(9)
    });
}

#[test]
fn nothing_outlives_ctrl_c_to_the_group() {
    check("wait", End::GroupSignal("INT"), |status| {
        status.signal() == Some(2)
    });
}
