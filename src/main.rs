//! The `planlint` command: argument parsing and exit codes; the work is in the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
