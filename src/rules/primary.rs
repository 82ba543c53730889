//! One cause, one primary finding. Several rules often see the same scan: `seq-scan` (the
//! symptom), `missing-index` (the index that fixes it), `unpruned-partitions` (whose rewrite,
//! or the setting it names, fixes it). The finding that holds the fix is made the most severe
//! of its node's findings and the symptoms rank below it, so the first thing a reader (or a CI
//! gate) sees is what to do; a `never-true` comparison outranks everything on its table; and
//! no finding points to a fix that is not in the report.

use super::finding::Finding;
use crate::sql::pruning::CauseKind;

/// The rule whose findings are a symptom when another holds the fix.
const SEQ_SCAN: &str = "seq-scan";
/// The rule whose findings hold an index as the fix.
const MISSING_INDEX: &str = "missing-index";
/// The rule whose findings mean the statement matches nothing.
const NEVER_TRUE: &str = "never-true";

/// Ranks the findings of each plan node (they come sorted by node) and fixes their pointers.
pub(super) fn rank(findings: &mut [Finding]) {
    let indexed: Vec<Option<String>> = findings
        .iter()
        .filter(|finding| finding.rule == MISSING_INDEX && finding.fix_sql.is_some())
        .map(|finding| finding.relation.clone())
        .collect();
    let mut start = 0;
    while start < findings.len() {
        let node = findings[start].node_id;
        let end = start
            + findings[start..]
                .iter()
                .take_while(|finding| finding.node_id == node)
                .count();
        rank_node(&mut findings[start..end]);
        start = end;
    }
    for finding in findings.iter_mut() {
        if !indexed.contains(&finding.relation) {
            finding.suggestion = without_index_pointer(&finding.suggestion);
        }
    }
    rank_never_true(findings);
}

/// A comparison that is never true is the cause of whatever else the plan shows of its table:
/// no index or pruning fixes a query that means nothing, so it outranks them all.
fn rank_never_true(findings: &mut [Finding]) {
    let Some(never) = findings
        .iter()
        .position(|finding| finding.rule == NEVER_TRUE)
    else {
        return;
    };
    let relation = findings[never].relation.clone();
    let related = |finding: &Finding| relation.is_none() || finding.relation == relation;
    let Some(top) = findings
        .iter()
        .filter(|finding| related(finding))
        .map(|finding| finding.severity)
        .max()
    else {
        return;
    };
    for (index, finding) in findings.iter_mut().enumerate() {
        if index == never {
            finding.severity = top;
        } else if related(finding) && finding.rewrite_sql.is_none() && finding.fix_sql.is_none() {
            finding.severity = finding.severity.min(top.lowered());
            if finding.rule == SEQ_SCAN {
                finding.suggestion = format!(
                    "The fix is in {NEVER_TRUE}: the comparison matches no row; say what was meant."
                );
            }
        }
    }
}

/// The findings of one node: a rewrite is the fix when there is one, else an index, else a
/// setting that turned pruning off.
fn rank_node(findings: &mut [Finding]) {
    let holder = findings
        .iter()
        .position(|finding| finding.rewrite_sql.is_some())
        .or_else(|| {
            findings
                .iter()
                .position(|finding| finding.fix_sql.is_some())
        })
        .or_else(|| {
            findings
                .iter()
                .position(|finding| finding.cause_kind == Some(CauseKind::PruningDisabled))
        });
    let Some(holder) = holder else { return };
    let Some(top) = findings.iter().map(|finding| finding.severity).max() else {
        return;
    };
    let index_holds_fix =
        findings[holder].rule == MISSING_INDEX && findings[holder].rewrite_sql.is_none();
    let pointer = match &findings[holder] {
        holder if holder.rewrite_sql.is_some() => Some(format!(
            "The fix is the rewrite that {} gives (rewrite_sql): on the bare key the planner prunes partitions, \
             and an index on the key can serve the predicate.",
            holder.rule
        )),
        holder if holder.rule == MISSING_INDEX => Some(format!(
            "The fix is the index that {MISSING_INDEX} gives (fix_sql): with it the planner reads only the rows \
             it needs."
        )),
        holder => Some(format!("The fix is in {}: {}", holder.rule, holder.suggestion)),
    };
    for (index, finding) in findings.iter_mut().enumerate() {
        if index == holder {
            finding.severity = top;
            continue;
        }
        finding.severity = finding.severity.min(top.lowered());
        // A pointer to missing-index is already right when that is the fix.
        if let (SEQ_SCAN, Some(pointer)) = (finding.rule.as_str(), &pointer) {
            if !(index_holds_fix && finding.suggestion.contains(MISSING_INDEX)) {
                finding.suggestion.clone_from(pointer);
            }
        }
    }
}

/// A suggestion without its pointer to missing-index, for a table the report has no index for.
fn without_index_pointer(suggestion: &str) -> String {
    suggestion
        .replace(" (see missing-index for the DDL)", "")
        .replace(" (see missing-index)", "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{find_rule, Severity};

    fn finding(rule: &str, severity: Severity, fix: bool, rewrite: bool) -> Finding {
        Finding {
            rule: rule.to_owned(),
            code: String::new(),
            severity,
            message: String::new(),
            suggestion: "Index the filtered columns (see missing-index for the DDL), or not."
                .into(),
            fix_sql: fix.then(|| "CREATE INDEX ...".to_owned()),
            node_id: 1,
            node_path: String::new(),
            relation: None,
            cause_kind: None,
            cause: None,
            rewrite_sql: rewrite.then(|| "SELECT ...".to_owned()),
            verified: None,
            impact: None,
        }
    }

    #[test]
    fn the_rules_named_here_exist() {
        assert!(find_rule(SEQ_SCAN).is_some() && find_rule(MISSING_INDEX).is_some());
        assert!(find_rule(NEVER_TRUE).is_some());
    }

    #[test]
    fn the_index_outranks_the_sequential_scan() {
        let mut findings = vec![
            finding(SEQ_SCAN, Severity::Error, false, false),
            finding(MISSING_INDEX, Severity::Warning, true, false),
        ];
        rank(&mut findings);
        assert_eq!(findings[1].severity, Severity::Error);
        assert_eq!(findings[0].severity, Severity::Warning);
        assert!(findings[0].suggestion.contains("see missing-index"));
    }

    #[test]
    fn a_rewrite_is_the_fix_and_the_scan_says_so() {
        let mut findings = vec![
            finding("unpruned-partitions", Severity::Warning, false, true),
            finding(SEQ_SCAN, Severity::Error, false, false),
        ];
        rank(&mut findings);
        assert_eq!(findings[0].severity, Severity::Error);
        assert_eq!(findings[1].severity, Severity::Warning);
        assert!(
            findings[1]
                .suggestion
                .contains("rewrite that unpruned-partitions gives")
                && !findings[1].suggestion.contains("missing-index"),
            "{}",
            findings[1].suggestion
        );
    }

    #[test]
    fn no_finding_points_to_an_index_that_is_not_in_the_report() {
        let mut findings = vec![finding(SEQ_SCAN, Severity::Error, false, false)];
        rank(&mut findings);
        assert_eq!(findings[0].severity, Severity::Error);
        assert_eq!(
            findings[0].suggestion,
            "Index the filtered columns, or not."
        );
    }
}
