//! The first line of a plan node in EXPLAIN's text format: its name, what it reads, and the
//! estimates and measurements in parentheses after them.
//!
//! `Parallel Index Scan Backward using orders_pkey on public.orders o  (cost=0.29..8.31 rows=1
//! width=33) (actual time=0.010..0.011 rows=1 loops=1)` fills the same typed fields as the JSON
//! keys `Node Type`, `Parallel Aware`, `Scan Direction`, `Index Name`, `Relation Name`,
//! `Schema`, `Alias`, `Startup Cost`, ..., `Actual Loops`.

use std::borrow::Cow;

use crate::plan::node::{node_type, PlanNode};

/// Why a node line could not be read: what was expected, at which byte of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HeaderError {
    /// Byte offset in the line (after the `->  ` arrow) where reading failed.
    pub offset: usize,
    /// What was expected there.
    pub message: String,
    /// Whether the line ends inside a parenthesised group: the text was cut off.
    pub cut_off: bool,
}

/// Fills `node` from a node line, `text` being the line without its indentation and arrow.
pub(super) fn read_header(text: &str, node: &mut PlanNode) -> Result<(), HeaderError> {
    let groups_at = groups_start(text).unwrap_or(text.len());
    let name = text[..groups_at].trim_end();
    if name.is_empty() {
        return Err(HeaderError {
            offset: 0,
            message: "expected a node name such as `Seq Scan on orders`".into(),
            cut_off: false,
        });
    }
    read_name(name, node);
    read_groups(&text[groups_at..], groups_at, node)
}

/// Where the parenthesised estimates start: the first ` (cost=`, ` (actual ` or
/// ` (never executed)`.
pub(super) fn groups_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    // One pass over the parentheses (a byte search) rather than a substring search per marker:
    // this runs on every node line.
    while let Some(found) = memchr_paren(&bytes[from..]) {
        let at = from + found;
        let group = &text[at + 1..];
        if at > 0
            && bytes[at - 1] == b' '
            && (group.starts_with("cost=")
                || group.starts_with("actual ")
                || group.starts_with("never executed)"))
        {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The offset of the first `(` in `bytes`.
fn memchr_paren(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'(')
}

/// Reads `(cost=...)`, `(actual ...)` and `(never executed)` groups; `base` is the offset of
/// `text` in the line, for errors.
fn read_groups(text: &str, base: usize, node: &mut PlanNode) -> Result<(), HeaderError> {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        if trimmed.is_empty() {
            return Ok(());
        }
        let offset = base + (text.len() - trimmed.len());
        let error = |message: &str, cut_off: bool| HeaderError {
            offset,
            message: message.to_owned(),
            cut_off,
        };
        if !trimmed.starts_with('(') {
            return Err(error(
                "expected `(cost=...)`, `(actual ...)` or `(never executed)` after the node name",
                false,
            ));
        }
        let Some(close) = trimmed.find(')') else {
            return Err(error(
                "the line ends inside this parenthesis: the plan is cut off",
                true,
            ));
        };
        let inner = &trimmed[1..close];
        if let Some(cost) = inner.strip_prefix("cost=") {
            read_cost(cost, node).ok_or_else(|| {
                error(
                    "expected `(cost=STARTUP..TOTAL rows=ROWS width=WIDTH)`",
                    false,
                )
            })?;
        } else if let Some(actual) = inner.strip_prefix("actual ") {
            read_actual(actual, node).ok_or_else(|| {
                error(
                    "expected `(actual time=FIRST..TOTAL rows=ROWS loops=LOOPS)` or \
                     `(actual rows=ROWS loops=LOOPS)`",
                    false,
                )
            })?;
        } else if inner == "never executed" {
            node.actual_rows = Some(0.0);
            node.actual_loops = Some(0.0);
        } else {
            return Err(error(
                "expected `(cost=...)`, `(actual ...)` or `(never executed)`",
                false,
            ));
        }
        rest = &trimmed[close + 1..];
    }
}

/// `0.00..35.50 rows=2550 width=4` (after `cost=`).
fn read_cost(text: &str, node: &mut PlanNode) -> Option<()> {
    let mut words = words(text);
    let (startup, total) = range(words.next()?)?;
    node.startup_cost = Some(startup.parse().ok()?);
    node.total_cost = Some(total.parse().ok()?);
    node.plan_rows = Some(number(words.next()?, "rows=")?);
    node.plan_width = Some(number(words.next()?, "width=")?);
    words.next().is_none().then_some(())
}

/// `time=0.010..0.020 rows=1 loops=1` or `rows=1 loops=1` (after `actual `).
fn read_actual(text: &str, node: &mut PlanNode) -> Option<()> {
    let mut words = words(text).peekable();
    if let Some(times) = words.peek().and_then(|word| word.strip_prefix("time=")) {
        let (startup, total) = range(times)?;
        if !is_decimal(startup) {
            return None;
        }
        node.actual_total_time = Some(total.parse().ok()?);
        // EXPLAIN prints the time as JSON writes a number: kept as it is.
        node.extra.push("Actual Startup Time", startup);
        words.next();
    }
    node.actual_rows = Some(number(words.next()?, "rows=")?);
    node.actual_loops = Some(number(words.next()?, "loops=")?);
    words.next().is_none().then_some(())
}

/// The words of a group, between single spaces as EXPLAIN prints them (a byte search, faster
/// than splitting on any white space).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(' ').filter(|word| !word.is_empty())
}

/// `FIRST..LAST` split at its `..` (a byte search: a substring search costs more to set up
/// than this whole line takes to read).
fn range(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let at = (1..bytes.len()).find(|&at| bytes[at] == b'.' && bytes[at - 1] == b'.')?;
    Some((&text[..at - 1], &text[at + 1..]))
}

/// Whether `text` is digits with at most one `.` between digits: a number as EXPLAIN prints
/// it, and valid JSON as it is.
fn is_decimal(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction) && !(whole.len() > 1 && whole.starts_with('0'))
}

/// The number after `key` in `word`.
fn number(word: &str, key: &str) -> Option<f64> {
    word.strip_prefix(key)?.parse().ok()
}

/// A finite number as JSON text.
pub(super) fn json_number(value: f64) -> Option<String> {
    serde_json::Number::from_f64(value).map(|number| number.to_string())
}

/// A string as JSON text.
pub(super) fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// The join types EXPLAIN spells between a join method and `Join`.
const JOIN_TYPES: [&str; 8] = [
    "Left",
    "Full",
    "Right",
    "Semi",
    "Anti",
    "Right Semi",
    "Right Anti",
    "Inner",
];

/// What a node reads, by node type: its relation, a function, a CTE, or only an alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Relation,
    Function,
    Cte,
    TableFunction,
    Tuplestore,
    AliasOnly,
}

/// Reads the node name: prefixes, operator, `using INDEX`, `on TARGET [ALIAS]`.
fn read_name(name: &str, node: &mut PlanNode) {
    let mut rest = name;
    if let Some(after) = rest.strip_prefix("Parallel ") {
        node.parallel_aware = true;
        rest = after;
    }
    if let Some(after) = rest.strip_prefix("Async ") {
        node.extra.push("Async Capable", "true");
        rest = after;
    }
    let rest = read_operator(rest, node);
    let rest = match rest.strip_prefix(" Backward") {
        Some(after) => {
            node.extra.push("Scan Direction", "\"Backward\"");
            after
        }
        None => rest,
    };
    let rest = match rest.strip_prefix(" using ") {
        Some(after) => {
            let (index, after) = identifier_path(after);
            node.index_name = Some(index.last.into());
            after
        }
        None => rest,
    };
    let Some(on) = rest.strip_prefix(" on ") else {
        return;
    };
    if node.node_type == "Bitmap Index Scan" {
        node.index_name = Some(identifier_path(on).0.last.into());
        return;
    }
    let (path, after) = identifier_path(on);
    let alias = after
        .strip_prefix(' ')
        .map(|after| identifier_path(after).0.last);
    let target = match &*node.node_type {
        "Function Scan" => Target::Function,
        "CTE Scan" | "WorkTable Scan" => Target::Cte,
        "Table Function Scan" => Target::TableFunction,
        "Named Tuplestore Scan" => Target::Tuplestore,
        "Subquery Scan" | "Values Scan" | "Result" | "ProjectSet" => Target::AliasOnly,
        _ => Target::Relation,
    };
    if target == Target::AliasOnly {
        node.alias = Some(path.last.into());
        return;
    }
    let alias = alias.unwrap_or_else(|| path.last.clone());
    match target {
        Target::Relation => {
            node.relation_name = Some(path.last.into());
            node.schema = path.schema.map(Into::into);
        }
        Target::Function => {
            node.function_name = Some(path.last.into());
            node.schema = path.schema.map(Into::into);
        }
        Target::Cte => node.cte_name = Some(path.last.into()),
        Target::TableFunction => node
            .extra
            .push("Table Function Name", &json_string(&path.last)),
        Target::Tuplestore => node.extra.push("Tuplestore Name", &json_string(&path.last)),
        Target::AliasOnly => {}
    }
    node.alias = Some(alias.into());
}

/// Reads the operator at the start of `name` into the node's type and the fields EXPLAIN
/// folds into it (strategy, join type, operation...); returns the rest of the name.
fn read_operator<'a>(name: &'a str, node: &mut PlanNode) -> &'a str {
    let mut rest = name;
    for (prefix, mode) in [("Partial ", "Partial"), ("Finalize ", "Finalize")] {
        if let Some(after) = rest.strip_prefix(prefix) {
            node.partial_mode = Some(mode.into());
            rest = after;
        }
    }
    for (spelled, strategy) in [
        ("HashAggregate", "Hashed"),
        ("GroupAggregate", "Sorted"),
        ("MixedAggregate", "Mixed"),
        ("Aggregate", "Plain"),
    ] {
        if let Some(after) = word_prefix(rest, spelled) {
            node.node_type = node_type("Aggregate");
            node.strategy = Some(strategy.into());
            node.partial_mode.get_or_insert_with(|| "Simple".into());
            return after;
        }
    }
    for (spelled, strategy) in [("HashSetOp", "Hashed"), ("SetOp", "Sorted")] {
        if let Some(after) = word_prefix(rest, spelled) {
            node.node_type = node_type("SetOp");
            node.strategy = Some(strategy.into());
            let command = ["Intersect All", "Intersect", "Except All", "Except"]
                .into_iter()
                .find_map(|command| {
                    word_prefix(after.strip_prefix(' ')?, command).map(|rest| (command, rest))
                });
            return match command {
                Some((command, rest)) => {
                    node.extra.push("Command", &json_string(command));
                    rest
                }
                None => after,
            };
        }
    }
    for operation in ["Insert", "Update", "Delete", "Merge"] {
        if let Some(after) = word_prefix(rest, operation).filter(|after| after.starts_with(" on "))
        {
            node.node_type = node_type("ModifyTable");
            node.operation = Some(operation.into());
            return after;
        }
        if let Some(after) = word_prefix(rest, "Foreign")
            .and_then(|after| after.strip_prefix(' '))
            .and_then(|after| word_prefix(after, operation))
        {
            node.node_type = node_type("Foreign Scan");
            node.operation = Some(operation.into());
            return after;
        }
    }
    if let Some(after) = rest.strip_prefix("Custom Scan (") {
        if let Some(close) = after.find(')') {
            node.node_type = node_type("Custom Scan");
            node.extra
                .push("Custom Plan Provider", &json_string(&after[..close]));
            return &after[close + 1..];
        }
    }
    for method in ["Nested Loop", "Hash", "Merge"] {
        let Some(after) = word_prefix(rest, method) else {
            continue;
        };
        let join = |join_type: &str, after: &'a str| -> Option<&'a str> {
            let after = after.strip_prefix(' ')?;
            let after = if join_type == "Inner" {
                after
            } else {
                word_prefix(after, join_type)?.strip_prefix(' ')?
            };
            word_prefix(after, "Join")
        };
        let found = JOIN_TYPES
            .iter()
            .rev()
            .find_map(|join_type| join(join_type, after).map(|rest| (*join_type, rest)));
        let (join_type, after) = match (found, method) {
            (Some(found), _) => found,
            (None, "Nested Loop") => ("Inner", after),
            (None, _) => continue,
        };
        node.node_type = node_type(match method {
            "Nested Loop" => "Nested Loop",
            "Hash" => "Hash Join",
            _ => "Merge Join",
        });
        node.join_type = Some(join_type.into());
        return after;
    }
    // The longest node type the name starts with; an unknown one (an extension's, a newer
    // server's) is the name up to ` on ` or ` using `.
    // The names are sorted: those sharing the first letter are one run of them.
    let types = crate::plan::node::NODE_TYPES;
    let first = rest.as_bytes().first().copied().unwrap_or_default();
    let start = types.partition_point(|spelled| spelled.as_bytes()[0] < first);
    let end = types.partition_point(|spelled| spelled.as_bytes()[0] <= first);
    let known = types[start..end]
        .iter()
        .filter(|spelled| word_prefix(rest, spelled).is_some())
        .max_by_key(|spelled| spelled.len());
    if let Some(spelled) = known {
        node.node_type = Cow::Borrowed(spelled);
        return &rest[spelled.len()..];
    }
    let end = [" on ", " using "]
        .iter()
        .filter_map(|marker| rest.find(marker))
        .min()
        .unwrap_or(rest.len());
    node.node_type = node_type(&rest[..end]);
    &rest[end..]
}

/// `text` after `word`, if it starts with it as a whole word.
fn word_prefix<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    // The first byte first: this is tried against dozens of names on every node line.
    if text.as_bytes().first() != word.as_bytes().first() {
        return None;
    }
    let after = text.strip_prefix(word)?;
    (after.is_empty() || after.starts_with(' ')).then_some(after)
}

/// A possibly qualified name as EXPLAIN quotes it: `orders`, `public.orders`, `"Order Items"`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IdentifierPath<'a> {
    /// The qualifier (schema), when there is one.
    schema: Option<Cow<'a, str>>,
    /// The name itself.
    last: Cow<'a, str>,
}

/// Reads a dotted, possibly quoted, name at the start of `text`; returns it and the rest.
fn identifier_path(text: &str) -> (IdentifierPath<'_>, &str) {
    let (mut last, mut rest) = identifier(text);
    let mut qualifiers: Vec<Cow<'_, str>> = Vec::new();
    while let Some(next) = rest
        .strip_prefix('.')
        .filter(|next| !next.is_empty() && !next.starts_with(' '))
    {
        let (part, after) = identifier(next);
        qualifiers.push(std::mem::replace(&mut last, part));
        rest = after;
    }
    let schema = match qualifiers.len() {
        0 => None,
        1 => qualifiers.pop(),
        _ => Some(Cow::Owned(qualifiers.join("."))),
    };
    (IdentifierPath { schema, last }, rest)
}

/// One identifier: `"quoted ""name"""` or a run up to a space or a dot.
fn identifier(text: &str) -> (Cow<'_, str>, &str) {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut from = 0;
        while let Some(found) = quoted[from..].find('"') {
            let at = from + found;
            if quoted[at + 1..].starts_with('"') {
                name.push_str(&quoted[from..=at]);
                from = at + 2;
                continue;
            }
            if name.is_empty() {
                return (Cow::Borrowed(&quoted[..at]), &quoted[at + 1..]);
            }
            name.push_str(&quoted[from..at]);
            return (Cow::Owned(name), &quoted[at + 1..]);
        }
        name.push_str(&quoted[from..]);
        return (Cow::Owned(name), "");
    }
    let end = text
        .bytes()
        .position(|b| b == b' ' || b == b'.')
        .unwrap_or(text.len());
    (Cow::Borrowed(&text[..end]), &text[end..])
}

#[cfg(test)]
mod tests {
    use super::read_header;
    use crate::plan::PlanNode;

    fn header(text: &str) -> PlanNode {
        let mut node = PlanNode::default();
        read_header(text, &mut node).unwrap();
        node
    }

    #[test]
    fn scans_name_their_relation_index_schema_and_alias() {
        let node = header(
            "Parallel Index Scan Backward using orders_p1_pkey on public.orders_p1 orders_1  \
             (cost=0.29..8.31 rows=1 width=33) (actual time=0.010..0.011 rows=1 loops=3)",
        );
        assert_eq!(node.node_type, "Index Scan");
        assert!(node.parallel_aware);
        assert_eq!(node.index_name.as_deref(), Some("orders_p1_pkey"));
        assert_eq!(node.relation_name.as_deref(), Some("orders_p1"));
        assert_eq!(node.schema.as_deref(), Some("public"));
        assert_eq!(node.alias.as_deref(), Some("orders_1"));
        assert_eq!(node.total_cost, Some(8.31));
        assert_eq!(node.plan_rows, Some(1.0));
        assert_eq!(node.actual_total_time, Some(0.011));
        assert_eq!(node.actual_loops, Some(3.0));
        assert_eq!(
            node.extra.get("Scan Direction").unwrap().get(),
            "\"Backward\""
        );
    }

    #[test]
    fn quoted_names_and_missing_aliases_are_read_as_json_prints_them() {
        let node = header(r#"Seq Scan on "Order ""Items"""  (cost=0.00..1.00 rows=1 width=4)"#);
        assert_eq!(node.relation_name.as_deref(), Some("Order \"Items\""));
        assert_eq!(node.alias.as_deref(), Some("Order \"Items\""));
        assert_eq!(node.schema, None);
        let node = header(r#"Values Scan on "*VALUES*"  (cost=0.00..0.03 rows=2 width=4)"#);
        assert_eq!(node.alias.as_deref(), Some("*VALUES*"));
        assert_eq!(node.relation_name, None);
    }

    #[test]
    fn operators_fold_strategy_join_type_and_operation() {
        let node = header("Partial HashAggregate  (cost=1.00..2.00 rows=5 width=8)");
        assert_eq!(node.node_type, "Aggregate");
        assert_eq!(node.strategy.as_deref(), Some("Hashed"));
        assert_eq!(node.partial_mode.as_deref(), Some("Partial"));
        let node = header("Hash Right Anti Join  (cost=1.00..2.00 rows=5 width=8)");
        assert_eq!(node.node_type, "Hash Join");
        assert_eq!(node.join_type.as_deref(), Some("Right Anti"));
        let node = header("Nested Loop Left Join (actual rows=3.00 loops=1)");
        assert_eq!(node.node_type, "Nested Loop");
        assert_eq!(node.join_type.as_deref(), Some("Left"));
        assert_eq!(node.actual_rows, Some(3.0));
        let node = header("Merge Append  (cost=1.00..2.00 rows=5 width=8)");
        assert_eq!(node.node_type, "Merge Append");
        assert_eq!(node.join_type, None);
        let node = header("Update on orders o");
        assert_eq!(node.node_type, "ModifyTable");
        assert_eq!(node.operation.as_deref(), Some("Update"));
        assert_eq!(node.relation_name.as_deref(), Some("orders"));
        assert_eq!(node.alias.as_deref(), Some("o"));
        let node = header("HashSetOp Intersect All  (cost=0.00..7.53 rows=1 width=36)");
        assert_eq!(node.node_type, "SetOp");
        assert_eq!(
            node.extra.get("Command").unwrap().get(),
            "\"Intersect All\""
        );
        let node = header("Custom Scan (ColumnarScan) on events  (cost=0.00..1.00 rows=1 width=4)");
        assert_eq!(node.node_type, "Custom Scan");
        assert_eq!(node.relation_name.as_deref(), Some("events"));
        let node = header("Bitmap Index Scan on orders_pkey (never executed)");
        assert_eq!(node.index_name.as_deref(), Some("orders_pkey"));
        assert_eq!(node.actual_loops, Some(0.0));
        let node = header("Function Scan on pg_catalog.generate_series g");
        assert_eq!(node.function_name.as_deref(), Some("generate_series"));
        assert_eq!(node.schema.as_deref(), Some("pg_catalog"));
        assert_eq!(node.alias.as_deref(), Some("g"));
        let node = header("Columnar Scan on events");
        assert_eq!(node.node_type, "Columnar Scan");
        assert_eq!(node.relation_name.as_deref(), Some("events"));
    }

    #[test]
    fn a_malformed_or_cut_group_says_where_and_what() {
        let mut node = PlanNode::default();
        let error =
            read_header("Seq Scan on t  (cost=0.00..x rows=1 width=4)", &mut node).unwrap_err();
        assert_eq!(error.offset, 15);
        assert!(error.message.contains("cost=STARTUP..TOTAL"), "{error:?}");
        assert!(!error.cut_off);
        let error = read_header("Seq Scan on t  (cost=0.00..1.00 ro", &mut node).unwrap_err();
        assert!(error.cut_off);
    }
}
