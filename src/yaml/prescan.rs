//! A linear pre-scan that bounds how deeply a document nests and how many entries it
//! holds, before any parser sees it.
//!
//! Both YAML parsers stagehand uses do work that grows with nesting depth for every token
//! (libyaml, under serde_yaml, keeps a candidate simple key per flow level: 20,000 nested
//! `{a: ` took 0.7 s), or recurse once per level without a limit (yaml-rust2 overflows its
//! stack on 300,000 `- `). Refusing over-deep text here, in one pass over the bytes, keeps
//! every input of the size limit cheap. The estimate follows indentation, compact
//! indicators (`- `, `? `, `: `) and flow brackets outside quotes, comments and block
//! scalars; the exact limit is checked again on the parsed document.
//!
//! The same pass counts entries (mapping keys and list items): a megabyte of tiny keys
//! costs both parsers, the schema walk and every later stage a node each, while the
//! largest environment the schema's limits accept holds under 50,000.

/// Where the pre-scan stopped: a line (1-based) past one of the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// The nesting estimate passes the depth limit on this line.
    Depth(usize),
    /// The count of keys and list items passes the entry limit on this line.
    Entries(usize),
}

/// Scans `text` once; the first line where nesting exceeds `max_depth` or the number of
/// entries exceeds `max_entries`, if any.
pub fn prescan(text: &str, max_depth: usize, max_entries: usize) -> Option<Exceeded> {
    let mut scan = Scan::default();
    for (index, line) in text.split('\n').enumerate() {
        if scan.line(line.as_bytes()) > max_depth {
            return Some(Exceeded::Depth(index + 1));
        }
        if scan.entries > max_entries {
            return Some(Exceeded::Entries(index + 1));
        }
    }
    None
}

#[derive(Default)]
struct Scan {
    /// Block indentation columns, outermost first.
    indents: Vec<usize>,
    /// Open `[` and `{`.
    flow: usize,
    /// Inside a quoted scalar that continues on the next line.
    quote: Option<u8>,
    /// Inside a block scalar (`|`, `>`): lines indented more than this are its text.
    block_scalar_parent: Option<usize>,
    /// Keys and list items seen (flow collections count their elements).
    entries: usize,
    /// A flow collection was just opened: its first element, if any, is not counted yet.
    flow_opened: bool,
}

impl Scan {
    /// Scans one line; returns the deepest nesting estimate seen on it.
    fn line(&mut self, line: &[u8]) -> usize {
        let indent = line.iter().take_while(|b| **b == b' ').count();
        let blank = line[indent..].iter().all(|b| b.is_ascii_whitespace());
        if let Some(parent) = self.block_scalar_parent {
            if blank || indent > parent {
                return 0;
            }
            self.block_scalar_parent = None;
        }
        let mut start = 0;
        if self.quote.is_none() && self.flow == 0 {
            if blank || line[indent] == b'#' {
                return 0;
            }
            while self.indents.last().is_some_and(|top| *top > indent) {
                self.indents.pop();
            }
            if self.indents.last() != Some(&indent) {
                self.indents.push(indent);
            }
            start = indent;
        }
        let mut compact = 0;
        let mut deepest = self.indents.len() + self.flow;
        let mut node_start = self.flow == 0;
        let mut at = start;
        while at < line.len() {
            let byte = line[at];
            if let Some(quote) = self.quote {
                if byte == b'\\' && quote == b'"' {
                    at += 2;
                    continue;
                }
                if byte == quote {
                    if quote == b'\'' && line.get(at + 1) == Some(&b'\'') {
                        at += 2;
                        continue;
                    }
                    self.quote = None;
                    node_start = false;
                }
                at += 1;
                continue;
            }
            if !is_indicator_or_space(byte) {
                // Text: it only ends an opened flow collection's wait for its first
                // element, and a node's start. Most bytes are this.
                if self.flow_opened {
                    self.entries += 1;
                    self.flow_opened = false;
                }
                if self.flow == 0 {
                    node_start = false;
                }
                at += 1;
                continue;
            }
            let after_space = at == 0 || line[at - 1] == b' ' || line[at - 1] == b'\t';
            let next_is_space = line.get(at + 1).is_none_or(|b| *b == b' ' || *b == b'\r');
            if self.flow_opened && !matches!(byte, b' ' | b'\t' | b'\r' | b']' | b'}') {
                self.entries += 1;
                self.flow_opened = false;
            }
            match byte {
                b'#' if after_space => break,
                b'[' | b'{' if self.flow > 0 || node_start => {
                    self.flow += 1;
                    self.flow_opened = true;
                    node_start = false;
                }
                b']' | b'}' if self.flow > 0 => {
                    self.flow -= 1;
                    self.flow_opened = false;
                }
                b',' if self.flow > 0 => self.flow_opened = true,
                b'"' | b'\''
                    if node_start || (self.flow > 0 && after_space_or_indicator(line, at)) =>
                {
                    self.quote = Some(byte);
                }
                b'-' | b'?' | b':' if node_start && next_is_space && self.flow == 0 => {
                    compact += 1;
                    self.entries += usize::from(byte != b':');
                }
                b':' if self.flow == 0 && next_is_space => {
                    self.entries += 1;
                    node_start = true;
                }
                b'|' | b'>' if node_start && self.flow == 0 => {
                    self.block_scalar_parent = Some(indent);
                    break;
                }
                b'&' | b'!' if node_start => {
                    while at < line.len() && line[at] != b' ' {
                        at += 1;
                    }
                }
                b' ' | b'\t' | b'\r' => {}
                _ if self.flow == 0 => node_start = false,
                _ => {}
            }
            deepest = deepest.max(self.indents.len() + compact + self.flow);
            at += 1;
        }
        deepest
    }
}

/// The bytes the scan acts on: YAML indicators and spaces.
fn is_indicator_or_space(byte: u8) -> bool {
    matches!(
        byte,
        b'#' | b'['
            | b']'
            | b'{'
            | b'}'
            | b','
            | b'"'
            | b'\''
            | b'-'
            | b'?'
            | b':'
            | b'|'
            | b'>'
            | b'&'
            | b'!'
            | b' '
            | b'\t'
            | b'\r'
    )
}

/// Whether the byte at `at` follows a separator where a flow node can start.
fn after_space_or_indicator(line: &[u8], at: usize) -> bool {
    line[..at]
        .iter()
        .rev()
        .find(|b| **b != b' ')
        .is_none_or(|b| matches!(b, b'[' | b'{' | b',' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_line_deeper_than(text: &str, limit: usize) -> Option<usize> {
        match prescan(text, limit, usize::MAX) {
            Some(Exceeded::Depth(line)) => Some(line),
            _ => None,
        }
    }

    fn entries(text: &str) -> usize {
        let mut scan = Scan::default();
        for line in text.split('\n') {
            scan.line(line.as_bytes());
        }
        scan.entries
    }

    #[test]
    fn ordinary_files_are_shallow() {
        let text = "apiVersion: stagehand/v1alpha1\nspec:\n  resources:\n    backstage: { requests: { cpu: 1 } }\n  \
                    catalog:\n    locations:\n      - https://a.example/x.yaml\n  title: \"a [ b { c\"\n  \
                    note: a[b{c\n  text: |\n    [[[[[[[[[[\n    {{{{{{{{\n  after: 1\n# [[[[[[[[\n";
        assert_eq!(first_line_deeper_than(text, 5), None);
        assert_eq!(first_line_deeper_than(text, 4), Some(4));
    }

    #[test]
    fn flow_block_and_compact_nesting_are_counted() {
        assert_eq!(first_line_deeper_than(&"[".repeat(500_000), 64), Some(1));
        assert_eq!(first_line_deeper_than(&"{a: ".repeat(20_000), 64), Some(1));
        assert_eq!(first_line_deeper_than(&"- ".repeat(300_000), 64), Some(1));
        assert_eq!(first_line_deeper_than(&"? ".repeat(300_000), 64), Some(1));
        let staircase: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(first_line_deeper_than(&staircase, 64), Some(65));
        let quoted = format!("a: \"{}\"\nb: '{}'\n", "[".repeat(1000), "{''".repeat(100));
        assert_eq!(first_line_deeper_than(&quoted, 64), None);
    }

    #[test]
    fn entries_are_keys_and_list_items() {
        assert_eq!(entries("a: 1\nb:\n  - x\n  - y: 2\n    z: 3\n"), 6);
        assert_eq!(entries("a: [1, 2, 3]\nb: {c: 1, d: [], e: {}}\nf: []\n"), 9);
        assert_eq!(entries("a: \"x: y, z\"\nb: |\n  - c: d\n# e: f\n"), 2);
        assert_eq!(
            prescan(&"k: 1\n".repeat(10), 64, 9),
            Some(Exceeded::Entries(10))
        );
        assert_eq!(prescan(&"k: 1\n".repeat(10), 64, 10), None);
    }
}
