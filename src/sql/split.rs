//! Splits SQL text into statements at top-level semicolons, keeping each statement's position,
//! so a file of queries is checked one statement at a time and findings point at their line.

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptStatement {
    /// The statement's text, without the semicolon.
    pub text: String,
    /// 1-based line of its first character.
    pub line: usize,
    /// 1-based column of its first character.
    pub column: usize,
}

/// Splits `script` at semicolons outside quotes, dollar quotes and comments. Chunks holding
/// only comments and space are dropped, and so are psql meta-command lines (`\set ...`).
pub fn split_statements(script: &str) -> Vec<ScriptStatement> {
    let bytes = script.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => i = skip_quoted(bytes, i),
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_line(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            b'$' => i = skip_dollar_quoted(bytes, i),
            b'\\' if at_line_start(bytes, i) => i = skip_line(bytes, i),
            b';' => {
                push_statement(script, start, i, &mut statements);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    push_statement(script, start, bytes.len(), &mut statements);
    statements
}

fn push_statement(script: &str, start: usize, end: usize, statements: &mut Vec<ScriptStatement>) {
    let chunk = &script[start..end];
    let without_meta: String = chunk
        .lines()
        .map(|line| {
            if line.trim_start().starts_with('\\') {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let Some(offset) = first_code_offset(&without_meta) else {
        return;
    };
    let absolute = start + offset;
    let before = &script[..absolute];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |tail| tail.chars().count())
        + 1;
    statements.push(ScriptStatement {
        text: without_meta[offset..].trim_end().to_owned(),
        line,
        column,
    });
}

/// The byte offset of the first character that is not space or comment.
fn first_code_offset(chunk: &str) -> Option<usize> {
    let bytes = chunk.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_line(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            _ => return Some(i),
        }
    }
    None
}

fn at_line_start(bytes: &[u8], i: usize) -> bool {
    bytes[..i]
        .iter()
        .rev()
        .take_while(|&&b| b != b'\n')
        .all(|b| b.is_ascii_whitespace())
}

fn skip_line(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| i + n + 1)
}

/// Skips `'...'` or `"..."`, where a doubled quote stands for itself; in an `E'...'` string a
/// backslash escapes the next character.
fn skip_quoted(bytes: &[u8], i: usize) -> usize {
    let quote = bytes[i];
    let escapes = quote == b'\'' && i > 0 && matches!(bytes[i - 1], b'E' | b'e');
    let mut j = i + 1;
    while j < bytes.len() {
        if escapes && bytes[j] == b'\\' {
            j += 2;
        } else if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
            } else {
                return j + 1;
            }
        } else {
            j += 1;
        }
    }
    bytes.len()
}

/// Skips `/* ... */`, which nests in PostgreSQL.
fn skip_block_comment(bytes: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j + 1 < bytes.len() {
        if bytes[j] == b'/' && bytes[j + 1] == b'*' {
            depth += 1;
            j += 2;
        } else if bytes[j] == b'*' && bytes[j + 1] == b'/' {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    bytes.len()
}

/// Skips `$tag$ ... $tag$`; a `$` that starts no tag (`$1`) is passed over.
fn skip_dollar_quoted(bytes: &[u8], i: usize) -> usize {
    let tag_end = bytes[i + 1..]
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
        .map(|n| i + 1 + n);
    let Some(tag_end) = tag_end.filter(|&end| bytes[end] == b'$') else {
        return i + 1;
    };
    if bytes[i + 1..tag_end]
        .first()
        .is_some_and(u8::is_ascii_digit)
    {
        return i + 1;
    }
    let tag = &bytes[i..=tag_end];
    let body = tag_end + 1;
    bytes[body..]
        .windows(tag.len())
        .position(|window| window == tag)
        .map_or(bytes.len(), |n| body + n + tag.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_keep_their_lines_and_skip_comment_only_chunks() {
        let script =
            "-- header\nSELECT 1;\n\n  SELECT 'a;b' -- c;\n  FROM t;\n/* only; a comment */;\n";
        let statements = split_statements(script);
        assert_eq!(statements.len(), 2);
        assert_eq!(
            (
                statements[0].text.as_str(),
                statements[0].line,
                statements[0].column
            ),
            ("SELECT 1", 2, 1)
        );
        assert_eq!(statements[1].text, "SELECT 'a;b' -- c;\n  FROM t");
        assert_eq!((statements[1].line, statements[1].column), (4, 3));
    }

    #[test]
    fn quotes_dollar_quotes_and_parameters_do_not_split() {
        let script =
            "SELECT $$a;b$$, $x$;$x$, E'it\\'s;', \"we;ird\" FROM t WHERE id = $1; SELECT 2";
        let statements = split_statements(script);
        assert_eq!(statements.len(), 2, "{statements:?}");
        assert_eq!(statements[1].text, "SELECT 2");
    }

    #[test]
    fn psql_meta_commands_are_dropped() {
        let statements = split_statements("\\set id 5\nSELECT 1;\n\\timing on\n");
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0].text, "SELECT 1");
    }
}
