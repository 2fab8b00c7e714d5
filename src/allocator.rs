//! The memory allocator of musl builds (the ArgoCD sidecar image builds on Alpine).
//!
//! With musl's own malloc a render took 1.6 times as long as the glibc build of the same
//! source (2.41 against 1.58 ms a process, 263 page faults against 136), and 1,000
//! environments in one process 3.8 times as long (1.83 against 0.46 s: every thread waits
//! on malloc's one lock). Talc, a dlmalloc-style allocator, takes memory from the system
//! allocator in 1 MiB blocks and hands out the small pieces itself: a musl render then
//! takes 1.48 ms and the 1,000 environments 0.68 s (BENCHMARKS.md has each run's figures).
//! Its lock spins, and on contention gives the core back to the scheduler, so that a
//! render thread does not spin through a time slice while the holder waits to run
//! (spinning without yielding: 0.75 s for the 1,000). glibc builds keep glibc's malloc:
//! Talc saved 3% of one render there and took 1.7 times as long for the 1,000 (glibc
//! gives each thread an arena of its own).

use std::alloc::System;

use spin::mutex::SpinMutex;
use spin::relax::Yield;
use talc::TalcLock;
use talc::source::GlobalAllocSource;

/// Every allocation of a musl build of stagehand.
#[global_allocator]
static ALLOCATOR: TalcLock<SpinMutex<(), Yield>, GlobalAllocSource<System>> =
    TalcLock::new(GlobalAllocSource::new(System));

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    #[test]
    fn an_allocation_larger_than_a_block_is_whole() {
        // Talc asks the system for 1 MiB blocks; this needs several at once.
        let big: Vec<u64> = (0..600_000).collect();
        assert_eq!(big.iter().sum::<u64>(), 599_999 * 600_000 / 2);
    }

    #[test]
    fn memory_allocated_on_one_thread_is_freed_on_another() {
        let (send, receive) = mpsc::channel::<Vec<String>>();
        let producer = std::thread::spawn(move || {
            for round in 0..200 {
                send.send((0..100).map(|i| format!("{round}-{i}")).collect())
                    .unwrap();
            }
        });
        let mut total = 0;
        for batch in receive {
            total += batch.iter().filter(|s| s.contains('-')).count();
        }
        producer.join().unwrap();
        assert_eq!(total, 20_000);
    }
}
