//! The one place that runs Helm: finds the binary, checks its version, runs
//! `helm template` as ArgoCD does, with a clean environment, and turns its failures into
//! stagehand's errors.
//!
//! The binary is `$STAGEHAND_HELM`, else `helm` on `PATH`. Its version (3.8 or later) is
//! asked once per binary and remembered in the user's cache folder, keyed by the binary's
//! path, size and modification time: asking costs a second helm process (about 30 ms),
//! half of what rendering the chart costs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::chart::ChartSource;
use crate::error::{Error, Result};
use crate::yaml::to_yaml_document;

/// The variable naming the helm binary.
pub const HELM_VARIABLE: &str = "STAGEHAND_HELM";

/// The oldest Helm accepted.
pub const MINIMUM_VERSION: (u64, u64) = (3, 8);

const INSTALL_HINT: &str = "install Helm 3.8 or later (https://helm.sh/docs/intro/install/), \
or set STAGEHAND_HELM to its path";

/// Variables helm may see: where it keeps its files, proxies and CA certificates. Nothing
/// else (no KUBECONFIG: `helm template` needs no cluster).
const PASSED_VARIABLES: [&str; 19] = [
    "PATH",
    "HOME",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "HELM_CACHE_HOME",
    "HELM_CONFIG_HOME",
    "HELM_DATA_HOME",
    "HELM_REPOSITORY_CACHE",
    "HELM_REPOSITORY_CONFIG",
    "HELM_REGISTRY_CONFIG",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];
/// A located helm binary of a supported version.
#[derive(Debug, Clone)]
pub struct Helm {
    program: PathBuf,
    /// Its version, e.g. `v3.17.2`.
    pub version: String,
}

/// What to render: the chart, and the release name, namespace and values the Application
/// gives ArgoCD.
#[derive(Debug)]
pub struct TemplateRequest<'a> {
    /// The chart.
    pub chart: &'a ChartSource,
    /// `spec.source.helm.releaseName`.
    pub release: &'a str,
    /// `spec.destination.namespace`.
    pub namespace: &'a str,
    /// `spec.source.helm.valuesObject`.
    pub values: &'a Value,
}

impl Helm {
    /// Finds helm and checks that it is 3.8 or later.
    pub fn locate() -> Result<Self> {
        let program = find_program()?;
        let version = match cached_version(&program) {
            Some(version) => version,
            None => {
                let version = ask_version(&program)?;
                remember_version(&program, &version);
                version
            }
        };
        if !is_supported(&version) {
            return Err(Error::Usage(format!(
                "{} is Helm {version}, older than {}.{}: {INSTALL_HINT}",
                program.display(),
                MINIMUM_VERSION.0,
                MINIMUM_VERSION.1
            )));
        }
        Ok(Self { program, version })
    }

    /// `helm template`, with the arguments ArgoCD's repo-server uses for a Helm source
    /// (`--name-template`, `--namespace`, `--values`, `--include-crds`); the values go in
    /// on stdin. Returns helm's output, or its message.
    pub fn template(&self, request: &TemplateRequest<'_>) -> std::result::Result<String, String> {
        let mut command = self.command();
        command.arg("template");
        match request.chart {
            ChartSource::Local(path) => {
                command.arg(path);
            }
            ChartSource::Repository { url, name, version } => {
                command
                    .arg(name)
                    .args(["--repo", url, "--version", version]);
            }
        }
        command
            .args(["--name-template", request.release])
            .args(["--namespace", request.namespace])
            .args(["--values", "-", "--include-crds"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|error| format!("cannot run {}: {error}", self.program.display()))?;
        let values = to_yaml_document(request.values);
        if let Some(mut stdin) = child.stdin.take() {
            // A helm that exits early closes the pipe; its stderr says why.
            let _ = stdin.write_all(values.as_bytes());
        }
        let output = child
            .wait_with_output()
            .map_err(|error| format!("helm did not finish: {error}"))?;
        if output.status.success() {
            return String::from_utf8(output.stdout)
                .map_err(|_| "helm printed something that is not UTF-8 text".to_string());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(12)
            .collect();
        Err(if lines.is_empty() {
            format!("helm template failed ({})", output.status)
        } else {
            lines.join("; ")
        })
    }

    fn command(&self) -> Command {
        clean_command(&self.program)
    }
}

fn clean_command(program: &Path) -> Command {
    let mut command = Command::new(program);
    command.env_clear();
    for name in PASSED_VARIABLES {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
}

/// `$STAGEHAND_HELM`, else the first `helm` on PATH.
fn find_program() -> Result<PathBuf> {
    if let Some(named) = std::env::var_os(HELM_VARIABLE).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(&named);
        if path.is_file() {
            return Ok(path);
        }
        return Err(Error::Usage(format!(
            "{HELM_VARIABLE}={}: no such program; {INSTALL_HINT}",
            path.display()
        )));
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|folder| folder.join("helm"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            Error::Usage(format!(
                "helm is not installed (no helm on PATH), and --expand-chart runs `helm template`: {INSTALL_HINT}"
            ))
        })
}

fn ask_version(program: &Path) -> Result<String> {
    let output = clean_command(program)
        .args(["version", "--template", "{{.Version}}"])
        .output()
        .map_err(|error| {
            Error::Usage(format!(
                "cannot run {}: {error}; {INSTALL_HINT}",
                program.display()
            ))
        })?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() || !version.starts_with('v') {
        return Err(Error::Usage(format!(
            "{} does not answer `helm version` as Helm 3 does: {INSTALL_HINT}",
            program.display()
        )));
    }
    Ok(version)
}

/// Whether `version` (`v3.17.2`) is at least [`MINIMUM_VERSION`].
pub fn is_supported(version: &str) -> bool {
    let mut numbers = version
        .trim_start_matches('v')
        .split(|c: char| !c.is_ascii_digit())
        .map(|part| part.parse::<u64>().unwrap_or(0));
    let major = numbers.next().unwrap_or(0);
    let minor = numbers.next().unwrap_or(0);
    (major, minor) >= MINIMUM_VERSION
}

/// The cache file: `$XDG_CACHE_HOME/stagehand/helm-versions`, or under `~/.cache`.
fn cache_file() -> Option<PathBuf> {
    let folder = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))?;
    Some(folder.join("stagehand").join("helm-versions"))
}

/// The binary's identity: canonical path, size, modification time.
fn identity(program: &Path) -> Option<String> {
    let path = program.canonicalize().ok()?;
    let metadata = std::fs::metadata(&path).ok()?;
    let modified = metadata
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{}\t{}\t{}",
        metadata.len(),
        modified.as_nanos(),
        path.display()
    ))
}

fn cached_version(program: &Path) -> Option<String> {
    let key = identity(program)?;
    let text = std::fs::read_to_string(cache_file()?).ok()?;
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .find(|(_, rest)| *rest == key)
        .map(|(version, _)| version.to_string())
}

/// Best effort: a cache that cannot be written only costs the next run a `helm version`.
fn remember_version(program: &Path, version: &str) {
    let (Some(key), Some(file)) = (identity(program), cache_file()) else {
        return;
    };
    let Some(folder) = file.parent() else {
        return;
    };
    if std::fs::create_dir_all(folder).is_err() {
        return;
    }
    let mut lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.ends_with(&key))
        .map(str::to_string)
        .collect();
    lines.push(format!("{version}\t{key}"));
    if let Ok(mut temporary) = tempfile::NamedTempFile::new_in(folder) {
        let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
        if temporary.write_all(text.as_bytes()).is_ok() {
            let _ = temporary.persist(&file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_3_8_are_supported() {
        assert!(is_supported("v3.17.2"));
        assert!(is_supported("v3.8.0"));
        assert!(is_supported("v4.0.0"));
        assert!(!is_supported("v3.7.2"));
        assert!(!is_supported("v2.17.0"));
        assert!(!is_supported("garbage"));
    }
}
