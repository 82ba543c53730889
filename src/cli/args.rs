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
    /// Analyse EXPLAIN plans from files or stdin: text as psql prints it, JSON, YAML or XML.
    #[command(after_help = ANALYZE_FORMATS)]
    Analyze(AnalyzeArgs),
    /// List the rules, or print one rule's documentation.
    Rules(RulesArgs),
    /// Explain SQL statements on a live database and analyse their plans (plain EXPLAIN:
    /// nothing is executed unless --analyze).
    #[cfg(feature = "live")]
    Check(CheckArgs),
    /// Find the slow statements where the server recorded them: explain and analyse the top
    /// statements of pg_stat_statements (plain EXPLAIN of their generic plans: nothing is
    /// executed), ranked by the time they take.
    #[cfg(feature = "live")]
    Top(TopArgs),
    /// Record today's findings as the baseline, so later runs with --baseline fail only on new
    /// ones: `planlint baseline [-o FILE] check --db URL queries/`.
    Baseline(BaselineArgs),
    /// Catalog snapshots for `analyze --catalog`: from a live database, or the query for psql.
    Catalog(CatalogArgs),
    /// Print a shell completion script: `planlint completions bash > /etc/bash_completion.d/planlint`.
    Completions(CompletionsArgs),
    /// Print planlint's man page (roff): `planlint man > ~/.local/share/man/man1/planlint.1`.
    Man,
}

/// `planlint completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What `planlint analyze --help` says about the formats it reads, text first.
const ANALYZE_FORMATS: &str = "\
Formats: EXPLAIN's default text format, as psql prints it, is read as it is:
  psql -c \"EXPLAIN (ANALYZE, BUFFERS) SELECT ...\" > plan.txt && planlint analyze plan.txt
  (or run `planlint analyze` and paste the screen, statement and all, then press Ctrl-D).
JSON, YAML and XML (EXPLAIN (FORMAT JSON|YAML|XML)) read the same, and so does every psql framing:
borders 0-2, ascii, old-ascii and unicode lines, \\pset format wrapped, \\x, -A, -t, --csv, and
copies from pgAdmin, DBeaver or a mail. A text plan cut off is analysed as far as it goes, with a
warning naming the line where it ends. A directory is searched for .json, .txt, .plan, .yaml, .yml
and .xml files.";

/// `planlint analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Plan files (any EXPLAIN format), directories or globs; `-` (or nothing) reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// A catalog snapshot (JSON) with partitions, keys, indexes and sizes, for exact verdicts.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<String>,
    /// The SQL the plans are of, to learn why pruning failed: one statement for every plan, or
    /// one per plan in order.
    #[arg(long, value_name = "FILE")]
    pub query: Option<String>,
    /// Refuse inputs larger than this (bytes; K, M, G suffixes allowed).
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    pub max_input_size: u64,
    /// How to report.
    /// Explain the statements a server log holds without a plan (log_min_duration_statement)
    /// on this database, as `top` explains its statements: plain EXPLAIN of the generic plan,
    /// nothing executed. Without it they are counted.
    #[cfg(feature = "live")]
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Options of every command that reports findings.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Output format; `github` when run by GitHub Actions (GITHUB_ACTIONS=true), else `text`.
    #[arg(long, value_enum, default_value_t = Format::default_for_environment())]
    pub format: Format,
    /// Exit with 1 when a finding is at or above this severity [default: planlint.toml's
    /// fail_on, else warning].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// The project settings file [default: the nearest planlint.toml at or above the working
    /// directory].
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Report only findings that this baseline file (written by --write-baseline) does not hold.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<String>,
    /// Record every finding of this run in FILE as the baseline, and exit 0 (2 on input errors).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<String>,
    /// Write every fix of the run (DDL, and rewrites as comments) to FILE as one psql script
    /// that stops at the first failure: `psql -f FILE`.
    #[arg(long, value_name = "FILE")]
    pub fix_sql: Option<String>,
    /// Override a rule threshold, e.g. `seq-scan.min_rows=50000` (repeatable; see `planlint rules NAME`).
    #[arg(long, value_name = "RULE.KEY=VALUE")]
    pub threshold: Vec<String>,
    /// Show a progress bar on stderr (a terminal only) for live runs and server logs: `auto` once
    /// the run has taken more than a second and a half, except under `--format json`; `always`;
    /// `never`.
    #[arg(long, value_enum, default_value_t = super::progress::ProgressChoice::Auto)]
    pub progress: super::progress::ProgressChoice,
}

/// How to reach the database: the connection options shared by live commands.
#[derive(Args, Debug)]
pub struct DbArgs {
    /// Connection: a postgresql:// URL or key=value conninfo, as libpq reads them (several
    /// hosts, hostaddr, target_session_attrs, options, keepalives...); else DATABASE_URL, then
    /// the libpq variables (PGHOST, PGHOSTADDR, PGPORT, PGUSER, PGPASSWORD, PGDATABASE,
    /// PGOPTIONS, PGSSLMODE, PGSSLROOTCERT, PGTARGETSESSIONATTRS, PGAPPNAME...) and ~/.pgpass.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// statement_timeout of every statement planlint sends (e.g. 30s, 500ms, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// lock_timeout of every statement planlint sends.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// Say on stderr how planlint connects: the parameters it read (never the password), what
    /// TLS checks, the hosts it passed over, and which `options` settings took effect.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// `planlint top`.
#[cfg(feature = "live")]
#[derive(Args, Debug)]
pub struct TopArgs {
    /// How many statements.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Rank by total time, mean time, calls, or I/O (shared blocks read, temporary blocks read
    /// and written).
    #[arg(long, value_enum, default_value_t = TopOrder::Total)]
    pub order: TopOrder,
    /// The database whose statements to read [default: the one connected to]; planlint
    /// connects to it, since a statement is explained where it runs.
    #[arg(long, value_name = "NAME")]
    pub database: Option<String>,
    /// Only the statements this role ran.
    #[arg(long, value_name = "ROLE")]
    pub user: Option<String>,
    /// Only statements called at least this often.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub min_calls: u64,
    /// Only statements taking at least this long on average (e.g. 5ms, 1s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_mean: Option<std::time::Duration>,
    /// Also explain statements that write (plain EXPLAIN: they are planned, never run).
    #[arg(long)]
    pub allow_writes: bool,
    /// Connection options.
    #[command(flatten)]
    pub db: DbArgs,
    /// How to report.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// What `planlint top` ranks by.
#[cfg(feature = "live")]
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum TopOrder {
    /// Total execution time.
    Total,
    /// Mean execution time.
    Mean,
    /// Number of calls.
    Calls,
    /// Shared blocks read and temporary blocks read and written.
    Io,
}

/// `planlint check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// SQL statements, .sql files, or directories of .sql files.
    #[arg(value_name = "SQL|PATH")]
    pub inputs: Vec<String>,
    /// A file of SQL statements (repeatable); each statement is checked on its own.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<String>,
    /// Run EXPLAIN (ANALYZE, BUFFERS): executes each statement, in a READ ONLY transaction that
    /// is rolled back. Refused: statements that write, or that call functions with effects
    /// outside the transaction's tables (pg_terminate_backend, pg_advisory_lock, pg_notify,
    /// nextval, dblink, ...; see the README) or any VOLATILE function that is not built in.
    /// Without --analyze, plain EXPLAIN plans each statement and executes nothing.
    #[arg(long)]
    pub analyze: bool,
    /// With --analyze, also run the statements it refuses: writes are rolled back, and planlint
    /// first says which functions have effects the rollback does not undo.
    #[arg(long, requires = "analyze")]
    pub allow_writes: bool,
    /// Re-plan each suggested rewrite (plain EXPLAIN, read-only) and keep only those that make the
    /// planner read fewer partitions, with the before and after.
    #[arg(long)]
    pub verify: bool,
    /// A value for $1, $2, ... of parameterised statements (repeatable, in order; NULL when absent).
    #[arg(long = "param", value_name = "VALUE")]
    pub params: Vec<String>,
    /// Connection options.
    #[command(flatten)]
    pub db: DbArgs,
    /// How to report.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `planlint baseline`.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// Where to write the baseline.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        default_value = "planlint-baseline.json"
    )]
    pub output: String,
    /// The run whose findings become the baseline.
    #[command(subcommand)]
    pub run: BaselineRun,
}

/// The runs a baseline can record.
#[derive(Subcommand, Debug)]
pub enum BaselineRun {
    /// Record the findings of `planlint analyze`.
    Analyze(AnalyzeArgs),
    /// Record the findings of `planlint check`.
    #[cfg(feature = "live")]
    Check(CheckArgs),
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
    #[arg(long, conflicts_with = "db")]
    pub sql: bool,
    /// Write the snapshot here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// Keep only the tables these SQL statements, files or directories touch (with their
    /// partitions and parents).
    #[arg(long = "for", value_name = "SQL|PATH")]
    pub for_queries: Vec<String>,
    /// Connection options.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Output formats.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A compact plan tree and the findings with their fixes.
    Text,
    /// The documented JSON shape (see the README).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: an annotation per finding.
    Github,
    /// A GitLab Code Quality report (JSON), for a merge request's widget and diff.
    Gitlab,
    /// A Markdown summary, for `$GITHUB_STEP_SUMMARY` or a merge request comment.
    Markdown,
}

impl Format {
    /// The format without `--format`: `github` under GitHub Actions (`GITHUB_ACTIONS=true`),
    /// else `text`.
    pub fn default_for_environment() -> Self {
        if std::env::var_os("GITHUB_ACTIONS").is_some_and(|value| value == "true") {
            Self::Github
        } else {
            Self::Text
        }
    }
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

/// Parses `30s`, `500ms`, `2m`, or a bare number of seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration like 30s, 500ms or 2m"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        _ => {
            return Err(format!(
                "\"{text}\" is not a duration like 30s, 500ms or 2m"
            ))
        }
    };
    if seconds <= 0.0 || !seconds.is_finite() {
        return Err(format!("\"{text}\" must be more than zero"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, parse_size};

    #[test]
    fn durations_take_units() {
        assert_eq!(
            parse_duration("30s"),
            Ok(std::time::Duration::from_secs(30))
        );
        assert_eq!(
            parse_duration("500ms"),
            Ok(std::time::Duration::from_millis(500))
        );
        assert_eq!(
            parse_duration("2m"),
            Ok(std::time::Duration::from_secs(120))
        );
        assert_eq!(parse_duration("5"), Ok(std::time::Duration::from_secs(5)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5T").is_err());
    }
}
