//! The two sides of a diff: environments at a git revision and in the working tree, or two
//! rendered folders, or two environment files.
//!
//! The revision is read with `git archive` into a temporary folder: the working tree, the
//! index and HEAD are never touched. Errors name their side: a file at the revision is
//! shown as `REV:path`, the way `git show` names it.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use rayon::prelude::*;
use serde_json::Value;

use crate::artifacts::{ARTIFACTS, ObjectId};
use crate::diff::{DocumentId, Snapshot, comparable};
use crate::emit::{CHART_OBJECTS_FILE, KUSTOMIZATION_FILE};
use crate::error::{Error, Result};
use crate::expand::Expansion;
use crate::load::ENVIRONMENT_FILE_NAME;
use crate::pipeline::{RenderRequest, render};

/// Folders never searched for environments.
const SKIPPED_FOLDERS: [&str; 2] = [".git", "target"];

/// The repository holding `dir`, from git.
pub fn repository_top(dir: &Path) -> Result<PathBuf> {
    let output = git(dir, &["rev-parse", "--show-toplevel"])?;
    Ok(PathBuf::from(output.trim()))
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| Error::Usage(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Error::Usage(format!(
            "git {}: {}",
            args.join(" "),
            stderr.lines().next().unwrap_or("failed")
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Extracts the tree of `revision` into `into`.
pub fn extract_revision(top: &Path, revision: &str, into: &Path) -> Result<()> {
    let commit = format!("{revision}^{{commit}}");
    git(top, &["rev-parse", "--verify", "--quiet", &commit]).map_err(|_| {
        Error::Usage(format!("`{revision}` is not a revision of this repository (try origin/main, HEAD~1 or a commit id)"))
    })?;
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["archive", "--format=tar", revision])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::Usage(format!("cannot run git archive: {e}")))?;
    let stdout = archive
        .stdout
        .take()
        .ok_or_else(|| Error::Usage("git archive gave no output".into()))?;
    let status = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(into)
        .stdin(stdout)
        .status()
        .map_err(|e| Error::Usage(format!("cannot run tar: {e}")))?;
    let archived = archive
        .wait()
        .map_err(|e| Error::Usage(format!("git archive: {e}")))?;
    if !status.success() || !archived.success() {
        return Err(Error::Usage(format!(
            "cannot extract `{revision}` with git archive"
        )));
    }
    Ok(())
}

/// `paths` (relative to `cwd`) as paths relative to the repository top; none may leave it.
pub fn repository_relative(top: &Path, cwd: &Path, paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let top = top
        .canonicalize()
        .map_err(|e| Error::io(top, "cannot open", &e))?;
    let cwd = cwd
        .canonicalize()
        .map_err(|e| Error::io(cwd, "cannot open", &e))?;
    let base = cwd
        .strip_prefix(&top)
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    paths
        .iter()
        .map(|path| {
            let mut relative = PathBuf::new();
            for component in base.join(path).components() {
                match component {
                    Component::Normal(part) => relative.push(part),
                    Component::CurDir => {}
                    Component::ParentDir if relative.pop() => {}
                    _ => {
                        return Err(Error::Usage(format!(
                            "{}: only paths inside the repository can be compared",
                            path.display()
                        )));
                    }
                }
            }
            Ok(relative)
        })
        .collect()
}

/// Environment files under `paths` (relative to `root`), as paths relative to `root`.
pub fn find_environments(root: &Path, paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in paths {
        let start = root.join(path);
        if start.is_file() {
            found.push(path.clone());
            continue;
        }
        let mut pending = vec![path.clone()];
        while let Some(folder) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(root.join(&folder)) else {
                continue;
            };
            for entry in entries.filter_map(|e| e.ok()) {
                let name = entry.file_name();
                let relative = folder.join(&name);
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if is_dir && !SKIPPED_FOLDERS.iter().any(|skip| name == *skip) {
                    pending.push(relative);
                } else if !is_dir
                    && name == ENVIRONMENT_FILE_NAME
                    && !is_base_defaults(&entry.path())
                {
                    found.push(relative);
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A base's `environment.yaml` (kind: Base) is not an environment.
fn is_base_defaults(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .is_ok_and(|text| text.lines().any(|line| line.trim_end() == "kind: Base"))
}

/// One environment on both sides: its key (folder relative to the root) and its file at
/// the revision and in the working tree (relative paths), where it exists.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The environment's folder, relative to the repository root (`.` for the root).
    pub key: String,
    /// The file at the revision.
    pub old: Option<PathBuf>,
    /// The file in the working tree.
    pub new: Option<PathBuf>,
}

/// Pairs the environment files of both sides by folder.
pub fn pair(old_files: &[PathBuf], new_files: &[PathBuf]) -> Vec<Pair> {
    let key = |file: &PathBuf| {
        let folder = file.parent().unwrap_or(Path::new("")).display().to_string();
        if folder.is_empty() {
            ".".to_string()
        } else {
            folder
        }
    };
    let mut pairs: BTreeMap<String, Pair> = BTreeMap::new();
    for (file, is_new) in old_files
        .iter()
        .map(|f| (f, false))
        .chain(new_files.iter().map(|f| (f, true)))
    {
        let entry = pairs.entry(key(file)).or_insert_with(|| Pair {
            key: key(file),
            old: None,
            new: None,
        });
        if is_new {
            entry.new = Some(file.clone());
        } else {
            entry.old = Some(file.clone());
        }
    }
    pairs.into_values().collect()
}

/// Both sides of a revision diff.
#[derive(Debug, Default)]
pub struct Sides {
    /// Snapshots at the revision, by key.
    pub old: BTreeMap<String, Snapshot>,
    /// Snapshots in the working tree, by key.
    pub new: BTreeMap<String, Snapshot>,
    /// Environments whose inputs are byte-identical on both sides: not rendered, unchanged.
    pub unchanged: usize,
    /// Environments that render now but did not at the revision (compared as added).
    pub fixed: Vec<String>,
}

/// Renders both sides of every pair, in parallel. An environment whose file and base are
/// byte-identical on both sides renders identically (or fails identically): it is not
/// rendered at all. A failure in the working tree fails the diff; a failure only at the
/// revision does not (the change fixed it).
pub fn render_sides(
    old_root: &Path,
    new_root: &Path,
    pairs: &[Pair],
    revision: &str,
    expansion: Option<&Expansion>,
) -> Result<Sides> {
    type Rendered = (String, Option<Snapshot>, Option<Snapshot>, bool);
    let results: Vec<Rendered> = pairs
        .par_iter()
        .map(|pair| -> Result<Rendered> {
            if let (Some(old), Some(new)) = (&pair.old, &pair.new)
                && same_inputs(old_root, old, new_root, new)
            {
                return Ok((pair.key.clone(), None, None, false));
            }
            let side = |root: &Path, file: &Option<PathBuf>, label: &str| {
                file.as_ref()
                    .map(|file| {
                        render_one(&root.join(file), Some(root), expansion)
                            .map(|rendered| Snapshot::of(&rendered))
                            .map_err(|error| error.relabel(&format!("{}/", root.display()), label))
                    })
                    .transpose()
            };
            let new =
                side(new_root, &pair.new, "").map_err(|e| side_error(e, "in the working tree"))?;
            let (old, fixed) = match side(old_root, &pair.old, &format!("{revision}:")) {
                Ok(old) => (old, false),
                Err(_) if new.is_some() => (None, true),
                Err(error) => return Err(side_error(error, &format!("at {revision}"))),
            };
            Ok((pair.key.clone(), old, new, fixed))
        })
        .collect::<Result<_>>()?;
    let mut sides = Sides::default();
    for (key, old, new, fixed) in results {
        if old.is_none() && new.is_none() {
            sides.unchanged += 1;
            continue;
        }
        if fixed {
            sides.fixed.push(key.clone());
        }
        if let Some(old) = old {
            sides.old.insert(key.clone(), old);
        }
        if let Some(new) = new {
            sides.new.insert(key, new);
        }
    }
    Ok(sides)
}

/// Adds which side failed to an error's first line.
pub fn side_error(error: Error, side: &str) -> Error {
    match error {
        Error::Usage(message) => Error::Usage(format!("{side}: {message}")),
        Error::Invalid(mut problems) => {
            if let Some(first) = problems.first_mut() {
                first.message =
                    format!("{} (the environment does not render {side})", first.message);
            }
            Error::Invalid(problems)
        }
        other => Error::Usage(format!("{side}: {other}")),
    }
}

/// Whether an environment's inputs are byte-identical on both sides: its file and, when
/// it names a base folder, that folder's defaults and templates.
fn same_inputs(old_root: &Path, old: &Path, new_root: &Path, new: &Path) -> bool {
    match (inputs(old_root, old), inputs(new_root, new)) {
        (Some(before), Some(after)) => before == after,
        _ => false,
    }
}

/// The bytes an environment renders from, or `None` when they cannot all be read (then it
/// is rendered, which reports why).
fn inputs(root: &Path, file: &Path) -> Option<Vec<Vec<u8>>> {
    let path = root.join(file);
    let text = std::fs::read(&path).ok()?;
    let mut inputs = vec![text];
    let base = String::from_utf8_lossy(&inputs[0])
        .lines()
        .find_map(|line| crate::load::top_level_value(line, "base"));
    if let Some(base) = base {
        let folder = path.parent()?.join(base);
        inputs.push(std::fs::read(folder.join("environment.yaml")).ok()?);
        if let Ok(entries) = std::fs::read_dir(folder.join("templates")) {
            let mut templates: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            templates.sort();
            for template in templates {
                inputs.push(template.file_name()?.as_encoded_bytes().to_vec());
                inputs.push(std::fs::read(&template).ok()?);
            }
        }
    }
    Some(inputs)
}

/// Renders one environment (in `root`, when known) and expands its chart if asked.
fn render_one(
    environment: &Path,
    root: Option<&Path>,
    expansion: Option<&Expansion>,
) -> Result<crate::artifacts::RenderedEnvironment> {
    let mut rendered = render(&RenderRequest {
        environment: environment.to_path_buf(),
        repository_root: root.map(Path::to_path_buf),
        ..RenderRequest::default()
    })?;
    if let Some(expansion) = expansion {
        expansion.apply(&mut rendered)?;
    }
    Ok(rendered)
}

/// The environments of a rendered folder: one render (`values.yaml` at the top), or one
/// sub-folder per environment.
pub fn load_rendered(dir: &Path) -> Result<BTreeMap<String, Snapshot>> {
    if dir.join("values.yaml").is_file() {
        return Ok(BTreeMap::from([(
            ".".to_string(),
            load_rendered_environment(dir)?,
        )]));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot read", &e))?;
    let mut snapshots = BTreeMap::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.join("values.yaml").is_file() {
            let key = entry.file_name().to_string_lossy().into_owned();
            snapshots.insert(key, load_rendered_environment(&path)?);
        }
    }
    if snapshots.is_empty() {
        return Err(Error::Usage(format!(
            "{}: neither a rendered folder (values.yaml, ...) nor a folder of them nor an environment",
            dir.display()
        )));
    }
    Ok(snapshots)
}

fn load_rendered_environment(dir: &Path) -> Result<Snapshot> {
    let mut snapshot = Snapshot::default();
    for artifact in ARTIFACTS
        .iter()
        .filter(|a| a.file_name != KUSTOMIZATION_FILE)
    {
        let path = dir.join(artifact.file_name);
        if !path.is_file() {
            continue;
        }
        let source = crate::load::read_text_file(&path, &path.display().to_string())?;
        let document: Value = source.parse_mapping()?;
        let id = if artifact.file_name == "values.yaml" {
            DocumentId::HelmValues
        } else {
            DocumentId::Object(ObjectId::of(&document).ok_or_else(|| {
                Error::Usage(format!(
                    "{}: not an object with apiVersion, kind and metadata.name",
                    path.display()
                ))
            })?)
        };
        if let DocumentId::Object(object) = &id
            && object.kind == "Location"
        {
            snapshot.name = object.name.trim_end_matches("-catalog").to_string();
        }
        snapshot.documents.push((id, comparable(document)));
    }
    let chart_objects = dir.join(CHART_OBJECTS_FILE);
    if chart_objects.is_file() {
        let source =
            crate::load::read_text_file(&chart_objects, &chart_objects.display().to_string())?;
        let objects = crate::yaml::parse_stream(&source.text).map_err(|error| {
            Error::Usage(format!("{}: {}", chart_objects.display(), error.message))
        })?;
        for object in objects {
            if let Some(id) = ObjectId::of(&object) {
                snapshot.documents.push((DocumentId::Object(id), object));
            }
        }
    }
    Ok(snapshot)
}

/// One side given as a path: an environment (file, or folder with environment.yaml), or a
/// rendered folder.
pub fn load_side(path: &Path, expansion: Option<&Expansion>) -> Result<BTreeMap<String, Snapshot>> {
    let is_environment = path.is_file() || path.join(ENVIRONMENT_FILE_NAME).is_file();
    if is_environment {
        let rendered = render_one(path, None, expansion)?;
        return Ok(BTreeMap::from([(".".to_string(), Snapshot::of(&rendered))]));
    }
    if path.is_dir() {
        return load_rendered(path);
    }
    Err(Error::Usage(format!(
        "{}: no such file or folder",
        path.display()
    )))
}
