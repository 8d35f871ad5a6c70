//! Whole-file formatting that cannot change what a file means.
//!
//! YAML's layout is meaning (indentation, block scalars, comments), so the formatter only does
//! what is safe on any valid file: it removes trailing spaces and tabs, squeezes runs of more than
//! two blank lines, and ends the file with exactly one line break. Lines of scalars written over
//! several lines (block scalars `|` `>`, folded plain or quoted strings) are left exactly as
//! written, since their whitespace may be part of their value.
//! Text that is not valid YAML is not formatted at all.

use std::collections::HashSet;

use crate::source::FileId;
use crate::syntax::{self, Node, NodeKind, Style};

/// Most blank lines kept in a row.
const MAXIMUM_BLANK_LINES: usize = 2;

/// The formatted text, or `None` when the text does not parse (nothing is touched then).
pub fn format(text: &str) -> Option<String> {
    let parsed = syntax::parse(FileId(0), text);
    if parsed.diagnostics.iter().any(|diagnostic| {
        diagnostic.code == crate::rules::yaml_syntax::RULE.code
            || diagnostic.code == crate::rules::yaml_limits::RULE.code
    }) {
        return None;
    }
    let protected = match &parsed.root {
        Some(root) => block_scalar_lines(text, root),
        None => HashSet::new(),
    };
    let mut formatted = String::with_capacity(text.len());
    let mut blank_run = 0usize;
    for (index, line) in text.split('\n').enumerate() {
        if protected.contains(&index) {
            blank_run = 0;
            formatted.push_str(line);
            formatted.push('\n');
            continue;
        }
        // Line endings are kept as they are (`\r\n` stays), only the blanks before them go.
        let (content, ending) = match line.strip_suffix('\r') {
            Some(content) => (content, "\r"),
            None => (line, ""),
        };
        let trimmed = content.trim_end_matches([' ', '\t']);
        if trimmed.is_empty() {
            blank_run += 1;
            if blank_run > MAXIMUM_BLANK_LINES {
                continue;
            }
        } else {
            blank_run = 0;
        }
        formatted.push_str(trimmed);
        formatted.push_str(ending);
        formatted.push('\n');
    }
    let kept = formatted.trim_end_matches('\n').len();
    formatted.truncate(kept);
    if !formatted.is_empty() {
        formatted.push('\n');
    }
    // The formatter checks its own work: a result that reads differently (the squeezed blank
    // lines of a block scalar kept with `|+`) is not offered.
    let reformatted = syntax::parse(FileId(0), &formatted);
    match (&parsed.root, &reformatted.root) {
        (Some(before), Some(after)) if same_meaning(before, after) => Some(formatted),
        (None, None) => Some(formatted),
        _ => None,
    }
}

/// Whether two trees hold the same values in the same structure (positions aside).
fn same_meaning(left: &Node, right: &Node) -> bool {
    let mut pairs = vec![(left, right)];
    while let Some((left, right)) = pairs.pop() {
        match (&left.kind, &right.kind) {
            (NodeKind::Scalar(left), NodeKind::Scalar(right)) => {
                if left.value != right.value || left.style.is_quoted() != right.style.is_quoted() {
                    return false;
                }
            }
            (NodeKind::Sequence(left), NodeKind::Sequence(right)) if left.len() == right.len() => {
                pairs.extend(left.iter().zip(right));
            }
            (NodeKind::Mapping(left), NodeKind::Mapping(right)) if left.len() == right.len() => {
                for (left, right) in left.iter().zip(right) {
                    pairs.push((&left.key, &right.key));
                    pairs.push((&left.value, &right.value));
                }
            }
            _ => return false,
        }
    }
    true
}

/// The 0-based lines of scalars written over several lines (block scalars, folded plain and
/// quoted ones): how their whitespace folds into the value is the parser's business, so it is
/// left alone.
fn block_scalar_lines(text: &str, root: &Node) -> HashSet<usize> {
    let index = crate::source::LineIndex::new(text);
    let mut lines = HashSet::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.kind {
            NodeKind::Scalar(scalar) => {
                // A block scalar's span runs over the next line's indentation: stop at its text.
                let start = node.span.start as usize;
                let written = text
                    .get(node.span.range())
                    .map_or(0, |inner| inner.trim_end().len());
                let first = index.line_of(start);
                let last = index.line_of(start + written.saturating_sub(1));
                if last > first || matches!(scalar.style, Style::Literal | Style::Folded) {
                    lines.extend(first..=last);
                }
            }
            NodeKind::Sequence(items) => stack.extend(items),
            NodeKind::Mapping(entries) => {
                stack.extend(entries.iter().flat_map(|entry| [&entry.key, &entry.value]));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node's meaning: values and structure, without positions.
    fn meaning(node: &Node) -> String {
        match &node.kind {
            NodeKind::Scalar(scalar) => format!("{:?}", scalar.value),
            NodeKind::Sequence(items) => {
                let items: Vec<String> = items.iter().map(meaning).collect();
                format!("[{}]", items.join(","))
            }
            NodeKind::Mapping(entries) => {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|entry| format!("{}:{}", meaning(&entry.key), meaning(&entry.value)))
                    .collect();
                format!("{{{}}}", entries.join(","))
            }
        }
    }

    fn meaning_of(text: &str) -> Option<String> {
        syntax::parse(FileId(0), text).root.as_ref().map(meaning)
    }

    #[test]
    fn trims_trailing_whitespace_but_not_inside_block_scalars() {
        let text = "a: 1   \nscript: |\n  keep   \n\n  this\t\nb: 2\t\n\n\n\n\nc: 3\n\n";
        let formatted = format(text).expect("valid YAML");
        assert_eq!(
            formatted,
            "a: 1\nscript: |\n  keep   \n\n  this\t\nb: 2\n\n\nc: 3\n"
        );
        assert_eq!(meaning_of(text), meaning_of(&formatted));
        assert_eq!(format(&formatted).as_deref(), Some(formatted.as_str()));
    }

    #[test]
    fn keeps_escaped_spaces_and_line_endings() {
        let text = "a: \"one\\  \n  two\"\r\nb: 1  \r\n";
        let formatted = format(text).expect("valid YAML");
        assert_eq!(formatted, "a: \"one\\  \n  two\"\r\nb: 1\r\n");
        assert_eq!(meaning_of(text), meaning_of(&formatted));
    }

    #[test]
    fn offers_nothing_that_would_read_differently() {
        // Squeezing the kept trailing lines of a `|+` block scalar would change its value.
        assert_eq!(format("a: |+\n  x\n\n\n\n\nb: 1\n"), None);
        assert_eq!(format("a: 1"), Some("a: 1\n".to_string()));
    }

    #[test]
    fn leaves_broken_yaml_alone() {
        assert_eq!(format("a: [1,   \n"), None);
    }

    #[test]
    fn keeps_the_meaning_of_every_example() {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let mut checked = 0;
        for project in std::fs::read_dir(examples).expect("examples") {
            for file in std::fs::read_dir(project.expect("a project").path()).expect("files") {
                let path = file.expect("a file").path();
                let text = std::fs::read_to_string(&path).expect("readable");
                // Trailing spaces everywhere, as an editor might leave them.
                let messy: String = text.lines().map(|line| format!("{line}  \n")).collect();
                let formatted = format(&messy).expect("examples parse");
                assert_eq!(
                    meaning_of(&messy),
                    meaning_of(&formatted),
                    "{}",
                    path.display()
                );
                assert_eq!(format(&formatted).as_deref(), Some(formatted.as_str()));
                checked += 1;
            }
        }
        assert!(checked > 10);
    }
}
