//! The line reader: yaml-rust2's events for YAML laid out one node per line, without
//! yaml-rust2's scanner.
//!
//! yaml-rust2 scans a character at a time through a look-ahead buffer: about 300
//! instructions per byte of an environment file, 1.1 M of the 4.1 M instructions of a
//! render (callgrind). Almost every document stagehand reads (an environment file, the output of
//! a built-in template) is block mappings and lists, one key or item per line, with
//! single-line scalars and single-line flow collections (`{ cpu: 10m }`, `[a, b]`). For
//! those, this reader gives the very events yaml-rust2 gives, with the lines where their
//! nodes start, from a pass over whole lines.
//!
//! Anything else makes it decline with `None`, and the document goes to serde_yaml: block
//! scalars (`|`, `>`), scalars or flow collections over several lines, empty
//! list items, `- - a`, anchors, aliases, tags, directives, a second document, spaces
//! before a key's colon, a trailing comma, control characters, `\r`, and anything that
//! would be a syntax error. Declining is always safe; reading differently is not, so
//! `same_events_as_yaml_rust2` compares the two on generated documents,
//! `same_events_on_every_yaml_file_here` on the project's files, and the `lines` fuzz
//! target on arbitrary text ([`compare_with_yaml_rust2`]).

use std::borrow::Cow;

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

use super::limits::MAX_DEPTH;

/// One event of a document, and the line (counted from 1) where its node starts.
pub type LinedEvent = (Event, usize);

/// The events yaml-rust2 gives for `text` (stream and document events included), or
/// `None` when `text` is not laid out one node per line (see the module comment).
pub fn events(text: &str) -> Option<Vec<LinedEvent>> {
    if has_unusual_characters(text) {
        return None;
    }
    let lines = content_lines(text)?;
    let first_indent = lines.first()?.indent;
    let mut reader = Reader {
        lines,
        at: 0,
        events: Vec::with_capacity(text.len() / 16),
    };
    reader.events.push((Event::StreamStart, 1));
    reader.events.push((Event::DocumentStart, 1));
    reader.block_collection(first_indent, 0)?;
    if reader.at != reader.lines.len() {
        return None;
    }
    let last = reader.lines.last().map_or(1, |line| line.number);
    reader.events.push((Event::DocumentEnd, last));
    reader.events.push((Event::StreamEnd, last));
    Some(reader.events)
}

/// Characters some YAML reader treats specially or refuses: controls (tab and line feed
/// aside; tabs are declined earlier), `\r`, the byte order mark, Unicode line breaks and
/// non-characters.
fn has_unusual_characters(text: &str) -> bool {
    if text
        .bytes()
        .all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
    {
        return false;
    }
    text.chars().any(|c| {
        (c < ' ' && c != '\n')
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || matches!(
                c,
                '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
            )
    })
}

/// A line with content: not blank, not only a comment.
#[derive(Clone, Copy)]
struct Line<'a> {
    number: usize,
    indent: usize,
    /// The line after its indentation.
    text: &'a str,
}

/// The lines of `text` that hold content; `None` for a document marker other than one
/// `---` alone on a line before any content.
fn content_lines(text: &str) -> Option<Vec<Line<'_>>> {
    let mut lines = Vec::with_capacity(text.len() / 24);
    let mut marker_seen = false;
    for (number, line) in (1..).zip(text.split('\n')) {
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if indent == 0 && (body.starts_with("---") || body.starts_with("...")) {
            if body != "---" || marker_seen || !lines.is_empty() {
                return None;
            }
            marker_seen = true;
            continue;
        }
        lines.push(Line {
            number,
            indent,
            text: body,
        });
    }
    Some(lines)
}

/// Whether a line's text starts a block list item.
fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    /// The next line to read.
    at: usize,
    events: Vec<LinedEvent>,
}

impl<'a> Reader<'a> {
    fn next_line(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    /// Whether the next line is indented deeper than `indent`: more of a node that should
    /// have ended (a plain scalar going on, say), which this reader leaves to yaml-rust2.
    fn continues_past(&self, indent: usize) -> bool {
        self.next_line().is_some_and(|line| line.indent > indent)
    }

    fn push(&mut self, event: Event, line: usize) {
        self.events.push((event, line));
    }

    fn scalar(&mut self, text: String, style: TScalarStyle, line: usize) {
        self.push(Event::Scalar(text, style, 0, None), line);
    }

    /// The block mapping or list whose first line is the next line, at `indent`.
    fn block_collection(&mut self, indent: usize, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let line = self.next_line()?;
        if is_item(line.text) {
            self.block_list(indent, depth)
        } else {
            self.block_mapping(indent, depth)
        }
    }

    fn block_list(&mut self, indent: usize, depth: usize) -> Option<()> {
        let first = self.next_line()?;
        self.push(Event::SequenceStart(0, None), first.number);
        while let Some(line) = self
            .next_line()
            .filter(|l| l.indent == indent && is_item(l.text))
        {
            let after_dash = &line.text[1..];
            let item = after_dash.trim_start_matches(' ');
            if item.is_empty() || item.starts_with('#') || is_item(item) {
                return None;
            }
            if key_of(item).is_some() {
                // `- key: value`: a mapping whose keys line up after the dash.
                let column = indent + 1 + (after_dash.len() - item.len());
                self.lines[self.at] = Line {
                    indent: column,
                    text: item,
                    ..line
                };
                self.block_collection(column, depth + 1)?;
            } else {
                self.at += 1;
                self.inline_node(item, line.number, depth + 1)?;
            }
            if self.continues_past(indent) {
                return None;
            }
        }
        self.push(Event::SequenceEnd, first.number);
        Some(())
    }

    fn block_mapping(&mut self, indent: usize, depth: usize) -> Option<()> {
        let first = self.next_line()?;
        self.push(Event::MappingStart(0, None), first.number);
        while let Some(line) = self
            .next_line()
            .filter(|l| l.indent == indent && !is_item(l.text))
        {
            let (key, style, after_colon) = key_of(line.text)?;
            self.scalar(key.into_owned(), style, line.number);
            self.at += 1;
            let value = after_colon.trim_start_matches(' ');
            if !value.is_empty() && !value.starts_with('#') {
                self.inline_node(value, line.number, depth + 1)?;
                if self.continues_past(indent) {
                    return None;
                }
                continue;
            }
            match self.next_line() {
                Some(next) if next.indent > indent => {
                    self.block_collection(next.indent, depth + 1)?;
                }
                // A list at the key's own indentation is the key's value.
                Some(next) if next.indent == indent && is_item(next.text) => {
                    self.block_list(indent, depth + 1)?;
                }
                // An empty value: its line is never used (a value is placed by its key).
                _ => self.scalar(String::new(), TScalarStyle::Plain, line.number),
            }
        }
        self.push(Event::MappingEnd, first.number);
        Some(())
    }

    /// A node that ends on its line: a scalar or a flow collection, maybe a comment after.
    fn inline_node(&mut self, text: &'a str, line: usize, depth: usize) -> Option<()> {
        let rest = match text.as_bytes()[0] {
            b'"' | b'\'' => {
                let (value, style, rest) = quoted(text)?;
                self.scalar(value, style, line);
                rest
            }
            b'[' | b'{' => self.flow_collection(text, line, depth)?,
            _ => {
                let value = block_plain(text)?;
                self.scalar(value.to_owned(), TScalarStyle::Plain, line);
                ""
            }
        };
        line_ends(rest).then_some(())
    }

    /// A flow collection that closes on its line; what follows it.
    fn flow_collection(&mut self, text: &'a str, line: usize, depth: usize) -> Option<&'a str> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let is_list = text.starts_with('[');
        let close = if is_list { b']' } else { b'}' };
        self.push(
            if is_list {
                Event::SequenceStart(0, None)
            } else {
                Event::MappingStart(0, None)
            },
            line,
        );
        let mut rest = text[1..].trim_start_matches(' ');
        if rest.as_bytes().first() != Some(&close) {
            loop {
                if !is_list {
                    let (key, style, after) = flow_key(rest)?;
                    self.scalar(key, style, line);
                    rest = after.trim_start_matches(' ');
                }
                rest = self
                    .flow_node(rest, line, depth + 1)?
                    .trim_start_matches(' ');
                match rest.as_bytes().first() {
                    Some(b',') => {
                        rest = rest[1..].trim_start_matches(' ');
                        if rest.as_bytes().first() == Some(&close) {
                            return None;
                        }
                    }
                    Some(&byte) if byte == close => break,
                    _ => return None,
                }
            }
        }
        self.push(
            if is_list {
                Event::SequenceEnd
            } else {
                Event::MappingEnd
            },
            line,
        );
        Some(&rest[1..])
    }

    /// One node inside a flow collection; what follows it.
    fn flow_node(&mut self, text: &'a str, line: usize, depth: usize) -> Option<&'a str> {
        match text.as_bytes().first()? {
            b'[' | b'{' => self.flow_collection(text, line, depth),
            b'"' | b'\'' => {
                let (value, style, rest) = quoted(text)?;
                self.scalar(value, style, line);
                Some(rest)
            }
            _ => {
                let (value, rest) = flow_plain(text)?;
                if rest.starts_with(':') {
                    // `[a: b]`, or `{a: b: c}`.
                    return None;
                }
                self.scalar(value.to_owned(), TScalarStyle::Plain, line);
                Some(rest)
            }
        }
    }
}

/// Whether what is left of a line after a node is nothing, or a comment after a space.
fn line_ends(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

/// A block mapping's key, its style, and the text after its `:`; `None` when the line is
/// not `key:` or `key: value` with a single-line key.
fn key_of(text: &str) -> Option<(Cow<'_, str>, TScalarStyle, &str)> {
    let (key, style, rest) = match text.as_bytes()[0] {
        b'"' | b'\'' => {
            let (key, style, rest) = quoted(text)?;
            (Cow::Owned(key), style, rest)
        }
        _ => {
            let end = colon_before_space(text)?;
            let key = &text[..end];
            if !starts_plain(key) || key.ends_with(' ') || key.contains(" #") {
                return None;
            }
            (Cow::Borrowed(key), TScalarStyle::Plain, &text[end..])
        }
    };
    // yaml-rust2 refuses a key longer than 1024 characters; serde_yaml reads those.
    if key.len() > 1000 {
        return None;
    }
    let after = rest.strip_prefix(':')?;
    (after.is_empty() || after.starts_with(' ')).then_some((key, style, after))
}

/// Where the first `:` followed by a space or the line's end is.
fn colon_before_space(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .find(|&at| bytes[at] == b':' && bytes.get(at + 1).is_none_or(|&next| next == b' '))
}

/// Whether `text` may begin a plain scalar: not with an indicator, except `-` before a
/// character that is not a space.
fn starts_plain(text: &str) -> bool {
    match text.as_bytes() {
        [] => false,
        [b'-', next, ..] => *next != b' ' && !b",[]{}".contains(next),
        [first, ..] => !b"-?:,[]{}#&*!|>'\"%@`".contains(first),
    }
}

/// A plain scalar that runs to the end of its line (or to a comment).
fn block_plain(text: &str) -> Option<&str> {
    let value = match text.find(" #") {
        Some(comment) => &text[..comment],
        None => text,
    }
    .trim_end_matches(' ');
    let key_like = value.ends_with(':') || value.contains(": ");
    (starts_plain(value) && !key_like).then_some(value)
}

/// A plain scalar inside a flow collection, and what follows it. Declines a `#` or a
/// bracket inside the scalar, and a scalar that reaches the line's end.
fn flow_plain(text: &str) -> Option<(&str, &str)> {
    if !starts_plain(text) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut end = 0;
    while end < bytes.len() {
        match bytes[end] {
            b',' | b']' | b'}' => break,
            b'[' | b'{' | b'#' => return None,
            // yaml-rust2 refuses a word of a flow scalar that starts `-,`, `-]` and so on.
            b'-' if end > 0
                && bytes[end - 1] == b' '
                && bytes.get(end + 1).is_some_and(|n| b",[]{}".contains(n)) =>
            {
                return None;
            }
            b':' if bytes
                .get(end + 1)
                .is_none_or(|next| b" ,[]{}".contains(next)) =>
            {
                break;
            }
            _ => end += 1,
        }
    }
    if end == bytes.len() {
        return None;
    }
    let value = text[..end].trim_end_matches(' ');
    Some((value, &text[end..]))
}

/// A flow mapping's key, its style, and the text after `: `.
fn flow_key(text: &str) -> Option<(String, TScalarStyle, &str)> {
    let (key, style, rest) = match text.as_bytes().first()? {
        b'"' | b'\'' => quoted(text)?,
        _ => {
            let (key, rest) = flow_plain(text)?;
            if key.len() != text.len() - rest.len() {
                return None;
            }
            (key.to_owned(), TScalarStyle::Plain, rest)
        }
    };
    let after = rest.strip_prefix(": ")?;
    Some((key, style, after))
}

/// A quoted scalar that closes on its line: its value, its style, and what follows it.
fn quoted(text: &str) -> Option<(String, TScalarStyle, &str)> {
    if let Some(mut rest) = text.strip_prefix('\'') {
        let mut value = String::new();
        loop {
            let quote = rest.find('\'')?;
            value.push_str(&rest[..quote]);
            rest = &rest[quote + 1..];
            match rest.strip_prefix('\'') {
                Some(after) => {
                    value.push('\'');
                    rest = after;
                }
                None => return Some((value, TScalarStyle::SingleQuoted, rest)),
            }
        }
    }
    let mut value = String::new();
    let mut rest = &text[1..];
    loop {
        let special = rest.find(['"', '\\'])?;
        value.push_str(&rest[..special]);
        if rest.as_bytes()[special] == b'"' {
            return Some((value, TScalarStyle::DoubleQuoted, &rest[special + 1..]));
        }
        let (character, after) = escape(&rest[special + 1..])?;
        value.push(character);
        rest = after;
    }
}

/// The character a double-quoted escape stands for (the text after its backslash), and
/// what follows the escape. A backslash at the line's end continues the scalar on the
/// next line: declined.
fn escape(text: &str) -> Option<(char, &str)> {
    let letter = *text.as_bytes().first()?;
    let digits = match letter {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
        _ => {
            let character = match letter {
                b'0' => '\0',
                b'a' => '\x07',
                b'b' => '\x08',
                b't' => '\t',
                b'n' => '\n',
                b'v' => '\x0b',
                b'f' => '\x0c',
                b'r' => '\r',
                b'e' => '\x1b',
                b' ' => ' ',
                b'"' => '"',
                b'/' => '/',
                b'\\' => '\\',
                b'N' => '\u{85}',
                b'_' => '\u{a0}',
                b'L' => '\u{2028}',
                b'P' => '\u{2029}',
                _ => return None,
            };
            return Some((character, &text[1..]));
        }
    };
    let hex = text.get(1..1 + digits)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let character = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some((character, &text[1 + digits..]))
}

/// How the line reader's reading of a text compares with yaml-rust2's (for the tests and
/// the `lines` fuzz target).
#[derive(Debug, PartialEq)]
pub enum Agreement {
    /// The line reader declined the text (serde_yaml reads it in a render).
    Declined,
    /// Both read the same nodes on the same lines.
    Same,
    /// The line reader read a text that yaml-rust2 refuses.
    Refused,
    /// They read different nodes, or place them on different lines.
    Differs {
        /// The line reader's nodes.
        ours: Vec<LinedEvent>,
        /// yaml-rust2's nodes.
        theirs: Vec<LinedEvent>,
    },
}

/// Reads `text` with the line reader and, where it reads it, with yaml-rust2's parser too,
/// and compares the nodes and their lines.
pub fn compare_with_yaml_rust2(text: &str) -> Agreement {
    let Some(ours) = events(text) else {
        return Agreement::Declined;
    };
    let Some(theirs) = by_yaml_rust2(text) else {
        return Agreement::Refused;
    };
    let (ours, theirs) = (nodes(ours), nodes(theirs));
    if ours == theirs {
        Agreement::Same
    } else {
        Agreement::Differs { ours, theirs }
    }
}

/// yaml-rust2's events for `text`, or `None` where it fails.
fn by_yaml_rust2(text: &str) -> Option<Vec<LinedEvent>> {
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    let mut events = Vec::new();
    loop {
        let (event, mark) = parser.next_token().ok()?;
        let end = event == Event::StreamEnd;
        events.push((event, mark.line()));
        if end {
            return Some(events);
        }
    }
}

/// The events that make the tree and the position index: nodes with their lines. The end
/// of a collection carries no line anything uses, and neither does an empty value (the
/// line reader declines empty list items; a mapping's value is placed by its key).
fn nodes(events: Vec<LinedEvent>) -> Vec<LinedEvent> {
    events
        .into_iter()
        .filter_map(|(event, line)| match event {
            Event::Scalar(ref text, TScalarStyle::Plain, ..) if text.is_empty() => Some((event, 0)),
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) => {
                Some((event, line))
            }
            Event::SequenceEnd | Event::MappingEnd => Some((event, 0)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Wherever the line reader reads `text`, yaml-rust2 reads the same nodes on the same
    /// lines. Returns whether the line reader read it.
    fn agrees_with_yaml_rust2(text: &str) -> bool {
        match compare_with_yaml_rust2(text) {
            Agreement::Declined => false,
            Agreement::Same => true,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn reads_block_mappings_lists_and_single_line_flow() {
        let text = "# head\n---\na: 1\nb:\n  - x # c\n  - 'y''s': \"z\\u001f\"\n    w: [p, -q, {r: s}]\nc:\n- d\ne: {}\n";
        assert!(agrees_with_yaml_rust2(text));
        let values: Vec<_> = events(text)
            .unwrap()
            .into_iter()
            .filter_map(|(event, line)| match event {
                Event::Scalar(value, ..) => Some((value, line)),
                _ => None,
            })
            .collect();
        let expected = [
            ("a", 3),
            ("1", 3),
            ("b", 4),
            ("x", 5),
            ("y's", 6),
            ("z\u{1f}", 6),
            ("w", 7),
            ("p", 7),
            ("-q", 7),
            ("r", 7),
            ("s", 7),
            ("c", 8),
            ("d", 9),
            ("e", 10),
        ];
        let expected: Vec<_> = expected.iter().map(|(v, l)| (v.to_string(), *l)).collect();
        assert_eq!(values, expected);
    }

    #[test]
    fn declines_what_is_not_one_node_per_line() {
        for text in [
            "a: |\n  text\n",
            "a: >\n  text\n",
            "a: two\n  lines\n",
            "a: [x,\n  y]\n",
            "a: \"x\n  y\"\n",
            "-\n  a: 1\n",
            "- - a\n",
            "a: &x 1\n",
            "a: *x\n",
            "a: !t 1\n",
            "a : 1\n",
            "a: [x, ]\n",
            "a: 1\r\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\n...\n",
            "a: b: c\n",
            "a: [b: c]\n",
            "a: {b}\n",
            "a:\n  b: 1\n c: 2\n",
            "\"a\":b\n",
            "plain\n",
            "{a: 1}\n",
            "",
            "# only a comment\n",
        ] {
            assert!(events(text).is_none(), "{text:?}");
        }
    }

    /// Every YAML file of the project, whole and split into its documents.
    #[test]
    fn same_events_on_every_yaml_file_here() {
        let documents = crate::yaml::documents_here();
        let read = documents
            .iter()
            .filter(|(_, document)| agrees_with_yaml_rust2(document))
            .count();
        assert!(read > 100, "only {read} documents read");
    }

    /// Text built to be near the line reader's rules: `:`, `#`, `-`, quotes, brackets
    /// and spaces where they change how a line is read.
    const WILD: &str = "[-:?#&*!|>%@ ,'\"~a-z0-9\\[\\]{}]{1,5}";

    /// A key as it may stand in a line.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => "[a-z][a-z0-9./-]{0,6}",
            1 => "'[a-z0-9 :#,\"'-]{0,5}'",
            1 => "\"[a-z0-9 :#,'/-]{0,4}(\\\\[nt\"/ ]|\\\\u00[0-9a-f]{2})?\"",
            1 => WILD,
        ]
    }

    /// A value as it may stand in a line: a plain or quoted scalar, or a flow collection.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "[a-z0-9][a-z0-9 .:/#,~-]{0,7}",
            2 => "'[a-z0-9 :#,\"'-]{0,6}'",
            2 => "\"[a-z0-9 :#,'/-]{0,4}(\\\\[nt\"\\\\/0 N_LPe]|\\\\u00[0-9a-f]{2}|\\\\x[0-9a-f]{2}|\\\\[qU])?[a-z0-9 ]{0,3}\"",
            2 => "\\[ ?([-a-z0-9:/.]{1,4}|'[a-z ,]{0,3}'|\"[a-z ,]{0,3}\"|\\[[a-z]?\\]|\\{[a-z]: [a-z]\\})( ?, ?[-a-z0-9:/.]{1,4}){0,3} ?\\]",
            2 => "\\{ ?[a-z0-9]{1,3}: ([-a-z0-9:/. ]{1,5}|'[a-z ,]{0,3}'|\\[[a-z, ]{0,4}\\]|\\{[a-z]: [a-z]\\})(, [a-z]{1,2}: [-a-z0-9:/. ]{1,4}){0,2} ?\\}",
            1 => "[\\[{][a-z0-9 ,:'\"#\\[\\]{}-]{0,10}[\\]}]",
            1 => WILD,
        ]
    }

    /// A document's tree, to be laid out as block YAML.
    #[derive(Debug, Clone)]
    enum Node {
        Leaf(String),
        /// Entries, each with whether a list value sits at the key's own indentation.
        Mapping(Vec<(String, Node, bool)>),
        List(Vec<Node>),
    }

    fn node() -> impl Strategy<Value = Node> {
        value()
            .prop_map(Node::Leaf)
            .prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec((key(), inner.clone(), any::<bool>()), 1..4)
                        .prop_map(Node::Mapping),
                    prop::collection::vec(inner, 1..4).prop_map(Node::List),
                ]
            })
    }

    /// Lays `node` out at `indent`, `step` deeper per level, as lines.
    fn lay_out(node: &Node, indent: usize, step: usize, lines: &mut Vec<String>) {
        let pad = " ".repeat(indent);
        match node {
            Node::Leaf(text) => lines.push(format!("{pad}{text}")),
            Node::Mapping(entries) => {
                for (key, value, flush) in entries {
                    match value {
                        Node::Leaf(text) => lines.push(format!("{pad}{key}: {text}")),
                        Node::List(_) if *flush => {
                            lines.push(format!("{pad}{key}:"));
                            lay_out(value, indent, step, lines);
                        }
                        _ => {
                            lines.push(format!("{pad}{key}:"));
                            lay_out(value, indent + step, step, lines);
                        }
                    }
                }
            }
            Node::List(items) => {
                for item in items {
                    let mut inner = Vec::new();
                    lay_out(item, indent + 2, step, &mut inner);
                    let first = inner.first().map_or("", |line| &line[indent + 2..]);
                    lines.push(format!("{pad}- {first}"));
                    lines.extend(inner.iter().skip(1).cloned());
                }
            }
        }
    }

    /// What may follow a line's content.
    fn ending() -> impl Strategy<Value = &'static str> {
        prop_oneof![8 => Just(""), 1 => Just(" # note"), 1 => Just("#x"), 1 => Just("  ")]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6000))]
        /// Generated block documents, some with a line's indentation or ending changed.
        #[test]
        fn same_events_as_yaml_rust2(
            root in node(),
            step in 1usize..=4,
            endings in prop::collection::vec(ending(), 16),
            shift in prop::option::of((0usize..16, -2isize..=2)),
            comment_at in prop::option::of(0usize..16),
            last_newline: bool,
        ) {
            let mut lines = Vec::new();
            lay_out(&root, 0, step, &mut lines);
            for (line, end) in lines.iter_mut().zip(&endings) {
                line.push_str(end);
            }
            if let Some((at, by)) = shift.filter(|(at, _)| *at < lines.len()) {
                let line = &lines[at];
                lines[at] = match by {
                    0.. => format!("{}{line}", " ".repeat(by.unsigned_abs())),
                    _ => line.trim_start_matches(' ').to_string(),
                };
            }
            if let Some(at) = comment_at.filter(|at| *at <= lines.len()) {
                lines.insert(at, "   # between".to_string());
            }
            let mut text = lines.join("\n");
            if last_newline {
                text.push('\n');
            }
            agrees_with_yaml_rust2(&text);
        }
    }
}
