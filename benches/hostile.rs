//! Whole-process time of `stagehand render` and `stagehand validate` on every hostile input
//! of `hostile_corpus.rs` (each just under the 1 MiB limit). Run by `bash bench/run.sh`,
//! which puts the table into BENCHMARKS.md; alone: `cargo bench --bench hostile`.
//!
//! Writes `target/hostile-bench.tsv`: name, exit code, median and slowest wall seconds of
//! `render` and of `validate` over [`RUNS`] runs each, and what the input does. With
//! `STAGEHAND_HOSTILE_DIR=DIR` the inputs are written to DIR and kept (for a profiler).

#[path = "hostile_corpus.rs"]
mod hostile_corpus;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs per command and input.
const RUNS: usize = 7;

/// Wall time and exit code of `stagehand COMMAND DIR`, output discarded.
fn timed(command: &str, dir: &Path) -> (Duration, i32) {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_stagehand"))
        .args([command, "--quiet"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run stagehand");
    (started.elapsed(), status.code().unwrap_or(-1))
}

/// Median and slowest of [`RUNS`] runs; panics when an exit code is not `expected`.
fn measure(command: &str, dir: &Path, expected: i32, name: &str) -> (Duration, Duration) {
    let mut walls: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let (wall, code) = timed(command, dir);
            assert_eq!(code, expected, "{command} {name}: exit code");
            wall
        })
        .collect();
    walls.sort();
    (walls[RUNS / 2], walls[RUNS - 1])
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let work = tempfile::tempdir().expect("a temporary folder");
    let kept = std::env::var_os("STAGEHAND_HOSTILE_DIR").map(std::path::PathBuf::from);
    let folder = kept.as_deref().unwrap_or(work.path());
    let mut rows = String::from(
        "name\texit\trender_median\trender_max\tvalidate_median\tvalidate_max\tbytes\tabout\n",
    );
    for file in hostile_corpus::corpus() {
        let dir = folder.join(file.name);
        std::fs::create_dir_all(&dir).expect("a folder per input");
        std::fs::write(dir.join("environment.yaml"), &file.text).expect("write the input");
        let (render_median, render_max) = measure("render", &dir, file.exit_code, file.name);
        let (validate_median, validate_max) = measure("validate", &dir, file.exit_code, file.name);
        println!(
            "{:<28} exit {}  render {:>7.1} ms (slowest {:>7.1})  validate {:>7.1} ms (slowest {:>7.1})",
            file.name,
            file.exit_code,
            render_median.as_secs_f64() * 1000.0,
            render_max.as_secs_f64() * 1000.0,
            validate_median.as_secs_f64() * 1000.0,
            validate_max.as_secs_f64() * 1000.0,
        );
        rows.push_str(&format!(
            "{}\t{}\t{:.6}\t{:.6}\t{:.6}\t{:.6}\t{}\t{}\n",
            file.name,
            file.exit_code,
            render_median.as_secs_f64(),
            render_max.as_secs_f64(),
            validate_median.as_secs_f64(),
            validate_max.as_secs_f64(),
            file.text.len(),
            file.about,
        ));
    }
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/hostile-bench.tsv");
    std::fs::File::create(&target)
        .and_then(|mut out| out.write_all(rows.as_bytes()))
        .expect("write target/hostile-bench.tsv");
}
