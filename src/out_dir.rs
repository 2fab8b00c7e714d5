//! Writing an out-dir all at once, and `--check` against one.
//!
//! A run builds the whole new out-dir in a hidden folder beside it (the staging folder):
//! each environment's files as soon as it renders, and, once every environment of the run
//! succeeded, the out-dir's other entries (environments not in this run, a README)
//! hard-linked in. Then one `renameat2(RENAME_EXCHANGE)` swaps the two folders, and the
//! previous out-dir, now at the staging name, is removed. Until the swap the out-dir is
//! untouched; after it, it is wholly the new one: a failed, killed or interrupted run
//! leaves every environment folder as one run wrote it, old or new, and none missing.
//! Where the kernel or file system cannot exchange (not Linux, or EINVAL), the out-dir is
//! renamed aside and the staging folder into its place: two renames, between which the
//! out-dir is briefly absent, never mixed.
//!
//! Runs that write beside the same folder take its lock (`flock` on the folder that holds
//! the out-dir), so two renders never interleave: the second waits. Under the lock, the
//! staging folders of killed runs are removed. Staging and lock live beside the out-dir,
//! so after a run the out-dir holds only what it should. A folder holding files stagehand
//! did not write is never replaced, so nothing is lost to a mistyped `--out-dir`.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::interrupt::{Registered, critical, remove, remove_on_interrupt};

/// The part of a staging folder's name after the out-dir's own name.
const STAGING_MARK: &str = ".stagehand-";

/// Hidden folders earlier versions left inside an out-dir; never carried over.
const LEGACY_LEFTOVERS: [&str; 2] = [".stagehand-new-", ".stagehand-old-"];

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

/// How the out-dir holds the run's environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One environment: its files directly in the out-dir.
    Single,
    /// Several: one sub-folder per environment, by `metadata.name`.
    PerEnvironment,
}

/// A new out-dir being built beside the current one, swapped in by [`Swap::commit`];
/// dropped without it (a failed run), it goes and the out-dir stays as it was.
pub struct Swap {
    out_dir: PathBuf,
    layout: Layout,
    staging: PathBuf,
    _registered: Registered,
    _lock: fs::File,
}

impl Drop for Swap {
    fn drop(&mut self) {
        remove(&self.staging);
    }
}

impl Swap {
    /// Takes the lock beside `out_dir` (creating the folders above it), removes the staging
    /// folders of killed runs, and makes this run's. The out-dir must be a folder of its
    /// own: not a symbolic link or a file, not holding the current folder or a repository.
    pub fn begin(out_dir: &Path, layout: Layout) -> Result<(Self, CreatedFolders)> {
        refuse_symlink(out_dir)?;
        if out_dir.exists() && !out_dir.is_dir() {
            return Err(Error::Usage(format!(
                "{}: --out-dir is a file, not a folder",
                out_dir.display()
            )));
        }
        let name = out_dir
            .file_name()
            .filter(|_| !out_dir.ends_with(".") && !out_dir.ends_with(".."))
            .map(|n| n.to_string_lossy().into_owned());
        let (Some(name), Some(parent)) = (name, out_dir.parent()) else {
            return Err(own_folder_needed(out_dir));
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let created = CreatedFolders::create(parent)?;
        let parent = parent
            .canonicalize()
            .map_err(|e| Error::io(parent, "cannot open the folder", &e))?;
        let out_dir = parent.join(&name);
        if out_dir.join(".git").exists()
            || std::env::current_dir().is_ok_and(|cwd| cwd.starts_with(&out_dir))
        {
            return Err(own_folder_needed(&out_dir));
        }
        refuse_mount_point(&out_dir, &parent)?;
        let lock = crate::lock::lock_folder(&parent)?;
        remove_staging_leftovers(&parent, &name);
        let section = critical();
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}{STAGING_MARK}"))
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, "cannot create a temporary folder in", &e))?
            .keep();
        let registered = remove_on_interrupt(&staging);
        drop(section);
        Ok((
            Self {
                out_dir,
                layout,
                staging,
                _registered: registered,
                _lock: lock,
            },
            created,
        ))
    }

    /// Writes one environment's files into the staging folder (`name` is its
    /// `metadata.name`), after checking that what they replace is a previous render.
    pub fn write(&self, name: &str, files: &[(String, String)]) -> Result<()> {
        let (current, staged) = match self.layout {
            Layout::Single => (self.out_dir.clone(), self.staging.clone()),
            Layout::PerEnvironment => (self.out_dir.join(name), self.staging.join(name)),
        };
        refuse_symlink(&current)?;
        refuse_foreign_files(&current, files)?;
        if self.layout == Layout::PerEnvironment {
            refuse_mount_point(&current, &self.out_dir)?;
            match fs::create_dir(&staged) {
                Ok(()) => {}
                // Two environments of the run share a name: the run is refused (naming
                // both) before anything is committed, so the second is not written.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
                Err(e) => return Err(Error::io(&staged, "cannot create", &e)),
            }
        }
        for (file, content) in files {
            let path = staged.join(file);
            // No fsync per file: the swap makes a run atomic against failures and
            // interruption; syncing 8 files per environment made 1,000 environments take seconds.
            fs::write(&path, content).map_err(|e| Error::io(&path, "cannot write", &e))?;
        }
        Ok(())
    }

    /// Carries over what the run did not write (`written`: the environments' names), then
    /// swaps the staging folder with the out-dir and removes the previous one.
    pub fn commit(self, written: &BTreeSet<&str>) -> Result<()> {
        if self.layout == Layout::PerEnvironment
            && let Ok(entries) = fs::read_dir(&self.out_dir)
        {
            let device = fs::metadata(&self.out_dir)
                .map_err(|e| Error::io(&self.out_dir, "cannot read", &e))?
                .dev();
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&self.out_dir, "cannot read", &e))?;
                let name = entry.file_name();
                let text = name.to_string_lossy();
                if written.contains(text.as_ref())
                    || LEGACY_LEFTOVERS.iter().any(|p| text.starts_with(p))
                {
                    continue;
                }
                link_tree(&entry.path(), &self.staging.join(&name), device)?;
            }
        }
        let section = critical();
        if fs::symlink_metadata(&self.out_dir).is_ok() {
            swap_folders(&self.staging, &self.out_dir)?;
        } else {
            fs::rename(&self.staging, &self.out_dir)
                .map_err(|e| Error::io(&self.out_dir, "cannot create", &e))?;
        }
        drop(section);
        // The previous out-dir is at the staging name now; `Drop` removes it.
        Ok(())
    }
}

fn own_folder_needed(dir: &Path) -> Error {
    Error::Usage(format!(
        "{}: --out-dir must be a folder of its own, replaced as a whole (not the current \
         folder, one above it, or a repository); give one such as rendered/",
        dir.display()
    ))
}

/// Exchanges two folders in one step where the system can; else renames `current` aside,
/// `staged` into its place, and the previous folder to `staged`'s name.
fn swap_folders(staged: &Path, current: &Path) -> Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, staged, CWD, current, RenameFlags::EXCHANGE) {
        Ok(()) => return Ok(()),
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::NOTSUP) => {}
        Err(errno) => {
            return Err(Error::io(current, "cannot replace", &errno.into()));
        }
    }
    let mut aside = staged.as_os_str().to_owned();
    aside.push("-previous");
    let aside = PathBuf::from(aside);
    fs::rename(current, &aside).map_err(|e| Error::io(current, "cannot replace", &e))?;
    if let Err(error) = fs::rename(staged, current) {
        let _ = fs::rename(&aside, current);
        return Err(Error::io(current, "cannot replace", &error));
    }
    fs::rename(&aside, staged).map_err(|e| Error::io(&aside, "cannot move", &e))
}

/// Removes the staging folders of runs that were killed (`.<name>.stagehand-*` beside
/// the out-dir): under the lock, none is in use.
fn remove_staging_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}{STAGING_MARK}");
    for entry in fs::read_dir(parent).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            remove(&entry.path());
        }
    }
}

/// A folder on another file system than its parent (a mount point) cannot be renamed,
/// and removing the previous out-dir would reach into it: refused before anything is
/// written.
fn refuse_mount_point(dir: &Path, parent: &Path) -> Result<()> {
    let (Ok(inner), Ok(outer)) = (fs::symlink_metadata(dir), fs::metadata(parent)) else {
        return Ok(());
    };
    if inner.dev() != outer.dev() {
        return Err(Error::Usage(format!(
            "{}: is a mount point; stagehand replaces out-dir folders by rename, which a \
             mount point refuses (unmount it, or give --out-dir a folder that holds none); \
             nothing was written",
            dir.display()
        )));
    }
    Ok(())
}

/// Recreates `from` at `to` with hard links to its files (a copy where a link is refused),
/// its folders and its symbolic links as they are.
fn link_tree(from: &Path, to: &Path, device: u64) -> Result<()> {
    let metadata = fs::symlink_metadata(from).map_err(|e| Error::io(from, "cannot read", &e))?;
    let kind = metadata.file_type();
    if kind.is_symlink() {
        let target = fs::read_link(from).map_err(|e| Error::io(from, "cannot read", &e))?;
        return std::os::unix::fs::symlink(target, to)
            .map_err(|e| Error::io(to, "cannot create", &e));
    }
    if metadata.dev() != device {
        return Err(Error::Usage(format!(
            "{}: is a mount point inside the out-dir; stagehand replaces the out-dir as a \
             whole and cannot carry a mount over (unmount it); nothing was written",
            from.display()
        )));
    }
    if kind.is_dir() {
        fs::create_dir(to).map_err(|e| Error::io(to, "cannot create", &e))?;
        for entry in fs::read_dir(from).map_err(|e| Error::io(from, "cannot read", &e))? {
            let entry = entry.map_err(|e| Error::io(from, "cannot read", &e))?;
            link_tree(&entry.path(), &to.join(entry.file_name()), device)?;
        }
        return Ok(());
    }
    if !kind.is_file() {
        return Err(Error::Usage(format!(
            "{}: is not a file, folder or link (a FIFO, socket or device), which stagehand \
             cannot carry over into the new out-dir; remove it; nothing was written",
            from.display()
        )));
    }
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to).map_err(|e| Error::io(to, "cannot copy", &e))?;
    }
    Ok(())
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
