//! Writing an out-dir atomically, and `--check` against one.
//!
//! Files are written into a temporary folder beside the target, which then replaces the
//! target by rename: a failed or interrupted run leaves the previous render intact. A
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
pub fn check_replaceable(dir: &Path, files: &[(String, String)]) -> Result<()> {
    refuse_symlink(dir)?;
    refuse_foreign_files(dir, files)
}

/// Replaces the folder `dir` with exactly `files`.
pub fn write_atomically(dir: &Path, files: &[(String, String)]) -> Result<()> {
    check_replaceable(dir, files)?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io(parent, "cannot create the folder", &e))?;
    let staging = tempfile::Builder::new()
        .prefix(".stagehand-new-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, "cannot create a temporary folder in", &e))?;
    for (name, content) in files {
        let path = staging.path().join(name);
        // No fsync per file: the rename makes a run atomic against failures and
        // interruption; syncing 8 files per environment made 1,000 environments take seconds.
        fs::write(&path, content).map_err(|e| Error::io(&path, "cannot write", &e))?;
    }
    if dir.exists() {
        let retired = retired_name(parent)?;
        fs::rename(dir, &retired).map_err(|e| Error::io(dir, "cannot replace", &e))?;
        if let Err(error) = fs::rename(staging.path(), dir) {
            // Put the previous render back; the new one is dropped with `staging`.
            let _ = fs::rename(&retired, dir);
            return Err(Error::io(dir, "cannot replace", &error));
        }
        let _ = staging.keep();
        fs::remove_dir_all(&retired).map_err(|e| Error::io(&retired, "cannot remove", &e))?;
    } else {
        fs::rename(staging.path(), dir).map_err(|e| Error::io(dir, "cannot create", &e))?;
        let _ = staging.keep();
    }
    Ok(())
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
