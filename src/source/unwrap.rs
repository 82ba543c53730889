//! Finds the JSON in pasted text: psql's tables, expanded records, CSV, or a JSON string literal.
//!
//! Every layout is undone line by line, in one pass and without recursion, and each output line
//! remembers where it came from, so a JSON error is reported at the line and column the user
//! sees in the text they gave. Bare JSON, the common and the large case, is not copied at all.

use std::borrow::Cow;

use super::error::{InputError, InputErrorKind};
use super::read::empty;
use crate::sql::{explained_statement, without_prompt};

/// The name errors from [`unwrap`] carry until the caller names the input.
const UNNAMED: &str = "<input>";

/// Characters that frame psql's tables: ASCII and `\pset linestyle unicode`, single and
/// double.
const BORDERS: [char; 3] = ['|', '│', '║'];

/// psql's marks where `\pset format wrapped` breaks a line: ASCII and unicode (old-ascii marks
/// it with a space, which the text reader's continuation rule joins).
const WRAP_MARKS: [char; 2] = ['.', '…'];

/// psql's marks at the end of a line continued on the next: ASCII and unicode.
const CONTINUATIONS: [char; 2] = ['+', '↵'];

/// How the JSON was wrapped in the text [`unwrap`] was given (for several results, the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Bare JSON (EXPLAIN's own output, `psql -At`), or text in no layout planlint knows:
    /// passed on unchanged.
    Json,
    /// psql's aligned table (the default), in any border style, with or without the
    /// `QUERY PLAN` header and the row-count footer.
    Aligned,
    /// psql's unaligned output (`psql -A`) with its `QUERY PLAN` header and footer.
    Unaligned,
    /// psql's expanded output (`psql -x`, `\x`), aligned or unaligned.
    Expanded,
    /// CSV (`psql --csv`, or a cell copied from pgAdmin or DBeaver): a double-quoted field
    /// with `""` for each `"`.
    Csv,
    /// The whole plan as one JSON string literal, `"[{\"Plan\": ...}]"`.
    JsonString,
}

/// The JSON found in a text, with the way back to the text's own lines and columns.
#[derive(Debug, Clone)]
pub struct Unwrapped<'a> {
    /// The JSON: borrowed from the input when it was bare JSON, rebuilt otherwise.
    pub text: Cow<'a, str>,
    /// How the JSON was wrapped.
    pub layout: Layout,
    /// The input, without a byte order mark.
    original: &'a str,
    /// Where runs of output lines came from, by first output line; empty when unchanged.
    segments: Vec<Segment>,
    /// The statements of the EXPLAIN commands echoed before the results (a pasted psql
    /// session, `psql -e`), in order; empty when there were none.
    pub statements: Vec<String>,
}

/// Where a run of output lines came from.
#[derive(Debug, Clone, Copy)]
enum Segment {
    /// Output lines from `out_line` on are original lines from `line` on, less a prefix of
    /// `shift` bytes (psql's padding and borders).
    Lines {
        out_line: usize,
        line: usize,
        shift: usize,
    },
    /// Output lines from `out_line` on were decoded from the quoted field whose content spans
    /// bytes `start..end` of the original and starts at `line`, byte `column`.
    Quoted {
        out_line: usize,
        quoting: Quoting,
        start: usize,
        end: usize,
        line: usize,
        column: usize,
    },
}

impl Segment {
    /// The first output line the segment describes.
    fn out_line(&self) -> usize {
        match *self {
            Segment::Lines { out_line, .. } | Segment::Quoted { out_line, .. } => out_line,
        }
    }
}

/// How a quoted field escapes its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// CSV: `""` stands for `"`.
    Csv,
    /// A JSON string literal: backslash escapes.
    Json,
}

impl Unwrapped<'_> {
    /// Maps a position in [`Unwrapped::text`] back to the input.
    ///
    /// Takes a 1-based line and column as the JSON parser reports them (the column counted in
    /// bytes; 0 means the end of the previous line) and returns the 1-based line and column of
    /// the same character in the input given to [`unwrap`] (less a byte order mark), the
    /// column counted in characters as editors show it. A line of 0 (unknown) gives `(0, 0)`.
    pub fn original_position(&self, line: usize, column: usize) -> (usize, usize) {
        if line == 0 {
            return (0, 0);
        }
        let (line, column) = match (column, line) {
            (0, 2..) => {
                let previous = nth_line(&self.text, line - 1).map_or(0, str::len);
                (line - 1, previous + 1)
            }
            _ => (line, column.max(1)),
        };
        let index = self.segments.partition_point(|s| s.out_line() <= line);
        let (line, byte_column) = match index.checked_sub(1).map(|i| self.segments[i]) {
            None => (line, column),
            Some(Segment::Lines {
                out_line,
                line: first,
                shift,
            }) => (first + (line - out_line), column.saturating_add(shift)),
            Some(Segment::Quoted {
                out_line,
                quoting,
                start,
                end,
                line: first,
                column: first_column,
            }) => walk_to(
                self.original,
                quoting,
                start..end,
                (first, first_column),
                (line - out_line, column),
            ),
        };
        (line, char_column(self.original, line, byte_column))
    }
}

/// Finds the plan JSON in `text`, whichever way it was pasted.
///
/// Recognises bare JSON (returned borrowed, without a copy), psql's aligned tables (any
/// border, ASCII or unicode lines, with or without header and footer), `psql -A` and `-At`
/// output, expanded records (`psql -x`), CSV (`psql --csv`, pgAdmin, DBeaver) and a plan
/// quoted as one JSON string; several results one after another; and prompts, commands and
/// timings around them, which are skipped. Text in no known layout is returned unchanged for
/// the parser to report on.
///
/// Fails with [`InputErrorKind::Empty`] when there is nothing but whitespace or the results
/// hold no rows. Errors are named `<input>`; see [`InputError::with_name`].
pub fn unwrap(text: &str) -> Result<Unwrapped<'_>, InputError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let Some(first) = text.find(|c: char| !c.is_whitespace()) else {
        return Err(empty(UNNAMED));
    };
    let first_line = text[first..].lines().next().unwrap_or_default();
    let unchanged = Unwrapped {
        text: Cow::Borrowed(text),
        layout: Layout::Json,
        original: text,
        segments: Vec::new(),
        statements: Vec::new(),
    };
    if (is_json_start(first_line) && !is_continued(first_line)) || is_bare_text_plan(first_line) {
        return Ok(unchanged);
    }
    let built = Builder::run(text);
    let unwrapped = match built.layout {
        None => unchanged,
        Some(_) if built.out.trim().is_empty() => {
            return Err(InputError::new(
                UNNAMED,
                InputErrorKind::Empty,
                "the pasted result holds no plan (0 rows): expected what EXPLAIN prints",
            ))
        }
        Some(layout) => Unwrapped {
            text: Cow::Owned(built.out),
            layout,
            original: text,
            segments: built.segments,
            statements: built.statements,
        },
    };
    Ok(unwrapped)
}

/// The unwrapped text being built, with where each of its lines came from.
struct Builder<'a> {
    original: &'a str,
    out: String,
    /// Lines written to `out` so far.
    lines: usize,
    segments: Vec<Segment>,
    /// The layout of the first result found.
    layout: Option<Layout>,
    /// Whether the last line written is incomplete: psql wrapped it onto the next.
    wrapped: bool,
    /// The width in characters of the last table rule read (a wrapped row fills it).
    rule_width: usize,
    /// An echoed EXPLAIN command being read (its lines joined), until its result comes.
    command: Option<String>,
    /// The statements of the EXPLAIN commands read.
    statements: Vec<String>,
}

impl<'a> Builder<'a> {
    /// Reads the whole text: skips what is not a result, unwraps each result found.
    fn run(original: &'a str) -> Self {
        let mut builder = Self {
            original,
            out: String::with_capacity(original.len()),
            lines: 0,
            segments: Vec::new(),
            layout: None,
            wrapped: false,
            rule_width: 0,
            command: None,
            statements: Vec::new(),
        };
        let mut cursor = Cursor {
            text: original,
            pos: 0,
            number: 1,
        };
        while let Some(line) = cursor.peek() {
            let trimmed = line.text.trim();
            if is_header(trimmed) {
                cursor.advance(line);
                builder.table(&mut cursor);
            } else if let Some(label) = expanded_label(line.text) {
                builder.expanded(&mut cursor, line, label);
            } else if is_json_start(line.text.strip_prefix(' ').unwrap_or(line.text)) {
                if is_continued(line.text) {
                    // Aligned output without header and footer (`psql -t`).
                    builder.found(Layout::Aligned);
                    builder.aligned_rows(&mut cursor);
                } else {
                    builder.found(Layout::Json);
                    builder.verbatim(&mut cursor);
                }
            } else if is_quoted_start(line.text) {
                builder.quoted(&mut cursor, line, 0);
            } else if let Some(content) = quoted_row(line.text) {
                // A row copied from a GUI, quoted: `"Seq Scan on orders  (cost=...)"`.
                cursor.advance(line);
                builder.found(Layout::Csv);
                builder.push_line(line.number, 1, &content);
            } else {
                // A prompt, a command, a rule, a footer, a record heading, a timing... An
                // EXPLAIN command is kept for the statement it names.
                let command = without_prompt(line.text.trim());
                if command
                    .get(..7)
                    .is_some_and(|word| word.eq_ignore_ascii_case("EXPLAIN"))
                {
                    builder.command = Some(line.text.to_owned());
                } else if let Some(command) = &mut builder.command {
                    command.push('\n');
                    command.push_str(without_prompt(line.text.trim()));
                }
                cursor.advance(line);
            }
        }
        builder
    }

    /// Notes the layout of a result, if it is the first, and the statement echoed before it.
    fn found(&mut self, layout: Layout) {
        self.layout.get_or_insert(layout);
        if let Some(command) = self.command.take() {
            self.statements.extend(explained_statement(&command));
        }
    }

    /// Appends one output line: original line `number` less its first `shift` bytes.
    fn push_line(&mut self, number: usize, shift: usize, content: &str) {
        if std::mem::take(&mut self.wrapped) {
            // The rest of a line psql wrapped: it completes the line already written.
            self.out.push_str(content);
            self.out.push('\n');
            return;
        }
        let out_line = self.lines + 1;
        let continues = matches!(
            self.segments.last(),
            Some(&Segment::Lines { out_line: first_out, line, shift: same })
                if same == shift && number.checked_sub(line) == Some(out_line - first_out)
        );
        if !continues {
            self.segments.push(Segment::Lines {
                out_line,
                line: number,
                shift,
            });
        }
        self.out.push_str(content);
        self.out.push('\n');
        self.lines = out_line;
    }

    /// A result under a `QUERY PLAN` header: aligned (a rule follows), CSV or unaligned.
    fn table(&mut self, cursor: &mut Cursor<'a>) {
        let Some(next) = cursor.peek() else {
            return;
        };
        if is_rule(next.text.trim()) {
            cursor.advance(next);
            self.rule_width = next.text.trim_end().chars().count();
            self.found(Layout::Aligned);
            self.aligned_rows(cursor);
        } else if is_quoted_start(next.text) {
            self.quoted(cursor, next, 0);
        } else if next.text.starts_with('"') {
            // CSV of a text plan, every row quoted (COPY ... FORCE_QUOTE, GUI copies).
            self.found(Layout::Csv);
            self.verbatim(cursor);
        } else {
            self.found(Layout::Unaligned);
            self.verbatim(cursor);
        }
    }

    /// An expanded record, from its `QUERY PLAN | ...` line.
    fn expanded(&mut self, cursor: &mut Cursor<'a>, line: Line<'a>, label: Label) {
        match label {
            Label::Aligned { value, framed } => {
                cursor.advance(line);
                self.found(Layout::Expanded);
                let content = line.text.get(value..).unwrap_or_default();
                self.push_line(line.number, value, strip_line_end(content, framed));
                self.rows(cursor, value, framed);
            }
            Label::Unaligned { value } => {
                cursor.advance(line);
                self.found(Layout::Expanded);
                let content = line.text.get(value..).unwrap_or_default();
                self.push_line(line.number, value, content);
                self.verbatim(cursor);
            }
            Label::Csv { quote } => self.quoted(cursor, line, quote),
            Label::CsvBare { value } => {
                cursor.advance(line);
                self.found(Layout::Expanded);
                self.push_line(
                    line.number,
                    value,
                    line.text.get(value..).unwrap_or_default(),
                );
            }
        }
    }

    /// The rows of an aligned table, whose padding is read from the first row.
    fn aligned_rows(&mut self, cursor: &mut Cursor<'a>) {
        let Some(first) = cursor.peek() else {
            return;
        };
        let prefix = first.text.len() - first.text.trim_start_matches(is_padding).len();
        let framed = first.text.starts_with(BORDERS);
        self.rows(cursor, prefix, framed);
    }

    /// Lines of an aligned value: each less `prefix` bytes of padding and borders, and less
    /// its trailing padding, continuation mark and (when `framed`) right border. Stops after a
    /// footer, a rule, a blank line or a Markdown code fence, and before a line without the
    /// padding.
    fn rows(&mut self, cursor: &mut Cursor<'a>, prefix: usize, framed: bool) {
        while let Some(line) = cursor.peek() {
            let trimmed = line.text.trim();
            if trimmed.is_empty() || is_footer(trimmed) || is_rule(trimmed) || is_fence(trimmed) {
                cursor.advance(line);
                return;
            }
            let Some((shift, content, _)) = split_row(line.text, prefix, self.wrapped) else {
                return;
            };
            cursor.advance(line);
            let content = strip_line_end(content, framed);
            let next = cursor.peek();
            let wraps = content.ends_with(WRAP_MARKS)
                && match next {
                    // A continuation row has the mark in its margin...
                    Some(next) if prefix > 0 => {
                        split_row(next.text, prefix, true).is_some_and(|(_, _, marked)| marked)
                    }
                    // ...or, without a margin (border 0), the wrapped row fills the table (its
                    // mark one column beyond the rule).
                    Some(_) => {
                        self.rule_width > 0
                            && line.text.trim_end().chars().count() >= self.rule_width
                    }
                    None => false,
                };
            if wraps {
                let content = content
                    .strip_suffix(WRAP_MARKS)
                    .expect("the row ends with a wrap mark");
                self.push_line(line.number, shift, content);
                // Take the line break back: the next row continues this line.
                self.out.pop();
                self.wrapped = true;
            } else {
                self.push_line(line.number, shift, content);
            }
        }
    }

    /// Lines taken as they are, up to a footer or the end of a Markdown code block (both
    /// skipped), or the next result's heading.
    fn verbatim(&mut self, cursor: &mut Cursor<'a>) {
        while let Some(line) = cursor.peek() {
            let trimmed = line.text.trim();
            if is_footer(trimmed) || is_fence(trimmed) {
                cursor.advance(line);
                return;
            }
            if is_header(trimmed) || expanded_label(line.text).is_some() {
                return;
            }
            cursor.advance(line);
            if trimmed.is_empty()
                && cursor
                    .peek()
                    .is_some_and(|next| expanded_label(next.text).is_some())
            {
                // The blank line between two expanded records (`psql -x -A`).
                return;
            }
            match quoted_row(line.text) {
                Some(content) => self.push_line(line.number, 1, &content),
                None => self.push_line(line.number, 0, line.text),
            }
        }
    }

    /// A quoted field whose opening quote is byte `quote` of `line`: decoded into the
    /// output, then reading goes on after the line where the field ends.
    fn quoted(&mut self, cursor: &mut Cursor<'a>, line: Line<'a>, quote: usize) {
        let start = line.start + quote + 1;
        let quoting = quoting_of(self.original, start);
        self.found(match quoting {
            Quoting::Csv => Layout::Csv,
            Quoting::Json => Layout::JsonString,
        });
        let before = self.out.len();
        let end = decode(self.original, start, quoting, &mut self.out);
        let decoded_lines = self.out[before..].bytes().filter(|&b| b == b'\n').count();
        self.out.push('\n');
        self.segments.push(Segment::Quoted {
            out_line: self.lines + 1,
            quoting,
            start,
            end,
            line: line.number,
            column: quote + 2,
        });
        self.lines += decoded_lines + 1;
        cursor.resume_after(end);
    }
}

/// Reads a text line by line, keeping the line numbers.
struct Cursor<'a> {
    text: &'a str,
    /// Byte offset of the next line.
    pos: usize,
    /// 1-based number of the next line.
    number: usize,
}

/// One line of the input.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// The line without its line break.
    text: &'a str,
    /// Byte offset of its start in the input.
    start: usize,
    /// Its 1-based number.
    number: usize,
    /// Byte offset of the next line.
    next: usize,
}

impl<'a> Cursor<'a> {
    /// The next line, without moving past it.
    fn peek(&self) -> Option<Line<'a>> {
        let rest = self.text.get(self.pos..).filter(|rest| !rest.is_empty())?;
        let (raw, next) = match rest.find('\n') {
            Some(at) => (&rest[..at], self.pos + at + 1),
            None => (rest, self.text.len()),
        };
        Some(Line {
            text: raw.strip_suffix('\r').unwrap_or(raw),
            start: self.pos,
            number: self.number,
            next,
        })
    }

    /// Moves past `line`.
    fn advance(&mut self, line: Line<'a>) {
        self.pos = line.next;
        self.number = line.number + 1;
    }

    /// Moves to the line after the one holding byte `offset - 1` (the end of a field).
    fn resume_after(&mut self, offset: usize) {
        let bytes = self.text.as_bytes();
        let from = offset.min(bytes.len());
        let next = bytes[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |at| from + at + 1);
        if next > self.pos {
            self.number += bytes[self.pos..next]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.pos = next;
        }
    }
}

/// Where the value starts on an expanded record's `QUERY PLAN` line.
#[derive(Debug, Clone, Copy)]
enum Label {
    /// `QUERY PLAN | [` (or `QUERY PLAN [` without borders): continuation lines are padded
    /// to byte `value`; `framed` when the record has a right border.
    Aligned { value: usize, framed: bool },
    /// `QUERY PLAN|[` (`psql -x -A`): continuation lines are not padded.
    Unaligned { value: usize },
    /// `QUERY PLAN,"[` (`psql -x --csv`): a CSV field opens at byte `quote`.
    Csv { quote: usize },
    /// `QUERY PLAN,Seq Scan on ...` (`psql -x --csv` of a text plan): an unquoted CSV field,
    /// the rest of the line from byte `value`.
    CsvBare { value: usize },
}

/// Reads an expanded record's `QUERY PLAN` line.
fn expanded_label(line: &str) -> Option<Label> {
    let (framed, rest) = match line.strip_prefix(BORDERS) {
        Some(rest) => (true, rest.strip_prefix(' ')?),
        None => (false, line),
    };
    let after = rest.strip_prefix("QUERY PLAN")?;
    let value_at = |value: &str| line.len() - value.len();
    if let Some(value) = after
        .strip_prefix(" | ")
        .or_else(|| after.strip_prefix(" │ "))
        .or_else(|| after.strip_prefix(" ║ "))
    {
        return (!value.trim().is_empty()).then(|| Label::Aligned {
            value: value_at(value),
            framed,
        });
    }
    if framed {
        return None;
    }
    if let Some(value) = after.strip_prefix('|') {
        return Some(Label::Unaligned {
            value: value_at(value),
        });
    }
    if let Some(value) = after.strip_prefix(',') {
        return Some(if value.starts_with('"') {
            Label::Csv {
                quote: value_at(value),
            }
        } else {
            Label::CsvBare {
                value: value_at(value),
            }
        });
    }
    // `\pset border 0`: the value follows one space.
    let value = after.strip_prefix(' ')?;
    (!value.trim().is_empty()).then(|| Label::Aligned {
        value: value_at(value),
        framed: false,
    })
}

/// Whether `c` can pad an aligned value on the left.
fn is_padding(c: char) -> bool {
    c == ' ' || BORDERS.contains(&c)
}

/// An aligned row's margin of `prefix` bytes: its length in bytes, the content after it, and
/// whether it ends with a wrap mark (`.`, `…`: the row continues a wrapped one), which is
/// only allowed `after_wrap`. `None` when the line has no such margin.
fn split_row(line: &str, prefix: usize, after_wrap: bool) -> Option<(usize, &str, bool)> {
    if after_wrap && prefix > 0 {
        let margin = line.get(..prefix - 1)?;
        let rest = &line[prefix - 1..];
        if let Some(mark) = WRAP_MARKS.iter().find(|mark| rest.starts_with(**mark)) {
            if margin.chars().all(is_padding) {
                let shift = prefix - 1 + mark.len_utf8();
                return Some((shift, &line[shift..], true));
            }
        }
    }
    let margin = line.get(..prefix)?;
    margin
        .chars()
        .all(is_padding)
        .then(|| (prefix, &line[prefix..], false))
}

/// A whole line that is one double-quoted CSV field, `"..."`, decoded (`""` is `"`); not a
/// JSON plan quoted as a string.
fn quoted_row(line: &str) -> Option<String> {
    let inner = line.strip_prefix('"')?.strip_suffix('"')?;
    let mut pairs = inner.split("\"\"");
    let lone_quote = pairs.clone().any(|part| part.contains('"'));
    if lone_quote || is_quoted_start(line) {
        return None;
    }
    pairs.next().map(|first| {
        let mut decoded = first.to_owned();
        for part in pairs {
            decoded.push('"');
            decoded.push_str(part);
        }
        decoded
    })
}

/// A line's content without trailing padding, right border and continuation mark.
fn strip_line_end(content: &str, framed: bool) -> &str {
    let mut content = content.trim_end();
    if framed {
        content = content.strip_suffix(BORDERS).unwrap_or(content).trim_end();
    }
    match content.strip_suffix(CONTINUATIONS) {
        Some(rest) => rest.trim_end(),
        None => content,
    }
}

/// Whether a line ends with psql's continuation mark.
fn is_continued(line: &str) -> bool {
    line.trim_end().ends_with(CONTINUATIONS)
}

/// Whether a line can be the first line of a plan's JSON: `[` or `{` followed by nothing, or
/// by what JSON can follow them with (so that a prompt like `[local] db=#` is not).
fn is_json_start(line: &str) -> bool {
    let Some(rest) = line.strip_prefix(['[', '{']) else {
        return false;
    };
    let rest = strip_line_end(rest, false).trim_start();
    rest.is_empty() || rest.starts_with(['{', '[', '"', ']', '}'])
}

/// Whether a text's first line is the top node of a bare text-format plan (`psql -At`, a file
/// EXPLAIN wrote): a name at the line's start, then its estimates or measurements.
fn is_bare_text_plan(first_line: &str) -> bool {
    let name_end = first_line
        .find("  (cost=")
        .or_else(|| first_line.find(" (actual "));
    name_end.is_some_and(|end| {
        let name = &first_line[..end];
        name.starts_with(|c: char| c.is_ascii_alphabetic())
            && !name.starts_with("QUERY PLAN")
            && !name.contains(BORDERS)
    })
}

/// Whether a line opens a plan quoted as one cell: `"[`, `"{` (JSON), `"<explain` (XML) or
/// `"- Plan:` (YAML).
fn is_quoted_start(line: &str) -> bool {
    line.strip_prefix('"').is_some_and(|rest| {
        rest.starts_with(['[', '{'])
            || rest.starts_with("<explain")
            || rest.starts_with("<?xml")
            || rest.starts_with("- Plan:")
    })
}

/// Whether a trimmed line is the `QUERY PLAN` column header (maybe framed or quoted).
fn is_header(trimmed: &str) -> bool {
    let unframed = trimmed
        .strip_prefix(BORDERS)
        .and_then(|rest| rest.strip_suffix(BORDERS))
        .map_or(trimmed, str::trim);
    let unquoted = unframed
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(unframed);
    unquoted == "QUERY PLAN"
}

/// Whether a trimmed line is a table rule: `-----`, `+----+`, `├────┤`...
fn is_rule(trimmed: &str) -> bool {
    trimmed.contains(['-', '─', '═'])
        && trimmed
            .chars()
            .all(|c| matches!(c, '-' | '+' | '\u{2500}'..='\u{257F}'))
}

/// Whether a trimmed line opens or closes a Markdown code block (a paste from a chat or an
/// issue), which is skipped.
fn is_fence(trimmed: &str) -> bool {
    trimmed.starts_with("```") || trimmed.starts_with("~~~")
}

/// Whether a trimmed line is psql's row count footer: `(1 row)`, `(2 rows)`, `(1 Zeile)`...
fn is_footer(trimmed: &str) -> bool {
    let Some(inner) = trimmed
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
    else {
        return false;
    };
    let Some((count, word)) = inner.split_once(' ') else {
        return false;
    };
    !count.is_empty()
        && count.bytes().all(|b| b.is_ascii_digit())
        && !word.is_empty()
        && word.chars().all(char::is_alphabetic)
}

/// How the quoted field whose content starts at byte `start` escapes quotes: CSV if the first
/// quote inside is doubled, a JSON string otherwise.
fn quoting_of(original: &str, start: usize) -> Quoting {
    let bytes = original.as_bytes();
    let first_quote = bytes
        .get(start..)
        .and_then(|rest| rest.iter().position(|&b| b == b'"'))
        .map(|at| start + at);
    match first_quote {
        Some(at) if bytes.get(at + 1) == Some(&b'"') => Quoting::Csv,
        _ => Quoting::Json,
    }
}

/// One step of decoding a quoted field.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The closing quote.
    End,
    /// A byte copied as it is.
    Copy,
    /// A CSV `""`: one `"`.
    Quote,
    /// A JSON escape: the character, and the bytes it took.
    Escape(char, usize),
}

/// The decoding step at byte `at` (which is in bounds).
fn step(bytes: &[u8], at: usize, quoting: Quoting) -> Step {
    match (bytes.get(at), quoting) {
        (Some(b'"'), Quoting::Csv) if bytes.get(at + 1) == Some(&b'"') => Step::Quote,
        (Some(b'"'), _) | (None, _) => Step::End,
        (Some(b'\\'), Quoting::Json) => json_escape(bytes, at),
        _ => Step::Copy,
    }
}

/// Decodes the JSON escape at byte `at` (a backslash); a malformed one copies the backslash,
/// for the parser to report.
fn json_escape(bytes: &[u8], at: usize) -> Step {
    let c = match bytes.get(at + 1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{C}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let Some(unit) = hex4(bytes, at + 2) else {
                return Step::Copy;
            };
            if (0xD800..0xDC00).contains(&unit) && bytes.get(at + 6..at + 8) == Some(b"\\u") {
                if let Some(low) = hex4(bytes, at + 8).filter(|low| (0xDC00..0xE000).contains(low))
                {
                    let code =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    return Step::Escape(char::from_u32(code).unwrap_or('\u{FFFD}'), 12);
                }
            }
            return Step::Escape(char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'), 6);
        }
        _ => return Step::Copy,
    };
    Step::Escape(c, 2)
}

/// The four hex digits at byte `at`, as a number.
fn hex4(bytes: &[u8], at: usize) -> Option<u16> {
    let digits = bytes.get(at..at + 4)?;
    digits.iter().try_fold(0u16, |value, &digit| {
        let digit = char::from(digit).to_digit(16)?;
        Some(value << 4 | u16::try_from(digit).ok()?)
    })
}

/// Decodes the quoted field whose content starts at byte `start` into `out`; returns the byte
/// offset after its closing quote (the end of the text if it has none).
fn decode(original: &str, start: usize, quoting: Quoting, out: &mut String) -> usize {
    let bytes = original.as_bytes();
    let special = |b: &u8| *b == b'"' || (quoting == Quoting::Json && *b == b'\\');
    let mut run = start.min(bytes.len());
    let mut at = run;
    // Every slice below starts and ends at `start`, at the end, or beside an ASCII byte.
    while let Some(found) = bytes[at..].iter().position(special) {
        at += found;
        match step(bytes, at, quoting) {
            Step::End => {
                out.push_str(&original[run..at]);
                return at + 1;
            }
            Step::Quote => {
                out.push_str(&original[run..=at]);
                at += 2;
                run = at;
            }
            Step::Escape(c, length) => {
                out.push_str(&original[run..at]);
                out.push(c);
                at += length;
                run = at;
            }
            Step::Copy => at += 1,
        }
    }
    out.push_str(&original[run..]);
    bytes.len()
}

/// The original line and byte column of output position `target` (a line relative to the
/// field's first, a 1-based byte column) in the field spanning `span` that starts at `first`.
fn walk_to(
    original: &str,
    quoting: Quoting,
    span: std::ops::Range<usize>,
    first: (usize, usize),
    target: (usize, usize),
) -> (usize, usize) {
    let bytes = original.as_bytes();
    let (mut line, mut column) = first;
    let (mut out_line, mut out_column) = (0, 0);
    let mut at = span.start;
    while at < span.end.min(bytes.len()) {
        let (consumed, produced, newline) = match step(bytes, at, quoting) {
            Step::End => break,
            Step::Copy => (1, 1, bytes[at] == b'\n'),
            Step::Quote => (2, 1, false),
            Step::Escape(c, length) => (length, c.len_utf8(), c == '\n'),
        };
        if out_line == target.0 && (newline || target.1 <= out_column + produced) {
            break;
        }
        if bytes[at] == b'\n' {
            line += 1;
            column = 1;
        } else {
            column += consumed;
        }
        if newline {
            out_line += 1;
            out_column = 0;
        } else {
            out_column += produced;
        }
        at += consumed;
    }
    (line, column)
}

/// The 1-based `line` of `text` (1-based), without its line break.
fn nth_line(text: &str, line: usize) -> Option<&str> {
    let content = text.split('\n').nth(line.checked_sub(1)?)?;
    Some(content.strip_suffix('\r').unwrap_or(content))
}

/// The 1-based character column of 1-based byte column `byte_column` on `line` of `text`.
fn char_column(text: &str, line: usize, byte_column: usize) -> usize {
    let Some(content) = nth_line(text, line) else {
        return byte_column;
    };
    let bytes = content.as_bytes();
    let index = byte_column.saturating_sub(1);
    let starts = |slice: &[u8]| slice.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    match bytes.get(..=index) {
        Some(upto) => starts(upto).max(1),
        None => starts(bytes) + (index - bytes.len()) + 1,
    }
}
