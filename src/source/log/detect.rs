//! Telling a server log from a plan by its first lines, and which destination wrote it.

/// Where the server wrote a log (`log_destination`), which decides how its records are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogDestination {
    /// `stderr`: one line per record after `log_line_prefix`, continuation lines indented by
    /// a tab.
    Stderr,
    /// `csvlog`: CSV records; the message is a quoted field that may span lines.
    Csvlog,
    /// `jsonlog` (PostgreSQL 15+): one JSON object per line.
    Jsonlog,
}

/// The destination of the server log that starts with `head`, or `None` when it is not a
/// server log (a plan, a psql paste).
///
/// A jsonlog's first line is an object that starts with its `timestamp`; a csvlog's starts with
/// a timestamp and a comma; a stderr log has a line with a `LOG:  ` record within `head`
/// (EXPLAIN and psql never print one).
pub fn detect_log(head: &str) -> Option<LogDestination> {
    let head = head.trim_start_matches('\u{FEFF}');
    let first = head.lines().find(|line| !line.trim().is_empty())?;
    if first.starts_with("{\"timestamp\":\"") {
        return Some(LogDestination::Jsonlog);
    }
    // `2024-05-01 10:00:00.000 UTC,`: date, time and zone, then the next field.
    let csv_timestamp = first
        .split_once(',')
        .is_some_and(|(stamp, _)| stamp.matches(' ').count() == 2);
    if starts_with_timestamp(first) && csv_timestamp {
        return Some(LogDestination::Csvlog);
    }
    head.lines()
        .any(|line| !line.starts_with('\t') && line.contains("LOG:  "))
        .then_some(LogDestination::Stderr)
}

/// Whether `line` starts with `YYYY-MM-DD HH:MM:SS`.
fn starts_with_timestamp(line: &str) -> bool {
    let bytes = line.as_bytes();
    let pattern = b"dddd-dd-dd dd:dd:dd";
    bytes.len() >= pattern.len()
        && pattern.iter().zip(bytes).all(|(&p, &b)| match p {
            b'd' => b.is_ascii_digit(),
            other => b == other,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_destination_is_told_by_its_first_lines() {
        assert_eq!(
            detect_log("{\"timestamp\":\"2024-05-01 10:00:00.000 UTC\",\"user\":\"u\"}\n"),
            Some(LogDestination::Jsonlog)
        );
        assert_eq!(
            detect_log("2024-05-01 10:00:00.000 UTC,\"u\",\"d\",7,,LOG\n"),
            Some(LogDestination::Csvlog)
        );
        assert_eq!(
            detect_log("2024-05-01 10:00:00.000 UTC [7] u@d LOG:  duration: 1 ms\n"),
            Some(LogDestination::Stderr)
        );
        assert_eq!(
            detect_log("LOG:  duration: 1 ms  plan:\n"),
            Some(LogDestination::Stderr)
        );
    }

    #[test]
    fn plans_and_pastes_are_not_logs() {
        assert_eq!(detect_log("[{\"Plan\": {}}]"), None);
        assert_eq!(
            detect_log("Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n"),
            None
        );
        assert_eq!(
            detect_log("                 QUERY PLAN\n---------\n Result\n(1 row)\n"),
            None
        );
        assert_eq!(detect_log(""), None);
    }
}
