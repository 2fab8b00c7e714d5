//! Writing an out-dir atomically, and `--check` against one.
//!
//! Each environment's files are written, while the others still render, into a hidden
//! folder beside its target; only when every environment of the run succeeded does each
//! replace its target by rename: a failed or interrupted run leaves the previous render
//! intact, and a failed one leaves no hidden folder behind. A
//! folder holding files stagehand did not write is never replaced, so nothing is lost to
//! a mistyped `--out-dir`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Refuses an output folder that is a symbolic link: writing through it would land
/// wherever it points.
pub fn refuse_symlink(dir: &Path) -> Result<()> {
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::Usage(format!(
            "{}: --out-dir is a symbolic link; give the folder itself (nothing is written \
             through a link)",
            dir.display()
        )));
    }
    Ok(())
}

/// Refuses `dir` as a place for `files` when it is a symbolic link or holds anything but
/// a previous render: checked for every environment before any is written, so a refused
/// run writes nothing.
fn check_replaceable(dir: &Path, files: &[(String, String)]) -> Result<()> {
    refuse_symlink(dir)?;
    refuse_foreign_files(dir, files)
}

/// One environment's files, written into a hidden folder beside their target while the
/// other environments of the run still render; nothing is in place until [`Staged::commit`],
/// and a dropped `Staged` (another environment failed) leaves nothing behind.
pub struct Staged {
    target: PathBuf,
    folder: tempfile::TempDir,
}

impl Staged {
    /// Checks that `target` may be replaced by `files`, then writes them into a hidden
    /// folder inside `parent` (the folder that holds `target`, created beforehand).
    pub fn write(parent: &Path, target: PathBuf, files: &[(String, String)]) -> Result<Self> {
        check_replaceable(&target, files)?;
        let folder = tempfile::Builder::new()
            .prefix(".stagehand-new-")
            .tempdir_in(parent)
            .map_err(|e| Error::io(parent, "cannot create a temporary folder in", &e))?;
        for (name, content) in files {
            let path = folder.path().join(name);
            // No fsync per file: the rename makes a run atomic against failures and
            // interruption; syncing 8 files per environment made 1,000 environments take seconds.
            fs::write(&path, content).map_err(|e| Error::io(&path, "cannot write", &e))?;
        }
        Ok(Self { target, folder })
    }

    /// Puts the files in place: the target folder is replaced by a rename.
    pub fn commit(self) -> Result<()> {
        let Self { target, folder } = self;
        if fs::symlink_metadata(&target).is_ok() {
            let parent = target
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let retired = retired_name(parent)?;
            fs::rename(&target, &retired).map_err(|e| Error::io(&target, "cannot replace", &e))?;
            if let Err(error) = fs::rename(folder.path(), &target) {
                // Put the previous render back; the new one is dropped with `folder`.
                let _ = fs::rename(&retired, &target);
                return Err(Error::io(&target, "cannot replace", &error));
            }
            let _ = folder.keep();
            fs::remove_dir_all(&retired).map_err(|e| Error::io(&retired, "cannot remove", &e))?;
        } else {
            fs::rename(folder.path(), &target)
                .map_err(|e| Error::io(&target, "cannot create", &e))?;
            let _ = folder.keep();
        }
        Ok(())
    }
}

/// The folders a run created to hold its out-dir: removed again, if still empty, when
/// the run fails (dropped without [`CreatedFolders::keep`]).
pub struct CreatedFolders(Vec<PathBuf>);

impl CreatedFolders {
    /// Creates `dir` and the folders above it that do not exist yet.
    pub fn create(dir: &Path) -> Result<Self> {
        let missing: Vec<PathBuf> = dir
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .take_while(|a| fs::symlink_metadata(a).is_err())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create the folder", &e))?;
        Ok(Self(missing))
    }

    /// The run succeeded: the folders stay.
    pub fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for CreatedFolders {
    fn drop(&mut self) {
        // Deepest first; a folder that is not empty stays.
        for folder in &self.0 {
            let _ = fs::remove_dir(folder);
        }
    }
}

fn retired_name(parent: &Path) -> Result<PathBuf> {
    let holder = tempfile::Builder::new()
        .prefix(".stagehand-old-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, "cannot create a temporary folder in", &e))?;
    // Only the unique name is wanted: the empty folder is removed so rename can take it.
    let path = holder.path().to_path_buf();
    drop(holder);
    Ok(path)
}

/// Refuses to replace `dir` if it holds anything but files stagehand writes.
fn refuse_foreign_files(dir: &Path, files: &[(String, String)]) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Usage(format!(
                "{}: --out-dir is a file, not a folder",
                dir.display()
            )));
        }
        return Ok(());
    };
    let ours: BTreeSet<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let mut foreign: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name();
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            !(is_file && name.to_str().is_some_and(|n| ours.contains(n)))
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    foreign.sort();
    if let Some(first) = foreign.first() {
        return Err(Error::Usage(format!(
            "{}: refusing to replace this folder: it holds `{first}`{}, which stagehand did not write \
             (give --out-dir a new folder, or one that holds only a previous render)",
            dir.display(),
            if foreign.len() > 1 {
                format!(" and {} more", foreign.len() - 1)
            } else {
                String::new()
            }
        )));
    }
    Ok(())
}

/// The files under `dir` that differ from `files`, would be created, or would be removed.
pub fn changed_files(dir: &Path, files: &[(String, String)]) -> Vec<PathBuf> {
    let mut changed: Vec<PathBuf> = files
        .iter()
        .filter(|(name, content)| {
            fs::read(dir.join(name)).ok().as_deref() != Some(content.as_bytes())
        })
        .map(|(name, _)| dir.join(name))
        .collect();
    let ours: BTreeSet<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    if let Ok(entries) = fs::read_dir(dir) {
        let mut extra: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok())
            .filter(|entry| !entry.file_name().to_str().is_some_and(|n| ours.contains(n)))
            .map(|entry| entry.path())
            .collect();
        extra.sort();
        changed.extend(extra);
    }
    changed
}
