//! Everything YAML-specific, in one place so the YAML library could be swapped here alone.
//!
//! - [`read`]: text to a JSON-shaped tree (`serde_json::Value`), with located errors.
//! - [`tree`]: the quick reader for documents of plain mappings, lists and scalars.
//! - [`positions`]: which line holds which field, built only when an error needs a line.
//! - [`write`]: the writer whose output every YAML 1.1 and 1.2 reader reads back unchanged.
//!
//! The tool's data model is `serde_json::Value` (with `preserve_order`): JSON patches, merge
//! patches and JSON output all operate on it, and key order stays what the templates chose.

pub mod edit;
pub mod positions;
pub mod prescan;
pub mod read;
pub mod tree;
pub mod write;

pub use positions::{Duplicate, PositionIndex};
pub use read::{ReadError, parse_document, parse_document_indexed, parse_rendered, parse_stream};
pub use write::{to_yaml_document, to_yaml_stream};
