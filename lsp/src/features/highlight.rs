//! Semantic tokens inside `${...}` (delimiters, the `workflow` root, task references, fields)
//! and inlay hints showing the inferred type of every value that is one whole expression.

use tower_lsp_server::ls_types::*;
use wfc_compiler::query::{self, ExpressionTokenKind};
use wfc_compiler::syntax::{Node, NodeKind};
use wfc_compiler::types::Type;

use super::Context;

fn token_type(kind: ExpressionTokenKind) -> Option<u32> {
    // Indices into `server::TOKEN_TYPES`.
    Some(match kind {
        ExpressionTokenKind::Delimiter | ExpressionTokenKind::Operator => 0,
        ExpressionTokenKind::WorkflowRoot => 1,
        ExpressionTokenKind::TaskReference => 2,
        ExpressionTokenKind::Environment => 3,
        ExpressionTokenKind::Field => 4,
        ExpressionTokenKind::Invalid => return None,
    })
}

pub fn semantic_tokens(context: &Context) -> Option<SemanticTokens> {
    let root = context.current.root.as_ref()?;
    let text = context.text();
    let mut data = Vec::new();
    let (mut previous_line, mut previous_start) = (0u32, 0u32);
    for (span, kind) in query::expression_tokens(root) {
        let Some(token_type) = token_type(kind) else {
            continue;
        };
        let start = text.position(span.start as usize);
        let end = text.position(span.end as usize);
        // Tokens may not span lines (an expression folded over lines is left plain).
        if start.line != end.line || end.character <= start.character {
            continue;
        }
        let delta_line = start.line - previous_line;
        let delta_start = if delta_line == 0 {
            start.character - previous_start
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type,
            token_modifiers_bitset: 0,
        });
        previous_line = start.line;
        previous_start = start.character;
    }
    Some(SemanticTokens {
        result_id: None,
        data,
    })
}

pub fn inlay_hints(context: &Context, range: Range) -> Option<Vec<InlayHint>> {
    let snapshot = context.current;
    let root = snapshot.root.as_ref()?;
    let (workflow, mut checker) = context.checker()?;
    if !std::ptr::eq(context.parsed, context.current) {
        return None;
    }
    let text = context.text();
    let visible = text.span(range);
    let mut hints = Vec::new();
    let mut stack: Vec<&Node> = vec![root];
    while let Some(node) = stack.pop() {
        if node.span.end < visible.start || node.span.start > visible.end {
            continue;
        }
        match &node.kind {
            NodeKind::Scalar(scalar) => {
                if !scalar.value.contains("${") {
                    continue;
                }
                let template = wfc_compiler::expression::scan(&scalar.value);
                if template.single_expression().is_none() {
                    continue;
                }
                let reader = query::task_at(workflow, node.span.start as usize);
                let ty = checker.type_of_expression(&scalar.value, reader);
                if matches!(ty, Type::Error | Type::Any) {
                    continue;
                }
                hints.push(InlayHint {
                    position: text.position(node.span.end as usize),
                    label: InlayHintLabel::String(format!(": {ty}")),
                    kind: Some(InlayHintKind::TYPE),
                    text_edits: None,
                    tooltip: None,
                    padding_left: Some(false),
                    padding_right: None,
                    data: None,
                });
            }
            NodeKind::Sequence(items) => stack.extend(items.iter().rev()),
            NodeKind::Mapping(entries) => {
                stack.extend(entries.iter().rev().map(|entry| &entry.value))
            }
        }
    }
    Some(hints)
}
