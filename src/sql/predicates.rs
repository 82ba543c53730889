//! Reads a plan's filter text (PostgreSQL's deparsed expression) for the columns an index
//! could serve.

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, CastKind, DataType, Expr, Visit, Visitor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::conjuncts::split_and;

/// Functions that PostgreSQL marks immutable (for the argument types plans show them with),
/// so an expression index over them can be built; others (`date_trunc` on timestamptz, casts
/// to date) are stable at best, and `CREATE INDEX` would refuse them.
const IMMUTABLE_FUNCTIONS: &[&str] = &[
    "lower",
    "upper",
    "btrim",
    "ltrim",
    "rtrim",
    "md5",
    "length",
    "char_length",
    "abs",
    "left",
    "right",
    "substr",
    "substring",
    "replace",
    "reverse",
    "coalesce",
    "jsonb_extract_path_text",
];

/// How deeply sqlparser may nest while reading a filter; deeper filters are not analysed.
const RECURSION_LIMIT: usize = 64;

/// One key of a suggested index: a column, or an expression over one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    /// The column name, or the expression's SQL text.
    pub sql: String,
    /// Whether the key is an expression (it needs parentheses in `CREATE INDEX`).
    pub expression: bool,
}

/// The columns a filter constrains in ways a btree index serves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexColumns {
    /// Keys compared with `=`, `IN`, `= ANY(...)` or `IS NULL`: they lead the index.
    pub equality: Vec<IndexKey>,
    /// Keys compared with `<`, `<=`, `>`, `>=` or `BETWEEN`: the first one ends the index.
    pub range: Vec<IndexKey>,
}

impl IndexColumns {
    /// The index key list: equality keys, then the first range key.
    pub fn keys(&self) -> Vec<&IndexKey> {
        self.equality.iter().chain(self.range.first()).collect()
    }

    /// Whether any key at all was found.
    pub fn is_empty(&self) -> bool {
        self.equality.is_empty() && self.range.is_empty()
    }
}

/// The index-friendly predicates of a filter such as `((status)::text = 'new'::text)`.
///
/// Only conjuncts (terms joined by AND) count; `OR`, `NOT`, `<>`, `LIKE` and subplans are
/// passed over. Returns `None` when the text does not parse as an expression.
pub fn index_columns(filter: &str) -> Option<IndexColumns> {
    Some(columns_of(&parse_filter(filter)?))
}

/// For a filter that is an OR of terms (`email = 'a' OR last_order_id = 5`), the index-friendly
/// predicates of each arm: a BitmapOr needs an index for every arm. `None` when the filter is
/// no OR, does not parse, or an arm has no index-friendly predicate.
pub fn index_columns_per_arm(filter: &str) -> Option<Vec<IndexColumns>> {
    let expr = parse_filter(filter)?;
    let mut arms = Vec::new();
    let mut pending = vec![strip_nested(&expr)];
    while let Some(current) = pending.pop() {
        match current {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                pending.push(strip_nested(right));
                pending.push(strip_nested(left));
            }
            arm => arms.push(columns_of(arm)),
        }
    }
    (arms.len() > 1 && arms.iter().all(|arm| !arm.is_empty())).then_some(arms)
}

fn parse_filter(filter: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(filter)
        .ok()?
        .parse_expr()
        .ok()
}

/// The index-friendly predicates among the conjuncts of `expr`.
fn columns_of(expr: &Expr) -> IndexColumns {
    let mut columns = IndexColumns::default();
    let mut conjuncts = Vec::new();
    split_and(expr, &mut conjuncts);
    for conjunct in &conjuncts {
        match strip_nested(conjunct) {
            Expr::BinaryOp { left, op, right } => {
                let is_range = match op {
                    BinaryOperator::Eq => false,
                    BinaryOperator::Lt
                    | BinaryOperator::LtEq
                    | BinaryOperator::Gt
                    | BinaryOperator::GtEq => true,
                    _ => continue,
                };
                let key = match (column_key(left), column_key(right)) {
                    (Some(key), None) if is_constant(right) => key,
                    (None, Some(key)) if is_constant(left) => key,
                    _ => continue,
                };
                add(&mut columns, key, is_range);
            }
            Expr::AnyOp {
                left,
                compare_op: BinaryOperator::Eq,
                right,
                ..
            } if is_constant(right) => {
                if let Some(key) = column_key(left) {
                    add(&mut columns, key, false);
                }
            }
            Expr::InList {
                expr,
                list,
                negated: false,
            } if list.iter().all(is_constant) => {
                if let Some(key) = column_key(expr) {
                    add(&mut columns, key, false);
                }
            }
            Expr::Between {
                expr,
                negated: false,
                low,
                high,
            } if is_constant(low) && is_constant(high) => {
                if let Some(key) = column_key(expr) {
                    add(&mut columns, key, true);
                }
            }
            Expr::IsNull(inner) => {
                if let Some(key) = column_key(inner) {
                    add(&mut columns, key, false);
                }
            }
            _ => {}
        }
    }
    columns
}

fn add(columns: &mut IndexColumns, key: IndexKey, is_range: bool) {
    if columns.equality.contains(&key) || columns.range.contains(&key) {
        return;
    }
    if is_range {
        columns.range.push(key);
    } else {
        columns.equality.push(key);
    }
}

/// The index key a side of a comparison stands for: a bare column (PostgreSQL's cast of a
/// varchar column to text is dropped, an index on the column serves it), or an expression
/// over exactly one column.
fn column_key(expr: &Expr) -> Option<IndexKey> {
    let expr = strip_text_casts(expr);
    if let Some(name) = column_name(expr) {
        return Some(IndexKey {
            sql: name,
            expression: false,
        });
    }
    (column_count(expr) == 1 && is_immutable_call(expr)).then(|| IndexKey {
        sql: unqualified(expr),
        expression: true,
    })
}

/// Whether the expression is a call of a known-immutable function.
fn is_immutable_call(expr: &Expr) -> bool {
    match strip_nested(expr) {
        Expr::Function(function) => function
            .name
            .0
            .last()
            .and_then(|part| part.as_ident())
            .is_some_and(|ident| {
                IMMUTABLE_FUNCTIONS.contains(&ident.value.to_lowercase().as_str())
            }),
        _ => false,
    }
}

fn strip_text_casts(mut expr: &Expr) -> &Expr {
    loop {
        match expr {
            Expr::Nested(inner) => expr = inner,
            Expr::Cast {
                kind: CastKind::DoubleColon | CastKind::Cast,
                expr: inner,
                data_type,
                ..
            } if matches!(
                data_type,
                DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_)
            ) && column_name(strip_nested(inner)).is_some() =>
            {
                expr = inner
            }
            _ => return expr,
        }
    }
}

fn strip_nested(mut expr: &Expr) -> &Expr {
    while let Expr::Nested(inner) = expr {
        expr = inner;
    }
    expr
}

/// The column a bare (possibly alias-qualified) identifier names.
fn column_name(expr: &Expr) -> Option<String> {
    match strip_nested(expr) {
        Expr::Identifier(ident) => Some(ident.value.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|ident| ident.value.clone()),
        _ => None,
    }
}

/// Counts column references in an expression.
fn column_count(expr: &Expr) -> usize {
    struct Counter(usize);
    impl Visitor for Counter {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
                self.0 += 1;
            }
            ControlFlow::Continue(())
        }
    }
    let mut counter = Counter(0);
    let _ = expr.visit(&mut counter);
    counter.0
}

/// Whether an expression is known before the scan reads a row: literals, parameters, casts and
/// functions of those.
fn is_constant(expr: &Expr) -> bool {
    column_count(expr) == 0
        && !matches!(strip_nested(expr), Expr::Subquery(_) | Expr::Exists { .. })
}

/// The expression's text with alias qualifiers dropped (`o.email` -> `email`), for index DDL.
fn unqualified(expr: &Expr) -> String {
    let mut expr = expr.clone();
    let _ = sqlparser::ast::visit_expressions_mut(&mut expr, |node| {
        if let Expr::CompoundIdentifier(parts) = node {
            if let Some(last) = parts.pop() {
                *node = Expr::Identifier(last);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    expr.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(filter: &str) -> Vec<String> {
        index_columns(filter)
            .expect("parses")
            .keys()
            .into_iter()
            .map(|key| key.sql.clone())
            .collect()
    }

    #[test]
    fn equality_columns_lead_and_one_range_column_ends() {
        assert_eq!(
            keys("((created_at >= '2024-01-01 00:00:00+00'::timestamp with time zone) AND (customer_id = 42))"),
            ["customer_id", "created_at"]
        );
    }

    #[test]
    fn text_casts_on_varchar_columns_are_dropped() {
        assert_eq!(keys("((status)::text = 'shipped'::text)"), ["status"]);
    }

    #[test]
    fn functions_of_one_column_become_expression_keys() {
        let columns = index_columns("(lower(email) = 'a@example.com'::text)").unwrap();
        assert_eq!(columns.equality[0].sql, "lower(email)");
        assert!(columns.equality[0].expression);
    }

    #[test]
    fn any_in_between_and_is_null_are_understood() {
        assert_eq!(keys("(id = ANY ('{1,2,3}'::integer[]))"), ["id"]);
        assert_eq!(keys("(region IS NULL)"), ["region"]);
        assert_eq!(keys("(o.amount BETWEEN 1 AND 5)"), ["amount"]);
    }

    #[test]
    fn or_not_equal_and_column_to_column_are_passed_over() {
        assert!(index_columns("((a = 1) OR (b = 2))").unwrap().is_empty());
        assert!(index_columns("(a <> 1)").unwrap().is_empty());
        assert!(index_columns("(a = b)").unwrap().is_empty());
    }

    #[test]
    fn stable_functions_and_casts_give_no_expression_key() {
        assert!(index_columns(
            "(date_trunc('day'::text, created_at) = '2024-03-15'::timestamp with time zone)"
        )
        .unwrap()
        .is_empty());
        assert!(index_columns("((created_at)::date = '2024-03-15'::date)")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn unparsable_filters_give_none() {
        assert!(index_columns("(hashed SubPlan 1)").is_none());
    }
}
