//! Reads an input file or stdin into text, refusing what cannot be a plan before parsing it.

use std::fs::{self, File};
use std::io::{self, Read};

use super::error::{InputError, InputErrorKind};
use super::text::{self, Text, MAP_AT_BYTES};

/// The default largest input planlint reads: 512 MiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

/// The name standard input goes by in messages.
const STDIN_NAME: &str = "<stdin>";

/// What the user is told an input should be.
const EXPECTED: &str = "expected what EXPLAIN prints (text, JSON, YAML or XML)";

/// One input, read and checked to be non-empty UTF-8 text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as given, or `<stdin>`.
    pub name: String,
    /// The whole text, without a byte order mark (UTF-16 input is converted to UTF-8).
    pub text: Text,
}

/// Reads the file at `path`, or standard input when `path` is `-`.
///
/// A file larger than `max_bytes` is refused from its size before anything is read; standard
/// input (and pipes, devices) are read up to `max_bytes` and refused beyond. Refuses a missing
/// or unreadable file, a directory, empty or whitespace-only input, and binary data (a NUL byte
/// or invalid UTF-8, with its byte offset). A UTF-8 byte order mark is dropped, and UTF-16 with
/// a byte order mark (what Windows PowerShell redirections write) is converted.
pub fn read_input(path: &str, max_bytes: u64) -> Result<Input, InputError> {
    let (name, text) = if path == "-" {
        let text = read_text(STDIN_NAME, io::stdin().lock(), max_bytes, 0)?;
        (STDIN_NAME, text)
    } else {
        let metadata = fs::metadata(path).map_err(|error| io_error(path, &error))?;
        if metadata.is_dir() {
            return Err(InputError::new(
                path,
                InputErrorKind::Io,
                "cannot read: is a directory",
            ));
        }
        let size_hint = if metadata.is_file() {
            if metadata.len() > max_bytes {
                return Err(too_large(path, Some(metadata.len()), max_bytes));
            }
            metadata.len()
        } else {
            0
        };
        let file = File::open(path).map_err(|error| io_error(path, &error))?;
        let text = if metadata.is_file() && size_hint >= MAP_AT_BYTES {
            map_text(path, &file, max_bytes)?
        } else {
            read_text(path, file, max_bytes, size_hint)?
        };
        (path, text)
    };
    Ok(Input {
        name: name.to_owned(),
        text,
    })
}

/// A large file's text, mapped rather than copied into memory.
fn map_text(name: &str, file: &File, max_bytes: u64) -> Result<Text, InputError> {
    let map = text::map(file).map_err(|error| io_error(name, &error))?;
    // The file may have grown since its size was checked.
    if u64::try_from(map.len()).map_or(true, |len| len > max_bytes) {
        return Err(too_large(name, None, max_bytes));
    }
    if utf16_bom(&map) {
        return not_blank(name, decode_utf16_bom(name, &map)?).map(Text::from);
    }
    let text = check_utf8(name, &map)?;
    if text.trim().is_empty() {
        return Err(empty(name));
    }
    let start = map.len() - text.len();
    Ok(Text::mapped(map, start))
}

/// Refuses text that is empty or only whitespace.
fn not_blank(name: &str, text: String) -> Result<String, InputError> {
    if text.trim().is_empty() {
        return Err(empty(name));
    }
    Ok(text)
}

/// The error for input that is empty or only whitespace.
pub(crate) fn empty(name: &str) -> InputError {
    InputError::new(
        name,
        InputErrorKind::Empty,
        &format!("empty input: {EXPECTED}"),
    )
}

/// Reads and decodes text of at most `max_bytes` bytes.
fn read_text(
    name: &str,
    reader: impl Read,
    max_bytes: u64,
    size_hint: u64,
) -> Result<Text, InputError> {
    let bytes =
        read_capped(reader, max_bytes, size_hint).map_err(|error| io_error(name, &error))?;
    if u64::try_from(bytes.len()).map_or(true, |len| len > max_bytes) {
        return Err(too_large(name, None, max_bytes));
    }
    not_blank(name, decode(name, bytes)?).map(Text::from)
}

/// Reads at most `max_bytes + 1` bytes, so that input over the limit is noticed without
/// reading all of it.
fn read_capped(reader: impl Read, max_bytes: u64, size_hint: u64) -> io::Result<Vec<u8>> {
    let capacity = usize::try_from(size_hint.min(max_bytes).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Turns the bytes read into text: UTF-8 (without a BOM), or UTF-16 with a BOM.
fn decode(name: &str, mut bytes: Vec<u8>) -> Result<String, InputError> {
    if utf16_bom(&bytes) {
        return decode_utf16_bom(name, &bytes);
    }
    let start = bytes.len() - check_utf8(name, &bytes)?.len();
    bytes.drain(..start);
    String::from_utf8(bytes)
        .map_err(|error| invalid_utf8(name, start + error.utf8_error().valid_up_to()))
}

/// Whether the bytes start with a UTF-16 byte order mark, little or big endian.
fn utf16_bom(bytes: &[u8]) -> bool {
    matches!(bytes, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..])
}

/// Checks that the bytes are UTF-8 without NUL, and returns the text after the UTF-8 byte
/// order mark, if there is one.
fn check_utf8<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    // `contains` on bytes is memchr: one fast pass, and the slow search only on failure.
    if bytes.contains(&0) {
        let offset = bytes.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(binary(name, &format!("NUL byte at byte offset {offset}")));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|error| invalid_utf8(name, error.valid_up_to()))?;
    Ok(text.strip_prefix('\u{FEFF}').unwrap_or(text))
}

/// The error for bytes that are not UTF-8 from `offset` on.
fn invalid_utf8(name: &str, offset: usize) -> InputError {
    binary(
        name,
        &format!("invalid UTF-8 at byte offset {offset} (save the plan as UTF-8 text)"),
    )
}

/// Decodes UTF-16 text that starts with its byte order mark.
fn decode_utf16_bom(name: &str, bytes: &[u8]) -> Result<String, InputError> {
    let mut text = match bytes {
        [0xFF, 0xFE, rest @ ..] => decode_utf16(name, rest, u16::from_le_bytes)?,
        [_, _, rest @ ..] => decode_utf16(name, rest, u16::from_be_bytes)?,
        _ => String::new(),
    };
    if let Some(offset) = text.bytes().position(|b| b == 0) {
        return Err(binary(
            name,
            &format!("NUL character at byte offset {offset}"),
        ));
    }
    if text.starts_with('\u{FEFF}') {
        text.drain(..'\u{FEFF}'.len_utf8());
    }
    Ok(text)
}

/// Decodes UTF-16 code units read with `unit` from pairs of bytes.
fn decode_utf16(name: &str, bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, InputError> {
    let units = bytes.chunks(2).map(|pair| match *pair {
        [a, b] => Ok(unit([a, b])),
        _ => Err(()),
    });
    let mut text = String::with_capacity(bytes.len());
    for (index, unit) in char::decode_utf16(units.map_while(Result::ok)).enumerate() {
        match unit {
            Ok(c) => text.push(c),
            Err(_) => {
                let offset = 2 + 2 * index;
                return Err(binary(
                    name,
                    &format!("invalid UTF-16 near byte offset {offset}"),
                ));
            }
        }
    }
    if bytes.len() % 2 != 0 {
        return Err(binary(name, "UTF-16 text with an odd number of bytes"));
    }
    Ok(text)
}

/// The error for input that is not text.
fn binary(name: &str, what: &str) -> InputError {
    InputError::new(
        name,
        InputErrorKind::Binary,
        &format!("binary data, not text: {what}; {EXPECTED}"),
    )
}

/// The error for input over the size limit; `size` is known for files.
fn too_large(name: &str, size: Option<u64>, max_bytes: u64) -> InputError {
    let message = match size {
        // Close to the limit, rounded sizes would look equal: give the bytes.
        Some(size) if size.saturating_sub(max_bytes) <= max_bytes / 100 => {
            format!("input is {size} bytes, over the {max_bytes}-byte limit")
        }
        Some(size) => format!(
            "input is {}, over the {} limit",
            human_size(size, false),
            human_size(max_bytes, true)
        ),
        None => format!("input is over the {} limit", human_size(max_bytes, true)),
    };
    InputError::new(
        name,
        InputErrorKind::TooLarge,
        &format!("{message} (raise it with --max-input-size)"),
    )
}

/// A size in bytes as people read it: `1.0 GiB`, or `512 MiB` when `exact` and it is whole.
fn human_size(bytes: u64, exact: bool) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (unit, suffix) in UNITS {
        if bytes >= unit {
            if exact && bytes % unit == 0 {
                return format!("{} {suffix}", bytes / unit);
            }
            // Precision lost in the conversion does not show at one decimal.
            #[allow(clippy::cast_precision_loss)]
            let value = bytes as f64 / unit as f64;
            return format!("{value:.1} {suffix}");
        }
    }
    format!("{bytes} bytes")
}

/// The error for an input that could not be read, saying why in a few words.
fn io_error(name: &str, error: &io::Error) -> InputError {
    let why = match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = error.to_string();
            let text = match text.rfind(" (os error ") {
                Some(at) => text[..at].to_owned(),
                None => text,
            };
            let mut chars = text.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_lowercase().chain(chars).collect::<String>()
            })
        }
    };
    InputError::new(name, InputErrorKind::Io, &format!("cannot read: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(DEFAULT_MAX_INPUT_BYTES, true), "512 MiB");
        assert_eq!(human_size(1 << 30, false), "1.0 GiB");
        assert_eq!(human_size(1536, false), "1.5 KiB");
        assert_eq!(human_size(12, true), "12 bytes");
    }

    #[test]
    fn utf16_with_a_bom_is_converted() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("[{}]".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode("x", bytes).unwrap(), "[{}]");
        let mut bytes = vec![0xFE, 0xFF];
        bytes.extend("é".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode("x", bytes).unwrap(), "é");
        let odd = vec![0xFF, 0xFE, b'[', 0, b'x'];
        assert_eq!(decode("x", odd).unwrap_err().kind(), InputErrorKind::Binary);
        let lone_surrogate = vec![0xFF, 0xFE, 0x00, 0xD8, b'x', 0];
        assert_eq!(
            decode("x", lone_surrogate).unwrap_err().kind(),
            InputErrorKind::Binary
        );
    }

    #[test]
    fn a_utf8_bom_is_dropped() {
        assert_eq!(decode("x", b"\xEF\xBB\xBF[]".to_vec()).unwrap(), "[]");
    }
}
