//! The memory allocator of musl builds (the ArgoCD sidecar image builds on Alpine).
//!
//! musl's own malloc makes one render 1.31 to 1.33 times as long as with Talc, a
//! dlmalloc-style allocator that takes memory from the system allocator in 1 MiB blocks and
//! hands out the small pieces itself (3.51 against 2.67 ms a render, 3.44 against 2.59 ms a
//! `generate`; 300 interleaved runs of `dist` builds, `python3 bench/compare.py`,
//! 2026-12-06). With Talc a musl render is within 2.5% of the glibc build (2.60 against
//! 2.54 ms), which is what every ArgoCD call runs. Its lock spins, and on contention gives
//! the core back to the scheduler, so that a render thread does not spin through a time
//! slice while the holder waits to run.
//!
//! Many environments in one process (`render`, `validate` or `diff` over a repository) are
//! where musl stays slow: one lock for every thread. 1,000 environments took 1.19 to 1.30 s
//! with Talc, 1.26 to 1.40 s with musl's malloc (Talc 5 to 8% faster) and 0.36 s on
//! glibc; a profile shows Talc's allocate (14%), `sched_yield` (20,398 calls) and musl's
//! memcpy (9%). BENCHMARKS.md has each run's figures. glibc builds keep glibc's malloc,
//! which gives each thread an arena of its own (when Talc was added, it saved 3% of one
//! glibc render and took 1.7 times as long for the 1,000).

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
