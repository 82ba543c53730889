//! Checks a statement before anything is sent to a server: exactly one statement, of a kind
//! EXPLAIN accepts, and whether running it (EXPLAIN ANALYZE) would write.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, SetExpr, Statement, Value, Visit, Visitor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// How deeply sqlparser may nest while reading a statement.
const RECURSION_LIMIT: usize = 128;

/// A statement planlint may send inside `EXPLAIN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedStatement {
    /// The statement's text as the user wrote it, without a trailing semicolon.
    pub text: String,
    /// Why running it would write (`DELETE`, `SELECT ... FOR UPDATE`, ...), if it would.
    pub writes: Option<String>,
    /// The highest `$n` placeholder, 0 when there is none.
    pub parameters: usize,
}

/// Checks that `text` holds exactly one statement EXPLAIN accepts.
pub fn check_statement(text: &str) -> Result<CheckedStatement, String> {
    let statements = Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_statements())
        .map_err(|error| {
            format!(
                "cannot check the statement ({error}); planlint sends only statements it can check"
            )
        })?;
    let statement = match statements.as_slice() {
        [] => return Err("no statement".into()),
        [one] => one,
        more => {
            return Err(format!(
                "{} statements in one string; planlint sends exactly one statement at a time",
                more.len()
            ))
        }
    };
    let writes = match statement {
        Statement::Query(query) => {
            if !query.locks.is_empty() {
                Some("SELECT ... FOR UPDATE/SHARE (locks rows)".to_owned())
            } else if selects_into(&query.body) {
                Some("SELECT ... INTO (creates a table)".to_owned())
            } else {
                nested_write(statement)
            }
        }
        Statement::Insert(_) => Some("INSERT".to_owned()),
        Statement::Update(_) => Some("UPDATE".to_owned()),
        Statement::Delete(_) => Some("DELETE".to_owned()),
        Statement::Merge(_) => Some("MERGE".to_owned()),
        Statement::CreateTable(create) if create.query.is_some() => {
            Some("CREATE TABLE AS".to_owned())
        }
        Statement::Execute { .. } => {
            Some("EXECUTE (runs a prepared statement planlint cannot see)".to_owned())
        }
        other => {
            let kind = other
                .to_string()
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            return Err(format!(
                "\"{kind} ...\" cannot be explained; planlint checks SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES"
            ));
        }
    };
    Ok(CheckedStatement {
        text: text.trim().trim_end_matches(';').trim_end().to_owned(),
        writes,
        parameters: highest_placeholder(statement),
    })
}

/// A table a statement names: its schema, when written, and its name.
pub type TableName = (Option<String>, String);

/// The tables (and views) the statements in `text` read or write.
pub fn referenced_tables(text: &str) -> Result<Vec<TableName>, String> {
    let statements = Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_statements())
        .map_err(|error| format!("cannot read the statement: {error}"))?;
    let mut tables = Vec::new();
    for statement in &statements {
        let _ = sqlparser::ast::visit_relations(statement, |name| {
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|part| part.as_ident())
                .map(|ident| {
                    if ident.quote_style.is_some() {
                        ident.value.clone()
                    } else {
                        ident.value.to_lowercase()
                    }
                })
                .collect();
            if let Some((table, schema)) = parts.split_last() {
                tables.push((schema.last().cloned(), table.clone()));
            }
            ControlFlow::<()>::Continue(())
        });
    }
    Ok(tables)
}

fn selects_into(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(select) => select.into.is_some(),
        SetExpr::SetOperation { left, right, .. } => selects_into(left) || selects_into(right),
        SetExpr::Query(query) => selects_into(&query.body),
        _ => false,
    }
}

/// A data-modifying statement nested in a query (`WITH d AS (DELETE ...) SELECT ...`).
fn nested_write(statement: &Statement) -> Option<String> {
    struct Finder(Option<String>);
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
            let kind = match statement {
                Statement::Query(_) => return ControlFlow::Continue(()),
                Statement::Insert(_) => "INSERT",
                Statement::Update(_) => "UPDATE",
                Statement::Delete(_) => "DELETE",
                Statement::Merge(_) => "MERGE",
                _ => "a nested statement",
            };
            self.0 = Some(format!("{kind} in a WITH clause"));
            ControlFlow::Break(())
        }
    }
    let mut finder = Finder(None);
    let _ = statement.visit(&mut finder);
    finder.0
}

fn highest_placeholder(statement: &Statement) -> usize {
    struct Highest(usize);
    impl Visitor for Highest {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::Value(value) = expr {
                if let Value::Placeholder(text) = &value.value {
                    if let Some(number) =
                        text.strip_prefix('$').and_then(|n| n.parse::<usize>().ok())
                    {
                        self.0 = self.0.max(number);
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut highest = Highest(0);
    let _ = statement.visit(&mut highest);
    highest.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_read_only_statement_passes() {
        let checked =
            check_statement("SELECT * FROM orders WHERE customer_id = $2 AND order_id = $1;\n")
                .unwrap();
        assert_eq!(
            checked.text,
            "SELECT * FROM orders WHERE customer_id = $2 AND order_id = $1"
        );
        assert_eq!(checked.writes, None);
        assert_eq!(checked.parameters, 2);
    }

    #[test]
    fn several_statements_are_refused() {
        let error = check_statement("SELECT 1; DROP TABLE t").unwrap_err();
        assert!(error.contains("2 statements"), "{error}");
    }

    #[test]
    fn writes_are_named() {
        let writes = |sql: &str| check_statement(sql).unwrap().writes.unwrap();
        assert_eq!(writes("DELETE FROM t WHERE id = 1"), "DELETE");
        assert_eq!(writes("UPDATE t SET a = 1"), "UPDATE");
        assert_eq!(writes("INSERT INTO t VALUES (1)"), "INSERT");
        assert!(writes("SELECT * FROM t FOR UPDATE").contains("FOR UPDATE"));
        assert!(
            writes("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d")
                .contains("DELETE in a WITH")
        );
        assert!(writes("SELECT * INTO copy FROM t").contains("INTO"));
    }

    #[test]
    fn referenced_tables_are_folded_like_postgresql_folds_them() {
        let tables =
            referenced_tables("SELECT * FROM Orders o JOIN shop.\"Items\" i ON true").unwrap();
        assert_eq!(
            tables,
            [
                (None, "orders".to_owned()),
                (Some("shop".to_owned()), "Items".to_owned())
            ]
        );
    }

    #[test]
    fn statements_explain_cannot_take_are_refused() {
        assert!(check_statement("DROP TABLE t")
            .unwrap_err()
            .contains("cannot be explained"));
        assert!(check_statement("").is_err());
        assert!(check_statement("SELEC 1")
            .unwrap_err()
            .contains("cannot check"));
    }
}
