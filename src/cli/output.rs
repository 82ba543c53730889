//! What every reporting command shares: rule settings from the flags, the report, the exit code.

use super::args::{Format, ReportArgs};
use super::{print_error, print_out, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use planlint::report::{render_json, render_text, InputFailure, Summary};
use planlint::rules::Config;
use planlint::AnalyzedPlan;

/// The rule settings with the `--threshold` overrides applied; a bad one is printed.
pub fn rule_config(args: &ReportArgs) -> Result<Config, u8> {
    let mut config = Config::default();
    for assignment in &args.threshold {
        if let Err(message) = config.set_threshold(assignment) {
            print_error(&message);
            return Err(EXIT_ERROR);
        }
    }
    Ok(config)
}

/// Prints the report and returns the exit code: 2 when any input failed, else 1 when a finding
/// is at or above `--fail-on`, else 0.
pub fn finish(plans: &[AnalyzedPlan], failures: &[InputFailure], args: &ReportArgs) -> u8 {
    let report = match args.format {
        Format::Text => render_text(plans, failures),
        Format::Json => render_json(plans, failures),
    };
    print_out(&report);
    let summary = Summary::of(plans, failures);
    if !failures.is_empty() {
        EXIT_ERROR
    } else if args
        .fail_on
        .level()
        .is_some_and(|level| summary.has_findings_at(level))
    {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Records a failed input: one line on stderr, and an entry for the report.
pub fn record_failure(failures: &mut Vec<InputFailure>, source: &str, kind: &str, message: String) {
    print_error(&message);
    failures.push(InputFailure {
        source: source.to_owned(),
        message,
        kind: kind.to_owned(),
    });
}
