//! The captured fixtures of every PostgreSQL version: PostgreSQL 15's are the flat files of
//! `tests/fixtures/plans` (with `tests/fixtures/catalog.json`), every other version's are in
//! `tests/fixtures/plans/<major>/` with their own `catalog.json` (scripts/capture-versions.sh).

use std::fs;
use std::path::PathBuf;

/// The versions whose captures are committed besides 15's.
pub const OTHER_VERSIONS: [u32; 6] = [12, 13, 14, 16, 17, 18];

/// One server version's captures.
pub struct Capture {
    /// The server's major version.
    pub major: u32,
    /// The folder of its plans (`NAME.json`, `NAME.txt`, `NAME.analyze.json`, ...).
    pub plans: PathBuf,
    /// Its catalog snapshot of the fixture schema.
    pub catalog: PathBuf,
}

impl Capture {
    /// `plans/NAME` of this capture, as a string for messages and readers.
    pub fn plan(&self, name: &str) -> String {
        self.plans.join(name).to_string_lossy().into_owned()
    }
}

/// `tests/fixtures`, or `PLANLINT_FIXTURES_DIR` (a fresh capture, in CI).
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("PLANLINT_FIXTURES_DIR")
        .map_or_else(|| PathBuf::from("tests/fixtures"), PathBuf::from)
}

/// Every capture: 15's first, then each version folder, by version. The committed fixtures must
/// hold every version of [`OTHER_VERSIONS`]; a fresh capture (`PLANLINT_FIXTURES_DIR`) holds
/// those it was given.
pub fn captures() -> Vec<Capture> {
    let root = fixtures_dir();
    let mut captures = vec![Capture {
        major: 15,
        plans: root.join("plans"),
        catalog: root.join("catalog.json"),
    }];
    let mut majors: Vec<u32> = fs::read_dir(root.join("plans"))
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.unwrap();
            entry.file_type().unwrap().is_dir().then_some(())?;
            entry.file_name().to_str()?.parse().ok()
        })
        .collect();
    majors.sort_unstable();
    if std::env::var_os("PLANLINT_FIXTURES_DIR").is_none() {
        assert_eq!(majors, OTHER_VERSIONS, "a version's captures are missing");
    }
    captures.extend(majors.into_iter().map(|major| {
        let plans = root.join("plans").join(major.to_string());
        Capture {
            major,
            catalog: plans.join("catalog.json"),
            plans,
        }
    }));
    captures
}

/// Whether `major` satisfies `condition`: a version (`12`), a range (`12-13`) or a lower bound
/// (`17+`), as in the `-- expect(V):` lines of scripts/fixtures-queries. Panics on anything else:
/// a misspelt condition in a case file must not silently match nothing.
pub fn version_matches(condition: &str, major: u32) -> bool {
    let number = |text: &str| -> u32 {
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("bad version condition {condition:?}"))
    };
    if let Some(low) = condition.strip_suffix('+') {
        major >= number(low)
    } else if let Some((low, high)) = condition.split_once('-') {
        (number(low)..=number(high)).contains(&major)
    } else {
        major == number(condition)
    }
}
