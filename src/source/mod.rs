//! Getting plans from what the user gives: a file or stdin, in any EXPLAIN format (text,
//! JSON, YAML, XML), bare or pasted from psql or a GUI.
//!
//! [`read_input`] reads and checks the bytes, [`unwrap`] takes the plan out of pasted text
//! (psql tables in every border and line style, expanded records, CSV...), and [`load`] /
//! [`read_plans`] do both and parse the plans in whichever format they are, reporting any
//! problem as one [`InputError`] line that names the input and the line and column in the
//! text as the user gave it.

mod error;
pub mod log;
mod read;
mod text;
mod unwrap;

pub use error::{InputError, InputErrorKind};
pub use read::{read_input, Input, DEFAULT_MAX_INPUT_BYTES};
pub use text::Text;
pub use unwrap::{unwrap, Layout, Unwrapped};

use std::fmt;

use crate::plan::{parse_plans, parse_text_plans, Explain, ParseError, ParseWarning};

/// The EXPLAIN format a plan was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    /// `EXPLAIN (FORMAT JSON)`.
    Json,
    /// EXPLAIN's default text format.
    Text,
    /// `EXPLAIN (FORMAT YAML)`.
    Yaml,
    /// `EXPLAIN (FORMAT XML)`.
    Xml,
}

impl PlanFormat {
    /// The format of unwrapped plan text, from its first line.
    fn of(text: &str) -> Self {
        let first = text.trim_start();
        if first.starts_with(['[', '{']) {
            Self::Json
        } else if first.starts_with("- Plan:") {
            Self::Yaml
        } else if first.starts_with("<explain") || first.starts_with("<?xml") {
            Self::Xml
        } else {
            Self::Text
        }
    }
}

/// Something planlint read past in an input, at a place in it: `NAME:LINE:COL: what`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputWarning {
    /// The input's name.
    pub name: String,
    /// 1-based line and column (in characters) in the input as given.
    pub position: (usize, usize),
    /// What was noticed.
    pub message: String,
}

impl fmt::Display for InputWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = self.position;
        write!(f, "{}:{line}:{column}: {}", self.name, self.message)
    }
}

/// The plans read from one input.
#[derive(Debug)]
pub struct Loaded {
    /// The input's name: its path as given, or `<stdin>`.
    pub name: String,
    /// Every plan in the input, in order.
    pub plans: Vec<Explain>,
    /// The EXPLAIN format they were in.
    pub format: PlanFormat,
    /// What was read past: where a text plan looks cut off.
    pub warnings: Vec<InputWarning>,
}

/// Reads the file at `path` (or stdin for `-`, at most `max_bytes`), unwraps pasted output and
/// parses the plans in it.
pub fn load(path: &str, max_bytes: u64) -> Result<Loaded, InputError> {
    let input = read_input(path, max_bytes)?;
    read_plans(&input.name, input.text.as_str())
}

/// What one input turned out to be: plans (a file of EXPLAIN output, a paste), or a server log.
#[derive(Debug)]
pub enum Source {
    /// EXPLAIN output in any format and framing.
    Plans(Loaded),
    /// A server log's auto_explain entries, grouped.
    Log(log::LogRead),
}

/// Reads the file at `path` (or stdin for `-`) as a server log when it is one, else as plans
/// ([`load`]). A log file is streamed, whatever its size, and `progress` is told how many of
/// its bytes are read (and its size) as it goes; stdin is read into memory first (at most
/// `max_bytes`), as plans are.
pub fn read_source(
    path: &str,
    max_bytes: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Source, InputError> {
    if path != "-" {
        if let Some(log) = log::read_log_file(path, progress)? {
            return Ok(Source::Log(log));
        }
        return load(path, max_bytes).map(Source::Plans);
    }
    let input = read_input(path, max_bytes)?;
    let text = input.text.as_str();
    match log::detect_log(log::head(text)) {
        Some(destination) => {
            log::read_log(&input.name, text.as_bytes(), destination).map(Source::Log)
        }
        None => read_plans(&input.name, text).map(Source::Plans),
    }
}

/// Unwraps and parses plans from text already in memory; `name` is used in errors.
pub fn load_str(name: &str, text: &str) -> Result<Vec<Explain>, InputError> {
    read_plans(name, text).map(|loaded| loaded.plans)
}

/// Unwraps and parses plans in any EXPLAIN format from text already in memory, keeping the
/// format and any warnings; `name` is used in errors and warnings.
pub fn read_plans(name: &str, text: &str) -> Result<Loaded, InputError> {
    let unwrapped = unwrap(text).map_err(|error| error.with_name(name))?;
    let format = PlanFormat::of(&unwrapped.text);
    let fail = |error: ParseError| parse_error(name, &unwrapped, format, &error);
    let (mut plans, warnings) = match format {
        PlanFormat::Json => (parse_plans(&unwrapped.text).map_err(fail)?, Vec::new()),
        PlanFormat::Text => {
            let read = parse_text_plans(&unwrapped.text).map_err(fail)?;
            (read.plans, read.warnings)
        }
        PlanFormat::Yaml => (
            crate::plan::parse_yaml_plans(&unwrapped.text).map_err(fail)?,
            Vec::new(),
        ),
        PlanFormat::Xml => (
            crate::plan::parse_xml_plans(&unwrapped.text).map_err(fail)?,
            Vec::new(),
        ),
    };
    // A pasted session names the statement of each plan: the EXPLAIN commands echoed before
    // the results, when there is one for every plan.
    if unwrapped.statements.len() == plans.len() {
        for (plan, statement) in plans.iter_mut().zip(&unwrapped.statements) {
            plan.query_text.get_or_insert_with(|| statement.clone());
        }
    }
    let warnings = warnings
        .into_iter()
        .map(|warning: ParseWarning| InputWarning {
            name: name.to_owned(),
            position: unwrapped.original_position(warning.line, warning.column),
            message: warning.message,
        })
        .collect();
    Ok(Loaded {
        name: name.to_owned(),
        plans,
        format,
        warnings,
    })
}

/// A parse error as an [`InputError`] at the position in the original text.
fn parse_error(
    name: &str,
    unwrapped: &Unwrapped<'_>,
    format: PlanFormat,
    error: &ParseError,
) -> InputError {
    let format_name = match format {
        PlanFormat::Json => "JSON",
        PlanFormat::Text => "text-format plan",
        PlanFormat::Yaml => "YAML",
        PlanFormat::Xml => "XML",
    };
    let (kind, what) = if error.truncated {
        (
            InputErrorKind::Truncated,
            format!("truncated {format_name}"),
        )
    } else if error.not_a_plan {
        (InputErrorKind::NotAPlan, "not a plan".to_owned())
    } else {
        (InputErrorKind::Syntax, format!("invalid {format_name}"))
    };
    let message = &*error.message;
    let message = if message.starts_with("no plan found") {
        message.to_owned()
    } else {
        format!("{what}: {message}")
    };
    // A reader may place an error just past the last line (YAML's end of input).
    let lines = unwrapped.text.lines().count();
    let (line, column) = if error.line > lines {
        let last = unwrapped.text.lines().last().unwrap_or_default();
        (lines, last.len() + 1)
    } else {
        (error.line, error.column)
    };
    let (line, column) = unwrapped.original_position(line, column);
    InputError::new(name, kind, &message).at(line, column)
}
