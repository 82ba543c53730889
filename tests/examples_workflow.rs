//! Runs the planlint commands of examples/github-actions.yml as GitHub Actions would, against
//! the test server, so the example workflow stays true.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::database_url;

/// The `planlint ...` commands of the workflow's `run:` steps, in order.
fn workflow_commands() -> Vec<String> {
    let workflow = std::fs::read_to_string("examples/github-actions.yml").unwrap();
    workflow
        .lines()
        .filter_map(|line| line.trim().strip_prefix("run: "))
        .filter(|command| command.starts_with("planlint "))
        .map(str::to_owned)
        .collect()
}

/// Runs a workflow command with bash in `dir`, as a GitHub Actions step: the exit code and stdout.
fn run_step(command: &str, dir: &Path, url: &str) -> (i32, String) {
    let binary = assert_cmd::cargo::cargo_bin("planlint");
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("DATABASE_URL", url)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn the_example_workflow_uploads_sarif_and_fails_on_warnings() {
    let Some(url) = database_url() else { return };
    let commands = workflow_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        std::fs::canonicalize("examples").unwrap(),
        dir.path().join("examples"),
    )
    .unwrap();

    let (code, _) = run_step(&commands[0], dir.path(), &url);
    assert_eq!(code, 0, "the SARIF step never fails the job");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("planlint.sarif")).unwrap())
            .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let located: Vec<(String, String, u64)> = results
        .iter()
        .map(|result| {
            let location = &result["locations"][0]["physicalLocation"];
            (
                result["ruleId"].as_str().unwrap().to_owned(),
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                location["region"]["startLine"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        located.contains(&("PL001".into(), "examples/queries/orders.sql".into(), 4)),
        "{located:?}"
    );
    assert!(
        located.contains(&("PL003".into(), "examples/queries/customers.sql".into(), 2)),
        "{located:?}"
    );
    assert!(
        located
            .iter()
            .all(|(_, uri, _)| !uri.ends_with("reports.sql")),
        "reports.sql is suppressed: {located:?}"
    );

    let (code, stdout) = run_step(&commands[1], dir.path(), &url);
    assert_eq!(code, 1, "warnings fail the job: {stdout}");
    assert!(
        stdout.contains("::warning file=examples/queries/orders.sql,line=4,col=1,title=PL001 unpruned-partitions::"),
        "annotations by default under GitHub Actions: {stdout}"
    );
}
