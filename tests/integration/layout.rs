//! The source layout the README promises: imports between the library's top-level
//! modules run one way (no module reaches, directly or through others, back to itself),
//! and so do imports between the files of each folder module (`src/yaml/*.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::repo;

/// Each top-level module of `src/` and the top-level modules its files name as `crate::x`.
fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pending = vec![repo().join("src")];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let module = top_module(&path);
            if module == "lib" || module == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let named = imports.entry(module.clone()).or_default();
            for (index, _) in text.match_indices("crate::") {
                let rest = &text[index + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                    .collect();
                if !name.is_empty() && name != module {
                    named.insert(name);
                }
            }
        }
    }
    imports
}

/// `src/diff/sources.rs` → `diff`; `src/cli.rs` → `cli`.
fn top_module(path: &Path) -> String {
    let relative = path.strip_prefix(repo().join("src")).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

/// A chain of imports from a module back to itself, if there is one.
fn find_cycle(imports: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        imports: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module.to_string());
            return Some(cycle);
        }
        if !done.insert(module.to_string()) {
            return None;
        }
        path.push(module.to_string());
        for next in imports.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, imports, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    imports
        .keys()
        .find_map(|module| visit(module, imports, &mut Vec::new(), &mut done))
}

/// For each folder module of `src/` (`yaml`, `diff`, ...): each of its files and the
/// sibling files it names, as `super::x`, `crate::<folder>::x` or (in `mod.rs`) `x::`.
/// `mod.rs` itself is the node `mod`.
fn folder_imports() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut folders = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("src")).unwrap() {
        let folder = entry.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        let top = folder.file_name().unwrap().to_string_lossy().into_owned();
        let files: BTreeMap<String, String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .map(|p| {
                let name = p.file_stem().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (name, text) in &files {
            // Test modules (`mod tests`, at the end of a file) may reach anywhere.
            let text = text.split("#[cfg(test)]").next().unwrap_or(text);
            let named = imports.entry(name.clone()).or_default();
            for sibling in files.keys().filter(|s| *s != name && *s != "mod") {
                let spellings = [
                    format!("super::{sibling}::"),
                    format!("super::{sibling}}}"),
                    format!("crate::{top}::{sibling}::"),
                    format!("crate::{top}::{{{sibling}"),
                ];
                let from_mod = name == "mod"
                    && text.match_indices(&format!("{sibling}::")).any(|(at, _)| {
                        !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                    });
                if from_mod || spellings.iter().any(|s| text.contains(s.as_str())) {
                    named.insert(sibling.clone());
                }
            }
            let reaches_mod = text.contains("use super::{")
                || text.contains(&format!("crate::{top}::{{"))
                || text.match_indices("super::").any(|(at, _)| {
                    let rest = &text[at + "super::".len()..];
                    let word: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    !files.contains_key(&word)
                });
            if name != "mod" && reaches_mod {
                named.insert("mod".into());
            }
        }
        folders.insert(top, imports);
    }
    folders
}

#[test]
fn imports_between_the_files_of_a_folder_module_run_one_way() {
    let folders = folder_imports();
    assert!(
        folders["yaml"]["read"].contains("limits") && folders["diff"]["mod"].contains("fields"),
        "the scan found no imports: {folders:?}"
    );
    for (folder, imports) in &folders {
        if let Some(cycle) = find_cycle(imports) {
            panic!(
                "files of src/{folder} import each other: {}",
                cycle.join(" → ")
            );
        }
    }
}

#[test]
fn imports_between_modules_run_one_way() {
    let imports = module_imports();
    assert!(
        imports
            .get("cli")
            .is_some_and(|named| named.contains("cmd")),
        "the scan found no imports: {imports:?}"
    );
    if let Some(cycle) = find_cycle(&imports) {
        panic!("modules import each other: {}", cycle.join(" → "));
    }
}
