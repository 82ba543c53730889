//! The catalog snapshot: a JSON document of relations, read by `planlint analyze --catalog`.
//!
//! ```json
//! {
//!   "planlint_catalog": 1,
//!   "server_version": "15.18",
//!   "relations": [
//!     {
//!       "schema": "public", "name": "orders", "kind": "partitioned_table",
//!       "reltuples": -1, "relpages": 0,
//!       "parent": null, "partition_bound": null,
//!       "partition_key": {"strategy": "range", "definition": "RANGE (order_id)", "columns": ["order_id"]},
//!       "columns": [{"name": "order_id", "type": "bigint"}],
//!       "indexes": [{"name": "orders_pkey", "columns": ["order_id"], "include": [],
//!                    "definition": "CREATE UNIQUE INDEX ...", "method": "btree",
//!                    "unique": true, "primary": true, "predicate": null, "valid": true}]
//!     }
//!   ]
//! }
//! ```
//!
//! A partition names its immediate parent in `parent` (`"schema.name"`), so multi-level
//! partitioning is a chain of parents; the README documents every field.

use std::collections::HashMap;
use std::fmt;

use crate::json_error::message_without_position;
use serde::{Deserialize, Serialize};

/// The snapshot format version this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// What kind of relation a catalog entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// An ordinary table (a leaf partition is one too).
    Table,
    /// A partitioned table: holds no rows itself.
    PartitionedTable,
    /// A foreign table.
    ForeignTable,
    /// A materialized view.
    MaterializedView,
}

/// How a partitioned table splits its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionKey {
    /// `range`, `list` or `hash`.
    pub strategy: String,
    /// The key as `pg_get_partkeydef` prints it, e.g. `RANGE (created_at)`.
    pub definition: String,
    /// Each key column's name, or the expression's text for an expression key.
    pub columns: Vec<String>,
}

/// A table column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// The type as `format_type` prints it, e.g. `timestamp with time zone`.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// An index on a relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// The key columns in order: column names, or expression texts.
    pub columns: Vec<String>,
    /// INCLUDE columns.
    #[serde(default)]
    pub include: Vec<String>,
    /// The full `CREATE INDEX` statement.
    #[serde(default)]
    pub definition: String,
    /// The access method: `btree`, `hash`, `gin`, `gist`, `brin`, ...
    #[serde(default = "default_method")]
    pub method: String,
    /// Whether it is a unique index.
    #[serde(default)]
    pub unique: bool,
    /// Whether it backs the primary key.
    #[serde(default)]
    pub primary: bool,
    /// The WHERE clause of a partial index.
    #[serde(default)]
    pub predicate: Option<String>,
    /// Whether the index is valid (an interrupted CONCURRENTLY build leaves it invalid).
    #[serde(default = "default_true")]
    pub valid: bool,
}

fn default_method() -> String {
    "btree".into()
}

fn default_true() -> bool {
    true
}

/// One table, partition, partitioned table, foreign table or materialized view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// The schema.
    pub schema: String,
    /// The relation name.
    pub name: String,
    /// What kind of relation it is.
    pub kind: RelationKind,
    /// Whether the snapshot session's search path finds it by its bare name: which of several
    /// same-named tables a plan's unqualified relation name means.
    #[serde(default)]
    pub visible: bool,
    /// `pg_class.reltuples`: the planner's row count (-1 when never analyzed).
    #[serde(default = "minus_one")]
    pub reltuples: f64,
    /// `pg_class.relpages`: size in 8 kB pages.
    #[serde(default)]
    pub relpages: i64,
    /// For a partition: its immediate parent as `schema.name`.
    #[serde(default)]
    pub parent: Option<String>,
    /// For a partition: its bound, e.g. `FOR VALUES FROM ('1') TO ('50001')` or `DEFAULT`.
    #[serde(default)]
    pub partition_bound: Option<String>,
    /// For a partitioned table: its partition key.
    #[serde(default)]
    pub partition_key: Option<PartitionKey>,
    /// The columns, in table order.
    #[serde(default)]
    pub columns: Vec<Column>,
    /// The indexes.
    #[serde(default)]
    pub indexes: Vec<Index>,
}

fn minus_one() -> f64 {
    -1.0
}

impl Relation {
    /// `schema.name`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// Whether this relation is the default partition of its parent.
    pub fn is_default_partition(&self) -> bool {
        self.partition_bound
            .as_deref()
            .is_some_and(|bound| bound.eq_ignore_ascii_case("default"))
    }
}

/// Why a catalog snapshot could not be read.
#[derive(Debug)]
pub struct CatalogError(String);

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CatalogError {}

/// The snapshot document as stored on disk.
#[derive(Debug, Serialize, Deserialize)]
struct Document {
    planlint_catalog: u64,
    #[serde(default)]
    server_version: Option<String>,
    relations: Vec<Relation>,
}

/// Catalog facts, indexed for lookups by relation name.
#[derive(Debug, Default)]
pub struct Catalog {
    server_version: Option<String>,
    relations: Vec<Relation>,
    by_qualified: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    children: HashMap<usize, Vec<usize>>,
}

impl Catalog {
    /// Reads a snapshot from its JSON text; `name` is used in error messages.
    pub fn from_json(name: &str, text: &str) -> Result<Self, CatalogError> {
        let document: Document = serde_json::from_str(text).map_err(|error| {
            CatalogError(format!(
                "{name}:{}:{}: not a planlint catalog snapshot: {}",
                error.line(),
                error.column(),
                message_without_position(&error.to_string())
            ))
        })?;
        if document.planlint_catalog != FORMAT_VERSION {
            return Err(CatalogError(format!(
                "{name}: catalog snapshot format {} is not supported (this planlint reads format {FORMAT_VERSION})",
                document.planlint_catalog
            )));
        }
        Self::new(document.server_version, document.relations)
            .map_err(|message| CatalogError(format!("{name}: {message}")))
    }

    /// Reads a snapshot that a live server has just made, while other sessions may change the
    /// schema: a relation dropped while the query ran is still seen by its scan of `pg_class`,
    /// but the catalog functions that name its columns and indexes already miss it, and give
    /// NULL. Such a relation (being dropped, no statement can read it) is left out, with its
    /// partitions, instead of failing the whole snapshot.
    pub fn from_live_json(name: &str, text: &str) -> Result<Self, CatalogError> {
        #[derive(Deserialize)]
        struct LooseDocument {
            planlint_catalog: u64,
            #[serde(default)]
            server_version: Option<String>,
            relations: Vec<serde_json::Value>,
        }
        let document: LooseDocument = serde_json::from_str(text).map_err(|error| {
            CatalogError(format!(
                "{name}:{}:{}: not a planlint catalog snapshot: {}",
                error.line(),
                error.column(),
                message_without_position(&error.to_string())
            ))
        })?;
        if document.planlint_catalog != FORMAT_VERSION {
            return Err(CatalogError(format!(
                "{name}: catalog snapshot format {} is not supported (this planlint reads format {FORMAT_VERSION})",
                document.planlint_catalog
            )));
        }
        let mut relations: Vec<Relation> = document
            .relations
            .into_iter()
            .filter_map(|value| serde_json::from_value(value).ok())
            .collect();
        loop {
            let known: std::collections::HashSet<String> =
                relations.iter().map(Relation::qualified_name).collect();
            let before = relations.len();
            relations.retain(|relation| {
                relation
                    .parent
                    .as_ref()
                    .is_none_or(|parent| known.contains(parent))
            });
            if relations.len() == before {
                break;
            }
        }
        Self::new(document.server_version, relations)
            .map_err(|message| CatalogError(format!("{name}: {message}")))
    }

    /// Builds a catalog from relations; fails when a partition names a parent that is missing.
    pub fn new(server_version: Option<String>, relations: Vec<Relation>) -> Result<Self, String> {
        let mut catalog = Self {
            server_version,
            relations,
            ..Self::default()
        };
        for (index, relation) in catalog.relations.iter().enumerate() {
            catalog
                .by_qualified
                .insert(relation.qualified_name(), index);
            catalog
                .by_name
                .entry(relation.name.clone())
                .or_default()
                .push(index);
        }
        for (index, relation) in catalog.relations.iter().enumerate() {
            if let Some(parent) = &relation.parent {
                let parent_index = *catalog.by_qualified.get(parent).ok_or_else(|| {
                    format!(
                        "relation {} names parent {parent}, which the snapshot does not list",
                        relation.qualified_name()
                    )
                })?;
                catalog
                    .children
                    .entry(parent_index)
                    .or_default()
                    .push(index);
            }
        }
        Ok(catalog)
    }

    /// Serializes the catalog as a snapshot document.
    pub fn to_json(&self) -> String {
        let document = Document {
            planlint_catalog: FORMAT_VERSION,
            server_version: self.server_version.clone(),
            relations: self.relations.clone(),
        };
        serde_json::to_string_pretty(&document).expect("catalog serializes")
    }

    /// The server version the snapshot was taken from, when recorded.
    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    /// Every relation in the snapshot.
    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }

    /// Finds a relation by name: in `schema` when given; else the one the snapshot session's
    /// search path finds, then the one in `public`, then any.
    pub fn find(&self, schema: Option<&str>, name: &str) -> Option<&Relation> {
        if let Some(schema) = schema {
            return self
                .by_qualified
                .get(&format!("{schema}.{name}"))
                .map(|&index| &self.relations[index]);
        }
        let candidates: Vec<&Relation> = self
            .by_name
            .get(name)?
            .iter()
            .map(|&index| &self.relations[index])
            .collect();
        candidates
            .iter()
            .find(|relation| relation.visible)
            .or_else(|| {
                candidates
                    .iter()
                    .find(|relation| relation.schema == "public")
            })
            .or_else(|| candidates.first())
            .copied()
    }

    /// The relation's immediate parent, when it is a partition.
    pub fn parent_of(&self, relation: &Relation) -> Option<&Relation> {
        let parent = relation.parent.as_ref()?;
        self.by_qualified
            .get(parent)
            .map(|&index| &self.relations[index])
    }

    /// The top of the relation's partition tree: the relation itself when it is no partition.
    pub fn root_of<'a>(&'a self, relation: &'a Relation) -> &'a Relation {
        let mut current = relation;
        // A malformed snapshot could hold a cycle of parents; a tree is never deeper than it is long.
        for _ in 0..self.relations.len() {
            match self.parent_of(current) {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current
    }

    /// The relation's direct partitions.
    pub fn partitions_of(&self, relation: &Relation) -> Vec<&Relation> {
        self.index_of(relation)
            .and_then(|index| self.children.get(&index))
            .map(|children| {
                children
                    .iter()
                    .map(|&child| &self.relations[child])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The leaf partitions under a partitioned table, at any depth, in snapshot order.
    pub fn leaf_partitions_of<'a>(&'a self, relation: &'a Relation) -> Vec<&'a Relation> {
        let mut leaves = Vec::new();
        let mut pending = vec![relation];
        let mut visited = 0;
        while let Some(current) = pending.pop() {
            visited += 1;
            if visited > self.relations.len() {
                break;
            }
            let children = self.partitions_of(current);
            if children.is_empty() {
                if !std::ptr::eq(current, relation) {
                    leaves.push(current);
                }
            } else {
                pending.extend(children.into_iter().rev());
            }
        }
        leaves
    }

    /// The part of the catalog about `tables` (schema, name): those relations, the partitions
    /// under them and the tables above them.
    pub fn restricted_to(&self, tables: &[(Option<String>, String)]) -> Catalog {
        let mut keep = vec![false; self.relations.len()];
        for (schema, name) in tables {
            let Some(relation) = self.find(schema.as_deref(), name) else {
                continue;
            };
            let mut current = Some(relation);
            while let Some(ancestor) = current {
                if let Some(index) = self.index_of(ancestor) {
                    keep[index] = true;
                }
                current = self.parent_of(ancestor);
            }
            let mut pending = self.partitions_of(relation);
            while let Some(partition) = pending.pop() {
                if let Some(index) = self.index_of(partition) {
                    if !keep[index] {
                        keep[index] = true;
                        pending.extend(self.partitions_of(partition));
                    }
                }
            }
        }
        let relations = self
            .relations
            .iter()
            .zip(keep)
            .filter(|(_, kept)| *kept)
            .map(|(relation, _)| relation.clone())
            .collect();
        Catalog::new(self.server_version.clone(), relations)
            .expect("a closed subset keeps every parent")
    }

    fn index_of(&self, relation: &Relation) -> Option<usize> {
        self.by_qualified.get(&relation.qualified_name()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_snapshot_leaves_out_what_was_dropped_while_it_was_read() {
        let text = r#"{"planlint_catalog": 1, "relations": [
            {"schema": "public", "name": "orders", "kind": "partitioned_table"},
            {"schema": "public", "name": "orders_p1", "kind": "table", "parent": "public.orders"},
            {"schema": "app", "name": "gone", "kind": "partitioned_table",
             "columns": [{"name": "id", "type": null}]},
            {"schema": "app", "name": "gone_p1", "kind": "table", "parent": "app.gone"}
        ]}"#;
        assert!(Catalog::from_json("db", text).is_err());
        let catalog = Catalog::from_live_json("db", text).unwrap();
        let names: Vec<String> = catalog
            .relations()
            .iter()
            .map(Relation::qualified_name)
            .collect();
        assert_eq!(names, ["public.orders", "public.orders_p1"]);
    }
}
