//! `cargo bench --bench analyze`: planlint against the floor on real large plans, as ratios
//! measured side by side in one run (machines are noisy; ratios are not).
//!
//! The floor is what any tool must do: read the file and `serde_json::from_slice` it into a
//! `serde_json::Value`. planlint is measured as a library (read, parse into the typed model,
//! analyse, render JSON) and as the process users run (`planlint analyze --format json`).
//! Time: the floor in this process, as the issue defines it, against both. Peak memory: the
//! floor in a process of its own (this benchmark run with `--floor-child`) against the planlint
//! process, both read from `wait4`.
//!
//! Plans: the committed 4,000-partition plans, and the 100,000-node UNION ALL plans that
//! `scripts/capture-large-plans.sh` writes to target/large-plans/ (the run says when they are
//! missing). Targets: the process no slower than the floor and no larger in memory, and time
//! growing linearly from 4,000 to 100,000 nodes (the cost per node about the same).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use planlint::report::{render_json, Summary};
use planlint::rules::Config;

const ROUNDS: usize = 5;

/// Plain plans, smallest first: the per-node costs of the first and last are compared.
const PLAIN: &[&str] = &[
    "tests/fixtures/plans/events_unpruned_4000.json",
    "target/large-plans/events_union_25.json",
];
/// A one-page plan, for the cost of starting planlint.
const SMALL: &str = "examples/orders-by-customer.json";
/// The same queries under EXPLAIN ANALYZE.
const ANALYZED: &[&str] = &[
    "tests/fixtures/plans/events_unpruned_4000.analyze.json",
    "target/large-plans/events_union_25.analyze.json",
];

fn floor(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    value.as_array().map_or(0, Vec::len)
}

/// Reads, parses, analyses and renders JSON; returns the number of plan nodes.
fn library(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let plans = planlint::source::load_str("bench", &text).unwrap();
    let config = Config::default();
    let nodes = plans.iter().map(|explain| explain.graph.len()).sum();
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
                workload: None,
            }
        })
        .collect();
    std::hint::black_box(render_json(&analyzed, &[]).len() + Summary::of(&analyzed, &[]).plans);
    nodes
}

/// Runs a command to its end.
fn run(command: &mut Command) -> Duration {
    let started = Instant::now();
    let status = command.stdout(Stdio::null()).status().unwrap();
    assert!(status.success(), "{command:?} failed");
    started.elapsed()
}

fn planlint(path: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_planlint"));
    command
        .args(["analyze", "--format", "json", "--fail-on", "never"])
        .arg(path);
    command
}

/// The peak resident memory of a command, in bytes.
///
/// A child's peak as `wait4` reports it counts the memory of the process it was forked from,
/// which here is this benchmark with the plans it has read: so a fresh, small copy of this
/// benchmark (`--peak-of`) starts the command and reports its peak instead.
fn peak_of(command: &Command) -> u64 {
    let output = Command::new(std::env::current_exe().unwrap())
        .arg("--peak-of")
        .arg(command.get_program())
        .args(command.get_args())
        .output()
        .unwrap();
    assert!(output.status.success(), "{command:?} failed");
    String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// `--peak-of PROGRAM ARGS...`: runs the program and prints its peak resident memory in bytes.
fn report_peak(program: &str, args: Vec<String>) {
    #[expect(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which also gives its resource usage"
    )]
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in, for a child of this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    // Linux reports ru_maxrss in kilobytes.
    println!("{}", u64::try_from(usage.ru_maxrss).unwrap() * 1024);
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

/// The medians of one plan.
struct Row {
    nodes: usize,
    floor: Duration,
    library: Duration,
    process: Duration,
    floor_peak: u64,
    process_peak: u64,
}

fn measure(path: &Path) -> Row {
    let (mut floors, mut libraries, mut processes) = (Vec::new(), Vec::new(), Vec::new());
    let mut nodes = 0;
    for _ in 0..ROUNDS {
        // Interleaved, so drift in the machine's speed hits all alike.
        let started = Instant::now();
        std::hint::black_box(floor(path));
        floors.push(started.elapsed());
        let started = Instant::now();
        nodes = library(path);
        libraries.push(started.elapsed());
        processes.push(run(&mut planlint(path)));
    }
    let mut floor = Command::new(std::env::current_exe().unwrap());
    floor.arg("--floor-child").arg(path);
    Row {
        nodes,
        floor: median(floors),
        library: median(libraries),
        process: median(processes),
        floor_peak: peak_of(&floor),
        process_peak: peak_of(&planlint(path)),
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Microseconds per plan node (or per plan).
fn per_node(duration: Duration, nodes: usize) -> f64 {
    duration.as_secs_f64() * 1e6 / nodes.max(1) as f64
}

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("--floor-child") => {
            let path = args.next().expect("a plan path");
            std::hint::black_box(floor(Path::new(&path)));
            return;
        }
        Some("--peak-of") => {
            let program = args.next().expect("a program");
            report_peak(&program, args.collect());
            return;
        }
        _ => {}
    }
    // `cargo bench --bench analyze -- text-vs-json`: only the comparison of the readers.
    if std::env::args().any(|arg| arg == "text-vs-json") {
        text_against_json();
        return;
    }
    let mut missing = false;
    println!(
        "{:<55} {:>7} {:>9} {:>9} {:>9} {:>7} {:>7} {:>8} {:>8} {:>7}",
        "plan",
        "nodes",
        "floor",
        "library",
        "process",
        "lib/fl",
        "proc/fl",
        "fl peak",
        "pl peak",
        "mem"
    );
    for group in [PLAIN, ANALYZED] {
        let mut rows = Vec::new();
        for plan in group {
            let path = Path::new(plan);
            if !path.exists() {
                missing = true;
                continue;
            }
            let row = measure(path);
            println!(
                "{:<55} {:>7} {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.2} {:>7.2} {:>6}MB {:>6}MB {:>7.2}",
                plan,
                row.nodes,
                ms(row.floor),
                ms(row.library),
                ms(row.process),
                ratio(row.library, row.floor),
                ratio(row.process, row.floor),
                row.floor_peak >> 20,
                row.process_peak >> 20,
                row.process_peak as f64 / row.floor_peak as f64,
            );
            rows.push(row);
        }
        if let [small, .., large] = rows.as_slice() {
            println!(
                "  linearity, {} -> {} nodes: per node, library {:.2} -> {:.2} us ({:.2}x), process {:.2} -> {:.2} us ({:.2}x)",
                small.nodes,
                large.nodes,
                per_node(small.library, small.nodes),
                per_node(large.library, large.nodes),
                per_node(large.library, large.nodes) / per_node(small.library, small.nodes),
                per_node(small.process, small.nodes),
                per_node(large.process, large.nodes),
                per_node(large.process, large.nodes) / per_node(small.process, small.nodes),
            );
        }
    }
    if missing {
        println!("(the 100,000-node plans are missing: run scripts/capture-large-plans.sh)");
    }
    text_against_json();
    start_up();
    many_plans();
}

/// The text reader against the JSON reader on the same plans (captured in the same session):
/// reading text must not be slower than reading JSON.
fn text_against_json() {
    let pairs = [
        "tests/fixtures/plans/events_unpruned_4000",
        "tests/fixtures/plans/events_unpruned_4000.analyze",
        "target/large-plans/events_union_25",
        "target/large-plans/events_union_25.analyze",
    ];
    let read = |path: &str| {
        let text = std::fs::read_to_string(path).unwrap();
        let started = Instant::now();
        let loaded = planlint::source::read_plans(path, &text).unwrap();
        let elapsed = started.elapsed();
        let nodes: usize = loaded.plans.iter().map(|plan| plan.graph.len()).sum();
        std::mem::forget(loaded);
        (elapsed, nodes)
    };
    for stem in pairs {
        let (json, text) = (format!("{stem}.json"), format!("{stem}.txt"));
        if !Path::new(&json).exists() || !Path::new(&text).exists() {
            println!("text vs JSON: {stem}: missing (run scripts/capture-large-plans.sh)");
            continue;
        }
        let (mut json_times, mut text_times) = (Vec::new(), Vec::new());
        let mut nodes = (0, 0);
        for _ in 0..ROUNDS {
            let (time, count) = read(&json);
            json_times.push(time);
            nodes.0 = count;
            let (time, count) = read(&text);
            text_times.push(time);
            nodes.1 = count;
        }
        assert_eq!(nodes.0, nodes.1, "{stem}: the formats give different plans");
        let (json_time, text_time) = (median(json_times), median(text_times));
        println!(
            "text vs JSON: {stem}: {} nodes, read in {:.1} ms (text) / {:.1} ms (JSON) = {:.2}x \
             (target: at most 1.00)",
            nodes.0,
            ms(text_time),
            ms(json_time),
            ratio(text_time, json_time),
        );
    }
}

/// A file of many small plans (a log of EXPLAIN results) costs the same per plan however many
/// there are: 1,000 and 10,000 copies of the one-page plan, one after another.
fn many_plans() {
    let plan = std::fs::read_to_string(SMALL).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut per_plan = Vec::new();
    for copies in [1_000, 10_000] {
        let path = dir.path().join(format!("{copies}.json"));
        std::fs::write(&path, plan.trim().repeat(copies)).unwrap();
        let times = (0..ROUNDS).map(|_| run(&mut planlint(&path))).collect();
        let time = median(times);
        per_plan.push(per_node(time, copies));
        println!("many plans: {copies} in one file in {:.1} ms", ms(time));
    }
    println!(
        "  per plan: {:.1} -> {:.1} us ({:.2}x)",
        per_plan[0],
        per_plan[1],
        per_plan[1] / per_plan[0]
    );
}

/// A small plan costs little more than starting a process: what a CI run over hundreds of
/// files pays per file.
fn start_up() {
    const RUNS: usize = 21;
    let small = Path::new(SMALL);
    let time = |args: &[&str]| {
        let times = (0..RUNS)
            .map(|_| run(Command::new(env!("CARGO_BIN_EXE_planlint")).args(args)))
            .collect();
        median(times)
    };
    let version = time(&["--version"]);
    let plan = time(&[
        "analyze",
        "--format",
        "json",
        "--fail-on",
        "never",
        small.to_str().unwrap(),
    ]);
    println!(
        "start-up: {SMALL} in {:.1} ms per process (planlint --version: {:.1} ms)",
        ms(plan),
        ms(version)
    );
}
