//! `cargo bench`: planlint against the floor on real large plans, as ratios measured side by
//! side in one run (machines are noisy; ratios are not).
//!
//! The floor is what any tool must do: read the file and `serde_json::from_slice` it into a
//! `serde_json::Value`. planlint is measured as a library (read, parse into the typed model,
//! analyse, render JSON) and as the process users run (`planlint analyze --format json`).
//! Plans: the committed 4,000-partition plans, and the 100,000-node UNION ALL plans that
//! `scripts/capture-large-plans.sh` writes to target/large-plans/ (the run says when they are
//! missing). Targets: the process no slower than the floor, and time growing linearly from
//! 4,000 to 100,000 nodes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use planlint::report::{render_json, Summary};
use planlint::rules::Config;

const ROUNDS: usize = 5;

const PLANS: &[&str] = &[
    "tests/fixtures/plans/events_unpruned_4000.json",
    "tests/fixtures/plans/events_unpruned_4000.analyze.json",
    "target/large-plans/events_union_25.json",
    "target/large-plans/events_union_25.analyze.json",
];

fn floor(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    value.as_array().map_or(0, Vec::len)
}

fn library(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let plans = planlint::source::load_str("bench", &text).unwrap();
    let config = Config::default();
    let analyzed: Vec<planlint::AnalyzedPlan> = plans
        .into_iter()
        .map(|explain| {
            let analysis = planlint::analyze(&explain, None, &config);
            planlint::AnalyzedPlan {
                source: "bench".into(),
                location: None,
                statement: None,
                plan_number: 1,
                explain,
                analysis,
            }
        })
        .collect();
    render_json(&analyzed, &[]).len() + Summary::of(&analyzed, &[]).plans
}

fn process(path: &Path) -> usize {
    let status = Command::new(env!("CARGO_BIN_EXE_planlint"))
        .args(["analyze", "--format", "json", "--fail-on", "never"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    0
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut missing = false;
    println!(
        "{:<48} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "plan", "floor", "library", "process", "lib/fl", "proc/fl"
    );
    for plan in PLANS {
        let path = Path::new(plan);
        if !path.exists() {
            missing = true;
            continue;
        }
        let (mut floors, mut libraries, mut processes) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            // Interleaved, so drift in the machine's speed hits all three alike.
            let started = Instant::now();
            std::hint::black_box(floor(path));
            floors.push(started.elapsed());
            let started = Instant::now();
            std::hint::black_box(library(path));
            libraries.push(started.elapsed());
            let started = Instant::now();
            std::hint::black_box(process(path));
            processes.push(started.elapsed());
        }
        let (floor, library, process) = (median(floors), median(libraries), median(processes));
        println!(
            "{:<48} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.2} {:>8.2}",
            plan,
            floor.as_secs_f64() * 1e3,
            library.as_secs_f64() * 1e3,
            process.as_secs_f64() * 1e3,
            library.as_secs_f64() / floor.as_secs_f64(),
            process.as_secs_f64() / floor.as_secs_f64()
        );
    }
    if missing {
        println!("(the 100,000-node plans are missing: run scripts/capture-large-plans.sh)");
    }
}
