//! Maps each field of a YAML document to the line that holds it.
//!
//! serde_yaml reports positions only for its own errors, and values lose them once
//! parsed. This index replays the document through yaml-rust2's marked events so that a
//! problem found later (after merging, validating, rendering) can still name its line.
//! The quick reader ([`super::tree`]) feeds it the events it parses anyway, so an
//! environment file it reads is parsed once for both.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::field_path::{FieldPath, Segment};

/// Line numbers of the fields of one document, by field path.
///
/// Paths are kept as 64-bit hashes, not as paths: a file of tens of thousands of keys
/// would otherwise clone a path per node. A collision could only misplace a line number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PositionIndex {
    lines: HashMap<u64, usize, PathHashes>,
    duplicates: Vec<Duplicate>,
}

/// A key that appears twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The repeated key's path.
    pub path: FieldPath,
    /// Where it first appears.
    pub first_line: usize,
    /// Where it appears again.
    pub second_line: usize,
}

/// The map's keys are FNV-1a hashes of paths already: used as they are, not hashed again.
type PathHashes = BuildHasherDefault<PassThrough>;

#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*byte);
        }
    }
    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

/// The hash of the root path.
const ROOT: u64 = 0xcbf2_9ce4_8422_2325;

/// The hash of a path one step below the path hashed `parent` (FNV-1a over the step).
fn step(parent: u64, segment: &Segment) -> u64 {
    match segment {
        Segment::Key(key) => step_key(parent, key),
        Segment::Index(index) => fnv(parent, b"i", &index.to_le_bytes()),
    }
}

/// [`step`] for a key, without making a segment of it.
fn step_key(parent: u64, key: &str) -> u64 {
    fnv(parent, b"k", key.as_bytes())
}

fn fnv(parent: u64, kind: &[u8], bytes: &[u8]) -> u64 {
    let mut hash = parent ^ 0xff;
    for byte in kind.iter().chain(bytes) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn hash_of(path: &FieldPath) -> u64 {
    path.segments().iter().fold(ROOT, step)
}

impl PositionIndex {
    /// Indexes `text`; a document that does not parse yields an empty index.
    pub fn build(text: &str) -> Self {
        let mut builder = IndexBuilder::default();
        let mut parser = Parser::new_from_str(text);
        // A parse error here only means fewer known lines: the reader reports the error.
        let _ = parser.load(&mut builder, false);
        builder.finish()
    }

    /// The first key that appears twice in one mapping, if any.
    pub fn first_duplicate(&self) -> Option<&Duplicate> {
        self.duplicates.first()
    }

    /// The line of `path`, or of its nearest ancestor that is in the document.
    pub fn line_of(&self, path: &FieldPath) -> Option<usize> {
        let mut hashes = Vec::with_capacity(path.segments().len() + 1);
        hashes.push(ROOT);
        for segment in path.segments() {
            let parent = *hashes.last().unwrap_or(&ROOT);
            hashes.push(step(parent, segment));
        }
        hashes
            .iter()
            .rev()
            .find_map(|hash| self.lines.get(hash).copied())
    }

    /// Whether the document itself holds `path` (not just an ancestor of it).
    pub fn contains(&self, path: &FieldPath) -> bool {
        self.lines.contains_key(&hash_of(path))
    }
}

enum Frame {
    /// A mapping, and the hash and text of the key whose value comes next.
    Mapping {
        hash: u64,
        key: Option<(u64, String)>,
    },
    Sequence {
        hash: u64,
        next: usize,
    },
}

/// Builds a [`PositionIndex`] from a document's events, in order: fed by
/// [`PositionIndex::build`], or by a reader that parses the document anyway.
#[derive(Default)]
pub struct IndexBuilder {
    stack: Vec<Frame>,
    /// The path of the innermost open collection, for naming a duplicate.
    path: FieldPath,
    lines: HashMap<u64, usize, PathHashes>,
    duplicates: Vec<Duplicate>,
}

impl IndexBuilder {
    /// Takes in one event and the line (counted from 1) where its node starts.
    pub fn observe(&mut self, event: &Event, line: usize) {
        match event {
            Event::Scalar(text, ..) => {
                self.place_node(Some(text), line);
            }
            Event::Alias(_) => {
                self.place_node(Some("*alias"), line);
            }
            Event::MappingStart(..) => self.open(line, false),
            Event::SequenceStart(..) => self.open(line, true),
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                if !self.stack.is_empty() {
                    self.path.pop();
                }
            }
            _ => {}
        }
    }

    /// The index of the events taken in.
    pub fn finish(self) -> PositionIndex {
        PositionIndex {
            lines: self.lines,
            duplicates: self.duplicates,
        }
    }

    /// Works out the path hash of the node that starts on `line` (and the segment that
    /// leads to it); `None` for a mapping key.
    fn place_node(
        &mut self,
        key_text: Option<&str>,
        line: usize,
    ) -> Option<(u64, Option<Segment>)> {
        match self.stack.last_mut() {
            None => Some((ROOT, None)),
            Some(Frame::Sequence { hash, next }) => {
                let segment = Segment::Index(*next);
                let item = step(*hash, &segment);
                *next += 1;
                self.lines.entry(item).or_insert(line);
                Some((item, Some(segment)))
            }
            Some(Frame::Mapping { hash, key }) => match key.take() {
                Some((key_hash, name)) => Some((key_hash, Some(Segment::Key(name)))),
                None => {
                    // This node is a key. Complex keys get a placeholder name.
                    let name = key_text.unwrap_or("?");
                    let key_hash = step_key(*hash, name);
                    match self.lines.get(&key_hash) {
                        Some(first_line) => self.duplicates.push(Duplicate {
                            path: self.path.key(name),
                            first_line: *first_line,
                            second_line: line,
                        }),
                        None => {
                            self.lines.insert(key_hash, line);
                        }
                    }
                    *key = Some((key_hash, name.to_string()));
                    None
                }
            },
        }
    }

    fn open(&mut self, line: usize, sequence: bool) {
        let (hash, segment) = self.place_node(None, line).unwrap_or((ROOT, None));
        if let Some(segment) = segment.filter(|_| !self.stack.is_empty()) {
            self.path.push(segment);
        }
        self.stack.push(if sequence {
            Frame::Sequence { hash, next: 0 }
        } else {
            Frame::Mapping { hash, key: None }
        });
    }
}

impl MarkedEventReceiver for IndexBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        self.observe(&event, mark.line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
apiVersion: stagehand/v1alpha1
spec:
  hostname: example.org
  catalog:
    locations:
      - https://a.example/x.yaml
      - https://b.example/y.yaml
  resources: { backstage: { requests: { cpu: 1 } } }
";

    #[test]
    fn finds_lines_of_keys_items_and_flow_mappings() {
        let index = PositionIndex::build(TEXT);
        let spec = FieldPath::root().key("spec");
        assert_eq!(index.line_of(&spec.key("hostname")), Some(3));
        assert_eq!(
            index.line_of(&spec.key("catalog").key("locations").index(1)),
            Some(7)
        );
        let cpu = spec
            .key("resources")
            .key("backstage")
            .key("requests")
            .key("cpu");
        assert_eq!(index.line_of(&cpu), Some(8));
    }

    #[test]
    fn records_duplicate_keys_with_both_lines() {
        let index = PositionIndex::build("a: 1\nb:\n  c: 1\n  c: 2\n");
        let duplicate = index.first_duplicate().unwrap();
        assert_eq!(duplicate.path.to_string(), "b.c");
        assert_eq!((duplicate.first_line, duplicate.second_line), (3, 4));
    }

    #[test]
    fn falls_back_to_the_nearest_ancestor() {
        let index = PositionIndex::build(TEXT);
        let missing = FieldPath::root().key("spec").key("catalog").key("allow");
        assert_eq!(index.line_of(&missing), Some(4));
        assert!(!index.contains(&missing));
    }
}
