//! Splits a condition into the terms joined by AND.

use sqlparser::ast::{BinaryOperator, Expr};

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
