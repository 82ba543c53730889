//! Getting plans from what the user gives: a file or stdin, raw JSON or pasted psql output.
//!
//! [`read_input`] reads and checks the bytes, [`unwrap`] finds the JSON in pasted text
//! (psql tables, expanded records, CSV...), and [`load`] / [`load_str`] do both and parse the
//! plans, reporting any problem as one [`InputError`] line that names the input and, for JSON
//! errors, the line and column in the text as the user gave it.

mod error;
mod read;
mod text;
mod unwrap;

pub use error::{InputError, InputErrorKind};
pub use read::{read_input, Input, DEFAULT_MAX_INPUT_BYTES};
pub use text::Text;
pub use unwrap::{unwrap, Layout, Unwrapped};

use crate::plan::{parse_plans, Explain, ParseError};

/// The plans read from one input.
#[derive(Debug)]
pub struct Loaded {
    /// The input's name: its path as given, or `<stdin>`.
    pub name: String,
    /// Every plan in the input, in order.
    pub plans: Vec<Explain>,
}

/// Reads the file at `path` (or stdin for `-`, at most `max_bytes`), unwraps pasted output and
/// parses the plans in it.
pub fn load(path: &str, max_bytes: u64) -> Result<Loaded, InputError> {
    let input = read_input(path, max_bytes)?;
    let plans = load_str(&input.name, input.text.as_str())?;
    Ok(Loaded {
        name: input.name,
        plans,
    })
}

/// Unwraps and parses plans from text already in memory; `name` is used in errors.
pub fn load_str(name: &str, text: &str) -> Result<Vec<Explain>, InputError> {
    let unwrapped = unwrap(text).map_err(|error| error.with_name(name))?;
    parse_plans(&unwrapped.text).map_err(|error| parse_error(name, &unwrapped, &error))
}

/// A parse error as an [`InputError`] at the position in the original text.
fn parse_error(name: &str, unwrapped: &Unwrapped<'_>, error: &ParseError) -> InputError {
    let (kind, what) = if error.truncated {
        (InputErrorKind::Truncated, "truncated JSON")
    } else if error.not_a_plan {
        (InputErrorKind::NotAPlan, "not a plan")
    } else {
        (InputErrorKind::Syntax, "invalid JSON")
    };
    let message = &*error.message;
    let message = if message.starts_with("no plan found") {
        message.to_owned()
    } else {
        format!("{what}: {message}")
    };
    let (line, column) = unwrapped.original_position(error.line, error.column);
    InputError::new(name, kind, &message).at(line, column)
}
