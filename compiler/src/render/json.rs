//! The versioned JSON document (`--format json`), specified in `docs/cli.md`.
//!
//! ```json
//! {
//!   "version": 1,
//!   "diagnostics": [{ "file", "line", "column", "end_line", "end_column", "offset", "end_offset",
//!                     "code", "rule", "severity", "message", "label", "help",
//!                     "labels": [...], "fix": {...} | null, "tags": [...] }],
//!   "summary": { "files", "errors", "warnings", "infos" }
//! }
//! ```
//!
//! Lines and columns are 1-based, columns count Unicode characters, and `end_line`/`end_column`
//! point just past the last character. `offset`/`end_offset` are the same range in UTF-8 bytes.
//! Fields are only ever added within a version; a breaking change bumps `version`.

use serde_json::{Value, json};

use super::{Summary, clamp_span, display_path, region};
use crate::diagnostic::{Applicability, Diagnostic, DiagnosticTag, Span};
use crate::source::{FileId, SourceDb};

/// The version of the document's shape.
pub const VERSION: u32 = 1;

/// Renders the JSON document, pretty-printed, with a trailing newline.
pub fn render(sources: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    let summary = Summary::of(sources, diagnostics);
    let document = json!({
        "version": VERSION,
        "diagnostics": diagnostics.iter().map(|diagnostic| diagnostic_value(sources, diagnostic)).collect::<Vec<_>>(),
        "summary": {
            "files": summary.files,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "infos": summary.infos,
        },
    });
    let mut out = serde_json::to_string_pretty(&document).unwrap_or_else(|_| String::from("{}"));
    out.push('\n');
    out
}

/// The location fields of a range, merged into the object that holds them.
fn location(sources: &SourceDb, file: FileId, span: Span) -> serde_json::Map<String, Value> {
    let position = region(sources, file, span);
    let span = clamp_span(sources.text(file), span);
    let mut object = serde_json::Map::new();
    object.insert("file".into(), display_path(sources, file).into());
    object.insert("line".into(), position.line.into());
    object.insert("column".into(), position.column.into());
    object.insert("end_line".into(), position.end_line.into());
    object.insert("end_column".into(), position.end_column.into());
    object.insert("offset".into(), span.start.into());
    object.insert("end_offset".into(), span.end.into());
    object
}

fn diagnostic_value(sources: &SourceDb, diagnostic: &Diagnostic) -> Value {
    let mut object = location(sources, diagnostic.file, diagnostic.span);
    object.insert("code".into(), diagnostic.code.into());
    object.insert("rule".into(), diagnostic.rule.into());
    object.insert("severity".into(), diagnostic.severity.as_str().into());
    object.insert("message".into(), diagnostic.message.clone().into());
    object.insert("label".into(), diagnostic.label.clone().into());
    object.insert("help".into(), diagnostic.help.clone().into());
    let labels: Vec<Value> = diagnostic
        .labels
        .iter()
        .map(|label| {
            let mut object = location(sources, label.file, label.span);
            object.insert("message".into(), label.message.clone().into());
            Value::Object(object)
        })
        .collect();
    object.insert("labels".into(), labels.into());
    let fix = diagnostic.fix.as_ref().map_or(Value::Null, |fix| {
        let edits: Vec<Value> = fix
            .edits
            .iter()
            .map(|edit| {
                let mut object = location(sources, edit.file, edit.span);
                object.insert("replacement".into(), edit.replacement.clone().into());
                Value::Object(object)
            })
            .collect();
        json!({
            "message": fix.message,
            "applicability": match fix.applicability {
                Applicability::Safe => "safe",
                Applicability::Unsafe => "unsafe",
            },
            "edits": edits,
        })
    });
    object.insert("fix".into(), fix);
    let tags: Vec<Value> = diagnostic
        .tags
        .iter()
        .map(|tag| {
            match tag {
                DiagnosticTag::Unnecessary => "unnecessary",
                DiagnosticTag::Deprecated => "deprecated",
            }
            .into()
        })
        .collect();
    object.insert("tags".into(), tags.into());
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::sample;

    #[test]
    fn renders_the_versioned_document() {
        let (sources, diagnostics) = sample();
        let out = render(&sources, &diagnostics);
        insta::assert_snapshot!(out);
        let value: Value = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(value["version"], 1);
        assert_eq!(value["summary"]["errors"], 2);
        let first = &value["diagnostics"][0];
        assert_eq!(
            (first["line"].as_u64(), first["column"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(first["labels"][0]["line"], 1);
    }

    #[test]
    fn empty_document() {
        let out = render(&SourceDb::new(), &[]);
        let value: Value = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(value["diagnostics"], json!([]));
        assert_eq!(value["summary"]["files"], 0);
    }
}
