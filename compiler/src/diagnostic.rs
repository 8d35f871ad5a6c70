//! The one diagnostic type every part of wfc produces and every front end renders.
//!
//! Analysis never fails: each stage returns its result plus a list of [`Diagnostic`]s. A diagnostic
//! is plain data (serializable, comparable) so that the CLI renderers (`render`), the language
//! server and the tests all consume the same value. Positions are byte ranges ([`Span`]) into a
//! file of the [`SourceDb`](crate::source::SourceDb); line/column conversion happens at the edges.

use serde::{Deserialize, Serialize};

use crate::source::FileId;

/// A half-open byte range `start..end` into one source file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        Span { start, end }
    }

    pub fn empty_at(offset: usize) -> Span {
        Span::new(offset, offset)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }
}

/// How serious a diagnostic is. `wfc.toml` can override the default severity of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Extra information editors can display differently (greyed out, struck through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticTag {
    Unnecessary,
    Deprecated,
}

/// A secondary location with a short message, possibly in another file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// One text replacement of a fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub file: FileId,
    pub span: Span,
    pub replacement: String,
}

/// How safe a fix is to apply without a human looking at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// The fix keeps the meaning the author evidently intended (e.g. a did-you-mean on a typo).
    Safe,
    /// The fix may change behaviour; an editor offers it, `--fix` would not apply it blindly.
    Unsafe,
}

/// A suggested change that resolves the diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub message: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

/// A finding about a workflow source.
///
/// `message` is a short lowercase phrase; the specifics go in `label` (attached to the primary
/// span) and `labels`; the remedy goes in `help`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable rule code, e.g. `WF101`.
    pub code: &'static str,
    /// Stable rule name, e.g. `unknown-key`.
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: FileId,
    pub span: Span,
    /// Text attached to the primary span.
    pub label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
    pub tags: Vec<DiagnosticTag>,
}

impl Diagnostic {
    /// Starts a diagnostic for `rule` at its default severity.
    pub fn new(
        rule: &crate::rules::Rule,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code: rule.code,
            rule: rule.name,
            severity: rule.default_severity,
            message: message.into(),
            file,
            span,
            label: None,
            labels: Vec::new(),
            help: None,
            fix: None,
            tags: Vec::new(),
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_secondary(
        mut self,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }

    pub fn with_tag(mut self, tag: DiagnosticTag) -> Diagnostic {
        self.tags.push(tag);
        self
    }

    /// A safe single-edit fix replacing the primary span.
    pub fn with_replacement(
        self,
        message: impl Into<String>,
        replacement: impl Into<String>,
    ) -> Diagnostic {
        let edit = Edit {
            file: self.file,
            span: self.span,
            replacement: replacement.into(),
        };
        self.with_fix(Fix {
            message: message.into(),
            applicability: Applicability::Safe,
            edits: vec![edit],
        })
    }
}

/// Sort diagnostics into the order users read them: by file, position, then code.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.file, a.span.start, a.span.end, a.code, &a.message).cmp(&(
            b.file,
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
}
