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

/// The rule's name, from its name or code.
fn rule_name(rule: &str) -> Result<String, String> {
    find_rule(rule)
        .map(|rule| rule.doc.name.clone())
        .ok_or_else(|| {
            let names = super::registry::rules()
                .iter()
                .map(|rule| rule.doc.name.as_str());
            let suggestion = crate::suggest::closest(rule, names)
                .map_or_else(String::new, |near| format!("; did you mean \"{near}\"?"));
            format!("no rule named \"{rule}\" (see `planlint rules`){suggestion}")
        })
}

impl Config {
    /// The settings of the rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&RuleSettings> {
        self.rules.get(name)
    }

    /// Applies `RULE.KEY=VALUE`, e.g. `seq-scan.min_rows=50000`.
    pub fn set_threshold(&mut self, assignment: &str) -> Result<(), String> {
        let malformed = || format!("threshold \"{assignment}\" is not RULE.KEY=VALUE");
        let (target, value) = assignment.split_once('=').ok_or_else(malformed)?;
        let (rule, key) = target.split_once('.').ok_or_else(malformed)?;
        let number: f64 = value.trim().parse().map_err(|_| {
            format!("threshold \"{assignment}\": \"{value}\" is not a non-negative number")
        })?;
        self.set_threshold_value(rule, key, number)
            .map_err(|message| format!("threshold \"{assignment}\": {message}"))
    }

    /// Sets one threshold of one rule (named by name or code).
    pub fn set_threshold_value(&mut self, rule: &str, key: &str, value: f64) -> Result<(), String> {
        let settings = self.settings_mut(rule)?;
        let known: Vec<String> = settings.thresholds.keys().cloned().collect();
        let slot = settings.thresholds.get_mut(key).ok_or_else(|| {
            let suggestion = crate::suggest::closest(key, known.iter().map(String::as_str))
                .map_or_else(String::new, |near| format!("; did you mean \"{near}\"?"));
            format!(
                "rule {rule} has no threshold \"{key}\" (it has: {}){suggestion}",
                known.join(", ")
            )
        })?;
        if !value.is_finite() || value < 0.0 {
            return Err(format!("\"{value}\" is not a non-negative number"));
        }
        *slot = value;
        Ok(())
    }

    /// Sets the severity of a rule's findings.
    pub fn set_severity(&mut self, rule: &str, severity: Severity) -> Result<(), String> {
        self.settings_mut(rule)?.severity = severity;
        Ok(())
    }

    /// Keeps only the rules named (by name or code).
    pub fn select(&mut self, rules: &[String]) -> Result<(), String> {
        let names = rules
            .iter()
            .map(|rule| rule_name(rule))
            .collect::<Result<Vec<_>, _>>()?;
        self.rules.retain(|name, _| names.contains(name));
        Ok(())
    }

    /// Turns the rules named (by name or code) off.
    pub fn ignore(&mut self, rules: &[String]) -> Result<(), String> {
        for rule in rules {
            let name = rule_name(rule)?;
            self.rules.remove(&name);
        }
        Ok(())
    }

    fn settings_mut(&mut self, rule: &str) -> Result<&mut RuleSettings, String> {
        let name = rule_name(rule)?;
        self.rules
            .get_mut(&name)
            .ok_or_else(|| format!("rule {name} is not selected"))
    }
}
