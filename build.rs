//! Build-time work that keeps every `stagehand` process short (one render is a few
//! milliseconds, so start-up is a large share of it):
//!
//! 1. The built-in base's defaults (`base/environment.yaml`) are converted to JSON here,
//!    so a process reads them with serde_json instead of running a YAML parser on them
//!    (`base::tests::built_in_defaults_json_equals_the_yaml` keeps the two equal).
//! 2. On Linux with glibc, libgcc's unwinder is linked statically (what `gcc
//!    -static-libgcc` does): loading `libgcc_s.so` costs every process about 0.09 ms,
//!    most of it its constructor probing the CPU. Elsewhere, or when `libgcc_eh.a` cannot
//!    be found, nothing changes.
//! 3. There, the `stagehand` binary is also linked statically against glibc (a static PIE):
//!    no program interpreter, no shared libraries to map and relocate, about 0.2 ms and
//!    1.3 MiB less per process. It needs glibc's static archives (Debian's libc6-dev has
//!    them; Fedora's are in glibc-static); without them, or with `STAGEHAND_DYNAMIC=1` set,
//!    the binary is linked dynamically as usual.
//! 4. In release builds, the functions a render runs (listed in `symbol-order.txt` by
//!    `bench/symbol_order.py`) are placed side by side in the binary, when the linker
//!    takes `--symbol-ordering-file` (lld, rustc's default linker on x86-64 Linux since
//!    1.90; a probe link finds out). A process that starts with cold caches then touches
//!    1 MB of code instead of pages spread over 6.6 MB. Names the binary does not define
//!    (after a toolchain update, say) are ignored.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    defaults_as_json(&out_dir);
    if let Some(compiler) = glibc_compiler() {
        static_unwinder(&out_dir, &compiler);
        static_binary(&out_dir, &compiler);
    }
    symbol_order(&out_dir);
}

fn defaults_as_json(out_dir: &Path) {
    println!("cargo:rerun-if-changed=base/environment.yaml");
    let text = std::fs::read_to_string("base/environment.yaml").expect("base/environment.yaml");
    let defaults: serde_json::Value =
        serde_yaml::from_str(&text).expect("base/environment.yaml is valid YAML");
    let json = serde_json::to_string(&defaults).expect("JSON of the defaults");
    std::fs::write(out_dir.join("base-defaults.json"), json).expect("write base-defaults.json");
    long_version(&defaults);
}

/// `stagehand --version`: the crate version, the commit when built from a git checkout,
/// and the chart versions the built-in base was written for.
fn long_version(defaults: &serde_json::Value) {
    // Rebuilt when the checked-out commit moves: HEAD, and the branch it names.
    println!("cargo:rerun-if-changed=.git/HEAD");
    if let Ok(head) = std::fs::read_to_string(".git/HEAD")
        && let Some(branch) = head.trim().strip_prefix("ref: ")
    {
        println!("cargo:rerun-if-changed=.git/{branch}");
    }
    let charts: Vec<String> = defaults["chartVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|commit| !commit.is_empty());
    let version = format!(
        "{} (commit {}; built-in base for backstage chart {})",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default(),
        commit.as_deref().unwrap_or("unknown: not built from git"),
        charts.join(", ")
    );
    println!("cargo:rustc-env=STAGEHAND_LONG_VERSION={version}");
}

fn static_unwinder(out_dir: &Path, compiler: &str) {
    let Some(archive) = library_file(compiler, "libgcc_eh.a") else {
        return;
    };
    // rustc links `-lgcc_s`; this folder comes first in the search path, and its
    // `libgcc_s.so` is a linker script naming the static archive instead.
    let folder = linker_scripts(out_dir, "static-unwinder", &[("gcc_s", archive)]);
    println!("cargo:rustc-link-search=native={}", folder.display());
}

/// glibc's libraries that rustc links the binary against (`-lc`, `-lm`, and the four that
/// glibc 2.34 folded into libc and keeps as empty archives).
const GLIBC_LIBRARIES: [&str; 6] = ["c", "m", "util", "rt", "pthread", "dl"];

fn static_binary(out_dir: &Path, compiler: &str) {
    println!("cargo:rerun-if-env-changed=STAGEHAND_DYNAMIC");
    if std::env::var_os("STAGEHAND_DYNAMIC").is_some_and(|value| !value.is_empty()) {
        return;
    }
    // The start file of a static PIE; without it (or any archive) the binary stays dynamic.
    if library_file(compiler, "rcrt1.o").is_none() {
        return;
    }
    let mut scripts = Vec::new();
    for name in GLIBC_LIBRARIES {
        let Some(archive) = library_file(compiler, &format!("lib{name}.a")) else {
            return;
        };
        scripts.push((name, archive));
    }
    // Only the binaries: tests and benches link as before. rustc passes `-lc` and the
    // others as shared libraries; this folder, searched first, answers each with a linker
    // script naming the archive, and `-static-pie` makes the compiler driver pick the
    // static start files and no program interpreter.
    let folder = linker_scripts(out_dir, "static-glibc", &scripts);
    println!("cargo:rustc-link-arg-bins=-L{}", folder.display());
    println!("cargo:rustc-link-arg-bins=-static-pie");
}

/// The C compiler rustc links with, when building on Linux with glibc for this machine.
fn glibc_compiler() -> Option<String> {
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != host || !target.ends_with("-linux-gnu") {
        return None;
    }
    println!("cargo:rerun-if-env-changed=CC");
    Some(std::env::var("CC").unwrap_or_else(|_| "cc".to_string()))
}

/// Where the compiler finds a library file, if it has it.
fn library_file(compiler: &str, name: &str) -> Option<PathBuf> {
    let output = Command::new(compiler)
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()?;
    let file = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    (output.status.success() && file.is_absolute() && file.is_file()).then_some(file)
}

/// A folder of `lib<name>.so` linker scripts, each naming a static archive instead.
fn linker_scripts(out_dir: &Path, folder: &str, scripts: &[(&str, PathBuf)]) -> PathBuf {
    let folder = out_dir.join(folder);
    std::fs::create_dir_all(&folder).expect("create the linker script folder");
    for (name, archive) in scripts {
        std::fs::write(
            folder.join(format!("lib{name}.so")),
            format!("INPUT({})\n", archive.display()),
        )
        .expect("write a linker script");
    }
    folder
}

fn symbol_order(out_dir: &Path) {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let order = manifest_dir.join("symbol-order.txt");
    // Watched only while it exists: cargo reruns a build script on every build for a
    // watched path that is missing.
    if !order.is_file() {
        return;
    }
    println!("cargo:rerun-if-changed=symbol-order.txt");
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    let linker_args = [
        format!("-Wl,--symbol-ordering-file={}", order.display()),
        "-Wl,--no-warn-symbol-ordering".to_string(),
    ];
    if links_with(out_dir, &linker_args) {
        for arg in linker_args {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
}

/// Whether rustc, run as this build runs it (same target, same flags), links an empty
/// program with `linker_args` added: only some linkers know some options.
fn links_with(out_dir: &Path, linker_args: &[String]) -> bool {
    let probe = out_dir.join("link-probe.rs");
    if std::fs::write(&probe, "fn main() {}\n").is_err() {
        return false;
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut command = Command::new(rustc);
    command
        .arg("--crate-type=bin")
        .arg("--target")
        .arg(std::env::var("TARGET").unwrap_or_default())
        .arg("-o")
        .arg(out_dir.join("link-probe"))
        .arg(&probe);
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    command.args(flags.split('\x1f').filter(|flag| !flag.is_empty()));
    for arg in linker_args {
        command.arg("-C").arg(format!("link-arg={arg}"));
    }
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
