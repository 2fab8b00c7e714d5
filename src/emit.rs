//! The emit stage: rendered documents as the YAML stream, a JSON `List`, or the files of
//! an out-dir (with `kustomization.yaml` and `SHA256SUMS`).
//!
//! All text is produced here from the documents, with the YAML-1.1-safe writer, so the
//! stream and the files always agree byte for byte on each object.

use std::fmt::Write;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::artifacts::RenderedEnvironment;
use crate::environment::TargetKind;
use crate::yaml::{push_yaml_document, push_yaml_stream};

/// Room for the text of one environment's stream or one out-dir file, reserved up front so
/// that writing it does not copy it again and again as it grows: the seed's stream is
/// 6 KiB, its largest file (application.yaml) 5 KiB. Larger text grows as usual.
const TEXT_CAPACITY: usize = 8 * 1024;

/// The Kubernetes objects as a YAML stream, each document introduced by `---`.
pub fn yaml_stream(rendered: &RenderedEnvironment) -> String {
    let mut text = String::with_capacity(TEXT_CAPACITY);
    push_yaml_stream(&mut text, rendered.kubernetes_objects());
    text
}

/// The Kubernetes objects as a pretty-printed JSON `v1` `List`.
pub fn json_list(rendered: &RenderedEnvironment) -> String {
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": rendered.kubernetes_objects().collect::<Vec<&Value>>(),
    });
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

/// The file name of the checksum list.
pub const CHECKSUMS_FILE: &str = "SHA256SUMS";

/// The file name of the chart's objects (`--expand-chart`), in place of `application.yaml`.
pub const CHART_OBJECTS_FILE: &str = "chart-objects.yaml";

/// The file name of the kustomization.
pub const KUSTOMIZATION_FILE: &str = "kustomization.yaml";

/// Every file of an out-dir, in a fixed order: the artifacts, the kustomization, and
/// last the checksums of all the others.
pub fn out_dir_files(rendered: &RenderedEnvironment) -> Vec<(String, String)> {
    let header = format!(
        "# Rendered by stagehand for the environment `{}`. Do not edit: change the\n\
         # environment file and render again.\n",
        rendered.name
    );
    // With an expanded chart, its objects take the Application's place (file and listing).
    let expanded = rendered.chart_objects.is_some();
    let written = rendered
        .artifacts()
        .filter(|(artifact, _)| !(expanded && artifact.target == TargetKind::Application));
    let file = |write: &dyn Fn(&mut String)| {
        let mut text = String::with_capacity(TEXT_CAPACITY);
        text.push_str(&header);
        write(&mut text);
        // `--check` holds every environment's files at once: only what they use.
        text.shrink_to_fit();
        text
    };
    let mut files: Vec<(String, String)> = Vec::new();
    let mut resources: Vec<&str> = Vec::new();
    for (artifact, document) in written {
        files.push((
            artifact.file_name.to_string(),
            file(&|text| push_yaml_document(text, document)),
        ));
        if artifact.is_kubernetes_object {
            resources.push(artifact.file_name);
        }
    }
    if let Some(objects) = &rendered.chart_objects {
        files.push((
            CHART_OBJECTS_FILE.to_string(),
            file(&|text| push_yaml_stream(text, objects)),
        ));
        resources.push(CHART_OBJECTS_FILE);
    }
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    files.push((
        KUSTOMIZATION_FILE.to_string(),
        file(&|text| push_yaml_document(text, &kustomization)),
    ));
    let checksums = checksum_list(&files);
    files.push((CHECKSUMS_FILE.to_string(), checksums));
    files
}

/// `sha256sum`-compatible lines (`<hex>  <name>`), sorted by name.
fn checksum_list(files: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut list = String::new();
    for (name, content) in sorted {
        for byte in Sha256::digest(content.as_bytes()) {
            let _ = write!(list, "{byte:02x}");
        }
        let _ = writeln!(list, "  {name}");
    }
    list
}
