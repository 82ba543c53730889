//! Splits a server log into its records, one at a time from a `BufRead`: stderr's lines with
//! their tab-indented continuation lines, csvlog's records (a quoted message may span lines),
//! jsonlog's one object per line. Only records of severity `LOG` whose message starts with
//! `duration: ` are kept whole; the others are read past without being copied.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use super::LogDestination;

/// What every auto_explain entry and `log_min_duration_statement` entry starts with.
const DURATION: &str = "duration: ";

/// The marker of a `LOG` record in a stderr log, after the `log_line_prefix`.
const STDERR_LOG: &str = "LOG:  ";

/// A `LOG` record whose message starts with `duration: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The line where the record starts, from 1.
    pub line: usize,
    /// The message, continuation lines joined with `\n` (stderr's leading tab removed).
    pub message: String,
}

/// Reads the records of a log of one destination.
pub struct Records<R> {
    reader: R,
    destination: LogDestination,
    /// The line last read, as bytes, reused from line to line.
    buffer: Vec<u8>,
    /// Lines read so far.
    line: usize,
    /// A stderr record still open to continuation lines, when it is kept.
    open: Option<Record>,
    /// Whether the line in `buffer` was read but not yet handled (stderr reads one line past
    /// a record to know it ended).
    pending: bool,
}

/// Why the records could not be read.
#[derive(Debug)]
pub enum RecordError {
    /// Reading failed.
    Io(std::io::Error),
    /// A csvlog record whose quotes never close, or a jsonlog line that is not a record, at a
    /// line.
    Malformed(usize, String),
}

impl<R: BufRead> Records<R> {
    /// Records of `reader`, a log written to `destination`.
    pub fn new(reader: R, destination: LogDestination) -> Self {
        Self {
            reader,
            destination,
            buffer: Vec::with_capacity(4096),
            line: 0,
            open: None,
            pending: false,
        }
    }

    /// The next kept record, `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Record>, RecordError> {
        match self.destination {
            LogDestination::Stderr => self.next_stderr(),
            LogDestination::Csvlog => self.next_csv(),
            LogDestination::Jsonlog => self.next_json(),
        }
    }

    /// Reads the next line into `buffer` without its line end; false at the end.
    fn read_line(&mut self) -> Result<bool, RecordError> {
        self.buffer.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.buffer)
            .map_err(RecordError::Io)?;
        if read == 0 {
            return Ok(false);
        }
        self.line += 1;
        if self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
            if self.buffer.last() == Some(&b'\r') {
                self.buffer.pop();
            }
        }
        Ok(true)
    }

    fn next_stderr(&mut self) -> Result<Option<Record>, RecordError> {
        loop {
            if !self.pending && !self.read_line()? {
                return Ok(self.open.take());
            }
            self.pending = false;
            let text = text(&self.buffer);
            if let Some(rest) = text.strip_prefix('\t') {
                // A continuation line: part of the open record, or of one read past.
                if let Some(open) = &mut self.open {
                    open.message.push('\n');
                    open.message.push_str(rest);
                }
                continue;
            }
            let started = stderr_duration(&text).map(|message| Record {
                line: self.line,
                message: message.to_owned(),
            });
            if let Some(done) = self.open.take() {
                // The line starts another record: hand it over on the next call.
                self.open = started;
                return Ok(Some(done));
            }
            self.open = started;
        }
    }

    fn next_csv(&mut self) -> Result<Option<Record>, RecordError> {
        let mut record = String::new();
        loop {
            if !self.read_line()? {
                return if record.is_empty() {
                    Ok(None)
                } else {
                    Err(RecordError::Malformed(
                        self.line,
                        "csvlog record ends inside a quoted field".into(),
                    ))
                };
            }
            let first_line = self.line;
            record.clear();
            record.push_str(&text(&self.buffer));
            // A record goes on while a quoted field is open: an odd count of quotes so far.
            let mut open_quote = odd_quotes(&self.buffer);
            while open_quote {
                if !self.read_line()? {
                    return Err(RecordError::Malformed(
                        first_line,
                        "csvlog record ends inside a quoted field".into(),
                    ));
                }
                record.push('\n');
                record.push_str(&text(&self.buffer));
                open_quote ^= odd_quotes(&self.buffer);
            }
            if record.is_empty() {
                continue;
            }
            let fields = csv_fields(&record, 14);
            match (fields.get(11), fields.get(13)) {
                (Some(severity), Some(message))
                    if severity == "LOG" && message.starts_with(DURATION) =>
                {
                    return Ok(Some(Record {
                        line: first_line,
                        message: message.clone(),
                    }));
                }
                (Some(_), Some(_)) => {}
                _ => {
                    return Err(RecordError::Malformed(
                        first_line,
                        "not a csvlog record: fewer than 14 fields".into(),
                    ))
                }
            }
            record.clear();
        }
    }

    fn next_json(&mut self) -> Result<Option<Record>, RecordError> {
        /// The fields of a jsonlog record planlint reads.
        #[derive(Deserialize)]
        struct JsonRecord {
            error_severity: String,
            #[serde(default)]
            message: String,
        }
        loop {
            if !self.read_line()? {
                return Ok(None);
            }
            let text = text(&self.buffer);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            // Most records are not durations: read past them without parsing them whole.
            if !text.contains("\"message\":\"duration: ") {
                if !text.starts_with('{') {
                    return Err(RecordError::Malformed(
                        self.line,
                        "not a jsonlog record: expected one JSON object per line".into(),
                    ));
                }
                continue;
            }
            let record: JsonRecord = serde_json::from_str(text).map_err(|error| {
                RecordError::Malformed(self.line, format!("not a jsonlog record: {error}"))
            })?;
            if record.error_severity == "LOG" && record.message.starts_with(DURATION) {
                return Ok(Some(Record {
                    line: self.line,
                    message: record.message,
                }));
            }
        }
    }
}

/// A line as text: borrowed when it is UTF-8 (the fast check), with U+FFFD for the bytes
/// that are not otherwise.
fn text(line: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(line) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(line),
    }
}

/// The message of a stderr line that starts a `LOG:  duration: ` record, after whatever
/// `log_line_prefix` wrote.
fn stderr_duration(line: &str) -> Option<&str> {
    let at = line.find(STDERR_LOG)?;
    let message = &line[at + STDERR_LOG.len()..];
    message.starts_with(DURATION).then_some(message)
}

/// Whether `line` holds an odd number of double quotes.
fn odd_quotes(line: &[u8]) -> bool {
    line.iter().filter(|&&b| b == b'"').count() % 2 == 1
}

/// The first `count` fields of one CSV record (`""` inside quotes is one `"`).
fn csv_fields(record: &str, count: usize) -> Vec<String> {
    let mut fields = Vec::with_capacity(count);
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => {
                fields.push(std::mem::take(&mut field));
                if fields.len() == count {
                    return fields;
                }
            }
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, destination: LogDestination) -> Vec<Record> {
        let mut records = Records::new(text.as_bytes(), destination);
        let mut out = Vec::new();
        while let Some(record) = records.next_record().unwrap() {
            out.push(record);
        }
        out
    }

    #[test]
    fn stderr_records_take_their_tab_continuations_only() {
        let log = "2024-01-01 00:00:00 UTC [1] LOG:  duration: 1.5 ms  plan:\n\
                   \tQuery Text: SELECT 1\n\
                   \tResult  (cost=0.00..0.01 rows=1 width=4)\n\
                   2024-01-01 00:00:00 UTC [2] LOG:  checkpoint starting: time\n\
                   \tignored continuation\n\
                   [3] LOG:  duration: 2.0 ms  statement: SET x = 1\n";
        let records = all(log, LogDestination::Stderr);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].line, 1);
        assert_eq!(
            records[0].message,
            "duration: 1.5 ms  plan:\nQuery Text: SELECT 1\nResult  (cost=0.00..0.01 rows=1 width=4)"
        );
        assert_eq!(records[1].line, 6);
        assert_eq!(records[1].message, "duration: 2.0 ms  statement: SET x = 1");
    }

    #[test]
    fn csv_fields_unquote_and_stop_early() {
        assert_eq!(
            csv_fields("a,\"b,\"\"c\"\"\nd\",e", 5),
            vec!["a", "b,\"c\"\nd", "e"]
        );
        assert_eq!(csv_fields("a,b,c,d", 2), vec!["a", "b"]);
    }

    #[test]
    fn an_unclosed_csv_quote_is_an_error_at_its_record() {
        let mut records = Records::new(
            "t,u,d,1,h,s,1,p,t,v,0,LOG,0,\"duration: 1 ms  plan:\nx\n".as_bytes(),
            LogDestination::Csvlog,
        );
        assert!(matches!(
            records.next_record(),
            Err(RecordError::Malformed(1, _))
        ));
    }
}
