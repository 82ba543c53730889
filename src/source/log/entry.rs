//! What a `duration: ` message says: an auto_explain plan, or a statement that
//! `log_min_duration_statement` logged without one.

/// The message of a `duration: ` record, read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry<'a> {
    /// auto_explain's `duration: 12.3 ms  plan:` and the plan after it (text or JSON, with
    /// its `Query Text`).
    Plan {
        /// The execution's duration in milliseconds.
        duration_ms: f64,
        /// The plan as auto_explain wrote it, from the line after `plan:`.
        body: &'a str,
    },
    /// `duration: 12.3 ms  statement: ...` or `execute NAME: ...` (the extended protocol):
    /// an execution logged without a plan.
    Statement {
        /// The execution's duration in milliseconds.
        duration_ms: f64,
        /// The statement.
        text: &'a str,
    },
    /// Anything else: a bare duration (`log_duration`), a `parse` or `bind` step.
    Other,
}

/// Reads a message that starts with `duration: `; `None` when the duration is not a number.
pub fn read_entry(message: &str) -> Option<Entry<'_>> {
    let rest = message.strip_prefix("duration: ")?;
    let (number, rest) = rest.split_once(" ms")?;
    let duration_ms: f64 = number.parse().ok().filter(|ms: &f64| ms.is_finite())?;
    let rest = rest.trim_start_matches(' ');
    if let Some(body) = rest.strip_prefix("plan:") {
        let body = body.strip_prefix('\n').unwrap_or(body);
        return Some(Entry::Plan { duration_ms, body });
    }
    if let Some(text) = rest.strip_prefix("statement: ") {
        return Some(Entry::Statement { duration_ms, text });
    }
    if let Some(after) = rest.strip_prefix("execute ") {
        if let Some((_, text)) = after.split_once(": ") {
            return Some(Entry::Statement { duration_ms, text });
        }
    }
    Some(Entry::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_statements_and_the_rest_are_told_apart() {
        assert_eq!(
            read_entry("duration: 46.742 ms  plan:\nQuery Text: SELECT 1\nResult"),
            Some(Entry::Plan {
                duration_ms: 46.742,
                body: "Query Text: SELECT 1\nResult"
            })
        );
        assert_eq!(
            read_entry("duration: 0.058 ms  statement: SET work_mem = '8MB';"),
            Some(Entry::Statement {
                duration_ms: 0.058,
                text: "SET work_mem = '8MB';"
            })
        );
        assert_eq!(
            read_entry("duration: 1.000 ms  execute <unnamed>: SELECT $1"),
            Some(Entry::Statement {
                duration_ms: 1.0,
                text: "SELECT $1"
            })
        );
        assert_eq!(
            read_entry("duration: 1.000 ms  bind S_1: SELECT 1"),
            Some(Entry::Other)
        );
        assert_eq!(read_entry("duration: 2.5 ms"), Some(Entry::Other));
        assert_eq!(read_entry("duration: NaN ms  plan:\nx"), None);
        assert_eq!(read_entry("duration: soon ms  plan:\nx"), None);
    }
}
