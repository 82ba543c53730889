//! `planlint analyze`: load plans, analyse them, print the report, choose the exit code.

use std::io::IsTerminal;

use super::args::AnalyzeArgs;
use super::output::{finish, record_failure, rule_config};
use super::{print_error, EXIT_ERROR};
use planlint::catalog::Catalog;
use planlint::report::InputFailure;
use planlint::source::{load, read_input, InputErrorKind};
use planlint::{analyze, AnalyzedPlan};

/// Runs the analysis and returns the exit code.
pub fn run(args: &AnalyzeArgs) -> u8 {
    let config = match rule_config(&args.report) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let catalog = match args
        .catalog
        .as_deref()
        .map(|path| read_catalog(path, args.max_input_size))
    {
        Some(Ok(catalog)) => Some(catalog),
        Some(Err(message)) => {
            print_error(&message);
            return EXIT_ERROR;
        }
        None => None,
    };

    let files: Vec<String> = if args.files.is_empty() {
        vec!["-".into()]
    } else {
        args.files.clone()
    };
    if files.iter().any(|file| file == "-") && std::io::stdin().is_terminal() {
        eprintln!("planlint: paste the EXPLAIN (FORMAT JSON) output, then press Ctrl-D");
    }
    let mut plans: Vec<AnalyzedPlan> = Vec::new();
    let mut failures: Vec<InputFailure> = Vec::new();
    for file in &files {
        match load(file, args.max_input_size) {
            Ok(loaded) => {
                for (index, explain) in loaded.plans.into_iter().enumerate() {
                    let analysis = analyze(&explain, catalog.as_ref(), &config);
                    plans.push(AnalyzedPlan {
                        source: loaded.name.clone(),
                        plan_number: index + 1,
                        explain,
                        analysis,
                    });
                }
            }
            Err(error) => record_failure(
                &mut failures,
                error.name(),
                kind_name(error.kind()),
                error.to_string(),
            ),
        }
    }
    finish(&plans, &failures, &args.report)
}

fn read_catalog(path: &str, max_bytes: u64) -> Result<Catalog, String> {
    let input = read_input(path, max_bytes).map_err(|error| format!("catalog {error}"))?;
    Catalog::from_json(&input.name, &input.text).map_err(|error| format!("catalog {error}"))
}

/// The `kind` of an input error in the JSON report.
fn kind_name(kind: InputErrorKind) -> &'static str {
    match kind {
        InputErrorKind::Io => "io",
        InputErrorKind::TooLarge => "too-large",
        InputErrorKind::Empty => "empty",
        InputErrorKind::Binary => "binary",
        InputErrorKind::TextPlan => "text-plan",
        InputErrorKind::Syntax => "syntax",
        InputErrorKind::Truncated => "truncated",
        InputErrorKind::NotAPlan => "not-a-plan",
    }
}
