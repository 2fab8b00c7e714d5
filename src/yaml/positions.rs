//! Maps each field of a YAML document to the line that holds it.
//!
//! serde_yaml reports positions only for its own errors, and values lose them once
//! parsed. This index replays the document through yaml-rust2's marked events so that a
//! problem found later (after merging, validating, rendering) can still name its line.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::field_path::FieldPath;

/// Line numbers of the fields of one document, by field path.
#[derive(Debug, Default, Clone)]
pub struct PositionIndex {
    lines: HashMap<FieldPath, usize>,
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

impl PositionIndex {
    /// Indexes `text`; a document that does not parse yields an empty index.
    pub fn build(text: &str) -> Self {
        let mut builder = IndexBuilder::default();
        let mut parser = Parser::new_from_str(text);
        // A parse error here only means fewer known lines: the reader reports the error.
        let _ = parser.load(&mut builder, false);
        Self {
            lines: builder.lines,
            duplicates: builder.duplicates,
        }
    }

    /// The first key that appears twice in one mapping, if any.
    pub fn first_duplicate(&self) -> Option<&Duplicate> {
        self.duplicates.first()
    }

    /// The line of `path`, or of its nearest ancestor that is in the document.
    pub fn line_of(&self, path: &FieldPath) -> Option<usize> {
        let mut current = Some(path.clone());
        while let Some(candidate) = current {
            if let Some(line) = self.lines.get(&candidate) {
                return Some(*line);
            }
            current = candidate.parent();
        }
        None
    }

    /// Whether the document itself holds `path` (not just an ancestor of it).
    pub fn contains(&self, path: &FieldPath) -> bool {
        self.lines.contains_key(path)
    }
}

enum Frame {
    Mapping {
        path: FieldPath,
        key: Option<String>,
    },
    Sequence {
        path: FieldPath,
        next: usize,
    },
}

#[derive(Default)]
struct IndexBuilder {
    stack: Vec<Frame>,
    lines: HashMap<FieldPath, usize>,
    duplicates: Vec<Duplicate>,
}

impl IndexBuilder {
    /// Works out the path of the node that starts at `mark`; `None` for a mapping key.
    fn place_node(&mut self, key_text: Option<&str>, mark: Marker) -> Option<FieldPath> {
        // yaml-rust2 counts lines from 1 and columns from 0.
        let line = mark.line();
        match self.stack.last_mut() {
            None => Some(FieldPath::root()),
            Some(Frame::Sequence { path, next }) => {
                let item = path.index(*next);
                *next += 1;
                self.lines.entry(item.clone()).or_insert(line);
                Some(item)
            }
            Some(Frame::Mapping { path, key }) => match key.take() {
                Some(name) => Some(path.key(&name)),
                None => {
                    // This node is a key. Complex keys get a placeholder name.
                    let name = key_text.unwrap_or("?").to_string();
                    let key_path = path.key(&name);
                    match self.lines.get(&key_path) {
                        Some(first_line) => self.duplicates.push(Duplicate {
                            path: key_path,
                            first_line: *first_line,
                            second_line: line,
                        }),
                        None => {
                            self.lines.insert(key_path, line);
                        }
                    }
                    *key = Some(name);
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for IndexBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, ..) => {
                self.place_node(Some(&text), mark);
            }
            Event::Alias(_) => {
                self.place_node(Some("*alias"), mark);
            }
            Event::MappingStart(..) => {
                let path = self.place_node(None, mark).unwrap_or_default();
                self.stack.push(Frame::Mapping { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.place_node(None, mark).unwrap_or_default();
                self.stack.push(Frame::Sequence { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
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
