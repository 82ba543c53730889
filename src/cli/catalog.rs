//! `planlint catalog`: a catalog snapshot from a live database, or the query that writes one.

use super::args::CatalogArgs;
#[cfg(feature = "live")]
use super::check::connect_with;
#[cfg(feature = "live")]
use super::explaining::warn_of_locked;
#[cfg(feature = "live")]
use super::statements::collect;
use super::{print_error, print_out, EXIT_CLEAN, EXIT_ERROR};
#[cfg(feature = "live")]
use planlint::catalog::Catalog;
use planlint::catalog::SNAPSHOT_SQL;
#[cfg(feature = "live")]
use planlint::sql::referenced_tables;

/// Prints or writes the snapshot.
pub fn run(args: &CatalogArgs) -> u8 {
    if args.sql {
        print_out(SNAPSHOT_SQL);
        return EXIT_CLEAN;
    }
    #[cfg(not(feature = "live"))]
    {
        print_error(
            "this planlint was built without live mode (the cargo feature `live`): \
             `planlint catalog --sql | psql -XAt -d DB > catalog.json` writes a snapshot",
        );
        EXIT_ERROR
    }
    #[cfg(feature = "live")]
    match snapshot(args) {
        Ok(json) => match &args.output {
            Some(path) => match std::fs::write(path, json) {
                Ok(()) => EXIT_CLEAN,
                Err(error) => {
                    print_error(&format!("{path}: {error}"));
                    EXIT_ERROR
                }
            },
            None => {
                print_out(&format!("{json}\n"));
                EXIT_CLEAN
            }
        },
        Err(message) => {
            print_error(&message);
            EXIT_ERROR
        }
    }
}

/// A snapshot read from the database `args` name.
#[cfg(feature = "live")]
fn snapshot(args: &CatalogArgs) -> Result<String, String> {
    let mut tables = Vec::new();
    if !args.for_queries.is_empty() {
        let collected = collect(&args.for_queries, &[], &|_| false);
        if let Some(input) = collected.unreadable.first() {
            return Err(input.message.clone());
        }
        for statement in &collected.statements {
            tables.extend(
                referenced_tables(&statement.text)
                    .map_err(|error| format!("{}: {error}", statement.source))?,
            );
        }
    }
    let mut session = connect_with(&args.db, false, None).map_err(|message| {
        if message.starts_with("no database to connect to") {
            format!("{message}; or --sql, to print the query for psql instead")
        } else {
            message
        }
    })?;
    let scope = (!args.for_queries.is_empty()).then_some(tables.as_slice());
    let read = session
        .catalog_snapshot(scope)
        .map_err(|error| error.to_string())?;
    let catalog =
        Catalog::from_live_json(session.target(), &read.text).map_err(|error| error.to_string())?;
    warn_of_locked(&catalog, &read.locked);
    let catalog = if args.for_queries.is_empty() {
        catalog
    } else {
        catalog.restricted_to(&tables)
    };
    Ok(catalog.to_json())
}
