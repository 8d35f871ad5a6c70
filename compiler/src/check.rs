//! The workflow checker: name resolution, flow-sensitive typing of every `${...}` expression,
//! contract checks, the task graph (cycles, unreachable tasks) and Conductor's registration rules.
//!
//! One [`WorkflowChecker`] runs per workflow against a [`Scope`] (the worker contracts, named types
//! and sub-workflow signatures visible to it). Every check reports and carries on; a value whose
//! type could not be determined gets [`Type::Error`], which is never reported again, so one
//! mistake gives one diagnostic.

use std::collections::{HashMap, HashSet};

use rustc_hash::{FxHashMap, FxHashSet};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Span};
use crate::expression::{self, Root, Segment};
use crate::model::*;
use crate::rules;
use crate::source::FileId;
use crate::suggest;
use crate::syntax::{Node, NodeKind, PlainValue, Scalar};
use crate::types::{Field, Mismatch, ObjectType, Type, assignable};

/// The typed interface of a workflow as seen by a parent: its inputs and outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowSignature {
    pub name: String,
    pub file: FileId,
    pub version: Option<i64>,
    pub inputs: ObjectType,
    pub outputs: Type,
}

/// What a workflow can see besides itself.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    /// Worker contracts by name, with named types already resolved.
    pub workers: HashMap<String, std::sync::Arc<Worker>>,
    /// Named types by name, resolved.
    pub types: HashMap<String, Type>,
    /// Sub-workflow signatures by workflow name and by file path.
    pub workflows: HashMap<String, std::sync::Arc<WorkflowSignature>>,
}

/// Resolves `Type::Unresolved` names against `types`, reporting unknown names into `diagnostics`.
pub fn resolve_type(
    ty: &Type,
    types: &HashMap<String, Type>,
    file: FileId,
    diagnostics: Option<&mut Vec<Diagnostic>>,
) -> Type {
    let mut sink = diagnostics;
    resolve_type_at(ty, types, file, &mut sink, 0)
}

fn resolve_type_at(
    ty: &Type,
    types: &HashMap<String, Type>,
    file: FileId,
    diagnostics: &mut Option<&mut Vec<Diagnostic>>,
    depth: usize,
) -> Type {
    if depth > 24 {
        return Type::Any;
    }
    match ty {
        Type::Unresolved(name, span) => match types.get(name) {
            Some(found) => Type::Named(
                name.clone(),
                Box::new(resolve_type_at(found, types, file, &mut None, depth + 1)),
            ),
            None => {
                if let Some(diagnostics) = diagnostics.as_deref_mut() {
                    let mut diagnostic = Diagnostic::new(
                        &rules::unknown_type::RULE,
                        file,
                        *span,
                        format!("unknown type `{name}`"),
                    );
                    let candidates = types
                        .keys()
                        .map(String::as_str)
                        .chain(crate::types::BUILTIN_TYPE_NAMES.iter().copied());
                    diagnostic = match suggest::closest(name, candidates) {
                        Some(candidate) => diagnostic.with_label(format!("did you mean `{candidate}`?")).with_replacement(format!("use `{candidate}`"), candidate),
                        None => diagnostic.with_label("not declared").with_help("declare it under `types:` or import the contract file that declares it"),
                    };
                    diagnostics.push(diagnostic);
                }
                Type::Error
            }
        },
        Type::List(item) => Type::List(Box::new(resolve_type_at(
            item,
            types,
            file,
            diagnostics,
            depth + 1,
        ))),
        Type::Map(value) => Type::Map(Box::new(resolve_type_at(
            value,
            types,
            file,
            diagnostics,
            depth + 1,
        ))),
        Type::Optional(inner) => Type::Optional(Box::new(resolve_type_at(
            inner,
            types,
            file,
            diagnostics,
            depth + 1,
        ))),
        Type::Object(object) => {
            Type::Object(resolve_object_at(object, types, diagnostics, depth + 1))
        }
        Type::Named(name, inner) => Type::Named(
            name.clone(),
            Box::new(resolve_type_at(inner, types, file, diagnostics, depth + 1)),
        ),
        other => other.clone(),
    }
}

pub fn resolve_object(
    object: &ObjectType,
    types: &HashMap<String, Type>,
    diagnostics: Option<&mut Vec<Diagnostic>>,
) -> ObjectType {
    let mut sink = diagnostics;
    resolve_object_at(object, types, &mut sink, 0)
}

fn resolve_object_at(
    object: &ObjectType,
    types: &HashMap<String, Type>,
    diagnostics: &mut Option<&mut Vec<Diagnostic>>,
    depth: usize,
) -> ObjectType {
    ObjectType {
        fields: object
            .fields
            .iter()
            .map(|field| Field {
                ty: resolve_type_at(&field.ty, types, field.file, diagnostics, depth),
                ..field.clone()
            })
            .collect(),
        open: object.open,
    }
}

/// Worker settings checks shared by contract files and workflows (WF083, WF085, WF086, WF013).
pub fn check_worker(worker: &Worker, diagnostics: &mut Vec<Diagnostic>) {
    let file = worker.file;
    check_name(&worker.name, "worker", file, diagnostics);
    let settings = &worker.settings;
    if let Some(raw) = &settings.raw {
        crate::registration::check_raw_task_def(raw, file, diagnostics);
    }
    let whole_seconds = [
        (&settings.timeout_ms, "timeout"),
        (&settings.total_timeout_ms, "total_timeout"),
        (&settings.response_timeout_ms, "response_timeout"),
        (&settings.poll_timeout_ms, "poll_timeout"),
        (&settings.retry_delay_ms, "retry.delay"),
        (&settings.max_retry_delay_ms, "retry.max_delay"),
        (&settings.rate_limit_per_ms, "rate_limit.per"),
    ];
    for (duration, key) in whole_seconds {
        if let Some(duration) = duration
            && duration.value % 1000 != 0
        {
            diagnostics.push(
                Diagnostic::new(
                    &rules::invalid_duration::RULE,
                    file,
                    duration.span,
                    format!("`{key}` must be whole seconds"),
                )
                .with_label(format!("{} ms", duration.value))
                .with_help("Conductor stores this setting in seconds"),
            );
        }
    }
    let mut range = |value: &Option<Spanned<i64>>, minimum: i64, what: &str| {
        if let Some(value) = value
            && value.value < minimum
        {
            diagnostics.push(
                Diagnostic::new(
                    &rules::value_out_of_range::RULE,
                    file,
                    value.span,
                    format!("{what} must be at least {minimum}"),
                )
                .with_label(format!("{} is too small", value.value)),
            );
        }
    };
    range(&settings.retry_count, 0, "`retry.count`");
    range(&settings.backoff_scale, 1, "`retry.backoff_scale`");
    range(&settings.rate_limit_count, 0, "`rate_limit.count`");
    range(&settings.concurrency, 1, "`concurrency`");
    if let Some(response) = &settings.response_timeout_ms
        && response.value < 1000
    {
        diagnostics.push(
            Diagnostic::new(
                &rules::value_out_of_range::RULE,
                file,
                response.span,
                "`response_timeout` must be at least 1s",
            )
            .with_label("Conductor: \"responseTimeoutSeconds should be minimum 1 second\""),
        );
    }
    let seconds =
        |duration: &Option<Spanned<u64>>| duration.as_ref().map(|duration| duration.value / 1000);
    let timeout = seconds(&settings.timeout_ms).unwrap_or(0);
    let response = seconds(&settings.response_timeout_ms).unwrap_or(3600);
    let total = seconds(&settings.total_timeout_ms).unwrap_or(0);
    if timeout > 0 && response > timeout {
        let span = settings
            .response_timeout_ms
            .as_ref()
            .or(settings.timeout_ms.as_ref())
            .map_or(worker.name.span, |duration| duration.span);
        let mut diagnostic = Diagnostic::new(
            &rules::task_timeouts::RULE,
            file,
            span,
            "response timeout exceeds the timeout",
        )
        .with_label(format!(
            "responseTimeoutSeconds {response} > timeoutSeconds {timeout}"
        ));
        if let Some(timeout_span) = settings.timeout_ms.as_ref().map(|duration| duration.span)
            && settings.response_timeout_ms.is_some()
        {
            diagnostic = diagnostic.with_secondary(file, timeout_span, "timeout set here");
        }
        diagnostic = diagnostic.with_help(if settings.response_timeout_ms.is_none() {
            "the default response timeout is 1h: set `response_timeout` to at most `timeout`"
        } else {
            "set `response_timeout` to at most `timeout`"
        });
        diagnostics.push(diagnostic);
    }
    if timeout > 0 && total > 0 && timeout > total {
        let span = settings
            .timeout_ms
            .as_ref()
            .map_or(worker.name.span, |duration| duration.span);
        diagnostics.push(
            Diagnostic::new(
                &rules::task_timeouts::RULE,
                file,
                span,
                "timeout exceeds the total timeout",
            )
            .with_label(format!(
                "timeoutSeconds {timeout} > totalTimeoutSeconds {total}"
            ))
            .with_help(
                "`total_timeout` is the budget across all attempts; it must be at least `timeout`",
            ),
        );
    }
}

/// WF083: Orkes' name rule.
pub fn check_name(
    name: &Spanned<String>,
    what: &str,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if name.value.trim().is_empty() {
        diagnostics.push(Diagnostic::new(
            &rules::invalid_name::RULE,
            file,
            name.span,
            format!("empty {what} name"),
        ));
        return;
    }
    if let Some(bad) = name
        .value
        .chars()
        .find(|character| !(character.is_ascii_alphanumeric() || " _-<>{}#\t".contains(*character)))
    {
        diagnostics.push(
            Diagnostic::new(
                &rules::invalid_name::RULE,
                file,
                name.span,
                format!("{what} name has a character Conductor rejects"),
            )
            .with_label(format!("`{bad}` is not allowed"))
            .with_help("names use letters, digits, spaces, `_`, `-` and `<>{}#`"),
        );
    }
}

/// Built-in fields of `${workflow.*}`.
fn workflow_metadata_type(name: &str) -> Option<Type> {
    Some(match name {
        "workflowId"
        | "parentWorkflowId"
        | "parentWorkflowTaskId"
        | "workflowType"
        | "correlationId"
        | "reasonForIncompletion"
        | "status" => Type::String,
        "version" | "schemaVersion" => Type::Int,
        _ => return None,
    })
}

/// The fields of `${workflow.…}`.
pub const WORKFLOW_FIELDS: &[&str] = &[
    "input",
    "output",
    "variables",
    "secrets",
    "env",
    "workflowId",
    "parentWorkflowId",
    "parentWorkflowTaskId",
    "workflowType",
    "version",
    "correlationId",
    "reasonForIncompletion",
    "schemaVersion",
    "status",
];

/// Built-in fields of `${ref.*}` besides `input` and `output`.
fn task_metadata_type(name: &str) -> Option<Type> {
    Some(match name {
        "taskType"
        | "status"
        | "referenceTaskName"
        | "correlationId"
        | "taskDefName"
        | "workflowInstanceId"
        | "taskId"
        | "reasonForIncompletion"
        | "workerId" => Type::String,
        "retryCount"
        | "pollCount"
        | "scheduledTime"
        | "startTime"
        | "endTime"
        | "callbackAfterSeconds"
        | "iteration" => Type::Int,
        _ => return None,
    })
}

/// The fields of `${task.…}`.
pub const TASK_FIELDS: &[&str] = &[
    "input",
    "output",
    "taskType",
    "status",
    "referenceTaskName",
    "retryCount",
    "correlationId",
    "pollCount",
    "taskDefName",
    "scheduledTime",
    "startTime",
    "endTime",
    "workflowInstanceId",
    "taskId",
    "reasonForIncompletion",
    "callbackAfterSeconds",
    "workerId",
    "iteration",
];

/// Bare names Conductor resolves from its own environment (FORMAT.md D.3).
const ENVIRONMENT_NAMES: &[&str] = &["CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"];

/// Conductor task types a `raw:` task may name.
pub const KNOWN_TASK_TYPES: &[&str] = &[
    "SIMPLE",
    "HTTP",
    "SWITCH",
    "DECISION",
    "FORK_JOIN",
    "JOIN",
    "FORK_JOIN_DYNAMIC",
    "DO_WHILE",
    "DYNAMIC",
    "SUB_WORKFLOW",
    "START_WORKFLOW",
    "WAIT",
    "HUMAN",
    "INLINE",
    "LAMBDA",
    "JSON_JQ_TRANSFORM",
    "SET_VARIABLE",
    "TERMINATE",
    "EVENT",
    "KAFKA_PUBLISH",
    "NOOP",
    "EXCLUSIVE_JOIN",
    "USER_DEFINED",
    "LLM_CHAT_COMPLETE",
    "LLM_TEXT_COMPLETE",
    "LLM_GENERATE_EMBEDDINGS",
    "LLM_GET_EMBEDDINGS",
    "LLM_INDEX_TEXT",
    "LLM_INDEX_DOCUMENT",
    "LLM_SEARCH_INDEX",
    "LLM_STORE_EMBEDDINGS",
    "LLM_SEARCH_EMBEDDINGS",
    "LIST_MCP_TOOLS",
    "CALL_MCP_TOOL",
    "AGENT",
    "GET_AGENT_CARD",
    "CANCEL_AGENT",
    "GENERATE_IMAGE",
    "GENERATE_AUDIO",
    "GENERATE_VIDEO",
    "GENERATE_PDF",
    "PULL_WORKFLOW_MESSAGES",
    "HTTP_POLL",
    "BUSINESS_RULE",
    "JDBC",
    "UPDATE_SECRET",
    "QUERY_PROCESSOR",
    "OPS_GENIE",
    "GET_WORKFLOW",
    "UPDATE_TASK",
    "GET_SIGNED_JWT",
    "SENDGRID",
    "WAIT_FOR_WEBHOOK",
    "GRPC",
    "GET_DOCUMENT",
    "PARSE_DOCUMENT",
    "CHUNK_TEXT",
];

/// Who reads an expression: decides which tasks are upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Task(TaskId),
    /// The workflow's `outputs`: every task is upstream.
    WorkflowOutput,
    /// `variables:` initial values: no task is upstream.
    Initial,
}

/// The dependencies between tasks: `(from, to)` means `to` runs after `from`. Both tasks are in
/// the same task list (siblings); a read of a nested task is an edge to its top container in that
/// list. Compensation reads add no edge.
///
/// Besides the edges the planner needs, the graph keeps why each exists ([`TaskGraph::reasons`])
/// and every typed read of a task's data ([`TaskGraph::reads`]), for `wfc explain` and
/// `wfc graph`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskGraph {
    /// Sorted, without duplicates.
    pub dependencies: Vec<(TaskId, TaskId)>,
    /// Every dependency as found, in source order: several reasons may give one dependency.
    pub reasons: Vec<Dependency>,
    /// Every read of a task's data (`${ref.output…}`, `${ref.input…}`, …) that the checker
    /// accepted, with the type it found, in source order.
    pub reads: Vec<DataRead>,
    /// The workflow's own signature as the checker inferred it (inputs, output types), for the
    /// emitter's input and output schemas: computed once, by the checker that has every output
    /// type cached. `None` only in graphs built by hand.
    pub signature: Option<WorkflowSignature>,
}

/// Why a sibling runs after another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency {
    /// The sibling that runs first (the target of the read, or its container in the list).
    pub from: TaskId,
    /// The sibling that runs after (the reader, or its container in the list).
    pub to: TaskId,
    /// The expression, `after:` entry or join reference that makes the dependency.
    pub span: Span,
    /// A read of data (`${...}`) rather than an ordering (`after:`, a join's `on:`).
    pub is_data: bool,
}

/// A read of a task's data by a task or by the workflow's outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct DataRead {
    /// The reading task; `None` for the workflow's outputs and raw workflow fields.
    pub reader: Option<TaskId>,
    /// The task read.
    pub target: TaskId,
    /// The whole path inside `${...}`, e.g. `charge.output.receipt`.
    pub span: Span,
    /// The type of the value read.
    pub ty: Type,
}

/// One edge of the task graph, between siblings of one task list.
type Edge = Dependency;

/// Checks one workflow.
pub struct WorkflowChecker<'workflow> {
    workflow: &'workflow Workflow,
    scope: &'workflow Scope,
    source: &'workflow str,
    file: FileId,
    /// Reports, or only infers types (for signatures) when false.
    reporting: bool,
    pub diagnostics: Vec<Diagnostic>,
    by_name: FxHashMap<&'workflow str, TaskId>,
    /// Reference names of tasks nested in raw Conductor JSON, mapped to the raw task holding them.
    raw_refs: FxHashMap<String, TaskId>,
    inputs: ObjectType,
    variables: ObjectType,
    /// The position of each variable in `variables`: workflows can set and read thousands of
    /// them, and finding each read by a linear search made checking quadratic.
    variable_positions: std::sync::Arc<FxHashMap<String, usize>>,
    outputs: Type,
    edges: Vec<Edge>,
    compensation_reads: Vec<(TaskId, TaskId, Span)>,
    used_inputs: FxHashSet<String>,
    all_inputs_used: bool,
    used_variables: FxHashSet<String>,
    read_outputs: FxHashSet<TaskId>,
    declared_task_outputs: FxHashMap<TaskId, Type>,
    /// Output types already computed (they do not depend on the reader).
    output_types: FxHashMap<TaskId, std::sync::Arc<Type>>,
    /// Syntax check results of JavaScript by (mode, interpolated) and text: generated and
    /// copy-pasted workflows repeat the same scripts, and QuickJS costs tens of microseconds each.
    javascript_results: FxHashMap<
        (crate::javascript::ScriptMode, bool, String),
        Result<(), crate::javascript::ScriptError>,
    >,
    /// Syntax check results of jq programs by text, for the same reason.
    jq_results: FxHashMap<String, Result<(), crate::jq::JqError>>,
    /// Set when an expression could not be parsed: anything may have been meant to be read.
    opaque_reads: bool,
    /// Typed reads of task data, for [`TaskGraph::reads`].
    reads: Vec<DataRead>,
    /// Set on the checkers of a parallel check (see [`WorkflowChecker::check_tasks`]): record in
    /// `output_type_fills` what computing each cached output type added.
    records_output_type_fills: bool,
    output_type_fills: Vec<OutputTypeFill>,
}

/// What computing (and caching) one task's output type added to the edges and compensation
/// reads. A checker of a later chunk of tasks computes again output types that a sequential
/// check finds in its cache; these ranges are what it then added twice.
#[derive(Debug, Clone)]
struct OutputTypeFill {
    target: TaskId,
    edges: std::ops::Range<usize>,
    compensation_reads: std::ops::Range<usize>,
}

/// Tasks below which a workflow's tasks are checked on one thread: starting threads costs more
/// than checking a few hundred tasks, and editors and tests check small files.
const MINIMUM_TASKS_FOR_PARALLEL_CHECK: usize = 1024;

impl<'workflow> WorkflowChecker<'workflow> {
    pub fn new(
        workflow: &'workflow Workflow,
        scope: &'workflow Scope,
        source: &'workflow str,
        reporting: bool,
    ) -> WorkflowChecker<'workflow> {
        let mut checker = WorkflowChecker {
            workflow,
            scope,
            source,
            file: workflow.file,
            reporting,
            diagnostics: Vec::new(),
            by_name: FxHashMap::default(),
            raw_refs: FxHashMap::default(),
            inputs: ObjectType::default(),
            variables: ObjectType::default(),
            variable_positions: std::sync::Arc::default(),
            outputs: Type::Any,
            edges: Vec::new(),
            compensation_reads: Vec::new(),
            used_inputs: FxHashSet::default(),
            all_inputs_used: false,
            used_variables: FxHashSet::default(),
            read_outputs: FxHashSet::default(),
            declared_task_outputs: FxHashMap::default(),
            output_types: FxHashMap::default(),
            javascript_results: FxHashMap::default(),
            jq_results: FxHashMap::default(),
            opaque_reads: false,
            reads: Vec::new(),
            records_output_type_fills: false,
            output_type_fills: Vec::new(),
        };
        checker.prepare();
        checker
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        if self.reporting {
            let diagnostic = self.trim_spans(diagnostic);
            self.diagnostics.push(diagnostic);
        }
    }

    /// The spans of block collections run up to the next token, over the line break and the
    /// next line's indentation; underline only the text.
    fn trim_spans(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        let trim = |span: Span| -> Span {
            let Some(text) = self.source.get(span.range()) else {
                return span;
            };
            let kept = text.trim_end().len();
            if kept == 0 {
                span
            } else {
                Span::new(span.start as usize, span.start as usize + kept)
            }
        };
        if diagnostic.file == self.file {
            diagnostic.span = trim(diagnostic.span);
        }
        for label in &mut diagnostic.labels {
            if label.file == self.file {
                label.span = trim(label.span);
            }
        }
        diagnostic
    }

    /// Names, declared types and variables: everything expressions are resolved against.
    fn prepare(&mut self) {
        let workflow = self.workflow;
        let mut sink = Vec::new();
        self.inputs = resolve_object(&workflow.inputs, &self.scope.types, Some(&mut sink));
        for task in &workflow.tasks {
            let declared = match &task.kind {
                TaskKind::Http {
                    returns: Some(ty), ..
                }
                | TaskKind::Inline {
                    returns: Some(ty), ..
                }
                | TaskKind::Jq {
                    returns: Some(ty), ..
                } => Some(ty),
                _ => task.output.as_ref(),
            };
            if let Some(ty) = declared {
                let resolved = resolve_type(ty, &self.scope.types, self.file, Some(&mut sink));
                self.declared_task_outputs.insert(task.id, resolved);
            }
            match self.by_name.get(task.name.value.as_str()) {
                // Two keys of one task list: already reported as a duplicate YAML key (WF002).
                Some(first) if workflow.task(*first).container == task.container => {}
                Some(first) => {
                    let first_task = workflow.task(*first);
                    // A compensation is named after its task: say so where it is involved.
                    let compensation_of = |task: &Task| match task.container {
                        Container::Task {
                            task: compensated,
                            slot: COMPENSATION_SLOT,
                        } => Some(workflow.task(compensated).name.value.clone()),
                        _ => None,
                    };
                    let label = match compensation_of(task) {
                        Some(compensated) => {
                            format!("the compensation of `{compensated}` takes this name")
                        }
                        None => "defined again here".to_string(),
                    };
                    let first_label = match compensation_of(first_task) {
                        Some(compensated) => {
                            format!("taken by the compensation of `{compensated}`")
                        }
                        None => "first defined here".to_string(),
                    };
                    sink.push(
                        Diagnostic::new(&rules::duplicate_task_ref::RULE, self.file, task.name.span, format!("duplicate task reference `{}`", task.name.value))
                            .with_label(label)
                            .with_secondary(self.file, first_task.name.span, first_label)
                            .with_help("reference names are unique across the whole workflow, nested tasks and compensations (`REF_compensation`) included"),
                    );
                }
                None => {
                    self.by_name.insert(task.name.value.as_str(), task.id);
                }
            }
        }
        let mut raw_spans: FxHashMap<String, Span> = FxHashMap::default();
        for task in &workflow.tasks {
            let raw = match &task.kind {
                TaskKind::Raw { fields, .. } => Some(fields),
                _ => task.raw.as_ref(),
            };
            if let Some(raw) = raw {
                let mut nested = Vec::new();
                collect_raw_references(raw, &mut nested);
                nested.sort_by_key(|(_, span)| span.start);
                for (name, span) in nested {
                    if let Some(first) = self.by_name.get(name.as_str()) {
                        let first_span = workflow.task(*first).name.span;
                        sink.push(
                            Diagnostic::new(
                                &rules::duplicate_task_ref::RULE,
                                self.file,
                                span,
                                format!("duplicate task reference `{name}`"),
                            )
                            .with_label("defined again inside raw JSON")
                            .with_secondary(self.file, first_span, "first defined here")
                            .with_help("reference names are unique across the whole workflow, raw JSON included"),
                        );
                    } else if let Some(first_span) = raw_spans.get(name.as_str()) {
                        sink.push(
                            Diagnostic::new(
                                &rules::duplicate_task_ref::RULE,
                                self.file,
                                span,
                                format!("duplicate task reference `{name}`"),
                            )
                            .with_label("defined again inside raw JSON")
                            .with_secondary(self.file, *first_span, "first defined here")
                            .with_help("reference names are unique across the whole workflow, raw JSON included"),
                        );
                    } else {
                        self.raw_refs.insert(name.clone(), task.id);
                        raw_spans.insert(name, span);
                    }
                }
            }
        }
        self.diagnostics_extend(sink);
        // Variables: `variables:` literals and every `set:` value (types inferred without reporting).
        let mut fields: Vec<Field> = Vec::new();
        // Position of each variable in `fields`: workflows can set thousands of them.
        let mut positions: FxHashMap<String, usize> = FxHashMap::default();
        let mut add_variable =
            |fields: &mut Vec<Field>, name: &Spanned<String>, ty: Type, file: FileId| {
                match positions.get(&name.value) {
                    Some(&position) => {
                        let existing = &mut fields[position];
                        if assignable(&ty, &existing.ty).is_err() {
                            existing.ty = Type::Any;
                        }
                    }
                    None => {
                        positions.insert(name.value.clone(), fields.len());
                        fields.push(Field {
                            name: name.value.clone(),
                            ty,
                            optional: false,
                            default: None,
                            description: None,
                            deprecated: None,
                            file,
                            span: name.span,
                        });
                    }
                }
            };
        for (name, value) in &workflow.variables {
            let ty = literal_type(value);
            add_variable(&mut fields, name, ty, self.file);
        }
        let reporting = self.reporting;
        self.reporting = false;
        for task in &workflow.tasks {
            if let TaskKind::SetVariable { values } = &task.kind {
                for (name, value) in values {
                    let ty = self.infer_value(value, Reader::Task(task.id), false);
                    add_variable(&mut fields, name, ty, self.file);
                }
            }
        }
        self.reporting = reporting;
        self.variables = ObjectType::closed(fields);
        self.variable_positions = std::sync::Arc::new(positions);
        // Declared outputs type (for `${workflow.output}` reads, rare).
        let output_fields: Vec<Field> = workflow
            .outputs
            .iter()
            .map(|output| Field {
                name: output.name.value.clone(),
                ty: output.ty.as_ref().map_or(Type::Any, |ty| {
                    resolve_type(ty, &self.scope.types, self.file, None)
                }),
                optional: true,
                default: None,
                description: output.description.clone(),
                deprecated: None,
                file: self.file,
                span: output.name.span,
            })
            .collect();
        self.outputs = Type::Object(ObjectType::closed(output_fields));
    }

    fn diagnostics_extend(&mut self, diagnostics: Vec<Diagnostic>) {
        if self.reporting {
            for diagnostic in diagnostics {
                let diagnostic = self.trim_spans(diagnostic);
                self.diagnostics.push(diagnostic);
            }
        }
    }

    /// Runs every check and returns the diagnostics.
    pub fn check(self) -> Vec<Diagnostic> {
        self.check_with_graph().0
    }

    /// Runs every check and also returns the task graph the planner lowers to forks and joins.
    pub fn check_with_graph(self) -> (Vec<Diagnostic>, TaskGraph) {
        let chunks = if self.workflow.tasks.len() >= MINIMUM_TASKS_FOR_PARALLEL_CHECK {
            crate::threads::available()
        } else {
            1
        };
        self.check_with_graph_in_chunks(chunks)
    }

    /// [`WorkflowChecker::check_with_graph`] with the tasks checked in `chunks` parallel parts
    /// (1: sequentially). The result is the same for any number of chunks.
    fn check_with_graph_in_chunks(mut self, chunks: usize) -> (Vec<Diagnostic>, TaskGraph) {
        let workflow = self.workflow;
        self.check_workflow_fields();
        self.check_tasks(chunks);
        // Initial variable values may not read tasks.
        for (_, value) in &workflow.variables {
            self.check_value(value, None, Reader::Initial, "a variable's initial value");
        }
        for output in &workflow.outputs {
            let Some(value) = &output.value else { continue };
            let expected = output
                .ty
                .as_ref()
                .map(|ty| resolve_type(ty, &self.scope.types, self.file, None));
            self.check_value(
                value,
                expected.as_ref(),
                Reader::WorkflowOutput,
                &format!("output `{}`", output.name.value),
            );
        }
        // Workflow-level raw fields (`outputParameters`, `rateLimitConfig`, …) are passed through,
        // but their expressions still name inputs and tasks.
        if let Some(raw) = &workflow.raw {
            self.check_value(raw, None, Reader::WorkflowOutput, "a raw field");
            let mut found = Vec::new();
            crate::registration::check_raw_workflow_def(raw, self.file, &mut found);
            self.diagnostics_extend(found);
        }
        self.check_graph();
        self.check_compensation_reads();
        self.check_unused();
        let mut dependencies: Vec<(TaskId, TaskId)> =
            self.edges.iter().map(|edge| (edge.from, edge.to)).collect();
        dependencies.sort_unstable();
        dependencies.dedup();
        // An expression typed twice (a value checked for two purposes) is one read.
        let mut reads = std::mem::take(&mut self.reads);
        reads.sort_by_key(|read| (read.span.start, read.span.end));
        reads.dedup_by(|later, earlier| {
            later.span == earlier.span && later.reader == earlier.reader
        });
        let reasons = std::mem::take(&mut self.edges);
        // Last: inferring output types may add edges and reads, which are not the workflow's.
        let signature = self.own_signature();
        let diagnostics = std::mem::take(&mut self.diagnostics);
        self.drop_in_background();
        let graph = TaskGraph {
            dependencies,
            reasons,
            reads,
            signature: Some(signature),
        };
        (diagnostics, graph)
    }

    /// Frees what checking a large workflow built (a type per task, caches) on another thread:
    /// it takes milliseconds that nothing needs to wait for.
    fn drop_in_background(self) {
        if self.workflow.tasks.len() < MINIMUM_TASKS_FOR_PARALLEL_CHECK {
            return;
        }
        crate::threads::drop_in_background((
            self.output_types,
            self.declared_task_outputs,
            self.inputs,
            self.variables,
            self.javascript_results,
            self.jq_results,
            self.used_variables,
            self.used_inputs,
        ));
    }

    /// The workflow's signature for parents: inputs and the inferred output types.
    pub fn signature(mut self) -> WorkflowSignature {
        self.own_signature()
    }

    /// [`WorkflowChecker::signature`] without consuming the checker; reports nothing.
    fn own_signature(&mut self) -> WorkflowSignature {
        self.reporting = false;
        let workflow = self.workflow;
        let fields = workflow
            .outputs
            .iter()
            .map(|output| {
                let ty = match (&output.ty, &output.value) {
                    (Some(ty), _) => resolve_type(ty, &self.scope.types, self.file, None),
                    (None, Some(value)) => self.infer_value(value, Reader::WorkflowOutput, false),
                    (None, None) => Type::Any,
                };
                Field {
                    name: output.name.value.clone(),
                    optional: ty.is_optional(),
                    ty,
                    default: None,
                    description: output.description.clone(),
                    deprecated: None,
                    file: self.file,
                    span: output.name.span,
                }
            })
            .collect();
        WorkflowSignature {
            name: workflow
                .name
                .as_ref()
                .map(|name| name.value.clone())
                .unwrap_or_default(),
            file: self.file,
            version: workflow.version.as_ref().map(|version| version.value),
            inputs: self.inputs.clone(),
            // A workflow without declared outputs returns its last task's output: unknown here.
            outputs: if workflow.outputs.is_empty() {
                Type::Any
            } else {
                Type::Object(ObjectType::closed(fields))
            },
        }
    }

    // ----- editor queries (see `query`) -----------------------------------------------------

    /// The type of one expression, written with its braces (`${tests.output.report}`), as the
    /// task `reader` reads it (`None`: as the workflow's outputs read it). Nothing is reported;
    /// names that do not resolve give [`Type::Error`]. Text that is not exactly one expression
    /// gives [`Type::Any`].
    pub fn type_of_expression(&mut self, text: &str, reader: Option<TaskId>) -> Type {
        self.reporting = false;
        let template = expression::scan(text);
        let Some(expression) = template.single_expression() else {
            return Type::Any;
        };
        let scalar = Scalar {
            value: text.to_string(),
            style: crate::syntax::Style::Plain,
            map: crate::syntax::ScalarMap::default(),
        };
        let reader = reader.map_or(Reader::WorkflowOutput, Reader::Task);
        self.expression_type(expression, &scalar, reader)
    }

    /// The tasks `reader` may read without a `not-upstream` error (`None`: the workflow's
    /// outputs, which may read every task outside compensations). Tasks that depend on the
    /// reader are not removed here; see [`query::readable_tasks`](crate::query::readable_tasks).
    pub fn tasks_in_scope(&mut self, reader: Option<TaskId>) -> Vec<TaskId> {
        let workflow = self.workflow;
        let reader_kind = reader.map_or(Reader::WorkflowOutput, Reader::Task);
        let reporting = self.reporting;
        self.reporting = true;
        let mut readable = Vec::new();
        for task in &workflow.tasks {
            if Some(task.id) == reader {
                continue;
            }
            let before = self.diagnostics.len();
            self.flow(reader_kind, task.id, Span::default(), true);
            if self.diagnostics.len() == before {
                readable.push(task.id);
            }
            self.diagnostics.truncate(before);
        }
        self.edges.clear();
        self.compensation_reads.clear();
        self.reporting = reporting;
        readable
    }

    /// The output type of a task, as `${task.output}` reads it.
    pub fn task_output_type(&mut self, task: TaskId) -> Type {
        self.reporting = false;
        (*self.cached_output_type(task)).clone()
    }

    /// The type of a task's resolved input: the worker contract's input for a worker task,
    /// otherwise the type inferred from `input:`.
    pub fn task_input_type(&mut self, task: TaskId) -> Type {
        self.reporting = false;
        self.input_type(task)
    }

    // ----- parallel checking ------------------------------------------------------------------

    /// Checks every task, in `chunks` contiguous parts of the task list checked in parallel.
    ///
    /// Checking a task reads what [`WorkflowChecker::prepare`] resolved (names, declared types,
    /// variables) and only adds to accumulators: diagnostics, edges, reads (appended in task
    /// order), used inputs, variables and outputs (sets), flags. Each part is checked by a
    /// [`fork`](WorkflowChecker::fork) of this checker (the first by this checker itself) and the
    /// results are appended in task order, which gives what a sequential check gives. The one
    /// difference is the output type cache: a later part computes output types an earlier part
    /// already cached, and computing one may add edges (a loop's `items` expressions); those are
    /// dropped when the part is merged (see [`OutputTypeFill`]).
    fn check_tasks(&mut self, chunks: usize) {
        let tasks = &self.workflow.tasks;
        if chunks <= 1 || tasks.len() < 2 {
            for task in tasks {
                self.check_task(task);
            }
            return;
        }
        let chunk_size = tasks.len().div_ceil(chunks);
        let mut parts = tasks.chunks(chunk_size);
        let first = parts.next().unwrap_or_default();
        let forks: Vec<(WorkflowChecker<'workflow>, &'workflow [Task])> =
            parts.map(|part| (self.fork(), part)).collect();
        let checked: Vec<WorkflowChecker<'workflow>> = std::thread::scope(|scope| {
            let handles: Vec<_> = forks
                .into_iter()
                .map(|(mut fork, part)| {
                    scope.spawn(move || {
                        for task in part {
                            fork.check_task(task);
                        }
                        fork
                    })
                })
                .collect();
            for task in first {
                self.check_task(task);
            }
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        for fork in checked {
            self.absorb(fork);
        }
    }

    /// A checker with this one's resolved names and types and empty accumulators, for
    /// [`WorkflowChecker::check_tasks`].
    fn fork(&self) -> WorkflowChecker<'workflow> {
        WorkflowChecker {
            workflow: self.workflow,
            scope: self.scope,
            source: self.source,
            file: self.file,
            reporting: self.reporting,
            diagnostics: Vec::new(),
            by_name: self.by_name.clone(),
            raw_refs: self.raw_refs.clone(),
            inputs: self.inputs.clone(),
            variables: self.variables.clone(),
            variable_positions: self.variable_positions.clone(),
            outputs: self.outputs.clone(),
            edges: Vec::new(),
            compensation_reads: Vec::new(),
            used_inputs: FxHashSet::default(),
            all_inputs_used: false,
            used_variables: FxHashSet::default(),
            read_outputs: FxHashSet::default(),
            declared_task_outputs: self.declared_task_outputs.clone(),
            // What `prepare` cached is cached for every part, as it is sequentially.
            output_types: self.output_types.clone(),
            javascript_results: FxHashMap::default(),
            jq_results: FxHashMap::default(),
            opaque_reads: false,
            reads: Vec::new(),
            records_output_type_fills: true,
            output_type_fills: Vec::new(),
        }
    }

    /// Appends what a fork found after what this checker found (see
    /// [`WorkflowChecker::check_tasks`]).
    fn absorb(&mut self, fork: WorkflowChecker<'workflow>) {
        // Output types this checker had cached were not computed again sequentially: drop what
        // computing them again added.
        let mut dropped_edges = vec![false; fork.edges.len()];
        let mut dropped_compensation_reads = vec![false; fork.compensation_reads.len()];
        for fill in &fork.output_type_fills {
            if self.output_types.contains_key(&fill.target) {
                dropped_edges[fill.edges.clone()].fill(true);
                dropped_compensation_reads[fill.compensation_reads.clone()].fill(true);
            }
        }
        self.edges.extend(
            fork.edges
                .into_iter()
                .zip(dropped_edges)
                .filter(|(_, dropped)| !dropped)
                .map(|(edge, _)| edge),
        );
        self.compensation_reads.extend(
            fork.compensation_reads
                .into_iter()
                .zip(dropped_compensation_reads)
                .filter(|(_, dropped)| !dropped)
                .map(|(read, _)| read),
        );
        for (target, ty) in fork.output_types {
            self.output_types.entry(target).or_insert(ty);
        }
        self.diagnostics.extend(fork.diagnostics);
        self.reads.extend(fork.reads);
        self.used_inputs.extend(fork.used_inputs);
        self.used_variables.extend(fork.used_variables);
        self.read_outputs.extend(fork.read_outputs);
        self.all_inputs_used |= fork.all_inputs_used;
        self.opaque_reads |= fork.opaque_reads;
    }

    // ----- workflow-level fields ------------------------------------------------------------

    fn check_workflow_fields(&mut self) {
        let workflow = self.workflow;
        let start = Span::empty_at(0);
        if let Some(name) = &workflow.name {
            let mut sink = Vec::new();
            check_name(name, "workflow", self.file, &mut sink);
            self.diagnostics_extend(sink);
        }
        if workflow.owner.is_none() {
            let span = workflow.name.as_ref().map_or(start, |name| name.span);
            self.report(
                Diagnostic::new(&rules::missing_owner::RULE, self.file, span, "the workflow has no owner email")
                    .with_label("no `owner:`")
                    .with_help("add `owner: team@example.com`; servers with ownerEmailMandatory reject the definition (\"ownerEmail cannot be empty\")"),
            );
        } else if let Some(owner) = &workflow.owner
            && !owner.value.contains('@')
        {
            self.report(
                Diagnostic::new(
                    &rules::wrong_value_type::RULE,
                    self.file,
                    owner.span,
                    "`owner` is not an email address",
                )
                .with_label("expected `name@domain`"),
            );
        }
        if let Some(version) = &workflow.version
            && version.value < 1
        {
            self.report(
                Diagnostic::new(
                    &rules::value_out_of_range::RULE,
                    self.file,
                    version.span,
                    "`version` must be at least 1",
                )
                .with_label(format!("{} is too small", version.value)),
            );
        }
        for field in &workflow.inputs.fields {
            if field.name.is_empty() {
                self.report(Diagnostic::new(
                    &rules::wrong_value_type::RULE,
                    self.file,
                    field.span,
                    "empty input name",
                ));
            }
        }
        let mut sink = Vec::new();
        for worker in &workflow.workers {
            check_worker(worker, &mut sink);
        }
        self.diagnostics_extend(sink);
    }

    // ----- tasks -----------------------------------------------------------------------------

    fn check_task(&mut self, task: &'workflow Task) {
        let reader = Reader::Task(task.id);
        let file = self.file;
        let name = &task.name.value;
        if name.contains("__")
            || name
                .chars()
                .any(|character| ".[]${}' \t\"".contains(character))
            || name.is_empty()
        {
            self.report(
                Diagnostic::new(
                    &rules::invalid_task_reference_name::RULE,
                    file,
                    task.name.span,
                    format!("invalid task reference name `{name}`"),
                )
                .with_label(if name.contains("__") {
                    "`__` is reserved for loop iterations (`ref__2`)"
                } else {
                    "breaks `${ref.output}` paths"
                })
                .with_help("use letters, digits, `_` and `-`"),
            );
        }
        if let Some(retries) = &task.retries
            && retries.value < 0
        {
            self.report(
                Diagnostic::new(
                    &rules::value_out_of_range::RULE,
                    file,
                    retries.span,
                    "`retries` must be at least 0",
                )
                .with_label(format!("{} is too small", retries.value)),
            );
        }
        // `after:` edges.
        for after in &task.after {
            match self.lookup(&after.value) {
                Some(target) => {
                    self.flow(reader, target, after.span, false);
                }
                None => self.unknown_task(&after.value, after.span),
            }
        }
        match &task.kind {
            TaskKind::Worker { name: worker_name } => {
                let worker = self.scope.workers.get(&worker_name.value);
                match worker {
                    Some(worker) => self.check_arguments(
                        task,
                        Some(&worker.input),
                        &format!("worker `{}`", worker_name.value),
                        Some((worker.file, worker.name.span)),
                    ),
                    None => {
                        self.unknown_worker(worker_name);
                        self.check_arguments(task, None, "", None);
                    }
                }
            }
            TaskKind::Http { request, .. } => {
                self.check_input_values(task);
                self.check_http(request, reader);
            }
            TaskKind::Switch {
                selector,
                cases,
                default,
                ..
            } => {
                self.check_input_values(task);
                let selector_type = match selector {
                    SwitchSelector::Value(node) => self.infer_value(node, reader, true),
                    SwitchSelector::JavaScript(node) => {
                        self.check_javascript(node, crate::javascript::ScriptMode::Program, false);
                        Type::Any
                    }
                };
                self.check_switch(task, &selector_type, cases, default.as_ref());
            }
            // Empty branches are reported by the lowering, which knows where they are written.
            TaskKind::Parallel { .. } => self.check_input_values(task),
            TaskKind::ForEach { items, target } => {
                self.check_input_values(task);
                let items_type = self.infer_value(items, reader, true);
                let item_type = match items_type.required().structure() {
                    Type::List(item) => (**item).clone(),
                    Type::Any | Type::Error => Type::Any,
                    other => {
                        let other = other.clone();
                        self.report(
                            Diagnostic::new(
                                &rules::type_mismatch::RULE,
                                file,
                                items.span,
                                "`for_each` needs a list",
                            )
                            .with_label(format!("found `{other}`")),
                        );
                        Type::Any
                    }
                };
                if items_type.is_optional() && !items_type.is_unknown() {
                    self.report(
                        Diagnostic::new(
                            &rules::optional_value::RULE,
                            file,
                            items.span,
                            "`for_each` over a value that may be absent",
                        )
                        .with_label(format!("`{items_type}` may be null"))
                        .with_help("fan out over a list that is always present (an input with a default, for instance)"),
                    );
                    if let Some((reason_file, reason_span, reason)) =
                        self.absence_reason(items, reader)
                        && let Some(last) = self.diagnostics.last_mut()
                        && self.reporting
                    {
                        last.labels.push(crate::diagnostic::Label {
                            file: reason_file,
                            span: reason_span,
                            message: reason,
                        });
                    }
                }
                let (expected, what) = match target {
                    ForEachTarget::Worker(name) => match self.scope.workers.get(&name.value) {
                        Some(worker) => (
                            Some(Type::Object(worker.input.clone())),
                            format!("worker `{}`", name.value),
                        ),
                        None => {
                            self.unknown_worker(name);
                            (None, String::new())
                        }
                    },
                    ForEachTarget::SubWorkflow(target) => match self.sub_workflow(target) {
                        Some(signature) => (
                            Some(Type::Object(signature.inputs.clone())),
                            format!("workflow `{}`", target.name.value),
                        ),
                        None => (None, String::new()),
                    },
                };
                if let Some(expected) = expected {
                    // Each item becomes the input of one task (maps merged, scalars under `input`).
                    let item_as_input = match item_type.structure() {
                        Type::Object(_) | Type::Map(_) | Type::Any | Type::Error => {
                            item_type.clone()
                        }
                        _ => Type::builtin_object(&[("input", item_type.clone())], false),
                    };
                    if let Err(mismatch) = assignable(&item_as_input, &expected) {
                        let scalar_items = !matches!(
                            item_type.structure(),
                            Type::Object(_) | Type::Map(_) | Type::Any | Type::Error
                        );
                        let help = if scalar_items {
                            format!(
                                "each item is the whole input of {what}; a `{item_type}` item arrives as `{{input: {item_type}}}`"
                            )
                        } else {
                            format!("each item is the whole input of {what}")
                        };
                        self.report_mismatch(
                            reader,
                            items.span,
                            None,
                            &mismatch,
                            &item_as_input,
                            &expected,
                            "the items of `for_each`",
                            Some(help),
                        );
                    }
                }
            }
            TaskKind::Loop {
                condition,
                items,
                keep_last,
                body: _,
            } => {
                self.check_input_values(task);
                if let Some(condition) = condition {
                    self.check_javascript(condition, crate::javascript::ScriptMode::Program, false);
                }
                if let Some(items) = items {
                    let items_type = self.infer_value(items, reader, true);
                    if !matches!(
                        items_type.required().structure(),
                        Type::List(_) | Type::Any | Type::Error
                    ) {
                        self.report(
                            Diagnostic::new(
                                &rules::type_mismatch::RULE,
                                file,
                                items.span,
                                "`loop.items` needs a list",
                            )
                            .with_label(format!("found `{items_type}`")),
                        );
                    }
                }
                if let Some(keep_last) = keep_last
                    && keep_last.value < 1
                {
                    self.report(
                        Diagnostic::new(
                            &rules::value_out_of_range::RULE,
                            file,
                            keep_last.span,
                            "`keep_last` must be at least 1",
                        )
                        .with_label(format!("{} is too small", keep_last.value)),
                    );
                }
            }
            TaskKind::Dynamic { name: dynamic_name } => {
                self.check_input_values(task);
                let ty = self.infer_value(dynamic_name, reader, true);
                if !matches!(
                    ty.required().structure(),
                    Type::String | Type::Enum(_) | Type::Any | Type::Error
                ) {
                    self.report(
                        Diagnostic::new(
                            &rules::type_mismatch::RULE,
                            file,
                            dynamic_name.span,
                            "`dynamic` needs a worker name",
                        )
                        .with_label(format!("found `{ty}`")),
                    );
                }
            }
            TaskKind::SubWorkflow { target } | TaskKind::StartWorkflow { target, .. } => {
                let signature = self.sub_workflow(target).cloned();
                match signature {
                    Some(signature) => self.check_arguments(
                        task,
                        Some(&signature.inputs),
                        &format!("workflow `{}`", target.name.value),
                        Some((signature.file, Span::empty_at(0))),
                    ),
                    None => self.check_arguments(task, None, "", None),
                }
                if let TaskKind::StartWorkflow {
                    correlation_id: Some(correlation),
                    ..
                } = &task.kind
                {
                    self.check_value(correlation, Some(&Type::String), reader, "`correlation_id`");
                }
            }
            TaskKind::Wait { mode } => {
                self.check_input_values(task);
                match mode {
                    WaitMode::Until(until) => {
                        let ty = self.infer_value(until, reader, true);
                        if let Some(text) = until.as_str() {
                            if !text.contains("${") && !is_conductor_date(text) {
                                self.report(
                                    Diagnostic::new(&rules::invalid_date::RULE, file, until.span, "invalid `until` date")
                                        .with_label(format!("`{text}` is not a date Conductor parses"))
                                        .with_help("write `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM ZONE`"),
                                );
                            }
                        } else if !ty.is_unknown() {
                            self.report(Diagnostic::new(
                                &rules::wrong_value_type::RULE,
                                file,
                                until.span,
                                "expected a date string for `until`",
                            ));
                        }
                    }
                    WaitMode::DurationExpression(node) => {
                        self.check_value(node, Some(&Type::String), reader, "the wait duration");
                    }
                    WaitMode::Duration(duration) if duration.value % 1000 != 0 => {
                        self.report(
                            Diagnostic::new(
                                &rules::invalid_duration::RULE,
                                file,
                                duration.span,
                                "a wait duration must be whole seconds",
                            )
                            .with_label(format!("{} ms", duration.value))
                            .with_help(
                                "Conductor's WAIT duration (`1h 30m 10s`) has no milliseconds",
                            ),
                        );
                    }
                    WaitMode::Duration(_) | WaitMode::External => {}
                }
            }
            TaskKind::Human { prompt } => {
                self.check_input_values(task);
                if let Some(prompt) = prompt {
                    self.check_value(prompt, Some(&Type::String), reader, "the prompt");
                }
            }
            TaskKind::Inline { script, .. } => {
                self.check_input_values(task);
                // Conductor resolves `${...}` in the script before running it (it is an input
                // parameter): check the names, then the syntax with the expressions masked.
                if script.as_str().is_some_and(|text| text.contains("${")) {
                    self.check_value(script, None, reader, "the script");
                }
                self.check_javascript(script, crate::javascript::ScriptMode::Program, true);
            }
            TaskKind::Jq { query, .. } => {
                self.check_input_values(task);
                if query.as_str().is_some_and(|text| text.contains("${")) {
                    self.check_value(query, None, reader, "the query");
                }
                self.check_jq(query);
            }
            TaskKind::SetVariable { values } => {
                self.check_input_values(task);
                for (name, value) in values {
                    self.check_value(value, None, reader, &format!("variable `{}`", name.value));
                }
            }
            TaskKind::Terminate {
                status,
                reason,
                result,
            } => {
                self.check_input_values(task);
                // The expression is refused below, but what it reads is still checked and counted.
                if status.as_str().is_some_and(|text| text.contains("${")) {
                    self.check_value(status, None, reader, "the terminate status");
                }
                let literal = status
                    .as_str()
                    .filter(|text| status.as_scalar().is_some_and(|_| !text.contains("${")));
                match literal {
                    Some("COMPLETED" | "FAILED" | "TERMINATED") => {}
                    other => {
                        let mut diagnostic = Diagnostic::new(
                            &rules::terminate_status::RULE,
                            file,
                            status.span,
                            "terminate status must be COMPLETED, FAILED or TERMINATED",
                        );
                        diagnostic = match other.map(str::to_uppercase).as_deref() {
                            Some(upper @ ("COMPLETED" | "FAILED" | "TERMINATED")) => diagnostic
                                .with_label("statuses are upper case")
                                .with_replacement(format!("use `{upper}`"), upper),
                            _ if status.as_str().is_some_and(|text| text.contains("${")) => {
                                diagnostic
                                    .with_label("an expression is rejected at registration")
                                    .with_help("use a switch with one terminate task per status")
                            }
                            _ => diagnostic.with_label(format!(
                                "found `{}`",
                                status.as_str().unwrap_or("a non-string value")
                            )),
                        };
                        self.report(diagnostic);
                    }
                }
                if let Some(optional) = &task.optional
                    && optional.value
                {
                    self.report(
                        Diagnostic::new(
                            &rules::terminate_status::RULE,
                            file,
                            optional.span,
                            "a terminate task cannot be optional",
                        )
                        .with_help("Conductor: \"terminate task cannot be optional\""),
                    );
                }
                if let Some(reason) = reason {
                    self.check_value(
                        reason,
                        Some(&Type::String),
                        reader,
                        "the termination reason",
                    );
                }
                if let Some(result) = result {
                    self.check_value(result, None, reader, "the workflow result");
                }
            }
            TaskKind::Event { sink } => {
                self.check_input_values(task);
                self.check_value(sink, Some(&Type::String), reader, "the event sink");
            }
            TaskKind::Kafka { request } => {
                self.check_input_values(task);
                self.check_value(request, None, reader, "the Kafka request");
                self.check_kafka_servers(request);
                for key in ["headers", "value"] {
                    if let Some(part) = request.get(key) {
                        self.check_secrets(part);
                    }
                }
            }
            TaskKind::Noop => self.check_input_values(task),
            TaskKind::Join { on } | TaskKind::ExclusiveJoin { on, .. } => {
                self.check_input_values(task);
                let mut references: Vec<&Spanned<String>> = on.iter().collect();
                if let TaskKind::ExclusiveJoin { default, .. } = &task.kind {
                    references.extend(default.iter());
                }
                for reference in references {
                    match self.lookup(&reference.value) {
                        Some(target) => {
                            self.flow(reader, target, reference.span, false);
                        }
                        None => self.unknown_task(&reference.value, reference.span),
                    }
                }
            }
            TaskKind::Raw { task_type, fields } => {
                self.check_input_values(task);
                if let Some(task_type) = task_type {
                    if !KNOWN_TASK_TYPES.contains(&task_type.value.as_str()) {
                        let mut diagnostic = Diagnostic::new(
                            &rules::unknown_task_kind::RULE,
                            file,
                            task_type.span,
                            format!("unknown Conductor task type `{}`", task_type.value),
                        );
                        diagnostic = match suggest::closest(
                            &task_type.value,
                            KNOWN_TASK_TYPES.iter().copied(),
                        ) {
                            Some(candidate) => diagnostic
                                .with_label(format!("did you mean `{candidate}`?"))
                                .with_replacement(format!("use `{candidate}`"), candidate),
                            None => diagnostic
                                .with_label("Conductor would queue it for a worker of that name")
                                .with_help("for a worker, write `worker: NAME` with a contract"),
                        };
                        self.report(diagnostic);
                    }
                    let mut sink = Vec::new();
                    crate::registration::check_raw_task(
                        &task_type.value,
                        &task.name.value,
                        fields,
                        task.input.as_ref(),
                        file,
                        &mut sink,
                    );
                    self.diagnostics_extend(sink);
                }
                if let Some(task_type) = task_type {
                    self.check_raw_scripts(&task_type.value, fields);
                }
                // Expressions inside raw fields still create edges and are checked for names.
                if let Some(entries) = fields.as_mapping() {
                    for entry in entries {
                        if !matches!(entry.key.as_str(), Some("type" | "inputParameters")) {
                            self.check_value(&entry.value, None, reader, "a raw field");
                        }
                    }
                    if let Some(input) = fields.get("inputParameters") {
                        self.check_value(input, None, reader, "the raw input");
                    }
                }
            }
            TaskKind::Invalid => self.check_input_values(task),
        }
        if let Some(raw) = &task.raw {
            self.check_value(raw, None, reader, "a raw field");
        }
        if let Some(input) = &task.input {
            self.check_secrets(input);
        }
        if task.permissive == Some(true)
            && task
                .optional
                .as_ref()
                .is_some_and(|optional| optional.value)
        {
            let span = task
                .optional
                .as_ref()
                .map_or(task.kind_span, |optional| optional.span);
            self.report(
                Diagnostic::new(
                    &rules::wrong_value_type::RULE,
                    file,
                    span,
                    "a task is both optional and permissive",
                )
                .with_label("`permissive: true` is set too")
                .with_help("optional wins in Conductor; keep one of the two"),
            );
        }
    }

    /// Scripts and jq programs of a raw task, where Conductor would run them.
    fn check_raw_scripts(&mut self, task_type: &str, fields: &Node) {
        use crate::javascript::ScriptMode;
        let input = fields.get("inputParameters");
        let input_value = |key: &str| input.and_then(|input| input.get(key));
        let is_javascript = |evaluator: Option<&Node>| {
            evaluator
                .and_then(Node::as_str)
                .is_some_and(|evaluator| matches!(evaluator, "javascript" | "graaljs"))
        };
        let script = match task_type {
            // Input parameters are interpolated by Conductor before the script runs.
            "INLINE" if is_javascript(input_value("evaluatorType")) => {
                input_value("expression").map(|node| (node, ScriptMode::Program, true))
            }
            "LAMBDA" => {
                input_value("scriptExpression").map(|node| (node, ScriptMode::FunctionBody, true))
            }
            "SWITCH" if is_javascript(fields.get("evaluatorType")) => fields
                .get("expression")
                .map(|node| (node, ScriptMode::Program, false)),
            "DECISION" => fields
                .get("caseExpression")
                .map(|node| (node, ScriptMode::Program, false)),
            "DO_WHILE" => fields
                .get("loopCondition")
                .map(|node| (node, ScriptMode::Program, false)),
            "JSON_JQ_TRANSFORM" => {
                if let Some(query) = input_value("queryExpression") {
                    self.check_jq(query);
                }
                None
            }
            _ => None,
        };
        if let Some((node, mode, interpolated)) = script {
            self.check_javascript(node, mode, interpolated);
        }
    }

    fn check_input_values(&mut self, task: &Task) {
        if let Some(input) = &task.input {
            self.check_value(input, None, Reader::Task(task.id), "the input");
        }
    }

    /// Checks a task's `input:` against a contract's input object.
    fn check_arguments(
        &mut self,
        task: &Task,
        contract: Option<&ObjectType>,
        what: &str,
        declared_at: Option<(FileId, Span)>,
    ) {
        let reader = Reader::Task(task.id);
        let Some(contract) = contract else {
            if let Some(input) = &task.input {
                self.check_value(input, None, reader, "the input");
            }
            return;
        };
        let entries: &[crate::syntax::Entry] = task
            .input
            .as_ref()
            .and_then(|input| input.as_mapping())
            .unwrap_or(&[]);
        for entry in entries {
            let Some(key) = entry.key.as_str() else {
                continue;
            };
            match contract.field(key) {
                Some(field) => {
                    let expected = Expected {
                        ty: &field.ty,
                        optional: field.optional,
                    };
                    self.check_value_against(
                        &entry.value,
                        Some(expected),
                        reader,
                        &format!("input `{key}` of {what}"),
                    );
                    if let Some(message) = &field.deprecated {
                        let mut diagnostic = Diagnostic::new(
                            &rules::unknown_contract_input::RULE,
                            self.file,
                            entry.key.span,
                            format!("input `{key}` is deprecated"),
                        )
                        .with_label(message.clone())
                        .with_tag(crate::diagnostic::DiagnosticTag::Deprecated);
                        // Still declared and still working: a warning, not an error.
                        diagnostic.severity = crate::diagnostic::Severity::Warning;
                        self.report(diagnostic);
                    }
                }
                None => {
                    self.check_value(&entry.value, None, reader, "the input");
                    if contract.open {
                        continue;
                    }
                    let mut diagnostic = Diagnostic::new(
                        &rules::unknown_contract_input::RULE,
                        self.file,
                        entry.key.span,
                        format!("{what} has no input `{key}`"),
                    );
                    diagnostic = match suggest::closest(
                        key,
                        contract.fields.iter().map(|field| field.name.as_str()),
                    ) {
                        Some(candidate) => diagnostic
                            .with_label(format!("did you mean `{candidate}`?"))
                            .with_replacement(format!("rename to `{candidate}`"), candidate),
                        None if what.starts_with("workflow") => {
                            diagnostic.with_label("not one of its `inputs`")
                        }
                        None => diagnostic.with_label("not declared by the contract"),
                    };
                    if let Some((file, span)) = declared_at
                        && span != Span::empty_at(0)
                    {
                        diagnostic =
                            diagnostic.with_secondary(file, span, "contract declared here");
                    }
                    self.report(diagnostic);
                }
            }
        }
        // A misspelled input (`custmer_id`) was reported with a did-you-mean; the input it stands
        // for is not missing as well.
        let misspelled: Vec<&str> = entries
            .iter()
            .filter_map(|entry| entry.key.as_str())
            .filter(|key| contract.field(key).is_none())
            .filter_map(|key| {
                suggest::closest(key, contract.fields.iter().map(|field| field.name.as_str()))
            })
            .collect();
        let missing: Vec<&Field> = contract
            .fields
            .iter()
            .filter(|field| {
                !field.optional
                    && !misspelled.contains(&field.name.as_str())
                    && !entries
                        .iter()
                        .any(|entry| entry.key.as_str() == Some(field.name.as_str()))
            })
            .collect();
        if !missing.is_empty() {
            let names: Vec<String> = missing
                .iter()
                .map(|field| format!("`{}`", field.name))
                .collect();
            // The input mapping when it fits on one line, otherwise the kind key: underlining a
            // whole block of inputs says less than pointing at what is called.
            let span = task
                .input
                .as_ref()
                .filter(|input| {
                    !entries.is_empty()
                        && !self
                            .source
                            .get(input.span.range())
                            .is_some_and(|text| text.contains('\n'))
                })
                .map_or(task.kind_span, |input| input.span);
            let mut diagnostic = Diagnostic::new(
                &rules::missing_contract_input::RULE,
                self.file,
                span,
                format!(
                    "missing required input{} for {what}",
                    if missing.len() > 1 { "s" } else { "" }
                ),
            )
            .with_label(format!("{} not provided", names.join(", ")));
            for field in &missing {
                if field.span != Span::default() {
                    diagnostic = diagnostic.with_secondary(
                        field.file,
                        field.span,
                        format!("`{}: {}` declared here", field.name, field.ty),
                    );
                }
            }
            diagnostic = diagnostic.with_fix(self.missing_input_fix(task, &missing));
            self.report(diagnostic);
        }
    }

    /// A fix inserting placeholders for missing inputs (unsafe: the values are placeholders).
    fn missing_input_fix(&self, task: &Task, missing: &[&Field]) -> Fix {
        let pairs: Vec<String> = missing
            .iter()
            .map(|field| format!("{}: {}", field.name, placeholder(&field.ty)))
            .collect();
        let entries = task
            .input
            .as_ref()
            .and_then(|input| input.as_mapping())
            .unwrap_or(&[]);
        let edit = match (task.input.as_ref(), entries.first(), entries.last()) {
            (Some(input), Some(first), Some(last)) => {
                let is_flow = input.span.start < first.key.span.start;
                let replacement = if is_flow {
                    format!(", {}", pairs.join(", "))
                } else {
                    let indent = self.column_of(first.key.span.start as usize);
                    pairs
                        .iter()
                        .map(|pair| format!("\n{}{pair}", " ".repeat(indent)))
                        .collect()
                };
                Edit {
                    file: self.file,
                    span: Span::empty_at(last.value.span.end as usize),
                    replacement,
                }
            }
            // `input: {}`: fill the empty mapping rather than add a second `input:` key.
            (Some(input), None, None) if input.as_mapping().is_some() => Edit {
                file: self.file,
                span: input.span,
                replacement: format!("{{{}}}", pairs.join(", ")),
            },
            _ => {
                let indent = self.column_of(task.kind_span.start as usize);
                Edit {
                    file: self.file,
                    span: Span::empty_at(task.kind_span.start as usize),
                    replacement: format!("input: {{{}}}\n{}", pairs.join(", "), " ".repeat(indent)),
                }
            }
        };
        Fix {
            message: "add the missing inputs".into(),
            applicability: Applicability::Unsafe,
            edits: vec![edit],
        }
    }

    /// 0-based column of an offset (the checker gets the text through the workflow's nodes).
    fn column_of(&self, offset: usize) -> usize {
        let offset = crate::source::clamp_to_char_boundary(self.source, offset);
        offset
            - self.source[..offset]
                .rfind('\n')
                .map_or(0, |newline| newline + 1)
    }

    fn check_http(&mut self, request: &Node, reader: Reader) {
        let file = self.file;
        let url_node = match request.as_mapping() {
            Some(_) => request.get("url").or_else(|| request.get("uri")),
            None => Some(request),
        };
        if let Some(url) = url_node {
            self.check_value(url, Some(&Type::String), reader, "the URL");
            if let Some(text) = url.as_str()
                && let Some(rest) = text.strip_prefix("http://")
            {
                // `[::1]:8080` keeps its brackets; other hosts end at a port, path or query.
                let host = match rest.find(']') {
                    Some(end) if rest.starts_with('[') => &rest[..=end],
                    _ => rest.split(['/', ':', '?']).next().unwrap_or_default(),
                };
                if !matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0")
                    && !host.ends_with(".localhost")
                    && !host.starts_with("${")
                {
                    let scheme_span = url
                        .as_scalar()
                        .map_or(url.span, |scalar| scalar.map.source_span(0, 7));
                    self.report(
                        Diagnostic::new(
                            &rules::insecure_endpoint::RULE,
                            file,
                            scheme_span,
                            "endpoint does not use TLS",
                        )
                        .with_label(format!("`{host}` over plain http"))
                        .with_help("use `https://`: plain http can be read and altered on the way")
                        .with_replacement("use https", "https://"),
                    );
                }
            }
        }
        if let Some(entries) = request.as_mapping() {
            for entry in entries {
                match entry.key.as_str() {
                    Some("url" | "uri") => {}
                    Some("headers") => {
                        self.check_value(&entry.value, None, reader, "the headers");
                        self.check_secrets(&entry.value);
                    }
                    Some("body") => {
                        self.check_value(&entry.value, None, reader, "the body");
                        self.check_secrets(&entry.value);
                    }
                    _ => self.check_value(&entry.value, None, reader, "the request"),
                }
            }
        }
    }

    /// WF070: credential-like keys with literal values.
    fn check_secrets(&mut self, node: &Node) {
        let Some(entries) = node.as_mapping() else {
            return;
        };
        for entry in entries {
            let Some(key) = entry.key.as_str() else {
                continue;
            };
            // Only text can be a credential: numbers (`max_tokens: 500`) and booleans cannot.
            let is_text = matches!(entry.value.plain_value(), Some(PlainValue::String))
                && !matches!(
                    entry.value.as_str().map(crate::syntax::resolve_plain),
                    Some(PlainValue::Int(_) | PlainValue::Float(_) | PlainValue::Bool(_))
                );
            if let Some(value) = entry.value.as_str().filter(|_| is_text) {
                let literal = !value.contains("${") && !value.trim().is_empty();
                let bearer_literal = value.starts_with("Bearer ") && !value.contains("${");
                if literal && (looks_like_secret_name(key) || bearer_literal) {
                    self.report(
                        Diagnostic::new(
                            &rules::plaintext_secret::RULE,
                            self.file,
                            entry.value.span,
                            format!("`{key}` holds a secret in plain text"),
                        )
                        .with_label("visible to anyone who can read the definition")
                        .with_help(format!(
                            "use `${{workflow.secrets.{}}}` or a workflow input",
                            secret_name_for(key)
                        )),
                    );
                }
            } else if entry.value.as_mapping().is_some() {
                self.check_secrets(&entry.value);
            }
        }
    }

    /// WF071 for KAFKA_PUBLISH: Conductor OSS has no TLS (or SASL) settings for it, so every
    /// broker that is not on this machine is reached in clear text.
    fn check_kafka_servers(&mut self, request: &Node) {
        let Some(servers) = request.get("servers") else {
            return;
        };
        let Some(text) = servers.as_str() else {
            return;
        };
        if text.contains("${") {
            return;
        }
        let remote: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|server| !server.is_empty())
            .filter(|server| {
                let without_scheme = server.split("://").last().unwrap_or(server);
                let host = without_scheme
                    .rsplit_once(':')
                    .map_or(without_scheme, |(host, _)| host);
                !matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
                    && !host.ends_with(".localhost")
            })
            .collect();
        let Some(first) = remote.first() else {
            return;
        };
        let label = if remote.len() == 1 {
            format!("`{first}` is reached without TLS")
        } else {
            format!(
                "`{first}` and {} more are reached without TLS",
                remote.len() - 1
            )
        };
        self.report(
            Diagnostic::new(
                &rules::insecure_endpoint::RULE,
                self.file,
                servers.span,
                "Kafka brokers are reached without TLS",
            )
            .with_label(label)
            .with_help("Conductor's KAFKA_PUBLISH has no TLS or SASL settings; keep the brokers on a private network and silence this with `# wfc: ignore[insecure-endpoint]`, or publish through an HTTPS endpoint"),
        );
    }

    fn check_switch(
        &mut self,
        task: &Task,
        selector_type: &Type,
        cases: &[SwitchCase],
        default: Option<&Vec<TaskId>>,
    ) {
        let file = self.file;
        // A switch without cases is reported by the lowering (missing or empty `cases`).
        if cases.is_empty() {
            return;
        }
        let mut possible: Option<Vec<String>> = match selector_type.required().structure() {
            Type::Bool => Some(vec!["true".into(), "false".into()]),
            Type::Enum(values) => Some(values.clone()),
            _ => None,
        };
        // An absent value is compared as the string `null`.
        if selector_type.is_optional()
            && let Some(possible) = &mut possible
        {
            possible.push("null".into());
        }
        if let Some(possible) = &possible {
            for case in cases {
                if !possible.contains(&case.value.value) {
                    let mut diagnostic = Diagnostic::new(
                        &rules::unreachable_task::RULE,
                        file,
                        case.value.span,
                        format!("case `{}` can never be selected", case.value.value),
                    )
                    .with_label(format!("the switch value is `{selector_type}`"));
                    if let Some(candidate) =
                        suggest::closest(&case.value.value, possible.iter().map(String::as_str))
                    {
                        diagnostic = diagnostic.with_help(format!("did you mean `{candidate}`?"));
                    } else {
                        diagnostic = diagnostic.with_help(format!(
                            "the possible values are {}",
                            suggest::quoted_list(possible)
                        ));
                    }
                    self.report(diagnostic);
                }
            }
        }
        if default.is_none() {
            let exhaustive = possible.as_ref().is_some_and(|possible| {
                possible
                    .iter()
                    .all(|value| cases.iter().any(|case| &case.value.value == value))
            });
            if !exhaustive {
                let unhandled: Vec<String> = possible
                    .iter()
                    .flatten()
                    .filter(|value| !cases.iter().any(|case| &case.value.value == *value))
                    .map(|value| format!("`{value}`"))
                    .collect();
                let label = if unhandled.is_empty() {
                    "a value matching no case does nothing".to_string()
                } else {
                    let absent = if unhandled.iter().any(|value| value == "`null`") {
                        " (an absent value is compared as `null`)"
                    } else {
                        ""
                    };
                    format!("no case for {}{absent}", unhandled.join(", "))
                };
                self.report(
                    Diagnostic::new(
                        &rules::switch_without_default::RULE,
                        file,
                        task.kind_span,
                        "switch has no default branch",
                    )
                    .with_label(label)
                    .with_help("add `default:` (an empty `default: {}` states the intent)"),
                );
            }
        }
    }

    /// `interpolated`: Conductor substitutes `${...}` in the script first (INLINE and LAMBDA
    /// scripts are input parameters; SWITCH expressions and loop conditions are not).
    fn check_javascript(
        &mut self,
        node: &Node,
        mode: crate::javascript::ScriptMode,
        interpolated: bool,
    ) {
        let Some(scalar) = node.as_scalar() else {
            return;
        };
        let key = (mode, interpolated, scalar.value.clone());
        let result = match self.javascript_results.get(&key) {
            Some(result) => result.clone(),
            None => {
                let result = if interpolated {
                    crate::javascript::check_interpolated_syntax(&scalar.value, mode)
                } else {
                    crate::javascript::check_syntax(&scalar.value, mode)
                };
                self.javascript_results.insert(key, result.clone());
                result
            }
        };
        if let Err(error) = result {
            let start = crate::source::clamp_to_char_boundary(&scalar.value, error.offset);
            let end = next_boundary(&scalar.value, start);
            let span = scalar.map.source_span(start, end);
            // QuickJS names the token it stopped at; at the end of the script that is nothing.
            let label = match error.message.strip_suffix(": ''") {
                Some(_) if start >= scalar.value.trim_end().len() => {
                    "unexpected end of the script".to_string()
                }
                _ => error.message.clone(),
            };
            let mut diagnostic = Diagnostic::new(
                &rules::javascript_syntax::RULE,
                self.file,
                span,
                "JavaScript syntax error",
            )
            .with_label(label);
            if error.message.contains("return not in a function") {
                diagnostic = diagnostic.with_help(
                    "the value is the last expression; for `return`, wrap the body in `(function () { … })()`",
                );
            }
            self.report(diagnostic);
        }
    }

    fn check_jq(&mut self, node: &Node) {
        let Some(scalar) = node.as_scalar() else {
            return;
        };
        let result = match self.jq_results.get(scalar.value.as_str()) {
            Some(result) => result.clone(),
            None => {
                let result = crate::jq::check_syntax(&scalar.value);
                self.jq_results.insert(scalar.value.clone(), result.clone());
                result
            }
        };
        if let Err(error) = result {
            let start = crate::source::clamp_to_char_boundary(&scalar.value, error.range.start);
            let end =
                crate::source::clamp_to_char_boundary(&scalar.value, error.range.end.max(start));
            let end = if end == start {
                next_boundary(&scalar.value, start)
            } else {
                end
            };
            let span = scalar.map.source_span(start, end);
            self.report(
                Diagnostic::new(&rules::jq_syntax::RULE, self.file, span, "jq syntax error")
                    .with_label(error.message),
            );
        }
    }

    fn unknown_worker(&mut self, name: &Spanned<String>) {
        let mut diagnostic = Diagnostic::new(
            &rules::unknown_worker::RULE,
            self.file,
            name.span,
            format!("unknown worker `{}`", name.value),
        );
        diagnostic =
            match suggest::closest(&name.value, self.scope.workers.keys().map(String::as_str)) {
                Some(candidate) => diagnostic
                    .with_label(format!("did you mean `{candidate}`?"))
                    .with_replacement(format!("use `{candidate}`"), candidate),
                None => diagnostic
                    .with_label("no contract declares it")
                    .with_help("declare it under `workers:` or import the contract file that does"),
            };
        self.report(diagnostic);
    }

    fn sub_workflow(&mut self, target: &WorkflowTarget) -> Option<&'workflow WorkflowSignature> {
        let scope = self.scope;
        if let Some(signature) = scope.workflows.get(&target.name.value) {
            return Some(signature.as_ref());
        }
        // A path the project could not read was reported when it was read.
        let is_path = target.name.value.ends_with(".yaml") || target.name.value.ends_with(".yml");
        if target.external || is_path {
            return None;
        }
        let mut diagnostic = Diagnostic::new(
            &rules::unknown_sub_workflow::RULE,
            self.file,
            target.name.span,
            format!("unknown workflow `{}`", target.name.value),
        );
        let names = scope
            .workflows
            .keys()
            .map(String::as_str)
            .filter(|name| !name.ends_with(".yaml") && !name.ends_with(".yml"));
        diagnostic = match suggest::closest(&target.name.value, names) {
            Some(candidate) => diagnostic.with_label(format!("did you mean `{candidate}`?")).with_replacement(format!("use `{candidate}`"), candidate),
            None => diagnostic
                .with_label("not a workflow of this project")
                .with_help("check the name or path; for a workflow registered on the server by other means add `external: true` and `version:`"),
        };
        self.report(diagnostic);
        None
    }

    /// The task a reference name designates (a raw task for names nested in its JSON).
    fn lookup(&self, name: &str) -> Option<TaskId> {
        self.by_name
            .get(name)
            .copied()
            .or_else(|| self.raw_refs.get(name).copied())
    }

    fn unknown_task(&mut self, name: &str, span: Span) {
        let mut diagnostic = Diagnostic::new(
            &rules::unknown_task_reference::RULE,
            self.file,
            span,
            format!("unknown task `{name}`"),
        );
        diagnostic = match suggest::closest(
            name,
            self.by_name
                .keys()
                .copied()
                .chain(self.raw_refs.keys().map(String::as_str)),
        ) {
            Some(candidate) => diagnostic
                .with_label(format!("did you mean `{candidate}`?"))
                .with_replacement(format!("use `{candidate}`"), candidate),
            None => diagnostic.with_label("no task has this reference name"),
        };
        self.report(diagnostic);
    }

    // ----- values and expressions ------------------------------------------------------------

    /// Checks a value against an expected type (or only resolves its expressions if `None`).
    fn check_value(&mut self, node: &Node, expected: Option<&Type>, reader: Reader, what: &str) {
        let expected = expected.map(|ty| Expected {
            ty,
            optional: false,
        });
        self.check_value_against(node, expected, reader, what);
    }

    /// [`WorkflowChecker::check_value`] with the expected type borrowed and possibly marked
    /// optional: a contract's types are read, never cloned, for every value checked against them.
    fn check_value_against(
        &mut self,
        node: &Node,
        expected: Option<Expected<'_>>,
        reader: Reader,
        what: &str,
    ) {
        let mut pending: Vec<(&Node, Option<Expected<'_>>, String)> =
            vec![(node, expected, String::new())];
        while let Some((node, expected, path)) = pending.pop() {
            // `T?` and `T` have the same structure.
            let expected_structure = expected.map(|expected| expected.ty.required().structure());
            match &node.kind {
                NodeKind::Scalar(scalar) => {
                    let found = self.scalar_type(node, scalar, reader, true);
                    let Some(expected) = expected else { continue };
                    if let ScalarValue::Literal(text) = &found
                        && let Some(Type::Enum(values)) = expected_structure
                    {
                        if !values.contains(text) {
                            let mut diagnostic = Diagnostic::new(
                                &rules::type_mismatch::RULE,
                                self.file,
                                node.span,
                                format!("invalid value for {}", with_path(what, &path)),
                            )
                            .with_label(format!(
                                "`{text}` is not one of {}",
                                suggest::quoted_list(values)
                            ));
                            if let Some(candidate) =
                                suggest::closest(text, values.iter().map(String::as_str))
                            {
                                diagnostic = diagnostic
                                    .with_help(format!("did you mean `{candidate}`?"))
                                    .with_replacement(format!("use `{candidate}`"), candidate);
                            }
                            self.report(diagnostic);
                        }
                        continue;
                    }
                    let found_type = found.into_type();
                    if let Err(mismatch) = expected.assignable_from(&found_type) {
                        let context = with_path(what, &path);
                        let expected = expected.to_type();
                        self.report_mismatch(
                            reader,
                            node.span,
                            Some(node),
                            &mismatch,
                            &found_type,
                            &expected,
                            &context,
                            None,
                        );
                    }
                }
                NodeKind::Sequence(items) => match expected_structure {
                    Some(Type::List(item)) => {
                        for (index, element) in items.iter().enumerate() {
                            pending.push((
                                element,
                                Some(Expected::required(item)),
                                format!("{path}[{index}]"),
                            ));
                        }
                    }
                    Some(Type::Any | Type::Error | Type::Unresolved(..)) | None => {
                        for element in items {
                            pending.push((element, None, path.clone()));
                        }
                    }
                    Some(_) => {
                        if let Some(expected) = expected {
                            self.report_collection_mismatch(
                                reader,
                                node,
                                &expected.to_type(),
                                &with_path(what, &path),
                            );
                        }
                        for element in items {
                            pending.push((element, None, path.clone()));
                        }
                    }
                },
                NodeKind::Mapping(entries) => match expected_structure {
                    Some(Type::Object(object)) => {
                        for entry in entries {
                            let key = entry.key.as_str().unwrap_or_default();
                            let field = object.field(key);
                            let field_type = field.map(|field| Expected {
                                ty: &field.ty,
                                optional: field.optional,
                            });
                            pending.push((&entry.value, field_type, format!("{path}.{key}")));
                        }
                        for field in &object.fields {
                            if !field.optional
                                && !entries
                                    .iter()
                                    .any(|entry| entry.key.as_str() == Some(field.name.as_str()))
                            {
                                self.report(
                                    Diagnostic::new(
                                        &rules::missing_contract_input::RULE,
                                        self.file,
                                        node.span,
                                        format!(
                                            "missing field `{}` in {}",
                                            field.name,
                                            with_path(what, &path)
                                        ),
                                    )
                                    .with_label(format!(
                                        "`{}: {}` is required",
                                        field.name, field.ty
                                    )),
                                );
                            }
                        }
                    }
                    Some(Type::Map(value_type)) => {
                        for entry in entries {
                            let key = entry.key.as_str().unwrap_or_default();
                            pending.push((
                                &entry.value,
                                Some(Expected::required(value_type)),
                                format!("{path}.{key}"),
                            ));
                        }
                    }
                    Some(Type::Any | Type::Error | Type::Unresolved(..)) | None => {
                        for entry in entries {
                            pending.push((&entry.value, None, path.clone()));
                        }
                    }
                    Some(_) => {
                        if let Some(expected) = expected {
                            self.report_collection_mismatch(
                                reader,
                                node,
                                &expected.to_type(),
                                &with_path(what, &path),
                            );
                        }
                        for entry in entries {
                            pending.push((&entry.value, None, path.clone()));
                        }
                    }
                },
            }
        }
    }

    /// Why a single-expression value may be absent, as a secondary label: the task it reads runs
    /// only in a switch case or an items loop, or the input or contract field it reads is
    /// optional.
    fn absence_reason(&self, node: &Node, reader: Reader) -> Option<(FileId, Span, String)> {
        let scalar = node.as_scalar()?;
        let template = expression::scan(&scalar.value);
        let expression = template.single_expression()?;
        let path = expression.path.as_ref().ok()?;
        let workflow = self.workflow;
        match &path.root {
            Root::Task(name, _) => {
                let target = self.lookup(name)?;
                let chain = workflow.ancestors(target);
                let skip = match reader {
                    Reader::Task(reader_task) => {
                        let reader_chain = workflow.ancestors(reader_task);
                        reader_chain
                            .iter()
                            .zip(&chain)
                            .take_while(|(left, right)| left == right)
                            .count()
                            + 1
                    }
                    _ => 0,
                };
                for (container, _) in chain.iter().skip(skip) {
                    let Container::Task { task, slot } = container else {
                        continue;
                    };
                    let holder = workflow.task(*task);
                    match &holder.kind {
                        TaskKind::Switch { cases, .. } => {
                            let case = cases
                                .get(*slot as usize)
                                .map_or("default".to_string(), |case| {
                                    format!("case `{}`", case.value.value)
                                });
                            return Some((
                                self.file,
                                workflow.task(target).name.span,
                                format!(
                                    "`{name}` runs only in {case} of switch `{}`",
                                    holder.name.value
                                ),
                            ));
                        }
                        TaskKind::Loop { items: Some(_), .. } => {
                            return Some((
                                self.file,
                                workflow.task(target).name.span,
                                format!(
                                    "`{name}` is in loop `{}`, which runs zero times over an empty list",
                                    holder.name.value
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
                // An optional field of a worker's output (one level deep).
                let TaskKind::Worker { name: worker } = &workflow.task(target).kind else {
                    return None;
                };
                let output = &self.scope.workers.get(&worker.value)?.output;
                let [
                    Segment::Field { name: first, .. },
                    Segment::Field { name: field, .. },
                    ..,
                ] = path.segments.as_slice()
                else {
                    return None;
                };
                if first != "output" {
                    return None;
                }
                let declared = output.field(field)?;
                (declared.optional && declared.span != Span::default()).then(|| {
                    (
                        declared.file,
                        declared.span,
                        format!("`{field}` is optional in the output of `{}`", worker.value),
                    )
                })
            }
            Root::Workflow => {
                let [
                    Segment::Field { name: first, .. },
                    Segment::Field { name: input, .. },
                    ..,
                ] = path.segments.as_slice()
                else {
                    return None;
                };
                if first != "input" {
                    return None;
                }
                let declared = self.inputs.field(input)?;
                (declared.optional && !declared.has_default()).then(|| {
                    (
                        declared.file,
                        declared.span,
                        format!("input `{input}` is optional"),
                    )
                })
            }
            _ => None,
        }
    }

    /// A literal list or mapping where the expected type is something else.
    fn report_collection_mismatch(
        &mut self,
        reader: Reader,
        node: &Node,
        expected: &Type,
        context: &str,
    ) {
        let found = literal_type(node);
        let mismatch = Mismatch::Incompatible {
            path: String::new(),
            found: found.clone(),
            expected: expected.clone(),
        };
        self.report_mismatch(
            reader,
            node.span,
            Some(node),
            &mismatch,
            &found,
            expected,
            context,
            None,
        );
    }

    /// Reports a value of type `found` used where `expected` is required. `node` is the value as
    /// written (for hints about quoting); `help` replaces the generic hints.
    #[allow(clippy::too_many_arguments)]
    fn report_mismatch(
        &mut self,
        reader: Reader,
        span: Span,
        node: Option<&Node>,
        mismatch: &Mismatch,
        found: &Type,
        expected: &Type,
        context: &str,
        help: Option<String>,
    ) {
        let diagnostic = match mismatch {
            Mismatch::Optional => {
                let mut diagnostic = Diagnostic::new(&rules::optional_value::RULE, self.file, span, format!("{context} may be absent"))
                    .with_label(format!("`{found}` may be null, `{expected}` is required"))
                    .with_help(help.unwrap_or_else(|| "read a value that is always present, or make the receiving field optional or give it a default".to_string()));
                if let Some((file, reason_span, reason)) =
                    node.and_then(|node| self.absence_reason(node, reader))
                {
                    diagnostic = diagnostic.with_secondary(file, reason_span, reason);
                }
                diagnostic
            }
            Mismatch::Incompatible {
                path,
                found: inner_found,
                expected: inner_expected,
            } => {
                let label = if path.is_empty() {
                    format!("expected `{expected}`, found `{found}`")
                } else if *inner_found == Type::Null {
                    format!("at `{path}`: expected `{inner_expected}`, found nothing")
                } else {
                    format!("at `{path}`: expected `{inner_expected}`, found `{inner_found}`")
                };
                let mut diagnostic = Diagnostic::new(
                    &rules::type_mismatch::RULE,
                    self.file,
                    span,
                    format!("type mismatch in {context}"),
                )
                .with_label(label);
                let wants_scalar = matches!(
                    expected.required().structure(),
                    Type::Int | Type::Number | Type::Bool
                );
                let scalar = node.and_then(Node::as_scalar);
                let hint = if let Some(help) = help {
                    Some(help)
                } else if wants_scalar
                    && scalar.is_some_and(|scalar| {
                        scalar.style.is_quoted()
                            && !scalar.value.contains("${")
                            && !matches!(
                                crate::syntax::resolve_plain(&scalar.value),
                                PlainValue::String | PlainValue::Null
                            )
                    })
                {
                    Some("a quoted YAML value is a string; remove the quotes".to_string())
                } else if wants_scalar
                    && scalar.is_some_and(|scalar| {
                        scalar.value.contains("${")
                            && !expression::scan(&scalar.value).is_single_expression()
                    })
                {
                    Some("text around a `${...}` expression makes the value a string".to_string())
                } else {
                    None
                };
                if let Some(hint) = hint {
                    diagnostic = diagnostic.with_help(hint);
                }
                diagnostic
            }
        };
        self.report(diagnostic);
    }

    /// The type of a value without an expected type (resolving its expressions).
    fn infer_value(&mut self, node: &Node, reader: Reader, report_names: bool) -> Type {
        match &node.kind {
            NodeKind::Scalar(scalar) => self
                .scalar_type(node, scalar, reader, report_names)
                .into_type(),
            NodeKind::Sequence(items) => {
                let mut item_type: Option<Type> = None;
                for item in items {
                    let ty = self.infer_value(item, reader, report_names);
                    item_type = Some(match item_type {
                        None => ty,
                        Some(previous) if assignable(&ty, &previous).is_ok() => previous,
                        Some(previous) if assignable(&previous, &ty).is_ok() => ty,
                        Some(_) => Type::Any,
                    });
                }
                Type::List(Box::new(item_type.unwrap_or(Type::Any)))
            }
            NodeKind::Mapping(entries) => {
                let fields = entries
                    .iter()
                    .map(|entry| {
                        let ty = self.infer_value(&entry.value, reader, report_names);
                        Field {
                            name: entry.key.as_str().unwrap_or_default().to_string(),
                            optional: ty.is_optional(),
                            ty,
                            default: None,
                            description: None,
                            deprecated: None,
                            file: self.file,
                            span: entry.key.span,
                        }
                    })
                    .collect();
                Type::Object(ObjectType::closed(fields))
            }
        }
    }

    fn scalar_type(
        &mut self,
        node: &Node,
        scalar: &Scalar,
        reader: Reader,
        report: bool,
    ) -> ScalarValue {
        if scalar.style == crate::syntax::Style::Plain {
            match node.plain_value() {
                Some(PlainValue::Null) => return ScalarValue::Type(Type::Null),
                Some(PlainValue::Bool(_)) => return ScalarValue::Type(Type::Bool),
                Some(PlainValue::Int(_)) => return ScalarValue::Type(Type::Int),
                Some(PlainValue::Float(_)) => return ScalarValue::Type(Type::Number),
                _ => {}
            }
        }
        if !scalar.value.contains("${") {
            return ScalarValue::Literal(scalar.value.replace("$${", "${"));
        }
        let template = expression::scan(&scalar.value);
        let single = template.is_single_expression();
        let reporting = self.reporting;
        self.reporting = reporting && report;
        let mut single_type = Type::Any;
        for piece in &template.pieces {
            let expression::Piece::Expression(expression) = piece else {
                continue;
            };
            let ty = self.expression_type(expression, scalar, reader);
            if single {
                single_type = ty;
            }
        }
        self.reporting = reporting;
        if single {
            ScalarValue::Type(single_type)
        } else {
            ScalarValue::Type(Type::String)
        }
    }

    /// Resolves one `${...}` expression to a type, reporting name and field errors.
    fn expression_type(
        &mut self,
        expression: &expression::Expression,
        scalar: &Scalar,
        reader: Reader,
    ) -> Type {
        let span_of =
            |range: &std::ops::Range<usize>| scalar.map.source_span(range.start, range.end);
        let path = match &expression.path {
            Ok(path) => path,
            Err(error) => {
                // What a malformed expression reads is unknown: stay quiet about unused values.
                self.opaque_reads = true;
                let mut diagnostic = Diagnostic::new(
                    &rules::invalid_expression::RULE,
                    self.file,
                    span_of(&error.range),
                    "invalid expression",
                )
                .with_label(error.message.clone());
                // Escaping only helps when the `${` was not meant as an expression.
                if error.message.contains("never closed") || error.message.contains("empty") {
                    diagnostic = diagnostic.with_help("write `$${` for a literal `${`");
                }
                self.report(diagnostic);
                return Type::Error;
            }
        };
        for nested in &expression.nested {
            self.expression_type(nested, scalar, reader);
        }
        let segments = &path.segments;
        match &path.root {
            Root::Document | Root::Dynamic => Type::Any,
            Root::Workflow => {
                let Some(first) = segments.first() else {
                    return Type::Any;
                };
                let SegmentKind::Field(name) = kind_of(first) else {
                    return Type::Any;
                };
                let rest = &segments[1..];
                match name {
                    "input" => {
                        match rest.first().map(kind_of) {
                            Some(SegmentKind::Field(input)) => {
                                self.used_inputs.insert(input.to_string());
                                if self.inputs.field(input).is_none() && !self.inputs.open {
                                    let mut diagnostic = Diagnostic::new(
                                        &rules::unknown_input::RULE,
                                        self.file,
                                        span_of(&rest[0].range()),
                                        format!("unknown workflow input `{input}`"),
                                    );
                                    let suggestion = suggest::closest(
                                        input,
                                        self.inputs.fields.iter().map(|field| field.name.as_str()),
                                    )
                                    .map(str::to_string);
                                    // The misspelled input is the one meant: do not also call
                                    // it unused.
                                    if let Some(candidate) = &suggestion {
                                        self.used_inputs.insert(candidate.clone());
                                    }
                                    diagnostic = match suggestion.as_deref() {
                                        Some(candidate) => diagnostic
                                            .with_label(format!("did you mean `{candidate}`?"))
                                            .with_replacement(
                                                format!("use `{candidate}`"),
                                                candidate,
                                            ),
                                        None => diagnostic
                                            .with_label("not declared under `inputs:`")
                                            .with_help(format!(
                                                "declare it: `inputs: {{{input}: TYPE}}`"
                                            )),
                                    };
                                    self.report(diagnostic);
                                    return Type::Error;
                                }
                            }
                            _ => self.all_inputs_used = true,
                        }
                        // Taken, not cloned, like the variables below.
                        let inputs = Type::Object(std::mem::take(&mut self.inputs));
                        let ty = self.follow(&inputs, rest, ("workflow", "input"), &span_of);
                        if let Type::Object(inputs) = inputs {
                            self.inputs = inputs;
                        }
                        ty
                    }
                    "variables" => {
                        if let Some(SegmentKind::Field(variable)) = rest.first().map(kind_of) {
                            self.used_variables.insert(variable.to_string());
                            if let Some(&position) = self.variable_positions.get(variable) {
                                // Variables are never optional: the rest of the path is
                                // followed from the variable's type as from the whole object.
                                let variables = std::mem::take(&mut self.variables);
                                let prefix = format!("variables.{variable}");
                                let ty =
                                    variables.fields.get(position).map_or(Type::Any, |field| {
                                        self.follow(
                                            &field.ty,
                                            &rest[1..],
                                            ("workflow", &prefix),
                                            &span_of,
                                        )
                                    });
                                self.variables = variables;
                                return ty;
                            } else {
                                let mut diagnostic = Diagnostic::new(
                                    &rules::unknown_variable::RULE,
                                    self.file,
                                    span_of(&rest[0].range()),
                                    format!("unknown workflow variable `{variable}`"),
                                );
                                let suggestion = suggest::closest(
                                    variable,
                                    self.variables
                                        .fields
                                        .iter()
                                        .map(|field| field.name.as_str()),
                                )
                                .map(str::to_string);
                                if let Some(candidate) = &suggestion {
                                    self.used_variables.insert(candidate.clone());
                                }
                                diagnostic = match suggestion.as_deref() {
                                    Some(candidate) => diagnostic.with_label(format!("did you mean `{candidate}`?")).with_replacement(format!("use `{candidate}`"), candidate),
                                    None => diagnostic.with_label("never set").with_help("set it with a `set:` task or declare it under `variables:`"),
                                };
                                self.report(diagnostic);
                                return Type::Error;
                            }
                        } else {
                            self.used_variables.extend(
                                self.variables.fields.iter().map(|field| field.name.clone()),
                            );
                        }
                        // Taken, not cloned: a workflow can set thousands of variables and
                        // read each of them.
                        let variables = Type::Object(std::mem::take(&mut self.variables));
                        // A variable may not be set yet when it is read.
                        let ty = self.follow(&variables, rest, ("workflow", "variables"), &span_of);
                        if let Type::Object(variables) = variables {
                            self.variables = variables;
                        }
                        ty
                    }
                    "output" => {
                        let outputs = self.outputs.clone();
                        self.follow(&outputs, rest, ("workflow", "output"), &span_of)
                    }
                    "secrets" | "env" => {
                        if rest.is_empty() {
                            Type::Map(Box::new(Type::String))
                        } else {
                            Type::String
                        }
                    }
                    other => match workflow_metadata_type(other) {
                        Some(ty) => self.follow(&ty, rest, ("workflow", other), &span_of),
                        None => {
                            let diagnostic = unknown_field(
                                Diagnostic::new(
                                    &rules::unknown_field::RULE,
                                    self.file,
                                    span_of(&first.range()),
                                    format!("`workflow` has no field `{other}`"),
                                ),
                                other,
                                WORKFLOW_FIELDS,
                                |diagnostic| {
                                    diagnostic.with_label("not a workflow field").with_help(
                                        format!("fields: {}", WORKFLOW_FIELDS.join(", ")),
                                    )
                                },
                            );
                            self.report(diagnostic);
                            Type::Error
                        }
                    },
                }
            }
            Root::Environment(name) => {
                if ENVIRONMENT_NAMES.contains(&name.as_str()) {
                    return Type::String;
                }
                match self.lookup(name) {
                    Some(target) => {
                        self.flow(reader, target, span_of(&expression.inner), true);
                        Type::Any
                    }
                    None => {
                        let span = span_of(&expression.inner);
                        let mut diagnostic = Diagnostic::new(
                            &rules::unknown_task_reference::RULE,
                            self.file,
                            span,
                            format!("unknown name `{name}`"),
                        );
                        diagnostic = match suggest::closest(name, self.by_name.keys().copied().chain(["workflow"])) {
                            Some(candidate) => diagnostic.with_label(format!("did you mean `{candidate}`?")),
                            None => diagnostic.with_label("not a task; Conductor would read a server environment variable of this name"),
                        };
                        self.report(diagnostic.with_help(
                            "expressions start with `workflow.` or a task reference name",
                        ));
                        Type::Error
                    }
                }
            }
            Root::Task(name, range) => {
                let Some(target) = self.lookup(name) else {
                    self.unknown_task(name, span_of(range));
                    return Type::Error;
                };
                // Raw JSON reading a task nested in the same raw JSON: Conductor's own order
                // inside that JSON applies (a case task reading an earlier one of its case).
                if self.raw_refs.get(name.as_str()) == Some(&target)
                    && matches!(reader, Reader::Task(task) if task == target)
                {
                    return Type::Any;
                }
                let optional = self.flow(reader, target, span_of(range), true);
                let read = 'read: {
                    if self.raw_refs.contains_key(name.as_str()) {
                        // A task nested inside raw Conductor JSON: its shape is unknown.
                        break 'read Type::Any;
                    }
                    let Some(first) = segments.first() else {
                        break 'read Type::Any;
                    };
                    let SegmentKind::Field(field) = kind_of(first) else {
                        break 'read Type::Any;
                    };
                    let rest = &segments[1..];
                    let ty = match field {
                        "output" => {
                            self.read_outputs.insert(target);
                            let output = self.cached_output_type(target);
                            self.follow(&output, rest, (name, "output"), &span_of)
                        }
                        "input" => {
                            let input = self.input_type(target);
                            self.follow(&input, rest, (name, "input"), &span_of)
                        }
                        other => match task_metadata_type(other) {
                            Some(ty) => self.follow(&ty, rest, (name, other), &span_of),
                            None => {
                                let diagnostic = unknown_field(
                                    Diagnostic::new(
                                        &rules::unknown_field::RULE,
                                        self.file,
                                        span_of(&first.range()),
                                        format!("task `{name}` has no field `{other}`"),
                                    ),
                                    other,
                                    TASK_FIELDS,
                                    |diagnostic| {
                                        diagnostic
                                            .with_label("not a task field")
                                            .with_help("read `.output.FIELD` or `.input.FIELD`")
                                    },
                                );
                                self.report(diagnostic);
                                Type::Error
                            }
                        },
                    };
                    if optional { ty.optional() } else { ty }
                };
                if self.reporting && !matches!(read, Type::Error) {
                    self.reads.push(DataRead {
                        reader: match reader {
                            Reader::Task(task) => Some(task),
                            _ => None,
                        },
                        target,
                        span: span_of(&expression.inner),
                        ty: read.clone(),
                    });
                }
                read
            }
        }
    }

    /// Follows path segments through a type.
    fn follow(
        &mut self,
        start: &Type,
        segments: &[Segment],
        prefix: (&str, &str),
        span_of: &dyn Fn(&std::ops::Range<usize>) -> Span,
    ) -> Type {
        // `prefix` and the segments followed so far, as written in messages (`task.output.a[0]`);
        // built only for a diagnostic.
        let describe = |followed: usize| -> String {
            let mut described = format!("{}.{}", prefix.0, prefix.1);
            for segment in &segments[..followed] {
                match kind_of(segment) {
                    SegmentKind::Field(name) => {
                        described.push('.');
                        described.push_str(name);
                    }
                    SegmentKind::Index(index) => described.push_str(&format!("[{index}]")),
                    _ => described.push_str("[*]"),
                }
            }
            described
        };
        // Only the type reached so far is owned; the start (often a whole contract output) is
        // never cloned.
        let mut owned: Option<Type> = None;
        let mut optional = false;
        for (followed, segment) in segments.iter().enumerate() {
            let current: &Type = owned.as_ref().unwrap_or(start);
            if current.is_optional() {
                optional = true;
            }
            let structure = current.required().structure();
            let segment_kind = kind_of(segment);
            let next = match (&segment_kind, &structure) {
                (_, Type::Any | Type::Error | Type::Unresolved(..)) => {
                    return if optional {
                        current.clone().optional()
                    } else {
                        current.clone()
                    };
                }
                (SegmentKind::Field(name), Type::Object(object)) => match object.field(name) {
                    Some(field) => {
                        if field.optional && !field.has_default() {
                            optional = true;
                        }
                        field.ty.clone()
                    }
                    None if object.open => Type::Any,
                    None => {
                        let mut diagnostic = Diagnostic::new(
                            &rules::unknown_field::RULE,
                            self.file,
                            span_of(&segment.range()),
                            format!("`{}` has no field `{name}`", describe(followed)),
                        );
                        diagnostic = match suggest::closest(name, object.fields.iter().map(|field| field.name.as_str())) {
                            Some(candidate) => diagnostic.with_label(format!("did you mean `{candidate}`?")).with_replacement(format!("use `{candidate}`"), candidate),
                            None if object.fields.is_empty() => diagnostic.with_label("it has no fields").with_help("declare the fields (a contract's `output:`, or `output:`/`returns:` on the task)"),
                            None if containing(name, object.fields.iter().map(|field| field.name.as_str())).is_some() => {
                                let candidate = containing(name, object.fields.iter().map(|field| field.name.as_str())).unwrap_or_default();
                                diagnostic.with_label(format!("did you mean `{candidate}`?"))
                            }
                            None => diagnostic.with_label(format!("fields: {}", object.fields.iter().map(|field| field.name.as_str()).collect::<Vec<_>>().join(", "))),
                        };
                        self.report(diagnostic);
                        return Type::Error;
                    }
                },
                (SegmentKind::Field(_), Type::Map(value)) => {
                    optional = true;
                    (**value).clone()
                }
                (SegmentKind::Index(_), Type::List(item)) => (**item).clone(),
                (SegmentKind::Wildcard, Type::List(item)) => Type::List(item.clone()),
                (SegmentKind::Wildcard, Type::Map(value)) => Type::List(value.clone()),
                (SegmentKind::Wildcard, Type::Object(_)) => Type::List(Box::new(Type::Any)),
                (SegmentKind::Complex | SegmentKind::Dynamic, _) => return Type::Any,
                (kind, other) => {
                    let described = describe(followed);
                    let message = match kind {
                        SegmentKind::Field(name) => format!("`{described}` has no field `{name}`"),
                        _ => format!("`{described}` is not a list"),
                    };
                    let diagnostic = Diagnostic::new(
                        &rules::unknown_field::RULE,
                        self.file,
                        span_of(&segment.range()),
                        message,
                    )
                    .with_label(format!("`{described}` is `{other}`"));
                    self.report(diagnostic);
                    return Type::Error;
                }
            };
            owned = Some(next);
        }
        let current = owned.unwrap_or_else(|| start.clone());
        if optional {
            current.optional()
        } else {
            current
        }
    }

    /// The output type of a task, computed once.
    fn cached_output_type(&mut self, target: TaskId) -> std::sync::Arc<Type> {
        if let Some(ty) = self.output_types.get(&target) {
            return ty.clone();
        }
        let (edges_before, compensation_reads_before) =
            (self.edges.len(), self.compensation_reads.len());
        let ty = std::sync::Arc::new(self.output_type(target));
        if self.records_output_type_fills
            && (self.edges.len() > edges_before
                || self.compensation_reads.len() > compensation_reads_before)
        {
            self.output_type_fills.push(OutputTypeFill {
                target,
                edges: edges_before..self.edges.len(),
                compensation_reads: compensation_reads_before..self.compensation_reads.len(),
            });
        }
        self.output_types.insert(target, ty.clone());
        ty
    }

    /// The output type of a task.
    fn output_type(&mut self, target: TaskId) -> Type {
        let workflow = self.workflow;
        let task = workflow.task(target);
        let declared = self.declared_task_outputs.get(&target).cloned();
        match &task.kind {
            TaskKind::Worker { name } => match self.scope.workers.get(&name.value) {
                Some(worker) => Type::Object(worker.output.clone()),
                None => Type::Error,
            },
            TaskKind::Http { .. } => {
                let body = declared.unwrap_or(Type::Any);
                Type::builtin_object(
                    &[(
                        "response",
                        Type::builtin_object(
                            &[
                                ("body", body),
                                ("headers", Type::Map(Box::new(Type::Any))),
                                ("statusCode", Type::Int),
                                ("reasonPhrase", Type::String),
                            ],
                            false,
                        ),
                    )],
                    false,
                )
            }
            TaskKind::Switch { .. } => Type::builtin_object(
                &[
                    ("evaluationResult", Type::List(Box::new(Type::String))),
                    ("selectedCase", Type::String),
                ],
                false,
            ),
            TaskKind::Parallel { branches } => {
                // The JOIN's output is keyed by the task each branch ends with *as laid out*
                // (a generated join when the branch forks again, a generated NOOP after a
                // switch). Only a branch of one task that is not a switch is sure to end with
                // it; other keys are not known here, so the object is open.
                let mut fields = Vec::new();
                for branch in branches {
                    if let [only] = branch.as_slice()
                        && !matches!(workflow.task(*only).kind, TaskKind::Switch { .. })
                    {
                        let name = workflow.task(*only).name.value.clone();
                        let ty = self.output_type(*only);
                        fields.push((name, ty));
                    }
                }
                let borrowed: Vec<(&str, Type)> = fields
                    .iter()
                    .map(|(name, ty)| (name.as_str(), ty.clone()))
                    .collect();
                Type::builtin_object(&borrowed, true)
            }
            TaskKind::ForEach {
                target: for_each_target,
                ..
            } => {
                let item = match for_each_target {
                    ForEachTarget::Worker(name) => self
                        .scope
                        .workers
                        .get(&name.value)
                        .map_or(Type::Error, |worker| Type::Object(worker.output.clone())),
                    ForEachTarget::SubWorkflow(target) => self
                        .scope
                        .workflows
                        .get(&target.name.value)
                        .map_or(Type::Any, |signature| signature.outputs.clone()),
                };
                Type::Map(Box::new(item))
            }
            TaskKind::Loop { items, .. } => {
                let mut fields = vec![("iteration", Type::Int)];
                if let Some(items) = items {
                    let reporting = self.reporting;
                    self.reporting = false;
                    let items_type = self.infer_value(items, Reader::Task(target), false);
                    self.reporting = reporting;
                    let item = match items_type.required().structure() {
                        Type::List(item) => (**item).clone(),
                        _ => Type::Any,
                    };
                    fields.push(("loopIndex", Type::Int));
                    fields.push(("loopItem", item));
                }
                Type::builtin_object(&fields, true)
            }
            TaskKind::SubWorkflow { target } => {
                match self.scope.workflows.get(&target.name.value) {
                    Some(signature) => match &signature.outputs {
                        Type::Object(object) => {
                            let mut object = object.clone();
                            object.fields.push(Field {
                                name: "subWorkflowId".into(),
                                ty: Type::String,
                                optional: false,
                                default: None,
                                description: None,
                                deprecated: None,
                                file: self.file,
                                span: Span::default(),
                            });
                            Type::Object(object)
                        }
                        other => other.clone(),
                    },
                    None => declared.unwrap_or(Type::Any),
                }
            }
            TaskKind::StartWorkflow { .. } => {
                Type::builtin_object(&[("workflowId", Type::String)], false)
            }
            TaskKind::Wait { .. } => {
                declared.unwrap_or_else(|| Type::Object(ObjectType::default()))
            }
            TaskKind::Inline { .. } => {
                Type::builtin_object(&[("result", declared.unwrap_or(Type::Any))], false)
            }
            TaskKind::Jq { .. } => Type::builtin_object(
                &[
                    ("result", declared.unwrap_or(Type::Any)),
                    ("resultList", Type::List(Box::new(Type::Any))),
                ],
                false,
            ),
            TaskKind::SetVariable { .. } | TaskKind::Terminate { .. } | TaskKind::Noop => {
                Type::Object(ObjectType::default())
            }
            TaskKind::Event { .. } => declared
                .unwrap_or_else(|| Type::builtin_object(&[("event_produced", Type::String)], true)),
            TaskKind::Human { .. }
            | TaskKind::Dynamic { .. }
            | TaskKind::Kafka { .. }
            | TaskKind::Join { .. }
            | TaskKind::ExclusiveJoin { .. }
            | TaskKind::Raw { .. } => declared.unwrap_or(Type::Any),
            TaskKind::Invalid => Type::Error,
        }
    }

    /// The type of a task's resolved input.
    fn input_type(&mut self, target: TaskId) -> Type {
        let task = self.workflow.task(target);
        if let TaskKind::Worker { name } = &task.kind
            && let Some(worker) = self.scope.workers.get(&name.value)
        {
            return Type::Object(worker.input.clone());
        }
        match &task.input {
            Some(input) => {
                let reporting = self.reporting;
                self.reporting = false;
                let ty = self.infer_value(input, Reader::Task(target), false);
                self.reporting = reporting;
                // Conductor adds system keys to some inputs; stay permissive.
                match ty {
                    Type::Object(mut object) => {
                        object.open = true;
                        Type::Object(object)
                    }
                    other => other,
                }
            }
            None => Type::Object(ObjectType {
                fields: Vec::new(),
                open: true,
            }),
        }
    }

    // ----- flow ------------------------------------------------------------------------------

    /// Records that `reader` reads `target` (at `span`); reports reads of tasks that are not
    /// upstream. Returns whether the value may be absent (the target sits in a switch case).
    fn flow(&mut self, reader: Reader, target: TaskId, span: Span, is_data: bool) -> bool {
        let workflow = self.workflow;
        let target_chain = workflow.ancestors(target);
        let reader_task = match reader {
            Reader::Task(task) => task,
            Reader::WorkflowOutput => {
                if self.compensation_read(&target_chain, 0, target, span) {
                    return false;
                }
                return self.nested_optional(&target_chain, 0);
            }
            Reader::Initial => {
                self.report(
                    Diagnostic::new(
                        &rules::not_upstream::RULE,
                        self.file,
                        span,
                        "an initial variable value cannot read a task",
                    )
                    .with_label("no task has run when the workflow starts")
                    .with_help("set the variable with a `set:` task instead"),
                );
                return false;
            }
        };
        let reader_chain = workflow.ancestors(reader_task);
        let common = reader_chain
            .iter()
            .zip(&target_chain)
            .take_while(|(left, right)| left == right)
            .count();
        // A compensation runs only in the failure workflow: nothing outside it can read it.
        if self.compensation_read(&target_chain, common, target, span) {
            return false;
        }
        let target_name = &workflow.task(target).name.value;
        let reader_name = &workflow.task(reader_task).name.value;
        // Inside a compensation, reads of the compensated task or what precedes it create no edge.
        if let Some(level) = reader_chain.iter().position(|(container, _)| {
            matches!(
                container,
                Container::Task {
                    slot: COMPENSATION_SLOT,
                    ..
                }
            )
        }) && (common < level || (common == level && target_chain.len() == level))
        {
            let Container::Task {
                task: compensated, ..
            } = reader_chain[level].0
            else {
                return false;
            };
            if target != compensated && !self.contains(target, compensated) {
                self.compensation_reads.push((compensated, target, span));
            }
            return self.nested_optional(&target_chain, (common + 1).min(target_chain.len()));
        }
        if common == reader_chain.len() && common == target_chain.len() {
            if is_data {
                self.report(
                    Diagnostic::new(
                        &rules::not_upstream::RULE,
                        self.file,
                        span,
                        format!("task `{reader_name}` reads its own output"),
                    )
                    .with_label("a task's output exists only after it runs")
                    .with_help("read the value from the task that produced it"),
                );
            } else {
                self.report(
                    Diagnostic::new(
                        &rules::cycle::RULE,
                        self.file,
                        span,
                        format!("task `{reader_name}` runs after itself"),
                    )
                    .with_label("remove it from `after`"),
                );
            }
            return false;
        }
        if common == target_chain.len() {
            // The target contains the reader: reading an enclosing loop or switch is fine.
            return false;
        }
        if common == reader_chain.len() {
            self.report(
                Diagnostic::new(
                    &rules::not_upstream::RULE,
                    self.file,
                    span,
                    format!("`{reader_name}` reads `{target_name}`, which runs inside it"),
                )
                .with_label("not upstream")
                .with_help(
                    "a container runs before its nested tasks; read the value after the container",
                ),
            );
            return false;
        }
        let (reader_container, reader_item) = reader_chain[common];
        let (target_container, target_item) = target_chain[common];
        if reader_container != target_container {
            let Container::Task { task: parent, .. } = reader_container else {
                return false;
            };
            let parent_task = workflow.task(parent);
            let place = match parent_task.kind {
                TaskKind::Switch { .. } => {
                    format!("another case of switch `{}`", parent_task.name.value)
                }
                TaskKind::Parallel { .. } => {
                    format!("another branch of `{}`", parent_task.name.value)
                }
                _ => format!("another part of `{}`", parent_task.name.value),
            };
            self.report(
                Diagnostic::new(&rules::not_upstream::RULE, self.file, span, format!("`{target_name}` is not upstream of `{reader_name}`"))
                    .with_label(format!("`{target_name}` is in {place}"))
                    .with_secondary(self.file, workflow.task(target).name.span, "defined here")
                    .with_help(if matches!(parent_task.kind, TaskKind::Switch { .. }) {
                        "the two cases never both run; read the value after the switch"
                    } else {
                        "parallel branches do not wait for each other; read the value after the parallel task"
                    }),
            );
            return false;
        }
        self.edges.push(Edge {
            from: target_item,
            to: reader_item,
            span,
            is_data,
        });
        // Containers strictly inside the shared one decide whether the target may not run.
        self.nested_optional(&target_chain, common + 1)
    }

    /// Reports a read of a task inside a compensation (below `level` of its chain, where the
    /// reader is not); returns whether it did.
    fn compensation_read(
        &mut self,
        chain: &[(Container, TaskId)],
        level: usize,
        target: TaskId,
        span: Span,
    ) -> bool {
        let workflow = self.workflow;
        let Some(compensated) =
            chain
                .iter()
                .skip(level)
                .find_map(|(container, _)| match container {
                    Container::Task {
                        task,
                        slot: COMPENSATION_SLOT,
                    } => Some(*task),
                    _ => None,
                })
        else {
            return false;
        };
        let target_name = &workflow.task(target).name.value;
        let compensated_name = &workflow.task(compensated).name.value;
        self.report(
            Diagnostic::new(
                &rules::not_upstream::RULE,
                self.file,
                span,
                format!("`{target_name}` is a compensation"),
            )
            .with_label(format!(
                "it undoes `{compensated_name}` only when the workflow fails"
            ))
            .with_help("compensations run in the failure workflow; no other task can read them"),
        );
        true
    }

    /// Whether a task nested below `level` of its chain may not run (switch case, item loop).
    fn nested_optional(&self, chain: &[(Container, TaskId)], level: usize) -> bool {
        chain
            .iter()
            .skip(level)
            .any(|(container, _)| match container {
                Container::Task { task, slot } if *slot != COMPENSATION_SLOT => {
                    match &self.workflow.task(*task).kind {
                        TaskKind::Switch { .. } => true,
                        TaskKind::Loop { items, .. } => items.is_some(),
                        _ => false,
                    }
                }
                _ => false,
            })
    }

    fn contains(&self, outer: TaskId, inner: TaskId) -> bool {
        self.workflow
            .ancestors(inner)
            .iter()
            .any(|(_, task)| *task == outer)
            && outer != inner
    }

    // ----- graph -----------------------------------------------------------------------------

    fn check_graph(&mut self) {
        let workflow = self.workflow;
        let mut by_container: FxHashMap<Container, Vec<Edge>> = FxHashMap::default();
        for edge in &self.edges {
            by_container
                .entry(workflow.task(edge.to).container)
                .or_default()
                .push(*edge);
        }
        let mut containers: Vec<Container> = by_container.keys().copied().collect();
        containers.sort();
        for container in containers {
            let edges = &by_container[&container];
            let list = workflow.list(container);
            let mut graph: DiGraph<TaskId, Span> = DiGraph::new();
            let mut index_of: FxHashMap<TaskId, NodeIndex> = FxHashMap::default();
            for task in list {
                index_of.insert(*task, graph.add_node(*task));
            }
            // `find_edge` scans a node's edges: a task read by every other one would make
            // that quadratic, so duplicates are found by hashing.
            let mut added: FxHashSet<(NodeIndex, NodeIndex)> =
                FxHashSet::with_capacity_and_hasher(edges.len(), Default::default());
            for edge in edges {
                if let (Some(from), Some(to)) = (index_of.get(&edge.from), index_of.get(&edge.to))
                    && added.insert((*from, *to))
                {
                    graph.add_edge(*from, *to, edge.span);
                }
            }
            for component in petgraph::algo::tarjan_scc(&graph) {
                if component.len() < 2 {
                    continue;
                }
                let members: HashSet<NodeIndex> = component.iter().copied().collect();
                let cycle = find_cycle(
                    &graph,
                    &members,
                    *component.iter().min().unwrap_or(&component[0]),
                );
                let names: Vec<String> = cycle
                    .iter()
                    .map(|index| workflow.task(graph[*index]).name.value.clone())
                    .collect();
                let mut path = names.join(" → ");
                if let Some(first) = names.first() {
                    path.push_str(&format!(" → {first}"));
                }
                let first_edge = graph
                    .find_edge(cycle[cycle.len() - 1], cycle[0])
                    .map(|edge| graph[edge]);
                let Some(primary) = first_edge else { continue };
                let mut diagnostic = Diagnostic::new(
                    &rules::cycle::RULE,
                    self.file,
                    primary,
                    "tasks depend on each other in a cycle",
                )
                .with_label(path.clone());
                for window in 0..cycle.len().saturating_sub(1) {
                    if let Some(edge) = graph.find_edge(cycle[window], cycle[window + 1]) {
                        let from = &names[window];
                        let to = &names[window + 1];
                        diagnostic = diagnostic.with_secondary(
                            self.file,
                            graph[edge],
                            format!("`{to}` depends on `{from}` here"),
                        );
                    }
                }
                self.report(
                    diagnostic.with_help("remove one of these references or `after:` entries"),
                );
            }
            // Unreachable: anything depending on an unconditional TERMINATE in the same list.
            let terminates: Vec<NodeIndex> = graph
                .node_indices()
                .filter(|index| {
                    matches!(
                        workflow.task(graph[*index]).kind,
                        TaskKind::Terminate { .. }
                    )
                })
                .collect();
            // Only the tasks that depend on the terminate directly are reported; what depends on
            // them is counted in the label (one mistake, one diagnostic).
            for terminate in terminates {
                let terminate_name = &workflow.task(graph[terminate]).name.value;
                let mut direct: Vec<NodeIndex> = graph.neighbors(terminate).collect();
                direct.sort();
                direct.dedup();
                for index in direct {
                    let task = workflow.task(graph[index]);
                    let mut after = petgraph::visit::Dfs::new(&graph, index);
                    after.next(&graph);
                    let mut followers = 0;
                    while after.next(&graph).is_some() {
                        followers += 1;
                    }
                    let label = match followers {
                        0 => format!("it runs after terminate task `{terminate_name}`"),
                        1 => format!(
                            "it runs after terminate task `{terminate_name}` (and so does 1 task after it)"
                        ),
                        count => format!(
                            "it runs after terminate task `{terminate_name}` (and so do {count} tasks after it)"
                        ),
                    };
                    let edge = graph.find_edge(terminate, index).map(|edge| graph[edge]);
                    let mut diagnostic = Diagnostic::new(
                        &rules::unreachable_task::RULE,
                        self.file,
                        task.name.span,
                        format!("task `{}` can never run", task.name.value),
                    )
                    .with_label(label)
                    .with_secondary(
                        self.file,
                        workflow.task(graph[terminate]).name.span,
                        "the workflow ends here",
                    );
                    if let Some(edge) = edge {
                        diagnostic =
                            diagnostic.with_secondary(self.file, edge, "depends on it here");
                    }
                    self.report(diagnostic.with_help(
                        "remove the dependency on the terminate task, or the task itself",
                    ));
                }
            }
        }
    }

    fn check_compensation_reads(&mut self) {
        let workflow = self.workflow;
        let reads = std::mem::take(&mut self.compensation_reads);
        for (compensated, target, span) in reads {
            let compensated_chain = workflow.ancestors(compensated);
            let target_chain = workflow.ancestors(target);
            let common = compensated_chain
                .iter()
                .zip(&target_chain)
                .take_while(|(left, right)| left == right)
                .count();
            let upstream = common < compensated_chain.len()
                && common < target_chain.len()
                && compensated_chain[common].0 == target_chain[common].0
                && self.reaches(target_chain[common].1, compensated_chain[common].1);
            let enclosing = common == target_chain.len();
            if !upstream && !enclosing {
                let compensated_name = &workflow.task(compensated).name.value;
                let target_name = &workflow.task(target).name.value;
                self.report(
                    Diagnostic::new(&rules::not_upstream::RULE, self.file, span, format!("the compensation of `{compensated_name}` reads `{target_name}`, which may not have run"))
                        .with_label(format!("`{target_name}` is not upstream of `{compensated_name}`"))
                        .with_help("a compensation may read the task it compensates and what ran before it"),
                );
            }
        }
    }

    /// Whether there is a path `from` → `to` in the edges recorded between siblings.
    fn reaches(&self, from: TaskId, to: TaskId) -> bool {
        let mut seen = FxHashSet::default();
        let mut pending = vec![from];
        while let Some(current) = pending.pop() {
            if current == to {
                return true;
            }
            if !seen.insert(current) {
                continue;
            }
            pending.extend(
                self.edges
                    .iter()
                    .filter(|edge| edge.from == current)
                    .map(|edge| edge.to),
            );
        }
        false
    }

    fn check_unused(&mut self) {
        let workflow = self.workflow;
        // A task or an expression that could not be read may read anything: stay quiet rather
        // than guess.
        if self.opaque_reads
            || workflow
                .tasks
                .iter()
                .any(|task| matches!(task.kind, TaskKind::Invalid))
        {
            return;
        }
        if !self.all_inputs_used {
            for field in &workflow.inputs.fields {
                if !self.used_inputs.contains(&field.name) {
                    self.report(
                        Diagnostic::new(
                            &rules::unused_input::RULE,
                            self.file,
                            field.span,
                            format!("input `{}` is never read", field.name),
                        )
                        .with_label("declared here")
                        .with_help("read it with `${workflow.input.NAME}`, or remove it")
                        .with_tag(crate::diagnostic::DiagnosticTag::Unnecessary),
                    );
                }
            }
        }
        for task in &workflow.tasks {
            if self.read_outputs.contains(&task.id) {
                continue;
            }
            let declared_at = match &task.kind {
                TaskKind::Http {
                    returns: Some(_), ..
                }
                | TaskKind::Inline {
                    returns: Some(_), ..
                }
                | TaskKind::Jq {
                    returns: Some(_), ..
                } => task
                    .input
                    .as_ref()
                    .map(|_| task.kind_span)
                    .or(Some(task.kind_span)),
                _ => task.output_span,
            };
            // The last task's output is the workflow output when `outputs:` is empty.
            let is_workflow_result =
                workflow.outputs.is_empty() && workflow.roots.last() == Some(&task.id);
            if let Some(span) = declared_at
                && !is_workflow_result
                && self.declared_task_outputs.contains_key(&task.id)
            {
                self.report(
                    Diagnostic::new(
                        &rules::unused_output::RULE,
                        self.file,
                        span,
                        format!("the declared output of `{}` is never read", task.name.value),
                    )
                    .with_label(format!("nothing reads `${{{}.output}}`", task.name.value))
                    .with_help("read it with `${TASK.output...}`, or drop the declaration")
                    .with_tag(crate::diagnostic::DiagnosticTag::Unnecessary),
                );
            }
        }
        let mut reported = HashSet::new();
        let variable_sites =
            workflow
                .variables
                .iter()
                .map(|(name, _)| name)
                .chain(workflow.tasks.iter().flat_map(|task| match &task.kind {
                    TaskKind::SetVariable { values } => {
                        values.iter().map(|(name, _)| name).collect::<Vec<_>>()
                    }
                    _ => Vec::new(),
                }));
        for name in variable_sites {
            if !self.used_variables.contains(&name.value) && reported.insert(name.value.clone()) {
                self.report(
                    Diagnostic::new(
                        &rules::unused_output::RULE,
                        self.file,
                        name.span,
                        format!("variable `{}` is never read", name.value),
                    )
                    .with_help("read it with `${workflow.variables.NAME}`, or remove it")
                    .with_tag(crate::diagnostic::DiagnosticTag::Unnecessary),
                );
            }
        }
    }
}

/// A scalar's value: a plain string literal (for enum checks) or a type.
enum ScalarValue {
    Literal(String),
    Type(Type),
}

impl ScalarValue {
    fn into_type(self) -> Type {
        match self {
            ScalarValue::Literal(_) => Type::String,
            ScalarValue::Type(ty) => ty,
        }
    }
}

/// A type a value is checked against, borrowed from a contract or a declaration. `optional`
/// stands for `ty?` (an optional field), which is decided without building that type.
#[derive(Debug, Clone, Copy)]
struct Expected<'ty> {
    ty: &'ty Type,
    optional: bool,
}

impl<'ty> Expected<'ty> {
    fn required(ty: &'ty Type) -> Expected<'ty> {
        Expected {
            ty,
            optional: false,
        }
    }

    /// The expected type itself (for messages).
    fn to_type(self) -> Type {
        if self.optional {
            self.ty.clone().optional()
        } else {
            self.ty.clone()
        }
    }

    /// [`assignable`] of `found` to [`Expected::to_type`].
    fn assignable_from(self, found: &Type) -> Result<(), Mismatch> {
        if self.optional {
            crate::types::assignable_to_optional(found, self.ty)
        } else {
            assignable(found, self.ty)
        }
    }
}

/// The type of a literal value (expressions give `any`).
pub fn literal_type(node: &Node) -> Type {
    match &node.kind {
        NodeKind::Scalar(scalar) => match node.plain_value() {
            Some(PlainValue::Null) => Type::Null,
            Some(PlainValue::Bool(_)) => Type::Bool,
            Some(PlainValue::Int(_)) => Type::Int,
            Some(PlainValue::Float(_)) => Type::Number,
            _ if scalar.value.contains("${") => Type::Any,
            _ => Type::String,
        },
        NodeKind::Sequence(items) => {
            let first = items.first().map_or(Type::Any, literal_type);
            if items.iter().all(|item| literal_type(item) == first) {
                Type::List(Box::new(first))
            } else {
                Type::List(Box::new(Type::Any))
            }
        }
        NodeKind::Mapping(entries) => Type::builtin_object(
            &entries
                .iter()
                .map(|entry| {
                    (
                        entry.key.as_str().unwrap_or_default(),
                        literal_type(&entry.value),
                    )
                })
                .collect::<Vec<_>>(),
            false,
        ),
    }
}

fn find_cycle(
    graph: &DiGraph<TaskId, Span>,
    members: &HashSet<NodeIndex>,
    start: NodeIndex,
) -> Vec<NodeIndex> {
    // Depth-first search inside the component for a path back to `start`.
    let mut path = vec![start];
    let mut iterators = vec![graph.neighbors(start).collect::<Vec<_>>()];
    let mut visited: HashSet<NodeIndex> = HashSet::from([start]);
    while let Some(candidates) = iterators.last_mut() {
        match candidates.pop() {
            Some(next) if next == start => return path,
            Some(next) if members.contains(&next) && visited.insert(next) => {
                path.push(next);
                iterators.push(graph.neighbors(next).collect());
            }
            Some(_) => {}
            None => {
                iterators.pop();
                path.pop();
            }
        }
    }
    vec![start]
}

fn looks_like_secret_name(key: &str) -> bool {
    let lower = key.to_lowercase().replace(['-', '_'], "");
    [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "authorization",
        "credential",
        "privatekey",
        "accesskey",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
        // Names *about* a credential hold no credential: `token_type`, `secret_name`, `api_key_id`.
        && ![
            "type", "name", "id", "url", "uri", "count", "limit", "length", "policy", "path",
            "file", "ref", "expiry", "ttl", "header",
        ]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

fn secret_name_for(key: &str) -> String {
    key.to_uppercase()
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() {
                character
            } else {
                '_'
            }
        })
        .collect()
}

fn placeholder(ty: &Type) -> String {
    match ty.required().structure() {
        Type::String | Type::Enum(_) => "\"\"".into(),
        Type::Int | Type::Number => "0".into(),
        Type::Bool => "false".into(),
        Type::List(_) => "[]".into(),
        Type::Map(_) | Type::Object(_) => "{}".into(),
        _ => "null".into(),
    }
}

fn next_boundary(text: &str, offset: usize) -> usize {
    let mut end = (offset + 1).min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    end.max(offset)
}

/// Dates Conductor's WAIT accepts: `yyyy-MM-dd`, `yyyy-MM-dd HH:mm`, `yyyy-MM-dd HH:mm z`.
pub fn is_conductor_date(text: &str) -> bool {
    let text = text.trim();
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|slice| slice.iter().all(u8::is_ascii_digit))
    };
    if bytes.len() < 10
        || !digits(0..4)
        || bytes[4] != b'-'
        || !digits(5..7)
        || bytes[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    let month: u32 = text[5..7].parse().unwrap_or(0);
    let day: u32 = text[8..10].parse().unwrap_or(0);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    if bytes.len() == 10 {
        return true;
    }
    if bytes.len() < 16
        || bytes[10] != b' '
        || !digits(11..13)
        || bytes[13] != b':'
        || !digits(14..16)
    {
        return false;
    }
    let hour: u32 = text[11..13].parse().unwrap_or(99);
    let minute: u32 = text[14..16].parse().unwrap_or(99);
    if hour > 23 || minute > 59 {
        return false;
    }
    if bytes.len() == 16 {
        return true;
    }
    bytes[16] == b' '
        && text[17..]
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "+-:/_".contains(character))
        && text.len() > 17
}

/// A path segment without its range, for matching.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SegmentKind<'segment> {
    Field(&'segment str),
    Index(i64),
    Wildcard,
    Complex,
    Dynamic,
}

fn kind_of(segment: &Segment) -> SegmentKind<'_> {
    match segment {
        Segment::Field { name, .. } => SegmentKind::Field(name),
        Segment::Index { index, .. } => SegmentKind::Index(*index),
        Segment::Wildcard { .. } => SegmentKind::Wildcard,
        Segment::Complex { .. } => SegmentKind::Complex,
        Segment::Dynamic { .. } => SegmentKind::Dynamic,
    }
}

/// Every `taskReferenceName` nested in raw Conductor JSON, with its span.
fn collect_raw_references(node: &Node, found: &mut Vec<(String, Span)>) {
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        match &node.kind {
            NodeKind::Mapping(entries) => {
                for entry in entries {
                    if entry.key.as_str() == Some("taskReferenceName") {
                        if let Some(name) = entry.value.as_str() {
                            found.push((name.to_string(), entry.value.span));
                        }
                    } else if entry.key.as_str() != Some("workflowDefinition") {
                        // An inline sub-workflow definition has references of its own.
                        pending.push(&entry.value);
                    }
                }
            }
            NodeKind::Sequence(items) => pending.extend(items),
            NodeKind::Scalar(_) => {}
        }
    }
}

/// Puts a path inside a value into its description: `input `window` of worker `w`` and `.hours`
/// give `input `window.hours` of worker `w``; descriptions without a name get ` at `.hours``.
fn with_path(what: &str, path: &str) -> String {
    if path.is_empty() {
        return what.to_string();
    }
    if let Some(open) = what.find('`')
        && let Some(close) = what[open + 1..].find('`')
    {
        let close = open + 1 + close;
        return format!("{}{path}{}", &what[..close], &what[close..]);
    }
    format!("{what} at `{path}`")
}

/// Completes an unknown-field diagnostic for `name` among `fields`: a did-you-mean (with a
/// replacement when the spelling is close), else a field containing it, else `otherwise`.
fn unknown_field(
    diagnostic: Diagnostic,
    name: &str,
    fields: &[&str],
    otherwise: impl FnOnce(Diagnostic) -> Diagnostic,
) -> Diagnostic {
    match suggest::closest(name, fields.iter().copied()) {
        Some(candidate) => diagnostic
            .with_label(format!("did you mean `{candidate}`?"))
            .with_replacement(format!("use `{candidate}`"), candidate),
        None => match containing(name, fields.iter().copied()) {
            Some(candidate) => diagnostic.with_label(format!("did you mean `{candidate}`?")),
            None => otherwise(diagnostic),
        },
    }
}

/// The shortest candidate containing `name` (case-insensitively): `id` → `workflowId`,
/// `status` → `statusCode`. A weaker guess than a typo, so offered without a fix.
fn containing<'candidate>(
    name: &str,
    candidates: impl IntoIterator<Item = &'candidate str>,
) -> Option<&'candidate str> {
    if name.chars().count() < 2 {
        return None;
    }
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|candidate| *candidate != name && candidate.to_lowercase().contains(&lower))
        .min_by_key(|candidate| candidate.len())
}

#[cfg(test)]
mod parallel_check_tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;
    use crate::project::{FileSystemLoader, InputFile, analyze};

    /// Checks every workflow of `files` in 1, 2, 3, 7 and one-per-task chunks and compares.
    fn assert_chunking_changes_nothing(files: Vec<InputFile>) -> usize {
        let analysis = analyze(files, &FileSystemLoader, &Config::default());
        for (index, workflow) in analysis.workflows.iter().enumerate() {
            let scope = &analysis.scopes[index];
            let source = analysis.sources.text(workflow.file);
            let check = |chunks: usize| {
                WorkflowChecker::new(workflow, scope, source, true)
                    .check_with_graph_in_chunks(chunks)
            };
            let sequential = check(1);
            for chunks in [2, 3, 7, workflow.tasks.len()] {
                assert_eq!(
                    check(chunks),
                    sequential,
                    "{} checked in {chunks} chunks",
                    analysis.sources.path(workflow.file)
                );
            }
        }
        analysis.workflows.len()
    }

    #[test]
    fn checking_in_parallel_chunks_gives_the_sequential_result_on_every_fixture_and_example() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut directories = Vec::new();
        crate::test_files::directories_with_yaml(&root.join("tests/fixtures"), &mut directories);
        crate::test_files::directories_with_yaml(&root.join("../examples"), &mut directories);
        assert!(directories.len() > 20, "fixtures not found");
        let mut workflows = 0;
        for directory in directories {
            workflows += assert_chunking_changes_nothing(crate::test_files::yaml_files(&directory));
        }
        assert!(workflows > 50, "only {workflows} workflows checked");
    }

    /// Loops whose `items` read other tasks, read by tasks in every chunk: computing a loop's
    /// output type adds an edge, which only the first computation may add. (Variables set from
    /// a loop's output would have its type computed before the tasks are checked.)
    #[test]
    fn checking_in_parallel_chunks_gives_the_sequential_result_on_a_generated_workflow() {
        let mut text =
            String::from("workflow: generated\nowner: a@example.com\ninputs:\n  n: int\ntasks:\n");
        for index in 0..300 {
            let previous = index.max(1) - 1;
            text.push_str(&format!(
                "  make_{index}:\n    inline: \"[1, 2]\"\n    returns: list<int>\n\
                 \x20 each_{index}:\n    loop: {{items: \"${{make_{index}.output.result}}\"}}\n    do:\n      \
                 inner_{index}: {{noop: true}}\n\
                 \x20 read_{index}:\n    inline: \"1\"\n    input: {{a: \"${{each_{index}.output.loopItem}}\", \
                 b: \"${{each_{previous}.output.loopItem}}\", c: \"${{each_0.output.loopItem}}\", \
                 d: \"${{workflow.input.n}}\", e: \"${{workflow.variables.v_{previous}}}\", f: \"${{missing_{index}.output}}\"}}\n\
                 \x20 set_{index}:\n    set: {{v_{index}: \"${{make_{index}.output.result}}\"}}\n"
            ));
        }
        let files = vec![InputFile {
            path: "generated.wf.yaml".into(),
            text,
        }];
        assert_eq!(assert_chunking_changes_nothing(files), 1);
    }
}
