//! What a statement would do beyond reading and writing tables, found before `EXPLAIN ANALYZE`
//! runs it. A READ ONLY transaction stops writes to tables, and the rollback undoes what the
//! statement wrote, but neither stops a function from terminating another session, taking a
//! session-level lock, reloading the configuration or writing through another connection.
//!
//! The functions a statement calls are read from its text and from its `EXPLAIN (VERBOSE)`
//! plan, where views are expanded (see [`crate::sql::Calls`]), then resolved in the server's
//! catalog through the session's search path. Built-in functions (schema `pg_catalog`) are
//! judged by name from the tables below: the volatile ones with effects outside the
//! transaction's tables are refused, those known to be harmless run, and a volatile built-in
//! planlint does not know is refused. Any other function (user-defined, or from an extension)
//! is refused when it is VOLATILE: it may do anything the read-only transaction does not stop.
//! An operator is refused when the function behind it is a volatile one outside `pg_catalog`.

use std::collections::BTreeSet;
use std::fmt;

use crate::sql::{Call, Calls};

/// Why running a function is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// Signals other server processes or changes the server's state.
    ServerControl,
    /// Creates, drops, advances or reads from replication slots and origins.
    Replication,
    /// Resets the server's statistics.
    Statistics,
    /// Changes a setting or state of the session beyond the transaction.
    SessionState,
    /// Takes or releases an advisory lock that other sessions see.
    AdvisoryLock,
    /// Sends a notification or writes a message to the WAL.
    Messaging,
    /// Reads, writes or exports large objects.
    LargeObject,
    /// Writes, renames or deletes files on the server.
    ServerFile,
    /// Advances or sets a sequence.
    Sequence,
    /// Runs statements on another database connection.
    RemoteDatabase,
    /// Runs SQL handed to it as a string, which planlint cannot check.
    DynamicSql,
    /// Summarises or cleans index pages.
    IndexMaintenance,
    /// Changes the system catalogs.
    CatalogChange,
    /// A volatile built-in function planlint does not know to be harmless.
    UnknownBuiltin,
    /// A VOLATILE function outside `pg_catalog` (user-defined or from an extension).
    Volatile,
}

impl Effect {
    /// What the function does, and whether the rollback undoes it: the end of a sentence
    /// that starts with the function's name and "which".
    pub fn describe(self) -> &'static str {
        match self {
            Self::ServerControl => {
                "signals other server processes or changes the server's state: no rollback undoes that"
            }
            Self::Replication => "changes replication slots or origins: no rollback undoes that",
            Self::Statistics => "resets the server's statistics: no rollback undoes that",
            Self::SessionState => {
                "changes the session beyond the transaction (set_config runs only with is_local = true)"
            }
            Self::AdvisoryLock => {
                "takes or releases advisory locks other sessions wait on; session-level ones outlive the rollback"
            }
            Self::Messaging => "sends a notification or writes a message to the WAL",
            Self::LargeObject => {
                "reads or writes large objects, even in a read-only transaction; lo_export writes a server file"
            }
            Self::ServerFile => "writes, renames or deletes server files: no rollback undoes that",
            Self::Sequence => "advances or sets a sequence: no rollback undoes that",
            Self::RemoteDatabase => {
                "runs statements through another connection, which commits on its own"
            }
            Self::DynamicSql => "runs SQL given as a string, which planlint cannot check",
            Self::IndexMaintenance => "changes index pages",
            Self::CatalogChange => "changes the system catalogs",
            Self::UnknownBuiltin => {
                "is a volatile built-in function planlint does not know to be harmless"
            }
            Self::Volatile => {
                "is VOLATILE: it may do what a read-only transaction does not stop (declare it STABLE if it only reads)"
            }
        }
    }
}

/// A name, or every name starting with a prefix.
#[derive(Debug, Clone, Copy)]
enum Name {
    Exact(&'static str),
    Prefix(&'static str),
}

impl Name {
    fn matches(self, name: &str) -> bool {
        match self {
            Self::Exact(exact) => name == exact,
            Self::Prefix(prefix) => name.starts_with(prefix),
        }
    }
}

use Name::{Exact, Prefix};

/// Built-in functions (`pg_catalog`) that are refused, with why. `set_config` is refused unless
/// its third argument is `true` (a transaction-local setting), see [`session_setting`].
const REFUSED_BUILTINS: &[(Name, Effect)] = &[
    (Exact("pg_terminate_backend"), Effect::ServerControl),
    (Exact("pg_cancel_backend"), Effect::ServerControl),
    (
        Exact("pg_log_backend_memory_contexts"),
        Effect::ServerControl,
    ),
    (Exact("pg_reload_conf"), Effect::ServerControl),
    (Prefix("pg_rotate_logfile"), Effect::ServerControl),
    (Exact("pg_switch_wal"), Effect::ServerControl),
    (Exact("pg_switch_xlog"), Effect::ServerControl),
    (Exact("pg_promote"), Effect::ServerControl),
    (Exact("pg_create_restore_point"), Effect::ServerControl),
    (Exact("pg_wal_replay_pause"), Effect::ServerControl),
    (Exact("pg_wal_replay_resume"), Effect::ServerControl),
    (Exact("pg_backup_start"), Effect::ServerControl),
    (Exact("pg_backup_stop"), Effect::ServerControl),
    (Exact("pg_start_backup"), Effect::ServerControl),
    (Exact("pg_stop_backup"), Effect::ServerControl),
    (Prefix("pg_stat_reset"), Effect::Statistics),
    (Exact("pg_stat_force_next_flush"), Effect::Statistics),
    (
        Prefix("pg_create_physical_replication_slot"),
        Effect::Replication,
    ),
    (
        Prefix("pg_create_logical_replication_slot"),
        Effect::Replication,
    ),
    (Exact("pg_drop_replication_slot"), Effect::Replication),
    (Prefix("pg_copy_"), Effect::Replication),
    (Exact("pg_replication_slot_advance"), Effect::Replication),
    (Exact("pg_sync_replication_slots"), Effect::Replication),
    (Prefix("pg_logical_slot_"), Effect::Replication),
    (Prefix("pg_replication_origin_"), Effect::Replication),
    (Exact("set_config"), Effect::SessionState),
    (Exact("setseed"), Effect::SessionState),
    (Prefix("pg_advisory_"), Effect::AdvisoryLock),
    (Prefix("pg_try_advisory_"), Effect::AdvisoryLock),
    (Exact("pg_notify"), Effect::Messaging),
    (Exact("pg_logical_emit_message"), Effect::Messaging),
    (Prefix("lo_"), Effect::LargeObject),
    (Exact("loread"), Effect::LargeObject),
    (Exact("lowrite"), Effect::LargeObject),
    (Exact("nextval"), Effect::Sequence),
    (Exact("setval"), Effect::Sequence),
    (Prefix("query_to_xml"), Effect::DynamicSql),
    (Prefix("cursor_to_xml"), Effect::DynamicSql),
    (Exact("ts_stat"), Effect::DynamicSql),
    (Exact("ts_rewrite"), Effect::DynamicSql),
    (Exact("brin_summarize_range"), Effect::IndexMaintenance),
    (Exact("brin_summarize_new_values"), Effect::IndexMaintenance),
    (Exact("brin_desummarize_range"), Effect::IndexMaintenance),
    (Exact("gin_clean_pending_list"), Effect::IndexMaintenance),
    (Exact("pg_import_system_collations"), Effect::CatalogChange),
    (Prefix("binary_upgrade_"), Effect::CatalogChange),
    (Exact("pg_nextoid"), Effect::CatalogChange),
    (
        Exact("pg_stop_making_pinned_objects"),
        Effect::CatalogChange,
    ),
    (Exact("pg_extension_config_dump"), Effect::CatalogChange),
];

/// Functions of extensions, in whatever schema they were installed (adminpack's are in
/// `pg_catalog`), refused with a reason of their own.
const REFUSED_EXTENSION_FUNCTIONS: &[(Name, Effect)] = &[
    (Prefix("dblink"), Effect::RemoteDatabase),
    (Prefix("postgres_fdw_disconnect"), Effect::RemoteDatabase),
    (Prefix("pg_file_"), Effect::ServerFile),
    (Exact("pg_stat_statements_reset"), Effect::Statistics),
];

/// Volatile built-in functions that only read, or whose effects end with the transaction:
/// these run under `--analyze`.
const HARMLESS_BUILTINS: &[Name] = &[
    Exact("random"),
    Exact("random_normal"),
    Exact("clock_timestamp"),
    Exact("timeofday"),
    Exact("gen_random_uuid"),
    Exact("uuidv4"),
    Exact("uuidv7"),
    Prefix("pg_sleep"),
    Exact("current_query"),
    Exact("currval"),
    Exact("lastval"),
    Exact("pg_sequence_last_value"),
    Exact("pg_blocking_pids"),
    Exact("pg_safe_snapshot_blocking_pids"),
    Exact("pg_isolation_test_session_is_blocked"),
    Exact("pg_lock_status"),
    Exact("pg_is_in_recovery"),
    Prefix("pg_current_wal_"),
    Prefix("pg_last_wal_"),
    Exact("pg_last_xact_replay_timestamp"),
    Exact("pg_is_wal_replay_paused"),
    Exact("pg_get_wal_replay_pause_state"),
    Prefix("pg_control_"),
    Exact("pg_database_size"),
    Exact("pg_relation_size"),
    Exact("pg_table_size"),
    Exact("pg_indexes_size"),
    Exact("pg_total_relation_size"),
    Exact("pg_tablespace_size"),
    Exact("pg_partition_tree"),
    Exact("pg_partition_ancestors"),
    Exact("pg_jit_available"),
    Exact("pg_notification_queue_usage"),
    Prefix("pg_stat_get_"),
    Exact("pg_stat_have_stats"),
    Exact("pg_stat_clear_snapshot"),
    Exact("pg_get_backend_memory_contexts"),
    Exact("pg_get_shmem_allocations"),
    Exact("pg_get_shmem_allocations_numa"),
    Exact("pg_get_multixact_members"),
    Exact("pg_get_wal_resource_managers"),
    Exact("pg_get_loaded_modules"),
    Exact("pg_hba_file_rules"),
    Exact("pg_ident_file_mappings"),
    Exact("pg_show_all_file_settings"),
    Exact("pg_current_logfile"),
    Exact("pg_prepared_xact"),
    Prefix("pg_xact_commit_timestamp"),
    Exact("pg_last_committed_xact"),
    Exact("pg_xact_status"),
    Exact("txid_status"),
    Exact("pg_collation_actual_version"),
    Exact("pg_database_collation_actual_version"),
    Exact("pg_show_replication_origin_status"),
    Exact("pg_export_snapshot"),
    Prefix("pg_ls_"),
    Prefix("pg_read_file"),
    Exact("pg_read_binary_file"),
    Exact("pg_stat_file"),
    Exact("currtid2"),
    Exact("amvalidate"),
    Exact("plpgsql_validator"),
    Exact("pg_logdir_ls"),
    Exact("bernoulli"),
    Exact("system"),
];

/// One function (or operator) the statement may call, as the catalog knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callable {
    /// Whether this row is an operator (its name is the symbol) rather than a function.
    pub operator: bool,
    /// The function's schema.
    pub schema: String,
    /// The function's name, or the operator's symbol.
    pub name: String,
    /// `pg_proc.provolatile`: `v`, `s` or `i`.
    pub volatility: char,
    /// The function's signature (`regprocedure`), for messages.
    pub signature: String,
    /// How many arguments it takes, and how many of them have defaults.
    pub arguments: (usize, usize),
    /// Whether it takes a VARIADIC last argument.
    pub variadic: bool,
    /// Whether its schema is on the session's search path (`current_schemas(true)`).
    pub on_search_path: bool,
}

/// The catalog query that resolves the names: `$1` the function names, `$2` the operator
/// symbols. It reads only `pg_proc`, `pg_operator` and `pg_namespace`, takes no lock on a
/// table, and runs on a hot standby.
pub const RESOLVE_SQL: &str = "\
/* planlint */ SELECT false, n.nspname, p.proname, p.provolatile::text, p.oid::regprocedure::text, \
       p.pronargs::int4, p.pronargdefaults::int4, p.provariadic <> 0, \
       n.nspname = ANY (pg_catalog.current_schemas(true)) \
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
WHERE p.proname = ANY ($1::text[]) \
UNION ALL \
SELECT true, n.nspname, o.oprname, p.provolatile::text, p.oid::regprocedure::text, \
       p.pronargs::int4, 0, false, true \
FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_proc p ON p.oid = o.oprcode \
     JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
WHERE o.oprname = ANY ($2::text[]) AND p.provolatile = 'v'";

/// A function that running the statement would call, and why that is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideEffect {
    /// The function's signature, schema-qualified (`pg_catalog.pg_notify(text,text)`), or
    /// `operator === (app.f(int4,int4))`.
    pub function: String,
    /// What it does.
    pub effect: Effect,
}

impl fmt::Display for SideEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, which {}", self.function, self.effect.describe())
    }
}

/// The side effects of `calls`, given what the catalog says of the names they use. Each
/// function is named once, in the order of [`Effect`], then by name.
pub fn side_effects(calls: &Calls, catalog: &[Callable]) -> Vec<SideEffect> {
    let mut found: BTreeSet<(Effect, String)> = BTreeSet::new();
    for call in &calls.functions {
        for candidate in candidates(call, catalog) {
            if let Some(effect) = judge(call, candidate) {
                found.insert((effect, qualified(candidate)));
            }
        }
    }
    for candidate in catalog.iter().filter(|row| row.operator) {
        if candidate.schema != "pg_catalog"
            && candidate.volatility == 'v'
            && calls.operators.contains(&candidate.name)
        {
            found.insert((
                Effect::Volatile,
                format!("operator {} ({})", candidate.name, qualified(candidate)),
            ));
        }
    }
    found
        .into_iter()
        .map(|(effect, function)| SideEffect { function, effect })
        .collect()
}

/// The names to resolve: every function name called, and every operator symbol used.
pub fn names_to_resolve(calls: &Calls) -> (Vec<String>, Vec<String>) {
    let mut functions: Vec<String> = calls.functions.iter().map(|c| c.name.clone()).collect();
    functions.sort();
    functions.dedup();
    (functions, calls.operators.iter().cloned().collect())
}

/// The functions `call` may resolve to: those of its schema when it names one, else those on
/// the search path; of them, the ones that take as many arguments as it passes, or all of them
/// when none does (the server will then refuse the call, but planlint stays on the safe side).
fn candidates<'a>(call: &Call, catalog: &'a [Callable]) -> Vec<&'a Callable> {
    let named: Vec<&Callable> = catalog
        .iter()
        .filter(|row| !row.operator && row.name == call.name)
        .filter(|row| match &call.schema {
            Some(schema) => &row.schema == schema,
            None => row.on_search_path,
        })
        .collect();
    let count = call.arguments.len();
    let fitting: Vec<&Callable> = named
        .iter()
        .copied()
        .filter(|row| {
            let (total, defaults) = row.arguments;
            (total.saturating_sub(defaults) <= count && count <= total)
                || (row.variadic && count + 1 >= total)
        })
        .collect();
    if fitting.is_empty() {
        named
    } else {
        fitting
    }
}

/// Why calling `candidate` for `call` is refused, if it is.
fn judge(call: &Call, candidate: &Callable) -> Option<Effect> {
    // Extensions install where they like: adminpack's functions live in pg_catalog.
    if let Some((_, effect)) = REFUSED_EXTENSION_FUNCTIONS
        .iter()
        .find(|(name, _)| name.matches(&candidate.name))
    {
        return Some(*effect);
    }
    if candidate.schema == "pg_catalog" {
        if candidate.volatility != 'v' {
            return None;
        }
        if candidate.name == "set_config" {
            return session_setting(call);
        }
        if let Some((_, effect)) = REFUSED_BUILTINS
            .iter()
            .find(|(name, _)| name.matches(&candidate.name))
        {
            return Some(*effect);
        }
        if HARMLESS_BUILTINS
            .iter()
            .any(|name| name.matches(&candidate.name))
        {
            return None;
        }
        return Some(Effect::UnknownBuiltin);
    }
    (candidate.volatility == 'v').then_some(Effect::Volatile)
}

/// `set_config(name, value, is_local)` changes the session's setting unless `is_local` is
/// written as `true`: anything else (`false`, a parameter, an expression) is refused.
fn session_setting(call: &Call) -> Option<Effect> {
    let local = call.arguments.get(2).is_some_and(|argument| {
        let argument = argument.trim_start_matches('(').trim_end_matches(')');
        let value = argument
            .strip_suffix("::boolean")
            .unwrap_or(argument)
            .trim();
        value.eq_ignore_ascii_case("true")
    });
    (!local).then_some(Effect::SessionState)
}

fn qualified(candidate: &Callable) -> String {
    // regprocedure leaves out the schema of a function the search path finds.
    if candidate.signature.contains('.') {
        candidate.signature.clone()
    } else {
        format!("{}.{}", candidate.schema, candidate.signature)
    }
}

/// How planlint judges a call without arguments of a volatile function of `pg_catalog` named
/// `name`: why it is refused, or `None` when it runs.
pub fn judge_builtin(name: &str) -> Option<Effect> {
    let call = Call {
        schema: Some("pg_catalog".to_owned()),
        name: name.to_owned(),
        arguments: Vec::new(),
    };
    let candidate = Callable {
        operator: false,
        schema: "pg_catalog".to_owned(),
        name: name.to_owned(),
        volatility: 'v',
        signature: format!("{name}()"),
        arguments: (0, 0),
        variadic: false,
        on_search_path: true,
    };
    judge(&call, &candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(schema: &str, name: &str, volatility: char, arguments: usize) -> Callable {
        Callable {
            operator: false,
            schema: schema.to_owned(),
            name: name.to_owned(),
            volatility,
            signature: format!("{schema}.{name}({})", vec!["int4"; arguments].join(",")),
            arguments: (arguments, 0),
            variadic: false,
            on_search_path: schema == "pg_catalog" || schema == "public",
        }
    }

    fn effects(sql: &str, catalog: &[Callable]) -> Vec<String> {
        let mut calls = Calls::default();
        calls.scan(sql);
        side_effects(&calls, catalog)
            .into_iter()
            .map(|effect| format!("{:?} {}", effect.effect, effect.function))
            .collect()
    }

    #[test]
    fn builtins_with_effects_outside_the_transaction_are_refused() {
        let catalog = [
            function("pg_catalog", "pg_terminate_backend", 'v', 2),
            function("pg_catalog", "random", 'v', 0),
            function("pg_catalog", "lower", 'i', 1),
        ];
        assert_eq!(
            effects(
                "SELECT pg_terminate_backend(pid), random(), lower(x) FROM pg_stat_activity",
                &catalog
            ),
            ["ServerControl pg_catalog.pg_terminate_backend(int4,int4)"]
        );
    }

    #[test]
    fn set_config_runs_only_when_transaction_local() {
        let catalog = [function("pg_catalog", "set_config", 'v', 3)];
        assert!(effects("SELECT set_config('a', 'b', true)", &catalog).is_empty());
        assert!(effects("set_config('a'::text, 'b'::text, TRUE)", &catalog).is_empty());
        for sql in [
            "SELECT set_config('a', 'b', false)",
            "SELECT set_config('a', 'b', $3)",
            "SELECT set_config('a', 'b', 1 = 1)",
        ] {
            assert_eq!(
                effects(sql, &catalog),
                ["SessionState pg_catalog.set_config(int4,int4,int4)"],
                "{sql}"
            );
        }
    }

    #[test]
    fn user_functions_are_refused_when_volatile_and_found_through_the_search_path() {
        let catalog = [
            function("public", "touch", 'v', 1),
            function("public", "lookup", 's', 1),
            function("hidden", "lookup", 'v', 1),
            function("app", "pure", 'i', 0),
        ];
        assert_eq!(
            effects("SELECT touch(1), lookup(2)", &catalog),
            ["Volatile public.touch(int4)"]
        );
        assert_eq!(
            effects("SELECT hidden.lookup(2)", &catalog),
            ["Volatile hidden.lookup(int4)"]
        );
        assert!(effects("SELECT app.pure()", &catalog).is_empty());
    }

    #[test]
    fn overloads_are_told_apart_by_their_number_of_arguments() {
        let mut volatile = function("pg_catalog", "ts_rewrite", 'v', 2);
        volatile.signature = "ts_rewrite(tsquery,text)".into();
        let immutable = function("pg_catalog", "ts_rewrite", 'i', 3);
        let catalog = [volatile, immutable];
        assert!(effects("SELECT ts_rewrite(q, a, b)", &catalog).is_empty());
        assert_eq!(
            effects("SELECT ts_rewrite(q, 'SELECT t, s FROM aliases')", &catalog),
            ["DynamicSql pg_catalog.ts_rewrite(tsquery,text)"]
        );
    }

    #[test]
    fn operators_backed_by_volatile_functions_are_refused() {
        let operator = Callable {
            operator: true,
            schema: "app".into(),
            name: "===".into(),
            volatility: 'v',
            signature: "app.noisy_eq(int4,int4)".into(),
            arguments: (2, 0),
            variadic: false,
            on_search_path: true,
        };
        assert_eq!(
            effects(
                "SELECT * FROM t WHERE a === b",
                std::slice::from_ref(&operator)
            ),
            ["Volatile operator === (app.noisy_eq(int4,int4))"]
        );
        assert!(effects("SELECT * FROM t WHERE a = b", &[operator]).is_empty());
    }

    #[test]
    fn extension_functions_get_their_own_reason_in_any_schema() {
        let catalog = [function("ext", "dblink_exec", 'v', 2)];
        assert_eq!(
            effects(
                "SELECT ext.dblink_exec('dbname=x', 'DELETE FROM t')",
                &catalog
            ),
            ["RemoteDatabase ext.dblink_exec(int4,int4)"]
        );
    }

    #[test]
    fn names_that_are_no_function_resolve_to_nothing() {
        assert!(effects("SELECT * FROM t WHERE a IN (1, 2)", &[]).is_empty());
    }

    #[test]
    fn the_readme_lists_every_refused_function() {
        let readme = include_str!("../../README.md");
        for (name, _) in REFUSED_BUILTINS.iter().chain(REFUSED_EXTENSION_FUNCTIONS) {
            let shown = match name {
                Exact(exact) => format!("`{exact}`"),
                Prefix(prefix) => format!("`{prefix}*`"),
            };
            assert!(readme.contains(&shown), "the README does not list {shown}");
        }
    }

    #[test]
    fn builtins_are_judged_by_the_tables() {
        assert_eq!(
            judge_builtin("pg_advisory_xact_lock"),
            Some(Effect::AdvisoryLock)
        );
        assert_eq!(judge_builtin("lo_import"), Some(Effect::LargeObject));
        assert_eq!(
            judge_builtin("pg_stat_reset_shared"),
            Some(Effect::Statistics)
        );
        assert_eq!(judge_builtin("pg_sleep_for"), None);
        assert_eq!(
            judge_builtin("plpgsql_call_handler"),
            Some(Effect::UnknownBuiltin)
        );
    }
}
