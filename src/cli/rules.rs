//! `planlint rules [NAME]`: the rule list, or one rule's documentation as embedded.

use colored::Colorize;

use super::args::RulesArgs;
use super::{print_error, print_out, EXIT_CLEAN, EXIT_ERROR};
use planlint::rules::{find_rule, rules, RuleDoc};

/// Lists the rules or prints one doc.
pub fn run(args: &RulesArgs) -> u8 {
    match &args.name {
        None => {
            for rule in rules() {
                let doc = &rule.doc;
                print_out(&format!(
                    "{}  {:<20} {:<8} {:<13} {}\n",
                    doc.code.bold(),
                    doc.name,
                    doc.severity.as_str(),
                    doc.category,
                    doc.summary
                ));
            }
            EXIT_CLEAN
        }
        Some(name) => match find_rule(name) {
            Some(rule) => {
                print_out(&render_doc(&rule.doc));
                EXIT_CLEAN
            }
            None => {
                let names = rules().iter().map(|rule| rule.doc.name.as_str());
                print_error(&format!(
                    "no rule named \"{name}\" (`planlint rules` lists them){}",
                    planlint::suggest::did_you_mean(name, names)
                ));
                EXIT_ERROR
            }
        },
    }
}

fn render_doc(doc: &RuleDoc) -> String {
    let mut out = format!(
        "{} {}\n{}\nseverity: {}   category: {}\n",
        doc.code.bold(),
        doc.name.bold(),
        doc.summary,
        doc.severity,
        doc.category
    );
    if !doc.thresholds.is_empty() {
        let defaults: Vec<String> = doc
            .thresholds
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        out.push_str(&format!("thresholds: {}\n", defaults.join(", ")));
    }
    out.push_str(doc.body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
