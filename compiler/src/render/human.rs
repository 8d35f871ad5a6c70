//! Annotated source snippets for people, drawn by miette.
//!
//! Each [`Diagnostic`] is adapted to [`miette::Diagnostic`]: its code and rule name, severity,
//! message, help, the primary label and the secondary labels in the same file become miette
//! labels over the file's text. Labels in other files cannot share the snippet; they follow it as
//! `note: path:line:col: message` lines. The output ends with a summary line.

use std::fmt;
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::{Options, Summary, clamp_span, region};
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::source::SourceDb;

/// Renders every diagnostic, then the summary line when `options.summary` is set.
pub fn render(sources: &SourceDb, diagnostics: &[Diagnostic], options: &Options) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::none()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width.max(40))
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics {
        render_one(&handler, sources, diagnostic, options, &mut out);
    }
    if options.summary {
        let summary = Summary::of(sources, diagnostics);
        let line = summary.line();
        if options.color {
            let style = if summary.errors > 0 {
                "\u{1b}[1;31m"
            } else if summary.warnings > 0 {
                "\u{1b}[1;33m"
            } else {
                "\u{1b}[1;32m"
            };
            out.push_str(&format!("{style}{line}\u{1b}[0m\n"));
        } else {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Longest source line drawn as a snippet.
const MAXIMUM_SNIPPET_LINE: usize = 1_000;

fn touches_only_short_lines(sources: &SourceDb, diagnostic: &Diagnostic) -> bool {
    let spans = std::iter::once((diagnostic.file, diagnostic.span)).chain(
        diagnostic
            .labels
            .iter()
            .filter(|label| label.file == diagnostic.file)
            .map(|label| (label.file, label.span)),
    );
    for (file, span) in spans {
        let Some(source) = sources.get(file) else {
            continue;
        };
        let first = source.line_index().line_of(span.start as usize);
        let last = source.line_index().line_of(span.end as usize);
        if (first..=last).any(|line| source.line_index().line_length(line) > MAXIMUM_SNIPPET_LINE) {
            return false;
        }
    }
    true
}

fn render_one(
    handler: &GraphicalReportHandler,
    sources: &SourceDb,
    diagnostic: &Diagnostic,
    options: &Options,
    out: &mut String,
) {
    let report = Report::new(sources, diagnostic);
    let mut rendered = String::new();
    // miette copies and pads whole lines (and its padding cannot exceed 65,535 columns): a
    // minified or generated file with huge lines gets the one-line form instead of a snippet.
    let snippet_fits = touches_only_short_lines(sources, diagnostic);
    if !snippet_fits || handler.render_report(&mut rendered, &report).is_err() {
        rendered.clear();
        // miette could not draw the snippet; fall back to one plain line.
        let position = region(sources, diagnostic.file, diagnostic.span);
        rendered = format!(
            "{}:{}:{}: {}[{}]: {}\n",
            sanitize(sources.path(diagnostic.file)),
            position.line,
            position.column,
            diagnostic.severity.as_str(),
            diagnostic.code,
            sanitize(&super::message_with_label(diagnostic))
        );
    }
    out.push_str(&rendered);
    for label in diagnostic
        .labels
        .iter()
        .filter(|label| label.file != diagnostic.file)
    {
        let position = region(sources, label.file, label.span);
        let note = if options.color {
            "\u{1b}[1;36mnote\u{1b}[0m"
        } else {
            "note"
        };
        out.push_str(&format!(
            "  {note}: {}:{}:{}: {}\n",
            sanitize(sources.path(label.file)),
            position.line,
            position.column,
            sanitize(&label.message)
        ));
    }
    out.push('\n');
}

/// A [`Diagnostic`] seen through miette's eyes.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    code: String,
    message: String,
    help: Option<String>,
    source: Option<FileSource>,
    labels: Vec<LabeledSpan>,
}

impl<'a> Report<'a> {
    fn new(sources: &SourceDb, diagnostic: &'a Diagnostic) -> Report<'a> {
        let source = sources.get(diagnostic.file).map(|file| FileSource {
            name: sanitize(&file.path),
            shown: sanitize_source(&file.text),
            text: Arc::clone(&file.text),
        });
        let text = sources.text(diagnostic.file);
        let mut labels = Vec::new();
        // An empty file has no line to draw a label on: the label joins the message instead.
        let message = if text.is_empty() {
            super::message_with_label(diagnostic)
        } else {
            diagnostic.message.clone()
        };
        if source.is_some() {
            let span = drawable_span(text, diagnostic.span);
            let label = diagnostic
                .label
                .as_deref()
                .filter(|_| !text.is_empty())
                .map(sanitize);
            labels.push(LabeledSpan::new_primary_with_span(
                label,
                SourceSpan::new((span.start as usize).into(), span.len()),
            ));
            for label in diagnostic
                .labels
                .iter()
                .filter(|label| label.file == diagnostic.file)
            {
                let span = drawable_span(text, label.span);
                labels.push(LabeledSpan::new_with_span(
                    Some(sanitize(&label.message)),
                    SourceSpan::new((span.start as usize).into(), span.len()),
                ));
            }
        }
        Report {
            diagnostic,
            code: format!("{} {}", diagnostic.code, diagnostic.rule),
            message: sanitize(&message),
            help: diagnostic.help.as_deref().map(sanitize),
            source,
            labels,
        }
    }
}

/// The span clamped to the text. miette draws nothing for an empty span at the very end of the
/// text, so that moves to the end of the last line, or onto its last character when the text does
/// not end with a line break.
fn drawable_span(text: &str, span: Span) -> Span {
    let span = clamp_span(text, span);
    if span.is_empty() && span.start as usize == text.len() {
        let end_of_line = text.trim_end_matches(['\n', '\r']).len();
        if end_of_line < text.len() {
            return Span::empty_at(end_of_line);
        }
        if let Some(last) = text.chars().next_back() {
            return Span::new(text.len() - last.len_utf8(), text.len());
        }
    }
    span
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Report")
            .field("diagnostic", self.diagnostic)
            .finish()
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// Replaces control characters other than line breaks and tabs, so that a hostile file cannot
/// send escape sequences to the terminal.
fn sanitize(text: &str) -> String {
    if !text.chars().any(is_unsafe) {
        return text.to_string();
    }
    text.chars()
        .map(|character| if is_unsafe(character) { '?' } else { character })
        .collect()
}

fn is_unsafe(character: char) -> bool {
    character.is_control() && !matches!(character, '\n' | '\r' | '\t')
}

/// [`sanitize`] for a snippet's source, keeping every byte offset: each unsafe character becomes
/// as many `?` as it has bytes.
fn sanitize_source(text: &Arc<str>) -> Arc<str> {
    if !text.chars().any(is_unsafe) {
        return Arc::clone(text);
    }
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if is_unsafe(character) {
            out.extend(std::iter::repeat_n('?', character.len_utf8()));
        } else {
            out.push(character);
        }
    }
    Arc::from(out)
}

/// A file's text under its path, reporting columns in characters (miette counts bytes).
struct FileSource {
    name: String,
    /// The text drawn, with control characters replaced byte for byte.
    shown: Arc<str>,
    /// The real text, in which columns are counted.
    text: Arc<str>,
}

impl SourceCode for FileSource {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let contents = self.shown.as_ref().read_span(span, before, after)?;
        let start = contents.span().offset();
        let byte_column = contents.column();
        let column = start
            .checked_sub(byte_column)
            .and_then(|line_start| self.text.get(line_start..start))
            .map_or(byte_column, |prefix| prefix.chars().count());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::sample;

    #[test]
    fn renders_snippets_notes_and_summary() {
        let (sources, diagnostics) = sample();
        let out = render(
            &sources,
            &diagnostics,
            &Options {
                width: 80,
                ..Options::default()
            },
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn renders_color_when_asked() {
        let (sources, diagnostics) = sample();
        let out = render(
            &sources,
            &diagnostics,
            &Options {
                color: true,
                ..Options::default()
            },
        );
        assert!(out.contains("\u{1b}["));
        assert!(out.contains('╭'));
    }

    #[test]
    fn survives_spans_outside_the_text() {
        let mut sources = SourceDb::new();
        let file = sources.add("a.wf.yaml", "a: 1\n");
        let diagnostic = Diagnostic::new(
            &crate::rules::yaml_syntax::RULE,
            file,
            crate::diagnostic::Span::new(3, 400),
            "invalid YAML",
        );
        let out = render(&sources, &[diagnostic], &Options::default());
        assert!(out.contains("invalid YAML"));
        assert!(out.ends_with("1 error in 1 file\n"));
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut sources = SourceDb::new();
        let file = sources.add("a\u{1b}.wf.yaml", "a: \u{1b}[31mred\u{0}\u{85}x\n");
        let diagnostic = Diagnostic::new(
            &crate::rules::yaml_limits::RULE,
            file,
            crate::diagnostic::Span::new(14, 15),
            "bad \u{1b}[2J",
        )
        .with_label("here \u{7}")
        .with_help("\u{1b}]8;;x");
        let out = render(&sources, &[diagnostic], &Options::default());
        assert!(!out.chars().any(is_unsafe), "{out:?}");
        assert!(out.contains("a: ?[31mred???x"), "{out}");
        assert!(out.contains("[a?.wf.yaml:1:14]"), "{out}");
    }

    #[test]
    fn renders_empty_files_and_end_of_file_spans() {
        let mut sources = SourceDb::new();
        let empty = sources.add("empty.wf.yaml", "");
        let text = sources.add("text.wf.yaml", "a: 1\n");
        let unterminated = sources.add("unterminated.wf.yaml", "a: 1");
        let rule = &crate::rules::not_a_workflow::RULE;
        let diagnostics = [
            Diagnostic::new(
                rule,
                empty,
                crate::diagnostic::Span::new(0, 0),
                "empty file",
            )
            .with_label("nothing here"),
            Diagnostic::new(rule, text, crate::diagnostic::Span::new(5, 5), "at the end")
                .with_label("here"),
            Diagnostic::new(
                rule,
                unterminated,
                crate::diagnostic::Span::new(4, 4),
                "at the end",
            )
            .with_label("here"),
        ];
        let out = render(&sources, &diagnostics, &Options::default());
        insta::assert_snapshot!(out);
    }

    #[test]
    fn empty_output_is_just_the_summary() {
        let sources = SourceDb::new();
        assert_eq!(
            render(&sources, &[], &Options::default()),
            "no problems found in 0 files\n"
        );
        assert_eq!(
            render(
                &sources,
                &[],
                &Options {
                    summary: false,
                    ..Options::default()
                }
            ),
            ""
        );
    }
}
