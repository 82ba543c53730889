//! The lines of a text plan: each read as what it is (a node, a property, a subplan header,
//! the end of a plan) from itself alone, and lines that continue the one before them (wrapped
//! by a mail client, or by psql's old-ascii wrapped format) joined back onto it.

use std::borrow::Cow;

use super::header::{groups_start, read_header};
use super::property::split_key;
use crate::plan::node::{PlanNode, Relationship};

/// The fewest bytes a line of a large plan takes, give or take (`Filter: (a = 1)` indented):
/// the list of lines is sized from the text by it.
const MIN_BYTES_PER_LINE: usize = 24;

/// One line of plan text, with the lines that continue it joined on.
#[derive(Debug)]
pub(super) struct Logical<'a> {
    /// 1-based number of its first physical line.
    pub number: usize,
    /// Its column: leading whitespace, a tab counting to the next multiple of 8.
    pub indent: usize,
    /// Bytes of leading whitespace (for error columns).
    pub indent_bytes: usize,
    /// The text after the indentation (borrowed unless lines were joined).
    pub text: Cow<'a, str>,
    /// What the line is.
    pub kind: Kind,
}

/// What a line is, read from itself alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Blank, or psql's `(N rows)` footer: the end of a plan.
    End,
    /// `->  Node ...`.
    Arrow,
    /// A node line without an arrow: a plan's top node, or a ModifyTable's target
    /// (`Update on orders_p1 orders_1`) inside a plan.
    Node,
    /// `InitPlan 1 (returns $0)`, `SubPlan 1`, `CTE name`.
    Subplan,
    /// `Key: value`.
    Property,
    /// None of these: continues the line before it.
    Other,
}

/// Groups the text's lines into logical lines.
pub(super) fn logical_lines(text: &str) -> Vec<Logical<'_>> {
    // Sized at once, from the shortest a line of a large plan is: growing a list of 200,000
    // lines step by step would copy it each time.
    let mut lines: Vec<Logical> = Vec::with_capacity(text.len() / MIN_BYTES_PER_LINE + 1);
    for (index, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        // A string literal with a line break in it (`Filter: (note = 'a<break>b'::text)`):
        // EXPLAIN prints the break as it is, so the property goes on, line break and all,
        // until its quote closes, whatever the lines in between look like (blank, or a node).
        if let Some(previous) = lines
            .last_mut()
            .filter(|line| line.kind == Kind::Property && in_string_literal(&line.text))
        {
            previous.text = Cow::Owned(format!("{}\n{raw}", previous.text));
            continue;
        }
        let indent_bytes = raw
            .bytes()
            .position(|b| b != b' ' && b != b'\t')
            .unwrap_or(raw.len());
        let content = &raw[indent_bytes..];
        let indent = raw.as_bytes()[..indent_bytes].iter().fold(0, |column, &b| {
            if b == b'\t' {
                column / 8 * 8 + 8
            } else {
                column + 1
            }
        });
        let content = content.trim_end();
        let kind = kind_of(content);
        if kind == Kind::Other {
            // Node and property lines can be long enough to be wrapped; blank lines, footers
            // and subplan headers are not continued.
            let joinable = |line: &&mut Logical| {
                matches!(line.kind, Kind::Arrow | Kind::Node | Kind::Property)
            };
            if let Some(previous) = lines.last_mut().filter(joinable) {
                // Joined with a space (a mail client breaks lines at spaces), or, for a node
                // line that only reads that way, without (psql's wrapped format breaks them
                // anywhere). A node line that reads neither way takes no continuation: the
                // line is then reported.
                let spaced = format!("{} {content}", previous.text);
                let tight = format!("{}{content}", previous.text);
                let joined = match previous.kind {
                    Kind::Arrow | Kind::Node => {
                        let score = |joined: &String| header_score(without_arrow(joined));
                        let (spaced_score, tight_score) = (score(&spaced), score(&tight));
                        match (spaced_score, tight_score) {
                            (None, None) => None,
                            _ if tight_score > spaced_score => Some(tight),
                            _ => Some(spaced),
                        }
                    }
                    _ => Some(spaced),
                };
                if let Some(joined) = joined {
                    previous.text = Cow::Owned(joined);
                    continue;
                }
            }
        }
        lines.push(Logical {
            number: index + 1,
            indent,
            indent_bytes,
            text: Cow::Borrowed(content),
            kind,
        });
    }
    lines
}

/// Whether `text` ends inside a single-quoted string literal: a quote opened and not closed
/// (`''` inside a literal is a quote of it; quotes inside a double-quoted name are not quotes).
fn in_string_literal(text: &str) -> bool {
    let (mut single, mut double) = (false, false);
    for byte in text.bytes() {
        match byte {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            _ => {}
        }
    }
    single
}

/// A node line's text after its `->` arrow and the spaces after it.
pub(super) fn without_arrow(text: &str) -> &str {
    text.strip_prefix("->").unwrap_or(text).trim_start()
}

/// What a line (without indentation) is.
fn kind_of(text: &str) -> Kind {
    if text.starts_with("->") {
        return Kind::Arrow;
    }
    if text.is_empty() || is_footer(text) || is_prompt(text) {
        return Kind::End;
    }
    if subplan_header(text).is_some() {
        return Kind::Subplan;
    }
    let key = split_key(text);
    if looks_like_node(text, key.map(|(key, _)| key)) {
        return Kind::Node;
    }
    if key.is_some() {
        return Kind::Property;
    }
    Kind::Other
}

/// Whether a line reads as a node line: a known node name, or any name followed by the
/// `(cost=` or `(actual` group. `key` is the line's `Key:` if it reads as a property.
fn looks_like_node(text: &str, key: Option<&str>) -> bool {
    // `Key: value` is a property, unless the "key" is a node's name and the start of what it
    // reads (`Seq Scan on "a:b"`).
    let names_a_target = |key: &str| key.as_bytes().windows(4).any(|word| word == b" on ");
    if key.is_some_and(|key| !names_a_target(key)) {
        return false;
    }
    // An unreadable one is still a node line: it is reported, or joined with the line that
    // completes it.
    groups_start(text).is_some() || starts_with_node_name(text)
}

/// How well a node line reads: `None` with an error, 1 when its estimates or measurements
/// were found, 0 when only a name was.
fn header_score(text: &str) -> Option<u8> {
    let mut node = PlanNode::default();
    read_header(text, &mut node).ok()?;
    Some(u8::from(
        node.total_cost.is_some() || node.actual_loops.is_some(),
    ))
}

/// Whether `text` starts with a node name EXPLAIN prints (for COSTS OFF plans, which show
/// nothing else).
fn starts_with_node_name(text: &str) -> bool {
    let text = text.strip_prefix("Parallel ").unwrap_or(text);
    let text = text.strip_prefix("Async ").unwrap_or(text);
    let text = ["Partial ", "Finalize "]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .unwrap_or(text);
    const OTHER_NAMES: [&str; 12] = [
        "HashAggregate",
        "GroupAggregate",
        "MixedAggregate",
        "HashSetOp",
        "Insert on ",
        "Update on ",
        "Delete on ",
        "Merge on ",
        "Foreign Insert",
        "Foreign Update",
        "Foreign Delete",
        "Custom Scan (",
    ];
    let word = |name: &str| {
        text.strip_prefix(name).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(' ') || name.ends_with([' ', '('])
        })
    };
    crate::plan::node::NODE_TYPES.iter().any(|name| word(name))
        || OTHER_NAMES.iter().any(|name| word(name))
        || ["Hash ", "Merge ", "Nested Loop "]
            .iter()
            .any(|method| text.starts_with(method) && text.ends_with("Join"))
}

/// A psql prompt (`shop=# ...`, `shop=> ...`): the session goes on after a plan.
fn is_prompt(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or_default();
    (first.ends_with("=#") || first.ends_with("=>")) && first.len() > 2 && !first.contains('(')
}

/// psql's row count footer: `(12 rows)`.
fn is_footer(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return false;
    };
    let Some((count, word)) = inner.split_once(' ') else {
        return false;
    };
    !count.is_empty()
        && count.bytes().all(|b| b.is_ascii_digit())
        && word.chars().all(char::is_alphabetic)
}

/// A subplan header's name and relationship: `InitPlan 1 (returns $0)`, `InitPlan 1`,
/// `SubPlan 1`, `CTE name`.
pub(super) fn subplan_header(text: &str) -> Option<Relationship> {
    // Most lines start otherwise: one byte decides (this runs on every line).
    if !matches!(text.as_bytes().first(), Some(b'I' | b'S' | b'C' | b'h')) {
        return None;
    }
    let numbered = |prefix: &str| {
        let rest = text.strip_prefix(prefix)?;
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let after = &rest[digits..];
        (digits > 0 && (after.is_empty() || after.starts_with(" (returns "))).then_some(())
    };
    if numbered("InitPlan ").is_some() {
        return Some(Relationship::InitPlan);
    }
    if numbered("SubPlan ").is_some() || numbered("hashed SubPlan ").is_some() {
        return Some(Relationship::SubPlan);
    }
    let name = text.strip_prefix("CTE ")?;
    (!name.is_empty() && !name.contains(": ")).then_some(Relationship::InitPlan)
}
