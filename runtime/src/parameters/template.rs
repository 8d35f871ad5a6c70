//! Where Conductor finds `${...}` expressions in a string: an exact emulation of the regular
//! expression `ParametersUtils.PATTERN` and the `Matcher.find()` loop of
//! `ParametersUtils.replaceVariables` (conductor-oss `core/src/main/java/com/netflix/conductor/
//! core/utils/ParametersUtils.java`), including its quirks.
//!
//! The pattern is the "balanced braces with forward references" trick:
//!
//! ```text
//! (?=(?<!\$)\$\{)(?:(?=.*?\{(?!.*?\1)(.*\}(?!.*\2).*))(?=.*?\}(?!.*?\2)(.*)).)+?.*?(?=\1)[^{]*(?=\2$)
//! ```
//!
//! For well-formed text it matches from a `${` (not preceded by `$`) to the `}` that balances it.
//! For unbalanced text it does something else, and Java's regex engine adds a twist: captures made
//! inside a successful lookahead are not undone when the match attempt fails, and the groups are
//! reset only once per `find()` call, not per start position. So a failed attempt at one `${`
//! leaves its captures behind for the attempts at later positions (this is why `${${}` contains no
//! expression at all for Conductor, while `{${}` contains `${}`). A plain brace counter gets those
//! cases wrong, so this module follows the regex engine instead.
//!
//! # How the emulation works
//!
//! Every capture of the pattern ends at the end of the text (`(.*\}(?!.*\2).*)` and `(.*)` both run
//! to the end), so a capture is a suffix, identified by where it starts. Whether a suffix occurs
//! again at or after a position `a` (`(?!.*?\1)`) then only depends on positions: the suffix
//! starting at `g` occurs in `text[a..]` exactly when `a <= g`. With that, each step of the regex
//! becomes a constant-time question about the next `{` or `}` after a position, and a whole scan
//! is linear in practice (the one remaining comparison, `(?=\1)` at an earlier position, compares
//! text and stops at the first difference). `tests/data/java_regex_matches.txt` holds the matches
//! that `java.util.regex` itself finds on thousands of strings, and the tests compare against it.
//!
//! Positions are in `char`s. Java works in UTF-16 code units, but every position the pattern can
//! stop at is a character boundary (`.` and `[^{]` consume whole code points), so the results are
//! the same.

use std::ops::Range;

/// The ranges (in `char` indices) of the expressions Conductor finds in `text`, in order, as
/// successive `Matcher.find()` calls return them.
pub(super) fn find_expressions(text: &[char]) -> Vec<Range<usize>> {
    let scanner = Scanner::new(text);
    let mut found = Vec::new();
    let mut from = 0;
    while from <= text.len() {
        let Some(range) = scanner.search(from) else {
            break;
        };
        // `find()` continues at the end of the previous match (one further for an empty one,
        // which this pattern never produces).
        from = if range.end == range.start {
            range.end + 1
        } else {
            range.end
        };
        found.push(range);
    }
    found
}

struct Scanner<'a> {
    text: &'a [char],
    /// For every position, the first `{` at or after it (`text.len()` when there is none).
    next_open: Vec<usize>,
    /// For every position, the first `}` at or after it.
    next_close: Vec<usize>,
    /// The last `}` of the text.
    last_close: Option<usize>,
}

/// The two capture groups of the pattern. Both always end at the end of the text, so only their
/// start is kept; `None` is a group that has not participated (a back reference to it fails).
#[derive(Debug, Clone, Copy, Default)]
struct Groups {
    first: Option<usize>,
    second: Option<usize>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a [char]) -> Self {
        let length = text.len();
        let mut next_open = vec![length; length + 1];
        let mut next_close = vec![length; length + 1];
        for index in (0..length).rev() {
            let character = text.get(index).copied();
            let following_open = next_open.get(index + 1).copied().unwrap_or(length);
            let following_close = next_close.get(index + 1).copied().unwrap_or(length);
            if let Some(slot) = next_open.get_mut(index) {
                *slot = if character == Some('{') {
                    index
                } else {
                    following_open
                };
            }
            if let Some(slot) = next_close.get_mut(index) {
                *slot = if character == Some('}') {
                    index
                } else {
                    following_close
                };
            }
        }
        let last_close = text.iter().rposition(|&character| character == '}');
        Scanner {
            text,
            next_open,
            next_close,
            last_close,
        }
    }

    fn char_at(&self, index: usize) -> Option<char> {
        self.text.get(index).copied()
    }

    /// One `find()` call: `Matcher.search(from)`, which resets the groups once and then tries
    /// every start position in turn (`Pattern.Start`), keeping whatever captures earlier attempts
    /// left behind.
    fn search(&self, from: usize) -> Option<Range<usize>> {
        let mut groups = Groups::default();
        // `Start` tries positions up to `length - minimumLength`, and the pattern's minimum length
        // is one character.
        let last_start = self.text.len().checked_sub(1)?;
        for start in from..=last_start {
            if let Some(end) = self.attempt(start, &mut groups) {
                return Some(start..end);
            }
        }
        None
    }

    /// One match attempt at `start`.
    fn attempt(&self, start: usize, groups: &mut Groups) -> Option<usize> {
        // (?=(?<!\$)\$\{)
        let dollar_before = start > 0 && self.char_at(start - 1) == Some('$');
        if dollar_before || self.char_at(start) != Some('$') || self.char_at(start + 1) != Some('{')
        {
            return None;
        }
        // (?: ... . )+?  — deterministic one-character body, so a lazy `GroupCurly`: one
        // mandatory iteration, then "try the rest, else one more iteration".
        let mut position = start;
        if !self.iteration(&mut position, groups) {
            return None;
        }
        loop {
            if let Some(end) = self.rest(position, groups) {
                return Some(end);
            }
            if !self.iteration(&mut position, groups) {
                return None;
            }
        }
    }

    /// One iteration of `(?=.*?\{(?!.*?\1)(.*\}(?!.*\2).*))(?=.*?\}(?!.*?\2)(.*)).` at `position`.
    /// The captures of the first lookahead stay set even when the second one fails.
    fn iteration(&self, position: &mut usize, groups: &mut Groups) -> bool {
        let length = self.text.len();
        // First lookahead: the first `{` at or after `position` whose following text does not
        // contain group 1 (so at or after group 1's start), and which some later `}` follows
        // whose following text does not contain group 2 (so at or after group 2's start).
        let search_from = groups.first.map_or(*position, |first| first.max(*position));
        let Some(open) = self.next_open.get(search_from).copied() else {
            return false;
        };
        if open >= length {
            return false;
        }
        let needed_close = groups
            .second
            .map_or(open + 1, |second| second.max(open + 1));
        match self.last_close {
            Some(last_close) if last_close >= needed_close => {}
            _ => return false,
        }
        groups.first = Some(open + 1);
        // Second lookahead: the first `}` at or after `position` whose following text does not
        // contain group 2.
        let search_from = groups
            .second
            .map_or(*position, |second| second.max(*position));
        let Some(close) = self.next_close.get(search_from).copied() else {
            return false;
        };
        if close >= length {
            return false;
        }
        groups.second = Some(close + 1);
        // `.` (DOTALL) consumes one character.
        if *position >= length {
            return false;
        }
        *position += 1;
        true
    }

    /// The rest of the pattern, `.*?(?=\1)[^{]*(?=\2$)`, at `position`: the end of the match.
    fn rest(&self, position: usize, groups: &Groups) -> Option<usize> {
        let first = groups.first?;
        let second = groups.second?;
        let length = self.text.len();
        let first_suffix = self.text.get(first..)?;
        let second_suffix = self.text.get(second..)?;
        // `.*?` tries every later position; `(?=\1)` needs the suffix at group 1's start to occur
        // there, which can only happen at or before that start.
        for candidate in position..=first.min(length) {
            let matches_first = candidate == first
                || self
                    .text
                    .get(candidate..candidate + first_suffix.len())
                    .is_some_and(|slice| slice == first_suffix);
            if !matches_first {
                continue;
            }
            // `[^{]*` runs to the next `{`, then backs off one character at a time until
            // `(?=\2$)` holds: group 2's text followed by the end (or a final line terminator),
            // which only positions `second - 2 ..= second` can satisfy.
            let furthest = self.next_open.get(candidate).copied().unwrap_or(length);
            for end in (second.saturating_sub(2)..=second).rev() {
                if end < candidate || end > furthest {
                    continue;
                }
                let matches_second = end == second
                    || self
                        .text
                        .get(end..end + second_suffix.len())
                        .is_some_and(|slice| slice == second_suffix);
                if matches_second && self.is_end_of_input(end + second_suffix.len()) {
                    return Some(end);
                }
            }
        }
        None
    }

    /// Java's non-multiline `$` (`Pattern.Dollar`): the end, or just before a final line
    /// terminator (`\n`, `\r\n`, `\r`, `\u0085`, `\u2028`, `\u2029`).
    fn is_end_of_input(&self, position: usize) -> bool {
        let length = self.text.len();
        if position == length {
            return true;
        }
        if position + 2 == length {
            return self.char_at(position) == Some('\r')
                && self.char_at(position + 1) == Some('\n');
        }
        if position + 1 == length {
            return match self.char_at(position) {
                Some('\n') => !(position > 0 && self.char_at(position - 1) == Some('\r')),
                Some('\r' | '\u{0085}' | '\u{2028}' | '\u{2029}') => true,
                _ => false,
            };
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::find_expressions;

    fn found(text: &str) -> Vec<(usize, usize)> {
        let characters: Vec<char> = text.chars().collect();
        find_expressions(&characters)
            .into_iter()
            .map(|range| (range.start, range.end))
            .collect()
    }

    #[test]
    fn balanced_expressions_are_found() {
        assert_eq!(found("${a}"), vec![(0, 4)]);
        assert_eq!(found("x ${a.b} y ${c}"), vec![(2, 8), (11, 15)]);
        assert_eq!(found("${a.${b}}"), vec![(0, 9)]);
        assert_eq!(found("${}"), vec![(0, 3)]);
    }

    #[test]
    fn escaped_and_unbalanced_expressions_follow_java() {
        assert_eq!(found("$${a}"), vec![]);
        assert_eq!(found("{${}"), vec![(1, 4)]);
        // Captures left by the failed attempt at 0 make the attempt at 2 fail too.
        assert_eq!(found("${${}"), vec![]);
        assert_eq!(found("${a}}"), vec![(0, 4)]);
        assert_eq!(found("${{a}"), vec![]);
    }

    /// Matches produced by `java.util.regex` (JDK 25) with Conductor's pattern on generated and
    /// hand-picked strings; see `tests/oracle/README.md` for how the file is made.
    #[test]
    fn matches_agree_with_java_regex() {
        let data = include_str!("../../tests/data/java_regex_matches.txt");
        let mut compared = 0;
        for line in data.lines().filter(|line| !line.is_empty()) {
            let Some((input, expected)) = line.split_once('\t') else {
                panic!("malformed line {line:?}");
            };
            let Ok(input) = serde_json::from_str::<String>(input) else {
                panic!("malformed input {input:?}");
            };
            let actual: Vec<String> = found(&input)
                .into_iter()
                .map(|(start, end)| format!("{start}-{end}"))
                .collect();
            assert_eq!(actual.join(" "), expected.trim(), "input {input:?}");
            compared += 1;
        }
        assert!(compared > 1000, "only {compared} cases");
    }
}
