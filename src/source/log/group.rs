//! Which log entries are the same statement with the same plan, so that a statement run a
//! million times is analysed and reported once.
//!
//! The key is the entry's plan text (auto_explain's `Query Text` and `Query Parameters`
//! included) with every number, every single-quoted literal and every `NULL` blanked, and runs
//! of white space made one: executions that differ in their constants (a bind parameter's
//! value, NULL or not, included), row counts, timings and buffers share a key; a plan that changed
//! (another node, index, join order or table) or another statement does not. Keys live for one
//! run of the reader only, so std's hasher does (it need not be stable across versions).

use std::hash::{DefaultHasher, Hasher};

/// The identity of a group of log entries: the hash of the normalised text (see the module
/// documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupKey(u64);

/// Makes [`GroupKey`]s, reusing one buffer for the normalised text: every entry of a log of
/// gigabytes goes through here.
#[derive(Debug, Default)]
pub struct Keys {
    normalized: Vec<u8>,
}

impl Keys {
    /// The key of a plan entry's text, or of a statement's text.
    pub fn of(&mut self, text: &str) -> GroupKey {
        normalize(text, &mut self.normalized);
        let mut hasher = DefaultHasher::new();
        hasher.write(&self.normalized);
        GroupKey(hasher.finish())
    }
}

/// Writes `text` into `out` with numbers as `0`, single-quoted literals and the word `NULL` as
/// `''`, and white space runs as one space; digits inside a name (`orders_p1`, `$1`) are kept,
/// and so is `NULL` inside one (`NULLS`, `IS_NULL`). Bytes, not
/// characters: every byte this looks at is ASCII, and the others are copied as they are.
fn normalize(text: &str, out: &mut Vec<u8>) {
    out.clear();
    let bytes = text.trim().trim_end_matches(';').as_bytes();
    let mut previous = b' ';
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        at += 1;
        if byte == b'\'' {
            // A literal, `''` inside it included: skip past its closing quote.
            loop {
                match bytes[at..].iter().position(|&b| b == b'\'') {
                    Some(offset) => at += offset + 1,
                    None => at = bytes.len(),
                }
                if bytes.get(at) == Some(&b'\'') {
                    at += 1;
                } else {
                    break;
                }
            }
            out.extend_from_slice(b"''");
            previous = b'\'';
        } else if byte == b'N'
            && !is_name_byte(previous)
            && bytes[at - 1..].starts_with(b"NULL")
            && !bytes.get(at + 3).copied().is_some_and(is_name_byte)
        {
            // A bind parameter's value is NULL or a quoted literal: the same constant.
            at += 3;
            out.extend_from_slice(b"''");
            previous = b'\'';
        } else if byte.is_ascii_digit() && !is_name_byte(previous) {
            while at < bytes.len() && (bytes[at].is_ascii_digit() || bytes[at] == b'.') {
                at += 1;
            }
            out.push(b'0');
            previous = b'0';
        } else if byte.is_ascii_whitespace() {
            if previous != b' ' {
                out.push(b' ');
            }
            previous = b' ';
        } else {
            out.push(byte);
            previous = byte;
        }
    }
}

/// Whether `byte` can be part of a name, so a digit after it is too (bytes of non-ASCII
/// characters are letters here).
fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || !byte.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(text: &str) -> String {
        let mut out = Vec::new();
        normalize(text, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn constants_and_timings_do_not_split_a_group() {
        let one = "Query Text: SELECT * FROM orders WHERE customer_id = 11;\n\
                   Seq Scan on orders_p1  (cost=0.00..1064.00 rows=1 width=33) (actual time=6.887..6.887 rows=0 loops=1)\n\
                   \x20 Filter: (email = 'user31@example.com'::text)";
        let two = "Query Text: SELECT * FROM orders WHERE customer_id = 23;\n\
                   Seq Scan on orders_p1  (cost=0.00..1064.00 rows=1 width=33) (actual time=1.2..3.4 rows=2 loops=1)\n\
                   \x20 Filter: (email = 'it''s@example.com'::text)";
        let mut keys = Keys::default();
        assert_eq!(keys.of(one), keys.of(two));
        let other_partition = one.replace("orders_p1", "orders_p2");
        assert_ne!(keys.of(one), keys.of(&other_partition));
        let other_index = one.replace("Seq Scan on", "Index Scan using orders_p1_pkey on");
        assert_ne!(keys.of(one), keys.of(&other_index));
    }

    #[test]
    fn names_keep_their_digits() {
        assert_eq!(
            normalized("SELECT $1, t1.c, é2 FROM t1 WHERE x = 1.5 AND y = 'a''b' AND z = 'c"),
            "SELECT $1, t1.c, é2 FROM t1 WHERE x = 0 AND y = '' AND z = ''"
        );
        assert_eq!(normalized("  SELECT\n\t1 ;"), "SELECT 0 ");
        assert_eq!(
            normalized("$1 = NULL, $2 = 'x' NULLS FIRST IS_NULL NULL"),
            "$1 = '', $2 = '' NULLS FIRST IS_NULL ''"
        );
    }
}
