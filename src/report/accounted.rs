//! How much of the time a source measured (a server log, pg_stat_statements) the plans with
//! findings account for: the closing line's answer to "is this what makes the database slow?".

use std::collections::BTreeMap;

use crate::numbers::percent;
use crate::workload::duration;
use crate::AnalyzedPlan;

/// The measured time, and the part of it spent in plans that have findings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountedTime {
    /// The time of the plans with at least one finding, in milliseconds.
    pub with_findings_ms: f64,
    /// Everything the sources measured, in milliseconds: each source's total (a plan's time
    /// divided by its share), or the plans' times where no share is known.
    pub measured_ms: f64,
}

impl AccountedTime {
    /// The time of `plans` that carry a workload with a total time; `None` when none does.
    pub fn of(plans: &[AnalyzedPlan]) -> Option<Self> {
        let mut with_findings_ms = 0.0;
        let mut unshared_ms = 0.0;
        let mut source_totals: BTreeMap<&str, f64> = BTreeMap::new();
        let mut any = false;
        for plan in plans {
            let Some(workload) = &plan.workload else {
                continue;
            };
            let Some(total) = workload.total_time_ms else {
                continue;
            };
            any = true;
            if !plan.analysis.findings.is_empty() {
                with_findings_ms += total;
            }
            match workload.share.filter(|share| *share > 0.0) {
                Some(share) => {
                    source_totals.insert(&plan.source, total / share);
                }
                None => unshared_ms += total,
            }
        }
        any.then(|| Self {
            with_findings_ms,
            measured_ms: unshared_ms + source_totals.values().sum::<f64>(),
        })
    }

    /// `plans with findings account for 92.1% of the measured time (1.2 s of 1.3 s)`.
    pub fn phrase(&self) -> String {
        let share = if self.measured_ms > 0.0 {
            (self.with_findings_ms / self.measured_ms).min(1.0)
        } else {
            0.0
        };
        format!(
            "plans with findings account for {} of the measured time ({} of {})",
            percent(share),
            duration(self.with_findings_ms),
            duration(self.measured_ms)
        )
    }
}
