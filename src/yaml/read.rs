//! Reads one YAML document into the JSON-shaped tree the rest of the tool works on.
//!
//! serde_yaml does the parsing (YAML 1.2 core schema: `on` and `yes` stay strings) and
//! already rejects duplicate keys and runaway alias expansion. This module turns its
//! errors into a line and a plain sentence, and refuses what JSON cannot hold (non-string
//! keys, tags, non-finite numbers) instead of guessing. The quick reader
//! ([`super::tree`]) is tried first and gives the same tree for the plain documents that
//! are nearly all of them; whatever it declines, serde_yaml reads as described here.

use serde_json::{Map, Number, Value};

use super::limits::{MAX_DEPTH, MAX_ENTRIES};
use super::positions::PositionIndex;
use super::prescan::{Exceeded, prescan};
use super::tree::{read_simple, read_simple_indexed};
use crate::field_path::{FieldPath, Segment};

/// Why a document could not be read: a sentence and, when known, where.
/// `duplicate_key` is set when the cause is a key repeated in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The field, when the problem is a value rather than the syntax.
    pub field: Option<FieldPath>,
    /// What is wrong.
    pub message: String,
    /// What would be right.
    pub hint: Option<String>,
    /// Whether the cause is a key repeated in one mapping.
    pub duplicate_key: bool,
}

impl ReadError {
    /// A problem of the text at `line` (when known), not of one field's value.
    fn at_line(line: Option<usize>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            line,
            field: None,
            message: message.into(),
            hint: Some(hint.into()),
            duplicate_key: false,
        }
    }

    fn at_field(field: FieldPath, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            line: None,
            field: Some(field),
            message: message.into(),
            hint: Some(hint.into()),
            duplicate_key: false,
        }
    }
}

/// Most aliases (`*name`) a document may use: enough for sharing a few blocks, far too few
/// for an exponential "billion laughs" expansion.
pub const MAX_ALIASES: usize = 64;

/// Parses `text` as exactly one YAML document; an empty document is `Value::Null`.
pub fn parse_document(text: &str) -> Result<Value, ReadError> {
    parse(text, false).map(|(document, _)| document)
}

/// [`parse_document`], and the document's position index when it could be built in the
/// same pass (by the quick reader, see [`super::tree`]).
pub fn parse_document_indexed(text: &str) -> Result<(Value, Option<PositionIndex>), ReadError> {
    parse(text, true)
}

fn parse(text: &str, indexed: bool) -> Result<(Value, Option<PositionIndex>), ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Before any parser: their cost grows with depth (and yaml-rust2 recurses per level),
    // and every later stage pays per entry.
    match prescan(text, MAX_DEPTH, MAX_ENTRIES) {
        Some(Exceeded::Depth(line)) => {
            return Err(ReadError::at_line(
                Some(line),
                format!("the document is nested more than {MAX_DEPTH} levels deep"),
                "flatten it: an environment file needs a handful of levels",
            ));
        }
        Some(Exceeded::Entries(line)) => {
            return Err(ReadError::at_line(
                Some(line),
                format!(
                    "the document holds more than {MAX_ENTRIES} keys and list items by this line"
                ),
                "an environment file holds a few hundred: check that this is the right file",
            ));
        }
        None => {}
    }
    // Aliases need both an anchor and a `*`: without one, the extra parse is skipped. Always
    // counting made a render 1.04 to 1.06 times as long (`python3 bench/compare.py`, 300 runs
    // of `dist` builds, 2026-12-06).
    if text.contains('&') && text.contains('*') {
        check_aliases(text)?;
    }
    if indexed {
        if let Some((document, index)) = read_simple_indexed(text) {
            return Ok((document, Some(index)));
        }
    } else if let Some(document) = read_simple(text) {
        return Ok((document, None));
    }
    let parsed: serde_yaml::Value = serde_yaml::from_str(text).map_err(|error| {
        let control = error.to_string().contains("control characters");
        control
            .then(|| control_character(text))
            .flatten()
            .unwrap_or_else(|| syntax_error(error, text))
    })?;
    Ok((to_json(parsed, &mut FieldPath::root())?, None))
}

/// The first character YAML does not allow in a stream (a C0 or C1 control other than
/// tab, line feed, carriage return and NEL, or DEL), located on its line: serde_yaml names
/// only a byte position.
fn control_character(text: &str) -> Option<ReadError> {
    let (offset, found) = text
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{85}'))?;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Some(ReadError::at_line(
        Some(line),
        format!(
            "a control character (U+{:04X}) at column {column} is not allowed in YAML",
            u32::from(found)
        ),
        "remove it; inside a double-quoted string it can be written as an escape (`\\0`, `\\x7f`)",
    ))
}

/// Parses template output, which stagehand itself wrote (values reach it only through the
/// `yaml` filter): straight into JSON values, skipping the checks a user's file needs.
pub fn parse_rendered(text: &str) -> Result<Value, ReadError> {
    if let Some(document) = read_simple(text) {
        return Ok(document);
    }
    // A custom template is text from the repository (a pull request's, under ArgoCD):
    // libyaml takes over a second on 20,000 nested `{a: `, so depth is bounded first.
    if let Some(Exceeded::Depth(line)) = prescan(text, MAX_DEPTH, usize::MAX) {
        return Err(ReadError::at_line(
            Some(line),
            format!("the output is nested more than {MAX_DEPTH} levels deep"),
            "flatten the template: a Kubernetes object needs a handful of levels",
        ));
    }
    // The hints of `syntax_error` speak of environment files: the caller gives its own.
    serde_yaml::from_str(text).map_err(|error| ReadError {
        hint: None,
        ..syntax_error(error, text)
    })
}

/// Parses a stream of documents another program wrote (`helm template`): each non-empty
/// document as a JSON-shaped value, in order; `kind: List` documents are flattened into
/// their items, as ArgoCD does.
pub fn parse_stream(text: &str) -> Result<Vec<Value>, ReadError> {
    use serde::Deserialize;
    let mut documents = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|error| syntax_error(error, text))?;
        match value {
            Value::Null => {}
            Value::Object(mut map) if map.get("kind") == Some(&Value::from("List")) => {
                if let Some(Value::Array(items)) = map.remove("items") {
                    documents.extend(items.into_iter().filter(|item| !item.is_null()));
                }
            }
            other => documents.push(other),
        }
    }
    Ok(documents)
}

/// Counts aliases before anything is expanded (only documents with anchors can have any).
fn check_aliases(text: &str) -> Result<(), ReadError> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    struct Counter(usize, Option<usize>);
    impl MarkedEventReceiver for Counter {
        fn on_event(&mut self, event: Event, mark: yaml_rust2::scanner::Marker) {
            if matches!(event, Event::Alias(_)) {
                self.0 += 1;
                if self.0 > MAX_ALIASES && self.1.is_none() {
                    self.1 = Some(mark.line());
                }
            }
        }
    }
    let mut counter = Counter(0, None);
    // Syntax errors are reported by the main parse below.
    let _ = Parser::new_from_str(text).load(&mut counter, true);
    match counter.1 {
        Some(line) => Err(ReadError::at_line(
            Some(line),
            format!("the file uses more than {MAX_ALIASES} YAML aliases (`*name`)"),
            "write the values out; an environment file needs few or no aliases",
        )),
        None => Ok(()),
    }
}

fn syntax_error(error: serde_yaml::Error, text: &str) -> ReadError {
    let line = error.location().map(|location| location.line());
    let full = error.to_string();
    if let Some(location) = error.location()
        && INDENTATION_MESSAGES.iter().any(|m| full.contains(m))
    {
        return ReadError::at_line(
            Some(location.line()),
            format!(
                "invalid YAML at column {}: {}",
                location.column(),
                strip_locations(&full)
            ),
            indentation_hint(text, location.line()),
        );
    }
    if full.contains("more than one document") {
        return ReadError::at_line(
            line,
            "the file holds more than one YAML document",
            "keep one environment per file and remove the `---` separators",
        );
    }
    if full.contains("recursion limit exceeded") {
        return ReadError::at_line(
            line,
            format!("the document is nested more than {MAX_DEPTH} levels deep"),
            "flatten it: an environment file needs a handful of levels",
        );
    }
    if full.contains("repetition limit exceeded") {
        return ReadError::at_line(
            line,
            "YAML aliases expand to too much data".to_string(),
            "write the values out instead of nesting aliases",
        );
    }
    // An integer wider than 64 bits: name the field, not the digits (the field may hold a
    // secret); the caller says what range would be right.
    if let Some(at) = full.find(": invalid type: integer")
        && (full.contains(" as u128") || full.contains(" as i128"))
    {
        let field = &full[..at];
        return ReadError {
            line,
            field: (!field.is_empty() && !field.contains(' '))
                .then(|| FieldPath::parse_dotted(field)),
            message: "the number is out of range: it is too large for any field".to_string(),
            hint: None,
            duplicate_key: false,
        };
    }
    let duplicate_key = full.contains("duplicate entry");
    // `{ requests:{ cpu: 1 } }`: a key needs a space after its colon, in braces too.
    let hint = full.contains("found unexpected ':'").then(|| {
        "write a space after each key's colon, inside `{ }` too: `key: value`; quote a value that holds a colon".to_string()
    });
    ReadError {
        // serde_yaml places a duplicate at its mapping; the position index finds the key.
        line: if duplicate_key { None } else { line },
        field: None,
        message: format!("invalid YAML: {}", strip_locations(&full)),
        hint,
        duplicate_key,
    }
}

/// What libyaml says when a line is indented wrongly (or a key lacks its colon).
const INDENTATION_MESSAGES: [&str; 5] = [
    "did not find expected key",
    "mapping values are not allowed in this context",
    "did not find expected '-' indicator",
    "could not find expected ':'",
    "did not find expected node content",
];

/// How the line at `line` (1-based) is indented against the lines above it: the levels
/// still open there, nearest first, so the user sees which one it should have.
fn indentation_hint(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let Some(at) = lines.get(line.saturating_sub(1)) else {
        return "check the indentation: nested keys are indented by spaces, the same number for each key of one mapping".into();
    };
    if at.trim_start_matches(' ').starts_with('\t') {
        return format!("line {line} is indented with a tab: YAML allows only spaces");
    }
    let mut levels: Vec<(usize, usize)> = Vec::new();
    for (index, above) in lines[..line.saturating_sub(1)].iter().enumerate().rev() {
        let content = above.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let width = indent(above);
        if levels.last().is_none_or(|&(open, _)| width < open) {
            levels.push((width, index + 1));
        }
        if width == 0 {
            break;
        }
    }
    let open: Vec<String> = levels
        .iter()
        .map(|(width, number)| format!("{width} (line {number})"))
        .collect();
    format!(
        "line {line} is indented {} space(s); the keys above it are indented {}: indent it \
         like the key it belongs beside, or end the line above with `:` to nest under it",
        indent(at),
        if open.is_empty() {
            "nowhere".to_string()
        } else {
            open.join(" or ")
        }
    )
}

/// Removes serde_yaml's " at line N column M" fragments: the line is reported separately.
fn strip_locations(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(" at line ") {
        out.push_str(&rest[..start]);
        let tail = &rest[start + " at line ".len()..];
        let skip = tail
            .find(|c: char| !(c.is_ascii_digit() || c == ' ' || "column".contains(c)))
            .unwrap_or(tail.len());
        rest = &tail[skip..];
    }
    out.push_str(rest);
    out
}

/// Converts with one path, pushed and popped; it is cloned only for an error.
fn to_json(value: serde_yaml::Value, path: &mut FieldPath) -> Result<Value, ReadError> {
    if path.segments().len() > MAX_DEPTH {
        // Name where the deep part starts, not all 64 steps.
        return Err(ReadError::at_field(
            path.truncated(6),
            format!("the document is nested more than {MAX_DEPTH} levels deep"),
            "flatten it: an environment file needs a handful of levels",
        ));
    }
    Ok(match value {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(flag) => Value::Bool(flag),
        serde_yaml::Value::Number(number) => Value::Number(to_json_number(&number, path)?),
        serde_yaml::Value::String(text) => Value::String(text),
        serde_yaml::Value::Sequence(items) => {
            let mut array = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                path.push(Segment::Index(index));
                array.push(to_json(item, path)?);
                path.pop();
            }
            Value::Array(array)
        }
        serde_yaml::Value::Mapping(mapping) => {
            let mut object = Map::with_capacity(mapping.len());
            for (key, item) in mapping {
                let key = match key {
                    serde_yaml::Value::String(key) => key,
                    serde_yaml::Value::Bool(_) | serde_yaml::Value::Number(_) => {
                        scalar_key_text(&key)
                    }
                    _ => {
                        return Err(ReadError::at_field(
                            path.clone(),
                            "a mapping key is not a plain string",
                            "use plain text keys",
                        ));
                    }
                };
                path.push(Segment::Key(key.clone()));
                let item = to_json(item, path)?;
                path.pop();
                object.insert(key, item);
            }
            Value::Object(object)
        }
        serde_yaml::Value::Tagged(tagged) => {
            return Err(ReadError::at_field(
                path.clone(),
                format!("YAML tags such as `{}` are not supported", tagged.tag),
                "remove the tag and write the plain value",
            ));
        }
    })
}

fn scalar_key_text(key: &serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::Bool(flag) => flag.to_string(),
        serde_yaml::Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

fn to_json_number(number: &serde_yaml::Number, path: &FieldPath) -> Result<Number, ReadError> {
    if let Some(integer) = number.as_i64() {
        return Ok(Number::from(integer));
    }
    if let Some(integer) = number.as_u64() {
        return Ok(Number::from(integer));
    }
    number.as_f64().and_then(Number::from_f64).ok_or_else(|| {
        ReadError::at_field(
            path.clone(),
            "infinite and not-a-number values are not allowed",
            "write a finite number",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_yaml_1_1_words_as_strings() {
        let value = parse_document("a: on\nb: yes\nc: '5432'\nd: 5432\n").unwrap();
        assert_eq!(value["a"], "on");
        assert_eq!(value["b"], "yes");
        assert_eq!(value["c"], "5432");
        assert_eq!(value["d"], 5432);
    }

    #[test]
    fn flags_duplicate_keys() {
        let error = parse_document("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(error.duplicate_key);
        assert!(error.message.contains("duplicate"), "{}", error.message);
        assert!(!error.message.contains("at line"), "{}", error.message);
    }

    #[test]
    fn refuses_several_documents() {
        let error = parse_document("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(error.message, "the file holds more than one YAML document");
    }

    #[test]
    fn accepts_a_byte_order_mark_and_crlf() {
        let value = parse_document("\u{feff}a: 1\r\nb: two\r\n").unwrap();
        assert_eq!(value["b"], "two");
    }

    #[test]
    fn refuses_deep_nesting_and_alias_bombs() {
        let deep = format!("a: {}{}", "[".repeat(70), "]".repeat(70));
        assert!(
            parse_document(&deep)
                .unwrap_err()
                .message
                .contains("more than 64 levels")
        );
        let mut bomb = String::from("a: &a [x, x]\n");
        for level in 1..=8 {
            bomb.push_str(&format!(
                "b{level}: &b{level} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n",
                "a", "a", "a", "a", "a", "a", "a", "a", "a", "a"
            ));
            let _ = level;
        }
        let error = parse_document(&bomb).unwrap_err();
        assert!(
            error.message.contains("more than 64 YAML aliases"),
            "{}",
            error.message
        );
        assert!(parse_document("a: &a 1\nb: *a\n").is_ok());
    }

    #[test]
    fn reads_streams_skipping_empty_documents_and_flattening_lists() {
        let stream = "---\n# Source: a.yaml\nkind: A\n---\n# only a comment\n---\nkind: List\nitems:\n  - kind: B\n  - kind: C\n";
        let kinds: Vec<Value> = parse_stream(stream)
            .unwrap()
            .into_iter()
            .map(|d| d["kind"].clone())
            .collect();
        assert_eq!(kinds, ["A", "B", "C"]);
    }

    #[test]
    fn refuses_tags() {
        let error = parse_document("a: !secret x\n").unwrap_err();
        assert_eq!(error.field.unwrap().to_string(), "a");
    }
}
