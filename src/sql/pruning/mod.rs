//! Why partition pruning failed, read from the query (or, without it, from the plan's
//! filters), and a rewrite on the bare key where one is known.

mod classify;
mod locate;
mod rewrite;

use serde::Serialize;
use sqlparser::ast::{Expr, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::sql::conjuncts::split_and;
use classify::{has_parameter, judge, Verdict};
use locate::table_reads;
pub use rewrite::{never_true_comparisons, NeverTrue};
use rewrite::{replace_in_statement, rewrite_predicate, stable_instead_of_volatile, Outcome};

/// How deeply sqlparser may nest while reading a query.
const RECURSION_LIMIT: usize = 128;

/// What planlint knows of the partition key.
#[derive(Debug, Clone, Default)]
pub struct KeyFacts {
    /// The key column (the first one of a multi-column key).
    pub column: String,
    /// `range`, `list` or `hash`.
    pub strategy: String,
    /// The column's type, e.g. `bigint`, when the catalog has it.
    pub type_name: Option<String>,
    /// For a LIST key whose rows can hold only the values the partitions list (no DEFAULT
    /// partition, one level), every listed value: what `lower(key) = 'eu'` stands for.
    pub list_values: Option<Vec<String>>,
}

/// The values of LIST bounds such as `FOR VALUES IN ('eu', 'EU')`, when every partition lists
/// string values and none is the DEFAULT partition (whose rows may hold any value); NULL is
/// left out (no comparison matches it).
pub fn listed_values<'a>(bounds: impl IntoIterator<Item = &'a str>) -> Option<Vec<String>> {
    let mut values = Vec::new();
    for bound in bounds {
        let list = bound
            .trim()
            .strip_prefix("FOR VALUES IN (")?
            .strip_suffix(')')?;
        let expr = Parser::new(&PostgreSqlDialect {})
            .with_recursion_limit(RECURSION_LIMIT)
            .try_with_sql(&format!("x IN ({list})"))
            .and_then(|mut parser| parser.parse_expr())
            .ok()?;
        let Expr::InList { list, .. } = expr else {
            return None;
        };
        for item in list {
            match item {
                Expr::Value(value) => match value.value {
                    sqlparser::ast::Value::SingleQuotedString(text) => values.push(text),
                    sqlparser::ast::Value::Null => {}
                    _ => return None,
                },
                _ => return None,
            }
        }
    }
    Some(values)
}

/// Why pruning did not happen at plan time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseKind {
    /// `enable_partition_pruning = off`.
    PruningDisabled,
    /// A function or expression around the key.
    FunctionOnKey,
    /// A cast on the key.
    CastOnKey,
    /// The key compared with a value of another type, which casts the key.
    TypeMismatch,
    /// An OR whose arms do not all constrain the key.
    OrAcrossColumns,
    /// The key compared with a volatile function.
    VolatileValue,
    /// `= ANY($n)` with one array parameter.
    ArrayParameter,
    /// A comparison in another collation than the key's.
    Collation,
    /// `<>` or `NOT IN` on a range or hash key.
    NotEqual,
    /// LIKE on the key.
    LikeOnKey,
    /// A range predicate on a hash key.
    RangeOnHashKey,
    /// A comparison that cannot be held against bounds.
    OperatorCannotPrune,
    /// The key compared with itself or another key expression.
    KeyComparedWithItself,
    /// The key compared with a subquery's result.
    SubqueryValue,
    /// The key compared with a join partner's column.
    JoinColumn,
    /// No predicate on the key at all.
    NoKeyPredicate,
    /// The key compared with a stable function: pruning moves to executor start-up.
    StableValue,
    /// The default partition is read because the explicit partitions do not cover the range.
    DefaultPartition,
}

/// The diagnosis of one unpruned (or start-up-pruned) partitioned scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The kind of cause.
    pub kind: CauseKind,
    /// The cause in one sentence.
    pub cause: String,
    /// The whole statement rewritten so the planner can prune, when planlint knows how.
    pub rewrite_sql: Option<String>,
}

/// Diagnoses from the query text: the predicates on `table`'s key in every SELECT that reads it.
/// `None` when the text does not parse or does not read the table.
pub fn diagnose_query(sql: &str, table: &str, key: &KeyFacts) -> Option<Diagnosis> {
    diagnose_statements(&parse_query(sql)?, table, key)
}

/// Parses a query for [`diagnose_statements`]; `None` when it does not parse.
pub fn parse_query(sql: &str) -> Option<Vec<Statement>> {
    Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_statements())
        .ok()
}

/// [`diagnose_query`] on a query parsed once for every table it is asked about.
pub fn diagnose_statements(
    statements: &[Statement],
    table: &str,
    key: &KeyFacts,
) -> Option<Diagnosis> {
    let statement = statements
        .iter()
        .find(|statement| !table_reads(statement, table).is_empty())?;
    let mut worst: Option<(CauseKind, String, Expr, String)> = None;
    let mut any_key_predicate = false;
    for read in table_reads(statement, table) {
        for conjunct in &read.conjuncts {
            match judge(conjunct, key, Some(&read.reference)) {
                Verdict::Unrelated => {}
                Verdict::Prunes => any_key_predicate = true,
                Verdict::Blocks { kind, detail } => {
                    any_key_predicate = true;
                    if worst
                        .as_ref()
                        .is_none_or(|(worst_kind, ..)| kind < *worst_kind)
                    {
                        worst = Some((kind, detail, conjunct.clone(), read.reference.clone()));
                    }
                }
            }
        }
    }
    let Some((kind, detail, conjunct, reference)) = worst else {
        return (!any_key_predicate).then(|| Diagnosis {
            kind: CauseKind::NoKeyPredicate,
            cause: sentence(CauseKind::NoKeyPredicate, "", key),
            rewrite_sql: None,
        });
    };
    let rewrite = match kind {
        CauseKind::FunctionOnKey | CauseKind::CastOnKey | CauseKind::TypeMismatch => {
            rewrite_predicate(&conjunct, key, Some(&reference))
        }
        CauseKind::VolatileValue => {
            stable_instead_of_volatile(&conjunct).map(|rewrite| Outcome::Rewrite(Box::new(rewrite)))
        }
        _ => None,
    };
    let mut cause = sentence(kind, &detail, key);
    let rewrite_sql = match rewrite {
        Some(Outcome::Rewrite(rewrite)) => {
            if let Some(caveat) = &rewrite.caveat {
                cause.push_str(&format!(
                    "; the rewrite is equivalent with a caveat: {caveat}"
                ));
            }
            replace_in_statement(statement, &conjunct, &rewrite.expr)
        }
        Some(Outcome::NeverTrue(reason)) => {
            cause.push_str(&format!("; besides, {reason} (see never-true)"));
            None
        }
        None => None,
    };
    Some(Diagnosis {
        kind,
        cause,
        rewrite_sql,
    })
}

/// Diagnoses from a partition scan's filter texts when the query is not known: the same
/// judgement of predicates, with no rewrite (the plan's text is not the query's).
pub fn diagnose_filters(filters: &[&str], key: &KeyFacts) -> Option<Diagnosis> {
    let mut worst: Option<(CauseKind, String)> = None;
    for filter in filters {
        let Ok(expr) = Parser::new(&PostgreSqlDialect {})
            .with_recursion_limit(RECURSION_LIMIT)
            .try_with_sql(filter)
            .and_then(|mut parser| parser.parse_expr())
        else {
            continue;
        };
        let mut conjuncts = Vec::new();
        split_and(&expr, &mut conjuncts);
        for conjunct in &conjuncts {
            if let Verdict::Blocks { kind, detail } = judge(conjunct, key, None) {
                if worst
                    .as_ref()
                    .is_none_or(|(worst_kind, _)| kind < *worst_kind)
                {
                    worst = Some((kind, detail));
                }
            }
        }
    }
    worst.map(|(kind, detail)| Diagnosis {
        cause: sentence(kind, &detail, key),
        kind,
        rewrite_sql: None,
    })
}

/// Whether a partition scan's conditions (`filters`) compare the key with a parameter (`$1`) in
/// a way that prunes: not at plan time, since the value is not known then, but at executor
/// start-up, once it is.
pub fn prunes_on_parameter(filters: &[&str], key: &KeyFacts) -> bool {
    filters.iter().any(|filter| {
        let Ok(expr) = Parser::new(&PostgreSqlDialect {})
            .with_recursion_limit(RECURSION_LIMIT)
            .try_with_sql(filter)
            .and_then(|mut parser| parser.parse_expr())
        else {
            return false;
        };
        let mut conjuncts = Vec::new();
        split_and(&expr, &mut conjuncts);
        conjuncts.iter().any(|conjunct| {
            has_parameter(conjunct) && judge(conjunct, key, None) == Verdict::Prunes
        })
    })
}

/// How a `join-column` cause ends when the plan's join method is not known.
pub const JOIN_COLUMN_TAIL: &str =
    "only a parameterised nested loop prunes at run time, hash and merge joins read every partition";

/// The end of a `join-column` cause for the join the plan chose: `method` its node type, `inner`
/// whether the partitioned table is on its inner side.
pub fn join_column_tail(method: &str, inner: bool) -> &'static str {
    match (method, inner) {
        ("Nested Loop", true) => {
            "the nested loop reads it on its inner side without the key as a parameter, so nothing prunes at run \
             time either"
        }
        ("Nested Loop", false) => {
            "the nested loop reads it on its outer side, once and in full; only the inner side of a parameterised \
             nested loop prunes at run time"
        }
        ("Hash Join", _) => {
            "the hash join reads every partition: a hash join cannot prune at run time, only a parameterised nested \
             loop can"
        }
        ("Merge Join", _) => {
            "the merge join reads every partition: a merge join cannot prune at run time, only a parameterised \
             nested loop can"
        }
        _ => JOIN_COLUMN_TAIL,
    }
}

/// The column a filter compares through a function or cast (`date_trunc('day', created_at) =
/// ...`, `created_at::date = ...`), with the filter's text: what keeps pruning from working
/// when that column is the partition key. `None` when no comparison of the filter wraps a
/// single column, or it does not parse.
pub fn wrapped_column(filter: &str) -> Option<(String, String)> {
    let conjuncts = crate::sql::conjuncts::parse_conjuncts(filter)?;
    conjuncts.iter().find_map(|conjunct| {
        let (wrapped, _) = classify::wrapped_comparison(conjunct)?;
        let column = classify::only_column(wrapped)?;
        Some((column, filter.trim().to_owned()))
    })
}

/// The cause as a sentence.
pub fn sentence(kind: CauseKind, detail: &str, key: &KeyFacts) -> String {
    let column = &key.column;
    match kind {
        CauseKind::PruningDisabled => "enable_partition_pruning is off, which disables pruning in every phase".to_owned(),
        CauseKind::NoKeyPredicate => format!(
            "the query has no predicate on the partition key {column}, so every partition can hold matching rows"
        ),
        CauseKind::FunctionOnKey => format!(
            "the key {column} is wrapped in a function or expression ({detail}): the planner can compare only the bare \
             key with the partition bounds, and an index on {column} cannot serve it either"
        ),
        CauseKind::CastOnKey if detail.contains('$') => format!(
            "the key {column} is cast ({detail}) because the parameter is declared with another type than the key's: \
             declare it {} (or write ${{n}}::{}) so the key stays bare",
            key.type_name.as_deref().unwrap_or("as the key's type"),
            key.type_name.as_deref().unwrap_or("type")
        ),
        CauseKind::CastOnKey => format!(
            "the key {column} is cast ({detail}): the planner can compare only the bare key with the partition bounds"
        ),
        CauseKind::Collation => format!(
            "{detail}: the comparison uses another collation than the key's, so it cannot be held against the bounds; \
             drop the COLLATE clause"
        ),
        CauseKind::DefaultPartition => format!(
            "the explicit partitions do not cover the range of {detail}, so the default partition may hold matching rows \
             and is read too; bound the range within the explicit partitions, or keep the default partition empty"
        ),
        CauseKind::TypeMismatch => format!(
            "{detail} compares the {} key with a value of another type, so PostgreSQL casts the key and nothing prunes",
            key.type_name.as_deref().unwrap_or("partition")
        ),
        CauseKind::OrAcrossColumns => format!(
            "{detail}: an OR prunes only when every arm constrains {column}; split the query into a UNION ALL of \
             one query per arm"
        ),
        CauseKind::VolatileValue => format!(
            "{column} is compared with {detail}(), a volatile function whose value changes during the statement: \
             no phase can prune with it"
        ),
        CauseKind::ArrayParameter => format!(
            "{detail}: = ANY() with one array parameter does not prune on PostgreSQL 15; send one parameter per \
             value ({column} IN ($1, $2, ...)), which prunes at executor start-up"
        ),
        CauseKind::NotEqual => format!(
            "{detail}: <> and NOT IN prune only list partitions, and this table is {}-partitioned",
            key.strategy
        ),
        CauseKind::LikeOnKey => format!(
            "{detail}: LIKE cannot be held against partition bounds; list the values (IN (...)) or use a range on {column}"
        ),
        CauseKind::RangeOnHashKey => format!(
            "{detail}: hash partitions prune only on equality, IN or IS NULL over the key, never on a range"
        ),
        CauseKind::OperatorCannotPrune => format!("{detail}: this comparison cannot be held against partition bounds"),
        CauseKind::KeyComparedWithItself => format!("{detail}: the key is compared with another expression of the key"),
        CauseKind::SubqueryValue => format!(
            "{detail}: {column} is compared with a subquery's result, known only while the query runs, so only \
             run-time pruning can skip partitions"
        ),
        CauseKind::JoinColumn => format!(
            "{detail}: {column} is compared with a column of another table; {JOIN_COLUMN_TAIL}"
        ),
        CauseKind::StableValue => format!(
            "{column} is compared with {detail}(), known only when the statement starts: pruning happens at executor \
             start-up, not at plan time (fine for a one-off query; a cached generic plan still locks every partition)"
        ),
    }
}

/// Whether the plan's settings turn pruning off.
pub fn pruning_disabled(settings: &[(String, String)]) -> bool {
    settings.iter().any(|(name, value)| {
        name == "enable_partition_pruning" && matches!(value.as_str(), "off" | "false" | "0")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(column: &str, type_name: &str) -> KeyFacts {
        KeyFacts {
            column: column.into(),
            strategy: "range".into(),
            type_name: Some(type_name.into()),
            list_values: None,
        }
    }

    #[test]
    fn a_query_without_the_key_says_so() {
        let d = diagnose_query(
            "SELECT * FROM orders WHERE customer_id = 42",
            "orders",
            &range("order_id", "bigint"),
        )
        .unwrap();
        assert_eq!(d.kind, CauseKind::NoKeyPredicate);
        assert!(d.rewrite_sql.is_none());
    }

    #[test]
    fn list_bounds_give_their_values_unless_a_default_partition_may_hold_others() {
        assert_eq!(
            listed_values(["FOR VALUES IN ('eu', 'EU')", "FOR VALUES IN ('us', NULL)"]),
            Some(vec!["eu".to_owned(), "EU".to_owned(), "us".to_owned()])
        );
        assert_eq!(listed_values(["FOR VALUES IN ('eu')", "DEFAULT"]), None);
        assert_eq!(listed_values(["FOR VALUES IN (1, 2)"]), None);
    }

    #[test]
    fn lower_of_a_list_key_becomes_the_listed_values_it_matches() {
        let key = KeyFacts {
            column: "region".into(),
            strategy: "list".into(),
            type_name: Some("text".into()),
            list_values: Some(vec!["eu".into(), "EU".into(), "us".into()]),
        };
        let d = diagnose_query(
            "SELECT * FROM accounts WHERE lower(region) = 'eu'",
            "accounts",
            &key,
        )
        .unwrap();
        assert!(
            d.rewrite_sql.unwrap().contains("region IN ('eu', 'EU')"),
            "{}",
            d.cause
        );
        let never = diagnose_query(
            "SELECT * FROM accounts WHERE lower(region) = 'apac'",
            "accounts",
            &key,
        )
        .unwrap();
        assert!(
            never.rewrite_sql.is_none() && never.cause.contains("returns no rows"),
            "{}",
            never.cause
        );
        let unknown = KeyFacts {
            list_values: None,
            ..key
        };
        let d = diagnose_query(
            "SELECT * FROM accounts WHERE lower(region) = 'eu'",
            "accounts",
            &unknown,
        )
        .unwrap();
        assert!(d.rewrite_sql.is_none());
    }

    #[test]
    fn updates_deletes_and_merges_get_their_why_too() {
        let key = range("order_id", "bigint");
        let update = diagnose_query(
            "UPDATE orders SET status = 'x' WHERE customer_id = 5",
            "orders",
            &key,
        )
        .unwrap();
        assert_eq!(update.kind, CauseKind::NoKeyPredicate);
        let delete = diagnose_query(
            "DELETE FROM measurements WHERE date_trunc('day', created_at) = '2024-03-15'",
            "measurements",
            &range("created_at", "timestamp with time zone"),
        )
        .unwrap();
        assert_eq!(delete.kind, CauseKind::FunctionOnKey);
        assert!(delete
            .rewrite_sql
            .unwrap()
            .contains("DELETE FROM measurements WHERE (created_at >= '2024-03-15' AND created_at < '2024-03-16')"));
        let merge = diagnose_query(
            "MERGE INTO orders o USING customers c ON o.order_id + 1 = c.last_order_id \
             WHEN MATCHED THEN UPDATE SET status = 'x'",
            "orders",
            &key,
        )
        .unwrap();
        assert_eq!(merge.kind, CauseKind::FunctionOnKey);
    }

    #[test]
    fn between_around_a_wrapped_key_is_a_function_on_the_key() {
        let d = diagnose_query(
            "SELECT * FROM measurements WHERE date_trunc('day', created_at) BETWEEN '2024-03-01' AND '2024-03-02'",
            "measurements",
            &range("created_at", "timestamp with time zone"),
        )
        .unwrap();
        assert_eq!(d.kind, CauseKind::FunctionOnKey);
        assert!(d
            .rewrite_sql
            .unwrap()
            .contains("created_at >= '2024-03-01' AND created_at < '2024-03-03'"));
    }

    #[test]
    fn date_trunc_on_the_key_is_rewritten_to_a_range() {
        let d = diagnose_query(
            "SELECT * FROM measurements m WHERE date_trunc('day', m.created_at) = '2024-03-15' AND m.value > 1",
            "measurements",
            &range("created_at", "timestamp with time zone"),
        )
        .unwrap();
        assert_eq!(d.kind, CauseKind::FunctionOnKey);
        let sql = d.rewrite_sql.unwrap();
        assert!(
            sql.contains("m.created_at >= '2024-03-15' AND m.created_at < '2024-03-16'"),
            "{sql}"
        );
        assert!(
            sql.contains("m.value > 1") && !sql.contains("date_trunc"),
            "only the blocking predicate changes: {sql}"
        );
        assert!(d.cause.contains("TimeZone"), "{}", d.cause);
    }

    #[test]
    fn casts_extract_arithmetic_and_numeric_literals_are_rewritten() {
        let key = range("created_at", "timestamp with time zone");
        let sql = |query: &str, key: &KeyFacts, table: &str| {
            diagnose_query(query, table, key)
                .unwrap()
                .rewrite_sql
                .unwrap()
        };
        assert!(sql(
            "SELECT * FROM measurements WHERE created_at::date = '2024-03-15'",
            &key,
            "measurements"
        )
        .contains("created_at >= '2024-03-15' AND created_at < '2024-03-16'"));
        assert!(sql(
            "SELECT * FROM measurements WHERE extract(year FROM created_at) = 2024",
            &key,
            "measurements"
        )
        .contains("created_at >= '2024-01-01' AND created_at < '2025-01-01'"));
        let id = range("order_id", "bigint");
        assert!(sql(
            "SELECT * FROM orders WHERE order_id + 1 = 124",
            &id,
            "orders"
        )
        .contains("order_id = 123"));
        assert!(sql(
            "SELECT * FROM orders WHERE order_id = 123456.0",
            &id,
            "orders"
        )
        .contains("order_id = 123456"));
        assert!(sql(
            "SELECT * FROM orders WHERE coalesce(order_id, 0) = 7",
            &id,
            "orders"
        )
        .contains("(order_id = 7)"));
    }

    #[test]
    fn values_known_late_are_told_apart() {
        let key = range("created_at", "timestamp with time zone");
        let kind = |query: &str| diagnose_query(query, "measurements", &key).unwrap().kind;
        assert_eq!(
            kind("SELECT * FROM measurements WHERE created_at >= now() - interval '1 day'"),
            CauseKind::StableValue
        );
        assert_eq!(
            kind("SELECT * FROM measurements WHERE created_at >= clock_timestamp()"),
            CauseKind::VolatileValue
        );
        assert_eq!(
            kind("SELECT * FROM measurements WHERE created_at = (SELECT max(created_at) FROM measurements)"),
            CauseKind::SubqueryValue
        );
        assert_eq!(
            kind(
                "SELECT * FROM measurements m JOIN events e ON m.created_at = e.at WHERE e.id = 1"
            ),
            CauseKind::JoinColumn
        );
    }

    #[test]
    fn operators_that_cannot_prune_are_named() {
        let list = KeyFacts {
            column: "region".into(),
            strategy: "list".into(),
            type_name: Some("text".into()),
            list_values: None,
        };
        let hash = KeyFacts {
            column: "user_id".into(),
            strategy: "hash".into(),
            type_name: Some("bigint".into()),
            list_values: None,
        };
        let id = range("order_id", "bigint");
        let kind = |query: &str, table: &str, key: &KeyFacts| {
            diagnose_query(query, table, key).map(|d| d.kind)
        };
        assert_eq!(
            kind(
                "SELECT * FROM orders WHERE order_id = 5 OR customer_id = 7",
                "orders",
                &id
            ),
            Some(CauseKind::OrAcrossColumns)
        );
        assert_eq!(
            kind(
                "SELECT * FROM accounts WHERE region LIKE 'e%'",
                "accounts",
                &list
            ),
            Some(CauseKind::LikeOnKey)
        );
        assert_eq!(
            kind(
                "SELECT * FROM accounts WHERE region <> 'eu'",
                "accounts",
                &list
            ),
            None,
            "<> prunes list partitions"
        );
        assert_eq!(
            kind(
                "SELECT * FROM orders WHERE order_id NOT IN (1, 2)",
                "orders",
                &id
            ),
            Some(CauseKind::NotEqual)
        );
        assert_eq!(
            kind(
                "SELECT * FROM sessions WHERE user_id > 42",
                "sessions",
                &hash
            ),
            Some(CauseKind::RangeOnHashKey)
        );
        assert_eq!(
            kind(
                "SELECT * FROM orders WHERE order_id = ANY($1)",
                "orders",
                &id
            ),
            Some(CauseKind::ArrayParameter)
        );
        assert_eq!(
            kind(
                "SELECT * FROM orders WHERE order_id BETWEEN 1 AND 5",
                "orders",
                &id
            ),
            None,
            "prunes"
        );
    }

    #[test]
    fn plan_filters_give_the_cause_without_the_query() {
        let key = range("created_at", "timestamp with time zone");
        let d = diagnose_filters(
            &["(date_trunc('day'::text, created_at) = '2024-03-15 00:00:00+00'::timestamp with time zone)"],
            &key,
        )
        .unwrap();
        assert_eq!(d.kind, CauseKind::FunctionOnKey);
        let id = range("order_id", "bigint");
        assert_eq!(
            diagnose_filters(&["((order_id)::numeric = 123456.0)"], &id)
                .unwrap()
                .kind,
            CauseKind::CastOnKey
        );
        assert!(diagnose_filters(&["(customer_id = 4242)"], &id).is_none());
    }
}
