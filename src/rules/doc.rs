//! Rule documentation: one Markdown file per rule in `rules/`, with TOML front matter holding
//! the metadata; embedded in the binary so `planlint rules NAME` and the output cannot drift
//! from the docs.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::finding::Severity;

/// The sections every rule doc has, in order.
pub const SECTIONS: &[&str] = &[
    "What it flags",
    "Why it matters",
    "Example",
    "Fix",
    "When to ignore",
    "Thresholds",
];

/// A rule's metadata and documentation.
#[derive(Debug, Clone)]
pub struct RuleDoc {
    /// Stable code, e.g. `PL001`.
    pub code: String,
    /// Kebab-case name describing the pattern found.
    pub name: String,
    /// Default severity.
    pub severity: Severity,
    /// Category, e.g. `partitioning`.
    pub category: String,
    /// One-line summary.
    pub summary: String,
    /// Default thresholds by name.
    pub thresholds: BTreeMap<String, f64>,
    /// The Markdown body after the front matter.
    pub body: &'static str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    code: String,
    name: String,
    severity: Severity,
    category: String,
    summary: String,
    #[serde(default)]
    thresholds: BTreeMap<String, toml::Value>,
}

impl RuleDoc {
    /// Parses a rule doc: `+++`, TOML front matter, `+++`, Markdown.
    pub fn parse(text: &'static str) -> Result<Self, String> {
        let rest = text
            .strip_prefix("+++\n")
            .ok_or("rule doc must start with a +++ line")?;
        let end = rest
            .find("\n+++\n")
            .ok_or("rule doc front matter has no closing +++ line")?;
        let front: FrontMatter = toml::from_str(&rest[..end])
            .map_err(|error| format!("rule doc front matter: {error}"))?;
        let mut thresholds = BTreeMap::new();
        for (key, value) in front.thresholds {
            let number = match value {
                toml::Value::Integer(number) => number as f64,
                toml::Value::Float(number) => number,
                other => return Err(format!("threshold {key} is {other}, not a number")),
            };
            thresholds.insert(key, number);
        }
        Ok(Self {
            code: front.code,
            name: front.name,
            severity: front.severity,
            category: front.category,
            summary: front.summary,
            thresholds,
            body: &rest[end + "\n+++\n".len()..],
        })
    }

    /// The text of a `## heading` section, without its heading.
    pub fn section(&self, heading: &str) -> Option<&'static str> {
        let marker = format!("## {heading}\n");
        let start = self.body.find(&marker)? + marker.len();
        let rest = &self.body[start..];
        let end = rest.find("\n## ").map_or(rest.len(), |end| end + 1);
        Some(rest[..end].trim())
    }
}
