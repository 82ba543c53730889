//! The progress bar of live runs: drawn on a terminal (a pseudo-terminal made by `script`),
//! never into a pipe, and not for a quick run unless asked for.

use std::process::Command;

use predicates::prelude::*;

mod common;
use common::{database_url, planlint};

/// Runs `planlint ARGS` on a pseudo-terminal and returns everything it wrote there.
fn on_a_terminal(args: &[&str]) -> String {
    let binary = assert_cmd::cargo::cargo_bin("planlint");
    let quoted: Vec<String> = std::iter::once(binary.display().to_string())
        .chain(args.iter().map(|arg| (*arg).to_owned()))
        .map(|word| format!("'{}'", word.replace('\'', r"'\''")))
        .collect();
    let output = Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("script(1) from util-linux runs commands on a pseudo-terminal");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_bar_shows_on_a_terminal_and_never_in_a_pipe() {
    let Some(url) = database_url() else { return };
    let statements = ["SELECT 1", "SELECT 2", "SELECT 3"];
    let mut args = vec!["check", "--db", &url, "--progress", "always"];
    args.extend(statements);
    let screen = on_a_terminal(&args);
    assert!(screen.contains("3/3 statements"), "{screen}");
    assert!(screen.contains("<argument 2>"), "{screen}");
    // A quick run under the default shows nothing of it.
    let screen = on_a_terminal(&["check", "--db", &url, "SELECT 1"]);
    assert!(!screen.contains("statements  "), "{screen}");
    // Into a pipe, never.
    planlint()
        .args(args)
        .assert()
        .stderr(predicate::str::contains("statements").not());
}
