//! Rendering diagnostics for people and machines.
//!
//! Every renderer is a pure function from the sources, the diagnostics and [`Options`] to a
//! `String`; the caller decides where it goes. Machine formats ([`json`], [`sarif`], [`github`])
//! give 1-based lines and 1-based columns counted in Unicode characters (scalar values); their
//! end positions are exclusive except where the target format says otherwise (GitHub annotations).

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::source::{ColumnUnit, FileId, SourceDb, clamp_to_char_boundary};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Annotated source snippets for a terminal.
    Human,
    /// The versioned JSON document described in `docs/cli.md`.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other tools.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`).
    Github,
}

/// Rendering options; each format reads the ones that concern it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Human: ANSI colors and Unicode box drawing; otherwise plain ASCII.
    pub color: bool,
    /// Human: the width text is wrapped to.
    pub width: usize,
    /// Human: end with a summary line such as `2 errors, 1 warning in 3 files`.
    pub summary: bool,
    /// SARIF: `tool.driver.version`.
    pub tool_version: String,
    /// SARIF: `tool.driver.informationUri`.
    pub information_uri: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            color: false,
            width: 100,
            summary: true,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            information_uri: "https://example.invalid/wfc".to_string(),
        }
    }
}

/// Renders `diagnostics` in `format`.
pub fn render(
    format: Format,
    sources: &SourceDb,
    diagnostics: &[Diagnostic],
    options: &Options,
) -> String {
    match format {
        Format::Human => human::render(sources, diagnostics, options),
        Format::Json => json::render(sources, diagnostics),
        Format::Sarif => sarif::render(sources, diagnostics, options),
        Format::Github => github::render(sources, diagnostics),
    }
}

/// Counts of diagnostics by severity, and of files checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(sources: &SourceDb, diagnostics: &[Diagnostic]) -> Summary {
        let mut summary = Summary {
            files: sources.len(),
            ..Summary::default()
        };
        for diagnostic in diagnostics {
            match diagnostic.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        summary
    }

    /// `2 errors, 1 warning in 3 files`, or `no problems found in 3 files`.
    pub fn line(&self) -> String {
        let files = plural(self.files, "file", "files");
        let mut parts = Vec::new();
        if self.errors > 0 {
            parts.push(plural(self.errors, "error", "errors"));
        }
        if self.warnings > 0 {
            parts.push(plural(self.warnings, "warning", "warnings"));
        }
        if self.infos > 0 {
            parts.push(plural(self.infos, "info", "infos"));
        }
        if parts.is_empty() {
            format!("no problems found in {files}")
        } else {
            format!("{} in {files}", parts.join(", "))
        }
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A span converted to 1-based lines and character columns; the end is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// Clamps a span to the text and to character boundaries, so that a bad span never panics.
pub fn clamp_span(text: &str, span: Span) -> Span {
    let start = clamp_to_char_boundary(text, span.start as usize);
    let end = clamp_to_char_boundary(text, span.end as usize).max(start);
    Span::new(start, end)
}

/// The [`Region`] of `span` in `file`, columns counted in Unicode characters.
pub fn region(sources: &SourceDb, file: FileId, span: Span) -> Region {
    let Some(source) = sources.get(file) else {
        return Region {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        };
    };
    let span = clamp_span(&source.text, span);
    let start =
        source
            .line_index()
            .line_column(&source.text, span.start as usize, ColumnUnit::Char);
    let end = source
        .line_index()
        .line_column(&source.text, span.end as usize, ColumnUnit::Char);
    Region {
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

/// The text of the 0-based line holding `offset`, without its line break.
pub(crate) fn line_text(sources: &SourceDb, file: FileId, offset: u32) -> &str {
    let Some(source) = sources.get(file) else {
        return "";
    };
    let line = source.line_index().line_of(offset as usize);
    let start = source.line_index().line_start(line).unwrap_or(0);
    let end = source
        .line_index()
        .line_start(line + 1)
        .unwrap_or(source.text.len());
    source
        .text
        .get(start..end)
        .unwrap_or("")
        .trim_end_matches(['\n', '\r'])
}

/// A path as it appears in machine output: forward slashes.
pub(crate) fn display_path(sources: &SourceDb, file: FileId) -> String {
    sources.path(file).replace('\\', "/")
}

/// The message with the primary label: `invalid YAML: did not find expected key`.
pub(crate) fn message_with_label(diagnostic: &Diagnostic) -> String {
    match diagnostic.label.as_deref() {
        Some(label) if !label.is_empty() => format!("{}: {label}", diagnostic.message),
        _ => diagnostic.message.clone(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rules;

    /// Two files with diagnostics exercising labels, other-file labels, fixes and non-ASCII text.
    pub(crate) fn sample() -> (SourceDb, Vec<Diagnostic>) {
        let mut sources = SourceDb::new();
        let a = sources.add(
            "flows/a.wf.yaml",
            "workflow: é\nworkflow: b\ntasks:\n  x: {worker: buil}\n",
        );
        let b = sources.add("workers/build.workers.yaml", "workers:\n  build: {}\n");
        let text = sources.text(a).to_string();
        let second = text.rfind("workflow").unwrap_or(0);
        let worker = text.find("buil}").unwrap_or(0);
        let diagnostics = vec![
            Diagnostic::new(
                &rules::duplicate_key::RULE,
                a,
                Span::new(second, second + 8),
                "duplicate key `workflow`",
            )
            .with_label("repeated here")
            .with_secondary(a, Span::new(0, 8), "first defined here")
            .with_help("remove one of the two entries; YAML keeps only one"),
            Diagnostic::new(
                &rules::unknown_worker::RULE,
                a,
                Span::new(worker, worker + 4),
                "unknown worker `buil`",
            )
            .with_label("no contract declares it")
            .with_secondary(b, Span::new(11, 16), "`build` is declared here")
            .with_help("did you mean `build`?")
            .with_replacement("replace with `build`", "build"),
            Diagnostic::new(
                &rules::unused_input::RULE,
                b,
                Span::new(0, 7),
                "a \"quoted\", 100% odd: message\nwith a newline",
            ),
        ];
        (sources, diagnostics)
    }

    #[test]
    fn summary_lines() {
        let (sources, diagnostics) = sample();
        assert_eq!(
            Summary::of(&sources, &diagnostics).line(),
            "2 errors, 1 warning in 2 files"
        );
        assert_eq!(
            Summary::of(&sources, &[]).line(),
            "no problems found in 2 files"
        );
        let summary = Summary {
            files: 1,
            errors: 1,
            warnings: 0,
            infos: 2,
        };
        assert_eq!(summary.line(), "1 error, 2 infos in 1 file");
    }

    #[test]
    fn regions_count_characters_and_clamp() {
        let (sources, _) = sample();
        let a = FileId(0);
        let text = sources.text(a);
        let second = text.rfind("workflow").unwrap_or(0) as u32;
        assert_eq!(
            region(&sources, a, Span { start: 10, end: 12 }),
            Region {
                line: 1,
                column: 11,
                end_line: 1,
                end_column: 12
            }
        );
        assert_eq!(
            region(
                &sources,
                a,
                Span {
                    start: second,
                    end: second + 8
                }
            ),
            Region {
                line: 2,
                column: 1,
                end_line: 2,
                end_column: 9
            }
        );
        // Inside the two-byte é, and past the end: clamped rather than a panic.
        assert_eq!(
            region(
                &sources,
                a,
                Span {
                    start: 11,
                    end: 9999
                }
            )
            .column,
            11
        );
        assert_eq!(
            region(&sources, FileId(7), Span { start: 0, end: 1 }).line,
            1
        );
    }
}
