//! Reading a PostgreSQL server log: every auto_explain entry (`duration: … ms  plan:` and the
//! plan after it, in auto_explain's text or JSON `log_format`) from a stderr log with any
//! `log_line_prefix`, a csvlog or a jsonlog (PostgreSQL 15+), other sessions' lines in between.
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
    // Where a line of the body is in the file: the body starts on the line after the
    // `duration:` line, except in a jsonlog, where the whole record is one line.
    let file_line = |body_line: usize| match destination {
        LogDestination::Jsonlog => line,
        LogDestination::Stderr | LogDestination::Csvlog => line + body_line,
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
    let mut plans = if body.trim_start().starts_with('{') {
        parse_plans(body).map_err(fail)?
    } else {
        let read = parse_text_plans(body).map_err(fail)?;
        warnings.extend(read.warnings.into_iter().map(|warning| InputWarning {
            name: name.to_owned(),
            position: (file_line(warning.line), 1),
            message: warning.message,
        }));
        let mut plans = read.plans;
        // The text reader joins a statement's lines as it joins wrapped plan lines: take the
        // statement as it was logged.
        for plan in &mut plans {
            if let Some(query) = &mut plan.query_text {
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

/// Cuts the `Query Parameters:` line (auto_explain.log_parameter_max_length, PostgreSQL 16+)
/// off a text-format entry's statement, which the text reader takes for its last line.
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
