//! Command-line interface: `planlint analyze`, `check`, `top`, `catalog`, `rules`, `baseline`,
//! `completions`, `man`.

mod analyze;
mod args;
mod catalog;
#[cfg(feature = "live")]
mod check;
#[cfg(feature = "live")]
mod explaining;
mod files;
mod logs;
mod output;
mod progress;
mod rules;
#[cfg(feature = "live")]
mod statements;
#[cfg(feature = "live")]
mod top;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{BaselineArgs, BaselineRun, Cli, Command};

/// When the run started, for the summary line.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Exit code: no finding at or above `--fail-on`.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: findings at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: planlint could not do its job (bad input, bad arguments, unreadable catalog).
pub const EXIT_ERROR: u8 = 2;

/// Parses the arguments, runs the command and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    STARTED.get_or_init(std::time::Instant::now);
    let cli = Cli::parse();
    cli.color.apply();
    let code = match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        Command::Rules(args) => rules::run(&args),
        #[cfg(feature = "live")]
        Command::Check(args) => check::run(&args),
        #[cfg(feature = "live")]
        Command::Top(args) => top::run(&args),
        Command::Baseline(BaselineArgs { output, run }) => match run {
            BaselineRun::Analyze(mut args) => {
                args.report.write_baseline = Some(output);
                analyze::run(&args)
            }
            #[cfg(feature = "live")]
            BaselineRun::Check(mut args) => {
                args.report.write_baseline = Some(output);
                check::run(&args)
            }
        },
        Command::Catalog(args) => catalog::run(&args),
        Command::Completions(args) => completions(args.shell),
        Command::Man => man_page(),
    };
    ExitCode::from(code)
}

/// Prints the completion script for `shell`, generated from the argument definitions.
fn completions(shell: clap_complete::Shell) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "planlint", &mut script);
    print_out(&String::from_utf8_lossy(&script));
    EXIT_CLEAN
}

/// Prints the man page, generated from the argument definitions.
fn man_page() -> u8 {
    let mut page = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut page) {
        Ok(()) => {
            print_out(&String::from_utf8_lossy(&page));
            EXIT_CLEAN
        }
        Err(error) => {
            print_error(&format!("could not write the man page: {error}"));
            EXIT_ERROR
        }
    }
}

/// Writes to stdout. A reader that went away (`planlint ... | head`) is not an error worth a
/// message: the rest of the output is simply dropped.
pub fn print_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            print_error(&format!("cannot write the output: {error}"));
        }
    }
}

/// Prints a one-line error on stderr.
pub fn print_error(message: &str) {
    eprintln!("planlint: error: {message}");
}
