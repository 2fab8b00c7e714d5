//! A git revision read through git, without checking it out: the list of its files
//! (`git ls-tree`), their contents on demand (one `git cat-file --batch` process), and
//! only the files an old-side render needs written into a temporary folder.
//!
//! A diff whose change touches one environment of a thousand then reads a thousand small
//! blobs to see that the rest are unchanged, and writes one environment's files, instead
//! of extracting and deleting the whole tree.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// What a path holds: a file's bytes, or a symbolic link's target (never followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file.
    File(Vec<u8>),
    /// A symbolic link, as the text of its target.
    Link(Vec<u8>),
}

/// Runs `git -C dir ARGS` and returns its stdout; a failure names the command.
pub fn git(dir: &Path, args: &[&str]) -> Result<String> {
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

/// The repository holding `dir`, from git.
pub fn repository_top(dir: &Path) -> Result<PathBuf> {
    let output = git(dir, &["rev-parse", "--show-toplevel"])?;
    Ok(PathBuf::from(output.trim()))
}

/// The commits a `diff --base REVISION` compares: the base's, and the working tree's HEAD
/// (and whether files differ from it), as abbreviated hashes.
pub fn revisions(top: &Path, revision: &str) -> crate::diff::Revisions {
    let short = |name: &str| {
        git(
            top,
            &["rev-parse", "--short", &format!("{name}^{{commit}}")],
        )
        .map(|hash| hash.trim().to_string())
        .unwrap_or_default()
    };
    let uncommitted = git(top, &["status", "--porcelain", "--ignore-submodules"])
        .is_ok_and(|listing| !listing.trim().is_empty());
    crate::diff::Revisions {
        base: revision.to_string(),
        base_commit: short(revision),
        head_commit: short("HEAD"),
        uncommitted,
    }
}

/// One blob in the tree.
#[derive(Debug, Clone)]
struct Blob {
    id: String,
    link: bool,
}

/// The files of one revision, and a `git cat-file` process to read them.
pub struct RevisionTree {
    blobs: BTreeMap<PathBuf, Blob>,
    reader: Mutex<BlobReader>,
}

impl RevisionTree {
    /// Lists `revision` of the repository at `top`; an unknown revision is a usage error.
    pub fn open(top: &Path, revision: &str) -> Result<Self> {
        let commit = format!("{revision}^{{commit}}");
        git(top, &["rev-parse", "--verify", "--quiet", &commit]).map_err(|_| {
            let shallow = git(top, &["rev-parse", "--is-shallow-repository"])
                .is_ok_and(|answer| answer.trim() == "true");
            Error::Usage(if shallow {
                format!(
                    "`{revision}` is not in this clone, which is shallow (fetched with a depth): \
                     fetch more history with `git fetch --deepen=100` (or `git fetch --unshallow`; \
                     in GitHub Actions, `fetch-depth: 0` for actions/checkout)"
                )
            } else {
                format!(
                    "`{revision}` is not a revision of this repository (try origin/main, HEAD~1 or a commit id)"
                )
            })
        })?;
        let listing = git(top, &["ls-tree", "-r", "-z", "--full-tree", &commit])?;
        let mut blobs = BTreeMap::new();
        for record in listing.split('\0').filter(|r| !r.is_empty()) {
            // `<mode> <type> <id>\t<path>`
            let Some((meta, path)) = record.split_once('\t') else {
                continue;
            };
            let mut fields = meta.split(' ');
            let (Some(mode), Some("blob"), Some(id)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            blobs.insert(
                PathBuf::from(path),
                Blob {
                    id: id.to_string(),
                    link: mode == "120000",
                },
            );
        }
        Ok(Self {
            blobs,
            reader: Mutex::new(BlobReader::start(top)?),
        })
    }

    /// Whether `path` (relative to the top) is a file or a folder at the revision.
    pub fn contains(&self, path: &Path) -> bool {
        let Some(path) = within_top(path) else {
            return false;
        };
        path.as_os_str().is_empty()
            || self
                .blobs
                .range(path.clone()..)
                .next()
                .is_some_and(|(found, _)| found.starts_with(&path))
    }

    /// Paths of the files whose name is `name`, under one of `paths`, outside any folder
    /// named in `skipped`.
    pub fn files_named(&self, name: &str, paths: &[PathBuf], skipped: &[&str]) -> Vec<PathBuf> {
        let starts: Vec<PathBuf> = paths.iter().filter_map(|p| within_top(p)).collect();
        self.blobs
            .keys()
            .filter(|path| path.file_name().is_some_and(|n| n == name))
            .filter(|path| starts.iter().any(|start| path.starts_with(start)))
            .filter(|path| {
                !path.components().any(|c| {
                    skipped
                        .iter()
                        .any(|skip| c.as_os_str() == std::ffi::OsStr::new(skip))
                })
            })
            .cloned()
            .collect()
    }

    /// The file or link at `path`, if the revision has one.
    pub fn entry(&self, path: &Path) -> Option<Entry> {
        let blob = self.blobs.get(&within_top(path)?)?;
        let bytes = self.reader.lock().ok()?.read(&blob.id)?;
        Some(if blob.link {
            Entry::Link(bytes)
        } else {
            Entry::File(bytes)
        })
    }

    /// Names of the files directly inside `folder`, sorted.
    pub fn file_names(&self, folder: &Path) -> Vec<String> {
        let Some(folder) = within_top(folder) else {
            return Vec::new();
        };
        self.blobs
            .keys()
            .filter(|path| path.parent() == Some(folder.as_path()))
            .filter_map(|path| path.file_name()?.to_str().map(str::to_string))
            .collect()
    }

    /// Writes the file `file` and, recursively, the folder `folder` (when given) into
    /// `into`, as the revision has them: links as links, and what each link inside the
    /// repository points at, so that the render follows it as it would in a checkout.
    pub fn materialize(&self, into: &Path, file: &Path, folder: Option<&Path>) -> Result<()> {
        let mut pending: Vec<PathBuf> = std::iter::once(file)
            .chain(folder)
            .filter_map(within_top)
            .collect();
        let mut done = std::collections::HashSet::new();
        while let Some(prefix) = pending.pop() {
            if !done.insert(prefix.clone()) {
                continue;
            }
            let wanted = self.blobs.keys().filter(|path| path.starts_with(&prefix));
            for path in wanted {
                let target = into.join(path);
                if target.exists() || target.is_symlink() {
                    continue;
                }
                let Some(entry) = self.entry(path) else {
                    continue;
                };
                if crate::interrupt::interrupted() {
                    return Err(Error::Usage("interrupted".into()));
                }
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| Error::io(parent, "cannot create the folder", &e))?;
                }
                match entry {
                    Entry::File(bytes) => std::fs::write(&target, bytes)
                        .map_err(|e| Error::io(&target, "cannot write", &e))?,
                    Entry::Link(to) => {
                        let to = PathBuf::from(String::from_utf8_lossy(&to).into_owned());
                        if let Some(pointed) = path.parent().and_then(|p| within_top(&p.join(&to)))
                        {
                            pending.push(pointed);
                        }
                        std::os::unix::fs::symlink(&to, &target)
                            .map_err(|e| Error::io(&target, "cannot create the link", &e))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `path` without `.` components and with `..` applied, if it stays inside the top: `None`
/// for an absolute path or one that rises above it.
pub fn within_top(path: &Path) -> Option<PathBuf> {
    let mut inside = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => inside.push(part),
            Component::ParentDir => {
                if !inside.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(inside)
}

/// A running `git cat-file --batch`: one blob id in, its header and bytes out.
struct BlobReader {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    read: HashMap<String, Vec<u8>>,
}

impl BlobReader {
    fn start(top: &Path) -> Result<Self> {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(top)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::Usage(format!("cannot run git cat-file: {e}")))?;
        let input = child.stdin.take();
        let output = child.stdout.take();
        match (input, output) {
            (Some(input), Some(output)) => Ok(Self {
                child,
                input,
                output: BufReader::new(output),
                read: HashMap::new(),
            }),
            _ => Err(Error::Usage("git cat-file gave no pipes".into())),
        }
    }

    /// The bytes of the blob `id`, read once.
    fn read(&mut self, id: &str) -> Option<Vec<u8>> {
        if let Some(bytes) = self.read.get(id) {
            return Some(bytes.clone());
        }
        writeln!(self.input, "{id}").ok()?;
        self.input.flush().ok()?;
        let mut header = String::new();
        self.output.read_line(&mut header).ok()?;
        // `<id> blob <size>`, or `<id> missing`.
        let size: usize = header.trim_end().rsplit(' ').next()?.parse().ok()?;
        let mut bytes = vec![0; size + 1];
        self.output.read_exact(&mut bytes).ok()?;
        bytes.pop();
        self.read.insert(id.to_string(), bytes.clone());
        Some(bytes)
    }
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
