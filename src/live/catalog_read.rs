//! The catalog read of live mode, which must not wait behind a lock on a table it has no
//! business with. It reads the partition trees of the tables the statements use (or every
//! relation, for `planlint catalog`), and nothing it reads takes a lock but the functions that
//! print expression texts (index definitions, expressions and predicates, expression partition
//! keys). Before it reads, it looks in `pg_locks` for the relations another session holds or
//! waits for an ACCESS EXCLUSIVE lock on (a migration; a reader would queue behind either), and
//! leaves their texts unread: the rest of their facts, and every other relation's, stay exact.

use std::fmt;

use tokio_postgres::types::Type;

use super::connection::Connection;
use crate::sql::TableName;

/// The relations locked by other sessions, in the current database: an index's lock counts as
/// its table's. Reads `pg_locks`, which takes no relation lock.
pub(super) const LOCKED_SQL: &str = "\
/* planlint */ SELECT DISTINCT c.oid::int8, n.nspname::text, c.relname::text, l.pid, l.granted \
FROM pg_catalog.pg_locks l \
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = l.relation \
JOIN pg_catalog.pg_class c ON c.oid = coalesce(i.indrelid, l.relation) \
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' \
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
  AND l.pid <> pg_catalog.pg_backend_pid() \
ORDER BY 2, 3, 4";

/// A relation whose texts were not read, because another session holds or waits for an ACCESS
/// EXCLUSIVE lock on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedRelation {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// The process holding or waiting for the lock.
    pub pid: i32,
    /// Whether the lock is held (else it is waited for, which queues every reader too).
    pub granted: bool,
}

impl fmt::Display for LockedRelation {
    /// `public.orders_p3 is locked by another session (...): what was not read`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.granted {
            "holds"
        } else {
            "waits for, which queues every reader behind it,"
        };
        write!(
            f,
            "{}.{} is locked by another session (pid {} {how} an ACCESS EXCLUSIVE lock: a \
             migration?), so its index definitions, index expressions and predicates and its \
             expression partition key were not read; the rest of its facts were",
            self.schema, self.name, self.pid
        )
    }
}

/// What the catalog read returns: the snapshot document, and the relations whose texts it left
/// unread.
#[derive(Debug, Clone)]
pub struct CatalogRead {
    /// The snapshot JSON.
    pub text: String,
    /// The relations locked by other sessions, whose texts were not read (not all of them need
    /// be in the snapshot: the lock list covers the whole database).
    pub locked: Vec<LockedRelation>,
}

/// The `planlint.relations` setting that narrows the snapshot to `tables`' partition trees:
/// `[[schema or null, name], ...]`.
pub(super) fn relations_setting(tables: &[TableName]) -> String {
    let mut unique: Vec<&TableName> = tables.iter().collect();
    unique.sort();
    unique.dedup();
    serde_json::to_string(&unique).expect("names serialize")
}

/// Reads the locked relations, then the snapshot with their texts unread, in the transaction.
pub(super) fn read(
    transaction: &mut Connection,
    relations: Option<&str>,
) -> Result<CatalogRead, tokio_postgres::Error> {
    let rows = transaction.query_typed(LOCKED_SQL, &[])?;
    let mut locked = Vec::with_capacity(rows.len());
    let mut oids = Vec::with_capacity(rows.len());
    for row in rows {
        oids.push(row.try_get::<_, i64>(0)?);
        locked.push(LockedRelation {
            schema: row.try_get(1)?,
            name: row.try_get(2)?,
            pid: row.try_get(3)?,
            granted: row.try_get(4)?,
        });
    }
    let unread = serde_json::to_string(&oids).expect("numbers serialize");
    let relations = relations.unwrap_or_default().to_owned();
    // jit off: the snapshot's many small joins cost the planner enough to JIT-compile them,
    // which took 140 ms of a 170 ms read on PostgreSQL 15, for nothing.
    transaction.query_typed(
        "/* planlint */ SELECT pg_catalog.set_config('planlint.relations', $1, true), \
                pg_catalog.set_config('planlint.unread', $2, true), \
                pg_catalog.set_config('jit', 'off', true)",
        &[(&relations, Type::TEXT), (&unread, Type::TEXT)],
    )?;
    let rows = transaction.query_typed(crate::catalog::SNAPSHOT_SQL, &[])?;
    let mut text = String::new();
    for row in rows {
        text.push_str(row.try_get::<_, &str>(0)?);
        text.push('\n');
    }
    Ok(CatalogRead { text, locked })
}
