//! The outline (document symbols: inputs, tasks nested as they run, outputs; workers and types
//! of a contract file) and folding ranges (every block that spans lines).

use tower_lsp_server::ls_types::*;
use wfc_compiler::Span;
use wfc_compiler::model::{TaskId, Workflow};
use wfc_compiler::syntax::{Node, NodeKind};

use super::Context;
use super::completion::kind_name;
use crate::convert::Text;

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be spelled out
fn symbol(
    text: &Text,
    name: &str,
    detail: Option<String>,
    kind: SymbolKind,
    whole: Span,
    selection: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    let whole = whole.cover(selection);
    DocumentSymbol {
        name: if name.is_empty() {
            "?".to_string()
        } else {
            name.to_string()
        },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: text.range(trim(text.text, whole)),
        selection_range: text.range(selection),
        children: (!children.is_empty()).then_some(children),
    }
}

/// A block's span without the line break and indentation it runs over.
fn trim(text: &str, span: Span) -> Span {
    let kept = text
        .get(span.range())
        .map_or(0, |inner| inner.trim_end().len());
    Span::new(span.start as usize, span.start as usize + kept)
}

fn task_symbols(text: &Text, workflow: &Workflow, tasks: &[TaskId]) -> Vec<DocumentSymbol> {
    tasks
        .iter()
        .map(|id| {
            let task = workflow.task(*id);
            let mut children: Vec<DocumentSymbol> = task
                .kind
                .bodies()
                .into_iter()
                .flat_map(|(_, body)| task_symbols(text, workflow, body))
                .collect();
            if let Some(compensation) = task.compensate {
                children.extend(task_symbols(text, workflow, &[compensation]));
            }
            symbol(
                text,
                &task.name.value,
                Some(kind_name(&task.kind).to_string()),
                SymbolKind::FUNCTION,
                task.span,
                task.name.span,
                children,
            )
        })
        .collect()
}

pub fn symbols(context: &Context) -> Option<Vec<DocumentSymbol>> {
    let snapshot = context.current;
    let text = context.text();
    if let Some(workflow) = snapshot.workflow() {
        let mut found = Vec::new();
        for field in &workflow.inputs.fields {
            found.push(symbol(
                &text,
                &field.name,
                Some(format!("input: {}", field.ty)),
                SymbolKind::VARIABLE,
                field.span,
                field.span,
                Vec::new(),
            ));
        }
        for worker in &workflow.workers {
            found.push(symbol(
                &text,
                &worker.name.value,
                Some("worker".to_string()),
                SymbolKind::INTERFACE,
                worker.span,
                worker.name.span,
                Vec::new(),
            ));
        }
        found.extend(task_symbols(&text, workflow, &workflow.roots));
        for output in &workflow.outputs {
            found.push(symbol(
                &text,
                &output.name.value,
                Some("output".to_string()),
                SymbolKind::PROPERTY,
                output.name.span,
                output.name.span,
                Vec::new(),
            ));
        }
        return Some(found);
    }
    let contracts = snapshot
        .analysis
        .contracts
        .iter()
        .find(|contracts| contracts.file == snapshot.file)?;
    let mut found = Vec::new();
    for declaration in &contracts.types {
        found.push(symbol(
            &text,
            &declaration.name.value,
            Some("type".to_string()),
            SymbolKind::STRUCT,
            declaration.name.span,
            declaration.name.span,
            Vec::new(),
        ));
    }
    for worker in &contracts.workers {
        found.push(symbol(
            &text,
            &worker.name.value,
            Some("worker".to_string()),
            SymbolKind::INTERFACE,
            worker.span,
            worker.name.span,
            Vec::new(),
        ));
    }
    Some(found)
}

pub fn folding_ranges(context: &Context) -> Option<Vec<FoldingRange>> {
    let root = context.current.root.as_ref()?;
    let text = context.text();
    let mut ranges = Vec::new();
    let mut fold = |from: Span, to: Span| {
        let start = text.position(from.start as usize).line;
        let end = text.position(trim(text.text, to).end as usize).line;
        if end > start {
            ranges.push(FoldingRange {
                start_line: start,
                start_character: None,
                end_line: end,
                end_character: None,
                kind: Some(FoldingRangeKind::Region),
                collapsed_text: None,
            });
        }
    };
    // A mapping entry folds from its key to the end of its value; a list item over its lines.
    let mut stack: Vec<&Node> = vec![root];
    while let Some(node) = stack.pop() {
        match &node.kind {
            NodeKind::Scalar(_) => {}
            NodeKind::Sequence(items) => {
                for item in items {
                    fold(item.span, item.span);
                    stack.push(item);
                }
            }
            NodeKind::Mapping(entries) => {
                for entry in entries {
                    fold(entry.key.span, entry.value.span);
                    stack.push(&entry.value);
                }
            }
        }
    }
    ranges.sort_by_key(|range| (range.start_line, range.end_line));
    ranges.dedup_by_key(|range| range.start_line);
    Some(ranges)
}
