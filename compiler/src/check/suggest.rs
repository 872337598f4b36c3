//! "Did you mean ...?": the closest candidate by edit distance, when it is close enough to be a
//! plausible typo.

/// The candidate closest to `name`, if within a third of its length (at least 1 edit, at most 3).
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_names_only() {
        assert_eq!(super::closest("apj", ["api", "web"]), Some("api".into()));
        assert_eq!(
            super::closest("round_robn", ["round_robin", "random"]),
            Some("round_robin".into())
        );
        assert_eq!(super::closest("zzz", ["api"]), None);
    }
}
