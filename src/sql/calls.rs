//! The function calls and operators written in SQL text: a statement as the user wrote it, or an
//! expression as PostgreSQL deparses it in `EXPLAIN (VERBOSE)` (where views are expanded).
//!
//! This is a lexer, not a parser: it finds every `name(` and `schema.name(` outside string
//! literals, quoted text and comments, with the arguments' text, and every operator symbol. It
//! may find more than there is (`IN (`, a column list `t (a, b)`): a name that is no function
//! resolves to nothing. It must never find less, so it reads all of SQL's quoting: `'...'` with
//! `''`, `E'...'` with backslashes, `$tag$...$tag$`, `"..."` with `""`, `--` and nested `/* */`.

use std::collections::BTreeSet;

/// One call of a function, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The schema, when the name was qualified (`pg_catalog.pg_notify`).
    pub schema: Option<String>,
    /// The function's name, folded to lower case unless it was quoted.
    pub name: String,
    /// Each argument's text, trimmed (an empty list for `f()`).
    pub arguments: Vec<String>,
}

/// What SQL text calls: functions, and operators (which run functions too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls {
    /// Every function call, nested ones included, in order of appearance.
    pub functions: Vec<Call>,
    /// Every operator symbol (`=`, `@@`, `===`), each once.
    pub operators: BTreeSet<String>,
}

impl Calls {
    /// Adds what `text` calls.
    pub fn scan(&mut self, text: &str) {
        let mut lexer = Lexer::new(text);
        // The identifiers just read, joined by dots: `schema.name` or `name`.
        let mut chain: Vec<String> = Vec::new();
        // Whether that chain names a type, right after `::`.
        let mut chain_is_type = false;
        let mut previous = Previous::Other;
        while let Some(token) = lexer.next_token() {
            previous = match token {
                Token::Identifier(name) => {
                    if previous == Previous::Dot && !chain.is_empty() {
                        chain.push(name);
                    } else {
                        chain = vec![name];
                        chain_is_type = previous == Previous::Cast;
                    }
                    Previous::Identifier
                }
                Token::Dot if previous == Previous::Identifier => Previous::Dot,
                Token::OpenParen { at } => {
                    if previous == Previous::Identifier && !chain_is_type {
                        let name = chain.pop().unwrap_or_default();
                        self.functions.push(Call {
                            schema: chain.pop(),
                            name,
                            arguments: arguments_at(text, at),
                        });
                    }
                    Previous::Other
                }
                Token::Operator(symbol) if symbol == "::" => Previous::Cast,
                Token::Operator(symbol) => {
                    self.operators.insert(symbol);
                    Previous::Other
                }
                Token::Dot | Token::Punctuation(_) | Token::Other => Previous::Other,
            };
            if previous != Previous::Identifier && previous != Previous::Dot {
                chain.clear();
            }
        }
    }
}

/// The kind of the token before the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    Identifier,
    Dot,
    Cast,
    Other,
}

/// What a lexer step found.
enum Token {
    /// A name, folded unless quoted.
    Identifier(String),
    /// `(` at byte offset `at`.
    OpenParen { at: usize },
    /// `.` between names.
    Dot,
    /// A run of operator characters, or `::`.
    Operator(String),
    /// `)`, `,`, `[` or `]`.
    Punctuation(u8),
    /// Anything else: a literal, a number, a parameter, other punctuation.
    Other,
}

/// Characters PostgreSQL's operators are made of.
const OPERATOR_CHARS: &[u8] = b"+-*/<>=~!@#%^&|`?";

/// The lexer over SQL text.
struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    position: usize,
    /// Where the last token started.
    token_start: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            position: 0,
            token_start: 0,
        }
    }

    fn next_token(&mut self) -> Option<Token> {
        self.skip_blanks_and_comments();
        let start = self.position;
        self.token_start = start;
        let &byte = self.bytes.get(start)?;
        let token = match byte {
            b'\'' => {
                self.skip_quoted(b'\'', false);
                Token::Other
            }
            b'"' => Token::Identifier(self.read_quoted_identifier()),
            b'(' => {
                self.position += 1;
                Token::OpenParen { at: start }
            }
            b'.' if !self.bytes.get(start + 1).is_some_and(u8::is_ascii_digit) => {
                self.position += 1;
                Token::Dot
            }
            b'$' => {
                self.skip_dollar();
                Token::Other
            }
            b':' if self.bytes.get(start + 1) == Some(&b':') => {
                self.position += 2;
                Token::Operator("::".to_owned())
            }
            b'0'..=b'9' | b'.' => {
                self.position += 1;
                while self
                    .bytes
                    .get(self.position)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_')
                {
                    self.position += 1;
                }
                Token::Other
            }
            byte if is_identifier_start(byte) && self.identifier_end_from(start) > start => {
                let end = self.identifier_end_from(start);
                let word = &self.text[start..end];
                self.position = end;
                // E'...' (and e'...'): a string with backslash escapes.
                if word.eq_ignore_ascii_case("e") && self.bytes.get(end) == Some(&b'\'') {
                    self.skip_quoted(b'\'', true);
                    Token::Other
                } else {
                    Token::Identifier(word.to_ascii_lowercase())
                }
            }
            b')' | b',' | b'[' | b']' => {
                self.position += 1;
                Token::Punctuation(byte)
            }
            byte if OPERATOR_CHARS.contains(&byte) => {
                while self
                    .bytes
                    .get(self.position)
                    .is_some_and(|b| OPERATOR_CHARS.contains(b))
                    && !self.comment_starts_here()
                {
                    self.position += 1;
                }
                if self.position == start {
                    // A comment right here: skipped on the next step.
                    return self.next_token();
                }
                Token::Operator(self.text[start..self.position].to_owned())
            }
            _ => {
                self.position += self.text[start..].chars().next().map_or(1, char::len_utf8);
                Token::Other
            }
        };
        Some(token)
    }

    fn identifier_end_from(&self, start: usize) -> usize {
        let mut end = start;
        for (offset, character) in self.text[start..].char_indices() {
            if character.is_alphanumeric() || character == '_' || character == '$' {
                end = start + offset + character.len_utf8();
            } else {
                break;
            }
        }
        end
    }

    fn comment_starts_here(&self) -> bool {
        matches!(
            self.bytes.get(self.position..self.position + 2),
            Some(b"--") | Some(b"/*")
        )
    }

    fn skip_blanks_and_comments(&mut self) {
        loop {
            while self
                .bytes
                .get(self.position)
                .is_some_and(u8::is_ascii_whitespace)
            {
                self.position += 1;
            }
            match self.bytes.get(self.position..self.position + 2) {
                Some(b"--") => {
                    while self.bytes.get(self.position).is_some_and(|b| *b != b'\n') {
                        self.position += 1;
                    }
                }
                Some(b"/*") => {
                    // Block comments nest in PostgreSQL.
                    let mut depth = 0usize;
                    while self.position < self.bytes.len() {
                        match self.bytes.get(self.position..self.position + 2) {
                            Some(b"/*") => {
                                depth += 1;
                                self.position += 2;
                            }
                            Some(b"*/") => {
                                depth -= 1;
                                self.position += 2;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => self.position += 1,
                        }
                    }
                }
                _ => return,
            }
        }
    }

    /// Skips `'...'` (or `"..."`), where a doubled quote stands for one, and with
    /// `backslashes` a backslash escapes the next character.
    fn skip_quoted(&mut self, quote: u8, backslashes: bool) {
        self.position += 1;
        while let Some(&byte) = self.bytes.get(self.position) {
            self.position += 1;
            if backslashes && byte == b'\\' {
                self.position += 1;
            } else if byte == quote {
                if self.bytes.get(self.position) == Some(&quote) {
                    self.position += 1;
                } else {
                    return;
                }
            }
        }
        self.position = self.position.min(self.bytes.len());
    }

    fn read_quoted_identifier(&mut self) -> String {
        let start = self.position + 1;
        self.skip_quoted(b'"', false);
        let end = if self.bytes.get(self.position - 1) == Some(&b'"') && self.position > start {
            self.position - 1
        } else {
            self.position
        };
        self.text
            .get(start..end)
            .unwrap_or_default()
            .replace("\"\"", "\"")
    }

    /// Skips `$1` (a parameter) or `$tag$ ... $tag$` (a dollar-quoted string).
    fn skip_dollar(&mut self) {
        let start = self.position;
        let rest = &self.text[start + 1..];
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            self.position += 1;
            while self
                .bytes
                .get(self.position)
                .is_some_and(u8::is_ascii_digit)
            {
                self.position += 1;
            }
            return;
        }
        let tag_length = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if rest[tag_length..].starts_with('$') {
            let tag = &self.text[start..start + tag_length + 2];
            let body = start + tag.len();
            self.position = match self.text[body..].find(tag) {
                Some(offset) => body + offset + tag.len(),
                None => self.bytes.len(),
            };
        } else {
            self.position += 1;
        }
    }
}

fn is_identifier_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

/// The arguments of the call whose `(` is at byte `open`: the text between the parentheses,
/// split at the commas outside nested parentheses, brackets, quotes and comments.
fn arguments_at(text: &str, open: usize) -> Vec<String> {
    let mut lexer = Lexer::new(text);
    lexer.position = open + 1;
    let mut arguments = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    while let Some(token) = lexer.next_token() {
        let at = lexer.token_start;
        match token {
            Token::OpenParen { .. } | Token::Punctuation(b'[') => depth += 1,
            Token::Punctuation(b')' | b']') if depth > 0 => depth -= 1,
            Token::Punctuation(b')') => {
                let last = text[start..at].trim();
                if !last.is_empty() || !arguments.is_empty() {
                    arguments.push(last.to_owned());
                }
                return arguments;
            }
            Token::Punctuation(b',') if depth == 0 => {
                arguments.push(text[start..at].trim().to_owned());
                start = at + 1;
            }
            _ => {}
        }
    }
    // Unbalanced: the rest of the text is the last argument.
    arguments.push(text[start..].trim().to_owned());
    arguments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(text: &str) -> Calls {
        let mut calls = Calls::default();
        calls.scan(text);
        calls
    }

    fn names(text: &str) -> Vec<String> {
        calls(text)
            .functions
            .into_iter()
            .map(|call| match call.schema {
                Some(schema) => format!("{schema}.{}", call.name),
                None => call.name,
            })
            .collect()
    }

    #[test]
    fn calls_are_found_with_their_schema_and_arguments() {
        let found = calls(
            "SELECT pg_catalog.set_config('work_mem', '1GB', false), \"MyFunc\"(1), n FROM t",
        );
        assert_eq!(
            found.functions,
            [
                Call {
                    schema: Some("pg_catalog".into()),
                    name: "set_config".into(),
                    arguments: vec!["'work_mem'".into(), "'1GB'".into(), "false".into()],
                },
                Call {
                    schema: None,
                    name: "MyFunc".into(),
                    arguments: vec!["1".into()],
                },
            ]
        );
        assert_eq!(calls("SELECT now()").functions[0].arguments.len(), 0);
    }

    #[test]
    fn nested_calls_and_calls_as_postgresql_deparses_them_are_found() {
        assert_eq!(
            names("(lower((email)::text) = pg_notify('x'::text, upper(('y'::character varying)::text)))"),
            ["lower", "pg_notify", "upper"]
        );
        assert_eq!(
            names("SELECT * FROM generate_series(1, 3) g, LATERAL public.f (g)"),
            ["generate_series", "public.f"]
        );
    }

    #[test]
    fn quoted_text_and_comments_hide_nothing_and_show_nothing() {
        assert_eq!(
            names(
                "SELECT 'pg_notify(1)', E'it\\'s nextval(', $q$ setval( $q$, $$lo_unlink($$, \
                 \"pg_terminate_backend(\" -- nextval(\n /* pg_sleep( /* nested */ still( */ \
                 real_one($1)"
            ),
            ["real_one"]
        );
    }

    #[test]
    fn type_names_after_a_cast_are_not_calls() {
        assert_eq!(
            names("SELECT x::numeric(10, 2), y::character varying(5), pg_sleep(0)"),
            ["varying", "pg_sleep"]
        );
    }

    #[test]
    fn arguments_split_at_top_level_commas_only() {
        let found = calls("set_config(format('%s,%s', a, b), '1,2', (true))");
        assert_eq!(
            found.functions[0].arguments,
            ["format('%s,%s', a, b)", "'1,2'", "(true)"]
        );
    }

    #[test]
    fn operators_are_collected_but_casts_and_comments_are_not() {
        let found = calls("a = b AND c @@ d::int OR e OPERATOR(app.===) f -- <<\n/* >> */");
        assert_eq!(
            found.operators.into_iter().collect::<Vec<_>>(),
            ["=", "===", "@@"]
        );
    }

    #[test]
    fn broken_text_does_not_panic() {
        for text in [
            "f(",
            "'open",
            "\"open",
            "$tag$ open",
            "/* open",
            "E'",
            "f('a",
            "x.",
            "$",
            "(((",
            "é(1)",
            "f(\"a",
            "€",
            "'€",
            "E'\\€'",
            "$€$ x",
        ] {
            let _ = calls(text);
        }
        assert_eq!(names("é(1)"), ["é"]);
        // A character that starts no name (a symbol outside ASCII) is stepped over.
        assert_eq!(names("€ f(1) €"), ["f"]);
    }
}
