//! Sorts the predicates on a partition key into those that prune and those that keep pruning
//! from working, with the reason.

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Value, Visit, Visitor};

use super::{CauseKind, KeyFacts};

/// Functions whose value changes during a statement: nothing prunes on them.
const VOLATILE: &[&str] = &[
    "clock_timestamp",
    "random",
    "timeofday",
    "gen_random_uuid",
    "nextval",
    "txid_current",
];
/// Functions fixed for a statement but unknown at plan time: pruning moves to executor start-up.
const STABLE: &[&str] = &[
    "now",
    "current_date",
    "current_timestamp",
    "localtimestamp",
    "current_time",
    "localtime",
    "statement_timestamp",
    "transaction_timestamp",
    "current_setting",
];

/// What one predicate does for pruning.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Verdict {
    /// The predicate does not mention the key.
    Unrelated,
    /// A predicate the planner can prune with.
    Prunes,
    /// A predicate that mentions the key but keeps pruning from working (or moves it).
    Blocks { kind: CauseKind, detail: String },
}

/// Judges one predicate. `reference` is the query's name for the table; `None` accepts any
/// qualifier (plan filters qualify columns with the partition's alias).
pub(super) fn judge(expr: &Expr, key: &KeyFacts, reference: Option<&str>) -> Verdict {
    let is_key = |e: &Expr| is_key(e, &key.column, reference);
    if !mentions(expr, &is_key) {
        return Verdict::Unrelated;
    }
    let blocks = |kind, detail: String| Verdict::Blocks { kind, detail };
    let expr = strip(expr);
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            let arms = [left.as_ref(), right.as_ref()];
            if arms.iter().all(|arm| mentions(arm, &is_key)) {
                Verdict::Prunes
            } else {
                blocks(CauseKind::OrAcrossColumns, expr.to_string())
            }
        }
        Expr::BinaryOp { left, op, right } => {
            let (key_side, value, op) = match (mentions(left, &is_key), mentions(right, &is_key)) {
                (true, false) => (left.as_ref(), right.as_ref(), op.clone()),
                (false, true) => (right.as_ref(), left.as_ref(), flip(op)),
                (true, true) => return blocks(CauseKind::KeyComparedWithItself, expr.to_string()),
                (false, false) => return Verdict::Unrelated,
            };
            if !is_key(strip(key_side)) {
                return wrapped_key(strip(key_side), expr);
            }
            match op {
                BinaryOperator::NotEq if key.strategy != "list" => {
                    blocks(CauseKind::NotEqual, expr.to_string())
                }
                BinaryOperator::NotEq => Verdict::Prunes,
                BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
                    if key.strategy == "hash" =>
                {
                    blocks(CauseKind::RangeOnHashKey, expr.to_string())
                }
                BinaryOperator::Eq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq => judge_value(value, key, reference, expr),
                _ => blocks(CauseKind::OperatorCannotPrune, expr.to_string()),
            }
        }
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } if is_key(strip(left)) => {
            if matches!(strip(right), Expr::Value(v) if matches!(v.value, Value::Placeholder(_))) {
                blocks(CauseKind::ArrayParameter, expr.to_string())
            } else {
                judge_value(right, key, reference, expr)
            }
        }
        Expr::InList {
            expr: inner,
            list,
            negated,
        } if is_key(strip(inner)) => {
            if *negated && key.strategy != "list" {
                return blocks(CauseKind::NotEqual, expr.to_string());
            }
            list.iter()
                .map(|value| judge_value(value, key, reference, expr))
                .find(|verdict| *verdict != Verdict::Prunes)
                .unwrap_or(Verdict::Prunes)
        }
        Expr::Between {
            expr: inner,
            low,
            high,
            negated: false,
        } if is_key(strip(inner)) => {
            if key.strategy == "hash" {
                return blocks(CauseKind::RangeOnHashKey, expr.to_string());
            }
            let low = judge_value(low, key, reference, expr);
            if low != Verdict::Prunes {
                return low;
            }
            judge_value(high, key, reference, expr)
        }
        Expr::InSubquery {
            expr: inner,
            negated: false,
            ..
        } if is_key(strip(inner)) => blocks(CauseKind::SubqueryValue, expr.to_string()),
        Expr::Like { expr: inner, .. } | Expr::ILike { expr: inner, .. }
            if is_key(strip(inner)) =>
        {
            blocks(CauseKind::LikeOnKey, expr.to_string())
        }
        // A function or cast around the key, in IN or BETWEEN.
        Expr::InList { expr: inner, .. } | Expr::Between { expr: inner, .. }
            if mentions(inner, &is_key) =>
        {
            match find_wrapped_key(strip(inner), &is_key) {
                Some(wrapper) => wrapped_key(wrapper, expr),
                None => blocks(CauseKind::OperatorCannotPrune, expr.to_string()),
            }
        }
        Expr::InList { .. } | Expr::Between { .. } => Verdict::Unrelated,
        Expr::IsNull(inner) if is_key(strip(inner)) => Verdict::Prunes,
        other => match find_wrapped_key(other, &is_key) {
            Some(wrapper) => wrapped_key(wrapper, other),
            None => blocks(CauseKind::OperatorCannotPrune, other.to_string()),
        },
    }
}

/// The key inside a function, cast or expression.
fn wrapped_key(key_side: &Expr, whole: &Expr) -> Verdict {
    let kind = match key_side {
        Expr::Cast { .. } => CauseKind::CastOnKey,
        Expr::Collate { .. } => CauseKind::Collation,
        _ => CauseKind::FunctionOnKey,
    };
    Verdict::Blocks {
        kind,
        detail: whole.to_string(),
    }
}

fn find_wrapped_key<'a>(expr: &'a Expr, is_key: &dyn Fn(&Expr) -> bool) -> Option<&'a Expr> {
    match expr {
        Expr::Cast { expr: inner, .. }
        | Expr::Extract { expr: inner, .. }
        | Expr::AtTimeZone {
            timestamp: inner, ..
        } if mentions(inner, is_key) => Some(expr),
        Expr::Function(_) | Expr::BinaryOp { .. } if mentions(expr, is_key) => Some(expr),
        _ => None,
    }
}

/// Judges what the bare key is compared with.
fn judge_value(value: &Expr, key: &KeyFacts, reference: Option<&str>, whole: &Expr) -> Verdict {
    let blocks = |kind| Verdict::Blocks {
        kind,
        detail: whole.to_string(),
    };
    if contains(value, &|e| matches!(e, Expr::Collate { .. })) {
        return blocks(CauseKind::Collation);
    }
    if contains(value, &|e| {
        matches!(e, Expr::Subquery(_) | Expr::Exists { .. })
    }) {
        return blocks(CauseKind::SubqueryValue);
    }
    if contains(value, &|e| column_of_other_table(e, reference)) {
        return blocks(CauseKind::JoinColumn);
    }
    if let Some(function) = function_named(value, VOLATILE) {
        return Verdict::Blocks {
            kind: CauseKind::VolatileValue,
            detail: function,
        };
    }
    if is_decimal_literal(value) && key.type_name.as_deref().is_some_and(is_integer_type) {
        return blocks(CauseKind::TypeMismatch);
    }
    if let Some(function) = function_named(value, STABLE) {
        return Verdict::Blocks {
            kind: CauseKind::StableValue,
            detail: function,
        };
    }
    Verdict::Prunes
}

fn is_integer_type(type_name: &str) -> bool {
    matches!(type_name, "smallint" | "integer" | "bigint")
}

/// `123.0`, `'123.5'::numeric`, `123::numeric`.
fn is_decimal_literal(value: &Expr) -> bool {
    match strip(value) {
        Expr::Value(v) => {
            matches!(&v.value, Value::Number(text, _) if text.contains('.') || text.contains('e'))
        }
        Expr::Cast { data_type, .. } => {
            let name = data_type.to_string().to_lowercase();
            name.starts_with("numeric")
                || name.starts_with("decimal")
                || name.starts_with("double")
                || name == "real"
        }
        _ => false,
    }
}

fn function_named(expr: &Expr, names: &[&str]) -> Option<String> {
    let mut found = None;
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Function(function) = e {
            let name = function.name.to_string().to_lowercase();
            if names.contains(&name.as_str()) {
                found = Some(name);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    found
}

/// A column qualified by another name than the table's (a join partner).
fn column_of_other_table(expr: &Expr, reference: Option<&str>) -> bool {
    match (expr, reference) {
        (Expr::CompoundIdentifier(parts), Some(reference)) => {
            parts.len() >= 2 && !parts[parts.len() - 2].value.eq_ignore_ascii_case(reference)
        }
        _ => false,
    }
}

/// Whether `expr` is the key column: bare, or qualified by `reference` (any qualifier when
/// `reference` is `None`).
pub(super) fn is_key(expr: &Expr, column: &str, reference: Option<&str>) -> bool {
    match strip(expr) {
        Expr::Identifier(ident) => ident.value.eq_ignore_ascii_case(column),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [.., qualifier, name] => {
                name.value.eq_ignore_ascii_case(column)
                    && reference
                        .is_none_or(|reference| qualifier.value.eq_ignore_ascii_case(reference))
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether `expr` mentions the key outside subqueries (a subquery's own columns of the same
/// name belong to another read of the table).
fn mentions(expr: &Expr, is_key: &dyn Fn(&Expr) -> bool) -> bool {
    let mut outer = expr.clone();
    let _ = sqlparser::ast::visit_expressions_mut(&mut outer, |node| {
        if matches!(node, Expr::Subquery(_) | Expr::Exists { .. }) {
            *node = Expr::Value(Value::Null.into());
        }
        ControlFlow::<()>::Continue(())
    });
    contains(&outer, is_key)
}

/// Whether `expr` holds a parameter (`$1`).
pub(super) fn has_parameter(expr: &Expr) -> bool {
    contains(
        expr,
        &|node| matches!(node, Expr::Value(v) if matches!(v.value, Value::Placeholder(_))),
    )
}

fn contains(expr: &Expr, test: &dyn Fn(&Expr) -> bool) -> bool {
    struct Finder<'a>(&'a dyn Fn(&Expr) -> bool, bool);
    impl Visitor for Finder<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if (self.0)(expr) {
                self.1 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder(test, false);
    let _ = expr.visit(&mut finder);
    finder.1
}

/// Drops parentheses.
pub(super) fn strip(mut expr: &Expr) -> &Expr {
    while let Expr::Nested(inner) = expr {
        expr = inner;
    }
    expr
}

/// The operator seen from the other side: `5 < key` is `key > 5`.
fn flip(op: &BinaryOperator) -> BinaryOperator {
    match op {
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        other => other.clone(),
    }
}

/// `f(column) OP value` or `value OP f(column)`, where `f` is a function, cast or extract and
/// the value mentions no column: the wrapped side and the value.
pub(super) fn wrapped_comparison(expr: &Expr) -> Option<(&Expr, &Expr)> {
    let Expr::BinaryOp { left, op, right } = strip(expr) else {
        return None;
    };
    if !comparison(op) {
        return None;
    }
    // A function, cast or extract over a column; `'2024-03-15'::date` is a value.
    let wrapper = |e: &Expr| {
        matches!(
            strip(e),
            Expr::Function(_) | Expr::Cast { .. } | Expr::Extract { .. }
        ) && has_column(e)
    };
    let (wrapped, value) = match (wrapper(left), wrapper(right)) {
        (true, false) => (strip(left), strip(right)),
        (false, true) => (strip(right), strip(left)),
        _ => return None,
    };
    (!has_column(value)).then_some((wrapped, value))
}

/// The one column an expression reads (its last name part), when it reads exactly one.
pub(super) fn only_column(expr: &Expr) -> Option<String> {
    let mut columns = std::collections::BTreeSet::new();
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        match e {
            Expr::Identifier(ident) => {
                columns.insert(ident.value.clone());
            }
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    columns.insert(last.value.clone());
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    let mut columns = columns.into_iter();
    match (columns.next(), columns.next()) {
        (Some(column), None) => Some(column),
        _ => None,
    }
}

fn has_column(expr: &Expr) -> bool {
    contains(expr, &|e| {
        matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
    })
}

/// `=`, `<`, `<=`, `>` or `>=`.
pub(super) fn comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
    )
}
