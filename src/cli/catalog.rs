//! `planlint catalog --sql`: the query that writes a catalog snapshot, for psql.

use super::args::CatalogArgs;
use super::EXIT_CLEAN;
use planlint::catalog::SNAPSHOT_SQL;

/// Prints the snapshot query.
pub fn run(args: &CatalogArgs) -> u8 {
    debug_assert!(args.sql, "clap requires --sql");
    print!("{SNAPSHOT_SQL}");
    EXIT_CLEAN
}
