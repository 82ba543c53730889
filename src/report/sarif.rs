//! The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers: one run whose
//! driver lists every registered rule with its documentation, one result per finding, and the
//! inputs that could not be read as tool execution notifications.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use super::fingerprints::Fingerprints;
use super::InputFailure;
use crate::rules::{rules, Finding, Rule, Severity};
use crate::AnalyzedPlan;

/// The schema SARIF files name.
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where planlint lives; rule help links point into it.
const INFORMATION_URI: &str = "https://github.com/planlint/planlint";

/// The base id of relative artifact paths: the directory planlint was run from, which in CI is
/// the repository's root.
const SRCROOT: &str = "%SRCROOT%";

/// The `partialFingerprints` key of planlint's own fingerprint; the version changes if what it
/// hashes does.
const FINGERPRINT_KEY: &str = "planlintFindingHash/v1";

/// Characters kept as they are in artifact URIs: RFC 3986's unreserved ones and the path
/// separator; everything else is percent-encoded.
const URI_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Renders the analysed plans and failed inputs as one SARIF 2.1.0 log.
pub fn render_sarif(plans: &[AnalyzedPlan], failures: &[InputFailure]) -> String {
    let registered = rules();
    let mut fingerprints = Fingerprints::default();
    let results: Vec<Value> = plans
        .iter()
        .flat_map(|plan| {
            plan.analysis
                .findings
                .iter()
                .map(move |finding| (plan, finding))
        })
        .map(|(plan, finding)| sarif_result(plan, finding, registered, &mut fingerprints))
        .collect();
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "planlint",
                    "fullName": concat!("planlint ", env!("CARGO_PKG_VERSION")),
                    "informationUri": INFORMATION_URI,
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": registered.iter().map(rule_descriptor).collect::<Vec<_>>(),
                }
            },
            "invocations": [invocation(failures)],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    text.push('\n');
    text
}

/// A rule's reportingDescriptor, from its embedded documentation.
fn rule_descriptor(rule: &Rule) -> Value {
    let doc = &rule.doc;
    let full = doc.section("What it flags").unwrap_or(&doc.summary);
    json!({
        "id": doc.code,
        "name": pascal_case(&doc.name),
        "shortDescription": { "text": sentence(&doc.summary) },
        "fullDescription": { "text": full, "markdown": full },
        "help": { "text": doc.body.trim(), "markdown": doc.body.trim() },
        "helpUri": format!("{INFORMATION_URI}/blob/main/rules/{}.md", doc.name),
        "defaultConfiguration": { "level": level(doc.severity) },
        "properties": { "tags": [doc.category] },
    })
}

/// One finding as a SARIF result.
fn sarif_result(
    plan: &AnalyzedPlan,
    finding: &Finding,
    registered: &[Rule],
    fingerprints: &mut Fingerprints,
) -> Value {
    let mut text = sentence(&finding.message);
    if let Some(cause) = &finding.cause {
        text.push_str(&format!(" Why: {}", sentence(cause)));
    }
    text.push_str(&format!(" Fix: {}", sentence(&finding.suggestion)));

    let logical = json!({
        "name": finding.node_path.rsplit(" > ").next().unwrap_or(&finding.node_path),
        "fullyQualifiedName": finding.node_path,
    });
    let location = match &plan.location {
        Some(at) => {
            let mut artifact = Map::new();
            artifact.insert("uri".into(), artifact_uri(&at.path).into());
            if !is_absolute(&at.path) {
                artifact.insert("uriBaseId".into(), SRCROOT.into());
            }
            json!({
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": { "startLine": at.line, "startColumn": at.column },
                },
                "logicalLocations": [logical],
            })
        }
        None => json!({ "logicalLocations": [logical] }),
    };

    let fingerprint = fingerprints.of(plan, finding);

    let mut result = Map::new();
    result.insert("ruleId".into(), finding.code.clone().into());
    if let Some(index) = registered
        .iter()
        .position(|rule| rule.doc.code == finding.code)
    {
        result.insert("ruleIndex".into(), index.into());
    }
    result.insert("level".into(), level(finding.severity).into());
    result.insert("message".into(), json!({ "text": text }));
    result.insert("locations".into(), json!([location]));
    result.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint }),
    );
    result.insert("properties".into(), finding_properties(plan, finding));
    Value::Object(result)
}

/// What a result carries beyond SARIF's own fields: the plan it is in and the finding's SQL.
/// The fix SQL is not a SARIF `fix`: those are edits of the analysed file, and a `CREATE INDEX`
/// is not an edit of a plan or of the statement's `.sql` file.
fn finding_properties(plan: &AnalyzedPlan, finding: &Finding) -> Value {
    let mut properties = Map::new();
    properties.insert("source".into(), plan.source.clone().into());
    properties.insert("plan".into(), plan.plan_number.into());
    properties.insert("rule".into(), finding.rule.clone().into());
    properties.insert("nodeId".into(), finding.node_id.into());
    properties.insert("nodePath".into(), finding.node_path.clone().into());
    let optional = [
        ("relation", finding.relation.as_ref()),
        ("cause", finding.cause.as_ref()),
        ("suggestion", Some(&finding.suggestion)),
        ("fixSql", finding.fix_sql.as_ref()),
        ("rewriteSql", finding.rewrite_sql.as_ref()),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            properties.insert(key.into(), value.clone().into());
        }
    }
    if let Some(kind) = &finding.cause_kind {
        properties.insert("causeKind".into(), json!(kind));
    }
    if let Some(verified) = &finding.verified {
        properties.insert(
            "verified".into(),
            json!({ "before": verified.before, "after": verified.after }),
        );
    }
    Value::Object(properties)
}

/// The run's invocation: successful unless an input could not be read, each failure a
/// notification.
fn invocation(failures: &[InputFailure]) -> Value {
    let notifications: Vec<Value> = failures
        .iter()
        .map(|failure| {
            json!({
                "level": "error",
                "message": { "text": sentence(&failure.message) },
                "properties": { "source": failure.source, "kind": failure.kind },
            })
        })
        .collect();
    json!({
        "executionSuccessful": failures.is_empty(),
        "toolExecutionNotifications": notifications,
    })
}

/// SARIF's level for a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `unpruned-partitions` → `UnprunedPartitions`, the form SARIF recommends for rule names.
fn pascal_case(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// The text ending with a full stop, as SARIF wants messages to.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// Whether a path is absolute on Unix (`/...`) or Windows (`C:\...`, `C:/...`, `\\server\...`).
fn is_absolute(path: &str) -> bool {
    let path = path.replace('\\', "/");
    path.starts_with('/') || drive_letter(&path).is_some()
}

/// `C:` when the path starts with a Windows drive and a separator.
fn drive_letter(path: &str) -> Option<&str> {
    let bytes = path.as_bytes();
    (bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/')
        .then(|| &path[..2])
}

/// A file path as an artifact URI: relative paths stay relative (to `%SRCROOT%`), without a
/// leading `./`; absolute ones become `file:` URIs; anything outside the unreserved characters
/// is percent-encoded.
fn artifact_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    if let Some(drive) = drive_letter(&path) {
        let rest = utf8_percent_encode(&path[drive.len()..], URI_PATH);
        return format!("file:///{drive}{rest}");
    }
    if let Some(unc) = path.strip_prefix("//") {
        return format!("file://{}", utf8_percent_encode(unc, URI_PATH));
    }
    if path.starts_with('/') {
        let trimmed = path.trim_start_matches('/');
        return format!("file:///{}", utf8_percent_encode(trimmed, URI_PATH));
    }
    let mut relative = path.as_str();
    while let Some(rest) = relative.strip_prefix("./") {
        relative = rest.trim_start_matches('/');
    }
    utf8_percent_encode(relative, URI_PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::super::fingerprints::Fingerprints;
    use super::{artifact_uri, is_absolute, pascal_case, sentence};
    use crate::fingerprint::fnv1a;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(*b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(*b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn repeated_fingerprints_are_numbered() {
        let mut fingerprints = Fingerprints::default();
        let first = fingerprints.next(["PL001", "a.json", "orders", "Append"]);
        let second = fingerprints.next(["PL001", "a.json", "orders", "Append"]);
        let other = fingerprints.next(["PL001", "a.jso", "norders", "Append"]);
        assert!(first.ends_with(":1"));
        assert!(second.ends_with(":2"));
        assert_eq!(first[..16], second[..16]);
        assert_ne!(first[..16], other[..16]);
        assert!(other.ends_with(":1"));
    }

    #[test]
    fn rule_names_become_pascal_case() {
        assert_eq!(pascal_case("unpruned-partitions"), "UnprunedPartitions");
        assert_eq!(pascal_case("seq-scan"), "SeqScan");
    }

    #[test]
    fn messages_end_with_a_full_stop() {
        assert_eq!(sentence("no pruning"), "no pruning.");
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn paths_become_uris() {
        assert_eq!(artifact_uri("examples/a.json"), "examples/a.json");
        assert_eq!(artifact_uri("./plans/my plan.json"), "plans/my%20plan.json");
        assert_eq!(artifact_uri("/tmp/a:b.json"), "file:///tmp/a%3Ab.json");
        assert_eq!(artifact_uri(r"C:\plans\a.json"), "file:///C:/plans/a.json");
        assert_eq!(
            artifact_uri(r"\\server\share\a.json"),
            "file://server/share/a.json"
        );
        assert_eq!(artifact_uri("plans/ü.json"), "plans/%C3%BC.json");
        assert!(is_absolute("/tmp/a.json"));
        assert!(is_absolute(r"C:\a.json"));
        assert!(!is_absolute("a.json"));
    }
}
