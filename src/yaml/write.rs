//! Writes a JSON-shaped tree as block-style YAML that every reader reads back unchanged.
//!
//! serde_yaml 0.9 writes YAML 1.2 and leaves `on`, `yes`, `no`, `y`, `off`, `2001-12-14`
//! and `12:30` bare, which YAML 1.1 readers (Go's yaml.v2 inside Helm and ArgoCD, PyYAML)
//! read back as booleans, dates or numbers. This writer leaves a string plain only when it
//! is unambiguous under both versions, and otherwise double-quotes it with escapes, so no
//! string can change type, span lines or start a new document.

use std::fmt::Write;

use serde_json::{Map, Value};

/// One document, ending in a newline, without a `---` marker.
pub fn to_yaml_document(value: &Value) -> String {
    let mut out = String::new();
    push_yaml_document(&mut out, value);
    out
}

/// [`to_yaml_document`], appended to `out`.
pub fn push_yaml_document(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => write_mapping(out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_sequence(out, items, 0, false),
        scalar => {
            push_scalar(out, scalar);
            out.push('\n');
        }
    }
}

/// Several documents, each introduced by `---`, appended to `out`.
pub fn push_yaml_stream<'a>(out: &mut String, documents: impl IntoIterator<Item = &'a Value>) {
    for document in documents {
        out.push_str("---\n");
        push_yaml_document(out, document);
    }
}

fn indent(out: &mut String, width: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = width;
    while left > 0 {
        let step = left.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        left -= step;
    }
}

fn write_mapping(out: &mut String, map: &Map<String, Value>, width: usize, inline_first: bool) {
    for (position, (key, value)) in map.iter().enumerate() {
        if position > 0 || !inline_first {
            indent(out, width);
        }
        push_string(out, key);
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_mapping(out, inner, width + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_sequence(out, items, width + 2, false);
            }
            Value::String(text) if is_block_safe(text) => push_block(out, text, width + 2),
            scalar => {
                out.push(' ');
                push_scalar(out, scalar);
                out.push('\n');
            }
        }
    }
}

/// Whether a multi-line string can be written as a literal block (`|`) that every reader
/// reads back unchanged: printable characters only, a first line that does not start with
/// a space (which would change the block's indentation), no line of only blanks.
fn is_block_safe(text: &str) -> bool {
    text.contains('\n')
        && !text.starts_with([' ', '\n'])
        && text.chars().all(|c| {
            c == '\n'
                || c == '\t'
                || !(c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{85}'))
        })
        && text
            .split('\n')
            .all(|line| line.is_empty() || !line.trim().is_empty())
}

/// ` |` and the text as a literal block at `width`, with the chomping that keeps its
/// trailing line breaks exactly: strip (`-`), clip, or keep (`+`).
fn push_block(out: &mut String, text: &str, width: usize) {
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    out.push_str(match trailing {
        0 => " |-\n",
        1 => " |\n",
        _ => " |+\n",
    });
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, width);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

fn write_sequence(out: &mut String, items: &[Value], width: usize, inline_first: bool) {
    for (position, item) in items.iter().enumerate() {
        if position > 0 || !inline_first {
            indent(out, width);
        }
        out.push_str("- ");
        match item {
            Value::Object(inner) if !inner.is_empty() => {
                write_mapping(out, inner, width + 2, true);
            }
            Value::Array(nested) if !nested.is_empty() => {
                write_sequence(out, nested, width + 2, true);
            }
            Value::String(text) if is_block_safe(text) => {
                out.pop();
                push_block(out, text, width + 2);
            }
            scalar => {
                push_scalar(out, scalar);
                out.push('\n');
            }
        }
    }
}

/// A scalar (or an empty collection) as YAML text.
fn push_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => {
            let _ = write!(out, "{number}");
        }
        Value::String(text) => push_string(out, text),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A string, plain when every reader agrees it is that string, double-quoted otherwise.
pub fn string_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_string(&mut out, text);
    out
}

fn push_string(out: &mut String, text: &str) {
    if is_plain_safe(text) {
        out.push_str(text);
    } else {
        push_double_quoted(out, text);
    }
}

/// Bytes allowed in a plain scalar we write (ASCII letters, digits and a few signs);
/// anything else is quoted. A table: every byte of every string written is looked up.
const PLAIN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let signs = b" -_./:@+=$()%~,;^";
    let mut at = 0;
    while at < signs.len() {
        table[signs[at] as usize] = true;
        at += 1;
    }
    let mut byte = 0;
    while byte < 128 {
        if (byte as u8).is_ascii_alphanumeric() {
            table[byte] = true;
        }
        byte += 1;
    }
    table
};

fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let last = text.chars().next_back().unwrap_or(first);
    let starts_well = first.is_ascii_alphanumeric() || "/._$(".contains(first);
    starts_well
        && last != ' '
        && last != ':'
        && text.bytes().all(|byte| PLAIN_BYTES[usize::from(byte)])
        && !text.contains(": ")
        && !is_yaml_1_1_keyword(text)
        && !looks_numeric(text)
}

/// Booleans and nulls of YAML 1.1 and 1.2 in any letter case, and the merge/value keys.
fn is_yaml_1_1_keyword(text: &str) -> bool {
    const WORDS: [&str; 12] = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "=", "<<",
    ];
    text.len() <= 5 && WORDS.iter().any(|word| word.eq_ignore_ascii_case(text))
}

/// Anything a YAML 1.1 reader could take for an integer, float, sexagesimal number or
/// timestamp: it starts like a number and uses only characters those forms use. This is
/// deliberately broader than the grammar (`1.2.3` is quoted too); quoting is always safe.
fn looks_numeric(text: &str) -> bool {
    let unsigned = text.trim_start_matches(['+', '-']);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    let Some(first) = unsigned.chars().next() else {
        return false;
    };
    (first.is_ascii_digit() || first == '.')
        && unsigned
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "_.:+-xXoObBtTzZ ".contains(c))
}

fn push_double_quoted(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Control characters, and the characters YAML treats as line breaks or
            // byte-order marks, are escaped so the scalar stays on one line.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_what_yaml_1_1_would_misread() {
        for ambiguous in [
            "on",
            "Off",
            "yes",
            "NO",
            "y",
            "n",
            "true",
            "null",
            "~",
            "",
            "5432",
            "0777",
            "1e3",
            "12:30",
            "2001-12-14",
            "0x1F",
            ".inf",
            "-.5",
            "1_000",
            "=",
            "<<",
        ] {
            assert!(
                string_text(ambiguous).starts_with('"'),
                "{ambiguous:?} must be quoted"
            );
        }
    }

    #[test]
    fn leaves_ordinary_strings_plain() {
        for plain in [
            "minicloud platform",
            "backstage.10.0.0.200.nip.io",
            "https://raw.githubusercontent.com/a/b/main/catalog-info.yaml",
            "100m",
            "384Mi",
            "2160h",
            "url:https://github.com/a/b",
        ] {
            assert_eq!(string_text(plain), plain);
        }
    }

    #[test]
    fn escapes_structure_inside_strings() {
        assert_eq!(string_text("a\n---\nb: c # d"), "\"a\\n---\\nb: c # d\"");
        assert_eq!(string_text("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(string_text("line\u{2028}sep"), "\"line\\u2028sep\"");
    }

    #[test]
    fn writes_block_style_with_indented_sequences() {
        let value = json!({
            "spec": {
                "tls": [{"hosts": ["a.example"], "secretName": "t"}],
                "empty": {},
                "port": 7007,
                "nested": [["x"]]
            }
        });
        assert_eq!(
            to_yaml_document(&value),
            "spec:\n  tls:\n    - hosts:\n        - a.example\n      secretName: t\n  \
             empty: {}\n  port: 7007\n  nested:\n    - - x\n"
        );
    }
}
