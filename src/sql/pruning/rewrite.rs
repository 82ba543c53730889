//! Rewrites a predicate that keeps pruning from working into one on the bare key.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, DateTimeField, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    Statement, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::classify::{is_key, strip};
use super::KeyFacts;

/// A rewritten predicate and whether it is exactly equivalent.
pub(super) struct Rewrite {
    /// The replacement predicate.
    pub expr: Expr,
    /// What to know when it is not equivalent in every session.
    pub caveat: Option<String>,
}

/// A rewrite of `predicate` onto the bare key, for the shapes planlint knows.
pub(super) fn rewrite_predicate(
    predicate: &Expr,
    key: &KeyFacts,
    reference: Option<&str>,
) -> Option<Rewrite> {
    let Expr::BinaryOp { left, op, right } = strip(predicate) else {
        return None;
    };
    let (wrapped, value) = if matches!(strip(right), Expr::Value(_) | Expr::Cast { .. }) {
        (strip(left), strip(right))
    } else {
        (strip(right), strip(left))
    };
    let is_key = |e: &Expr| is_key(e, &key.column, reference);
    let zone_caveat = key.type_name.as_deref().filter(|t| t.contains("with time zone")).map(|_| {
        "the bounds are read in the session's TimeZone, as the original expression was: the two agree for the \
         same TimeZone setting"
            .to_owned()
    });
    let key_sql = |e: &Expr| e.to_string();
    match (wrapped, op) {
        // date_trunc('day', key) = '2024-03-15 ...'
        (Expr::Function(function), BinaryOperator::Eq)
            if function.name.to_string().eq_ignore_ascii_case("date_trunc") =>
        {
            let args = function_args(&function.args)?;
            let [unit, column] = args.as_slice() else {
                return None;
            };
            if !is_key(column) {
                return None;
            }
            let unit = string_literal(unit)?.to_lowercase();
            let start = string_literal(value)?;
            let end = next(&start, &unit)?;
            parse(&format!(
                "{0} >= '{start}' AND {0} < '{end}'",
                key_sql(column)
            ))
            .map(|expr| Rewrite {
                expr,
                caveat: zone_caveat,
            })
        }
        // key::date = '2024-03-15'
        (
            Expr::Cast {
                kind: CastKind::DoubleColon | CastKind::Cast,
                expr: column,
                data_type,
                ..
            },
            BinaryOperator::Eq,
        ) if is_key(column) && data_type.to_string().eq_ignore_ascii_case("date") => {
            let day = string_literal(value)?;
            let end = next(&day, "day")?;
            parse(&format!(
                "{0} >= '{day}' AND {0} < '{end}'",
                key_sql(column)
            ))
            .map(|expr| Rewrite {
                expr,
                caveat: zone_caveat,
            })
        }
        // extract(year from key) = 2024
        (
            Expr::Extract {
                field: DateTimeField::Year,
                expr: column,
                ..
            },
            BinaryOperator::Eq,
        ) if is_key(column) => {
            let year: i32 = number_literal(value)?.parse().ok()?;
            let next_year = year + 1;
            parse(&format!(
                "{0} >= '{year:04}-01-01' AND {0} < '{next_year:04}-01-01'",
                key_sql(column)
            ))
            .map(|expr| Rewrite {
                expr,
                caveat: zone_caveat,
            })
        }
        // key + 1 = 124
        (
            Expr::BinaryOp {
                left: column,
                op: arith @ (BinaryOperator::Plus | BinaryOperator::Minus),
                right: amount,
            },
            op,
        ) if is_key(column) => {
            let amount: i64 = number_literal(strip(amount))?.parse().ok()?;
            let target: i64 = number_literal(value)?.parse().ok()?;
            let bound = if *arith == BinaryOperator::Plus {
                target.checked_sub(amount)?
            } else {
                target.checked_add(amount)?
            };
            parse(&format!("{} {op} {bound}", key_sql(column)))
                .map(|expr| Rewrite { expr, caveat: None })
        }
        // coalesce(key, 0) = 123
        (Expr::Function(function), BinaryOperator::Eq)
            if function.name.to_string().eq_ignore_ascii_case("coalesce") =>
        {
            let args = function_args(&function.args)?;
            let [column, default] = args.as_slice() else {
                return None;
            };
            if !is_key(column) || default.to_string() == value.to_string() {
                return None;
            }
            parse(&format!("{} = {value}", key_sql(column)))
                .map(|expr| Rewrite { expr, caveat: None })
        }
        // key = 123456.0 on an integer key
        (column, BinaryOperator::Eq) if is_key(column) => {
            let number = number_literal(value)?;
            let integral = number
                .strip_suffix(".0")
                .or_else(|| number.trim_end_matches('0').strip_suffix('.'))?;
            integral.parse::<i64>().ok()?;
            parse(&format!("{} = {integral}", key_sql(column)))
                .map(|expr| Rewrite { expr, caveat: None })
        }
        _ => None,
    }
}

/// `clock_timestamp()` -> `now()` in the compared value: fixed for the statement, so start-up
/// pruning can use it. Not the same instant: now() is the transaction's start.
pub(super) fn stable_instead_of_volatile(predicate: &Expr) -> Option<Rewrite> {
    let mut expr = predicate.clone();
    let mut changed = false;
    let _ = sqlparser::ast::visit_expressions_mut(&mut expr, |node| {
        if let Expr::Function(function) = node {
            if function
                .name
                .to_string()
                .eq_ignore_ascii_case("clock_timestamp")
            {
                if let Some(now) = parse("now()") {
                    *node = now;
                    changed = true;
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
    changed.then(|| Rewrite {
        expr,
        caveat: Some(
            "now() is the transaction's start time, clock_timestamp() the moment of the call"
                .to_owned(),
        ),
    })
}

/// The statement with `old` replaced by `new` (the first occurrence), as SQL text.
pub(super) fn replace_in_statement(
    statement: &Statement,
    old: &Expr,
    new: &Expr,
) -> Option<String> {
    let mut statement = statement.clone();
    let mut replaced = false;
    let _ = sqlparser::ast::visit_expressions_mut(&mut statement, |node| {
        if !replaced && strip(node) == strip(old) {
            *node = Expr::Nested(Box::new(new.clone()));
            replaced = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    replaced.then(|| statement.to_string())
}

fn parse(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()
}

fn function_args(args: &FunctionArguments) -> Option<Vec<&Expr>> {
    let FunctionArguments::List(list) = args else {
        return None;
    };
    list.args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Some(strip(expr)),
            _ => None,
        })
        .collect()
}

/// The text of `'...'` or `'...'::type`.
fn string_literal(expr: &Expr) -> Option<String> {
    match strip(expr) {
        Expr::Value(value) => match &value.value {
            Value::SingleQuotedString(text) => Some(text.clone()),
            _ => None,
        },
        Expr::Cast { expr, .. } => string_literal(expr),
        _ => None,
    }
}

fn number_literal(expr: &Expr) -> Option<String> {
    match strip(expr) {
        Expr::Value(value) => match &value.value {
            Value::Number(text, _) => Some(text.clone()),
            _ => None,
        },
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Minus,
            expr,
        } => number_literal(expr).map(|n| format!("-{n}")),
        _ => None,
    }
}

/// The start of the next `unit` after a literal that starts with `YYYY-MM-DD` and is aligned
/// to the unit; the rest of the literal (time, zone) is kept.
fn next(literal: &str, unit: &str) -> Option<String> {
    let date = literal.get(..10)?;
    let rest = &literal[10..];
    let mut parts = date.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let (year, month, day) = match unit {
        "day" if day == days_in_month(year, month) && month == 12 => (year + 1, 1, 1),
        "day" if day == days_in_month(year, month) => (year, month + 1, 1),
        "day" => (year, month, day + 1),
        "month" if day == 1 && month == 12 => (year + 1, 1, 1),
        "month" if day == 1 => (year, month + 1, 1),
        "year" if day == 1 && month == 1 => (year + 1, 1, 1),
        _ => return None,
    };
    Some(format!("{year:04}-{month:02}-{day:02}{rest}"))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::next;

    #[test]
    fn next_steps_days_months_and_years_across_boundaries() {
        assert_eq!(next("2024-02-28", "day").as_deref(), Some("2024-02-29"));
        assert_eq!(next("2023-02-28", "day").as_deref(), Some("2023-03-01"));
        assert_eq!(
            next("2024-12-31 00:00:00+00", "day").as_deref(),
            Some("2025-01-01 00:00:00+00")
        );
        assert_eq!(next("2024-12-01", "month").as_deref(), Some("2025-01-01"));
        assert_eq!(
            next("2024-03-15", "month"),
            None,
            "not aligned to the month"
        );
        assert_eq!(next("2024-01-01", "year").as_deref(), Some("2025-01-01"));
        assert_eq!(next("2024-13-01", "day"), None);
    }
}
