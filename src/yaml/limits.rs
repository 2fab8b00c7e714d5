//! How deep and how large a document may be: shared by the reader ([`super::read`]) and
//! the line layout ([`super::lines`]), which both stop at the same depth.

/// Deepest nesting of mappings and lists accepted.
pub const MAX_DEPTH: usize = 64;

/// Most keys and list items a document may hold: the largest environment the schema's
/// limits accept (100 patch sets of 100 operations, 1,000 locations and 1,000 reading
/// hosts) holds under 45,000.
pub const MAX_ENTRIES: usize = 50_000;
