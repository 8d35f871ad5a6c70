//! The edge between the compiler's byte offsets and the protocol's lines and columns.
//!
//! The compiler speaks byte ranges; LSP positions are 0-based lines and columns counted in the
//! negotiated encoding (UTF-16 code units unless the client offers UTF-8). Every conversion goes
//! through the compiler's `LineIndex`, here and nowhere else in the server.

use std::path::Path;

use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, PositionEncodingKind, TextEdit, Uri,
};
use wfc_compiler::diagnostic::{Applicability, Diagnostic, DiagnosticTag, Severity};
use wfc_compiler::source::{ColumnUnit, LineIndex, SourceDb};
use wfc_compiler::{FileId, Span};

/// The column unit agreed with the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it (cheapest for us), else the protocol's default UTF-16.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    fn unit(self) -> ColumnUnit {
        match self {
            Encoding::Utf8 => ColumnUnit::Utf8,
            Encoding::Utf16 => ColumnUnit::Utf16,
        }
    }
}

/// One text with its line index, for conversions.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub encoding: Encoding,
}

impl<'a> Text<'a> {
    pub fn of(sources: &'a SourceDb, file: FileId, encoding: Encoding) -> Option<Text<'a>> {
        let source = sources.get(file)?;
        Some(Text {
            text: &source.text,
            index: source.line_index(),
            encoding,
        })
    }

    pub fn position(&self, offset: usize) -> Position {
        let at = self
            .index
            .line_column(self.text, offset, self.encoding.unit());
        Position::new(at.line - 1, at.column - 1)
    }

    pub fn offset(&self, position: Position) -> usize {
        self.index.offset(
            self.text,
            position.line as usize,
            position.character as usize,
            self.encoding.unit(),
        )
    }

    pub fn range(&self, span: Span) -> lsp::Range {
        lsp::Range::new(
            self.position(span.start as usize),
            self.position(span.end as usize),
        )
    }

    pub fn span(&self, range: lsp::Range) -> Span {
        Span::new(self.offset(range.start), self.offset(range.end))
    }
}

/// The `file://` URI of a path the analysis knows (absolute paths; others are kept as given).
pub fn uri_of(path: &str) -> Option<Uri> {
    Uri::from_file_path(Path::new(path))
}

/// The fix of a diagnostic as ready-to-apply edits, carried in the diagnostic's `data` so that a
/// quick fix needs no second analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FixData {
    pub title: String,
    pub preferred: bool,
    pub edits: Vec<(Uri, TextEdit)>,
}

/// A compiler diagnostic as the protocol shows it.
pub fn diagnostic(
    sources: &SourceDb,
    diagnostic: &Diagnostic,
    encoding: Encoding,
) -> Option<lsp::Diagnostic> {
    let text = Text::of(sources, diagnostic.file, encoding)?;
    let mut message = diagnostic.message.clone();
    if let Some(label) = &diagnostic.label {
        message.push_str(&format!(": {label}"));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .filter_map(|label| {
            let other = Text::of(sources, label.file, encoding)?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri_of(sources.path(label.file))?, other.range(label.span)),
                message: label.message.clone(),
            })
        })
        .collect();
    let tags: Vec<lsp::DiagnosticTag> = diagnostic
        .tags
        .iter()
        .map(|tag| match tag {
            DiagnosticTag::Unnecessary => lsp::DiagnosticTag::UNNECESSARY,
            DiagnosticTag::Deprecated => lsp::DiagnosticTag::DEPRECATED,
        })
        .collect();
    let data = diagnostic.fix.as_ref().and_then(|fix| {
        let edits: Option<Vec<(Uri, TextEdit)>> = fix
            .edits
            .iter()
            .map(|edit| {
                let target = Text::of(sources, edit.file, encoding)?;
                Some((
                    uri_of(sources.path(edit.file))?,
                    TextEdit::new(target.range(edit.span), edit.replacement.clone()),
                ))
            })
            .collect();
        let data = FixData {
            title: fix.message.clone(),
            preferred: fix.applicability == Applicability::Safe,
            edits: edits?,
        };
        serde_json::to_value(data).ok()
    });
    Some(lsp::Diagnostic {
        range: text.range(diagnostic.span),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        code_description: None,
        source: Some("wfc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: (!tags.is_empty()).then_some(tags),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes_as_negotiated() {
        let source = "a: é😀x\n";
        let index = LineIndex::new(source);
        let x = source.find('x').expect("present");
        let utf16 = Text {
            text: source,
            index: &index,
            encoding: Encoding::Utf16,
        };
        let utf8 = Text {
            encoding: Encoding::Utf8,
            ..utf16
        };
        assert_eq!(utf16.position(x), Position::new(0, 6));
        assert_eq!(utf8.position(x), Position::new(0, 9));
        assert_eq!(utf16.offset(Position::new(0, 6)), x);
        assert_eq!(utf8.offset(Position::new(0, 9)), x);
    }

    #[test]
    fn utf8_is_chosen_only_when_offered() {
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(Some(&[
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8
            ])),
            Encoding::Utf8
        );
        assert_eq!(
            Encoding::negotiate(Some(&[PositionEncodingKind::UTF32])),
            Encoding::Utf16
        );
    }
}
