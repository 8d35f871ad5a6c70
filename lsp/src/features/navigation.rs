//! Go to definition, find references and rename, for the names a workflow uses: task
//! references (`${ref...}`, `after:`, join lists), workers, workflow inputs, sub-workflows and
//! imports.

use std::collections::HashMap;

use tower_lsp_server::ls_types::*;
use wfc_compiler::Span;
use wfc_compiler::expression::{Root, Segment};
use wfc_compiler::model::{ForEachTarget, TaskKind, Workflow};
use wfc_compiler::query::{self, Occurrence};

use super::Context;
use crate::convert::{Text, uri_of};
use crate::workspace::Snapshot;

/// A name under the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Symbol {
    Task(String),
    Worker(String),
    Input(String),
    SubWorkflow(String),
    Import(String),
    /// A named type (`types:`).
    Type(String),
}

/// The name at `offset` of a snapshot's text, with where it is written.
pub fn symbol_at(snapshot: &Snapshot, offset: usize) -> Option<(Symbol, Span)> {
    let root = snapshot.root.as_ref()?;
    if let Some(site) = query::expression_at(root, offset)
        && let Ok(path) = &site.expression.path
    {
        let root_span = site.source_span(&path.root_range);
        match &path.root {
            Root::Task(name, _) if root_span.contains(offset) => {
                return Some((Symbol::Task(name.clone()), root_span));
            }
            Root::Environment(name)
                if root_span.contains(offset)
                    && snapshot
                        .workflow()
                        .is_some_and(|workflow| workflow.find_task(name).is_some()) =>
            {
                return Some((Symbol::Task(name.clone()), root_span));
            }
            Root::Workflow => {
                if let [
                    Segment::Field { name: first, .. },
                    Segment::Field { name, range },
                    ..,
                ] = path.segments.as_slice()
                    && first == "input"
                {
                    let span = site.source_span(range);
                    if span.contains(offset) {
                        return Some((Symbol::Input(name.clone()), span));
                    }
                }
            }
            _ => {}
        }
        return None;
    }
    if let Some(workflow) = snapshot.workflow() {
        return symbol_in_workflow(workflow, offset);
    }
    let contracts = snapshot
        .analysis
        .contracts
        .iter()
        .find(|contracts| contracts.file == snapshot.file)?;
    if let Some(worker) = contracts
        .workers
        .iter()
        .find(|worker| worker.name.span.contains(offset))
    {
        return Some((Symbol::Worker(worker.name.value.clone()), worker.name.span));
    }
    type_at(&contracts.types, &contracts.workers, None, offset)
}

/// The named type written at `offset`, declared or used.
fn type_at(
    types: &[wfc_compiler::model::TypeDeclaration],
    workers: &[wfc_compiler::model::Worker],
    workflow: Option<&Workflow>,
    offset: usize,
) -> Option<(Symbol, Span)> {
    query::type_occurrences(types, workers, workflow, None)
        .into_iter()
        .find(|(_, occurrence)| occurrence.span.contains(offset))
        .map(|(name, occurrence)| (Symbol::Type(name), occurrence.span))
}

fn symbol_in_workflow(workflow: &Workflow, offset: usize) -> Option<(Symbol, Span)> {
    for task in &workflow.tasks {
        if task.name.span.contains(offset) && !task.name.value.ends_with("_compensation") {
            return Some((Symbol::Task(task.name.value.clone()), task.name.span));
        }
        let mut lists: Vec<&wfc_compiler::model::Spanned<String>> = task.after.iter().collect();
        match &task.kind {
            TaskKind::Join { on } => lists.extend(on),
            TaskKind::ExclusiveJoin { on, default } => {
                lists.extend(on);
                lists.extend(default);
            }
            _ => {}
        }
        if let Some(entry) = lists.into_iter().find(|entry| entry.span.contains(offset)) {
            return Some((Symbol::Task(entry.value.clone()), entry.span));
        }
        let target = match &task.kind {
            TaskKind::SubWorkflow { target }
            | TaskKind::StartWorkflow { target, .. }
            | TaskKind::ForEach {
                target: ForEachTarget::SubWorkflow(target),
                ..
            } => Some(target),
            _ => None,
        };
        if let Some(target) = target
            && target.name.span.contains(offset)
        {
            return Some((
                Symbol::SubWorkflow(target.name.value.clone()),
                target.name.span,
            ));
        }
        if let Some(name) = query::worker_of(workflow, task.id)
            && name.span.contains(offset)
        {
            return Some((Symbol::Worker(name.value.clone()), name.span));
        }
    }
    if let Some(worker) = workflow
        .workers
        .iter()
        .find(|worker| worker.name.span.contains(offset))
    {
        return Some((Symbol::Worker(worker.name.value.clone()), worker.name.span));
    }
    if let Some(field) = workflow
        .inputs
        .fields
        .iter()
        .find(|field| field.span.contains(offset))
    {
        return Some((Symbol::Input(field.name.clone()), field.span));
    }
    if let Some(import) = workflow
        .imports
        .iter()
        .find(|import| import.span.contains(offset))
    {
        return Some((Symbol::Import(import.value.clone()), import.span));
    }
    type_at(&workflow.types, &workflow.workers, Some(workflow), offset)
}

/// The file declaring a named type and where: the workflow itself or a contract it reads.
fn type_declaration(snapshot: &Snapshot, name: &str) -> Option<(wfc_compiler::FileId, Span)> {
    let local = snapshot
        .workflow()
        .into_iter()
        .flat_map(|workflow| &workflow.types);
    let imported = snapshot
        .analysis
        .contracts
        .iter()
        .flat_map(|contracts| &contracts.types);
    local
        .chain(imported)
        .find(|declaration| declaration.name.value == name)
        .map(|declaration| (declaration.file, declaration.name.span))
}

fn location(
    snapshot: &Snapshot,
    file: wfc_compiler::FileId,
    span: Span,
    context: &Context,
) -> Option<Location> {
    let text = Text::of(&snapshot.analysis.sources, file, context.encoding)?;
    Some(Location::new(
        uri_of(snapshot.analysis.sources.path(file))?,
        text.range(span),
    ))
}

/// Where a symbol of the document is declared.
fn declaration(context: &Context, snapshot: &Snapshot, symbol: &Symbol) -> Option<Location> {
    match symbol {
        Symbol::Task(name) => {
            let task = snapshot.workflow()?.find_task(name)?;
            Some(Location::new(
                context.uri.clone(),
                context.text_of(snapshot).range(task.name.span),
            ))
        }
        Symbol::Worker(name) => {
            let worker = match snapshot.scope().and_then(|scope| scope.workers.get(name)) {
                Some(worker) => worker.as_ref(),
                None => snapshot
                    .analysis
                    .contracts
                    .iter()
                    .flat_map(|contracts| &contracts.workers)
                    .find(|worker| &worker.name.value == name)?,
            };
            location(snapshot, worker.file, worker.name.span, context)
        }
        Symbol::Input(name) => {
            let field = snapshot.workflow()?.inputs.field(name)?;
            location(snapshot, field.file, field.span, context)
        }
        Symbol::SubWorkflow(name) => {
            let signature = snapshot.scope()?.workflows.get(name)?;
            let target = snapshot
                .analysis
                .workflows
                .iter()
                .find(|workflow| workflow.file == signature.file)?;
            let span = target
                .name
                .as_ref()
                .map_or(Span::default(), |name| name.span);
            location(snapshot, signature.file, span, context)
        }
        Symbol::Type(name) => {
            let (file, span) = type_declaration(snapshot, name)?;
            location(snapshot, file, span, context)
        }
        Symbol::Import(written) => {
            let directory = snapshot.path.parent()?;
            let path = wfc_compiler::project::normalize(&directory.join(written));
            let uri = Uri::from_file_path(&path)?;
            Some(Location::new(uri, Range::default()))
        }
    }
}

pub fn definition(context: &Context, position: Position) -> Option<Location> {
    let snapshot = context.parsed;
    let (symbol, _) = symbol_at(snapshot, context.parsed_offset(position))?;
    declaration(context, snapshot, &symbol)
}

/// Every occurrence of a task or worker, by document.
fn occurrences(context: &Context, symbol: &Symbol) -> Vec<(Uri, Range, bool)> {
    let snapshot = context.current;
    let mut found = Vec::new();
    let text = context.text();
    match symbol {
        Symbol::Task(name) => {
            if let (Some(root), Some(workflow)) = (&snapshot.root, snapshot.workflow()) {
                for Occurrence {
                    span,
                    is_declaration,
                } in query::task_occurrences(root, workflow, name)
                {
                    found.push((context.uri.clone(), text.range(span), is_declaration));
                }
            }
        }
        Symbol::Worker(name) => {
            // Other documents count when they see the same declaration (same file).
            let declared_in = |each: &Snapshot| -> Option<String> {
                let worker = each.scope()?.workers.get(name)?;
                Some(each.analysis.sources.path(worker.file).to_string())
            };
            let origin = declared_in(snapshot);
            let snapshots = std::iter::once(snapshot).chain(
                context
                    .others
                    .iter()
                    .map(|other| other.as_ref())
                    .filter(|other| other.workflow().is_none() || declared_in(other) == origin),
            );
            let mut declared = false;
            for each in snapshots {
                let uri = if std::ptr::eq(each, snapshot) {
                    Some(context.uri.clone())
                } else {
                    uri_of(each.analysis.sources.path(each.file))
                };
                let Some(uri) = uri else { continue };
                let each_text = context.text_of(each);
                if let Some(workflow) = each.workflow() {
                    for Occurrence {
                        span,
                        is_declaration,
                    } in query::worker_occurrences(workflow, name)
                    {
                        declared |= is_declaration && std::ptr::eq(each, snapshot);
                        found.push((uri.clone(), each_text.range(span), is_declaration));
                    }
                } else if let Some(contracts) = each
                    .analysis
                    .contracts
                    .iter()
                    .find(|contracts| contracts.file == each.file)
                {
                    for worker in contracts
                        .workers
                        .iter()
                        .filter(|worker| &worker.name.value == name)
                    {
                        found.push((uri.clone(), each_text.range(worker.name.span), true));
                    }
                }
            }
            if !declared
                && let Some(location) = declaration(context, snapshot, symbol)
                && location.uri != context.uri
                && !found
                    .iter()
                    .any(|(uri, range, _)| *uri == location.uri && *range == location.range)
            {
                found.push((location.uri, location.range, true));
            }
        }
        Symbol::Type(name) => {
            // This document, and the contract file declaring the type when it is another one.
            let mut files = vec![snapshot.file];
            if let Some((file, _)) = type_declaration(snapshot, name)
                && file != snapshot.file
            {
                files.push(file);
            }
            for file in files {
                let (types, workers, workflow) = match snapshot
                    .analysis
                    .contracts
                    .iter()
                    .find(|contracts| contracts.file == file)
                {
                    Some(contracts) => (&contracts.types, &contracts.workers, None),
                    None => match snapshot.workflow().filter(|workflow| workflow.file == file) {
                        Some(workflow) => (&workflow.types, &workflow.workers, Some(workflow)),
                        None => continue,
                    },
                };
                let uri = if file == snapshot.file {
                    Some(context.uri.clone())
                } else {
                    uri_of(snapshot.analysis.sources.path(file))
                };
                let (Some(uri), Some(file_text)) = (
                    uri,
                    Text::of(&snapshot.analysis.sources, file, context.encoding),
                ) else {
                    continue;
                };
                for (_, occurrence) in query::type_occurrences(types, workers, workflow, Some(name))
                {
                    found.push((
                        uri.clone(),
                        file_text.range(occurrence.span),
                        occurrence.is_declaration,
                    ));
                }
            }
            // Other workflows using the same declaration (they read the declaring file and do
            // not declare the name themselves).
            let declaring = type_declaration(snapshot, name)
                .map(|(file, _)| snapshot.analysis.sources.path(file).to_string());
            for other in context.others.iter().map(|other| other.as_ref()) {
                let Some(workflow) = other.workflow() else {
                    continue;
                };
                let same = type_declaration(other, name)
                    .map(|(file, _)| other.analysis.sources.path(file).to_string());
                if same.is_none()
                    || same != declaring
                    || workflow
                        .types
                        .iter()
                        .any(|declared| &declared.name.value == name)
                {
                    continue;
                }
                let (Some(uri), Some(other_text)) = (
                    uri_of(other.analysis.sources.path(other.file)),
                    Text::of(&other.analysis.sources, other.file, context.encoding),
                ) else {
                    continue;
                };
                for (_, occurrence) in query::type_occurrences(
                    &workflow.types,
                    &workflow.workers,
                    Some(workflow),
                    Some(name),
                ) {
                    found.push((uri.clone(), other_text.range(occurrence.span), false));
                }
            }
        }
        Symbol::Input(_) | Symbol::SubWorkflow(_) | Symbol::Import(_) => {}
    }
    found
}

pub fn references(
    context: &Context,
    position: Position,
    include_declaration: bool,
) -> Option<Vec<Location>> {
    let offset = context.text().offset(position);
    let (symbol, _) = symbol_at(context.current, offset)?;
    Some(
        occurrences(context, &symbol)
            .into_iter()
            .filter(|(_, _, is_declaration)| include_declaration || !is_declaration)
            .map(|(uri, range, _)| Location::new(uri, range))
            .collect(),
    )
}

/// Whether the name under the cursor is a worker or a type: declared once, used by other files.
pub fn is_shared_name(context: &Context, position: Position) -> bool {
    let offset = context.text().offset(position);
    matches!(
        symbol_at(context.current, offset),
        Some((Symbol::Worker(_) | Symbol::Type(_), _))
    )
}

pub fn prepare_rename(context: &Context, position: Position) -> Option<PrepareRenameResponse> {
    let text = context.text();
    let (symbol, span) = symbol_at(context.current, text.offset(position))?;
    matches!(
        symbol,
        Symbol::Task(_) | Symbol::Worker(_) | Symbol::Type(_)
    )
    .then(|| PrepareRenameResponse::Range(text.range(span)))
}

/// A rename of the task or worker under the cursor, or why it cannot be done.
pub fn rename(
    context: &Context,
    position: Position,
    new_name: &str,
) -> Result<Option<WorkspaceEdit>, String> {
    let text = context.text();
    let Some((symbol, _)) = symbol_at(context.current, text.offset(position)) else {
        return Ok(None);
    };
    if !matches!(
        symbol,
        Symbol::Task(_) | Symbol::Worker(_) | Symbol::Type(_)
    ) {
        return Err("only task references, workers and types can be renamed".to_string());
    }
    let valid = !new_name.is_empty()
        && new_name.chars().all(|character| {
            character.is_ascii_alphanumeric() || character == '_' || character == '-'
        })
        && !new_name.starts_with(|character: char| character.is_ascii_digit());
    if !valid {
        return Err(format!(
            "`{new_name}` is not a valid name: use letters, digits, `_` and `-`"
        ));
    }
    if let Symbol::Task(_) = symbol
        && context
            .current
            .workflow()
            .is_some_and(|workflow| workflow.find_task(new_name).is_some())
    {
        return Err(format!("a task named `{new_name}` already exists"));
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (uri, range, _) in occurrences(context, &symbol) {
        changes
            .entry(uri)
            .or_default()
            .push(TextEdit::new(range, new_name.to_string()));
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}
