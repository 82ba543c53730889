//! Per-rule settings: the documented defaults, with the user's overrides applied.

use std::collections::BTreeMap;

use super::finding::Severity;
use super::registry::{find_rule, rules};

/// The severity and thresholds one rule runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSettings {
    /// The severity of the rule's findings (some rules raise or lower it per finding).
    pub severity: Severity,
    /// Thresholds by name.
    pub thresholds: BTreeMap<String, f64>,
}

impl RuleSettings {
    /// A threshold's value. Every rule reads only thresholds its doc declares, which the
    /// registry's tests check, so a missing one is a programming error.
    pub fn threshold(&self, key: &str) -> f64 {
        match self.thresholds.get(key) {
            Some(value) => *value,
            None => panic!("rule reads threshold {key} that its doc does not declare"),
        }
    }
}

/// Settings for every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    rules: BTreeMap<String, RuleSettings>,
}

impl Default for Config {
    fn default() -> Self {
        let rules = rules()
            .iter()
            .map(|rule| {
                let settings = RuleSettings {
                    severity: rule.doc.severity,
                    thresholds: rule.doc.thresholds.clone(),
                };
                (rule.doc.name.clone(), settings)
            })
            .collect();
        Self { rules }
    }
}

impl Config {
    /// The settings of the rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&RuleSettings> {
        self.rules.get(name)
    }

    /// Applies `RULE.KEY=VALUE`, e.g. `seq-scan.min_rows=50000`.
    pub fn set_threshold(&mut self, assignment: &str) -> Result<(), String> {
        let (target, value) = assignment
            .split_once('=')
            .ok_or_else(|| format!("threshold \"{assignment}\" is not RULE.KEY=VALUE"))?;
        let (rule, key) = target
            .split_once('.')
            .ok_or_else(|| format!("threshold \"{assignment}\" is not RULE.KEY=VALUE"))?;
        let doc = &find_rule(rule)
            .ok_or_else(|| {
                format!(
                    "threshold \"{assignment}\": no rule named \"{rule}\" (see `planlint rules`)"
                )
            })?
            .doc;
        let settings = self
            .rules
            .get_mut(&doc.name)
            .expect("every rule has settings");
        let known: Vec<String> = settings.thresholds.keys().cloned().collect();
        let slot = settings.thresholds.get_mut(key).ok_or_else(|| {
            format!(
                "threshold \"{assignment}\": rule {} has no threshold \"{key}\" (it has: {})",
                doc.name,
                known.join(", ")
            )
        })?;
        let number: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|number: &f64| number.is_finite() && *number >= 0.0)
            .ok_or_else(|| {
                format!("threshold \"{assignment}\": \"{value}\" is not a non-negative number")
            })?;
        *slot = number;
        Ok(())
    }
}
