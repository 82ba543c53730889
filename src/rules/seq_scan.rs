//! `seq-scan`: a sequential scan of a large table.

use super::context::{Context, Draft, Sink};
use super::finding::Severity;
use super::settings::RuleSettings;
use super::sites::{Basis, Volume};
use crate::numbers::{count, percent};

/// Flags sequential scans of tables of at least `min_rows` rows, more severely the more rows
/// their filter discards.
pub fn check(context: &Context<'_>, settings: &RuleSettings, sink: &mut Sink<'_>) {
    for site in context.sites {
        let (seq_scans, Some(volume)) = (&site.seq_scans.nodes, site.seq_scans.volume) else {
            continue;
        };
        if volume.table_rows < settings.threshold("min_rows") {
            continue;
        }
        let discarded = volume.discard_fraction.unwrap_or(0.0);
        let severity = if discarded >= settings.threshold("error_discard_fraction") {
            Severity::Error
        } else if discarded >= settings.threshold("warning_discard_fraction") {
            Severity::Warning
        } else {
            settings.severity
        };
        let node = if seq_scans.len() == 1 {
            seq_scans[0]
        } else {
            site.node_id
        };
        let target = match (site.partition_scan.is_some(), seq_scans.len()) {
            (false, _) => site.relation.clone(),
            (true, 1) => format!(
                "partition {} of {}",
                context
                    .graph
                    .node(seq_scans[0])
                    .relation_name
                    .as_deref()
                    .unwrap_or_default(),
                site.relation
            ),
            (true, count) => format!("{} across {count} partitions", site.relation),
        };
        sink.report(Draft {
            node,
            severity,
            relation: Some(site.relation.clone()),
            message: format!(
                "sequential scan of {target} reads {}{}",
                describe_size(&volume),
                describe_filter(&volume)
            ),
            suggestion: if discarded >= settings.threshold("warning_discard_fraction") {
                "Index the filtered columns (see missing-index for the DDL), or make the predicate usable by an \
                 existing index: no function or cast on the indexed column."
                    .into()
            } else {
                "Fine when the query needs most of the table. If it needs a few rows that the filter does not \
                 single out (a join, a LIMIT), index the columns it joins or sorts on."
                    .into()
            },
            fix_sql: None,
            diagnosis: None,
        });
    }
}

fn describe_size(volume: &Volume) -> String {
    match (volume.table_basis, volume.rows_read) {
        (Basis::Measured, Some(read)) => format!("{} rows", count(read)),
        (Basis::Catalog, _) => format!("a table of {} rows", count(volume.table_rows)),
        _ => format!("about {} rows (estimated)", count(volume.table_rows)),
    }
}

fn describe_filter(volume: &Volume) -> String {
    match (volume.discard_fraction, volume.rows_returned) {
        (Some(fraction), Some(returned)) if fraction > 0.0 => format!(
            " and its filter discards {} of them, keeping {}",
            percent(fraction),
            count(returned)
        ),
        (Some(fraction), None) if fraction > 0.0 => {
            format!(
                " and its filter is estimated to discard {} of them",
                percent(fraction)
            )
        }
        _ => String::new(),
    }
}
