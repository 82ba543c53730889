//! `cargo bench --bench logs`: reading a server log of at least 1 GiB, planlint against
//! `wc -l` on the same file, side by side in one run (machines are noisy; ratios are not).
//!
//! The log is the captured tests/fixtures/logs/text-stderr.log (auto_explain's text format with
//! ANALYZE, a stderr log with interleaved sessions and statements logged without a plan)
//! repeated to 1 GiB in target/bench-logs/postgresql.log, written once and reused. Each round
//! runs `wc -l` and `planlint analyze --format json` on it, alternately; the best round of each
//! is reported as throughput, with planlint's peak memory (`wait4`), which must not grow with
//! the file: the log is streamed.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const SOURCE: &str = "tests/fixtures/logs/text-stderr.log";
const LOG: &str = "target/bench-logs/postgresql.log";
const MIN_BYTES: u64 = 1 << 30;

fn main() {
    // `cargo bench` passes `--bench`; any other argument (a filter) is ignored.
    let log = Path::new(LOG);
    let size = generate(log);
    let mut wc = Duration::MAX;
    let mut planlint = Duration::MAX;
    let mut peak = 0;
    for _ in 0..ROUNDS {
        wc = wc.min(run(Command::new("wc").arg("-l").arg(log)).0);
        let (elapsed, round_peak) = run(Command::new(env!("CARGO_BIN_EXE_planlint"))
            .args(["analyze", "--format", "json", "--fail-on", "never"])
            .arg(log));
        planlint = planlint.min(elapsed);
        peak = peak.max(round_peak);
    }
    #[allow(clippy::cast_precision_loss)] // sizes far below 2^53
    let mib = size as f64 / f64::from(1 << 20);
    let rate = |elapsed: Duration| mib / elapsed.as_secs_f64();
    println!("log: {LOG}, {mib:.0} MiB (best of {ROUNDS} rounds)");
    println!(
        "wc -l:    {:>7.2} s  {:>7.0} MiB/s",
        wc.as_secs_f64(),
        rate(wc)
    );
    println!(
        "planlint: {:>7.2} s  {:>7.0} MiB/s  ({:.1}x the time of wc -l), peak memory {:.1} MiB",
        planlint.as_secs_f64(),
        rate(planlint),
        planlint.as_secs_f64() / wc.as_secs_f64(),
        peak as f64 / f64::from(1 << 20)
    );
}

/// Writes the log once (the captured one repeated to at least [`MIN_BYTES`]); its size.
fn generate(log: &Path) -> u64 {
    if let Ok(metadata) = fs::metadata(log) {
        if metadata.len() >= MIN_BYTES {
            return metadata.len();
        }
    }
    fs::create_dir_all(log.parent().unwrap()).unwrap();
    let entries = fs::read(SOURCE).unwrap();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(log).unwrap());
    let mut written = 0;
    while written < MIN_BYTES {
        out.write_all(&entries).unwrap();
        written += entries.len() as u64;
    }
    out.flush().unwrap();
    written
}

/// Runs `command` to its end with its output discarded: the time it took and its peak
/// resident memory in bytes.
fn run(command: &mut Command) -> (Duration, u64) {
    let started = Instant::now();
    #[expect(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which also gives its resource usage"
    )]
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in, for a child of this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet reaped; status and usage are valid for writes.
    let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(reaped, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed: status {status}"
    );
    // ru_maxrss is in KiB on Linux.
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    (elapsed, peak)
}
