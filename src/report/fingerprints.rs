//! Fingerprints of findings that stay the same from run to run, for the reports code hosts
//! track findings by (SARIF's `partialFingerprints`, GitLab's `fingerprint`).

use std::collections::HashMap;

use crate::fingerprint::fnv1a;
use crate::rules::Finding;
use crate::AnalyzedPlan;

/// Stable fingerprints: FNV-1a over the fields, numbered by occurrence so that two findings
/// with the same fields in one run (two plans in one file, say) stay apart, as GitHub's own
/// `primaryLocationLineHash` does.
#[derive(Default)]
pub(super) struct Fingerprints {
    seen: HashMap<u64, usize>,
}

impl Fingerprints {
    /// The fingerprint of a finding with these fields: the hash, `:`, the occurrence from 1.
    pub(super) fn next(&mut self, fields: [&str; 4]) -> String {
        let bytes = fields
            .iter()
            .flat_map(|field| field.bytes().chain([FIELD_END]));
        let hash = fnv1a(bytes);
        let occurrence = self.seen.entry(hash).or_insert(0);
        *occurrence += 1;
        format!("{hash:016x}:{occurrence}")
    }

    /// The fingerprint of a finding of a plan: its rule, file, relation and node path, which
    /// do not change when lines move or timings differ.
    pub(super) fn of(&mut self, plan: &AnalyzedPlan, finding: &Finding) -> String {
        let path = plan.location.as_ref().map_or(&plan.source, |at| &at.path);
        self.next([
            &finding.code,
            path,
            finding.relation.as_deref().unwrap_or(""),
            &finding.node_path,
        ])
    }
}

/// Ends each fingerprinted field, so `("ab", "c")` and `("a", "bc")` differ; UTF-8 never
/// contains it.
const FIELD_END: u8 = 0xff;
