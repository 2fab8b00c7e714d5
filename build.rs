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

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    defaults_as_json(&out_dir);
    static_unwinder(&out_dir);
}

fn defaults_as_json(out_dir: &Path) {
    println!("cargo:rerun-if-changed=base/environment.yaml");
    let text = std::fs::read_to_string("base/environment.yaml").expect("base/environment.yaml");
    let defaults: serde_json::Value =
        serde_yaml::from_str(&text).expect("base/environment.yaml is valid YAML");
    let json = serde_json::to_string(&defaults).expect("JSON of the defaults");
    std::fs::write(out_dir.join("base-defaults.json"), json).expect("write base-defaults.json");
}

fn static_unwinder(out_dir: &Path) {
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != host || !target.ends_with("-linux-gnu") {
        return;
    }
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let Ok(output) = Command::new(&compiler)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let archive = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !output.status.success() || !archive.is_absolute() || !archive.is_file() {
        return;
    }
    // rustc links `-lgcc_s`; this folder comes first in the search path, and its
    // `libgcc_s.so` is a linker script naming the static archive instead.
    let folder = out_dir.join("static-unwinder");
    std::fs::create_dir_all(&folder).expect("create the unwinder folder");
    std::fs::write(
        folder.join("libgcc_s.so"),
        format!("INPUT({})\n", archive.display()),
    )
    .expect("write the linker script");
    println!("cargo:rustc-link-search=native={}", folder.display());
}
