//! Expands the paths a command is given: files as they are, directories walked for files of
//! one extension, glob patterns (`queries/**/*.sql`) matched, and excluded paths dropped.

use std::path::{Path, PathBuf};

/// A path that could not be read: its name and a one-line error.
pub struct Unreadable {
    /// The path as given.
    pub source: String,
    /// What went wrong.
    pub message: String,
}

/// Whether an input is a glob pattern: wildcards and no white space (SQL given on the command
/// line, `SELECT * FROM t`, always has some).
pub fn is_glob(input: &str) -> bool {
    input.contains(['*', '?', '[']) && !input.contains(char::is_whitespace)
}

/// The files `inputs` name: files as given, directories walked for files ending in one of
/// `.{extensions}` (sorted, at any depth), glob patterns expanded; `excluded` paths left out.
pub fn expand(
    inputs: &[PathBuf],
    extensions: &[&str],
    excluded: &dyn Fn(&Path) -> bool,
    unreadable: &mut Vec<Unreadable>,
) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for input in inputs {
        let text = input.to_string_lossy();
        if !input.exists() && is_glob(&text) {
            match glob::glob(&text) {
                Ok(matches) => {
                    let mut found: Vec<PathBuf> =
                        matches.flatten().filter(|path| path.is_file()).collect();
                    found.sort();
                    if found.is_empty() {
                        unreadable.push(Unreadable {
                            source: text.to_string(),
                            message: format!("{text}: no file matches"),
                        });
                    }
                    files.extend(found);
                }
                Err(error) => unreadable.push(Unreadable {
                    source: text.to_string(),
                    message: format!("{text}: not a valid glob: {error}"),
                }),
            }
        } else if input.is_dir() {
            files.extend(walk(input, extensions, unreadable));
        } else {
            files.push(input.clone());
        }
    }
    files.retain(|file| !excluded(file));
    files
}

/// The files under `root` ending in one of `extensions`, sorted. Symbolic links are followed,
/// but a link back to a directory being walked (`loop -> ..`) is not walked again.
fn walk(root: &Path, extensions: &[&str], unreadable: &mut Vec<Unreadable>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(true) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) if error.loop_ancestor().is_some() => continue,
            Err(error) => {
                let source = error.path().unwrap_or(root).display().to_string();
                let reason = error
                    .io_error()
                    .map_or_else(|| error.to_string(), ToString::to_string);
                unreadable.push(Unreadable {
                    message: format!("{source}: {reason}"),
                    source,
                });
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_file()
            && path
                .extension()
                .is_some_and(|ext| extensions.iter().any(|wanted| ext == *wanted))
        {
            found.push(path.to_path_buf());
        }
    }
    found.sort();
    found
}
