//! `never-true`: a comparison in the statement that no row can satisfy.

use super::context::{Context, Draft, Sink};
use super::settings::RuleSettings;
use crate::sql::pruning::never_true_comparisons;

/// Flags comparisons of a truncated value with a literal no truncation yields.
pub fn check(context: &Context<'_>, settings: &RuleSettings, sink: &mut Sink<'_>) {
    let (Some(statements), Some(root)) = (context.statements(), context.graph.root()) else {
        return;
    };
    // The table the comparison is on, when the statement reads only one.
    let relation = context
        .query
        .and_then(|query| crate::sql::referenced_tables(query).ok())
        .and_then(|tables| match tables.as_slice() {
            [(_, name)] => Some(name.clone()),
            _ => None,
        });
    for statement in statements {
        for never in never_true_comparisons(statement) {
            sink.report(Draft {
                node: root,
                severity: settings.severity,
                relation: relation.clone(),
                message: format!(
                    "{} is never true: {}, so the statement matches no row",
                    never.comparison, never.reason
                ),
                suggestion: "Say what was meant: for the whole period, a range on the bare column (it prunes); for \
                             the instant, the bare column compared with it. A rewrite to a range would change the \
                             result, so planlint gives none."
                    .to_owned(),
                fix_sql: None,
                diagnosis: None,
            });
        }
    }
}
