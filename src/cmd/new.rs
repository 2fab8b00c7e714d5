//! `stagehand new` (alias `init`): writes a minimal environment that validates, or a copy
//! of another one for a new place (its sealed values left out: they were sealed for the
//! old namespace). An existing file is never replaced.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::load::{ENVIRONMENT_FILE_NAME, environment_file_path, read_text_file};
use crate::out_dir::CreatedFolders;
use crate::pipeline::{RenderRequest, render};

/// Examples shown by `stagehand new --help`.
pub const EXAMPLES: &str = "\
Examples:
  stagehand new overlays/staging --hostname backstage.staging.example.org \\
      --issuer letsencrypt-prod
  stagehand new overlays/qa --hostname qa.example.org --issuer ca \\
      --issuer-kind Issuer --from overlays/dev

It writes ENV_DIR/environment.yaml: metadata.name is the folder's name,
spec.namespace backstage-<name>. Seal it next:
  stagehand seal ENV_DIR --cert cert.pem";

/// The namespace a new environment gets: its own, so that it can share a cluster.
fn namespace_of(name: &str) -> String {
    format!("backstage-{name}")
}

/// Arguments of `new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The new environment's folder (created with its parents when missing).
    #[arg(value_name = "ENV_DIR")]
    pub folder: PathBuf,
    /// The public hostname.
    #[arg(long, value_name = "HOST")]
    pub hostname: String,
    /// The cert-manager issuer of its Certificate.
    #[arg(long, value_name = "NAME")]
    pub issuer: String,
    /// The issuer's kind.
    #[arg(long, value_name = "KIND", default_value = "ClusterIssuer", value_parser = ["ClusterIssuer", "Issuer"])]
    pub issuer_kind: String,
    /// Start from this environment (file or folder) instead of the built-in defaults.
    #[arg(long, value_name = "ENV")]
    pub from: Option<PathBuf>,
}

/// Runs `new`.
pub fn run(args: &NewArgs) -> Result<ExitCode> {
    let file = args.folder.join(ENVIRONMENT_FILE_NAME);
    if std::fs::symlink_metadata(&file).is_ok() {
        return Err(Error::Usage(format!(
            "{}: exists already; nothing was changed (edit it, or give another folder)",
            file.display()
        )));
    }
    let name = args
        .folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n != "." && n != "..")
        .ok_or_else(|| {
            Error::Usage(format!(
                "{}: give the new environment's own folder (its name becomes metadata.name)",
                args.folder.display()
            ))
        })?;
    let created = CreatedFolders::create(&args.folder)?;
    let body = match &args.from {
        Some(from) => copied(from, &name, args)?,
        None => minimal(&name, args),
    };
    let text = format!("{}{body}", schema_comment(&args.folder));
    // Written beside its place and checked there, so a `base:` resolves as it will.
    let mut temporary = tempfile::Builder::new()
        .prefix(".stagehand-new-")
        .suffix(".yaml")
        .tempfile_in(&args.folder)
        .map_err(|e| Error::io(&args.folder, "cannot create a temporary file in", &e))?;
    temporary
        .write_all(text.as_bytes())
        .map_err(|e| Error::io(temporary.path(), "cannot write", &e))?;
    // Its warnings (an unsealed SealedSecret, above all) name the temporary file; the
    // next step is said instead, and `validate` shows them by the file's own name.
    render(&RenderRequest {
        environment: temporary.path().to_path_buf(),
        ..RenderRequest::default()
    })
    .map_err(|error| {
        error.relabel(
            &temporary.path().display().to_string(),
            &file.display().to_string(),
        )
    })?;
    temporary
        .persist_noclobber(&file)
        .map_err(|e| Error::io(&file, "cannot create", &e.error))?;
    created.keep();
    crate::error::eprint_warning(&format!(
        "wrote {}; next: stagehand seal {} --cert cert.pem",
        file.display(),
        args.folder.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// The editor-schema comment: the repository's `environment.schema.json` by a relative
/// path when one is found above the folder, else the name to write it under.
fn schema_comment(folder: &Path) -> String {
    let absolute = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    let found = absolute
        .ancestors()
        .enumerate()
        .find(|(_, dir)| dir.join("environment.schema.json").is_file())
        .map(|(depth, _)| format!("{}environment.schema.json", "../".repeat(depth)));
    match found {
        Some(path) => format!("# yaml-language-server: $schema={path}\n"),
        None => "# yaml-language-server: $schema=environment.schema.json   (write it with: stagehand schema > environment.schema.json)\n".to_string(),
    }
}

/// An environment with only what has no default, and its own name and namespace.
fn minimal(name: &str, args: &NewArgs) -> String {
    let value = |text: &str| serde_json::to_string(text).unwrap_or_default();
    format!(
        "apiVersion: stagehand/v1alpha1\nkind: Environment\nmetadata:\n  name: {}\nspec:\n  \
         namespace: {}\n  hostname: {}\n  tls:\n    issuer: {{ name: {}, kind: {} }}\n",
        value(name),
        value(&namespace_of(name)),
        value(&args.hostname),
        value(&args.issuer),
        args.issuer_kind
    )
}

/// `from`'s environment for the new place: its name, namespace, hostname and issuer
/// replaced, its sealed values and their record left out.
fn copied(from: &Path, name: &str, args: &NewArgs) -> Result<String> {
    let source_file = environment_file_path(from)?;
    let source = read_text_file(&source_file, &source_file.display().to_string())?;
    let mut document = source.parse_mapping()?;
    document["metadata"]["name"] = Value::from(name);
    let spec = &mut document["spec"];
    if !spec.is_object() {
        *spec = Value::Object(serde_json::Map::new());
    }
    spec["namespace"] = Value::from(namespace_of(name));
    spec["hostname"] = Value::from(args.hostname.as_str());
    spec["tls"]["issuer"] = serde_json::json!({ "name": args.issuer, "kind": args.issuer_kind });
    if let Some(database) = spec.get_mut("database").and_then(Value::as_object_mut) {
        database.remove("encryptedData");
        database.remove("sealedFor");
    }
    if let Some(argocd) = spec.get_mut("argocd").and_then(Value::as_object_mut) {
        argocd.remove("applicationName");
    }
    if let Some(base) = document.get("base").and_then(Value::as_str) {
        // A base is named relative to the file: from the new folder it may lie elsewhere.
        let from_folder = source_file.parent().unwrap_or(Path::new("."));
        let target = std::path::absolute(from_folder.join(base)).unwrap_or_default();
        let here = std::path::absolute(&args.folder).unwrap_or_default();
        document["base"] = Value::from(relative(&target, &here));
    }
    serde_yaml::to_string(&document).map_err(|e| {
        Error::Usage(format!(
            "{}: cannot write a copy: {e}",
            source_file.display()
        ))
    })
}

/// `target` as a path relative to `from` (both absolute).
fn relative(target: &Path, from: &Path) -> String {
    let target: Vec<_> = target.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = target.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let ups = "../".repeat(from.len() - common);
    let rest: PathBuf = target[common..].iter().collect();
    format!("{ups}{}", rest.display())
}
