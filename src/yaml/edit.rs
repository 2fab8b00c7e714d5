//! Edits a YAML file in place: sets keys of one mapping and changes no other byte.
//!
//! `stagehand seal` writes its ciphertexts into the user's environment file, whose
//! comments, key order, quoting and blank lines are the user's: a re-dump would lose them.
//! This module reads the file's structure with positions (yaml-rust2's marked events),
//! then replaces existing values in place or inserts new entries as the surrounding style
//! says: lines of their own in a block mapping, `, key: value` in a flow one. The caller
//! re-reads the result and checks that it holds exactly the intended change.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::yaml::write::string_text;

/// A value to write: a string, or a mapping of values.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NewValue {
    Scalar(String),
    Mapping(Vec<(String, NewValue)>),
}

/// Sets `values` (key, string) in the mapping at `path` (keys from the document's root),
/// creating that mapping and its missing parents; existing keys get the new value in
/// place. Fails, changing nothing, where it cannot edit without touching other bytes.
pub fn set_in_mapping(
    text: &str,
    path: &[&str],
    values: &[(String, String)],
) -> Result<String, String> {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[bom..];
    let source = Source::new(body);
    let tree = parse_tree(body)?;
    let Node::Mapping(root) = &tree else {
        return Err("the document is not a mapping".to_string());
    };
    let mut mapping = root;
    // The indentation step of the file, from the nearest block mapping and its parent.
    let mut step = None;
    let mut depth = 0;
    while depth < path.len() {
        match mapping.entry(path[depth]) {
            Some(Node::Mapping(child)) => {
                if let (Some(outer), Some(inner)) = (mapping.indent(), child.indent()) {
                    step = Some(inner.saturating_sub(outer))
                        .filter(|step| *step > 0)
                        .or(step);
                }
                mapping = child;
                depth += 1;
            }
            Some(_) => {
                return Err(format!(
                    "`{}` is not a mapping; write it as one first",
                    path[..=depth].join(".")
                ));
            }
            None => break,
        }
    }
    let mut edits = Vec::new();
    if depth == path.len() {
        let mut missing = Vec::new();
        for (key, value) in values {
            match mapping.entry(key) {
                Some(Node::Scalar(scalar)) => {
                    let (start, end) = source.scalar_span(scalar).ok_or_else(|| {
                        format!(
                            "`{}.{key}` is written over several lines; put it on one line first",
                            path.join(".")
                        )
                    })?;
                    edits.push(Edit {
                        start,
                        end,
                        text: string_text(value),
                    });
                }
                Some(_) => {
                    return Err(format!("`{}.{key}` is not a single value", path.join(".")));
                }
                None => missing.push((key.clone(), NewValue::Scalar(value.clone()))),
            }
        }
        if !missing.is_empty() {
            edits.push(insert_entries(&source, mapping, &missing, step)?);
        }
    } else {
        let mut value = NewValue::Mapping(
            values
                .iter()
                .map(|(key, text)| (key.clone(), NewValue::Scalar(text.clone())))
                .collect(),
        );
        for key in path[depth + 1..].iter().rev() {
            value = NewValue::Mapping(vec![((*key).to_string(), value)]);
        }
        edits.push(insert_entries(
            &source,
            mapping,
            &[(path[depth].to_string(), value)],
            step,
        )?);
    }
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.start));
    let mut out = body.to_string();
    for edit in edits {
        out.replace_range(edit.start..edit.end, &edit.text);
    }
    Ok(format!("{}{out}", &text[..bom]))
}

/// Replace the bytes `start..end` by `text`.
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// The file's text, with character positions (yaml-rust2's) mapped to byte offsets.
struct Source<'a> {
    text: &'a str,
    offsets: Vec<usize>,
    newline: &'static str,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        let mut offsets: Vec<usize> = text.char_indices().map(|(offset, _)| offset).collect();
        offsets.push(text.len());
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Self {
            text,
            offsets,
            newline,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.offsets
            .get(char_index)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// Byte span of a scalar written on one line (plain or quoted).
    fn scalar_span(&self, scalar: &Scalar) -> Option<(usize, usize)> {
        let start = self.byte(scalar.start);
        let rest = &self.text[start..];
        let length = match scalar.style {
            TScalarStyle::Plain => {
                let length = scalar.value.len();
                (rest.get(..length) == Some(scalar.value.as_str())).then_some(length)?
            }
            TScalarStyle::DoubleQuoted => quoted_length(rest, '"', Some('\\'))?,
            TScalarStyle::SingleQuoted => quoted_length(rest, '\'', None)?,
            _ => return None,
        };
        let span = &rest[..length];
        (!span.contains('\n')).then_some((start, start + length))
    }

    /// Byte offset just past the end of the line holding byte `offset`.
    fn line_end(&self, offset: usize) -> usize {
        self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |at| offset + at + 1)
    }

    /// Byte offset of the start of the line holding byte `offset`.
    fn line_start(&self, offset: usize) -> usize {
        self.text[..offset].rfind('\n').map_or(0, |at| at + 1)
    }
}

/// Length of a quoted scalar at the start of `text`, closing quote included.
fn quoted_length(text: &str, quote: char, escape: Option<char>) -> Option<usize> {
    let mut chars = text.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        if Some(c) == escape {
            chars.next();
        } else if c == quote {
            // In single quotes, '' is an escaped quote.
            if escape.is_none() && text[at + 1..].starts_with(quote) {
                chars.next();
                continue;
            }
            return Some(at + 1);
        }
    }
    None
}

/// Where to insert `entries` into `mapping`, and how they are written there.
fn insert_entries(
    source: &Source<'_>,
    mapping: &Mapping,
    entries: &[(String, NewValue)],
    step: Option<usize>,
) -> Result<Edit, String> {
    if let Some(close) = mapping.flow_close {
        let close = source.byte(close);
        let before = source.text[..close].trim_end();
        let written: Vec<String> = entries
            .iter()
            .map(|(key, value)| format!("{}: {}", string_text(key), flow_text(value)))
            .collect();
        let (start, text) = if mapping.entries.is_empty() {
            (close, written.join(", "))
        } else {
            (before.len(), format!(", {}", written.join(", ")))
        };
        return Ok(Edit {
            start,
            end: start,
            text,
        });
    }
    let Some((_, first_key, _)) = mapping.entries.first() else {
        return Err("an empty block mapping cannot be extended in place".to_string());
    };
    let indent = first_key.col();
    let step = mapping
        .entries
        .iter()
        .find_map(|(_, _, node)| match node {
            Node::Mapping(child) => child.indent().map(|inner| inner.saturating_sub(indent)),
            _ => None,
        })
        .filter(|step| *step > 0)
        .or(step)
        .unwrap_or(2);
    let mut lines = Vec::new();
    for (key, value) in entries {
        block_lines(key, value, indent, step, &mut lines);
    }
    let mut text: String = lines
        .iter()
        .map(|line| format!("{line}{}", source.newline))
        .collect();
    // After the last entry when it ends on its own line, else before the first one.
    let last_end = mapping
        .entries
        .last()
        .and_then(|(_, key, node)| entry_end(source, key, node));
    let start = match last_end {
        Some(end) => {
            let after = source.line_end(end);
            if !source.text[..after].ends_with('\n') {
                text.insert_str(0, source.newline);
            }
            after
        }
        None => source.line_start(source.byte(first_key.index())),
    };
    Ok(Edit {
        start,
        end: start,
        text,
    })
}

/// The byte where an entry ends: its value's, when key and value share one line, or a
/// nested block mapping's last entry's.
fn entry_end(source: &Source<'_>, key: &Marker, node: &Node) -> Option<usize> {
    match node {
        Node::Mapping(Mapping {
            flow_close: None,
            entries,
        }) => {
            let (_, last_key, last) = entries.last()?;
            entry_end(source, last_key, last)
        }
        _ => single_line_end(source, key, node),
    }
}

/// The byte where an entry's value ends, when key and value share one line.
fn single_line_end(source: &Source<'_>, key: &Marker, node: &Node) -> Option<usize> {
    let end = match node {
        Node::Scalar(scalar) => source.scalar_span(scalar)?.1,
        Node::Mapping(Mapping {
            flow_close: Some(close),
            ..
        })
        | Node::Sequence {
            flow_close: Some(close),
        } => source.byte(*close) + 1,
        _ => return None,
    };
    let key_line = source.line_start(source.byte(key.index()));
    (source.line_start(end.saturating_sub(1)) == key_line).then_some(end)
}

fn flow_text(value: &NewValue) -> String {
    match value {
        NewValue::Scalar(text) => string_text(text),
        NewValue::Mapping(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{}: {}", string_text(key), flow_text(value)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
    }
}

fn block_lines(key: &str, value: &NewValue, indent: usize, step: usize, lines: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    match value {
        NewValue::Scalar(text) => {
            lines.push(format!("{pad}{}: {}", string_text(key), string_text(text)))
        }
        NewValue::Mapping(entries) => {
            lines.push(format!("{pad}{}:", string_text(key)));
            for (inner_key, inner) in entries {
                block_lines(inner_key, inner, indent + step, step, lines);
            }
        }
    }
}

/// The structure of the document, with the positions the edit needs.
enum Node {
    Scalar(Scalar),
    Mapping(Mapping),
    Sequence { flow_close: Option<usize> },
    Alias,
}

struct Scalar {
    start: usize,
    style: TScalarStyle,
    value: String,
}

struct Mapping {
    /// The character index of the closing `}` of a flow mapping; `None` for block style.
    flow_close: Option<usize>,
    /// Key, where the key starts, value.
    entries: Vec<(String, Marker, Node)>,
}

impl Mapping {
    /// The column of a block mapping's keys.
    fn indent(&self) -> Option<usize> {
        if self.flow_close.is_some() {
            return None;
        }
        self.entries.first().map(|(_, key, _)| key.col())
    }

    fn entry(&self, key: &str) -> Option<&Node> {
        self.entries
            .iter()
            .find(|(name, _, _)| name == key)
            .map(|(_, _, node)| node)
    }
}

fn parse_tree(text: &str) -> Result<Node, String> {
    let mut builder = TreeBuilder {
        chars: text.chars().collect(),
        stack: Vec::new(),
        root: None,
    };
    Parser::new_from_str(text)
        .load(&mut builder, false)
        .map_err(|error| format!("the file is not valid YAML ({error})"))?;
    builder
        .root
        .ok_or_else(|| "the file holds no document".to_string())
}

enum Frame {
    Mapping {
        flow: bool,
        entries: Vec<(String, Marker, Node)>,
        pending_key: Option<(String, Marker)>,
    },
    Sequence {
        flow: bool,
    },
}

struct TreeBuilder {
    chars: Vec<char>,
    stack: Vec<Frame>,
    root: Option<Node>,
}

impl TreeBuilder {
    /// Attaches a finished node to its parent (as a key, or a key's value).
    fn attach(&mut self, node: Node, mark: Marker) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Sequence { .. }) => {}
            Some(Frame::Mapping {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                Some((key, at)) => entries.push((key, at, node)),
                None => {
                    let key = match node {
                        Node::Scalar(scalar) => scalar.value,
                        _ => "?".to_string(),
                    };
                    *pending_key = Some((key, mark));
                }
            },
        }
    }

    fn starts_flow(&self, mark: Marker, open: char) -> bool {
        self.chars.get(mark.index()) == Some(&open)
    }
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(value, style, ..) => {
                let scalar = Scalar {
                    start: mark.index(),
                    style,
                    value,
                };
                self.attach(Node::Scalar(scalar), mark);
            }
            Event::Alias(_) => self.attach(Node::Alias, mark),
            Event::MappingStart(..) => {
                let flow = self.starts_flow(mark, '{');
                self.stack.push(Frame::Mapping {
                    flow,
                    entries: Vec::new(),
                    pending_key: None,
                });
            }
            Event::SequenceStart(..) => {
                let flow = self.starts_flow(mark, '[');
                self.stack.push(Frame::Sequence { flow });
            }
            Event::MappingEnd => {
                if let Some(Frame::Mapping { flow, entries, .. }) = self.stack.pop() {
                    let node = Node::Mapping(Mapping {
                        flow_close: flow.then_some(mark.index()),
                        entries,
                    });
                    self.attach(node, mark);
                }
            }
            Event::SequenceEnd => {
                if let Some(Frame::Sequence { flow }) = self.stack.pop() {
                    let node = Node::Sequence {
                        flow_close: flow.then_some(mark.index()),
                    };
                    self.attach(node, mark);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: [&str; 3] = ["spec", "database", "encryptedData"];

    fn sealed(text: &str) -> String {
        let values = vec![
            ("password".to_string(), "AgBx+/9=".to_string()),
            ("postgres-password".to_string(), "AgCy".to_string()),
        ];
        set_in_mapping(text, &PATH, &values).unwrap()
    }

    #[test]
    fn adds_a_block_mapping_after_the_last_entry_keeping_everything_else() {
        let text = "# top\nspec:\n  database:\n    username: u   # who\n    storage: { size: 1Gi }\n\n  tls: x\n";
        assert_eq!(
            sealed(text),
            "# top\nspec:\n  database:\n    username: u   # who\n    storage: { size: 1Gi }\n    \
             encryptedData:\n      password: AgBx+/9=\n      postgres-password: AgCy\n\n  tls: x\n"
        );
    }

    #[test]
    fn adds_into_a_flow_mapping_and_creates_missing_parents() {
        assert_eq!(
            sealed("spec:\n  database: { storage: { size: 1Gi } }\n"),
            "spec:\n  database: { storage: { size: 1Gi }, encryptedData: { password: AgBx+/9=, postgres-password: AgCy } }\n"
        );
        assert_eq!(
            sealed("spec:\n    hostname: a.example\n"),
            "spec:\n    hostname: a.example\n    database:\n        encryptedData:\n            password: AgBx+/9=\n            postgres-password: AgCy\n"
        );
    }

    #[test]
    fn replaces_existing_values_in_place_whatever_their_quoting() {
        let text = "spec:\r\n  database:\r\n    encryptedData:\r\n      password: \"old\" # keep\r\n      postgres-password: 'o''ld'\r\n  x: 1\r\n";
        assert_eq!(
            sealed(text),
            "spec:\r\n  database:\r\n    encryptedData:\r\n      password: AgBx+/9= # keep\r\n      postgres-password: AgCy\r\n  x: 1\r\n"
        );
        let values = vec![("password".to_string(), "AgBnew".to_string())];
        assert_eq!(
            set_in_mapping(
                "spec: {database: {encryptedData: {password: old, postgres-password: k}}}\n",
                &PATH,
                &values
            )
            .unwrap(),
            "spec: {database: {encryptedData: {password: AgBnew, postgres-password: k}}}\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_edit_in_place() {
        let folded = "spec:\n  database:\n    encryptedData:\n      password: >\n        abc\n";
        let values = vec![("password".to_string(), "x".to_string())];
        assert!(
            set_in_mapping(folded, &PATH, &values)
                .unwrap_err()
                .contains("several lines")
        );
        assert!(
            set_in_mapping("spec:\n  database: 3\n", &PATH, &values)
                .unwrap_err()
                .contains("`spec.database` is not a mapping")
        );
    }
}
