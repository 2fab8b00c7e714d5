//! The benchmark's yardstick for `render --out-dir`: creates the same folders and files
//! with the same bytes, and does nothing else, on as many threads as stagehand uses.
//!
//! `minimal_writer PACK DEST` reads PACK (records of a little-endian u32 length and a
//! relative path, then a u32 length and the file's bytes, as `bench/measure.py` writes
//! them) and writes each file under DEST, one folder per task. Run by `bash bench/run.sh`.

use std::path::{Path, PathBuf};

/// One file to write: its path relative to DEST and its bytes.
struct File<'a> {
    path: PathBuf,
    bytes: &'a [u8],
}

/// The next length-prefixed field of the pack.
fn field<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (length, tail) = rest.split_first_chunk::<4>()?;
    let (field, tail) = tail.split_at_checked(u32::from_le_bytes(*length) as usize)?;
    *rest = tail;
    Some(field)
}

/// Splits the pack into its files.
fn files(pack: &[u8]) -> Vec<File<'_>> {
    let mut files = Vec::new();
    let mut rest = pack;
    while !rest.is_empty() {
        let (Some(path), Some(bytes)) = (field(&mut rest), field(&mut rest)) else {
            eprintln!("minimal_writer: the pack is truncated");
            std::process::exit(2);
        };
        files.push(File {
            path: PathBuf::from(String::from_utf8_lossy(path).into_owned()),
            bytes,
        });
    }
    files
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [pack, dest] = arguments.as_slice() else {
        eprintln!("usage: minimal_writer PACK DEST");
        std::process::exit(2);
    };
    let pack = std::fs::read(pack).unwrap_or_else(|error| {
        eprintln!("minimal_writer: cannot read {pack}: {error}");
        std::process::exit(2);
    });
    let files = files(&pack);
    let dest = Path::new(dest);
    // One group per folder, folders shared out between the threads.
    let mut folders: Vec<(PathBuf, Vec<&File>)> = Vec::new();
    for file in &files {
        let folder = file.path.parent().unwrap_or(Path::new("")).to_path_buf();
        match folders.last_mut() {
            Some((last, group)) if *last == folder => group.push(file),
            _ => folders.push((folder, vec![file])),
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = folders.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for share in folders.chunks(chunk) {
            scope.spawn(move || {
                for (folder, group) in share {
                    let folder = dest.join(folder);
                    std::fs::create_dir_all(&folder).expect("create the folder");
                    for file in group {
                        std::fs::write(dest.join(&file.path), file.bytes).expect("write the file");
                    }
                }
            });
        }
    });
}
