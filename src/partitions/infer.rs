//! Offline inference of which scans are partitions of one parent, from aliases and names.

/// The parent alias PostgreSQL 13+ gives a partition scan: `orders_3` -> `orders`.
pub(super) fn alias_stem(alias: &str) -> Option<&str> {
    let (stem, number) = alias.rsplit_once('_')?;
    let numbered = !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit());
    (numbered && !stem.is_empty()).then_some(stem)
}

/// The common stem of partition names, cut at the last `_`: `orders_p1`, `orders_p2` -> `orders`.
pub(super) fn name_stem<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut names = names.into_iter();
    let first = names.next()?;
    let mut prefix_len = first.len();
    for name in names {
        prefix_len = first
            .bytes()
            .zip(name.bytes())
            .take(prefix_len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    let prefix = &first[..prefix_len];
    let cut = prefix.rfind('_')?;
    let stem = &prefix[..cut];
    (!stem.is_empty()).then(|| stem.to_owned())
}

/// The parent name for partitions aliased `stem_N`: the alias stem when the partition names
/// start with it (no user alias), else the stem of the partition names (the query aliased the
/// parent, e.g. `FROM orders o` gives `o_1`).
pub(super) fn parent_from_alias<'a>(
    stem: &str,
    relations: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    let child_prefix = format!("{stem}_");
    if relations
        .clone()
        .into_iter()
        .all(|name| name.starts_with(&child_prefix))
    {
        return stem.to_owned();
    }
    name_stem(relations).unwrap_or_else(|| stem.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_stem_needs_a_numbered_suffix() {
        assert_eq!(alias_stem("orders_12"), Some("orders"));
        assert_eq!(alias_stem("order_items_3"), Some("order_items"));
        assert_eq!(alias_stem("orders"), None);
        assert_eq!(alias_stem("orders_p1"), None);
        assert_eq!(alias_stem("_1"), None);
    }

    #[test]
    fn name_stem_cuts_at_the_last_separator_of_the_common_prefix() {
        assert_eq!(
            name_stem(["orders_p1", "orders_p2"]).as_deref(),
            Some("orders")
        );
        assert_eq!(
            name_stem([
                "measurements_2024_01",
                "measurements_2024_11",
                "measurements_default"
            ])
            .as_deref(),
            Some("measurements")
        );
        assert_eq!(name_stem(["customers", "products"]), None);
        assert_eq!(name_stem(["orders_p3"]).as_deref(), Some("orders"));
    }

    #[test]
    fn parent_from_alias_prefers_the_alias_unless_the_query_aliased_the_parent() {
        assert_eq!(
            parent_from_alias("orders", ["orders_p1", "orders_p2"]),
            "orders"
        );
        assert_eq!(parent_from_alias("o", ["orders_p1", "orders_p2"]), "orders");
    }
}
