//! The property lines of EXPLAIN's text format (`Filter: ...`, `Buffers: shared hit=4`,
//! `Sort Method: quicksort  Memory: 25kB`) as the fields JSON prints for them.
//!
//! The fields planlint types go into [`PlanNode`]'s typed fields; every other property is kept
//! in [`PlanNode::extra`] under the key JSON uses when the text and the JSON name differ and
//! the text can be mapped, else under the text's own key, with numbers as numbers. No property
//! is fatal: one planlint does not know is kept as it is.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::header::json_number;
use crate::plan::node::{Buffers, PlanNode};

/// Keys whose value EXPLAIN prints as a list, joined by `, ` in the text format.
const LIST_KEYS: [&str; 6] = [
    "Output",
    "Group Key",
    "Sort Key",
    "Presorted Key",
    "Hash Key",
    "Partition Key",
];

/// Stores one `Key: value` property of a node. Returns false when a typed field's value is
/// not what EXPLAIN prints (the caller reports it).
pub(super) fn apply(node: &mut PlanNode, key: &str, value: &str) -> bool {
    let text = || Some(Box::<str>::from(value));
    match key {
        "Filter" => node.filter = text(),
        "Index Cond" => node.index_cond = text(),
        "Recheck Cond" => node.recheck_cond = text(),
        "Hash Cond" => node.hash_cond = text(),
        "Merge Cond" => node.merge_cond = text(),
        "Join Filter" => node.join_filter = text(),
        "One-Time Filter" => node.one_time_filter = text(),
        "Rows Removed by Filter" => match value.parse() {
            Ok(rows) => node.rows_removed_by_filter = Some(rows),
            Err(_) => return false,
        },
        "Subplans Removed" => match value.parse() {
            Ok(count) => node.subplans_removed = Some(count),
            Err(_) => return false,
        },
        "Workers Planned" => match value.parse() {
            Ok(count) => node.workers_planned = Some(count),
            Err(_) => return false,
        },
        "Buffers" => match read_buffers(value) {
            Some(buffers) => node.buffers = Some(Box::new(buffers)),
            None => return false,
        },
        _ => {
            for (key, value) in fields(key, value) {
                node.extra.push(&key, &value.to_string());
            }
        }
    }
    true
}

/// The JSON fields of one property line that planlint keeps untyped: several for the lines
/// that pack several values (`Sort Method: quicksort  Memory: 25kB`).
pub(super) fn fields(key: &str, value: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match key {
        _ if LIST_KEYS.contains(&key) => out.push((key.to_owned(), list(value))),
        "Heap Blocks" => {
            for (name, count) in pairs(value) {
                let key = match name.as_ref() {
                    "exact" => "Exact Heap Blocks".to_owned(),
                    "lossy" => "Lossy Heap Blocks".to_owned(),
                    _ => name.into_owned(),
                };
                out.push((key, scalar(count)));
            }
        }
        "WAL" => {
            for (name, count) in pairs(value) {
                let key = match name.as_ref() {
                    "records" => "WAL Records".to_owned(),
                    "fpi" => "WAL FPI".to_owned(),
                    "bytes" => "WAL Bytes".to_owned(),
                    "buffers full" | "full" => "WAL Buffers Full".to_owned(),
                    other => format!("WAL {other}"),
                };
                out.push((key, scalar(count)));
            }
        }
        "Buffers" => {
            if let Some(buffers) = read_buffers(value) {
                out.extend(buffer_fields(&buffers));
            }
        }
        _ => {
            // `A: 1  B: 2kB`: each segment after two spaces that reads `Key: value` is a field.
            let mut segments = vec![(key, value)];
            let mut rest = value;
            while let Some(at) = rest.find("  ") {
                let next = rest[at..].trim_start();
                let Some((next_key, next_value)) = split_key(next) else {
                    break;
                };
                segments.last_mut().expect("one segment").1 = rest[..at].trim_end();
                segments.push((next_key, next_value));
                rest = next_value;
            }
            for (key, value) in segments {
                out.extend(segment(key, value));
            }
        }
    }
    out
}

/// One `Key: value` segment, under JSON's name where it differs.
fn segment(key: &str, value: &str) -> Vec<(String, Value)> {
    let memory = |name: &str| vec![(name.to_owned(), kilobytes(value))];
    match key {
        "Memory" | "Disk" if value.ends_with("kB") => vec![
            ("Sort Space Used".to_owned(), kilobytes(value)),
            ("Sort Space Type".to_owned(), Value::String(key.to_owned())),
        ],
        "Memory Usage" => memory("Peak Memory Usage"),
        "Buckets" | "Batches" => {
            let name = if key == "Buckets" {
                "Hash Buckets"
            } else {
                "Hash Batches"
            };
            // `1024 (originally 512)`
            let (now, original) = match value.split_once(" (originally ") {
                Some((now, original)) => (now, original.trim_end_matches(')')),
                None => (value, value),
            };
            vec![
                (name.to_owned(), scalar(now)),
                (format!("Original {name}"), scalar(original)),
            ]
        }
        _ => vec![(key.to_owned(), scalar(value))],
    }
}

/// `12kB` as the number 12; anything else as [`scalar`] reads it.
fn kilobytes(value: &str) -> Value {
    scalar(value.strip_suffix("kB").unwrap_or(value))
}

/// A number as a JSON number, `true`/`false` as booleans, anything else as a string.
pub(super) fn scalar(value: &str) -> Value {
    match value {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => value
            .parse::<i64>()
            .ok()
            .map(Value::from)
            .or_else(|| {
                value
                    .parse::<f64>()
                    .ok()
                    .and_then(json_number)
                    .and_then(|number| serde_json::from_str(&number).ok())
            })
            .unwrap_or_else(|| Value::String(value.to_owned())),
    }
}

/// `Key: value` at the start of `text`, if it reads as one: a key of letters, digits, spaces
/// and the punctuation EXPLAIN's keys use, starting with a capital letter.
pub(super) fn split_key(text: &str) -> Option<(&str, &str)> {
    // Bytes, not characters: a key is ASCII, and this runs twice on every property line.
    let bytes = text.as_bytes();
    if !bytes.first()?.is_ascii_uppercase() {
        return None;
    }
    let colon = bytes.iter().position(|&b| b == b':')?;
    let reads_well = bytes[..colon].iter().all(|&b| {
        b.is_ascii_alphanumeric()
            || matches!(b, b' ' | b'-' | b'/' | b'_' | b'(' | b')' | b'.' | b'"')
    });
    if !reads_well || bytes[colon - 1] == b' ' {
        return None;
    }
    let value = &text[colon + 1..];
    let value = value
        .strip_prefix(' ')
        .or_else(|| value.is_empty().then_some(""))?;
    Some((&text[..colon], value.trim_start()))
}

/// `a, f(b, c), 'x, y'` as the JSON list `["a", "f(b, c)", "'x, y'"]`: split on commas outside
/// parentheses, brackets and quotes.
fn list(value: &str) -> Value {
    let mut items = Vec::new();
    let (mut depth, mut quote, mut start) = (0usize, None, 0);
    let bytes = value.as_bytes();
    for (at, &byte) in bytes.iter().enumerate() {
        match (quote, byte) {
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(byte),
            (None, b'(' | b'[') => depth += 1,
            (None, b')' | b']') => depth = depth.saturating_sub(1),
            (None, b',') if depth == 0 && bytes.get(at + 1) == Some(&b' ') => {
                items.push(Value::String(value[start..at].to_owned()));
                start = at + 2;
            }
            _ => {}
        }
    }
    items.push(Value::String(value[start..].to_owned()));
    Value::Array(items)
}

/// `hit=3 read=2` as (name, value) pairs; a name of several words (`buffers full=1`) keeps
/// them. Words without `=` that end no pair are dropped.
fn pairs(value: &str) -> Vec<(Cow<'_, str>, &str)> {
    let mut out = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    for token in value.split([' ', ',']).filter(|token| !token.is_empty()) {
        match token.split_once('=') {
            Some((last, count)) => {
                let name = if words.is_empty() {
                    Cow::Borrowed(last)
                } else {
                    words.push(last);
                    Cow::Owned(words.join(" "))
                };
                out.push((name, count));
                words.clear();
            }
            None => words.push(token),
        }
    }
    out
}

/// `shared hit=4 read=2 dirtied=1 written=1, local hit=1, temp read=3 written=3`.
fn read_buffers(value: &str) -> Option<Buffers> {
    let mut buffers = Buffers::default();
    for part in value.split(',') {
        let (kind, counts) = part.trim().split_once(' ')?;
        for (name, count) in pairs(counts) {
            let count: u64 = count.parse().ok()?;
            let slot = match (kind, name.as_ref()) {
                ("shared", "hit") => &mut buffers.shared_hit,
                ("shared", "read") => &mut buffers.shared_read,
                ("shared", "dirtied") => &mut buffers.shared_dirtied,
                ("shared", "written") => &mut buffers.shared_written,
                ("local", "hit") => &mut buffers.local_hit,
                ("local", "read") => &mut buffers.local_read,
                ("temp", "read") => &mut buffers.temp_read,
                ("temp", "written") => &mut buffers.temp_written,
                // Counts planlint does not type (local dirtied and written).
                ("local", _) => continue,
                _ => return None,
            };
            *slot = Some(count);
        }
    }
    Some(buffers)
}

/// Buffer counts as the JSON fields EXPLAIN prints for them.
fn buffer_fields(buffers: &Buffers) -> Vec<(String, Value)> {
    [
        ("Shared Hit Blocks", buffers.shared_hit),
        ("Shared Read Blocks", buffers.shared_read),
        ("Shared Dirtied Blocks", buffers.shared_dirtied),
        ("Shared Written Blocks", buffers.shared_written),
        ("Local Hit Blocks", buffers.local_hit),
        ("Local Read Blocks", buffers.local_read),
        ("Temp Read Blocks", buffers.temp_read),
        ("Temp Written Blocks", buffers.temp_written),
    ]
    .into_iter()
    .map(|(key, count)| (key.to_owned(), Value::from(count.unwrap_or(0))))
    .collect()
}

/// A worker line (`Worker 0:  actual time=0.1..0.2 rows=1 loops=1`, or `Sort Method: ...`) as
/// members of the worker's JSON object.
pub(super) fn worker_fields(text: &str, worker: &mut Map<String, Value>) {
    if let Some(actual) = text.strip_prefix("actual ") {
        for (name, value) in pairs(actual) {
            match (name.as_ref(), value.split_once("..")) {
                ("time", Some((first, total))) => {
                    worker.insert("Actual Startup Time".into(), scalar(first));
                    worker.insert("Actual Total Time".into(), scalar(total));
                }
                ("rows", _) => {
                    worker.insert("Actual Rows".into(), scalar(value));
                }
                ("loops", _) => {
                    worker.insert("Actual Loops".into(), scalar(value));
                }
                _ => {
                    worker.insert(name.into_owned(), scalar(value));
                }
            }
        }
        return;
    }
    if let Some((key, value)) = split_key(text) {
        worker.extend(fields(key, value));
    }
}

/// `enable_seqscan = 'off', work_mem = '64MB'` as (name, value) pairs.
pub(super) fn settings(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value.trim();
    while let Some((name, after)) = rest.split_once(" = ") {
        let Some(quoted) = after.strip_prefix('\'') else {
            break;
        };
        let mut setting = String::new();
        let mut end = quoted.len();
        let mut chars = quoted.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|&(_, next)| next) == Some('\'') {
                    setting.push('\'');
                    chars.next();
                    continue;
                }
                end = at + 1;
                break;
            }
            setting.push(c);
        }
        out.push((name.trim().to_owned(), setting));
        rest = quoted[end..].trim_start_matches(',').trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_lines_become_the_json_fields() {
        let got = fields("Sort Method", "external merge  Disk: 4096kB");
        assert_eq!(
            got,
            [
                ("Sort Method".to_owned(), Value::from("external merge")),
                ("Sort Space Used".to_owned(), Value::from(4096)),
                ("Sort Space Type".to_owned(), Value::from("Disk")),
            ]
        );
        let got = fields(
            "Buckets",
            "1024 (originally 512)  Batches: 1  Memory Usage: 9kB",
        );
        assert_eq!(got[0], ("Hash Buckets".to_owned(), Value::from(1024)));
        assert_eq!(
            got[1],
            ("Original Hash Buckets".to_owned(), Value::from(512))
        );
        assert_eq!(got[4], ("Peak Memory Usage".to_owned(), Value::from(9)));
        let got = fields(
            "Hits",
            "0  Misses: 1  Evictions: 0  Overflows: 0  Memory Usage: 1kB",
        );
        assert_eq!(got.len(), 5);
        assert_eq!(got[1], ("Misses".to_owned(), Value::from(1)));
        let got = fields("Sort Key", "f(a, b), c DESC, 'x, y'::text");
        assert_eq!(
            got[0].1,
            serde_json::json!(["f(a, b)", "c DESC", "'x, y'::text"])
        );
        let got = fields("WAL", "records=27 fpi=1 bytes=2077");
        assert_eq!(got[2], ("WAL Bytes".to_owned(), Value::from(2077)));
    }

    #[test]
    fn buffers_fill_the_typed_counts() {
        let mut node = PlanNode::default();
        assert!(apply(
            &mut node,
            "Buffers",
            "shared hit=3512 read=2 dirtied=1, local hit=3 dirtied=1, temp read=5 written=6"
        ));
        let buffers = node.buffers.unwrap();
        assert_eq!(buffers.shared_hit, Some(3512));
        assert_eq!(buffers.shared_read, Some(2));
        assert_eq!(buffers.local_hit, Some(3));
        assert_eq!(buffers.temp_written, Some(6));
        assert!(!apply(&mut PlanNode::default(), "Buffers", "shared hit=x"));
        assert!(!apply(
            &mut PlanNode::default(),
            "Rows Removed by Filter",
            "many"
        ));
    }

    #[test]
    fn settings_and_keys_are_read_like_explain_prints_them() {
        assert_eq!(
            settings("enable_seqscan = 'off', search_path = '\"a''b\", public'"),
            [
                ("enable_seqscan".to_owned(), "off".to_owned()),
                ("search_path".to_owned(), "\"a'b\", public".to_owned()),
            ]
        );
        assert_eq!(
            split_key("Rows Removed by Filter: 12"),
            Some(("Rows Removed by Filter", "12"))
        );
        assert_eq!(split_key("JIT:"), Some(("JIT", "")));
        assert_eq!(split_key("(a = 1): x"), None);
        assert_eq!(split_key("width=33)"), None);
    }
}
