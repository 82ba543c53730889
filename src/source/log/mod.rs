//! Reading a PostgreSQL server log: every auto_explain entry (`duration: … ms  plan:` and the
//! plan after it, in auto_explain's text or JSON `log_format`) from a stderr log with any
//! `log_line_prefix`, a csvlog or a jsonlog (PostgreSQL 15+), other sessions' lines in between.
//! The values of bind parameters that PostgreSQL 16+ writes after the statement
//! (`Query Parameters:`) are read past, whatever lines they span.
//!
//! The log is streamed line by line ([`records`]) in constant memory whatever its size; only
//! the groups of entries are kept ([`group`]): the entries of one statement with one plan
//! shape become one [`LoggedPlan`] whose [`Workload`] counts them, and only the first of them
//! is parsed. `log_min_duration_statement` entries without a plan are grouped by statement in
//! [`LogRead::unplanned`], for a caller that can explain them on a live server.

mod detect;
mod entry;
mod group;
mod records;

pub use detect::{detect_log, LogDestination};

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};

use self::entry::{read_entry, Entry};
use self::group::{GroupKey, Keys};
use self::records::{RecordError, Records};
use super::error::{InputError, InputErrorKind};
use super::InputWarning;
use crate::plan::{parse_plans, parse_text_plans, Explain, ParseError};
use crate::workload::Workload;

/// How much of a file is looked at to tell a server log from a plan.
const SNIFF_BYTES: usize = 64 * 1024;

/// The part of `text` looked at to tell a server log from a plan: its first [`SNIFF_BYTES`].
pub(crate) fn head(text: &str) -> &str {
    let mut end = text.len().min(SNIFF_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One plan of a log: the first entry of its group, parsed, with what the group measured.
#[derive(Debug)]
pub struct LoggedPlan {
    /// The plan of the group's first entry; its `query_text` is auto_explain's `Query Text`.
    pub explain: Explain,
    /// The entries of the group: `calls`, `total_time_ms`, `max_time_ms`, `mean_time_ms`,
    /// the first entry's `duration_ms` and `log_line`, the statement (`query`) and the group's
    /// `share` of the logged time.
    pub workload: Workload,
}

/// A statement `log_min_duration_statement` logged without a plan (no auto_explain entry of
/// the same statement is in the log): what a live connection could explain.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedStatement {
    /// The statement as logged.
    pub text: String,
    /// Its executions: `calls`, `total_time_ms`, `max_time_ms`, the first one's `duration_ms`
    /// and `log_line`.
    pub workload: Workload,
}

/// Everything read from one server log.
#[derive(Debug)]
pub struct LogRead {
    /// The input's name, its path as given.
    pub name: String,
    /// Where the server wrote it.
    pub destination: LogDestination,
    /// One plan per group of entries, the longest total time first.
    pub plans: Vec<LoggedPlan>,
    /// Statements logged without a plan, the longest total time first.
    pub unplanned: Vec<LoggedStatement>,
    /// auto_explain entries read.
    pub plan_entries: u64,
    /// The time of every execution the log measured, in milliseconds: the plan entries and
    /// the statements without a plan (an execution logged both ways counts once).
    pub logged_time_ms: f64,
    /// What was read past: plans that look cut off.
    pub warnings: Vec<InputWarning>,
}

/// Opens the file at `path` and, when it is a server log, reads it; `Ok(None)` when it is
/// not one, or cannot be opened (then it is for [`load`](super::load), which says why). As it
/// reads, `progress` is told how many bytes of the file are read, and the file's size.
pub fn read_log_file(
    path: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Option<LogRead>, InputError> {
    let Ok(file) = File::open(path) else {
        return Ok(None);
    };
    let Some(size) = file
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|metadata| metadata.len())
    else {
        return Ok(None);
    };
    let counted = Counted {
        inner: file,
        read: 0,
        size,
        progress,
    };
    let mut reader = BufReader::with_capacity(SNIFF_BYTES * 4, counted);
    let Ok(head) = reader.fill_buf() else {
        return Ok(None);
    };
    let head = &head[..head.len().min(SNIFF_BYTES)];
    let Some(destination) = detect_log(&String::from_utf8_lossy(head)) else {
        return Ok(None);
    };
    read_log(path, reader, destination).map(Some)
}

/// A reader that says how far into its file it has read.
struct Counted<'p, R> {
    inner: R,
    read: u64,
    size: u64,
    progress: &'p mut dyn FnMut(u64, u64),
}

impl<R: std::io::Read> std::io::Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buf)?;
        self.read += count as u64;
        (self.progress)(self.read, self.size);
        Ok(count)
    }
}

/// The executions of one group of entries, counted as the log is read.
struct Tally {
    first_line: usize,
    first_ms: f64,
    calls: u64,
    total_ms: f64,
    max_ms: f64,
}

impl Tally {
    /// The tally of one execution logged at `line`.
    fn first(line: usize, duration_ms: f64) -> Self {
        Self {
            first_line: line,
            first_ms: duration_ms,
            calls: 1,
            total_ms: duration_ms,
            max_ms: duration_ms,
        }
    }

    fn add(&mut self, duration_ms: f64) {
        self.calls += 1;
        self.total_ms += duration_ms;
        self.max_ms = self.max_ms.max(duration_ms);
    }

    fn workload(&self, query: Option<String>, logged_ms: f64) -> Workload {
        #[allow(clippy::cast_precision_loss)] // calls never near 2^53
        let mean = self.total_ms / self.calls as f64;
        Workload {
            query,
            calls: Some(self.calls),
            total_time_ms: Some(self.total_ms),
            mean_time_ms: Some(mean),
            max_time_ms: Some(self.max_ms),
            share: (logged_ms > 0.0).then(|| self.total_ms / logged_ms),
            duration_ms: Some(self.first_ms),
            log_line: Some(self.first_line),
        }
    }
}

/// Statements logged without a plan, gathered by [`GroupKey`] of their text.
struct Unplanned {
    text: String,
    tally: Tally,
}

/// Reads a server log written to `destination` from `reader`; `name` is used in errors and
/// warnings.
///
/// Fails on the first problem with one [`InputError`] at the line it is on: a record that is
/// not what the destination writes, a duration that is not a number, a plan that does not
/// parse, or a log with no entry at all.
pub fn read_log(
    name: &str,
    reader: impl BufRead,
    destination: LogDestination,
) -> Result<LogRead, InputError> {
    let mut records = Records::new(reader, destination);
    let mut groups: Vec<(Explain, Tally)> = Vec::new();
    let mut keys = Keys::default();
    let mut group_index: HashMap<GroupKey, usize> = HashMap::new();
    let mut planned_statements: HashSet<GroupKey> = HashSet::new();
    let mut statements: HashMap<GroupKey, Unplanned> = HashMap::new();
    let mut warnings = Vec::new();
    let mut plan_entries = 0_u64;
    let mut plan_ms = 0.0;
    loop {
        let record = match records.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(RecordError::Io(error)) => {
                return Err(InputError::new(
                    name,
                    InputErrorKind::Io,
                    &format!("cannot read: {error}"),
                ))
            }
            Err(RecordError::Malformed(line, message)) => {
                return Err(InputError::new(name, InputErrorKind::Syntax, &message).at(line, 1))
            }
        };
        let entry = read_entry(&record.message).ok_or_else(|| {
            InputError::new(
                name,
                InputErrorKind::Syntax,
                "a duration entry whose duration is not a number of milliseconds",
            )
            .at(record.line, 1)
        })?;
        match entry {
            Entry::Plan { duration_ms, body } => {
                plan_entries += 1;
                plan_ms += duration_ms;
                let key = keys.of(body);
                if let Some(&index) = group_index.get(&key) {
                    groups[index].1.add(duration_ms);
                    continue;
                }
                let explain = parse_entry(name, body, record.line, destination, &mut warnings)?;
                if let Some(query) = &explain.query_text {
                    planned_statements.insert(keys.of(query));
                }
                group_index.insert(key, groups.len());
                groups.push((explain, Tally::first(record.line, duration_ms)));
            }
            Entry::Statement { duration_ms, text } => {
                statements
                    .entry(keys.of(text))
                    .and_modify(|unplanned| unplanned.tally.add(duration_ms))
                    .or_insert_with(|| Unplanned {
                        text: text.to_owned(),
                        tally: Tally::first(record.line, duration_ms),
                    });
            }
            Entry::Other => {}
        }
    }
    // A statement logged with its plan too is one execution logged twice: counted once.
    let unplanned: Vec<Unplanned> = statements
        .into_iter()
        .filter(|(key, _)| !planned_statements.contains(key))
        .map(|(_, unplanned)| unplanned)
        .collect();
    if groups.is_empty() && unplanned.is_empty() {
        return Err(InputError::new(
            name,
            InputErrorKind::Empty,
            "a server log without any auto_explain entry (`duration: ... plan:`): set \
             shared_preload_libraries = 'auto_explain' and auto_explain.log_min_duration",
        ));
    }
    let logged_time_ms = plan_ms + unplanned.iter().map(|u| u.tally.total_ms).sum::<f64>();
    let mut plans: Vec<LoggedPlan> = groups
        .into_iter()
        .map(|(explain, tally)| LoggedPlan {
            workload: tally.workload(explain.query_text.clone(), logged_time_ms),
            explain,
        })
        .collect();
    plans.sort_by(|a, b| worst_first(&a.workload, &b.workload));
    let mut unplanned: Vec<LoggedStatement> = unplanned
        .into_iter()
        .map(|unplanned| LoggedStatement {
            workload: unplanned
                .tally
                .workload(Some(unplanned.text.clone()), logged_time_ms),
            text: unplanned.text,
        })
        .collect();
    unplanned.sort_by(|a, b| worst_first(&a.workload, &b.workload));
    Ok(LogRead {
        name: name.to_owned(),
        destination,
        plans,
        unplanned,
        plan_entries,
        logged_time_ms,
        warnings,
    })
}

/// The longest total time first; the first logged first among equals.
fn worst_first(a: &Workload, b: &Workload) -> std::cmp::Ordering {
    let total = |w: &Workload| w.total_time_ms.unwrap_or(0.0);
    total(b)
        .total_cmp(&total(a))
        .then(a.log_line.cmp(&b.log_line))
}

/// Parses the plan of an entry that starts at `line`, in auto_explain's JSON or text format.
fn parse_entry(
    name: &str,
    body: &str,
    line: usize,
    destination: LogDestination,
    warnings: &mut Vec<InputWarning>,
) -> Result<Explain, InputError> {
    let parameterized = Parameterized::split(body);
    // What is read as a plan: a text entry with parameters from the line after them.
    let (text, skipped) = parameterized
        .as_ref()
        .map_or((body, 0), |entry| (entry.plan, entry.plan_line));
    // Where a line of `text` is in the file: the body starts on the line after the
    // `duration:` line, except in a jsonlog, where the whole record is one line.
    let file_line = |text_line: usize| match destination {
        LogDestination::Jsonlog => line,
        LogDestination::Stderr | LogDestination::Csvlog => line + skipped + text_line,
    };
    let fail = |error: ParseError| {
        let kind = if error.truncated {
            InputErrorKind::Truncated
        } else {
            InputErrorKind::Syntax
        };
        InputError::new(
            name,
            kind,
            &format!("auto_explain entry: {}", error.message),
        )
        .at(file_line(error.line), 1)
    };
    let mut plans = if text.trim_start().starts_with('{') {
        parse_plans(text).map_err(fail)?
    } else {
        let read = parse_text_plans(text).map_err(fail)?;
        warnings.extend(read.warnings.into_iter().map(|warning| InputWarning {
            name: name.to_owned(),
            position: (file_line(warning.line), 1),
            message: warning.message,
        }));
        let mut plans = read.plans;
        for plan in &mut plans {
            if let Some(entry) = &parameterized {
                plan.query_text = Some(entry.query.to_owned());
            } else if let Some(query) = &mut plan.query_text {
                // The text reader joins a statement's lines as it joins wrapped plan lines:
                // take the statement as it was logged.
                if let Some(verbatim) = verbatim_query(body, query) {
                    *query = verbatim.to_owned();
                }
                without_parameters(query);
            }
        }
        plans
    };
    if plans.len() != 1 {
        return Err(InputError::new(
            name,
            InputErrorKind::Syntax,
            &format!(
                "auto_explain entry holds {} plans, expected one",
                plans.len()
            ),
        )
        .at(line, 1));
    }
    Ok(plans.remove(0))
}

/// A text-format entry with the values of its bind parameters (PostgreSQL 16+,
/// auto_explain.log_parameter_max_length): `Query Text: `, the statement, a line
/// `Query Parameters: $1 = '5', $2 = NULL`, then the plan. A value is single-quoted with its
/// quotes doubled and may span lines (a blank one, or one that reads as a plan node, included),
/// so the values end where the last one's quote closes, not at a line end.
#[derive(Debug, PartialEq)]
struct Parameterized<'a> {
    /// The statement as logged, without the parameters.
    query: &'a str,
    /// The plan, from the line after the parameters.
    plan: &'a str,
    /// How many lines of the entry come before the plan.
    plan_line: usize,
}

impl<'a> Parameterized<'a> {
    /// The parts of `body`, or `None` when it is not a text entry with parameters (or its
    /// parameters do not read as auto_explain writes them).
    fn split(body: &'a str) -> Option<Self> {
        const PARAMETERS: &str = "\nQuery Parameters: ";
        let statement = body.strip_prefix("Query Text: ")?;
        let at = statement.find(PARAMETERS)?;
        let values = &statement[at + PARAMETERS.len()..];
        let plan = values[values_len(values)?..].strip_prefix('\n')?;
        Some(Self {
            query: statement[..at].trim_end(),
            plan,
            plan_line: body[..body.len() - plan.len()].matches('\n').count(),
        })
    }
}

/// The length of the list of values at the start of `text` (`$1 = 'it''s', $2 = NULL`, a
/// value cut by log_parameter_max_length ending in `...'`), up to its last value's end; `None`
/// when `text` does not start with one.
fn values_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        if bytes.get(at) != Some(&b'$') {
            return None;
        }
        at += 1;
        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || !bytes[at + digits..].starts_with(b" = ") {
            return None;
        }
        at += digits + " = ".len();
        if bytes[at..].starts_with(b"NULL") {
            at += "NULL".len();
        } else if bytes.get(at) == Some(&b'\'') {
            // Past the closing quote; `''` inside the value is a quote of it.
            loop {
                at += 1 + bytes[at + 1..].iter().position(|&b| b == b'\'')? + 1;
                if bytes.get(at) != Some(&b'\'') {
                    break;
                }
            }
        } else {
            return None;
        }
        if !bytes[at..].starts_with(b", $") {
            return Some(at);
        }
        at += ", ".len();
    }
}

/// Cuts the `Query Parameters:` line off a text-format entry's statement, which the text
/// reader takes for its last line, when [`Parameterized::split`] could not read the values.
fn without_parameters(query: &mut String) {
    if let Some(at) = query.find("\nQuery Parameters: ") {
        query.truncate(at);
    }
}

/// The `Query Text` of a text-format entry as logged: the text after `Query Text: ` that
/// holds `joined` (the reader's version of it) once white space is left out of both.
fn verbatim_query<'a>(body: &'a str, joined: &str) -> Option<&'a str> {
    let start = body.find("Query Text: ")? + "Query Text: ".len();
    let text = &body[start..];
    let mut wanted = joined.chars().filter(|c| !c.is_whitespace()).peekable();
    for (at, c) in text.char_indices() {
        let Some(&next) = wanted.peek() else {
            return Some(text[..at].trim_end());
        };
        if c.is_whitespace() {
            continue;
        }
        if c != next {
            return None;
        }
        wanted.next();
    }
    wanted.peek().is_none().then_some(text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, destination: LogDestination) -> Result<LogRead, InputError> {
        read_log("test.log", text.as_bytes(), destination)
    }

    const ENTRY: &str = "2024-05-01 10:00:00.000 UTC [7] LOG:  duration: 5.000 ms  plan:\n\
                         \tQuery Text: SELECT * FROM t WHERE a = 1\n\
                         \tSeq Scan on t  (cost=0.00..35.50 rows=10 width=4)\n\
                         \t  Filter: (a = 1)\n";

    #[test]
    fn repeated_entries_are_one_plan_that_counts_them() {
        let log = format!(
            "{ENTRY}{}{}",
            ENTRY.replace("5.000", "7.000").replace("= 1", "= 2"),
            "2024-05-01 10:00:01.000 UTC [8] LOG:  duration: 3.000 ms  statement: VACUUM t\n"
        );
        let read = read(&log, LogDestination::Stderr).unwrap();
        assert_eq!(read.plans.len(), 1);
        assert_eq!(read.plan_entries, 2);
        let workload = &read.plans[0].workload;
        assert_eq!(workload.calls, Some(2));
        assert_eq!(workload.total_time_ms, Some(12.0));
        assert_eq!(workload.max_time_ms, Some(7.0));
        assert_eq!(workload.duration_ms, Some(5.0));
        assert_eq!(workload.log_line, Some(1));
        assert_eq!(
            workload.query.as_deref(),
            Some("SELECT * FROM t WHERE a = 1")
        );
        assert_eq!(read.unplanned.len(), 1);
        assert_eq!(read.unplanned[0].text, "VACUUM t");
        assert_eq!(read.logged_time_ms, 15.0);
        assert_eq!(workload.share, Some(0.8));
    }

    #[test]
    fn query_parameters_are_not_part_of_the_statement() {
        let mut query = "SELECT * FROM t WHERE a = $1\nQuery Parameters: $1 = '5'".to_owned();
        without_parameters(&mut query);
        assert_eq!(query, "SELECT * FROM t WHERE a = $1");
    }

    #[test]
    fn parameters_end_where_the_last_value_does() {
        assert_eq!(values_len("$1 = 'a', $2 = NULL\nSeq Scan"), Some(19));
        assert_eq!(
            values_len("$1 = 'it''s, $2 = ''x''', $3 = 'user...'\n"),
            Some(40)
        );
        assert_eq!(values_len("$1 = ''''\n"), Some(9));
        // Not as auto_explain writes them: the caller reads the entry by lines instead.
        assert_eq!(values_len("$1 = 5"), None);
        assert_eq!(values_len("$1 = 'never closed"), None);
        assert_eq!(values_len("one = 'a'"), None);
        assert_eq!(values_len(""), None);
    }

    #[test]
    fn a_statement_with_parameters_is_split_from_its_plan() {
        let body = "Query Text: SELECT 1\n  FROM t WHERE a = $1\n\
                    Query Parameters: $1 = 'x\n\nSort it'\n\
                    Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)";
        assert_eq!(
            Parameterized::split(body),
            Some(Parameterized {
                query: "SELECT 1\n  FROM t WHERE a = $1",
                plan: "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)",
                plan_line: 5,
            })
        );
        assert_eq!(
            Parameterized::split(&body.replace("$1 = 'x", "$1 = x")),
            None
        );
        assert_eq!(
            Parameterized::split("Query Text: SELECT 1\nResult  (cost=0.00..0.01 rows=1 width=4)"),
            None
        );
    }

    #[test]
    fn a_statement_keeps_its_lines() {
        let body =
            "Query Text: SELECT 1\n  FROM t\nSeq Scan on t  (cost=0.00..1.00 rows=1 width=4)";
        assert_eq!(
            verbatim_query(body, "SELECT 1 FROM t"),
            Some("SELECT 1\n  FROM t")
        );
        assert_eq!(verbatim_query(body, "SELECT 2"), None);
    }

    #[test]
    fn a_statement_logged_with_its_plan_is_not_unplanned() {
        let log = format!(
            "{ENTRY}2024-05-01 10:00:00.000 UTC [7] LOG:  duration: 5.100 ms  statement: \
             SELECT * FROM t WHERE a = 1\n"
        );
        let read = read(&log, LogDestination::Stderr).unwrap();
        assert!(read.unplanned.is_empty());
        assert_eq!(read.logged_time_ms, 5.0);
    }

    #[test]
    fn a_broken_plan_is_an_error_at_its_line() {
        let log = format!(
            "x [1] LOG:  starting\n{}",
            ENTRY.replace("\t  Filter: (a = 1)", "\t  !!")
        );
        let error = read(&log, LogDestination::Stderr).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("test.log:5:1: auto_explain entry: "),
            "{error}"
        );
    }

    #[test]
    fn a_log_without_entries_says_what_to_set() {
        let error = read("x [1] LOG:  starting\n", LogDestination::Stderr).unwrap_err();
        assert_eq!(error.kind(), InputErrorKind::Empty);
        assert!(error.message().contains("auto_explain.log_min_duration"));
    }
}
