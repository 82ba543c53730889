//! Progress on stderr for runs that take a while (indicatif draws the bar, and only on a
//! terminal): hidden for the first moments, so a quick run prints nothing, and never under
//! `--format json`, whose readers are programs.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// When to show progress.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressChoice {
    /// On a terminal, once a run has taken more than a second and a half, except under
    /// `--format json`.
    #[default]
    Auto,
    /// On a terminal, from the start, whatever the format.
    Always,
    /// Never.
    Never,
}

/// How long a run goes before `auto` shows its progress.
const SHOW_AFTER: Duration = Duration::from_millis(1500);

/// A progress bar over a known number of steps.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    delay: Duration,
    shown: bool,
}

impl Progress {
    /// Progress over `total` steps of `unit` (e.g. `statements`); `json` when the report is
    /// JSON.
    #[cfg(feature = "live")]
    pub fn new(choice: ProgressChoice, total: usize, unit: &str, json: bool) -> Self {
        let template = format!("{{bar:30}} {{pos}}/{{len}} {unit}  {{elapsed}}  {{wide_msg}}");
        Self::with_template(
            choice,
            u64::try_from(total).unwrap_or(u64::MAX),
            &template,
            json,
        )
    }

    /// Progress through `total` bytes of a file (a server log).
    pub fn bytes(choice: ProgressChoice, total: u64, json: bool) -> Self {
        let template = "{bar:30} {bytes}/{total_bytes}  {bytes_per_sec}  {elapsed}  {wide_msg}";
        Self::with_template(choice, total, template, json)
    }

    fn with_template(choice: ProgressChoice, total: u64, template: &str, json: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let delay = match choice {
            ProgressChoice::Auto if terminal && !json => Some(SHOW_AFTER),
            ProgressChoice::Always if terminal => Some(Duration::ZERO),
            _ => None,
        };
        let bar = delay.map(|_| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(template)
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            bar
        });
        Self {
            bar,
            started: Instant::now(),
            delay: delay.unwrap_or_default(),
            shown: false,
        }
    }

    /// Says what the current step is (e.g. the statement's location), before it runs.
    pub fn working_on(&mut self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_owned());
        }
        self.show_when_due();
    }

    /// Says how far the work has come, in its unit.
    pub fn reached(&mut self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
        self.show_when_due();
    }

    /// Counts one step done.
    #[cfg(feature = "live")]
    pub fn step(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        self.show_when_due();
    }

    /// Removes the bar, leaving stderr as if it had never been there.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn show_when_due(&mut self) {
        if self.shown || self.started.elapsed() < self.delay {
            return;
        }
        if let Some(bar) = &self.bar {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.tick();
            self.shown = true;
        }
    }
}
