//! Which log entries are the same statement with the same plan, so that a statement run a
//! million times is analysed and reported once.
//!
//! The key is the entry's plan text (auto_explain's `Query Text` included) with every number
//! and every single-quoted literal blanked, and runs of white space made one: executions that
//! differ in their constants, row counts, timings and buffers share a key; a plan that changed
//! (another node, index, join order or table) or another statement does not.

use crate::fingerprint::fnv1a;

/// The identity of a group of log entries: the hash of the normalised text (see the module
/// documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupKey(u64);

impl GroupKey {
    /// The key of a plan entry's text, or of a statement's text.
    pub fn of(text: &str) -> Self {
        Self(fnv1a(normalized(text).bytes()))
    }
}

/// `text` with numbers as `0`, single-quoted literals as `''` and white space runs as one
/// space; digits inside a name (`orders_p1`, `$1`) are kept.
pub fn normalized(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.trim().trim_end_matches(';').chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        if c == '\'' {
            // A literal, `''` inside it included: skip to its closing quote.
            while let Some(inner) = chars.next() {
                if inner == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            out.push_str("''");
            previous = '\'';
        } else if c.is_ascii_digit() && !is_name_char(previous) {
            while chars
                .peek()
                .is_some_and(|next| next.is_ascii_digit() || *next == '.')
            {
                chars.next();
            }
            out.push('0');
            previous = '0';
        } else if c.is_whitespace() {
            if previous != ' ' {
                out.push(' ');
            }
            previous = ' ';
        } else {
            out.push(c);
            previous = c;
        }
    }
    out
}

/// Whether `c` can be part of a name, so a digit after it is too.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_and_timings_do_not_split_a_group() {
        let one = "Query Text: SELECT * FROM orders WHERE customer_id = 11;\n\
                   Seq Scan on orders_p1  (cost=0.00..1064.00 rows=1 width=33) (actual time=6.887..6.887 rows=0 loops=1)\n\
                   \x20 Filter: (email = 'user31@example.com'::text)";
        let two = "Query Text: SELECT * FROM orders WHERE customer_id = 23;\n\
                   Seq Scan on orders_p1  (cost=0.00..1064.00 rows=1 width=33) (actual time=1.2..3.4 rows=2 loops=1)\n\
                   \x20 Filter: (email = 'it''s@example.com'::text)";
        assert_eq!(GroupKey::of(one), GroupKey::of(two));
        let other_partition = one.replace("orders_p1", "orders_p2");
        assert_ne!(GroupKey::of(one), GroupKey::of(&other_partition));
        let other_index = one.replace("Seq Scan on", "Index Scan using orders_p1_pkey on");
        assert_ne!(GroupKey::of(one), GroupKey::of(&other_index));
    }

    #[test]
    fn names_keep_their_digits() {
        assert_eq!(
            normalized("SELECT $1, t1.c FROM t1 WHERE x = 1.5 AND y = 'a';"),
            "SELECT $1, t1.c FROM t1 WHERE x = 0 AND y = ''"
        );
    }
}
