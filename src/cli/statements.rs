//! Gathers the statements `check` and `catalog --for` work on: SQL given on the command line,
//! `.sql` files, directories of them, and globs; and which of their suppression comments
//! silenced a finding.

use std::path::{Path, PathBuf};

use super::files::{expand, is_glob, Unreadable};
use planlint::sql::split_statements;
use planlint::sql::suppress::{applying_to, suppressions, Suppression};
use planlint::SourceLocation;

/// A statement and where it came from.
pub struct SourcedStatement {
    /// `file.sql:12:1`, or `<argument 2>` for SQL given on the command line.
    pub source: String,
    /// The file and position, for a statement read from a file.
    pub location: Option<SourceLocation>,
    /// The statement text.
    pub text: String,
    /// The suppression comments that apply to it (`-- planlint: ignore ...`).
    pub suppressions: Vec<Suppression>,
}

/// A file's suppression comments, so unused ones can be reported.
pub struct FileSuppressions {
    /// The file's path as given.
    pub path: String,
    /// Its suppression comments.
    pub suppressions: Vec<Suppression>,
}

/// Everything gathered from the inputs.
pub struct Collected {
    /// The statements, in input order.
    pub statements: Vec<SourcedStatement>,
    /// Inputs that could not be read.
    pub unreadable: Vec<Unreadable>,
    /// Each file's suppression comments.
    pub suppressions: Vec<FileSuppressions>,
}

/// Collects statements. A positional input that names an existing file or directory is read
/// as SQL files; one that ends in `.sql` but does not exist is an error; anything else is one
/// SQL statement (a string holding several is refused later, never split).
pub fn collect(inputs: &[String], files: &[String], excluded: &dyn Fn(&Path) -> bool) -> Collected {
    let mut statements = Vec::new();
    let mut file_suppressions = Vec::new();
    let mut unreadable = Vec::new();
    let mut paths: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    for (index, input) in inputs.iter().enumerate() {
        let path = Path::new(input);
        if path.exists() || is_glob(input) {
            paths.push(path.to_path_buf());
        } else if input.ends_with(".sql") {
            unreadable.push(Unreadable {
                source: input.clone(),
                message: format!("{input}: no such file"),
            });
        } else {
            statements.push(SourcedStatement {
                source: format!("<argument {}>", index + 1),
                location: None,
                text: input.clone(),
                suppressions: Vec::new(),
            });
        }
    }
    for file in expand(&paths, &["sql"], excluded, &mut unreadable) {
        let name = file.display().to_string();
        match std::fs::read_to_string(&file) {
            Ok(script) => {
                let found = suppressions(&script);
                statements.extend(split_statements(&script).into_iter().map(|statement| {
                    SourcedStatement {
                        suppressions: applying_to(&found, statement.line),
                        source: format!("{name}:{}:{}", statement.line, statement.column),
                        location: Some(SourceLocation {
                            path: name.clone(),
                            line: statement.line,
                            column: statement.column,
                        }),
                        text: statement.text,
                    }
                }));
                file_suppressions.push(FileSuppressions {
                    path: name.clone(),
                    suppressions: found,
                });
            }
            Err(error) => unreadable.push(Unreadable {
                message: format!("{name}: {error}"),
                source: name,
            }),
        }
    }
    Collected {
        statements,
        unreadable,
        suppressions: file_suppressions,
    }
}

/// Which suppression comments silenced a finding, by file and line.
#[derive(Default)]
pub struct UsedSuppressions(std::collections::BTreeSet<(String, usize)>);

impl UsedSuppressions {
    /// Drops the findings the statement's suppressions cover, remembering which were used.
    pub(super) fn apply(
        &mut self,
        statement: &SourcedStatement,
        analysis: &mut planlint::Analysis,
    ) {
        let Some(location) = &statement.location else {
            return;
        };
        analysis.findings.retain(|finding| {
            let covering = statement
                .suppressions
                .iter()
                .find(|suppression| suppression.covers(&finding.rule, &finding.code));
            if let Some(suppression) = covering {
                self.0.insert((location.path.clone(), suppression.line));
            }
            covering.is_none()
        });
    }

    /// Warns, one line each, about suppression comments that silenced nothing: stale ones hide
    /// nothing but mislead readers.
    pub(super) fn report_unused(&self, files: &[FileSuppressions]) {
        for file in files {
            for suppression in &file.suppressions {
                if !self.0.contains(&(file.path.clone(), suppression.line)) {
                    eprintln!(
                        "planlint: warning: {}:{}: this suppression of {} matches no finding; remove it",
                        file.path,
                        suppression.line,
                        suppression.rules.join(", ")
                    );
                }
            }
        }
    }
}
