//! The statement of an `EXPLAIN` command line as a pasted psql session shows it
//! (`orders=# EXPLAIN (ANALYZE, BUFFERS) SELECT ...;`, or `psql -e`'s echo), so that a pasted
//! plan carries the statement it is of.

/// The statement `line` explains, without `EXPLAIN`, its options, a psql prompt before it and
/// a `;` after it; `None` when the line is no EXPLAIN command.
pub fn explained_statement(line: &str) -> Option<String> {
    let text = without_prompt(line.trim());
    let rest = keyword(text, "EXPLAIN")?.trim_start();
    let rest = if let Some(options) = rest.strip_prefix('(') {
        let close = options.find(')')?;
        &options[close + 1..]
    } else {
        let mut rest = rest;
        while let Some(after) = ["ANALYZE", "ANALYSE", "VERBOSE"]
            .iter()
            .find_map(|word| keyword(rest, word))
        {
            rest = after.trim_start();
        }
        rest
    };
    let statement = rest.trim().trim_end_matches(';').trim_end();
    (!statement.is_empty()).then(|| statement.to_owned())
}

/// A psql continuation line of a statement (`orders-# FROM orders;`) without its prompt.
pub fn without_prompt(line: &str) -> &str {
    // psql's default prompts end in `=#`, `=>`, `-#`, `->`, `(#`... followed by a space; the
    // database name before them has no spaces.
    let Some(space) = line.find(' ') else {
        return line;
    };
    let prompt = &line[..space];
    let is_prompt = prompt.len() >= 2
        && prompt.ends_with(['#', '>'])
        && prompt[..prompt.len() - 1].ends_with(['=', '-', '(', '\'', '"', '$', '*'])
        && !prompt.starts_with("->");
    if is_prompt {
        &line[space + 1..]
    } else {
        line
    }
}

/// `text` after a leading keyword (any case) followed by a space, `(` or its end.
fn keyword<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && (rest.is_empty() || rest.starts_with([' ', '(', '\t'])))
        .then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::explained_statement;

    #[test]
    fn the_statement_comes_without_explain_options_prompt_or_semicolon() {
        for (line, statement) in [
            (
                "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM orders WHERE customer_id = 4242",
                Some("SELECT * FROM orders WHERE customer_id = 4242"),
            ),
            ("shop=# explain analyze verbose select 1;", Some("select 1")),
            ("shop=> EXPLAIN SELECT 1", Some("SELECT 1")),
            ("EXPLAIN", None),
            ("EXPLAINED SELECT 1", None),
            ("->  Seq Scan on orders", None),
            ("Time: 1.2 ms", None),
        ] {
            assert_eq!(explained_statement(line).as_deref(), statement, "{line}");
        }
    }
}
