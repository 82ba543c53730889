//! The error of reading, unwrapping and parsing an input: always one line, `NAME[:LINE:COL]: what`.

use std::fmt;

/// Longest message an [`InputError`] keeps, in characters; longer ones are cut with `...`.
const MAX_MESSAGE_CHARS: usize = 300;

/// What kind of problem an [`InputError`] reports, so a caller can choose an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputErrorKind {
    /// The input could not be read: a missing or unreadable file, or a directory.
    Io,
    /// The input is larger than the allowed maximum.
    TooLarge,
    /// The input is empty or only whitespace, or holds no plan at all.
    Empty,
    /// The input is binary data (a NUL byte, or bytes that are not UTF-8), not text.
    Binary,
    /// The input is not valid in its format: JSON, YAML or XML syntax, or a text-format line
    /// that is not what EXPLAIN prints.
    Syntax,
    /// The JSON or XML ends before it is complete.
    Truncated,
    /// The input is well-formed, but not what EXPLAIN prints (JSON without a `"Plan"`, text
    /// with no plan node).
    NotAPlan,
}

/// Why an input could not be turned into plans.
///
/// It displays as exactly one line, `NAME: what is wrong` or `NAME:LINE:COL: what is wrong`,
/// with control characters escaped, so it can be printed as is, or read by an editor or a CI
/// log parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    name: String,
    position: Option<(usize, usize)>,
    kind: InputErrorKind,
    message: String,
}

impl InputError {
    /// An error about the input called `name`, without a position.
    pub(crate) fn new(name: &str, kind: InputErrorKind, message: &str) -> Self {
        Self {
            name: name.to_owned(),
            position: None,
            kind,
            message: one_line(message, MAX_MESSAGE_CHARS),
        }
    }

    /// The same error at a 1-based line and column (columns in characters).
    pub(crate) fn at(mut self, line: usize, column: usize) -> Self {
        self.position = (line > 0).then_some((line, column.max(1)));
        self
    }

    /// The same error, about the input called `name` instead.
    pub fn with_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> InputErrorKind {
        self.kind
    }

    /// The name of the input: its path as given, `<stdin>`, or `<input>` for text from
    /// [`unwrap`](super::unwrap).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 1-based line and column (in characters) of the problem in the input, when known.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.position
    }

    /// What is wrong, without the name and position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&one_line(&self.name, usize::MAX))?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// `text` on one line: control characters and line separators escaped, cut to `max_chars` characters.
pub(crate) fn one_line(text: &str, max_chars: usize) -> String {
    let mut line = String::with_capacity(text.len().min(max_chars.saturating_add(3)));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            line.push_str("...");
            break;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}
