//! `planlint.toml`: a project's settings, found by walking up from the working directory.
//!
//! ```toml
//! fail_on = "warning"                 # info | warning | error | never
//! exclude = ["migrations/**"]         # globs, relative to the file's directory
//! catalog = "catalog.json"            # a snapshot for `analyze`, relative to the file
//!
//! [database]
//! url_env = "DATABASE_URL"            # the variable holding the connection string
//!
//! [rules]
//! select = ["unpruned-partitions", "PL003"]   # only these (default: all)
//! ignore = ["seq-scan"]
//!
//! [rules.missing-index]
//! severity = "error"
//! min_rows = 50000
//! ```
//!
//! The connection string itself never goes in the file: only the name of the environment
//! variable that holds it. Unknown keys and bad values are errors that name the key and file.

use std::path::{Path, PathBuf};

use crate::rules::{Config, Severity};
use crate::suggest::did_you_mean;

/// The file name looked for.
pub const FILE_NAME: &str = "planlint.toml";

/// When findings fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailLevel {
    /// Never because of findings.
    Never,
    /// At this severity or above.
    At(Severity),
}

/// A project's settings.
#[derive(Debug)]
pub struct ProjectConfig {
    /// The file they came from.
    pub path: PathBuf,
    /// The rules' settings.
    pub rules: Config,
    /// `fail_on`, when set.
    pub fail_on: Option<FailLevel>,
    /// Paths to leave out.
    pub exclude: Vec<glob::Pattern>,
    /// A catalog snapshot for `analyze`, resolved against the file's directory.
    pub catalog: Option<PathBuf>,
    /// The name of the environment variable with the connection string.
    pub database_url_env: Option<String>,
}

impl ProjectConfig {
    /// Whether `path` matches an `exclude` glob (relative to the file's directory, or as given).
    pub fn excludes(&self, path: &Path) -> bool {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let relative = path.strip_prefix(base).unwrap_or(path);
        let relative = relative.strip_prefix("./").unwrap_or(relative);
        self.exclude.iter().any(|pattern| {
            pattern.matches_path_with(relative, EXCLUDE_MATCHING)
                || pattern.matches_path_with(path, EXCLUDE_MATCHING)
        })
    }
}

/// The nearest `planlint.toml` at or above `start`.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Reads a `planlint.toml`.
pub fn load(path: &Path) -> Result<ProjectConfig, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| format!("{name}: {error}"))?;
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        let position = error
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                format!(
                    ":{}:{}",
                    before.matches('\n').count() + 1,
                    before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1
                )
            })
            .unwrap_or_default();
        format!("{name}{position}: {}", error.message())
    })?;
    let bad = |key: &str, message: &str| format!("{name}: `{key}`: {message}");
    let mut config = ProjectConfig {
        path: path.to_path_buf(),
        rules: Config::default(),
        fail_on: None,
        exclude: Vec::new(),
        catalog: None,
        database_url_env: None,
    };
    let base = path.parent().unwrap_or(Path::new("."));
    for (key, value) in &table {
        match key.as_str() {
            "fail_on" => {
                config.fail_on = Some(match value.as_str() {
                    Some("never") => FailLevel::Never,
                    Some(level) => FailLevel::At(level.parse().map_err(|m: String| bad(key, &m))?),
                    None => {
                        return Err(bad(key, "must be a string: info, warning, error or never"))
                    }
                })
            }
            "exclude" => {
                for pattern in strings(value).ok_or_else(|| bad(key, "must be a list of globs"))? {
                    config.exclude.push(
                        glob::Pattern::new(&pattern)
                            .map_err(|error| bad(key, &format!("\"{pattern}\": {error}")))?,
                    );
                }
            }
            "catalog" => {
                let file = value.as_str().ok_or_else(|| bad(key, "must be a path"))?;
                config.catalog = Some(base.join(file));
            }
            "database" => {
                let database = value
                    .as_table()
                    .ok_or_else(|| bad(key, "must be a table"))?;
                for (inner, value) in database {
                    match inner.as_str() {
                        "url_env" => {
                            config.database_url_env = Some(
                                value.as_str().ok_or_else(|| bad("database.url_env", "must be a variable name"))?.to_owned(),
                            )
                        }
                        "url" | "password" => {
                            return Err(bad(
                                &format!("database.{inner}"),
                                "credentials do not belong in the file: set `url_env` to the name of an environment variable",
                            ))
                        }
                        other => {
                            return Err(bad(
                                &format!("database.{other}"),
                                &format!(
                                    "unknown key (known: url_env){}",
                                    did_you_mean(other, ["url_env"])
                                ),
                            ))
                        }
                    }
                }
            }
            "rules" => read_rules(value, &mut config.rules)
                .map_err(|(key, message)| bad(&key, &message))?,
            "select" | "ignore" => {
                return Err(bad(
                    key,
                    &format!("belongs in the [rules] table: `[rules]` then `{key} = [...]`"),
                ));
            }
            other => {
                return Err(bad(
                    other,
                    &format!(
                        "unknown key (known: {}){}",
                        TOP_LEVEL_KEYS.join(", "),
                        did_you_mean(other, TOP_LEVEL_KEYS)
                    ),
                ));
            }
        }
    }
    Ok(config)
}

/// Reads `[rules]`: `select`, `ignore`, and a table per rule.
fn read_rules(value: &toml::Value, rules: &mut Config) -> Result<(), (String, String)> {
    let table = value
        .as_table()
        .ok_or(("rules".to_owned(), "must be a table".to_owned()))?;
    let list = |key: &str| -> Result<Option<Vec<String>>, (String, String)> {
        table
            .get(key)
            .map(|value| {
                strings(value).ok_or((
                    format!("rules.{key}"),
                    "must be a list of rule names".to_owned(),
                ))
            })
            .transpose()
    };
    if let Some(selected) = list("select")? {
        rules
            .select(&selected)
            .map_err(|m| ("rules.select".to_owned(), m))?;
    }
    if let Some(ignored) = list("ignore")? {
        rules
            .ignore(&ignored)
            .map_err(|m| ("rules.ignore".to_owned(), m))?;
    }
    for (rule, settings) in table
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "select" | "ignore"))
    {
        if crate::rules::find_rule(rule).is_none() {
            let known = ["select", "ignore"].into_iter().chain(
                crate::rules::rules()
                    .iter()
                    .map(|rule| rule.doc.name.as_str()),
            );
            return Err((
                format!("rules.{rule}"),
                format!(
                    "unknown key: neither `select`, `ignore` nor a rule's name (see `planlint \
                     rules`){}",
                    did_you_mean(rule, known)
                ),
            ));
        }
        let settings = settings
            .as_table()
            .ok_or((format!("rules.{rule}"), "must be a table".to_owned()))?;
        for (key, value) in settings {
            let path = format!("rules.{rule}.{key}");
            if key == "severity" {
                let severity: Severity = value
                    .as_str()
                    .ok_or("must be info, warning or error".to_owned())
                    .and_then(str::parse)
                    .map_err(|m| (path.clone(), m))?;
                rules
                    .set_severity(rule, severity)
                    .map_err(|m| (path.clone(), m))?;
                continue;
            }
            let number = match value {
                toml::Value::Integer(number) => *number as f64,
                toml::Value::Float(number) => *number,
                _ => return Err((path, "must be a number".to_owned())),
            };
            rules
                .set_threshold_value(rule, key, number)
                .map_err(|m| (path, m))?;
        }
    }
    Ok(())
}

/// How `exclude` globs match, as in a shell or .gitignore: `*` and `?` stay within one path
/// component (`**` crosses them), and a leading `.` is matched like any other character.
const EXCLUDE_MATCHING: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// The keys of planlint.toml's top level.
const TOP_LEVEL_KEYS: [&str; 5] = ["fail_on", "exclude", "catalog", "database", "rules"];

fn strings(value: &toml::Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_full_file_sets_rules_levels_and_paths() {
        let (dir, path) = write(
            "fail_on = \"error\"\nexclude = [\"migrations/**\"]\ncatalog = \"catalog.json\"\n\
             [database]\nurl_env = \"APP_DB\"\n\
             [rules]\nignore = [\"PL002\"]\n[rules.missing-index]\nseverity = \"error\"\nmin_rows = 5\n",
        );
        let config = load(&path).unwrap();
        assert_eq!(config.fail_on, Some(FailLevel::At(Severity::Error)));
        assert!(config.excludes(&dir.path().join("migrations/001.sql")));
        assert!(!config.excludes(&dir.path().join("queries/a.sql")));
        // `*` stays within one directory, as in a shell; `**` crosses them.
        let (globs_dir, globs_path) = write("exclude = [\"old/*.sql\", \"vendor/**/*.sql\"]");
        let globs = load(&globs_path).unwrap();
        assert!(globs.excludes(&globs_dir.path().join("old/a.sql")));
        assert!(!globs.excludes(&globs_dir.path().join("old/2024/a.sql")));
        assert!(globs.excludes(&globs_dir.path().join("vendor/x/y/a.sql")));
        assert_eq!(config.catalog, Some(dir.path().join("catalog.json")));
        assert_eq!(config.database_url_env.as_deref(), Some("APP_DB"));
        assert!(config.rules.rule("seq-scan").is_none());
        let index = config.rules.rule("missing-index").unwrap();
        assert_eq!(
            (index.severity, index.threshold("min_rows")),
            (Severity::Error, 5.0)
        );
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        assert_eq!(find(&dir.path().join("a/b")), Some(path));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key_and_the_file() {
        let error = |text: &str| load(&write(text).1).unwrap_err();
        assert!(error("colour = 1").contains("planlint.toml: `colour`: unknown key"));
        assert!(error("[rules.seq-scan]\nmin_row = 5").contains("`rules.seq-scan.min_row`"));
        assert!(error("[rules.nope]\nmin_rows = 5").contains("`rules.nope`: unknown key"));
        assert!(error("[rules]\nselct = [\"PL001\"]")
            .contains("`rules.selct`: unknown key: neither `select`, `ignore` nor a rule's name (see `planlint rules`); did you mean `select`?"));
        assert!(error("[rules.seq-scn]\nmin_rows = 5").contains("did you mean `seq-scan`?"));
        assert!(error("fail_onn = \"error\"").contains("did you mean `fail_on`?"));
        assert!(error("select = [\"PL001\"]").contains("belongs in the [rules] table"));
        assert!(error("[rules.seq-scan]\nmin_row = 5").contains("did you mean \"min_rows\"?"));
        assert!(error("fail_on = \"loud\"").contains("`fail_on`: unknown severity"));
        assert!(
            error("[database]\nurl = \"postgres://u:p@h/d\"").contains("credentials do not belong")
        );
        assert!(error("fail_on = ").contains("planlint.toml:1:"));
    }
}
