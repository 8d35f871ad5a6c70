//! "Did you mean" suggestions for misspelled names.

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
pub fn closest<'candidate>(
    name: &str,
    candidates: impl IntoIterator<Item = &'candidate str>,
) -> Option<&'candidate str> {
    let name_lower = name.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let candidate_lower = candidate.to_lowercase();
        let distance = strsim::damerau_levenshtein(&name_lower, &candidate_lower);
        let longest = name.chars().count().max(candidate.chars().count()).max(1);
        // Allow roughly one edit per three characters, and always at least one.
        let allowed = (longest / 3).max(1);
        let case_only = candidate_lower == name_lower;
        if distance > allowed && !case_only {
            continue;
        }
        let score = if case_only {
            0.0
        } else {
            distance as f64 / longest as f64
        };
        if best.is_none_or(|(_, best_score)| score < best_score) {
            best = Some((candidate, score));
        }
    }
    best.map(|(candidate, _)| candidate)
}

/// `did you mean `x`?` or nothing.
pub fn did_you_mean<'candidate>(
    name: &str,
    candidates: impl IntoIterator<Item = &'candidate str>,
) -> Option<String> {
    closest(name, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}

/// `` `a`, `b`, `c` `` for messages listing allowed values.
pub fn quoted_list<Item: std::fmt::Display>(values: impl IntoIterator<Item = Item>) -> String {
    values
        .into_iter()
        .map(|value| format!("`{value}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("optinal", ["optional", "input"]), Some("optional"));
        assert_eq!(
            closest("loopCondtion", ["loopCondition", "loopOver"]),
            Some("loopCondition")
        );
        assert_eq!(closest("xyz", ["optional", "input"]), None);
        assert_eq!(closest("Input", ["input"]), Some("input"));
        assert_eq!(closest("a", ["b"]), Some("b"));
    }
}
