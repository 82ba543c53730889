//! The command line, declared with clap.

use std::io::IsTerminal;

use clap::{Args, Parser, Subcommand, ValueEnum};

use planlint::rules::Severity;

/// Finds out why a PostgreSQL query is slow from its EXPLAIN plan.
#[derive(Parser, Debug)]
#[command(name = "planlint", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on; 2 error (bad input, arguments or catalog)."
)]
pub struct Cli {
    /// When to color the output: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse EXPLAIN (FORMAT JSON) plans from files or stdin (pasted psql output is fine).
    Analyze(AnalyzeArgs),
    /// List the rules, or print one rule's documentation.
    Rules(RulesArgs),
    /// Catalog snapshots for `analyze --catalog`.
    Catalog(CatalogArgs),
}

/// `planlint analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Plan files; `-` (or nothing) reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// A catalog snapshot (JSON) with partitions, keys, indexes and sizes, for exact verdicts.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Override a rule threshold, e.g. `seq-scan.min_rows=50000` (repeatable; see `planlint rules NAME`).
    #[arg(long, value_name = "RULE.KEY=VALUE")]
    pub threshold: Vec<String>,
    /// Refuse inputs larger than this (bytes; K, M, G suffixes allowed).
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    pub max_input_size: u64,
}

/// `planlint rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// A rule name or code; without it, all rules are listed.
    pub name: Option<String>,
}

/// `planlint catalog`.
#[derive(Args, Debug)]
pub struct CatalogArgs {
    /// Print the read-only SQL query that writes a snapshot:
    /// `planlint catalog --sql | psql -XAt -d DB > catalog.json`.
    #[arg(long, required = true)]
    pub sql: bool,
}

/// Output formats.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A compact plan tree and the findings with their fixes.
    Text,
    /// The documented JSON shape (see the README).
    Json,
}

/// The `--fail-on` levels.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Fail on any finding.
    Info,
    /// Fail on warnings and errors.
    Warning,
    /// Fail on errors only.
    Error,
    /// Never fail because of findings.
    Never,
}

impl FailOn {
    /// The severity that fails the run, if any.
    pub fn level(self) -> Option<Severity> {
        match self {
            Self::Info => Some(Severity::Info),
            Self::Warning => Some(Severity::Warning),
            Self::Error => Some(Severity::Error),
            Self::Never => None,
        }
    }
}

/// The `--color` choices.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// Color on a terminal unless NO_COLOR is set.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

impl ColorChoice {
    /// Sets the colored crate's global switch.
    pub fn apply(self) {
        let on = match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        colored::control::set_override(on);
    }
}

/// Parses `512M`, `1G`, `4096`.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("\"{text}\" is not a size like 4096, 512K, 64M or 1G"))?;
    let factor: u64 = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => {
            return Err(format!(
                "\"{text}\" is not a size like 4096, 512K, 64M or 1G"
            ))
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("\"{text}\" is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5T").is_err());
    }
}
