//! "Did you mean ...?" for a misspelt key or name, as cargo and clap suggest.

/// The known word closest to `unknown`, if one is close enough to be what was meant: at most
/// two edits apart (one for a word of four letters or fewer), letter case aside.
pub fn closest<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let unknown = unknown.to_lowercase();
    let allowed = if unknown.chars().count() <= 4 { 1 } else { 2 };
    known
        .into_iter()
        .map(|word| {
            (
                strsim::damerau_levenshtein(&unknown, &word.to_lowercase()),
                word,
            )
        })
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, word)| word)
}

/// `; did you mean `WORD`?` for the closest known word, or nothing.
pub fn did_you_mean<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    closest(unknown, known).map_or_else(String::new, |word| format!("; did you mean `{word}`?"))
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn a_near_miss_is_suggested_and_a_stranger_is_not() {
        let known = ["select", "ignore", "seq-scan", "missing-index"];
        assert_eq!(closest("selct", known), Some("select"));
        assert_eq!(closest("Ignroe", known), Some("ignore"));
        assert_eq!(closest("missing-indx", known), Some("missing-index"));
        assert_eq!(closest("colour", known), None);
        assert_eq!(closest("sel", ["set"]), Some("set"));
        assert_eq!(closest("abc", ["xyz"]), None);
    }
}
