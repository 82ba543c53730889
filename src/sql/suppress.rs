//! Suppression comments in SQL files:
//!
//! ```sql
//! -- planlint: ignore unpruned-partitions -- reports read every partition on purpose
//! SELECT ...;
//! -- planlint: ignore-file seq-scan -- a small lookup schema
//! ```
//!
//! `ignore` applies to the statement that starts on the next line (several `ignore` lines may
//! stand one above the other); `ignore-file` to every statement of the file. Rules are named by
//! name or code, several separated by commas; the text after a second `--` is the reason.

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The rule names or codes it silences.
    pub rules: Vec<String>,
    /// 1-based line of the comment.
    pub line: usize,
    /// Whether it covers the whole file.
    pub file_level: bool,
    /// Why, when given.
    pub reason: Option<String>,
}

impl Suppression {
    /// Whether it silences the rule with this name or code.
    pub fn covers(&self, name: &str, code: &str) -> bool {
        self.rules
            .iter()
            .any(|rule| rule == name || rule.eq_ignore_ascii_case(code))
    }
}

/// Every suppression comment of a script.
pub fn suppressions(script: &str) -> Vec<Suppression> {
    script
        .lines()
        .enumerate()
        .filter_map(|(index, line)| parse_line(line.trim_start(), index + 1))
        .collect()
}

fn parse_line(line: &str, number: usize) -> Option<Suppression> {
    let rest = line
        .strip_prefix("--")?
        .trim_start()
        .strip_prefix("planlint:")?
        .trim_start();
    let (file_level, rest) = match rest.strip_prefix("ignore-file") {
        Some(rest) => (true, rest),
        None => (false, rest.strip_prefix("ignore")?),
    };
    let (rules, reason) = match rest.split_once("--") {
        Some((rules, reason)) => (
            rules,
            Some(reason.trim().to_owned()).filter(|r| !r.is_empty()),
        ),
        None => (rest, None),
    };
    let rules: Vec<String> = rules
        .split(',')
        .map(str::trim)
        .filter(|rule| !rule.is_empty())
        .map(str::to_owned)
        .collect();
    (!rules.is_empty()).then_some(Suppression {
        rules,
        line: number,
        file_level,
        reason,
    })
}

/// The suppressions that apply to a statement starting at `line`: the file-level ones and the
/// `ignore` lines directly above it.
pub fn applying_to(all: &[Suppression], line: usize) -> Vec<Suppression> {
    let mut applying: Vec<Suppression> = all.iter().filter(|s| s.file_level).cloned().collect();
    let mut above = line.saturating_sub(1);
    while let Some(found) = all.iter().find(|s| !s.file_level && s.line == above) {
        applying.push(found.clone());
        above = above.saturating_sub(1);
    }
    applying
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "-- planlint: ignore-file seq-scan -- small tables\n\
                          SELECT 1;\n\
                          -- planlint: ignore unpruned-partitions, PL003 -- reports read everything\n\
                          SELECT * FROM orders;\n\
                          -- planlint: ignore\n\
                          SELECT 2;\n";

    #[test]
    fn comments_name_rules_and_reasons() {
        let found = suppressions(SCRIPT);
        assert_eq!(found.len(), 2, "a bare ignore names no rule: {found:?}");
        assert!(found[0].file_level);
        assert_eq!(found[1].rules, ["unpruned-partitions", "PL003"]);
        assert_eq!(found[1].reason.as_deref(), Some("reports read everything"));
        assert!(found[1].covers("missing-index", "PL003"));
    }

    #[test]
    fn a_statement_gets_the_file_ones_and_those_right_above_it() {
        let found = suppressions(SCRIPT);
        assert_eq!(applying_to(&found, 4).len(), 2);
        assert_eq!(applying_to(&found, 2).len(), 1, "only the file-level one");
    }
}
