//! Questions an editor asks about an analysed workflow: what is at this offset, which tasks can
//! be read from here, where is this task or worker named.
//!
//! The language server answers completion, hover, navigation and rename with these queries so
//! that name resolution and flow ("is this task upstream?") stay in one place, the checker. Like
//! the rest of the compiler they speak byte offsets and [`Span`]s, never lines or protocol types.

use std::collections::{HashMap, HashSet};

use crate::check::{Scope, TaskGraph, WorkflowChecker};
use crate::diagnostic::Span;
use crate::expression::{self, Expression, Root, Segment};
use crate::model::{ForEachTarget, TaskId, TaskKind, Workflow};
use crate::syntax::{Node, NodeKind, Scalar};
use crate::types::{ObjectType, Type};

/// A `${...}` expression found at an offset.
#[derive(Debug, Clone)]
pub struct ExpressionSite<'tree> {
    /// The scalar holding the expression.
    pub node: &'tree Node,
    pub scalar: &'tree Scalar,
    /// The innermost expression whose braces contain the offset; ranges are in the scalar's value.
    pub expression: Expression,
    /// The offset as a byte offset into the scalar's value.
    pub value_offset: usize,
}

impl ExpressionSite<'_> {
    /// The text between `${` and the offset (what has been typed so far).
    pub fn typed_prefix(&self) -> &str {
        let start = self.expression.inner.start;
        self.scalar
            .value
            .get(start..self.value_offset.max(start))
            .unwrap_or("")
    }

    /// The source span of a range of the scalar's value.
    pub fn source_span(&self, range: &std::ops::Range<usize>) -> Span {
        self.scalar.map.source_span(range.start, range.end)
    }
}

/// The innermost scalar (key or value) whose span contains `offset`.
pub fn scalar_at(root: &Node, offset: usize) -> Option<&Node> {
    let mut current = root;
    'descend: loop {
        match &current.kind {
            NodeKind::Scalar(_) => return current.span.contains(offset).then_some(current),
            NodeKind::Sequence(items) => {
                for item in items {
                    if item.span.contains(offset) {
                        current = item;
                        continue 'descend;
                    }
                }
                return None;
            }
            NodeKind::Mapping(entries) => {
                for entry in entries {
                    if entry.key.span.contains(offset) && entry.key.as_scalar().is_some() {
                        return Some(&entry.key);
                    }
                    if entry.value.span.contains(offset) {
                        current = &entry.value;
                        continue 'descend;
                    }
                }
                return None;
            }
        }
    }
}

/// The byte offset in a scalar's decoded value that maps to source `offset` (the last value
/// offset at or before it).
pub fn value_offset(scalar: &Scalar, offset: usize) -> usize {
    let mut found = 0;
    let boundaries = scalar
        .value
        .char_indices()
        .map(|(index, _)| index)
        .chain(std::iter::once(scalar.value.len()));
    for index in boundaries {
        if scalar.map.source_offset(index) > offset {
            break;
        }
        found = index;
    }
    found
}

/// The innermost `${...}` expression (terminated or still being typed) around source `offset`.
pub fn expression_at(root: &Node, offset: usize) -> Option<ExpressionSite<'_>> {
    let node = scalar_at(root, offset)?;
    let scalar = node.as_scalar()?;
    if !scalar.value.contains("${") {
        return None;
    }
    let at = value_offset(scalar, offset);
    let template = expression::scan(&scalar.value);
    let mut best: Option<&Expression> = None;
    for candidate in template.all_expressions() {
        let end = if candidate.is_terminated() {
            candidate.range.end.saturating_sub(1)
        } else {
            scalar.value.len()
        };
        if candidate.range.start + 2 <= at && at <= end {
            best = Some(candidate);
        }
    }
    let expression = best?.clone();
    Some(ExpressionSite {
        node,
        scalar,
        expression,
        value_offset: at,
    })
}

/// The innermost task whose mapping contains `offset`.
pub fn task_at(workflow: &Workflow, offset: usize) -> Option<TaskId> {
    workflow
        .tasks
        .iter()
        .filter(|task| task.span.contains(offset) || task.name.span.contains(offset))
        .min_by_key(|task| task.span.cover(task.name.span).len())
        .map(|task| task.id)
}

/// The tasks `reader` may read: in scope for the checker (not in another branch or case, not
/// inside a compensation, not nested in the reader) and not depending on the reader, which would
/// make a cycle. `None` reads as the workflow's outputs do. In the order of the workflow.
pub fn readable_tasks(
    workflow: &Workflow,
    scope: &Scope,
    source: &str,
    graph: Option<&TaskGraph>,
    reader: Option<TaskId>,
) -> Vec<TaskId> {
    let mut checker = WorkflowChecker::new(workflow, scope, source, false);
    let mut readable = checker.tasks_in_scope(reader);
    if let (Some(reader), Some(graph)) = (reader, graph) {
        let mut successors: HashMap<TaskId, Vec<TaskId>> = HashMap::new();
        for (from, to) in &graph.dependencies {
            successors.entry(*from).or_default().push(*to);
        }
        // Everything downstream of the reader or of a container holding it.
        let mut downstream: HashSet<TaskId> = HashSet::new();
        let mut stack: Vec<TaskId> = workflow
            .ancestors(reader)
            .into_iter()
            .map(|(_, task)| task)
            .collect();
        while let Some(task) = stack.pop() {
            for next in successors.get(&task).into_iter().flatten() {
                if downstream.insert(*next) {
                    stack.push(*next);
                }
            }
        }
        readable.retain(|task| {
            !workflow
                .ancestors(*task)
                .iter()
                .any(|(_, outer)| downstream.contains(outer))
        });
    }
    readable
}

/// Where a name is written, and whether that place declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub span: Span,
    pub is_declaration: bool,
}

/// Every place of a workflow file naming task `name`: its key, `after:` and join lists, and the
/// root of every `${name...}` expression (raw JSON included). Sorted by position.
pub fn task_occurrences(root: &Node, workflow: &Workflow, name: &str) -> Vec<Occurrence> {
    let mut found: Vec<Occurrence> = Vec::new();
    for task in &workflow.tasks {
        if task.name.value == name {
            found.push(Occurrence {
                span: task.name.span,
                is_declaration: true,
            });
        }
        let mut lists: Vec<&crate::model::Spanned<String>> = task.after.iter().collect();
        match &task.kind {
            TaskKind::Join { on } => lists.extend(on),
            TaskKind::ExclusiveJoin { on, default } => {
                lists.extend(on);
                lists.extend(default);
            }
            _ => {}
        }
        found.extend(
            lists
                .into_iter()
                .filter(|entry| entry.value == name)
                .map(|entry| Occurrence {
                    span: entry.span,
                    is_declaration: false,
                }),
        );
    }
    for (expression, scalar) in all_expressions(root) {
        let Ok(path) = &expression.path else { continue };
        let range = match &path.root {
            Root::Task(written, range) if written == name => range.clone(),
            Root::Environment(written) if written == name => path.root_range.clone(),
            _ => continue,
        };
        found.push(Occurrence {
            span: scalar.map.source_span(range.start, range.end),
            is_declaration: false,
        });
    }
    found.sort_by_key(|occurrence| (occurrence.span.start, occurrence.span.end));
    found.dedup();
    found
}

/// Every place of a workflow file naming worker `name`: worker tasks, `for_each` workers and a
/// local `workers:` declaration. Contract files are searched with [`declared_workers`].
pub fn worker_occurrences(workflow: &Workflow, name: &str) -> Vec<Occurrence> {
    let mut found: Vec<Occurrence> = workflow
        .workers
        .iter()
        .filter(|worker| worker.name.value == name)
        .map(|worker| Occurrence {
            span: worker.name.span,
            is_declaration: true,
        })
        .collect();
    for task in &workflow.tasks {
        let written = match &task.kind {
            TaskKind::Worker { name } => name,
            TaskKind::ForEach {
                target: ForEachTarget::Worker(name),
                ..
            } => name,
            _ => continue,
        };
        if written.value == name {
            found.push(Occurrence {
                span: written.span,
                is_declaration: false,
            });
        }
    }
    found.sort_by_key(|occurrence| occurrence.span.start);
    found
}

/// The worker a task calls, with where its name is written.
pub fn worker_of(workflow: &Workflow, task: TaskId) -> Option<&crate::model::Spanned<String>> {
    match &workflow.task(task).kind {
        TaskKind::Worker { name } => Some(name),
        TaskKind::ForEach {
            target: ForEachTarget::Worker(name),
            ..
        } => Some(name),
        _ => None,
    }
}

/// Every written type of a workflow or contract file: declared types, inputs, outputs, worker
/// contracts, task `output:`/`returns:`.
fn written_types<'a>(
    types: &'a [crate::model::TypeDeclaration],
    workers: &'a [crate::model::Worker],
    workflow: Option<&'a Workflow>,
) -> Vec<&'a Type> {
    let mut found: Vec<&Type> = types.iter().map(|declaration| &declaration.ty).collect();
    for worker in workers {
        found.extend(worker.input.fields.iter().map(|field| &field.ty));
        found.extend(worker.output.fields.iter().map(|field| &field.ty));
    }
    if let Some(workflow) = workflow {
        found.extend(workflow.inputs.fields.iter().map(|field| &field.ty));
        found.extend(
            workflow
                .outputs
                .iter()
                .filter_map(|output| output.ty.as_ref()),
        );
        for task in &workflow.tasks {
            found.extend(task.output.as_ref());
            match &task.kind {
                TaskKind::Http { returns, .. }
                | TaskKind::Inline { returns, .. }
                | TaskKind::Jq { returns, .. } => found.extend(returns.as_ref()),
                _ => {}
            }
        }
    }
    found
}

/// The named types written in a type, with where each name is written.
fn type_names(ty: &Type, found: &mut Vec<(String, Span)>) {
    let mut stack = vec![ty];
    while let Some(ty) = stack.pop() {
        match ty {
            Type::Unresolved(name, span) => found.push((name.clone(), *span)),
            Type::List(inner)
            | Type::Map(inner)
            | Type::Optional(inner)
            | Type::Named(_, inner) => stack.push(inner),
            Type::Object(object) => stack.extend(object.fields.iter().map(|field| &field.ty)),
            _ => {}
        }
    }
}

/// Every place of a file naming type `name` (`None`: every named type): its declaration and its
/// uses in types. Pass a workflow's or a contract file's declarations and workers.
pub fn type_occurrences(
    types: &[crate::model::TypeDeclaration],
    workers: &[crate::model::Worker],
    workflow: Option<&Workflow>,
    name: Option<&str>,
) -> Vec<(String, Occurrence)> {
    let mut found: Vec<(String, Occurrence)> = types
        .iter()
        .map(|declaration| {
            (
                declaration.name.value.clone(),
                Occurrence {
                    span: declaration.name.span,
                    is_declaration: true,
                },
            )
        })
        .collect();
    let mut uses = Vec::new();
    for ty in written_types(types, workers, workflow) {
        type_names(ty, &mut uses);
    }
    found.extend(uses.into_iter().map(|(written, span)| {
        (
            written,
            Occurrence {
                span,
                is_declaration: false,
            },
        )
    }));
    found.retain(|(written, _)| name.is_none_or(|name| written == name));
    found.sort_by_key(|(_, occurrence)| (occurrence.span.start, occurrence.span.end));
    found.dedup();
    found
}

/// Every `${...}` expression of a tree (nested ones included) with the scalar holding it, in
/// document order.
pub fn all_expressions(root: &Node) -> Vec<(Expression, &Scalar)> {
    let mut found = Vec::new();
    let mut stack: Vec<&Node> = vec![root];
    while let Some(node) = stack.pop() {
        match &node.kind {
            NodeKind::Scalar(scalar) => {
                if scalar.value.contains("${") {
                    let template = expression::scan(&scalar.value);
                    found.extend(
                        template
                            .all_expressions()
                            .map(|expression| (expression.clone(), scalar)),
                    );
                }
            }
            NodeKind::Sequence(items) => stack.extend(items.iter().rev()),
            NodeKind::Mapping(entries) => {
                for entry in entries.iter().rev() {
                    stack.push(&entry.value);
                    stack.push(&entry.key);
                }
            }
        }
    }
    found
}

/// What a piece of an expression is, for highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpressionTokenKind {
    /// `${` and `}`.
    Delimiter,
    /// `workflow`.
    WorkflowRoot,
    /// A task reference name.
    TaskReference,
    /// A bare name read from the server's environment.
    Environment,
    /// `.name` after the root.
    Field,
    /// `[0]`, `[*]`, filters and other JSONPath components.
    Operator,
    /// An expression that cannot be read.
    Invalid,
}

/// The highlighted pieces of every expression of a tree, as source spans, sorted by position.
pub fn expression_tokens(root: &Node) -> Vec<(Span, ExpressionTokenKind)> {
    let mut tokens = Vec::new();
    for (expression, scalar) in all_expressions(root) {
        let span = |range: &std::ops::Range<usize>| scalar.map.source_span(range.start, range.end);
        let start = expression.range.start;
        tokens.push((span(&(start..start + 2)), ExpressionTokenKind::Delimiter));
        match &expression.path {
            Err(_) => tokens.push((span(&expression.inner), ExpressionTokenKind::Invalid)),
            Ok(path) => {
                let root_kind = match &path.root {
                    Root::Workflow => Some(ExpressionTokenKind::WorkflowRoot),
                    Root::Task(..) => Some(ExpressionTokenKind::TaskReference),
                    Root::Environment(_) => Some(ExpressionTokenKind::Environment),
                    Root::Document | Root::Dynamic => None,
                };
                if let Some(kind) = root_kind
                    && !path.root_range.is_empty()
                {
                    tokens.push((span(&path.root_range), kind));
                }
                for segment in &path.segments {
                    let kind = match segment {
                        Segment::Field { range, .. }
                            if scalar
                                .value
                                .get(range.clone())
                                .is_some_and(|text| !text.starts_with('[')) =>
                        {
                            ExpressionTokenKind::Field
                        }
                        Segment::Dynamic { .. } => continue,
                        _ => ExpressionTokenKind::Operator,
                    };
                    tokens.push((span(&segment.range()), kind));
                }
            }
        }
        if expression.is_terminated() {
            let end = expression.range.end;
            tokens.push((span(&(end - 1..end)), ExpressionTokenKind::Delimiter));
        }
    }
    tokens.sort_by_key(|(span, _)| (span.start, span.end));
    // Nested expressions overlap their outer segments: keep the first token at each place.
    let mut last_end = 0;
    tokens.retain(|(span, _)| {
        if span.start < last_end || span.is_empty() {
            return false;
        }
        last_end = span.end;
        true
    });
    tokens
}

/// The fields of a type an expression can continue with (`.name`), with their types.
pub fn fields_of(ty: &Type) -> Option<&ObjectType> {
    match ty.required().structure() {
        Type::Object(object) => Some(object),
        Type::Optional(inner) => fields_of(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::project::{InputFile, NoLoader, analyze};

    const WORKFLOW: &str = "workflow: flow
owner: team@example.com
inputs:
  version: string
workers:
  build:
    input: {version: string}
    output: {artifact: string, size: int}
tasks:
  first:
    worker: build
    input:
      version: ${workflow.input.version}
  second:
    worker: build
    after: [first]
    input:
      version: \"${first.output.artifact}-${first.output.size}\"
  third:
    worker: build
    input:
      version: ${second.output.artifact}
";

    fn analysed() -> crate::project::Analysis {
        analyze(
            vec![InputFile {
                path: "flow.wf.yaml".into(),
                text: WORKFLOW.to_string(),
            }],
            &NoLoader,
            &Config::default(),
        )
    }

    fn root() -> Node {
        crate::syntax::parse(crate::FileId(0), WORKFLOW)
            .root
            .expect("the workflow parses")
    }

    #[test]
    fn finds_the_expression_and_the_typed_prefix_at_an_offset() {
        let root = root();
        let offset = WORKFLOW.find("output.size").expect("present") + "output.".len();
        let site = expression_at(&root, offset).expect("an expression");
        assert_eq!(site.typed_prefix(), "first.output.");
        assert!(expression_at(&root, WORKFLOW.find("owner").expect("present")).is_none());
    }

    #[test]
    fn readable_tasks_exclude_the_reader_and_what_depends_on_it() {
        let analysis = analysed();
        assert!(
            analysis.diagnostics.is_empty(),
            "{:?}",
            analysis.diagnostics
        );
        let workflow = &analysis.workflows[0];
        let graph = analysis.graphs.first().map(|(_, graph)| graph);
        let second = workflow.find_task("second").expect("second").id;
        let names = |tasks: Vec<TaskId>| -> Vec<String> {
            tasks
                .into_iter()
                .map(|task| workflow.task(task).name.value.clone())
                .collect()
        };
        let readable = readable_tasks(workflow, &analysis.scopes[0], WORKFLOW, graph, Some(second));
        assert_eq!(names(readable), ["first"]);
        let from_outputs = readable_tasks(workflow, &analysis.scopes[0], WORKFLOW, graph, None);
        assert_eq!(names(from_outputs), ["first", "second", "third"]);
    }

    #[test]
    fn types_expressions_as_a_task_reads_them() {
        let analysis = analysed();
        let workflow = &analysis.workflows[0];
        let third = workflow.find_task("third").expect("third").id;
        let mut checker = WorkflowChecker::new(workflow, &analysis.scopes[0], WORKFLOW, false);
        assert_eq!(
            checker.type_of_expression("${second.output.size}", Some(third)),
            Type::Int
        );
        assert_eq!(
            checker.type_of_expression("${second.output.nope}", Some(third)),
            Type::Error
        );
        assert!(checker.diagnostics.is_empty());
    }

    #[test]
    fn task_occurrences_cover_keys_after_lists_and_expressions() {
        let analysis = analysed();
        let root = root();
        let occurrences = task_occurrences(&root, &analysis.workflows[0], "first");
        let texts: Vec<(&str, bool)> = occurrences
            .iter()
            .map(|occurrence| {
                (
                    &WORKFLOW[occurrence.span.range()],
                    occurrence.is_declaration,
                )
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("first", true),
                ("first", false),
                ("first", false),
                ("first", false)
            ]
        );
    }

    #[test]
    fn worker_occurrences_cover_declarations_and_calls() {
        let analysis = analysed();
        let occurrences = worker_occurrences(&analysis.workflows[0], "build");
        assert_eq!(occurrences.len(), 4);
        assert!(occurrences[0].is_declaration);
    }

    #[test]
    fn type_occurrences_cover_declarations_and_uses() {
        let text = "workflow: typed\ntypes:\n  Item: {id: string}\ninputs:\n  items: list<Item>\n  first: Item?\ntasks:\n  t: {noop: true}\n";
        let analysis = analyze(
            vec![InputFile {
                path: "typed.wf.yaml".into(),
                text: text.to_string(),
            }],
            &NoLoader,
            &Config::default(),
        );
        let workflow = &analysis.workflows[0];
        let occurrences = type_occurrences(
            &workflow.types,
            &workflow.workers,
            Some(workflow),
            Some("Item"),
        );
        let found: Vec<(&str, bool)> = occurrences
            .iter()
            .map(|(_, occurrence)| (&text[occurrence.span.range()], occurrence.is_declaration))
            .collect();
        assert_eq!(found, [("Item", true), ("Item", false), ("Item", false)]);
    }

    #[test]
    fn expression_tokens_split_roots_fields_and_delimiters() {
        let text = "a: x ${first.output['b'][0]} y\n";
        let root = crate::syntax::parse(crate::FileId(0), text)
            .root
            .expect("parses");
        let tokens: Vec<(&str, ExpressionTokenKind)> = expression_tokens(&root)
            .into_iter()
            .map(|(span, kind)| (&text[span.range()], kind))
            .collect();
        assert_eq!(
            tokens,
            [
                ("${", ExpressionTokenKind::Delimiter),
                ("first", ExpressionTokenKind::TaskReference),
                ("output", ExpressionTokenKind::Field),
                ("['b']", ExpressionTokenKind::Operator),
                ("[0]", ExpressionTokenKind::Operator),
                ("}", ExpressionTokenKind::Delimiter),
            ]
        );
    }

    #[test]
    fn value_offsets_invert_the_scalar_map() {
        let text = "a: \"x\\ty ${b}\"\n";
        let root = crate::syntax::parse(crate::FileId(0), text)
            .root
            .expect("parses");
        let offset = text.find("${b}").expect("present") + 2;
        let node = scalar_at(&root, offset).expect("a scalar");
        let scalar = node.as_scalar().expect("scalar");
        assert_eq!(&scalar.value[value_offset(scalar, offset)..], "b}");
    }
}
