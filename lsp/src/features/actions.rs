//! Code actions for the diagnostics under the cursor: apply the compiler's fix (did-you-mean,
//! add the missing required inputs, …) carried in the diagnostic's `data`, or silence the rule
//! on that line with a `# wfc: ignore[CODE]` comment.

use std::collections::HashMap;

use tower_lsp_server::ls_types::*;
use wfc_compiler::query;
use wfc_compiler::syntax::Style;

use super::Context;
use crate::convert::FixData;

pub fn code_actions(context: &Context, diagnostics: &[Diagnostic]) -> Option<CodeActionResponse> {
    let mut actions = Vec::new();
    for diagnostic in diagnostics {
        if diagnostic.source.as_deref() != Some("wfc") {
            continue;
        }
        if let Some(fix) = diagnostic
            .data
            .clone()
            .and_then(|data| serde_json::from_value::<FixData>(data).ok())
        {
            let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
            for (uri, edit) in fix.edits {
                changes.entry(uri).or_default().push(edit);
            }
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(WorkspaceEdit::new(changes)),
                is_preferred: Some(fix.preferred),
                ..CodeAction::default()
            }));
        }
        if let Some(NumberOrString::String(code)) = &diagnostic.code
            && let Some(edit) = ignore_edit(context, diagnostic.range.start.line, code)
        {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("ignore {code} on this line"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(WorkspaceEdit::new(HashMap::from([(
                    context.uri.clone(),
                    vec![edit],
                )]))),
                ..CodeAction::default()
            }));
        }
    }
    Some(actions)
}

/// A `# wfc: ignore[CODE]` line above `line`, indented like it. Not offered inside a block
/// scalar (`|`, `>`), where the comment would become part of the text.
fn ignore_edit(context: &Context, line: u32, code: &str) -> Option<TextEdit> {
    let text = context.text();
    let start = text.index.line_start(line as usize)?;
    let line_text = &text.text[start..start + text.index.line_length(line as usize)];
    let indentation: String = line_text
        .chars()
        .take_while(|character| *character == ' ')
        .collect();
    let content_offset = start + indentation.len();
    if let Some(root) = &context.current.root
        && let Some(node) = query::scalar_at(root, content_offset)
        && let Some(scalar) = node.as_scalar()
        && matches!(scalar.style, Style::Literal | Style::Folded)
        && (node.span.start as usize) < start
    {
        return None;
    }
    let position = Position::new(line, 0);
    Some(TextEdit::new(
        Range::new(position, position),
        format!("{indentation}# wfc: ignore[{code}]\n"),
    ))
}
