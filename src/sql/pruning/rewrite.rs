//! Rewrites a predicate that keeps pruning from working into one on the bare key.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, CastKind, DateTimeField, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    Statement, Value,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::classify::{comparison, is_key, strip};
use super::KeyFacts;

/// A rewritten predicate and whether it is exactly equivalent.
pub(super) struct Rewrite {
    /// The replacement predicate.
    pub expr: Expr,
    /// What to know when it is not equivalent in every session.
    pub caveat: Option<String>,
}

/// What planlint can say of a predicate on a wrapped key.
pub(super) enum Outcome {
    /// A predicate on the bare key that returns the same rows.
    Rewrite(Box<Rewrite>),
    /// The predicate is never true (`date_trunc('day', key) = '2024-03-05 10:00'`): why.
    NeverTrue(String),
}

/// A rewrite of `predicate` onto the bare key, for the shapes planlint knows, offered only
/// under the conditions in which it returns the same rows:
///
/// - `date_trunc(unit, key)` (day, month, year), `key::date` and `extract(year FROM key)`,
///   each also over `key AT TIME ZONE 'zone'` for a timestamptz key (the bounds are then that
///   zone's midnights, the same instants in every session),
///   compared by `=`, `<`, `<=`, `>`, `>=` or BETWEEN with a literal that is a whole bucket:
///   a date (with no time of day but midnight, and no time zone) aligned to the unit, or a
///   year. The bucket's bounds become a range on the key. For a `timestamp with time zone`
///   key both sides are read in the session's TimeZone, so they agree in one session, across
///   DST changes too. A literal inside a bucket compared by `=` is never true.
/// - `key + n` and `key - n` compared with an integer, on an integer key.
/// - `coalesce(key, a) = b` with literals `a` ≠ `b` (NULL keys match neither side).
/// - `key = 123.0` on an integer key.
///
/// NULL keys match neither the original nor the rewrite.
pub(super) fn rewrite_predicate(
    predicate: &Expr,
    key: &KeyFacts,
    reference: Option<&str>,
) -> Option<Outcome> {
    let is_key = |e: &Expr| is_key(e, &key.column, reference);
    let zone_caveat = key.type_name.as_deref().filter(|t| t.contains("with time zone")).map(|_| {
        "the bounds are read in the session's TimeZone, as the original expression was: the two agree for the \
         same TimeZone setting"
            .to_owned()
    });
    let rewrite = |sql: String, caveat: Option<String>| {
        parse(&sql).map(|expr| Outcome::Rewrite(Box::new(Rewrite { expr, caveat })))
    };
    let predicate = strip(predicate);
    // A key shifted AT TIME ZONE is a timestamp in that zone only for a timestamptz key; the
    // bounds are then instants, the same in every session.
    let timestamptz = key
        .type_name
        .as_deref()
        .is_some_and(|name| name == "timestamp with time zone");
    let usable = |truncation: &Truncation| truncation.zone.is_none() || timestamptz;
    let caveat = |truncation: &Truncation| {
        if truncation.zone.is_some() {
            None
        } else {
            zone_caveat.clone()
        }
    };
    if let Expr::Between {
        expr: wrapped,
        negated: false,
        low,
        high,
    } = predicate
    {
        let truncation = truncation(strip(wrapped), &is_key).filter(usable)?;
        let low = bucket(strip(low), truncation.unit)?.ok()?;
        let high = bucket(strip(high), truncation.unit)?.ok()?;
        let column = truncation.column;
        return rewrite(
            format!(
                "{column} >= {} AND {column} < {}",
                truncation.bound(&low.0),
                truncation.bound(&high.1)
            ),
            caveat(&truncation),
        );
    }
    let Expr::BinaryOp { left, op, right } = predicate else {
        return None;
    };
    let (wrapped, value, op) = if matches!(strip(right), Expr::Value(_) | Expr::Cast { .. }) {
        (strip(left), strip(right), op.clone())
    } else {
        (strip(right), strip(left), flip(op)?)
    };
    if let Some(truncation) = truncation(wrapped, &is_key) {
        if !usable(&truncation) {
            return None;
        }
        let column = truncation.column;
        let (start, end) = match bucket(value, truncation.unit)? {
            Ok(bounds) => bounds,
            Err(reason) if op == BinaryOperator::Eq => {
                return Some(Outcome::NeverTrue(format!(
                    "{wrapped} is always {reason}, so it never equals {value}: the query returns no rows"
                )))
            }
            Err(_) => return None,
        };
        let (start, end) = (truncation.bound(&start), truncation.bound(&end));
        let sql = match op {
            BinaryOperator::Eq => format!("{column} >= {start} AND {column} < {end}"),
            BinaryOperator::Lt => format!("{column} < {start}"),
            BinaryOperator::GtEq => format!("{column} >= {start}"),
            BinaryOperator::LtEq => format!("{column} < {end}"),
            BinaryOperator::Gt => format!("{column} >= {end}"),
            _ => return None,
        };
        return rewrite(sql, caveat(&truncation));
    }
    let integer_key = key.type_name.as_deref().is_some_and(is_integer_type);
    match wrapped {
        // lower(key) = 'eu' on a LIST key whose rows hold only listed values: the listed
        // values that lower to it (ASCII only, where lower() does not depend on the collation).
        Expr::Function(function)
            if op == BinaryOperator::Eq
                && ["lower", "upper"]
                    .iter()
                    .any(|name| function.name.to_string().eq_ignore_ascii_case(name)) =>
        {
            let args = function_args(&function.args)?;
            let [column] = args.as_slice() else {
                return None;
            };
            let values = key.list_values.as_ref().filter(|_| is_key(column))?;
            let wanted = string_literal(value)?;
            let upper = function.name.to_string().eq_ignore_ascii_case("upper");
            if !wanted.is_ascii() || values.iter().any(|value| !value.is_ascii()) {
                return None;
            }
            let fold = |text: &str| {
                if upper {
                    text.to_ascii_uppercase()
                } else {
                    text.to_ascii_lowercase()
                }
            };
            let matching: Vec<String> = values
                .iter()
                .filter(|listed| fold(listed) == wanted)
                .map(|listed| format!("'{}'", listed.replace('\'', "''")))
                .collect();
            if matching.is_empty() {
                return Some(Outcome::NeverTrue(format!(
                    "no partition lists a value of {column} whose {} is {value}: the query returns no rows",
                    if upper { "upper()" } else { "lower()" }
                )));
            }
            rewrite(format!("{column} IN ({})", matching.join(", ")), None)
        }
        // key + 1 = 124
        Expr::BinaryOp {
            left: column,
            op: arith @ (BinaryOperator::Plus | BinaryOperator::Minus),
            right: amount,
        } if is_key(column) && integer_key && comparison(&op) => {
            let amount: i64 = number_literal(strip(amount))?.parse().ok()?;
            let target: i64 = number_literal(value)?.parse().ok()?;
            let bound = if *arith == BinaryOperator::Plus {
                target.checked_sub(amount)?
            } else {
                target.checked_add(amount)?
            };
            rewrite(format!("{column} {op} {bound}"), None)
        }
        // coalesce(key, 0) = 123
        Expr::Function(function)
            if op == BinaryOperator::Eq
                && function.name.to_string().eq_ignore_ascii_case("coalesce") =>
        {
            let args = function_args(&function.args)?;
            let [column, default] = args.as_slice() else {
                return None;
            };
            if !is_key(column) || !distinct_literals(default, value)? {
                return None;
            }
            rewrite(format!("{column} = {value}"), None)
        }
        // key = 123456.0 on an integer key
        column if op == BinaryOperator::Eq && is_key(column) && integer_key => {
            let number = number_literal(value)?;
            let integral = number
                .strip_suffix(".0")
                .or_else(|| number.trim_end_matches('0').strip_suffix('.'))?;
            integral.parse::<i64>().ok()?;
            rewrite(format!("{column} = {integral}"), None)
        }
        _ => None,
    }
}

/// What a key expression truncates the key to: the bare key, the unit, and the time zone it
/// is read in when the key is shifted with `AT TIME ZONE` first. `date_trunc('month', k)`,
/// `k::date` (a day), `extract(year FROM k)` (a year, compared with numbers), and each over
/// `k AT TIME ZONE 'zone'`.
fn truncation<'a>(wrapped: &'a Expr, is_key: &dyn Fn(&Expr) -> bool) -> Option<Truncation<'a>> {
    let (input, unit) = match wrapped {
        Expr::Function(function)
            if function.name.to_string().eq_ignore_ascii_case("date_trunc") =>
        {
            let args = function_args(&function.args)?;
            let [unit, input] = args.as_slice() else {
                return None;
            };
            let unit = match string_literal(unit)?.to_lowercase().as_str() {
                "day" => Unit::Day,
                "month" => Unit::Month,
                "year" => Unit::Year,
                _ => return None,
            };
            (*input, unit)
        }
        Expr::Cast {
            kind: CastKind::DoubleColon | CastKind::Cast,
            expr: input,
            data_type,
            ..
        } if data_type.to_string().eq_ignore_ascii_case("date") => (strip(input), Unit::Day),
        Expr::Extract {
            field: DateTimeField::Year,
            expr: input,
            ..
        } => (strip(input), Unit::YearNumber),
        _ => return None,
    };
    if is_key(input) {
        return Some(Truncation {
            column: input,
            unit,
            zone: None,
        });
    }
    match input {
        Expr::AtTimeZone {
            timestamp,
            time_zone,
        } if is_key(strip(timestamp)) => Some(Truncation {
            column: strip(timestamp),
            unit,
            zone: Some(string_literal(time_zone)?),
        }),
        _ => None,
    }
}

/// A key expression that truncates the key (see [`truncation`]).
struct Truncation<'a> {
    column: &'a Expr,
    unit: Unit,
    /// The zone of `key AT TIME ZONE 'zone'`, when the key is shifted first.
    zone: Option<String>,
}

impl Truncation<'_> {
    /// A bucket bound as SQL compared with the bare key: the date, or for a key read in a
    /// zone, that zone's midnight of the date as a timestamptz.
    fn bound(&self, date: &str) -> String {
        match &self.zone {
            None => format!("'{date}'"),
            Some(zone) => format!(
                "('{date}'::timestamp AT TIME ZONE '{}')",
                zone.replace('\'', "''")
            ),
        }
    }
}

/// What a truncation rounds the key down to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Month,
    Year,
    /// `extract(year ...)`: a year as a number.
    YearNumber,
}

/// The bucket a compared literal stands for: its first day and the next bucket's, as
/// `YYYY-MM-DD`. `Err` names what every truncated value is that the literal is not (it lies
/// inside a bucket); `None` when planlint cannot tell (not a literal, a time zone, ...).
fn bucket(value: &Expr, unit: Unit) -> Option<Result<(String, String), &'static str>> {
    if unit == Unit::YearNumber {
        let year: i32 = number_literal(value)?.parse().ok()?;
        if !(1..9999).contains(&year) {
            return None;
        }
        return Some(Ok((
            format!("{year:04}-01-01"),
            format!("{:04}-01-01", year + 1),
        )));
    }
    let literal = string_literal(value)?;
    let literal = literal.trim();
    let date = literal.get(..10)?;
    let time = literal[10..].trim_start_matches([' ', 'T']);
    if !time
        .chars()
        .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
    {
        // A time zone, an era, a word: not read here.
        return None;
    }
    let midnight = time.chars().all(|c| c == '0' || c == ':' || c == '.');
    let mut parts = date.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return None;
    }
    if !midnight {
        return Some(Err("at midnight"));
    }
    let (next_year, next_month, next_day) = match unit {
        Unit::Day if day == days_in_month(year, month) && month == 12 => (year + 1, 1, 1),
        Unit::Day if day == days_in_month(year, month) => (year, month + 1, 1),
        Unit::Day => (year, month, day + 1),
        Unit::Month if day != 1 => return Some(Err("the first day of a month")),
        Unit::Month if month == 12 => (year + 1, 1, 1),
        Unit::Month => (year, month + 1, 1),
        Unit::Year if (month, day) != (1, 1) => return Some(Err("the first day of a year")),
        Unit::Year | Unit::YearNumber => (year + 1, 1, 1),
    };
    Some(Ok((
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{next_year:04}-{next_month:02}-{next_day:02}"),
    )))
}

/// The operator seen from the other side (`5 < f(key)` is `f(key) > 5`); `None` for the
/// operators planlint does not rewrite.
fn flip(op: &BinaryOperator) -> Option<BinaryOperator> {
    Some(match op {
        BinaryOperator::Eq => BinaryOperator::Eq,
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        _ => return None,
    })
}

fn is_integer_type(type_name: &str) -> bool {
    matches!(type_name, "smallint" | "integer" | "bigint")
}

/// Whether two literals are of one kind and differ (`0` and `5`, `'a'` and `'b'`); `None` when
/// either is no literal, or they are of different kinds.
fn distinct_literals(a: &Expr, b: &Expr) -> Option<bool> {
    if let (Some(a), Some(b)) = (number_literal(a), number_literal(b)) {
        return Some(a.parse::<f64>().ok()? != b.parse::<f64>().ok()?);
    }
    Some(string_literal(a)? != string_literal(b)?)
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

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A comparison no row can satisfy, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeverTrue {
    /// The comparison as the statement writes it.
    pub comparison: String,
    /// Why, e.g. `date_trunc('day', created_at) is always at midnight`.
    pub reason: String,
}

/// Every comparison in `statement` of a truncated column with a literal no truncation yields
/// (`date_trunc('day', c) = '2024-03-05 10:00'`), whichever column it truncates.
pub fn never_true_comparisons(statement: &Statement) -> Vec<NeverTrue> {
    let any_column = |e: &Expr| matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
    let mut found = Vec::new();
    let _ = sqlparser::ast::visit_expressions(statement, |expr| {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = expr
        {
            for (wrapped, value) in [(left, right), (right, left)] {
                let Some(truncation) = truncation(strip(wrapped), &any_column) else {
                    continue;
                };
                if let Some(Err(reason)) = bucket(strip(value), truncation.unit) {
                    found.push(NeverTrue {
                        comparison: expr.to_string(),
                        reason: format!("{} is always {reason}", strip(wrapped)),
                    });
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_of(literal: &str, unit: Unit) -> Option<Result<(String, String), &'static str>> {
        bucket(&parse(literal).unwrap(), unit)
    }

    #[test]
    fn buckets_step_days_months_and_years_across_boundaries() {
        for (literal, unit, start, end) in [
            ("'2024-02-28'", Unit::Day, "2024-02-28", "2024-02-29"),
            ("'2023-02-28'", Unit::Day, "2023-02-28", "2023-03-01"),
            (
                "'2024-12-31 00:00:00'",
                Unit::Day,
                "2024-12-31",
                "2025-01-01",
            ),
            ("'2024-12-01'", Unit::Month, "2024-12-01", "2025-01-01"),
            ("'2024-01-01'", Unit::Year, "2024-01-01", "2025-01-01"),
            ("2024", Unit::YearNumber, "2024-01-01", "2025-01-01"),
        ] {
            assert_eq!(
                bucket_of(literal, unit),
                Some(Ok((start.to_owned(), end.to_owned()))),
                "{literal}"
            );
        }
    }

    #[test]
    fn literals_inside_a_bucket_are_never_a_truncated_value() {
        assert_eq!(
            bucket_of("'2024-03-05 10:00'", Unit::Day),
            Some(Err("at midnight"))
        );
        assert_eq!(
            bucket_of("'2024-03-15'", Unit::Month),
            Some(Err("the first day of a month"))
        );
    }

    #[test]
    fn literals_planlint_cannot_read_get_no_bucket() {
        assert_eq!(bucket_of("'2024-03-05 00:00+02'", Unit::Day), None);
        assert_eq!(bucket_of("'2024-13-01'", Unit::Day), None);
        assert_eq!(bucket_of("'2024-02-30'", Unit::Day), None);
        assert_eq!(bucket_of("'yesterday'", Unit::Day), None);
        assert_eq!(bucket_of("0", Unit::YearNumber), None);
    }
}
