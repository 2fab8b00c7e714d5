//! Hostile environment files, each just under the 1 MiB limit: what a pull request from
//! anyone can hand `stagehand diff` in CI, or a repository can hand `generate` in the
//! ArgoCD sidecar. Shared by the hang-guard test (`tests/integration/hostile_input.rs`)
//! and the benchmark (`benches/hostile.rs`), so both measure the same inputs.
//!
//! Every file claims to be an environment (`apiVersion: stagehand/v1alpha1`), so it gets
//! past the cheap "is this ours" check and reaches the YAML reader and the checks.

/// Bytes each generated file aims for: under the 1 MiB limit, with room for the header.
pub const SIZE: usize = 1_000_000;

/// One hostile input.
pub struct HostileFile {
    /// A short name, for messages and the benchmark table.
    pub name: &'static str,
    /// What the file does.
    pub about: &'static str,
    /// The file's text.
    pub text: String,
    /// The exit code stagehand must give: 2 (refused) for almost all; 0 for the largest
    /// inputs the limits still accept, which must render in the same bound.
    pub exit_code: i32,
}

/// A file may hold 50,000 entries (keys and list items): the worst inputs that get past
/// the pre-scan hold a little fewer.
const UNDER_ENTRY_LIMIT: usize = 49_000;

const HEADER: &str = "apiVersion: stagehand/v1alpha1\nkind: Environment\nmetadata: {name: x}\n";
const SPEC: &str =
    "spec:\n  hostname: a.example.org\n  tls: {issuer: {name: ca, kind: ClusterIssuer}}\n";

/// `prefix`, then `unit` repeated until the file is about [`SIZE`] bytes, then `suffix`.
fn filled(prefix: &str, unit: &str, suffix: &str) -> String {
    let count = (SIZE - prefix.len() - suffix.len()) / unit.len();
    let mut text = String::with_capacity(SIZE);
    text.push_str(prefix);
    for _ in 0..count {
        text.push_str(unit);
    }
    text.push_str(suffix);
    text
}

/// `prefix`, then `line(i)` for i = 0, 1, ... while the file stays under [`SIZE`] bytes
/// (or `limit` lines), then `suffix`.
fn lines(prefix: &str, limit: usize, line: impl Fn(usize) -> String, suffix: &str) -> String {
    let mut text = String::with_capacity(SIZE);
    text.push_str(prefix);
    for index in 0..limit {
        let next = line(index);
        if text.len() + next.len() + suffix.len() > SIZE {
            break;
        }
        text.push_str(&next);
    }
    text.push_str(suffix);
    text
}

fn refused(name: &'static str, about: &'static str, text: String) -> HostileFile {
    HostileFile {
        name,
        about,
        text,
        exit_code: 2,
    }
}

fn accepted(name: &'static str, about: &'static str, text: String) -> HostileFile {
    HostileFile {
        name,
        about,
        text,
        exit_code: 0,
    }
}

/// Every hostile input, generated (about 30 MB in all).
pub fn corpus() -> Vec<HostileFile> {
    let head = format!("{HEADER}spec: ");
    let with_spec = format!("{HEADER}{SPEC}");
    let no_limit = usize::MAX;
    // One unit repeated on one line after `spec: `, until the file is full.
    let repeated = [
        ("flow-brackets", "`[` to the limit, never closed", "[", ""),
        ("flow-mappings", "`{a: ` nested to the limit", "{a: ", ""),
        (
            "flow-mixed",
            "`[{a: ` alternating to the limit",
            "[{a: ",
            "",
        ),
        ("block-sequences", "`- ` nested on one line", "- ", "x\n"),
        ("complex-keys", "`? ` explicit keys nested", "? ", "x\n"),
        (
            "colons",
            "`a: ` on one line, mapping in mapping",
            "a: ",
            "x\n",
        ),
    ];
    let mut files: Vec<HostileFile> = repeated
        .into_iter()
        .map(|(name, about, unit, suffix)| refused(name, about, filled(&head, unit, suffix)))
        .collect();
    files.extend([
        refused("flow-closed", "`[` … `]` balanced, 500,000 deep", {
            let depth = (SIZE - head.len()) / 2;
            format!("{head}{}{}", "[".repeat(depth), "]".repeat(depth))
        }),
        refused(
            "block-mappings",
            "block mappings, one level deeper per line",
            lines(
                &format!("{HEADER}spec:\n"),
                no_limit,
                |depth| format!("{}a:\n", " ".repeat(depth + 1)),
                "",
            ),
        ),
        refused(
            "unclosed-double-quote",
            "a double-quoted string that never ends",
            filled(&format!("{HEADER}spec: {{hostname: \""), "a", ""),
        ),
        refused(
            "unclosed-single-quote",
            "a single-quoted string that never ends",
            filled(&format!("{HEADER}spec: {{hostname: '"), "a", ""),
        ),
        refused(
            "long-value",
            "a one-line plain value of a megabyte",
            filled(&format!("{with_spec}  namespace: "), "a", "\n"),
        ),
        refused(
            "long-key",
            "a key of a megabyte",
            filled(&with_spec, "k", ": 1\n"),
        ),
        refused(
            "long-multiline-plain",
            "a plain value folded over 100,000 lines",
            filled(&format!("{with_spec}  namespace: a\n"), "   a\n", ""),
        ),
        refused(
            "many-entries",
            "a megabyte of one-line keys, past the entry limit",
            lines(HEADER, no_limit, |index| format!("k{index}: {index}\n"), ""),
        ),
        refused(
            "many-top-level-keys",
            "unknown keys at the top level, just under the entry limit",
            lines(
                HEADER,
                UNDER_ENTRY_LIMIT,
                |index| format!("k{index}: {index}\n"),
                "",
            ),
        ),
        refused(
            "many-spec-keys",
            "unknown keys under spec, just under the entry limit",
            lines(
                &with_spec,
                UNDER_ENTRY_LIMIT,
                |index| format!("  k{index}: {index}\n"),
                "",
            ),
        ),
        refused(
            "many-documents",
            "`---` documents after the environment",
            filled(&with_spec, "---\na: 1\n", ""),
        ),
        refused(
            "alias-expansion",
            "each anchor repeats the previous one ten times (a billion laughs)",
            lines(
                &format!("{with_spec}  x0: &a0 [lol]\n"),
                40,
                |index| {
                    format!(
                        "  x{}: &a{} [{}]\n",
                        index + 1,
                        index + 1,
                        vec![format!("*a{index}"); 10].join(", ")
                    )
                },
                "",
            ),
        ),
        refused(
            "many-anchors",
            "an anchor on every list item of an unknown field, and no alias",
            lines(
                &format!("{with_spec}  x:\n"),
                usize::MAX,
                |index| format!("    - &a{index:05} v{index:05}\n"),
                "",
            ),
        ),
        refused(
            "many-aliases",
            "one anchor, a hundred thousand aliases",
            filled(
                &format!("{with_spec}  namespace: &n backstage\n  x: ["),
                "*n, ",
                "*n]\n",
            ),
        ),
        accepted(
            "comments",
            "a megabyte of comment lines",
            filled(&with_spec, "# a comment line\n", ""),
        ),
        refused(
            "tabs",
            "tabs where YAML allows none",
            filled(&with_spec, "\t", "a: 1\n"),
        ),
        refused(
            "many-locations",
            "tens of thousands of catalog locations",
            lines(
                &format!("{with_spec}  catalog:\n    locations:\n"),
                no_limit,
                |index| format!("      - https://h{index}.example.org/c.yaml\n"),
                "",
            ),
        ),
        refused(
            "many-annotations",
            "Ingress annotations, just under the entry limit",
            lines(
                &format!("{with_spec}  ingress:\n    annotations:\n"),
                UNDER_ENTRY_LIMIT,
                |index| format!("      a{index}: v\n"),
                "",
            ),
        ),
        refused(
            "many-patches",
            "patch sets, just under the entry limit",
            lines(
                &format!("{with_spec}patches:\n"),
                UNDER_ENTRY_LIMIT / 8,
                |index| {
                    format!(
                        "  - target: {{kind: HelmValues}}\n    ops: [{{op: add, path: /x{index}, value: 1}}]\n"
                    )
                },
                "",
            ),
        ),
        refused(
            "many-patch-operations",
            "operations in one patch set, just under the entry limit",
            lines(
                &format!("{with_spec}patches:\n  - target: {{kind: HelmValues}}\n    ops:\n"),
                UNDER_ENTRY_LIMIT / 4,
                |index| format!("      - {{op: add, path: /x{index}, value: 1}}\n"),
                "",
            ),
        ),
        refused(
            "many-encrypted-data-keys",
            "keys in encryptedData, just under the entry limit",
            lines(
                &format!("{with_spec}  database:\n    encryptedData:\n"),
                UNDER_ENTRY_LIMIT,
                |index| format!("      K{index}: AgB\n"),
                "",
            ),
        ),
        accepted(
            "largest-accepted-patches",
            "100 patch sets of 100 operations each: the most the limits accept",
            lines(
                &format!("{with_spec}patches:\n"),
                100,
                |set| {
                    let ops: String = (0..100)
                        .map(|op| format!("      - {{op: add, path: /x{set}y{op}, value: {op}}}\n"))
                        .collect();
                    format!("  - target: {{kind: HelmValues}}\n    ops:\n{ops}")
                },
                "",
            ),
        ),
        accepted(
            "largest-accepted-catalog",
            "1,000 catalog locations and 1,000 reading hosts: the most the limits accept",
            lines(
                &format!("{with_spec}  catalog:\n    allow: [Component]\n    locations:\n"),
                1000,
                |index| format!("      - https://h{index}.example.org/c.yaml\n"),
                &format!(
                    "    readingAllow:\n{}",
                    (0..1000)
                        .map(|index| format!("      - r{index}.example.org\n"))
                        .collect::<String>()
                ),
            ),
        ),
    ]);
    files
}
