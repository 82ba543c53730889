//! Fuzzes the SQL side: statement checks, splitting, suppressions and the pruning diagnosis.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planlint::sql::pruning::{diagnose_filters, diagnose_query, KeyFacts};

fuzz_target!(|text: &str| {
    let _ = planlint::sql::check_statement(text);
    let _ = planlint::sql::split_statements(text);
    let _ = planlint::sql::suppress::suppressions(text);
    let _ = planlint::sql::index_columns(text);
    for (column, strategy, type_name) in [
        ("created_at", "range", "timestamp with time zone"),
        ("region", "list", "text"),
        ("user_id", "hash", "bigint"),
    ] {
        let key = KeyFacts {
            column: column.into(),
            strategy: strategy.into(),
            type_name: Some(type_name.into()),
            list_values: (strategy == "list").then(|| vec!["eu".into(), "us".into()]),
        };
        let _ = diagnose_query(text, "t", &key);
        let _ = diagnose_filters(&[text], &key);
    }
});
