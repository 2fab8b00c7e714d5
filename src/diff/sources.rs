//! The two sides of a diff: environments at a git revision and in the working tree, or two
//! rendered folders, or two environment files.
//!
//! The revision is read through git ([`super::revision`]); the working tree, the index and
//! HEAD are never touched. An environment whose inputs are byte-identical on both sides is
//! not rendered; the others are rendered from the working tree and, at the revision, from
//! their files written into a temporary folder. Errors name their side: a file at the
//! revision is shown as `REV:path`, the way `git show` names it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use super::revision::{Entry, RevisionTree, within_top};
use crate::artifacts::{ARTIFACTS, ObjectId};
use crate::diff::{DocumentId, Snapshot, comparable};
use crate::emit::{CHART_OBJECTS_FILE, KUSTOMIZATION_FILE};
use crate::error::{Error, Result};
use crate::expand::Expansion;
use crate::load::{DeclaredKind, ENVIRONMENT_FILE_NAME, SourceFile, declared_kind};
use crate::pipeline::{RenderRequest, render, typed_environment_of};
use crate::sharing::Claims;
use crate::templates::SkeletonCache;

/// Folders never searched for environments.
const SKIPPED_FOLDERS: [&str; 2] = [".git", "target"];

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
            within_top(&base.join(path)).ok_or_else(|| {
                Error::Usage(format!(
                    "{}: only paths inside the repository can be compared",
                    path.display()
                ))
            })
        })
        .collect()
}

/// Environment files under `paths` (relative to `root`), as paths relative to `root`.
///
/// A folder holding `.git` (a submodule, or a repository inside this one) is left out, its
/// path returned second: its files are not the superproject's, and the revision records
/// only its commit.
pub fn find_environments(root: &Path, paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut found = Vec::new();
    let mut nested = Vec::new();
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
                    if std::fs::symlink_metadata(entry.path().join(".git")).is_ok() {
                        nested.push(relative);
                        continue;
                    }
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
    nested.sort();
    (found, nested)
}

/// Environment files under `paths` at the revision, as paths relative to the top.
pub fn revision_environments(tree: &RevisionTree, paths: &[PathBuf]) -> Vec<PathBuf> {
    tree.files_named(ENVIRONMENT_FILE_NAME, paths, &SKIPPED_FOLDERS)
        .into_iter()
        .filter(|path| match tree.entry(path) {
            Some(Entry::File(bytes)) => !declares_base(&bytes),
            _ => true,
        })
        .collect()
}

/// A base's `environment.yaml` (`kind: Base`) is not an environment.
fn is_base_defaults(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| declares_base(&bytes))
}

fn declares_base(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    // `kind: Base` needs the word, or an escape spelling it: without either, an
    // environment file is not parsed a second time just to rule it out.
    (text.contains("Base") || text.contains('\\')) && declared_kind(&text) == DeclaredKind::Base
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
    /// What each environment of the working tree claims in its cluster, the unchanged ones
    /// first; empty when no environment changed (nothing new can clash then).
    pub claims: Vec<Claims>,
}

/// Renders both sides of every pair, in parallel. An environment whose file and base are
/// byte-identical on both sides renders identically (or fails identically): it is not
/// rendered at all. The others are rendered in the working tree (`new_root`) and, at the
/// revision, from their files written into `old_root`. A failure in the working tree fails
/// the diff; a failure only at the revision does not (the change fixed it).
pub fn render_sides(
    tree: &RevisionTree,
    old_root: &Path,
    new_root: &Path,
    pairs: &[Pair],
    revision: &str,
    expansion: Option<&Expansion>,
) -> Result<Sides> {
    // Compared in parallel (the revision's blobs come through one git process); only what
    // differs is written out and rendered.
    let unchanged: Vec<bool> = pairs
        .par_iter()
        .map(|pair| match (&pair.old, &pair.new) {
            (Some(old), Some(new)) => {
                same_inputs(&RevisionSide(tree), old, &WorkingTree(new_root), new)
            }
            _ => false,
        })
        .collect();
    let mut to_render = Vec::new();
    let mut sides = Sides::default();
    for (pair, unchanged) in pairs.iter().zip(unchanged) {
        if unchanged {
            sides.unchanged += 1;
            continue;
        }
        if let Some(old) = &pair.old {
            tree.materialize(old_root, old, base_to_materialize(tree, old).as_deref())?;
        }
        to_render.push(pair);
    }
    type Rendered = (String, Option<Snapshot>, Option<(Snapshot, Claims)>, bool);
    // Both sides share the skeletons: a change to an environment's values leaves most of
    // its templates' skeletons as they were.
    let skeletons = Arc::new(SkeletonCache::default());
    let results: Vec<Rendered> = to_render
        .par_iter()
        .map(|pair| -> Result<Rendered> {
            let side = |root: &Path, file: &Option<PathBuf>, label: &str| {
                file.as_ref()
                    .map(|file| {
                        render_one(&root.join(file), Some(root), expansion, Some(&skeletons))
                            .map(|rendered| (Snapshot::of(&rendered), claims_of(&rendered, root)))
                            .map_err(|error| error.relabel(&format!("{}/", root.display()), label))
                    })
                    .transpose()
            };
            let new =
                side(new_root, &pair.new, "").map_err(|e| side_error(e, "in the working tree"))?;
            let (old, fixed) = match side(old_root, &pair.old, &format!("{revision}:")) {
                Ok(old) => (old.map(|(snapshot, _)| snapshot), false),
                Err(_) if new.is_some() => (None, true),
                Err(error) => return Err(side_error(error, &format!("at {revision}"))),
            };
            Ok((pair.key.clone(), old, new, fixed))
        })
        .collect::<Result<_>>()?;
    for (key, old, new, fixed) in results {
        if fixed {
            sides.fixed.push(key.clone());
        }
        if let Some(old) = old {
            sides.old.insert(key.clone(), old);
        }
        if let Some((snapshot, claims)) = new {
            sides.new.insert(key, snapshot);
            sides.claims.push(claims);
        }
    }
    if !sides.claims.is_empty() {
        // An unchanged environment can clash with a changed one: its claims come from its
        // typed environment, without rendering it (a failure there shows in `validate`).
        let prefix = format!("{}/", new_root.display());
        let unchanged_claims: Vec<Claims> = pairs
            .par_iter()
            .filter(|pair| pair.new.is_some() && !sides.new.contains_key(&pair.key))
            .filter_map(|pair| {
                let file = new_root.join(pair.new.as_ref()?);
                let environment = typed_environment_of(&RenderRequest {
                    environment: file.clone(),
                    repository_root: Some(new_root.to_path_buf()),
                    ..RenderRequest::default()
                })
                .ok()?;
                let shown = file.display().to_string();
                Some(Claims::of_environment(&environment, &shown).without_prefix(&prefix))
            })
            .collect();
        // Unchanged ones first: a clash is then reported on the environment the change made.
        sides.claims.sort_by(|a, b| a.file().cmp(b.file()));
        sides.claims.splice(0..0, unchanged_claims);
    }
    Ok(sides)
}

/// What an environment rendered under `root` claims, its file named from `root`.
fn claims_of(rendered: &crate::artifacts::RenderedEnvironment, root: &Path) -> Claims {
    Claims::of(rendered).without_prefix(&format!("{}/", root.display()))
}

/// Adds which side failed to an error's first line.
pub fn side_error(error: Error, side: &str) -> Error {
    match error {
        // A message that names the side already (a path it could not read) keeps its own.
        Error::Usage(message) if message.starts_with(&format!("{side}:")) => Error::Usage(message),
        Error::Usage(message) => Error::Usage(format!("{side}: {message}")),
        Error::Invalid(mut problems) => {
            if let Some(first) = problems.first_mut() {
                first.message =
                    format!("{} (the environment does not render {side})", first.message);
            }
            Error::Invalid(problems)
        }
        other if other.to_string().starts_with(&format!("{side}:")) => other,
        other => Error::Usage(format!("{side}: {other}")),
    }
}

/// Where an environment's inputs are read from, by path relative to the repository top.
trait InputSide: Sync {
    /// The file or link at `path`; a link is never followed.
    fn entry(&self, path: &Path) -> Option<Entry>;
    /// Names of the files directly inside `folder`, sorted.
    fn file_names(&self, folder: &Path) -> Vec<String>;
}

/// The working tree under its top folder.
struct WorkingTree<'a>(&'a Path);

impl InputSide for WorkingTree<'_> {
    fn entry(&self, path: &Path) -> Option<Entry> {
        let full = self.0.join(path);
        let metadata = std::fs::symlink_metadata(&full).ok()?;
        if metadata.file_type().is_symlink() {
            let target = std::fs::read_link(&full).ok()?;
            return Some(Entry::Link(target.into_os_string().into_encoded_bytes()));
        }
        metadata
            .is_file()
            .then(|| std::fs::read(&full).ok().map(Entry::File))
            .flatten()
    }

    fn file_names(&self, folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.0.join(folder))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// The revision, through git.
struct RevisionSide<'a>(&'a RevisionTree);

impl InputSide for RevisionSide<'_> {
    fn entry(&self, path: &Path) -> Option<Entry> {
        self.0.entry(path)
    }

    fn file_names(&self, folder: &Path) -> Vec<String> {
        self.0.file_names(folder)
    }
}

/// The base folder an environment file names (`base:`), relative to the top: read the way
/// the render reads it (the parsed document's `base`), so that no spelling of the key can
/// hide a base from the comparison. `None` when the file names no base (or does not parse,
/// which fails the same way on both sides).
fn base_folder(file: &Path, bytes: &[u8]) -> Option<BaseFolder> {
    let text = std::str::from_utf8(bytes).ok()?;
    let document = SourceFile::new(String::new(), text.to_string())
        .parse_environment()
        .ok()?;
    let reference = document.get("base")?.as_str()?;
    Some(within_top(&file.parent()?.join(reference)).map_or(BaseFolder::Elsewhere, BaseFolder::In))
}

/// Where a named base folder lies.
enum BaseFolder {
    /// Inside the repository, relative to its top.
    In(PathBuf),
    /// An absolute path, or one that rises above the top: the render refuses it.
    Elsewhere,
}

/// Whether an environment renders from byte-identical inputs on both sides: its file and,
/// when it names a base folder, that folder's defaults and templates (names and bytes).
/// Links inside the repository are followed, so a change behind an unchanged link counts;
/// other links count by their text (the render reads the same file on both sides, or
/// refuses both). False when a file cannot be read (the render then reports why) or the
/// base lies outside the repository.
fn same_inputs(old_side: &dyn InputSide, old: &Path, new_side: &dyn InputSide, new: &Path) -> bool {
    let (Some(before), Some(after)) = (resolve(old_side, old), resolve(new_side, new)) else {
        return false;
    };
    if before != after || old != new {
        return false;
    }
    let Entry::File(bytes) = after else {
        return true;
    };
    match base_folder(new, &bytes) {
        None => true,
        Some(BaseFolder::Elsewhere) => false,
        Some(BaseFolder::In(folder)) => {
            let base = |side: &dyn InputSide| {
                let mut inputs = vec![resolve(side, &folder.join("environment.yaml"))?];
                let templates = folder.join("templates");
                for name in side.file_names(&templates) {
                    inputs.push(Entry::File(name.clone().into_bytes()));
                    inputs.push(resolve(side, &templates.join(name))?);
                }
                Some(inputs)
            };
            base(old_side).is_some_and(|before| base(new_side) == Some(before))
        }
    }
}

/// Most links followed in a row before giving up (the render then reports the loop).
const MAX_LINK_HOPS: usize = 8;

/// What `path` holds once relative links that stay inside the repository are followed: a
/// file's bytes, or the first link that leaves it (absolute, or rising above the top).
fn resolve(side: &dyn InputSide, path: &Path) -> Option<Entry> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINK_HOPS {
        let target = match side.entry(&path)? {
            Entry::Link(target) => target,
            file => return Some(file),
        };
        let relative = PathBuf::from(String::from_utf8_lossy(&target).into_owned());
        match path
            .parent()
            .filter(|_| relative.is_relative())
            .and_then(|folder| within_top(&folder.join(&relative)))
        {
            Some(next) => path = next,
            None => return Some(Entry::Link(target)),
        }
    }
    None
}

/// The base folder to write out with an environment file at the revision.
fn base_to_materialize(tree: &RevisionTree, file: &Path) -> Option<PathBuf> {
    let Some(Entry::File(bytes)) = resolve(&RevisionSide(tree), file) else {
        return None;
    };
    match base_folder(file, &bytes)? {
        BaseFolder::In(folder) => Some(folder),
        BaseFolder::Elsewhere => None,
    }
}

/// Renders one environment (in `root`, when known) and expands its chart if asked.
fn render_one(
    environment: &Path,
    root: Option<&Path>,
    expansion: Option<&Expansion>,
    skeletons: Option<&Arc<SkeletonCache>>,
) -> Result<crate::artifacts::RenderedEnvironment> {
    let mut rendered = render(&RenderRequest {
        environment: environment.to_path_buf(),
        repository_root: root.map(Path::to_path_buf),
        skeletons: skeletons.cloned(),
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
        let key = entry.file_name().to_string_lossy().into_owned();
        // Hidden folders are no environment of the render (an interrupted run's, say).
        if !key.starts_with('.') && path.join("values.yaml").is_file() {
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
        let rendered = render_one(path, None, expansion, None)?;
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
