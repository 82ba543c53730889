//! Writes `CREATE INDEX` DDL that is safe to run on a live database: `CONCURRENTLY` for plain
//! tables, and for partitioned tables the build-per-partition-then-attach sequence.

use super::ident::{qualify, quote_ident};
use super::predicates::IndexKey;

/// PostgreSQL truncates identifiers to 63 bytes; planlint keeps its names within that.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// A table in an index plan: a plain table, a partitioned table, or one of its partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    /// The schema, when known.
    pub schema: Option<String>,
    /// The table name.
    pub name: String,
    /// Position of the immediate parent in the list (`None` for the root).
    pub parent: Option<usize>,
    /// Whether the table is itself partitioned (it gets an `ON ONLY` index).
    pub partitioned: bool,
}

/// The index name planlint proposes: `table_col1_col2_idx`, within 63 bytes.
pub fn index_name(table: &str, keys: &[&IndexKey]) -> String {
    let mut parts = vec![table.to_owned()];
    parts.extend(keys.iter().map(|key| name_part(&key.sql)));
    let mut name = parts.join("_");
    let budget = MAX_IDENTIFIER_BYTES - "_idx".len();
    if name.len() > budget {
        let mut cut = budget;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    name.push_str("_idx");
    name
}

/// `lower(email)` -> `lower_email`: an expression made fit for an index name.
fn name_part(sql: &str) -> String {
    let words: Vec<&str> = sql
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|word| !word.is_empty())
        .collect();
    words.join("_").to_lowercase()
}

fn key_list(keys: &[&IndexKey]) -> String {
    keys.iter()
        .map(|key| {
            if key.expression {
                format!("({})", key.sql)
            } else {
                quote_ident(&key.sql)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CREATE INDEX CONCURRENTLY` for a plain table.
pub fn create_index(table: &TableRef, keys: &[&IndexKey]) -> String {
    format!(
        "CREATE INDEX CONCURRENTLY {} ON {} ({});",
        quote_ident(&index_name(&table.name, keys)),
        qualify(table.schema.as_deref(), &table.name),
        key_list(keys)
    )
}

/// The DDL for an index on a partitioned table whose tree is `tables` (the root first, each
/// table after its parent): an `ON ONLY` index on each partitioned table, a `CONCURRENTLY`
/// build on each leaf, then every index attached to its parent's, leaves first, so each
/// parent index becomes valid once all its children are attached.
pub fn create_partitioned_index(tables: &[TableRef], keys: &[&IndexKey]) -> String {
    let names: Vec<String> = tables
        .iter()
        .map(|table| index_name(&table.name, keys))
        .collect();
    let index_ref = |position: usize| qualify(tables[position].schema.as_deref(), &names[position]);
    let columns = key_list(keys);
    let mut lines = Vec::new();
    for (position, table) in tables
        .iter()
        .enumerate()
        .filter(|(_, table)| table.partitioned)
    {
        lines.push(format!(
            "CREATE INDEX {} ON ONLY {} ({columns});",
            quote_ident(&names[position]),
            qualify(table.schema.as_deref(), &table.name)
        ));
    }
    for (position, table) in tables
        .iter()
        .enumerate()
        .filter(|(_, table)| !table.partitioned)
    {
        lines.push(format!(
            "CREATE INDEX CONCURRENTLY {} ON {} ({columns});",
            quote_ident(&names[position]),
            qualify(table.schema.as_deref(), &table.name)
        ));
    }
    let attach = |position: usize| {
        tables[position].parent.map(|parent| {
            format!(
                "ALTER INDEX {} ATTACH PARTITION {};",
                index_ref(parent),
                index_ref(position)
            )
        })
    };
    lines.extend(
        (0..tables.len())
            .filter(|&p| !tables[p].partitioned)
            .filter_map(attach),
    );
    lines.extend(
        (0..tables.len())
            .rev()
            .filter(|&p| tables[p].partitioned)
            .filter_map(attach),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(sql: &str, expression: bool) -> IndexKey {
        IndexKey {
            sql: sql.into(),
            expression,
        }
    }

    fn table(name: &str, parent: Option<usize>, partitioned: bool) -> TableRef {
        TableRef {
            schema: Some("public".into()),
            name: name.into(),
            parent,
            partitioned,
        }
    }

    #[test]
    fn names_stay_within_the_identifier_limit() {
        let long = "a".repeat(80);
        let name = index_name(&long, &[&key("email", false)]);
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("_idx"));
        assert_eq!(
            index_name("customers", &[&key("lower(email)", true)]),
            "customers_lower_email_idx"
        );
    }

    #[test]
    fn plain_tables_get_a_concurrent_build() {
        let sql = create_index(
            &table("customers", None, false),
            &[&key("lower(email)", true)],
        );
        assert_eq!(sql, "CREATE INDEX CONCURRENTLY customers_lower_email_idx ON public.customers ((lower(email)));");
    }

    #[test]
    fn two_level_trees_attach_leaves_then_intermediate_indexes() {
        let tables = [
            table("sales", None, true),
            table("sales_2024", Some(0), true),
            table("sales_2024_eu", Some(1), false),
        ];
        let sql = create_partitioned_index(&tables, &[&key("amount", false)]);
        let lines: Vec<&str> = sql.lines().collect();
        assert_eq!(
            lines,
            [
                "CREATE INDEX sales_amount_idx ON ONLY public.sales (amount);",
                "CREATE INDEX sales_2024_amount_idx ON ONLY public.sales_2024 (amount);",
                "CREATE INDEX CONCURRENTLY sales_2024_eu_amount_idx ON public.sales_2024_eu (amount);",
                "ALTER INDEX public.sales_2024_amount_idx ATTACH PARTITION public.sales_2024_eu_amount_idx;",
                "ALTER INDEX public.sales_amount_idx ATTACH PARTITION public.sales_2024_amount_idx;",
            ]
        );
    }
}
