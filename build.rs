//! Build-time work that keeps every `stagehand` process short (one render is about two
//! milliseconds, so start-up is a large share of it). Each figure is a `dist` build against
//! the same source with that step taken out, measured with `python3 bench/compare.py`
//! (interleaved runs of `render` and `generate` on the example environment, the runner of
//! `bash bench/run.sh`), 2026-12-06:
//!
//! 1. The built-in base's defaults (`base/environment.yaml`) are converted to JSON here,
//!    so a process reads them with serde_json instead of running a YAML parser on them:
//!    a render takes 1.5 to 2.3% less time (2.33 ms against 2.37 ms with the YAML parse,
//!    2.51 against 2.57 ms; 1,000 runs each);
//!    `base::tests::built_in_defaults_json_equals_the_yaml` keeps the two equal.
//! 2. On Linux with glibc, libgcc's unwinder is linked statically (what `gcc
//!    -static-libgcc` does). The static link of step 3 needs it (rustc asks for
//!    `-lgcc_s`, which has no static form); in a dynamic link it saves loading
//!    `libgcc_s.so`: a dynamic build with the shared unwinder takes 1.030 to 1.043 times as
//!    long as one with the static unwinder (2.92 against 2.83 ms, 2.63 against 2.54 ms;
//!    500 runs each). Elsewhere, or when `libgcc_eh.a` cannot be found, nothing changes.
//! 3. There, the `stagehand` binary is also linked statically against glibc (a static PIE):
//!    no program interpreter, no shared libraries to map and relocate. A dynamically
//!    linked build takes 1.14 to 1.16 times as long per render (2.78 against 2.44 ms,
//!    2.69 against 2.33 ms; 300 runs each), also when each run starts with cold CPU
//!    caches (3.38 against 2.92 ms). It needs glibc's static archives (Debian's libc6-dev
//!    has them; Fedora's are in glibc-static); without them, or with `STAGEHAND_DYNAMIC=1`
//!    set, the binary is linked dynamically as usual.
//!
//! A fourth step, placing the functions a render runs side by side (`lld
//! --symbol-ordering-file`), was taken out on 2026-12-06: with and without it a render
//! took the same time (0.994 to 1.003 times), with warm and with cold CPU caches.
//!
//! Tried and not taken (2026-12-06): linking step 3 as a static executable without PIE
//! (`-static -no-pie`: no start-up relocations) makes a render 0.952 to 0.955 times as
//! long (1.46 against 1.53 ms, 500 runs), but puts the binary's code and data at fixed
//! addresses for every input an attacker chooses; address randomisation is worth more.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    defaults_as_json(&out_dir);
    if let Some(compiler) = glibc_compiler() {
        static_unwinder(&out_dir, &compiler);
        static_binary(&out_dir, &compiler);
    }
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
