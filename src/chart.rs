//! Which chart `--expand-chart` renders: a local chart (`--chart PATH`, a folder or a
//! packaged `.tgz`) that must be the Application's chart, or the Application's own
//! repository, name and version, which helm fetches.
//!
//! A local chart's `Chart.yaml` is read here (from the `.tgz` with `flate2` and `tar`), so
//! that checking it costs no second helm process.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::environment::Chart;
use crate::error::{Error, Result};
use crate::quote::shorten;
use crate::yaml::parse_document;

/// Largest `Chart.yaml` read, in bytes.
const MAX_CHART_YAML_BYTES: u64 = 256 * 1024;

/// The chart to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartSource {
    /// A chart folder or `.tgz` on disk.
    Local(PathBuf),
    /// The chart repository's URL, the chart's name and version (fetched by helm).
    Repository {
        /// `spec.chart.repository`.
        url: String,
        /// `spec.chart.name`.
        name: String,
        /// `spec.chart.version`.
        version: String,
    },
}

impl ChartSource {
    /// The chart for `chart` (the environment's `spec.chart`): `local` when given (checked
    /// to be that chart and version), else the repository.
    pub fn choose(local: Option<&Path>, chart: &Chart) -> Result<Self> {
        let Some(path) = local else {
            return Ok(Self::Repository {
                url: chart.repository.clone(),
                name: chart.name.clone(),
                version: chart.version.clone(),
            });
        };
        let (name, version) = read_metadata(path)?;
        if name != chart.name || version != chart.version {
            return Err(Error::Usage(format!(
                "--chart {}: is chart {} {}, but spec.chart is {} {}; give the chart the \
                 environment installs, or change spec.chart",
                path.display(),
                shorten(&name),
                shorten(&version),
                chart.name,
                chart.version
            )));
        }
        Ok(Self::Local(path.to_path_buf()))
    }
}

/// The `name` and `version` of the chart at `path` (a folder or a `.tgz`).
pub fn read_metadata(path: &Path) -> Result<(String, String)> {
    let text = if path.is_dir() {
        let file = path.join("Chart.yaml");
        let source = crate::load::read_text_file(&file, &file.display().to_string())?;
        source.text
    } else {
        chart_yaml_in_archive(path)?
    };
    let document = parse_document(&text).map_err(|error| {
        Error::Usage(format!(
            "--chart {}: its Chart.yaml is not valid YAML: {}",
            path.display(),
            error.message
        ))
    })?;
    let field = |name: &str| {
        document
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match (field("name"), field("version")) {
        (Some(name), Some(version)) => Ok((name, version)),
        _ => Err(Error::Usage(format!(
            "--chart {}: its Chart.yaml has no name and version",
            path.display()
        ))),
    }
}

/// `<chart>/Chart.yaml` from a packaged chart (`helm package` output).
fn chart_yaml_in_archive(path: &Path) -> Result<String> {
    let not_a_chart = |why: &str| {
        Error::Usage(format!(
            "--chart {}: {why}; give a chart folder or the .tgz `helm package` or `helm pull` writes",
            path.display()
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot read", &e))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let entries = archive
        .entries()
        .map_err(|_| not_a_chart("is neither a folder nor a gzipped tar archive"))?;
    for entry in entries {
        let mut entry = entry.map_err(|_| not_a_chart("is not a readable gzipped tar archive"))?;
        let is_chart_yaml = entry.path().is_ok_and(|entry_path| {
            entry_path.components().count() == 2 && entry_path.ends_with("Chart.yaml")
        });
        if !is_chart_yaml {
            continue;
        }
        let mut text = String::new();
        entry
            .by_ref()
            .take(MAX_CHART_YAML_BYTES)
            .read_to_string(&mut text)
            .map_err(|_| not_a_chart("its Chart.yaml is not UTF-8 text"))?;
        return Ok(text);
    }
    Err(not_a_chart("holds no <chart>/Chart.yaml"))
}
