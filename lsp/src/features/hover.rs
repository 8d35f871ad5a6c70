//! Hover: the type of the expression part under the cursor, a task's kind and output, a worker's
//! contract, the contract field behind a worker task's input key, and the documentation of a
//! rule named in a `# wfc: ignore[...]` comment.

use tower_lsp_server::ls_types::*;
use wfc_compiler::check::WorkflowChecker;
use wfc_compiler::expression::Root;
use wfc_compiler::model::{TaskKind, Worker};
use wfc_compiler::query;
use wfc_compiler::rules;
use wfc_compiler::syntax::NodeKind;
use wfc_compiler::types::{Field, ObjectType, Type};

use super::completion::kind_name;
use super::navigation::{Symbol, symbol_at};
use super::{Context, code_block};

pub fn hover(context: &Context, position: Position) -> Option<Hover> {
    if let Some(hover) = rule_hover(context, position) {
        return Some(hover);
    }
    let snapshot = context.parsed;
    let offset = context.parsed_offset(position);
    let text = context.text_of(snapshot);
    let (workflow, mut checker) = context
        .checker()
        .map_or((None, None), |(workflow, checker)| {
            (Some(workflow), Some(checker))
        });
    let markdown = |value: String, span: wfc_compiler::Span| Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: Some(text.range(span)),
    };
    if let (Some(root), Some(workflow), Some(checker)) =
        (&snapshot.root, workflow, checker.as_mut())
        && let Some(site) = query::expression_at(root, offset)
    {
        let path = site.expression.path.as_ref().ok()?;
        let reader = query::task_at(workflow, offset);
        let inner_start = site.expression.inner.start;
        // The path up to the part under the cursor.
        let mut end = path.root_range.end;
        let mut span = site.source_span(&path.root_range);
        for segment in &path.segments {
            let range = segment.range();
            if site.value_offset < range.start {
                break;
            }
            end = range.end;
            span = site.source_span(&range);
        }
        let written = site.scalar.value.get(inner_start..end)?;
        if matches!(path.root, Root::Task(..)) && end == path.root_range.end {
            let task = workflow.find_task(written)?;
            return Some(markdown(task_summary(checker, workflow, task.id), span));
        }
        let ty = checker.type_of_expression(&format!("${{{written}}}"), reader);
        let mut value = code_block(&format!("{written}: {ty}"));
        // The declared documentation of the field, from the type of what holds it.
        if let Some((holder, field)) = written.rsplit_once('.') {
            let holder_type = checker.type_of_expression(&format!("${{{holder}}}"), reader);
            if let Some(field) =
                query::fields_of(&holder_type).and_then(|object| object.field(field))
            {
                if let Some(description) = &field.description {
                    value.push_str(&format!("\n\n{description}"));
                }
                if let Some(deprecated) = &field.deprecated {
                    value.push_str(&format!("\n\n**deprecated**: {deprecated}"));
                }
            }
        }
        return Some(markdown(value, span));
    }
    let by_symbol = symbol_at(snapshot, offset).and_then(|(symbol, span)| match symbol {
        Symbol::Task(name) => {
            let workflow = workflow?;
            let task = workflow.find_task(&name)?;
            Some(markdown(
                task_summary(checker.as_mut()?, workflow, task.id),
                span,
            ))
        }
        Symbol::Worker(name) => {
            let worker = snapshot
                .scope()
                .and_then(|scope| scope.workers.get(&name).cloned())
                .or_else(|| {
                    snapshot
                        .analysis
                        .contracts
                        .iter()
                        .flat_map(|contracts| &contracts.workers)
                        .find(|worker| worker.name.value == name)
                        .cloned()
                        .map(std::sync::Arc::new)
                })?;
            Some(markdown(worker_summary(&worker), span))
        }
        Symbol::Input(name) => {
            let field = workflow?.inputs.field(&name)?;
            Some(markdown(field_summary("workflow input", field), span))
        }
        Symbol::SubWorkflow(name) => {
            let signature = snapshot.scope()?.workflows.get(&name)?;
            Some(markdown(
                format!(
                    "workflow `{}`\n\n{}",
                    signature.name,
                    code_block(&format!(
                        "input: {}\noutput: {}",
                        Type::Object(signature.inputs.clone()),
                        signature.outputs
                    ))
                ),
                span,
            ))
        }
        Symbol::Type(name) => {
            let ty = snapshot.scope()?.types.get(&name)?;
            Some(markdown(
                format!(
                    "type `{name}`\n\n{}",
                    code_block(&ty.structure().to_string())
                ),
                span,
            ))
        }
        Symbol::Import(_) => None,
    });
    by_symbol
        .or_else(|| input_key_hover(context, offset).map(|(value, span)| markdown(value, span)))
        .or_else(|| value_key_hover(context, offset).map(|(value, span)| markdown(value, span)))
}

fn task_summary(
    checker: &mut WorkflowChecker,
    workflow: &wfc_compiler::model::Workflow,
    task: wfc_compiler::model::TaskId,
) -> String {
    let task = workflow.task(task);
    let output = checker.task_output_type(task.id);
    let mut value = format!(
        "task `{}` ({}, Conductor `{}`)\n\n{}",
        task.name.value,
        kind_name(&task.kind),
        task.kind.conductor_type(),
        code_block(&format!("output: {output}"))
    );
    if let Some(description) = &task.description {
        value.push_str(&format!("\n\n{description}"));
    }
    value
}

fn fields_list(object: &ObjectType) -> String {
    object
        .fields
        .iter()
        .map(|field| {
            let mark = if field.optional { "?" } else { "" };
            let mut line = format!("  {}{mark}: {}", field.name, field.ty);
            if let Some(description) = &field.description {
                line.push_str(&format!("  # {description}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn worker_summary(worker: &Worker) -> String {
    let mut value = format!("worker `{}`", worker.name.value);
    if let Some(description) = &worker.description {
        value.push_str(&format!("\n\n{description}"));
    }
    value.push_str(&format!(
        "\n\n{}",
        code_block(&format!(
            "input:\n{}\noutput:\n{}",
            fields_list(&worker.input),
            fields_list(&worker.output)
        ))
    ));
    value
}

fn field_summary(what: &str, field: &Field) -> String {
    let mark = if field.optional { "?" } else { "" };
    let mut value = format!(
        "{what}\n\n{}",
        code_block(&format!("{}{mark}: {}", field.name, field.ty))
    );
    if let Some(description) = &field.description {
        value.push_str(&format!("\n\n{description}"));
    }
    if let Some(deprecated) = &field.deprecated {
        value.push_str(&format!("\n\n**deprecated**: {deprecated}"));
    }
    value
}

/// A key of a worker task's `input:`: the contract field it fills.
fn input_key_hover(context: &Context, offset: usize) -> Option<(String, wfc_compiler::Span)> {
    let snapshot = context.parsed;
    let workflow = snapshot.workflow()?;
    let task = workflow.task(query::task_at(workflow, offset)?);
    let TaskKind::Worker { name } = &task.kind else {
        return None;
    };
    let entry = task
        .input
        .as_ref()?
        .as_mapping()?
        .iter()
        .find(|entry| entry.key.span.contains(offset))?;
    let worker = snapshot.scope()?.workers.get(&name.value)?;
    let field = worker.input.field(entry.key.as_str()?)?;
    Some((
        field_summary(&format!("input of worker `{}`", name.value), field),
        entry.key.span,
    ))
}

/// Any other key: the type of its value (inferred from its expression, or of its literal).
fn value_key_hover(context: &Context, offset: usize) -> Option<(String, wfc_compiler::Span)> {
    let snapshot = context.parsed;
    let mut node = snapshot.root.as_ref()?;
    let entry = loop {
        let next = match &node.kind {
            NodeKind::Mapping(entries) => {
                if let Some(entry) = entries.iter().find(|entry| entry.key.span.contains(offset)) {
                    break entry;
                }
                entries
                    .iter()
                    .find(|entry| entry.value.span.contains(offset))
                    .map(|entry| &entry.value)
            }
            NodeKind::Sequence(items) => items.iter().find(|item| item.span.contains(offset)),
            NodeKind::Scalar(_) => None,
        };
        node = next?;
    };
    let key = entry.key.as_str()?;
    let value = &entry.value;
    let ty = match value.as_str() {
        Some(text) if wfc_compiler::expression::scan(text).is_single_expression() => {
            let (workflow, mut checker) = context.checker()?;
            checker.type_of_expression(text, query::task_at(workflow, offset))
        }
        _ => wfc_compiler::check::literal_type(value),
    };
    Some((code_block(&format!("{key}: {ty}")), entry.key.span))
}

/// A rule code or name under the cursor on a comment line (`# wfc: ignore[WF050]`).
fn rule_hover(context: &Context, position: Position) -> Option<Hover> {
    let text = context.text();
    let offset = text.offset(position);
    let source = text.text;
    let line_start = source[..offset].rfind('\n').map_or(0, |index| index + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |index| offset + index);
    let line = &source[line_start..line_end];
    let comment = line.find("# wfc:")?;
    if offset < line_start + comment {
        return None;
    }
    let is_word = |character: char| character.is_ascii_alphanumeric() || character == '-';
    // Word characters are ASCII, so the start is just past a whole (maybe multi-byte) character.
    let start = source[line_start..offset]
        .char_indices()
        .rev()
        .find(|(_, character)| !is_word(*character))
        .map_or(line_start, |(index, character)| {
            line_start + index + character.len_utf8()
        });
    let end = source[offset..line_end]
        .find(|character: char| !is_word(character))
        .map_or(line_end, |index| offset + index);
    let rule = rules::find(&source[start..end])?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: format!(
                "**{} {}** ({})\n\n{}\n\n{}\n\n{}",
                rule.code,
                rule.name,
                rule.default_severity.as_str(),
                rule.summary,
                rule.explanation,
                rule.remedy
            ),
        }),
        range: Some(text.range(wfc_compiler::Span::new(start, end))),
    })
}
