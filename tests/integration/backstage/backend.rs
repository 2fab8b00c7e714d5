//! The Backstage backend of e2e/backstage, installed by e2e/install.sh, run with node
//! as the image runs it, and asked what a user's browser would ask. The only place the
//! tier runs node.

use super::process::Server;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Where e2e/install.sh put node and the backend's packages.
pub struct Install {
    /// Node.js 22 or newer.
    pub node: PathBuf,
    /// The backend's folder (index.js, check-config.js, node_modules).
    pub backend: PathBuf,
}

/// Installs the tier once per test process, into the target folder (a cache kept
/// between runs: a second install with the same lock file does nothing).
pub fn install() -> &'static Install {
    static INSTALL: std::sync::OnceLock<Install> = std::sync::OnceLock::new();
    INSTALL.get_or_init(|| {
        let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join("backstage-e2e");
        let run = Command::new("bash")
            .arg(crate::support::repo().join("e2e/install.sh"))
            .arg(&dest)
            .output()
            .expect("bash runs");
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "e2e/install.sh failed:\n{stdout}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let field = |name: &str| {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("e2e/install.sh printed no {name}: {stdout}"))
        };
        Install {
            node: field("node="),
            backend: field("backend="),
        }
    })
}

/// The environment a container gets (its env only, plus PATH and HOME), for node.
fn container_env(command: &mut Command, env: &[(String, String)], home: &Path) {
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .envs(env.iter().map(|(k, v)| (k, v)));
}

/// Runs check-config.js, which checks the configuration against the installed plugins'
/// schemas as `backstage-cli config:check` does; returns its exit code and report.
pub fn check_config(
    args: &[String],
    env: &[(String, String)],
    home: &Path,
) -> (i32, serde_json::Value) {
    let install = install();
    let mut command = Command::new(&install.node);
    command
        .arg(install.backend.join("check-config.js"))
        .args(args);
    container_env(&mut command, env, home);
    let run = command.output().expect("node runs");
    let report = serde_json::from_slice(&run.stdout).unwrap_or_else(|_| {
        panic!(
            "check-config.js printed no report:\n{}",
            String::from_utf8_lossy(&run.stderr)
        )
    });
    (run.status.code().unwrap_or(-1), report)
}

/// A running backend.
pub struct Backend {
    server: Server,
    client: Client,
}

/// Asks the backend what a browser would, over plain HTTP on 127.0.0.1.
pub struct Client {
    agent: ureq::Agent,
    port: u16,
}

/// One answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Client {
    /// GET `path` on the backend, with `Authorization: Bearer TOKEN` when given; `None`
    /// when nothing answers.
    pub fn get(&self, path: &str, token: Option<&str>) -> Option<Answer> {
        let mut request = self
            .agent
            .get(format!("http://127.0.0.1:{}{path}", self.port))
            .header("X-Requested-With", "XMLHttpRequest");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.call().ok()?;
        Some(Answer {
            status: response.status().as_u16(),
            body: response.body_mut().read_to_string().ok()?,
        })
    }
}

impl std::ops::Deref for Backend {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Backend {
    /// Starts `node index.js ARGS` in the backend's folder with `env` only (plus PATH and
    /// HOME), listening on `port`, as `user` (uid, gid) when the test runs as root (as
    /// the pod's security context runs it), else as the test's own user.
    pub fn start(
        args: &[String],
        env: &[(String, String)],
        dir: &Path,
        port: u16,
        user: (u32, u32),
    ) -> Self {
        use std::os::unix::process::CommandExt;
        let install = install();
        let mut command = Command::new(&install.node);
        command
            .arg("index.js")
            .args(args)
            .current_dir(&install.backend);
        // Its own home, writable by it (the pod's is an emptyDir at /tmp).
        let home = dir.join("backend-home");
        std::fs::create_dir_all(&home).expect("the backend's home folder");
        container_env(&mut command, env, &home);
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&home, Some(user.0), Some(user.1)).expect("chown home");
            command.uid(user.0).gid(user.1);
        }
        let server = Server::start("the Backstage backend", command, &dir.join("backend.log"));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        Self {
            server,
            client: Client { agent, port },
        }
    }

    /// The user id the backend runs as.
    pub fn uid(&self) -> Option<u32> {
        self.server.uid()
    }

    /// Waits (at most 90 s) until the readiness endpoint answers 200; fails at once when
    /// the backend reports that its startup failed.
    pub fn wait_ready(&mut self) {
        self.wait_for("readiness", Duration::from_secs(90), |client, log| {
            assert!(
                !log.contains("Backend startup failed"),
                "the backend's startup failed:\n{log}"
            );
            let answer = client.get("/.backstage/health/v1/readiness", None)?;
            (answer.status == 200).then_some(())
        });
    }

    /// Waits (at most `limit`) until `probe`, given the client and the log so far, returns
    /// a value; fails with the backend's log when it exits first or the time runs out.
    pub fn wait_for<T>(
        &mut self,
        what: &str,
        limit: Duration,
        mut probe: impl FnMut(&Client, &str) -> Option<T>,
    ) -> T {
        let client = &self.client;
        self.server
            .wait_for(what, limit, |server| probe(client, &server.log()))
    }

    /// Everything the backend logged.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// The log lines at level warn or error (JSON lines in production).
    pub fn warnings(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| {
                serde_json::from_str::<serde_json::Value>(line)
                    .is_ok_and(|entry| matches!(entry["level"].as_str(), Some("warn" | "error")))
            })
            .map(str::to_string)
            .collect()
    }

    /// Stops the backend by its PID (SIGTERM, as the kubelet does).
    pub fn stop(self) {
        self.server.stop(rustix::process::Signal::TERM);
    }
}
