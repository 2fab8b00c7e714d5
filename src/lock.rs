//! One stagehand run at a time writes in a folder: `flock` on the folder itself, so no
//! lock file is left behind. `seal` and `render --out-dir` take it around their
//! read-modify-write.

use std::fs;
use std::path::Path;

use crate::error::{Error, Result};

/// Takes the lock of `folder` (`flock` on the folder itself: no file is left behind),
/// waiting, with a note, while another run holds it.
pub fn lock_folder(folder: &Path) -> Result<fs::File> {
    let handle =
        fs::File::open(folder).map_err(|e| Error::io(folder, "cannot open the folder", &e))?;
    match handle.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            crate::error::eprint_warning(&format!(
                "note: another stagehand run is writing in {}; waiting for it to finish",
                folder.display()
            ));
            handle
                .lock()
                .map_err(|e| Error::io(folder, "cannot lock the folder", &e))?;
        }
        Err(fs::TryLockError::Error(e)) => {
            return Err(Error::io(folder, "cannot lock the folder", &e));
        }
    }
    Ok(handle)
}
