//! What an interrupted run leaves behind: temporary files and folders registered here are
//! removed when SIGINT, SIGTERM or SIGHUP arrives, and the process then exits as the
//! signal asked (128 + its number). SIGKILL cannot be caught: whatever takes a temporary
//! path also removes the leftovers of killed runs the next time it runs.
//!
//! The handler runs on a thread of its own, started by the first registration. It takes
//! a lock before it removes anything, so a step that must not be cut in two
//! (a rename that swaps folders) holds a [`Critical`] guard and finishes first.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// Registered paths, by registration number.
static REGISTRY: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());

/// The next registration number.
static NEXT: Mutex<u64> = Mutex::new(0);

/// Held by a step that must not be cut in two, and by the handler before it removes.
static CRITICAL: Mutex<()> = Mutex::new(());

static HANDLER: Once = Once::new();

/// Set once a signal arrived: work that creates files checks it and stops.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a signal has arrived (the run is ending): code that creates files or folders
/// (and might recreate a removed temporary folder) stops instead.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// A path removed if the run is interrupted while this guard lives.
#[derive(Debug)]
pub struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        registry().retain(|(id, _)| *id != self.0);
    }
}

/// Holds off the interrupt handler (and so the exit) while it lives.
pub struct Critical(#[allow(dead_code)] MutexGuard<'static, ()>);

/// Removes `path` (a file, or a folder with everything in it) if a signal interrupts the
/// run before the returned guard is dropped.
pub fn remove_on_interrupt(path: &Path) -> Registered {
    HANDLER.call_once(start_handler);
    let id = {
        let mut next = NEXT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *next += 1;
        *next
    };
    registry().push((id, path.to_path_buf()));
    Registered(id)
}

/// Defers an interrupt until the returned guard is dropped. Creating a temporary path
/// and registering it inside one such section leaves no moment where a signal would
/// leave it behind.
pub fn critical() -> Critical {
    HANDLER.call_once(start_handler);
    Critical(
        CRITICAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    )
}

fn registry() -> MutexGuard<'static, Vec<(u64, PathBuf)>> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn start_handler() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
            let _critical = critical();
            let paths = registry();
            // A step already under way may recreate a folder once: removed until it stays
            // gone (at most about half a second).
            for _ in 0..100 {
                for (_, path) in paths.iter() {
                    remove(path);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
                if paths
                    .iter()
                    .all(|(_, path)| std::fs::symlink_metadata(path).is_err())
                {
                    break;
                }
            }
            std::process::exit(128 + signal);
        }
    });
}

/// Removes a file or a folder tree; what is already gone is fine. Another thread may be
/// removing or writing into the same tree (a run's workers, or the signal handler while
/// the main thread drops its staging folder): the removal is tried again until the path is
/// gone, a bounded number of times. (A single attempt here left a half-removed folder when
/// a SIGTERM met the main thread's own removal: `a_run_stopped_at_any_moment`, round 4.)
pub fn remove(path: &Path) {
    for _ in 0..100 {
        let outcome = match std::fs::symlink_metadata(path) {
            Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(_) => return,
        };
        if outcome.is_ok() {
            return;
        }
    }
}
