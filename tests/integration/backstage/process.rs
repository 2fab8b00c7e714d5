//! The servers the tier starts: each logs into its case's folder, listens on 127.0.0.1,
//! is stopped by its PID, and every wait for one is bounded.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A started server process and the file its stdout and stderr go to.
pub struct Server {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// The user id the server's process runs as (from `/proc/PID/status`).
    pub fn uid(&self) -> Option<u32> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// Starts `command` with stdout and stderr appended to `log`.
    pub fn start(name: &str, mut command: Command, log: &Path) -> Self {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("a second handle on the log"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e} ({command:?})"));
        Self {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        }
    }

    /// Everything the server has written so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// How the server ended, when it has.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("wait for a server")
    }

    /// Calls `probe` every 100 ms until it returns a value; fails the test with the
    /// server's log when `limit` has passed.
    fn poll<T>(
        &mut self,
        what: &str,
        limit: Duration,
        mut probe: impl FnMut(&mut Self) -> Option<T>,
    ) -> T {
        let started = Instant::now();
        loop {
            if let Some(value) = probe(self) {
                return value;
            }
            assert!(
                started.elapsed() < limit,
                "{}: no {what} within {limit:?}:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits (at most `limit`) until `probe` returns a value, failing the test with the
    /// server's log when the server exits first or the time runs out.
    pub fn wait_for<T>(
        &mut self,
        what: &str,
        limit: Duration,
        mut probe: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        self.poll(what, limit, |server| {
            let value = probe(server);
            if value.is_none()
                && let Some(status) = server.exited()
            {
                panic!(
                    "{} exited ({status}) before {what}:\n{}",
                    server.name,
                    server.log()
                );
            }
            value
        })
    }

    /// Waits (at most `limit`) for the process to end on its own.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        self.poll("exit", limit, Self::exited)
    }

    /// Sends `signal` to the server's PID and waits (at most 20 s) for it to end; kills it
    /// when it has not.
    pub fn stop(mut self, signal: rustix::process::Signal) {
        self.signal_and_reap(signal);
    }

    fn signal_and_reap(&mut self, signal: rustix::process::Signal) {
        if self.exited().is_some() {
            return;
        }
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, signal);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!("{} did not stop within 20 s of {signal:?}", self.name);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on now (the kernel's pick).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("a bound address").port()
}

/// The user servers run as: PostgreSQL refuses to run as root, so under root they run as
/// `nobody` (65534); otherwise as the current user.
pub fn unprivileged() -> Option<(u32, u32)> {
    rustix::process::geteuid()
        .is_root()
        .then_some((65534, 65534))
}

/// Makes `command` run as [`unprivileged`]'s user.
pub fn run_unprivileged(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = unprivileged() {
        command.uid(uid).gid(gid);
    }
    command
}

/// Hands `path` (a folder or file the test made) to [`unprivileged`]'s user.
pub fn hand_over(path: &Path) {
    if let Some((uid, gid)) = unprivileged() {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }
}

/// A case's temporary folder, readable by [`unprivileged`]'s user (a new temporary folder
/// is 0700): its servers keep their data below it.
pub fn case_folder() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("stagehand-backstage-")
        .tempdir()
        .expect("a temporary folder");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod the case folder");
    dir
}
