//! What a source tells of a statement's cost in production: pg_stat_statements' figures, or an
//! auto_explain log's durations. It travels with the plan into the report, whatever the source.

use serde::Serialize;

use crate::numbers::{percent, thousands};

/// A plan's cost in production, as far as its source knows it. Every field is optional: a
/// pasted plan has none, pg_stat_statements gives calls and times, a log gives durations and the
/// line where the entry starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Workload {
    /// The statement as the source recorded it (pg_stat_statements' `query`, auto_explain's
    /// `Query Text`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// How many executions the figures cover (pg_stat_statements' `calls`, or the log entries
    /// grouped into this one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<u64>,
    /// The time of all those executions, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_time_ms: Option<f64>,
    /// The mean time of one execution, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_time_ms: Option<f64>,
    /// The longest execution, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_time_ms: Option<f64>,
    /// The statement's share of the time measured over everything the source covers (the
    /// database's total in pg_stat_statements, the log's total), from 0 to 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// A logged execution's duration, in milliseconds (the first, when several are grouped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// The log line where the (first) entry starts, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_line: Option<usize>,
}

impl Workload {
    /// One line for the text report: `1,234 calls, 12.3 s in all, 10 ms each, 45% of the
    /// time`, or for a log entry `logged at line 123, 1.2 s`; `None` when there is nothing to say.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(line) = self.log_line {
            parts.push(format!("logged at line {line}"));
        }
        if let Some(calls) = self.calls {
            parts.push(format!(
                "{} {}",
                thousands(calls),
                if calls == 1 { "call" } else { "calls" }
            ));
        }
        if let Some(total) = self.total_time_ms {
            parts.push(format!("{} in all", duration(total)));
        }
        if let Some(mean) = self.mean_time_ms {
            parts.push(format!("{} each", duration(mean)));
        }
        if let Some(max) = self.max_time_ms {
            parts.push(format!("{} at most", duration(max)));
        }
        if self.calls.is_none() {
            if let Some(duration_ms) = self.duration_ms {
                parts.push(duration(duration_ms));
            }
        }
        if let Some(share) = self.share {
            parts.push(format!("{} of the time", percent(share)));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// A duration for people: `850 µs`, `12.5 ms`, `3.2 s`, `4.1 min`, `2.3 h`.
pub fn duration(ms: f64) -> String {
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else if ms < 1000.0 {
        format!("{} ms", trim(ms))
    } else if ms < 60_000.0 {
        format!("{} s", trim(ms / 1000.0))
    } else if ms < 3_600_000.0 {
        format!("{:.1} min", ms / 60_000.0)
    } else {
        format!("{:.1} h", ms / 3_600_000.0)
    }
}

/// One decimal below 100, none above: `12.5`, `250`.
fn trim(value: f64) -> String {
    if value < 100.0 {
        let text = format!("{value:.1}");
        text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
    } else {
        format!("{value:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_what_the_source_knows() {
        let top = Workload {
            calls: Some(12_345),
            total_time_ms: Some(98_765.0),
            mean_time_ms: Some(8.0),
            share: Some(0.452),
            ..Workload::default()
        };
        assert_eq!(
            top.summary().unwrap(),
            "12,345 calls, 1.6 min in all, 8 ms each, 45.2% of the time"
        );
        let logged = Workload {
            log_line: Some(120),
            duration_ms: Some(1234.5),
            ..Workload::default()
        };
        assert_eq!(logged.summary().unwrap(), "logged at line 120, 1.2 s");
        assert_eq!(Workload::default().summary(), None);
        assert_eq!(duration(0.25), "250 µs");
        assert_eq!(duration(250.0), "250 ms");
    }
}
