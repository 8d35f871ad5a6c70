//! GitHub Actions workflow commands (`--format github`): one annotation per diagnostic.
//!
//! ```text
//! ::error file=flows/a.wf.yaml,line=2,col=1,endLine=2,endColumn=8,title=WF002 duplicate-key::duplicate key `workflow`: repeated here
//! ```
//!
//! Errors become `::error`, warnings `::warning` and infos `::notice`. Columns count Unicode
//! characters; as GitHub requires, `col`/`endColumn` are only given when the range is on one line,
//! and `endColumn` is inclusive (the column of the last character). Data is escaped as the runner
//! expects: `%`, `\r` and `\n` everywhere, `:` and `,` in properties.

use super::{display_path, message_with_label, region};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceDb;

/// Renders one workflow command per line.
pub fn render(sources: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let position = region(sources, diagnostic.file, diagnostic.span);
        let mut properties = vec![
            ("file", display_path(sources, diagnostic.file)),
            ("line", position.line.to_string()),
        ];
        if position.line == position.end_line {
            let end_column = position.end_column.saturating_sub(1).max(position.column);
            properties.push(("col", position.column.to_string()));
            properties.push(("endLine", position.end_line.to_string()));
            properties.push(("endColumn", end_column.to_string()));
        } else {
            properties.push(("endLine", position.end_line.to_string()));
        }
        properties.push(("title", format!("{} {}", diagnostic.code, diagnostic.rule)));
        let properties: Vec<String> = properties
            .into_iter()
            .map(|(key, value)| format!("{key}={}", escape_property(&value)))
            .collect();
        let mut message = message_with_label(diagnostic);
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        for label in &diagnostic.labels {
            let at = region(sources, label.file, label.span);
            message.push_str(&format!(
                "\nnote: {}:{}:{}: {}",
                display_path(sources, label.file),
                at.line,
                at.column,
                label.message
            ));
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            escape_data(&message)
        ));
    }
    out
}

/// Escapes a command's message. Other control characters, which the runner would pass to the
/// log as they are, become `?`.
fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            '\t' => out.push('\t'),
            character if character.is_control() => out.push('?'),
            character => out.push(character),
        }
    }
    out
}

/// Escapes a property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::sample;

    #[test]
    fn renders_annotations() {
        let (sources, diagnostics) = sample();
        insta::assert_snapshot!(render(&sources, &diagnostics));
    }

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_data("\u{1b}[31m\u{0}"), "?[31m?");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn multi_line_ranges_omit_columns() {
        let mut sources = SourceDb::new();
        let file = sources.add("a,b:c.wf.yaml", "a:\n  b: 1\n");
        let diagnostic = Diagnostic::new(
            &crate::rules::unused_input::RULE,
            file,
            crate::diagnostic::Span::new(0, 9),
            "spans two lines",
        );
        let out = render(&sources, &[diagnostic]);
        assert_eq!(
            out,
            "::warning file=a%2Cb%3Ac.wf.yaml,line=1,endLine=2,title=WF050 unused-input::spans two lines\n"
        );
    }
}
