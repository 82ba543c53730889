//! Splits a condition into the terms joined by AND.

use sqlparser::ast::{BinaryOperator, Expr};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// How deeply sqlparser may nest while reading a condition from a plan.
const RECURSION_LIMIT: usize = 64;

/// The terms of a condition as EXPLAIN prints it (`((a = 1) AND (b > 2))`), or `None` when it
/// does not parse.
pub(crate) fn parse_conjuncts(condition: &str) -> Option<Vec<Expr>> {
    let expr = Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(condition)
        .and_then(|mut parser| parser.parse_expr())
        .ok()?;
    let mut conjuncts = Vec::new();
    split_and(&expr, &mut conjuncts);
    Some(conjuncts)
}

/// Splits `a AND b AND c` into its terms.
pub(crate) fn split_and(expr: &Expr, out: &mut Vec<Expr>) {
    let mut pending = vec![expr];
    while let Some(expr) = pending.pop() {
        match expr {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                pending.push(right);
                pending.push(left);
            }
            Expr::Nested(inner)
                if matches!(
                    inner.as_ref(),
                    Expr::BinaryOp {
                        op: BinaryOperator::And,
                        ..
                    }
                ) =>
            {
                pending.push(inner)
            }
            other => out.push(other.clone()),
        }
    }
}
