//! Inline suppressions (`# wfc: ignore[CODE]`) and configured severity overrides, applied to the
//! diagnostics of an analysis as its last step.
//!
//! * `# wfc: ignore[WF050, unused-output]` at the end of a line silences those rules on that line;
//!   alone on a line it silences them on the next line that is not a comment.
//! * `# wfc: ignore-file[WF050]` anywhere silences them in the whole file.
//! * `ignore` / `ignore-file` without a list silence every rule.
//!
//! Rules are named by code or name, case-insensitively. A diagnostic is suppressed when its
//! primary span starts on a suppressed line. Unknown rules, unknown directives and malformed lists
//! are reported as [`invalid_suppression`](crate::rules::invalid_suppression) at the offending
//! text, with a did-you-mean. Only a `#` that starts a YAML comment counts: at the start of a
//! line or after whitespace, outside quoted scalars and outside block scalars (`|`, `>`).

use std::collections::HashMap;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Span};
use crate::rules;
use crate::source::{FileId, LineIndex, SourceDb};

/// The rules a suppression silences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Silenced {
    /// `ignore` without a list.
    All,
    /// The codes of the listed rules that exist.
    Codes(Vec<&'static str>),
}

impl Silenced {
    fn covers(&self, code: &str) -> bool {
        match self {
            Silenced::All => true,
            Silenced::Codes(codes) => codes.contains(&code),
        }
    }
}

/// One `# wfc:` suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The whole comment, from `#` to the end of the line.
    pub span: Span,
    /// The 0-based line it applies to; `None` for `ignore-file`, or for a comment on the last
    /// lines of a file with no line after it.
    pub line: Option<usize>,
    pub file_wide: bool,
    pub silenced: Silenced,
}

/// The suppressions of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suppressions {
    pub suppressions: Vec<Suppression>,
}

impl Suppressions {
    /// Whether a diagnostic with `code` whose span starts on 0-based `line` is silenced.
    pub fn suppresses(&self, line: usize, code: &str) -> bool {
        self.suppressions.iter().any(|suppression| {
            (suppression.file_wide || suppression.line == Some(line))
                && suppression.silenced.covers(code)
        })
    }
}

/// Removes suppressed diagnostics, applies severity overrides, and reports bad suppressions.
pub fn apply(sources: &SourceDb, config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    let mut by_file: HashMap<FileId, Suppressions> = HashMap::new();
    for (file, source) in sources.iter() {
        let (suppressions, problems) = parse(file, &source.text);
        diagnostics.extend(problems);
        if !suppressions.suppressions.is_empty() {
            by_file.insert(file, suppressions);
        }
    }
    if !by_file.is_empty() {
        diagnostics.retain(|diagnostic| {
            let Some(suppressions) = by_file.get(&diagnostic.file) else {
                return true;
            };
            let Some(source) = sources.get(diagnostic.file) else {
                return true;
            };
            let line = source.line_index().line_of(diagnostic.span.start as usize);
            !suppressions.suppresses(line, diagnostic.code)
        });
    }
    if !config.rule_severities.is_empty() {
        diagnostics.retain_mut(|diagnostic| match config.override_for(diagnostic.code) {
            None => true,
            Some(None) => false,
            Some(Some(severity)) => {
                diagnostic.severity = severity;
                true
            }
        });
    }
}

/// Finds the suppression comments of one file and reports the malformed ones.
pub fn parse(file: FileId, text: &str) -> (Suppressions, Vec<Diagnostic>) {
    let mut suppressions = Suppressions::default();
    let mut problems = Vec::new();
    if !text.contains("wfc:") {
        return (suppressions, problems);
    }
    let lines = scan_lines(text);
    for (index, line) in lines.iter().enumerate() {
        let Some(hash) = line.comment else { continue };
        let comment_end = line.end;
        let Some(directive) = parse_directive(file, text, hash, comment_end, &mut problems) else {
            continue;
        };
        let target = if directive.file_wide {
            None
        } else if line.kind == LineKind::CommentOnly {
            lines
                .iter()
                .enumerate()
                .skip(index + 1)
                .find(|(_, next)| next.kind != LineKind::CommentOnly)
                .map(|(next, _)| next)
        } else {
            Some(index)
        };
        suppressions.suppressions.push(Suppression {
            span: Span::new(hash, comment_end),
            line: target,
            file_wide: directive.file_wide,
            silenced: directive.silenced,
        });
    }
    (suppressions, problems)
}

struct Directive {
    file_wide: bool,
    silenced: Silenced,
}

fn invalid(file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(&rules::invalid_suppression::RULE, file, span, message)
}

/// Parses the comment `text[hash..end]`; `None` when it is not a `wfc:` directive or is too
/// malformed to silence anything (a problem is then reported).
fn parse_directive(
    file: FileId,
    text: &str,
    hash: usize,
    end: usize,
    problems: &mut Vec<Diagnostic>,
) -> Option<Directive> {
    let comment = &text[hash..end];
    let after_hash = &comment[1..];
    let body = after_hash.trim_start();
    let rest = body.strip_prefix("wfc:")?;
    let mut position = end - rest.trim_start().len();
    let word_len = text[position..end]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(end - position);
    let word = &text[position..position + word_len];
    let file_wide = match word {
        "ignore" => false,
        "ignore-file" => true,
        _ => {
            let span = if word.is_empty() {
                Span::new(hash, end)
            } else {
                Span::new(position, position + word_len)
            };
            let mut diagnostic = if word.is_empty() {
                invalid(file, span, "a `wfc:` comment without a directive")
                    .with_label("expected `ignore[...]` or `ignore-file[...]`")
            } else {
                invalid(
                    file,
                    span,
                    format!("unknown suppression directive `{word}`"),
                )
                .with_label("not `ignore` or `ignore-file`")
            };
            let guess = if word.contains("file") || word.len() > "ignore".len() + 2 {
                "ignore-file"
            } else {
                "ignore"
            };
            if !word.is_empty()
                && strsim::damerau_levenshtein(&word.to_ascii_lowercase(), guess) <= 3
            {
                diagnostic = diagnostic
                    .with_help(format!("did you mean `{guess}`?"))
                    .with_replacement(format!("replace with `{guess}`"), guess);
            } else {
                diagnostic = diagnostic.with_help(
                    "write `# wfc: ignore[CODE, ...]` or `# wfc: ignore-file[CODE, ...]`",
                );
            }
            problems.push(diagnostic);
            return None;
        }
    };
    position += word_len;
    let Some(list) = text[position..end].strip_prefix('[') else {
        let next = text[position..end].chars().next();
        if next.is_some_and(|c| !c.is_whitespace()) {
            let bad_end = position + next.map_or(0, char::len_utf8);
            problems.push(
                invalid(
                    file,
                    Span::new(position, bad_end),
                    format!("unexpected `{}` after `{word}`", &text[position..bad_end]),
                )
                .with_label("expected `[` or the end of the directive")
                .with_help(format!(
                    "write `# wfc: {word}[CODE, ...]`, or `# wfc: {word}` to silence every rule"
                )),
            );
            return None;
        }
        return Some(Directive {
            file_wide,
            silenced: Silenced::All,
        });
    };
    let list_start = position + 1;
    let Some(close) = list.find(']') else {
        problems.push(
            invalid(file, Span::new(position, end), "unclosed suppression list")
                .with_label("no `]` after this `[`")
                .with_help(format!("close the list: `# wfc: {word}[CODE, ...]`")),
        );
        return None;
    };
    let list_end = list_start + close;
    let mut codes = Vec::new();
    let mut any_item = false;
    let mut item_start = list_start;
    for item in text[list_start..list_end].split(',') {
        let leading = item.len() - item.trim_start().len();
        let name = item.trim();
        let start = item_start + leading;
        item_start += item.len() + 1;
        if name.is_empty() {
            continue;
        }
        any_item = true;
        match rules::find(name) {
            Some(rule) => codes.push(rule.code),
            None => problems.push(unknown_rule(
                file,
                Span::new(start, start + name.len()),
                name,
            )),
        }
    }
    if !any_item {
        problems.push(
            invalid(
                file,
                Span::new(position, list_end + 1),
                "empty suppression list",
            )
            .with_label("silences nothing")
            .with_help(format!(
                "name the rules to silence, or write `# wfc: {word}` to silence every rule"
            )),
        );
    }
    Some(Directive {
        file_wide,
        silenced: Silenced::Codes(codes),
    })
}

fn unknown_rule(file: FileId, span: Span, name: &str) -> Diagnostic {
    let diagnostic = invalid(file, span, format!("unknown rule `{name}`"))
        .with_label("no rule has this code or name");
    crate::rules::with_suggestion(diagnostic, name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Blank,
    CommentOnly,
    Code,
}

#[derive(Debug, Clone, Copy)]
struct LineInfo {
    kind: LineKind,
    /// Byte offset of the `#` starting a comment on this line.
    comment: Option<usize>,
    /// Byte offset of the end of the line, before `\r\n` or `\n`.
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// Classifies every line of `text` and finds its comment, with a per-line scan that carries the
/// state of quoted scalars and block scalars across lines.
fn scan_lines(text: &str) -> Vec<LineInfo> {
    let index = LineIndex::new(text);
    let mut lines = Vec::with_capacity(index.line_count());
    let mut quote = Quote::None;
    // Indentation of the line that opened a block scalar: deeper lines are its content.
    let mut block_parent: Option<usize> = None;
    for line_number in 0..index.line_count() {
        let start = index.line_start(line_number).unwrap_or(text.len());
        let mut end = index
            .line_start(line_number + 1)
            .map_or(text.len(), |next| next - 1);
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        let line = &text[start..end];
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let blank = line.trim().is_empty();
        if let Some(parent) = block_parent {
            if quote == Quote::None && (blank || indent > parent) {
                lines.push(LineInfo {
                    kind: if blank {
                        LineKind::Blank
                    } else {
                        LineKind::Code
                    },
                    comment: None,
                    end,
                });
                continue;
            }
            block_parent = None;
        }
        let started_in_quote = quote != Quote::None;
        let (comment, code_end) = scan_line(line, &mut quote);
        let kind = if started_in_quote {
            LineKind::Code
        } else if comment == Some(indent) {
            LineKind::CommentOnly
        } else if blank {
            LineKind::Blank
        } else {
            LineKind::Code
        };
        if quote == Quote::None && opens_block_scalar(&line[..code_end]) {
            block_parent = Some(indent);
        }
        lines.push(LineInfo {
            kind,
            comment: comment.map(|offset| start + offset),
            end,
        });
    }
    lines
}

/// Scans one line, updating the quote state; returns the offset of the comment's `#` and the
/// end of the part before it.
fn scan_line(line: &str, quote: &mut Quote) -> (Option<usize>, usize) {
    let bytes = line.as_bytes();
    // Whether a scalar may start here, so that a quote opens a quoted scalar (in `don't` it
    // does not).
    let mut at_scalar_start = *quote == Quote::None;
    // Inside a tag (`!!str`) or an anchor (`&name`), which may precede a scalar.
    let mut in_property = false;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        match *quote {
            Quote::Single => {
                if byte == b'\'' {
                    if bytes.get(index + 1) == Some(&b'\'') {
                        index += 1;
                    } else {
                        *quote = Quote::None;
                    }
                }
            }
            Quote::Double => {
                if byte == b'\\' {
                    index += 1;
                } else if byte == b'"' {
                    *quote = Quote::None;
                }
            }
            Quote::None => {
                let after_space = index == 0 || matches!(bytes[index - 1], b' ' | b'\t');
                let followed_by_space = bytes
                    .get(index + 1)
                    .is_none_or(|next| matches!(next, b' ' | b'\t'));
                match byte {
                    b'#' if after_space => return (Some(index), index),
                    b' ' | b'\t' => in_property = false,
                    _ if in_property => {}
                    b'\'' if at_scalar_start => {
                        *quote = Quote::Single;
                        at_scalar_start = false;
                    }
                    b'"' if at_scalar_start => {
                        *quote = Quote::Double;
                        at_scalar_start = false;
                    }
                    b'!' | b'&' if at_scalar_start => in_property = true,
                    b'-' | b'?' | b':' if followed_by_space => at_scalar_start = true,
                    b'[' | b'{' | b',' => at_scalar_start = true,
                    _ => at_scalar_start = false,
                }
            }
        }
        index += 1;
    }
    (None, bytes.len())
}

/// Whether a line (without its comment) ends with a block scalar header such as `key: |-`.
fn opens_block_scalar(code: &str) -> bool {
    let code = code.trim_end();
    let Some(header_start) = code.rfind(['|', '>']) else {
        return false;
    };
    let indicators = &code[header_start + 1..];
    if indicators.len() > 2
        || !indicators
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'-' || byte == b'+')
    {
        return false;
    }
    let before = &code[..header_start];
    if !(before.is_empty() || before.ends_with([' ', '\t'])) {
        return false;
    }
    // Skip a tag and an anchor between the key and the header (`key: !!str &a |`).
    let mut before = before.trim_end();
    loop {
        let token_start = before.rfind([' ', '\t']).map_or(0, |space| space + 1);
        if before[token_start..].starts_with(['!', '&']) {
            before = before[..token_start].trim_end();
        } else {
            break;
        }
    }
    before.is_empty() || before.ends_with([':', '-', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::rules::Rule;

    fn diagnostic_at(rule: &Rule, text: &str, needle: &str) -> Diagnostic {
        let start = text.find(needle).expect("needle in text");
        Diagnostic::new(
            rule,
            FileId(0),
            Span::new(start, start + needle.len()),
            "test",
        )
    }

    fn run(text: &str, config: &Config, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let mut sources = SourceDb::new();
        sources.add("a.wf.yaml", text);
        let mut diagnostics = diagnostics;
        apply(&sources, config, &mut diagnostics);
        crate::diagnostic::sort_diagnostics(&mut diagnostics);
        diagnostics
    }

    fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
        diagnostics
            .iter()
            .map(|diagnostic| diagnostic.code)
            .collect()
    }

    fn unused_input() -> &'static Rule {
        &rules::unused_input::RULE
    }

    fn unknown_key() -> &'static Rule {
        &rules::unknown_key::RULE
    }

    #[test]
    fn trailing_comment_silences_its_line() {
        let text = "inputs:\n  a: string # wfc: ignore[WF050]\n  b: string\n";
        let diagnostics = vec![
            diagnostic_at(unused_input(), text, "a:"),
            diagnostic_at(unused_input(), text, "b:"),
        ];
        let kept = run(text, &Config::default(), diagnostics);
        assert_eq!(kept.len(), 1);
        assert_eq!(&text[kept[0].span.range()], "b:");
    }

    #[test]
    fn own_line_comment_silences_the_next_non_comment_line() {
        let text = "inputs:\n  # wfc: ignore[unused-input]\n  # a note\n  a: string\n  b: string\n";
        let diagnostics = vec![
            diagnostic_at(unused_input(), text, "a:"),
            diagnostic_at(unused_input(), text, "b:"),
        ];
        let kept = run(text, &Config::default(), diagnostics);
        assert_eq!(kept.len(), 1);
        assert_eq!(&text[kept[0].span.range()], "b:");
    }

    #[test]
    fn only_listed_codes_are_silenced() {
        let text = "a: 1 # wfc: ignore[WF050]\n";
        let diagnostics = vec![
            diagnostic_at(unknown_key(), text, "a"),
            diagnostic_at(unused_input(), text, "1"),
        ];
        assert_eq!(
            codes(&run(text, &Config::default(), diagnostics)),
            ["WF010"]
        );
    }

    #[test]
    fn ignore_without_list_silences_everything_on_the_line() {
        let text = "a: 1 # wfc: ignore\nb: 2\n";
        let diagnostics = vec![
            diagnostic_at(unknown_key(), text, "a"),
            diagnostic_at(unused_input(), text, "1"),
            diagnostic_at(unknown_key(), text, "b"),
        ];
        let kept = run(text, &Config::default(), diagnostics);
        assert_eq!(kept.len(), 1);
        assert_eq!(&text[kept[0].span.range()], "b");
    }

    #[test]
    fn ignore_file_silences_the_whole_file() {
        let text = "a: 1\nb: 2\n# wfc: ignore-file[WF010, unused-input]\n";
        let diagnostics = vec![
            diagnostic_at(unknown_key(), text, "a"),
            diagnostic_at(unused_input(), text, "2"),
        ];
        assert!(run(text, &Config::default(), diagnostics).is_empty());
        let text = "# wfc: ignore-file\na: 1\n";
        assert!(
            run(
                text,
                &Config::default(),
                vec![diagnostic_at(&rules::cycle::RULE, text, "a")]
            )
            .is_empty()
        );
    }

    #[test]
    fn diagnostics_of_other_files_are_untouched() {
        let mut sources = SourceDb::new();
        sources.add("a.wf.yaml", "# wfc: ignore-file\n");
        sources.add("b.wf.yaml", "a: 1\n");
        let mut diagnostics = vec![Diagnostic::new(
            unknown_key(),
            FileId(1),
            Span::new(0, 1),
            "x",
        )];
        apply(&sources, &Config::default(), &mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
    }

    #[test]
    fn reports_unknown_codes_at_their_range_with_did_you_mean() {
        let text = "a: 1 # wfc: ignore[WF050,  unused-inptu, WF999]\n";
        let kept = run(
            text,
            &Config::default(),
            vec![diagnostic_at(unused_input(), text, "a")],
        );
        assert_eq!(codes(&kept), ["WF090", "WF090"]);
        assert_eq!(&text[kept[0].span.range()], "unused-inptu");
        assert_eq!(kept[0].message, "unknown rule `unused-inptu`");
        assert_eq!(
            kept[0].help.as_deref(),
            Some("did you mean `unused-input` (WF050 unused-input)?")
        );
        let fix = kept[0].fix.as_ref().expect("a fix");
        assert_eq!(fix.edits[0].replacement, "unused-input");
        assert_eq!(fix.edits[0].span, kept[0].span);
        assert_eq!(&text[kept[1].span.range()], "WF999");
        assert!(kept[1].fix.is_none());
        assert_eq!(kept[1].severity, Severity::Warning);
    }

    #[test]
    fn misspelled_codes_get_a_code() {
        let text = "# wfc: ignore[wf05O]\n";
        let kept = run(text, &Config::default(), Vec::new());
        assert_eq!(
            kept[0]
                .fix
                .as_ref()
                .map(|fix| fix.edits[0].replacement.as_str()),
            Some("WF050")
        );
    }

    #[test]
    fn reports_malformed_directives() {
        let cases = [
            (
                "# wfc: ignroe[WF050]\n",
                "ignroe",
                "unknown suppression directive `ignroe`",
            ),
            (
                "# wfc: ignore-fil\n",
                "ignore-fil",
                "unknown suppression directive `ignore-fil`",
            ),
            (
                "# wfc: ignore[WF050\n",
                "[WF050",
                "unclosed suppression list",
            ),
            ("# wfc: ignore[]\n", "[]", "empty suppression list"),
            (
                "# wfc: ignore:WF050\n",
                ":",
                "unexpected `:` after `ignore`",
            ),
            ("# wfc:\n", "# wfc:", "a `wfc:` comment without a directive"),
        ];
        for (text, at, message) in cases {
            let kept = run(text, &Config::default(), Vec::new());
            assert_eq!(kept.len(), 1, "{text}: {kept:#?}");
            assert_eq!(&text[kept[0].span.range()], at, "{text}");
            assert_eq!(kept[0].message, message, "{text}");
        }
        let kept = run("# wfc: ignroe[WF050]\n", &Config::default(), Vec::new());
        assert_eq!(
            kept[0]
                .fix
                .as_ref()
                .map(|fix| fix.edits[0].replacement.as_str()),
            Some("ignore")
        );
    }

    #[test]
    fn directive_spacing_and_reasons_are_flexible() {
        for text in [
            "a: 1 #wfc:ignore[WF010]\n",
            "a: 1 #   wfc:   ignore[ WF010 ] because reasons\n",
            "a: 1 # wfc: ignore[unknown-key,]\n",
        ] {
            let kept = run(
                text,
                &Config::default(),
                vec![diagnostic_at(unknown_key(), text, "a")],
            );
            assert!(kept.is_empty(), "{text}: {kept:#?}");
        }
    }

    #[test]
    fn hashes_inside_scalars_are_not_comments() {
        let cases = [
            "a: 'x # wfc: ignore'\n",
            "a: \"x # wfc: ignore\"\n",
            "a: x#wfc: ignore\n",
            "a: \"multi\n  line # wfc: ignore\n  end\"\n",
            "a: 'it''s # wfc: ignore'\n",
            "a: \"esc \\\" # wfc: ignore\"\n",
            "a: |\n  # wfc: ignore\n  b\n",
            "- >-\n    # wfc: ignore\n",
            "[\"x # wfc: ignore\"]\n",
            "a: !!str \"x # wfc: ignore\"\n",
            "a: &anchor 'x # wfc: ignore'\n",
            "a: !!str |\n  # wfc: ignore\n",
        ];
        for text in cases {
            let kept = run(
                text,
                &Config::default(),
                vec![Diagnostic::new(
                    unknown_key(),
                    FileId(0),
                    Span::new(0, 1),
                    "test",
                )],
            );
            assert_eq!(kept.len(), 1, "{text}");
            let (suppressions, problems) = parse(FileId(0), text);
            assert!(
                suppressions.suppressions.is_empty() && problems.is_empty(),
                "{text}"
            );
        }
    }

    #[test]
    fn comments_after_scalars_with_apostrophes_are_comments() {
        let text = "a: don't # wfc: ignore[WF010]\nb: 'x' # wfc: ignore[WF010]\nc: |\n  text\nd: 1 # wfc: ignore[WF010]\n";
        let (suppressions, problems) = parse(FileId(0), text);
        assert!(problems.is_empty());
        let lines: Vec<Option<usize>> = suppressions
            .suppressions
            .iter()
            .map(|suppression| suppression.line)
            .collect();
        assert_eq!(lines, [Some(0), Some(1), Some(4)]);
    }

    #[test]
    fn block_scalar_ends_at_dedent() {
        let text = "a: |\n  x\n# wfc: ignore[WF010]\nb: 1\n";
        let (suppressions, _) = parse(FileId(0), text);
        assert_eq!(suppressions.suppressions.len(), 1);
        assert_eq!(suppressions.suppressions[0].line, Some(3));
    }

    #[test]
    fn crlf_line_endings() {
        let text = "a: 1 # wfc: ignore[WF999]\r\nb: 2\r\n";
        let kept = run(text, &Config::default(), Vec::new());
        assert_eq!(kept.len(), 1);
        assert_eq!(&text[kept[0].span.range()], "WF999");
    }

    #[test]
    fn severity_overrides_and_off() {
        let (config, problems) = Config::parse(
            FileId(9),
            "[rules]\nunused-input = \"error\"\nWF010 = \"off\"\n",
        );
        assert!(problems.is_empty());
        let text = "a: 1\n";
        let kept = run(
            text,
            &config,
            vec![
                diagnostic_at(unknown_key(), text, "a"),
                diagnostic_at(unused_input(), text, "1"),
            ],
        );
        assert_eq!(codes(&kept), ["WF050"]);
        assert_eq!(kept[0].severity, Severity::Error);
    }

    #[test]
    fn invalid_suppressions_can_be_configured_and_suppressed() {
        let (config, _) = Config::parse(FileId(9), "[rules]\ninvalid-suppression = \"off\"\n");
        assert!(run("# wfc: ignore[WF999]\n", &config, Vec::new()).is_empty());
        assert!(
            run(
                "a: 1 # wfc: ignore[WF999, WF090]\n",
                &Config::default(),
                Vec::new()
            )
            .is_empty()
        );
    }

    #[test]
    fn comment_at_end_of_file_targets_nothing() {
        let (suppressions, _) = parse(FileId(0), "a: 1\n# wfc: ignore\n");
        assert_eq!(suppressions.suppressions[0].line, Some(2));
        let (suppressions, _) = parse(FileId(0), "a: 1\n# wfc: ignore");
        assert_eq!(suppressions.suppressions[0].line, None);
    }

    #[test]
    fn non_ascii_text_keeps_exact_ranges() {
        let text = "name: \"é # x\" # wfc: ignore[ünknown]\n";
        let kept = run(text, &Config::default(), Vec::new());
        assert_eq!(kept.len(), 1);
        assert_eq!(&text[kept[0].span.range()], "ünknown");
    }
}
