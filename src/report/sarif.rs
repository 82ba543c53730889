//! The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers: one run whose
//! driver lists every registered rule with its documentation, one result per finding, and the
//! inputs that could not be read as tool execution notifications. The log is built from typed
//! structs, one per SARIF object, as the JSON report is.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use super::fingerprints::Fingerprints;
use super::InputFailure;
use crate::rules::{rules, Finding, Rule, Severity};
use crate::sql::pruning::CauseKind;
use crate::AnalyzedPlan;

/// The schema SARIF files name.
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where planlint lives; rule help links point into it.
const INFORMATION_URI: &str = "https://github.com/planlint/planlint";

/// The base id of relative artifact paths: the directory planlint was run from, which in CI is
/// the repository's root.
const SRCROOT: &str = "%SRCROOT%";

/// Characters kept as they are in artifact URIs: RFC 3986's unreserved ones and the path
/// separator; everything else is percent-encoded.
const URI_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A SARIF log: the one run of this invocation.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

/// The run: the tool with its rules, the invocation and the results.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation<'a>; 1],
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

/// The tool: planlint's driver.
#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

/// planlint, with every rule it has.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    full_name: &'static str,
    information_uri: &'static str,
    semantic_version: &'static str,
    rules: Vec<ReportingDescriptor<'a>>,
}

/// A rule, from its embedded documentation.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Markdown<'a>,
    help: Markdown<'a>,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

/// A message in plain text.
#[derive(Serialize)]
struct Text {
    text: String,
}

/// A message in plain text and in Markdown (the same: the rule docs read well as both).
#[derive(Serialize)]
struct Markdown<'a> {
    text: &'a str,
    markdown: &'a str,
}

/// A rule's default level.
#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

/// A rule's tags: its category.
#[derive(Serialize)]
struct RuleProperties<'a> {
    tags: [&'a str; 1],
}

/// The invocation: successful unless an input failed, each failure a notification.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

/// An input that failed.
#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Text,
    properties: NotificationProperties<'a>,
}

/// Which input failed, and how.
#[derive(Serialize)]
struct NotificationProperties<'a> {
    source: &'a str,
    kind: &'a str,
}

/// One finding.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location<'a>; 1],
    partial_fingerprints: PartialFingerprints,
    properties: ResultProperties<'a>,
}

/// Where a finding is: in the file (when there is one) and in the plan.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    logical_locations: [LogicalLocation<'a>; 1],
}

/// The file and the position in it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

/// A file, relative to `%SRCROOT%` unless absolute.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// A line and column.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
}

/// The plan node: its name and its path from the root.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    name: &'a str,
    fully_qualified_name: &'a str,
}

/// planlint's stable fingerprint.
#[derive(Serialize)]
struct PartialFingerprints {
    #[serde(rename = "planlintFindingHash/v1")]
    finding: String,
}

/// What a result carries beyond SARIF's own fields: the plan it is in and the finding's SQL.
/// The fix SQL is not a SARIF `fix`: those are edits of the analysed file, and a `CREATE INDEX`
/// is not an edit of a plan or of the statement's `.sql` file.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    source: &'a str,
    plan: usize,
    rule: &'a str,
    node_id: usize,
    node_path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    relation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'a str>,
    suggestion: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix_sql: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rewrite_sql: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause_kind: Option<&'a CauseKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<VerifiedEffect<'a>>,
}

/// A verified fix's effect on the planner, in words.
#[derive(Serialize)]
struct VerifiedEffect<'a> {
    before: &'a str,
    after: &'a str,
}

/// Renders the analysed plans and failed inputs as one SARIF 2.1.0 log.
pub fn render_sarif(plans: &[AnalyzedPlan], failures: &[InputFailure]) -> String {
    let registered = rules();
    let mut fingerprints = Fingerprints::default();
    let results = plans
        .iter()
        .flat_map(|plan| {
            plan.analysis
                .findings
                .iter()
                .map(move |finding| (plan, finding))
        })
        .map(|(plan, finding)| sarif_result(plan, finding, registered, &mut fingerprints))
        .collect();
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "planlint",
                    full_name: concat!("planlint ", env!("CARGO_PKG_VERSION")),
                    information_uri: INFORMATION_URI,
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: registered.iter().map(rule_descriptor).collect(),
                },
            },
            invocations: [invocation(failures)],
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    text.push('\n');
    text
}

/// A rule's reportingDescriptor, from its embedded documentation.
fn rule_descriptor(rule: &Rule) -> ReportingDescriptor<'_> {
    let doc = &rule.doc;
    let full = doc.section("What it flags").unwrap_or(&doc.summary);
    ReportingDescriptor {
        id: &doc.code,
        name: pascal_case(&doc.name),
        short_description: Text {
            text: sentence(&doc.summary),
        },
        full_description: Markdown {
            text: full,
            markdown: full,
        },
        help: Markdown {
            text: doc.body.trim(),
            markdown: doc.body.trim(),
        },
        help_uri: format!("{INFORMATION_URI}/blob/main/rules/{}.md", doc.name),
        default_configuration: Configuration {
            level: level(doc.severity),
        },
        properties: RuleProperties {
            tags: [&doc.category],
        },
    }
}

/// One finding as a SARIF result.
fn sarif_result<'a>(
    plan: &'a AnalyzedPlan,
    finding: &'a Finding,
    registered: &[Rule],
    fingerprints: &mut Fingerprints,
) -> SarifResult<'a> {
    let mut text = sentence(&finding.message);
    if let Some(cause) = &finding.cause {
        text.push_str(&format!(" Why: {}", sentence(cause)));
    }
    text.push_str(&format!(" Fix: {}", sentence(&finding.suggestion)));
    let physical_location = plan.location.as_ref().map(|at| PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: artifact_uri(&at.path),
            uri_base_id: (!is_absolute(&at.path)).then_some(SRCROOT),
        },
        region: Region {
            start_line: at.line,
            start_column: at.column,
        },
    });
    SarifResult {
        rule_id: &finding.code,
        rule_index: registered
            .iter()
            .position(|rule| rule.doc.code == finding.code),
        level: level(finding.severity),
        message: Text { text },
        locations: [Location {
            physical_location,
            logical_locations: [LogicalLocation {
                name: finding
                    .node_path
                    .rsplit(" > ")
                    .next()
                    .unwrap_or(&finding.node_path),
                fully_qualified_name: &finding.node_path,
            }],
        }],
        partial_fingerprints: PartialFingerprints {
            finding: fingerprints.of(plan, finding),
        },
        properties: ResultProperties {
            source: &plan.source,
            plan: plan.plan_number,
            rule: &finding.rule,
            node_id: finding.node_id,
            node_path: &finding.node_path,
            relation: finding.relation.as_deref(),
            cause: finding.cause.as_deref(),
            suggestion: &finding.suggestion,
            fix_sql: finding.fix_sql.as_deref(),
            rewrite_sql: finding.rewrite_sql.as_deref(),
            cause_kind: finding.cause_kind.as_ref(),
            verified: finding.verified.as_ref().map(|verified| VerifiedEffect {
                before: &verified.before,
                after: &verified.after,
            }),
        },
    }
}

/// The run's invocation: successful unless an input could not be read, each failure a
/// notification.
fn invocation(failures: &[InputFailure]) -> Invocation<'_> {
    Invocation {
        execution_successful: failures.is_empty(),
        tool_execution_notifications: failures
            .iter()
            .map(|failure| Notification {
                level: "error",
                message: Text {
                    text: sentence(&failure.message),
                },
                properties: NotificationProperties {
                    source: &failure.source,
                    kind: &failure.kind,
                },
            })
            .collect(),
    }
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
