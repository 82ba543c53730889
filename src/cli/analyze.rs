//! `planlint analyze`: load plans, analyse them, print the report, choose the exit code.

use std::io::IsTerminal;

use super::args::AnalyzeArgs;
use std::path::PathBuf;

use super::files::expand;
use super::logs::{analyze_log, note_unplanned};
use super::output::{finish, record_failure, settings, Settings};
use super::progress::Progress;
use super::{print_error, EXIT_ERROR};
use planlint::catalog::Catalog;
use planlint::report::InputFailure;
use planlint::source::{read_input, read_source, InputErrorKind, Source};
use planlint::sql::split_statements;
use planlint::{analyze, analyze_query, AnalyzedPlan, SourceLocation};

/// Runs the analysis and returns the exit code.
pub fn run(args: &AnalyzeArgs) -> u8 {
    let settings = match settings(&args.report) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let config = &settings.rules;
    let catalog_path = args.catalog.clone().or_else(|| {
        let project = settings.project.as_ref()?;
        Some(project.catalog.as_ref()?.display().to_string())
    });
    let catalog = match catalog_path
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

    let queries: Vec<String> = match args
        .query
        .as_deref()
        .map(|path| read_queries(path, args.max_input_size))
    {
        Some(Ok(queries)) => queries,
        Some(Err(message)) => {
            print_error(&message);
            return EXIT_ERROR;
        }
        None => Vec::new(),
    };
    let mut failures: Vec<InputFailure> = Vec::new();
    let files: Vec<String> = if args.files.is_empty() {
        vec!["-".into()]
    } else {
        plan_files(&args.files, &settings, &mut failures)
    };
    if files.iter().any(|file| file == "-") && std::io::stdin().is_terminal() {
        eprintln!(
            "planlint: paste the EXPLAIN output (text as psql shows it, or JSON, YAML, XML), \
             then press Ctrl-D"
        );
    }
    let mut plans: Vec<AnalyzedPlan> = Vec::new();
    let mut unplanned = Vec::new();
    let json = matches!(args.report.format, super::args::Format::Json);
    for file in &files {
        let mut progress: Option<Progress> = None;
        let mut on_bytes = |read: u64, size: u64| {
            progress
                .get_or_insert_with(|| {
                    let mut bar = Progress::bytes(args.report.progress, size, json);
                    bar.working_on(file);
                    bar
                })
                .reached(read);
        };
        let source = read_source(file, args.max_input_size, &mut on_bytes);
        if let Some(progress) = &progress {
            progress.finish();
        }
        match source {
            Ok(Source::Log(log)) => {
                unplanned.push(analyze_log(log, catalog.as_ref(), config, &mut plans));
            }
            Ok(Source::Plans(loaded)) => {
                for warning in &loaded.warnings {
                    eprintln!("planlint: warning: {warning}");
                }
                for (index, explain) in loaded.plans.into_iter().enumerate() {
                    let query = match queries.as_slice() {
                        [one] => Some(one.as_str()),
                        many => many.get(index).map(String::as_str),
                    };
                    let analysis = match query {
                        Some(query) => analyze_query(&explain, query, catalog.as_ref(), config),
                        None => analyze(&explain, catalog.as_ref(), config),
                    };
                    plans.push(AnalyzedPlan {
                        source: loaded.name.clone(),
                        location: (loaded.name != "<stdin>").then(|| SourceLocation {
                            path: loaded.name.clone(),
                            line: 1,
                            column: 1,
                        }),
                        plan_number: index + 1,
                        statement: query.map(str::to_owned),
                        explain,
                        analysis,
                        workload: None,
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
    #[cfg(feature = "live")]
    if let Some(url) = &args.db {
        let logged_plans = plans.len();
        if let Err(message) = super::logs::explain_unplanned(
            url,
            std::mem::take(&mut unplanned),
            &args.report,
            config,
            &mut plans,
            &mut failures,
        ) {
            print_error(&message);
            return EXIT_ERROR;
        }
        // The worst first, over the logged plans and the statements explained live alike.
        if plans.len() > logged_plans {
            plans.sort_by(|a, b| total_time(b).total_cmp(&total_time(a)));
        }
    }
    note_unplanned(&unplanned);
    let code = finish(&mut plans, &failures, &args.report, &settings);
    // The process ends next: freeing 100,000 plan nodes one by one would only cost time.
    std::mem::forget(plans);
    code
}

/// The endings of the files a directory is searched for: a plan in any EXPLAIN format.
const PLAN_EXTENSIONS: [&str; 6] = ["json", "txt", "plan", "yaml", "yml", "xml"];

/// The plan files the inputs name: `-`, files, directories (their plan files, by
/// [`PLAN_EXTENSIONS`]), globs; the project's excludes left out.
fn plan_files(
    inputs: &[String],
    settings: &Settings,
    failures: &mut Vec<InputFailure>,
) -> Vec<String> {
    let mut unreadable = Vec::new();
    let mut files = Vec::new();
    for input in inputs {
        if input == "-" {
            files.push(input.clone());
            continue;
        }
        let paths = [PathBuf::from(input)];
        let found = expand(
            &paths,
            &PLAN_EXTENSIONS,
            &|path| settings.excludes(path),
            &mut unreadable,
        );
        if found.is_empty() && paths[0].is_dir() {
            // Nothing silently green: a directory that holds no plan is an error.
            record_failure(failures, input, "empty", no_plan_in(&paths[0]));
        }
        files.extend(found.into_iter().map(|path| path.display().to_string()));
    }
    for input in unreadable {
        record_failure(failures, &input.source, "io", input.message);
    }
    files
}

/// Why a directory gave no plan: what was looked for, and a file of another kind it holds.
fn no_plan_in(dir: &std::path::Path) -> String {
    let looked_for = PLAN_EXTENSIONS
        .iter()
        .map(|extension| format!(".{extension}"))
        .collect::<Vec<_>>()
        .join(", ");
    let other = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .flatten()
        .find(|entry| entry.file_type().is_file())
        .map(|entry| format!("; it holds {}", entry.path().display()))
        .unwrap_or_default();
    format!(
        "{}: no plan found in it (no {looked_for} file){other}",
        dir.display()
    )
}

/// The statements of the `--query` file.
fn read_queries(path: &str, max_bytes: u64) -> Result<Vec<String>, String> {
    let input = read_input(path, max_bytes).map_err(|error| format!("query {error}"))?;
    let statements: Vec<String> = split_statements(input.text.as_str())
        .into_iter()
        .map(|s| s.text)
        .collect();
    if statements.is_empty() {
        return Err(format!("query {}: no SQL statement in it", input.name));
    }
    Ok(statements)
}

fn read_catalog(path: &str, max_bytes: u64) -> Result<Catalog, String> {
    let input = read_input(path, max_bytes).map_err(|error| format!("catalog {error}"))?;
    Catalog::from_json(&input.name, input.text.as_str()).map_err(|error| format!("catalog {error}"))
}

/// The `kind` of an input error in the JSON report.
fn kind_name(kind: InputErrorKind) -> &'static str {
    match kind {
        InputErrorKind::Io => "io",
        InputErrorKind::TooLarge => "too-large",
        InputErrorKind::Empty => "empty",
        InputErrorKind::Binary => "binary",
        InputErrorKind::Syntax => "syntax",
        InputErrorKind::Truncated => "truncated",
        InputErrorKind::NotAPlan => "not-a-plan",
    }
}

/// A plan's measured total time, for ordering the worst first (0 when unmeasured).
#[cfg(feature = "live")]
fn total_time(plan: &AnalyzedPlan) -> f64 {
    plan.workload
        .as_ref()
        .and_then(|workload| workload.total_time_ms.or(workload.duration_ms))
        .unwrap_or(0.0)
}
