//! The quick reader: the line reader's events straight into the JSON-shaped tree.
//!
//! serde_yaml (libyaml underneath) stays the reader of record: its errors are the ones
//! users see, and it handles every YAML feature. But it is the largest cost of a render
//! (an environment file and six template outputs, about 40% of the in-process pipeline),
//! and almost every document stagehand reads is laid out one node per line: block
//! mappings and lists of single-line scalars and flow collections. For those,
//! [`super::lines`] gives yaml-rust2's events without a scanner and this module builds the
//! tree from them, several times faster than serde_yaml: a `dist` build that sends every
//! document to serde_yaml takes 1.25 to 1.30 times as long per render (3.16 against
//! 2.47 ms, 3.03 against 2.34 ms a `generate`; 300 interleaved runs, `python3
//! bench/compare.py`, 2026-12-06), and `cargo bench --bench stages` times the parse
//! stage on its own. For anything else (a block
//! scalar, a multi-line flow collection, a tag, an anchor or alias, a repeated key, a key
//! that is not text, a number out of range, a second document, a syntax error) it declines
//! with `None`, and the caller reads the document with serde_yaml as before.
//!
//! Declined documents go to serde_yaml, not to yaml-rust2's own parser: the `lines` fuzz
//! target found, within minutes, inputs that yaml-rust2 reads and libyaml refuses or reads
//! otherwise (`{a:{b: c}}`, `[x, |]`, control characters, a document after a leading
//! `...`, an empty block scalar at the end: `""` or `"\n"`). Every one is declined by the
//! line reader, whose rules are narrow enough to check.
//!
//! Plain scalars are resolved as serde_yaml resolves them (YAML 1.2 core schema with
//! serde_yaml's particulars: `0x`/`0o`/`0b` integers, leading zeros keep a string, `inf`
//! without the dot is a string); `same_scalars_as_serde_yaml` holds this to serde_yaml
//! itself over generated scalars, `same_trees_as_serde_yaml_on_every_yaml_file_here` over
//! every YAML file of the project, and the `lines` fuzz target over arbitrary text.
//!
//! yaml-rust2 and libyaml were also compared on the 402 inputs of the YAML test suite
//! (yaml/yaml-test-suite, `data` branch): [`where_the_parsers_differ`] sends the inputs
//! where they differ to serde_yaml before the line reader looks at them.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

use super::limits::MAX_DEPTH;
use super::lines::{self, LinedEvent};
use super::positions::{IndexBuilder, PositionIndex};

/// The document in `text` as a tree, when it uses only what this reader handles; `None`
/// when serde_yaml must read it (see the module comment).
pub fn read_simple(text: &str) -> Option<Value> {
    read(text, None)
}

/// [`read_simple`], with the document's position index built in the same pass.
pub fn read_simple_indexed(text: &str) -> Option<(Value, PositionIndex)> {
    let mut index = IndexBuilder::default();
    let document = read(text, Some(&mut index))?;
    Some((document, index.finish()))
}

fn read(text: &str, index: Option<&mut IndexBuilder>) -> Option<Value> {
    if where_the_parsers_differ(text) {
        return None;
    }
    build(lines::events(text)?, index)
}

/// The tree of a document's events, from the line reader; `None` if they hold what
/// serde_yaml must read.
fn build(events: Vec<LinedEvent>, mut index: Option<&mut IndexBuilder>) -> Option<Value> {
    let mut events = events.into_iter();
    let mut stack: Vec<Open> = Vec::new();
    let mut document = None;
    loop {
        let (event, line) = events.next()?;
        if let Some(index) = index.as_deref_mut() {
            index.observe(&event, line);
        }
        let node = match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => continue,
            Event::DocumentStart => {
                if document.is_some() {
                    return None;
                }
                continue;
            }
            Event::StreamEnd => return document,
            Event::Alias(_) => return None,
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let value = if style == TScalarStyle::Plain {
                    resolve(text)?
                } else {
                    Value::String(text)
                };
                // A key waits for its value; only text keys become JSON keys unchanged.
                if let Some(Open::Mapping(_, key @ None)) = stack.last_mut() {
                    match value {
                        Value::String(text) => *key = Some(text),
                        _ => return None,
                    }
                    continue;
                }
                value
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let is_sequence = matches!(event, Event::SequenceStart(..));
                if anchor != 0 || tag.is_some() || stack.len() >= MAX_DEPTH {
                    return None;
                }
                // A collection as a key (`? [a, b]: c`) has no JSON form.
                if let Some(Open::Mapping(_, None)) = stack.last() {
                    return None;
                }
                stack.push(if is_sequence {
                    Open::Sequence(Vec::new())
                } else {
                    Open::Mapping(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop()? {
                Open::Sequence(items) => Value::Array(items),
                Open::Mapping(map, _) => Value::Object(map),
            },
        };
        match stack.last_mut() {
            None => document = Some(node),
            Some(Open::Sequence(items)) => items.push(node),
            Some(Open::Mapping(map, key)) => {
                let key = key.take()?;
                if map.insert(key, node).is_some() {
                    return None;
                }
            }
        }
    }
}

/// Text that libyaml and yaml-rust2 read differently, or that only yaml-rust2 accepts
/// (it follows YAML 1.2 more closely): tabs, directives, `?` keys, a block scalar ending
/// in a line of spaces without a line break. Found by reading the YAML test suite with
/// both; serde_yaml reads these, so its errors (a tab in the indentation) stay the ones
/// users see.
fn where_the_parsers_differ(text: &str) -> bool {
    let last_line = text.rsplit('\n').next().unwrap_or_default();
    text.contains(['\t', '?'])
        || text.starts_with('%')
        || text.contains("\n%")
        || (!last_line.is_empty() && last_line.bytes().all(|b| b == b' '))
}

/// A collection being read: a list's items so far, or a mapping's entries and the key
/// whose value comes next.
enum Open {
    Sequence(Vec<Value>),
    Mapping(Map<String, Value>, Option<String>),
}

/// What an untagged plain scalar means; `None` for a number JSON cannot hold as serde_yaml
/// would read it (wider than 64 bits, infinite, not a number): serde_yaml's reading
/// reports those.
fn resolve(text: String) -> Option<Value> {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    // Only text that starts like a number can be one; most scalars stop here.
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return Some(Value::String(text));
    }
    if let Some(number) = unsigned(&text, u64::from_str_radix) {
        return Some(Value::from(number));
    }
    if let Some(number) = negative(&text, i64::from_str_radix) {
        return Some(Value::from(number));
    }
    if unsigned(&text, u128::from_str_radix).is_some()
        || negative(&text, i128::from_str_radix).is_some()
    {
        return None;
    }
    if !leading_zero_digits(&text) {
        match float(&text) {
            Some(value) if value.is_finite() => return Number::from_f64(value).map(Value::Number),
            Some(_) => return None,
            None => {}
        }
    }
    Some(Value::String(text))
}

/// The radix prefixes an integer may carry after its sign.
const RADIXES: [(&str, u32); 3] = [("0x", 16), ("0o", 8), ("0b", 2)];

/// A non-negative integer: decimal, or `0x`, `0o`, `0b`, with at most one `+` before it.
fn unsigned<T>(
    text: &str,
    parse: fn(&str, u32) -> Result<T, std::num::ParseIntError>,
) -> Option<T> {
    let body = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in RADIXES {
        if let Some(digits) = body.strip_prefix(prefix) {
            if digits.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(number) = parse(digits, radix) {
                return Some(number);
            }
        }
    }
    if body.starts_with(['+', '-']) || leading_zero_digits(text) {
        return None;
    }
    parse(body, 10).ok()
}

/// A negative integer: decimal, or `-0x`, `-0o`, `-0b`.
fn negative<T>(
    text: &str,
    parse: fn(&str, u32) -> Result<T, std::num::ParseIntError>,
) -> Option<T> {
    for (prefix, radix) in RADIXES {
        if let Some(digits) = text.strip_prefix('-').and_then(|t| t.strip_prefix(prefix))
            && let Ok(number) = parse(&format!("-{digits}"), radix)
        {
            return Some(number);
        }
    }
    if leading_zero_digits(text) {
        return None;
    }
    parse(text, 10).ok()
}

/// `0123`, `-007`: digits after a leading zero are text in YAML 1.2, not octal.
fn leading_zero_digits(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}

/// A float, the YAML spellings of infinity and not-a-number included; a number that
/// Rust reads as infinite or not-a-number without YAML's dot (`inf`, `1e999`) is text.
fn float(text: &str) -> Option<f64> {
    let body = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    match (body, text) {
        (".inf" | ".Inf" | ".INF", _) => Some(f64::INFINITY),
        (_, "-.inf" | "-.Inf" | "-.INF") => Some(f64::NEG_INFINITY),
        (_, ".nan" | ".NaN" | ".NAN") => Some(f64::NAN),
        _ => body.parse::<f64>().ok().filter(|value| value.is_finite()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field_path::FieldPath;
    use proptest::prelude::*;

    /// serde_yaml's reading of `text`, or `None` where it fails.
    fn by_serde_yaml(text: &str) -> Option<Value> {
        serde_yaml::from_str::<Value>(text).ok()
    }

    #[test]
    fn reads_mappings_lists_and_scalars_as_serde_yaml_does() {
        let text =
            "a: 1\nb: [x, 'y', \"z\\u001f\"]\nc: {d: ~, e: true, f: 1.5, g: 0x1f}\nk: 0755\n";
        assert_eq!(read_simple(text), by_serde_yaml(text));
        assert_eq!(read_simple(text).unwrap()["c"]["g"], 31);
        assert_eq!(read_simple(text).unwrap()["k"], "0755");
    }

    #[test]
    fn declines_what_serde_yaml_must_read() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !tag 1\n",
            "a: 1\na: 2\n",
            "1: a\n",
            "? [a]\n: b\n",
            "a: 1\n---\nb: 2\n",
            "a: 99999999999999999999\n",
            "a: .inf\n",
            "a: [\n",
            "",
            "h: |\n  two\n  lines\n",
            // Found by the `lines` fuzz target: yaml-rust2 reads each, libyaml refuses it
            // or reads it otherwise.
            "|3\n",
            "a: [x, |]\n",
            "a: {b:{c: d}}\n",
            "a: {b:}\n",
            "a: |\u{0}\n",
            "# y\n\n...\na,)k",
        ] {
            assert_eq!(read_simple(text), None, "{text:?}");
        }
    }

    /// Every YAML file of the project (fixtures, goldens, bases, overlays), whole and split
    /// into its documents: wherever this reader gives a tree, it is serde_yaml's tree.
    #[test]
    fn same_trees_as_serde_yaml_on_every_yaml_file_here() {
        let mut compared = 0;
        for (path, document) in crate::yaml::documents_here() {
            if let Some((value, index)) = read_simple_indexed(&document) {
                let alone = PositionIndex::build(&document);
                same_lines(&value, &index, &alone, &FieldPath::root());
                assert_eq!(index, alone, "{}", path.display());
                assert_eq!(Some(value), by_serde_yaml(&document), "{}", path.display());
                compared += 1;
            }
        }
        assert!(compared > 100, "only {compared} documents compared");
    }

    /// The index built in the reader's pass places every field of `value` (and a field
    /// below each that is not there) where the index built on its own does.
    fn same_lines(value: &Value, index: &PositionIndex, alone: &PositionIndex, at: &FieldPath) {
        let missing = at.key("not-in-the-document");
        assert_eq!(index.line_of(at), alone.line_of(at), "{at}");
        assert_eq!(
            index.line_of(&missing),
            alone.line_of(&missing),
            "{missing}"
        );
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    same_lines(item, index, alone, &at.key(key));
                }
            }
            Value::Array(items) => {
                for (position, item) in items.iter().enumerate() {
                    same_lines(item, index, alone, &at.index(position));
                }
            }
            _ => {}
        }
    }

    /// Scalars near every rule: signs, radix prefixes, leading zeros, exponents, the
    /// YAML and Rust spellings of infinity, and words serde_yaml reads as null or bool.
    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "[-+]{0,2}0?[xob]?[-+]?[0-9a-fA-F]{0,3}[._]?[0-9eE]{0,3}[-+]?[0-9]{0,2}",
            "[0-9]{18,40}",
            "-[0-9]{18,40}",
            "[-+]?\\.?(inf|Inf|INF|nan|NaN|NAN|infinity)",
            "(~|null|Null|NULL|nULL|true|True|TRUE|tRUE|false|False|FALSE|yes|on|off|y)",
            "[-+0-9._xobeEinfINFaNtrueTRUEFALSEnulNUL~]{0,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn same_scalars_as_serde_yaml(text in scalar()) {
            let document = format!("k: {text}\n");
            if let Some(value) = read_simple(&document) {
                prop_assert_eq!(Some(value), by_serde_yaml(&document), "{:?}", document);
            }
        }
    }
}
