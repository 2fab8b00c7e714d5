//! Everything YAML-specific, in one place so the YAML library could be swapped here alone.
//!
//! - [`read`]: text to a JSON-shaped tree (`serde_json::Value`), with located errors.
//! - [`tree`]: the quick reader for documents of plain mappings, lists and scalars.
//! - [`lines`]: the events of a document laid out one node per line, for [`tree`].
//! - [`limits`]: the deepest nesting and the most entries a document may have.
//! - [`positions`]: which line holds which field, built only when an error needs a line.
//! - [`write`]: the writer whose output every YAML 1.1 and 1.2 reader reads back unchanged.
//!
//! The tool's data model is `serde_json::Value` (with `preserve_order`): JSON patches, merge
//! patches and JSON output all operate on it, and key order stays what the templates chose.

pub mod edit;
pub mod limits;
pub mod lines;
pub mod positions;
pub mod prescan;
pub mod read;
pub mod tree;
pub mod write;

pub use positions::{Duplicate, PositionIndex};
pub use read::{ReadError, parse_document, parse_document_indexed, parse_rendered, parse_stream};
pub use write::{push_yaml_document, push_yaml_stream, to_yaml_document};

/// Every YAML document of the project (fixtures, goldens, bases, overlays, examples): each
/// file whole, then split at its `---` lines, with the file it comes from. Test data for
/// comparing the readers with each other.
#[cfg(test)]
pub(crate) fn documents_here() -> Vec<(std::path::PathBuf, String)> {
    let mut folders = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))];
    let mut documents = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            // Build output, and the fuzzers' corpus and findings (not the project's files).
            let skipped = matches!(name.as_str(), "target" | ".git")
                || path.ends_with("fuzz/corpus")
                || path.ends_with("fuzz/artifacts");
            if path.is_dir() && !skipped {
                folders.push(path);
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for document in std::iter::once(text.as_str()).chain(text.split("\n---")) {
                    documents.push((path.clone(), document.to_string()));
                }
            }
        }
    }
    documents
}
