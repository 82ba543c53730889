//! What every reporting command shares: rule settings from the flags, the report, the exit code.

use super::args::{Format, ReportArgs};
use super::{print_error, print_out, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use planlint::baseline::Baseline;
use planlint::config::{FailLevel, ProjectConfig};
use planlint::report::{
    render_fix_script, render_github, render_gitlab, render_json, render_markdown, render_sarif,
    render_text, InputFailure, Summary,
};
use planlint::rules::{Config, Severity};
use planlint::AnalyzedPlan;

/// What a reporting command runs with: the project's planlint.toml (when there is one) with
/// the command line's overrides.
pub struct Settings {
    /// The rules' settings.
    pub rules: Config,
    /// The severity that fails the run; `None`: findings never do.
    pub fail_at: Option<Severity>,
    /// The project file, for excludes, the catalog and the connection variable.
    pub project: Option<ProjectConfig>,
}

impl Settings {
    /// Whether the project file excludes `path`.
    pub fn excludes(&self, path: &std::path::Path) -> bool {
        self.project
            .as_ref()
            .is_some_and(|project| project.excludes(path))
    }
}

/// Reads planlint.toml (`--config`, else the nearest one) and applies the flags over it; a
/// problem is printed and turned into the exit code.
pub fn settings(args: &ReportArgs) -> Result<Settings, u8> {
    let fail = |message: String| {
        print_error(&message);
        EXIT_ERROR
    };
    let path = match &args.config {
        Some(path) => Some(std::path::PathBuf::from(path)),
        None => std::env::current_dir()
            .ok()
            .and_then(|dir| planlint::config::find(&dir)),
    };
    let project = path
        .map(|path| planlint::config::load(&path))
        .transpose()
        .map_err(fail)?;
    let mut rules = project
        .as_ref()
        .map_or_else(Config::default, |project| project.rules.clone());
    for assignment in &args.threshold {
        rules.set_threshold(assignment).map_err(fail)?;
    }
    let fail_at = match (
        args.fail_on,
        project.as_ref().and_then(|project| project.fail_on),
    ) {
        (Some(flag), _) => flag.level(),
        (None, Some(FailLevel::Never)) => None,
        (None, Some(FailLevel::At(severity))) => Some(severity),
        (None, None) => Some(Severity::Warning),
    };
    Ok(Settings {
        rules,
        fail_at,
        project,
    })
}

/// Prints the report and returns the exit code: 2 when any input failed, else 1 when a finding
/// is at or above the fail level, else 0.
pub fn finish(
    plans: &mut [AnalyzedPlan],
    failures: &[InputFailure],
    args: &ReportArgs,
    settings: &Settings,
) -> u8 {
    for plan in plans.iter_mut() {
        planlint::impact::assign(plan);
    }
    if let Some(path) = &args.write_baseline {
        return write_baseline(path, plans, failures);
    }
    if let Some(path) = &args.baseline {
        match std::fs::read_to_string(path)
            .map_err(|error| format!("baseline {path}: {error}"))
            .and_then(|text| Baseline::from_json(path, &text))
        {
            Ok(baseline) => {
                let known = baseline.filter(plans);
                if known > 0 {
                    eprintln!(
                        "planlint: {known} findings are in the baseline {path} and not reported"
                    );
                }
            }
            Err(message) => {
                print_error(&message);
                return EXIT_ERROR;
            }
        }
    }
    let plans: &[AnalyzedPlan] = plans;
    if let Some(path) = &args.fix_sql {
        let script = render_fix_script(plans)
            .unwrap_or_else(|| "-- planlint found nothing to fix in this run.\n".to_owned());
        if let Err(error) = std::fs::write(path, script) {
            print_error(&format!("--fix-sql {path}: {error}"));
            return EXIT_ERROR;
        }
    }
    let mut summary = Summary::of(plans, failures);
    summary.elapsed = super::STARTED.get().map(std::time::Instant::elapsed);
    let report = match args.format {
        Format::Text => render_text(plans, &summary, args.fix_sql.as_deref()),
        Format::Json => render_json(plans, failures),
        Format::Sarif => render_sarif(plans, failures),
        Format::Github => render_github(plans, failures, &summary),
        Format::Gitlab => render_gitlab(plans, failures),
        Format::Markdown => render_markdown(plans, failures, &summary),
    };
    print_out(&report);
    if !failures.is_empty() {
        EXIT_ERROR
    } else if settings
        .fail_at
        .is_some_and(|level| summary.has_findings_at(level))
    {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Records every finding as the baseline.
fn write_baseline(path: &str, plans: &[AnalyzedPlan], failures: &[InputFailure]) -> u8 {
    if let Err(error) = std::fs::write(path, Baseline::record(plans)) {
        print_error(&format!("baseline {path}: {error}"));
        return EXIT_ERROR;
    }
    let findings: usize = plans.iter().map(|plan| plan.analysis.findings.len()).sum();
    eprintln!("planlint: recorded {findings} findings in the baseline {path}");
    if failures.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
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
