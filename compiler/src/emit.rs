//! The Conductor emitter: checked workflows and worker contracts → Conductor JSON.
//!
//! Pure functions, no I/O: a [`CheckedWorkflow`] (the model, the [`Scope`] it was checked
//! against and its [`TaskGraph`]) becomes a WorkflowDef ([`workflow_def`]), a worker contract a
//! TaskDef ([`task_def`]), and a whole [`Analysis`] both ([`compile`]). What each construct
//! becomes is documented in docs/language.md, "Compilation to Conductor JSON"; the field names
//! are those of FORMAT.md §B.
//!
//! # Task lists
//!
//! A wfc task list is a graph (sibling dependencies from references and `after:`); Conductor runs
//! a list in order. Each list is laid out by [`crate::layout`] into a series-parallel shape, and each
//! `Parallel` of that shape becomes a generated `FORK_JOIN` followed by a `JOIN` on the last task
//! of each branch. Generated reference names never collide with the author's (see [`RefNames`]).
//!
//! Two Conductor rules shape the layout beyond the graph:
//!
//! * A `FORK_JOIN`/`FORK_JOIN_DYNAMIC` must be *immediately* followed by its `JOIN`. wfc's
//!   `parallel` and `for_each` emit both at once; a raw fork and the `join` task that waits for
//!   it are glued into one unit of the layout.
//! * A `JOIN` waits for the tasks in `joinOn` to be terminal, and a `SWITCH` is terminal as soon
//!   as it has chosen its case, before the case's tasks ran. A fork branch that ends with a switch
//!   therefore gets a generated `NOOP` after it (`REF_end`), scheduled only once the case's tasks
//!   are done, and the `JOIN` waits for that.
//!
//! # Compensations
//!
//! A workflow whose tasks have `compensate:` gets a second WorkflowDef, `NAME_compensation`, its
//! `failureWorkflow`: it records what the failed run did (`failedWorkflow` in its input), runs the
//! compensation of each task that completed, latest first, with reads of the run's tasks
//! rewritten to read that record, and then starts the workflow's own `on_failure`.
//!
//! # Determinism
//!
//! Objects are built key by key in a fixed order (`serde_json` keeps insertion order), lists
//! follow the author's order or the layout, and `$defs`/TaskDefs are ordered by first use and
//! by name. The same input gives byte-identical JSON.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Number, Value};

use crate::check::{Scope, TaskGraph, WorkflowChecker};
use crate::expression;
use crate::layout::{Layout, ListLayout};
use crate::lower::parse_duration_ms;
use crate::model::{
    COMPENSATION_SLOT, Container, ForEachTarget, SwitchSelector, Task, TaskId, TaskKind, WaitMode,
    Worker, Workflow, WorkflowTarget,
};
use crate::plan::Plan;
use crate::project::Analysis;
use crate::source::{FileId, SourceDb};
use crate::syntax::{self, Node, NodeKind, PlainValue, Style};
use crate::types::{ObjectType, Type};

/// `schemaVersion` of every WorkflowDef (the only one Conductor accepts).
pub const SCHEMA_VERSION: i64 = 2;
/// `retryCount` of a TaskDef whose contract gives none (Conductor's own default).
pub const DEFAULT_RETRY_COUNT: i64 = 3;
/// `$schema` of the JSON Schemas in `inputSchema`/`outputSchema`.
pub const JSON_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// One checked workflow, with everything the emitter reads.
#[derive(Debug, Clone, Copy)]
pub struct CheckedWorkflow<'a> {
    pub workflow: &'a Workflow,
    /// The scope it was checked against: worker contracts, named types, sub-workflow signatures.
    pub scope: &'a Scope,
    /// The sibling dependencies found by the checker.
    pub graph: &'a TaskGraph,
    /// The sources, for the workflow's own signature.
    pub sources: &'a SourceDb,
}

/// A compiled workflow definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledWorkflow {
    pub name: String,
    pub version: i64,
    pub file: FileId,
    pub definition: Value,
}

/// Everything a project compiles to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compiled {
    /// Ordered by name, then version.
    pub workflows: Vec<CompiledWorkflow>,
    /// The TaskDefs of the contracts the workflows use, ordered by name.
    pub task_defs: Vec<Value>,
}

/// Compiles the checked workflows of an analysis (those of the given files), with their
/// compensation workflows, and the TaskDefs of the worker contracts they use: the workers named by `worker` and `for_each` tasks (also in
/// compensations), and, for a workflow with a `dynamic` task, every contract it can see (wfc
/// cannot know which one runs).
///
/// Fails when two different contracts of one name would become TaskDefs (a server holds one
/// TaskDef per name), or when a compensation workflow would take the name of a workflow of the
/// project. Callers compile only analyses without errors; on others the output is
/// whatever the model holds, never a panic.
pub fn compile(analysis: &Analysis) -> Result<Compiled, Vec<String>> {
    let mut compiled = Compiled::default();
    // Worker name → (contract, owner of the first workflow using it).
    let mut workers: HashMap<String, (&Worker, Option<String>)> = HashMap::new();
    let mut problems = Vec::new();
    let mut order: Vec<(String, i64, usize)> = Vec::new();
    for (file, graph) in &analysis.graphs {
        let Some(index) = analysis
            .workflows
            .iter()
            .position(|workflow| workflow.file == *file)
        else {
            continue;
        };
        let (Some(workflow), Some(scope)) =
            (analysis.workflows.get(index), analysis.scopes.get(index))
        else {
            continue;
        };
        let checked = CheckedWorkflow {
            workflow,
            scope,
            graph,
            sources: &analysis.sources,
        };
        let emitted = emit_workflow(&checked);
        let name = workflow
            .name
            .as_ref()
            .map(|name| name.value.clone())
            .unwrap_or_default();
        let version = workflow.version.as_ref().map_or(1, |version| version.value);
        order.push((name.clone(), version, compiled.workflows.len()));
        compiled.workflows.push(CompiledWorkflow {
            name: name.clone(),
            version,
            file: *file,
            definition: emitted.definition,
        });
        if let Some(compensation) = emitted.compensation {
            let compensation_name = compensation_workflow_name(&name);
            if analysis.workflows.iter().any(|other| {
                other
                    .name
                    .as_ref()
                    .is_some_and(|other| other.value == compensation_name)
            }) {
                problems.push(format!(
                    "the compensations of `{name}` compile to the workflow `{compensation_name}`, which `{}` already defines",
                    analysis.sources.path(*file)
                ));
            }
            order.push((compensation_name.clone(), version, compiled.workflows.len()));
            compiled.workflows.push(CompiledWorkflow {
                name: compensation_name,
                version,
                file: *file,
                definition: compensation,
            });
        }
    }
    order.sort();
    let mut unsorted: Vec<Option<CompiledWorkflow>> =
        compiled.workflows.drain(..).map(Some).collect();
    compiled.workflows = order
        .iter()
        .filter_map(|(_, _, index)| unsorted[*index].take())
        .collect();

    for item in &compiled.workflows {
        let Some(index) = analysis
            .workflows
            .iter()
            .position(|workflow| workflow.file == item.file)
        else {
            continue;
        };
        let workflow = &analysis.workflows[index];
        let scope = &analysis.scopes[index];
        let owner = workflow.owner.as_ref().map(|owner| owner.value.clone());
        for name in used_workers(workflow, scope) {
            let Some(worker) = scope.workers.get(&name) else {
                continue;
            };
            match workers.get(&name) {
                Some((first, _)) => {
                    if (first.file, first.span) != (worker.file, worker.span) {
                        problems.push(format!(
                            "worker `{name}` is declared by `{}` and by `{}`; a Conductor server has one TaskDef per name",
                            analysis.sources.path(first.file),
                            analysis.sources.path(worker.file),
                        ));
                    }
                }
                None => {
                    workers.insert(name, (worker, owner.clone()));
                }
            }
        }
    }
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(problems);
    }
    let mut names: Vec<&String> = workers.keys().collect();
    names.sort();
    for name in names {
        let (worker, owner) = &workers[name];
        compiled.task_defs.push(task_def(worker, owner.as_deref()));
    }
    Ok(compiled)
}

/// The WorkflowDef of one checked workflow.
pub fn workflow_def(checked: &CheckedWorkflow) -> Value {
    emit_workflow(checked).definition
}

/// The WorkflowDef of one checked workflow and, when any of its tasks has a `compensate:`, the
/// WorkflowDef of its compensation workflow (named [`compensation_workflow_name`]), which the
/// first one names as its `failureWorkflow`.
pub fn workflow_defs(checked: &CheckedWorkflow) -> (Value, Option<Value>) {
    let emitted = emit_workflow(checked);
    (emitted.definition, emitted.compensation)
}

/// A file name stem for a definition named `name` (`wfc compile`'s `NAME.json`, `wfc import`'s
/// `NAME.wf.yaml`): characters some file systems refuse (`<>:"/\|?*`, control characters) become
/// `_`; an empty or blank name becomes `workflow`.
pub fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|character| {
            if character.is_control() || "<>:\"/\\|?*".contains(character) {
                '_'
            } else {
                character
            }
        })
        .collect();
    if stem.trim().is_empty() {
        String::from("workflow")
    } else {
        stem
    }
}

/// Suffix of the name of a compensation workflow.
pub const COMPENSATION_SUFFIX: &str = "_compensation";

/// The name of the compensation workflow of the workflow `name`.
pub fn compensation_workflow_name(name: &str) -> String {
    format!("{name}{COMPENSATION_SUFFIX}")
}

/// The worker contracts a workflow uses, by name (sorted).
fn used_workers(workflow: &Workflow, scope: &Scope) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for task in &workflow.tasks {
        match &task.kind {
            TaskKind::Worker { name }
            | TaskKind::ForEach {
                target: ForEachTarget::Worker(name),
                ..
            } => {
                names.insert(name.value.clone());
            }
            TaskKind::Dynamic { .. } => names.extend(scope.workers.keys().cloned()),
            _ => {}
        }
    }
    names
}

// ----- values -------------------------------------------------------------------------------

/// A YAML value as JSON, with YAML 1.2 core-schema scalars: plain `null`, `true`, `12`, `1.5`
/// become JSON null, booleans and numbers; quoted and block scalars are strings. Strings are
/// copied verbatim (`${...}` and `$${` included). Numbers JSON cannot hold (`.inf`, `.nan`) stay
/// text.
pub fn node_to_json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Scalar(scalar) => {
            if scalar.style != Style::Plain {
                return Value::String(scalar.value.clone());
            }
            match syntax::resolve_plain(&scalar.value) {
                PlainValue::Null => Value::Null,
                PlainValue::Bool(value) => Value::Bool(value),
                PlainValue::Int(value) => Value::Number(value.into()),
                PlainValue::Float(value) => {
                    if let Ok(unsigned) = scalar.value.trim_start_matches('+').parse::<u64>() {
                        Value::Number(unsigned.into())
                    } else {
                        Number::from_f64(value)
                            .map_or_else(|| Value::String(scalar.value.clone()), Value::Number)
                    }
                }
                PlainValue::String => Value::String(scalar.value.clone()),
            }
        }
        NodeKind::Sequence(items) => Value::Array(items.iter().map(node_to_json).collect()),
        NodeKind::Mapping(entries) => Value::Object(
            entries
                .iter()
                .map(|entry| (key_text(&entry.key), node_to_json(&entry.value)))
                .collect(),
        ),
    }
}

fn key_text(key: &Node) -> String {
    match &key.kind {
        NodeKind::Scalar(scalar) => scalar.value.clone(),
        _ => node_to_json(key).to_string(),
    }
}

/// Merges the fields of a `raw:` mapping over `target`: existing keys are replaced in place,
/// new keys are appended in the raw mapping's order.
fn merge_raw(target: &mut Map<String, Value>, raw: Option<&Node>) {
    if let Some(Value::Object(fields)) = raw.map(node_to_json) {
        for (key, value) in fields {
            target.insert(key, value);
        }
    }
}

/// Whole seconds of a duration in milliseconds, sub-second parts rounded up.
fn seconds(milliseconds: u64) -> u64 {
    milliseconds.div_ceil(1000)
}

/// A duration in Conductor's WAIT text (`2 hours 30 minutes`, `45 seconds`), whole seconds
/// rounded up. The grammar has days, hours, minutes and seconds (`DateTimeUtils.parseDuration`).
pub fn conductor_duration(milliseconds: u64) -> String {
    let total = seconds(milliseconds);
    let parts = [
        (total / 86_400, "day"),
        (total % 86_400 / 3_600, "hour"),
        (total % 3_600 / 60, "minute"),
        (total % 60, "second"),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, unit)| format!("{count} {unit}{}", if *count == 1 { "" } else { "s" }))
        .collect();
    if text.is_empty() {
        String::from("0 seconds")
    } else {
        text.join(" ")
    }
}

/// A duration node (`30s`, `90`) in milliseconds, or `None` when it is not a literal duration.
fn duration_ms(node: &Node) -> Option<u64> {
    node.as_str().and_then(parse_duration_ms)
}

fn has_expressions(text: &str) -> bool {
    expression::scan(text).expressions().next().is_some()
}

// ----- JSON Schemas -------------------------------------------------------------------------

/// Builds the JSON Schema of types, collecting named types into `$defs`.
struct SchemaBuilder {
    definitions: Map<String, Value>,
}

impl SchemaBuilder {
    fn schema(&mut self, ty: &Type) -> Value {
        let mut schema = Map::new();
        match ty {
            Type::Any | Type::Error | Type::Unresolved(..) => {}
            Type::Null => {
                schema.insert("type".into(), "null".into());
            }
            Type::String => {
                schema.insert("type".into(), "string".into());
            }
            Type::Int => {
                schema.insert("type".into(), "integer".into());
            }
            Type::Number => {
                schema.insert("type".into(), "number".into());
            }
            Type::Bool => {
                schema.insert("type".into(), "boolean".into());
            }
            Type::Enum(values) => {
                schema.insert("type".into(), "string".into());
                schema.insert(
                    "enum".into(),
                    values
                        .iter()
                        .map(|value| Value::from(value.as_str()))
                        .collect(),
                );
            }
            Type::List(item) => {
                schema.insert("type".into(), "array".into());
                schema.insert("items".into(), self.schema(item));
            }
            Type::Map(value) => {
                schema.insert("type".into(), "object".into());
                schema.insert("additionalProperties".into(), self.schema(value));
            }
            Type::Object(object) => return self.object(object),
            Type::Optional(inner) => return nullable(self.schema(inner)),
            Type::Named(name, inner) => {
                if !self.definitions.contains_key(name) {
                    // A placeholder first: recursive types refer to themselves.
                    self.definitions.insert(name.clone(), Value::Null);
                    let definition = self.schema(inner);
                    self.definitions.insert(name.clone(), definition);
                }
                schema.insert("$ref".into(), format!("#/$defs/{name}").into());
            }
        }
        Value::Object(schema)
    }

    fn object(&mut self, object: &ObjectType) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in &object.fields {
            let mut property = match self.schema(&field.ty) {
                Value::Object(property) => property,
                other => {
                    let mut wrapped = Map::new();
                    wrapped.insert("allOf".into(), Value::Array(vec![other]));
                    wrapped
                }
            };
            if let Some(description) = &field.description {
                property.insert("description".into(), description.as_str().into());
            }
            if let Some(default) = &field.default {
                property.insert("default".into(), node_to_json(default));
            }
            if field.deprecated.is_some() {
                property.insert("deprecated".into(), true.into());
            }
            if !field.optional {
                required.push(Value::from(field.name.as_str()));
            }
            properties.insert(field.name.clone(), Value::Object(property));
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        Value::Object(schema)
    }

    /// A SchemaDef `{name, version: 1, type: JSON, data}` of an object type.
    fn schema_def(&mut self, name: String, object: &ObjectType) -> Value {
        self.definitions.clear();
        let mut data = Map::new();
        data.insert("$schema".into(), JSON_SCHEMA_DIALECT.into());
        if let Value::Object(body) = self.object(object) {
            data.extend(body);
        }
        if !self.definitions.is_empty() {
            data.insert(
                "$defs".into(),
                Value::Object(std::mem::take(&mut self.definitions)),
            );
        }
        let mut schema_def = Map::new();
        schema_def.insert("name".into(), name.into());
        schema_def.insert("version".into(), 1.into());
        schema_def.insert("type".into(), "JSON".into());
        schema_def.insert("data".into(), Value::Object(data));
        Value::Object(schema_def)
    }
}

/// `schema` or null.
fn nullable(schema: Value) -> Value {
    let Value::Object(mut object) = schema else {
        return schema;
    };
    if object.is_empty() {
        return Value::Object(object);
    }
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
        if let Some(Value::String(single)) = object.get("type").cloned() {
            object.insert(
                "type".into(),
                Value::Array(vec![single.into(), "null".into()]),
            );
        }
        return Value::Object(object);
    }
    match object.get("type").cloned() {
        Some(Value::String(single)) if !object.contains_key("$ref") => {
            if single != "null" {
                object.insert(
                    "type".into(),
                    Value::Array(vec![single.into(), "null".into()]),
                );
            }
            Value::Object(object)
        }
        _ => {
            let mut null = Map::new();
            null.insert("type".into(), "null".into());
            let mut any_of = Map::new();
            any_of.insert(
                "anyOf".into(),
                Value::Array(vec![Value::Object(object), Value::Object(null)]),
            );
            Value::Object(any_of)
        }
    }
}

// ----- TaskDefs -----------------------------------------------------------------------------

/// The TaskDef of a worker contract. `fallback_owner` (the owner of a workflow using it) is the
/// `ownerEmail` when the contract has no `owner`.
pub fn task_def(worker: &Worker, fallback_owner: Option<&str>) -> Value {
    let settings = &worker.settings;
    let mut def = Map::new();
    def.insert("name".into(), worker.name.value.as_str().into());
    if let Some(description) = &worker.description {
        def.insert("description".into(), description.as_str().into());
    }
    let owner = settings
        .owner
        .as_ref()
        .map(|owner| owner.value.as_str())
        .or(fallback_owner);
    if let Some(owner) = owner {
        def.insert("ownerEmail".into(), owner.into());
    }
    def.insert(
        "retryCount".into(),
        settings
            .retry_count
            .as_ref()
            .map_or(DEFAULT_RETRY_COUNT, |count| count.value)
            .into(),
    );
    if let Some(logic) = settings.retry_logic {
        def.insert("retryLogic".into(), logic.conductor_name().into());
    }
    let put_seconds = |def: &mut Map<String, Value>, key: &str, value: Option<u64>| {
        if let Some(value) = value {
            def.insert(key.into(), seconds(value).into());
        }
    };
    put_seconds(
        &mut def,
        "retryDelaySeconds",
        settings.retry_delay_ms.as_ref().map(|delay| delay.value),
    );
    put_seconds(
        &mut def,
        "maxRetryDelaySeconds",
        settings
            .max_retry_delay_ms
            .as_ref()
            .map(|delay| delay.value),
    );
    if let Some(scale) = &settings.backoff_scale {
        def.insert("backoffScaleFactor".into(), scale.value.into());
    }
    if let Some(jitter) = &settings.jitter_ms {
        def.insert("backoffJitterMs".into(), jitter.value.into());
    }
    put_seconds(
        &mut def,
        "timeoutSeconds",
        settings.timeout_ms.as_ref().map(|timeout| timeout.value),
    );
    put_seconds(
        &mut def,
        "totalTimeoutSeconds",
        settings
            .total_timeout_ms
            .as_ref()
            .map(|timeout| timeout.value),
    );
    put_seconds(
        &mut def,
        "responseTimeoutSeconds",
        settings
            .response_timeout_ms
            .as_ref()
            .map(|timeout| timeout.value),
    );
    put_seconds(
        &mut def,
        "pollTimeoutSeconds",
        settings
            .poll_timeout_ms
            .as_ref()
            .map(|timeout| timeout.value),
    );
    if let Some(policy) = settings.timeout_policy {
        def.insert("timeoutPolicy".into(), policy.conductor_name().into());
    }
    if let Some(count) = &settings.rate_limit_count {
        def.insert("rateLimitPerFrequency".into(), count.value.into());
        let per = settings
            .rate_limit_per_ms
            .as_ref()
            .map_or(1, |per| seconds(per.value).max(1));
        def.insert("rateLimitFrequencyInSeconds".into(), per.into());
    }
    if let Some(concurrency) = &settings.concurrency {
        def.insert("concurrentExecLimit".into(), concurrency.value.into());
    }
    let keys = |object: &ObjectType| -> Value {
        object
            .fields
            .iter()
            .map(|field| Value::from(field.name.as_str()))
            .collect()
    };
    def.insert("inputKeys".into(), keys(&worker.input));
    def.insert("outputKeys".into(), keys(&worker.output));
    let template = input_template(&worker.input);
    if !template.is_empty() {
        def.insert("inputTemplate".into(), Value::Object(template));
    }
    let mut schemas = SchemaBuilder {
        definitions: Map::new(),
    };
    if !worker.input.fields.is_empty() {
        def.insert(
            "inputSchema".into(),
            schemas.schema_def(format!("{}_input", worker.name.value), &worker.input),
        );
    }
    if !worker.output.fields.is_empty() {
        def.insert(
            "outputSchema".into(),
            schemas.schema_def(format!("{}_output", worker.name.value), &worker.output),
        );
    }
    merge_raw(&mut def, settings.raw.as_ref());
    Value::Object(def)
}

/// The defaults of the top-level fields of an object: Conductor's `inputTemplate`.
fn input_template(object: &ObjectType) -> Map<String, Value> {
    object
        .fields
        .iter()
        .filter_map(|field| {
            let default = field.default.as_deref()?;
            Some((field.name.clone(), node_to_json(default)))
        })
        .collect()
}

// ----- layout -------------------------------------------------------------------------------

/// Reference names: the author's (also those inside raw JSON) and the generated ones.
struct RefNames<'a> {
    /// The author's references (borrowed: a large workflow has tens of thousands) and the
    /// generated ones.
    taken: FxHashSet<Cow<'a, str>>,
    parallel_count: usize,
}

impl<'a> RefNames<'a> {
    fn new(workflow: &'a Workflow) -> RefNames<'a> {
        let mut taken: FxHashSet<Cow<'a, str>> = workflow
            .tasks
            .iter()
            .map(|task| Cow::Borrowed(task.name.value.as_str()))
            .collect();
        for task in &workflow.tasks {
            let raw = match &task.kind {
                TaskKind::Raw { fields, .. } => Some(fields),
                _ => task.raw.as_ref(),
            };
            if let Some(raw) = raw {
                collect_raw_refs(raw, &mut taken);
            }
        }
        RefNames {
            taken,
            parallel_count: 0,
        }
    }

    /// `base`, or `base_2`, `base_3`, … — the first that is free; taken from now on.
    fn fresh(&mut self, base: &str) -> String {
        let mut candidate = base.to_string();
        let mut number = 2;
        while self.taken.contains(candidate.as_str()) {
            candidate = joined(base, &number.to_string());
            number += 1;
        }
        self.taken.insert(Cow::Owned(candidate.clone()));
        candidate
    }

    /// A generated reference derived from an author's one: `REF_suffix`.
    fn derived(&mut self, reference: &str, suffix: &str) -> String {
        self.fresh(&joined(reference, suffix))
    }

    /// The FORK_JOIN and JOIN references of a generated parallel group.
    fn parallel_group(&mut self) -> (String, String) {
        self.parallel_count += 1;
        let fork = self.fresh(&format!("parallel_{}", self.parallel_count));
        let join = self.derived(&fork, "join");
        (fork, join)
    }
}

/// `a_b`, never with a double underscore (Conductor splits loop references on `__`).
fn joined(base: &str, suffix: &str) -> String {
    if base.ends_with('_') {
        format!("{base}{suffix}")
    } else {
        format!("{base}_{suffix}")
    }
}

/// Every `taskReferenceName` inside a raw JSON value.
fn collect_raw_refs<'a>(node: &'a Node, taken: &mut FxHashSet<Cow<'a, str>>) {
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        match &node.kind {
            NodeKind::Mapping(entries) => {
                for entry in entries {
                    if entry.key.as_str() == Some("taskReferenceName")
                        && let Some(name) = entry.value.as_str()
                    {
                        taken.insert(Cow::Borrowed(name));
                    }
                    // An inline sub-workflow definition has references of its own.
                    if entry.key.as_str() != Some("workflowDefinition") {
                        pending.push(&entry.value);
                    }
                }
            }
            NodeKind::Sequence(items) => pending.extend(items),
            NodeKind::Scalar(_) => {}
        }
    }
}

// ----- WorkflowDefs -------------------------------------------------------------------------

/// A WorkflowDef and the WorkflowDef of its compensations.
struct Emitted {
    definition: Value,
    compensation: Option<Value>,
}

fn emit_workflow(checked: &CheckedWorkflow) -> Emitted {
    emit_workflow_with_threads(checked, crate::threads::available())
}

/// [`emit_workflow`] on at most `threads` threads; the result does not depend on it.
fn emit_workflow_with_threads(checked: &CheckedWorkflow, threads: usize) -> Emitted {
    let workflow = checked.workflow;
    let mut emitter = Emitter::new(checked);
    emitter.threads = threads;
    let compensation_name = compensated_tasks(workflow).next().map(|_| {
        compensation_workflow_name(
            workflow
                .name
                .as_ref()
                .map_or("workflow", |name| name.value.as_str()),
        )
    });
    let mut def = Map::new();
    if let Some(name) = &workflow.name {
        def.insert("name".into(), name.value.as_str().into());
    }
    if let Some(description) = &workflow.description {
        def.insert("description".into(), description.as_str().into());
    }
    def.insert(
        "version".into(),
        workflow
            .version
            .as_ref()
            .map_or(1, |version| version.value)
            .into(),
    );
    def.insert("schemaVersion".into(), SCHEMA_VERSION.into());
    if let Some(owner) = &workflow.owner {
        def.insert("ownerEmail".into(), owner.value.as_str().into());
    }
    def.insert(
        "timeoutSeconds".into(),
        workflow
            .timeout_ms
            .as_ref()
            .map_or(0, |timeout| seconds(timeout.value))
            .into(),
    );
    def.insert(
        "timeoutPolicy".into(),
        workflow
            .timeout_policy
            .unwrap_or(crate::model::TimeoutPolicy::AlertOnly)
            .conductor_name()
            .into(),
    );
    // The compensation workflow starts `on_failure` itself, once it is done.
    if let Some(failure_workflow) = compensation_name
        .as_deref()
        .or(workflow.on_failure.as_ref().map(|name| name.value.as_str()))
    {
        def.insert("failureWorkflow".into(), failure_workflow.into());
    }
    def.insert(
        "restartable".into(),
        workflow.restartable.unwrap_or(true).into(),
    );
    if let Some(listener) = &workflow.status_listener {
        match listener.plain_value() {
            Some(PlainValue::Bool(enabled)) => {
                def.insert("workflowStatusListenerEnabled".into(), enabled.into());
            }
            Some(PlainValue::Null) | None => {}
            Some(_) => {
                def.insert("workflowStatusListenerEnabled".into(), true.into());
                def.insert(
                    "workflowStatusListenerSink".into(),
                    listener.as_str().unwrap_or_default().into(),
                );
            }
        }
    }

    // The workflow's own signature: resolved input types and inferred output types.
    let inferred;
    let signature = match &checked.graph.signature {
        Some(signature) => signature,
        None => {
            inferred = WorkflowChecker::new(
                workflow,
                checked.scope,
                checked.sources.text(workflow.file),
                false,
            )
            .signature();
            &inferred
        }
    };
    def.insert(
        "inputParameters".into(),
        workflow
            .inputs
            .fields
            .iter()
            .map(|field| Value::from(field.name.as_str()))
            .collect(),
    );
    let template = input_template(&signature.inputs);
    if !template.is_empty() {
        def.insert("inputTemplate".into(), Value::Object(template));
    }
    let name = workflow
        .name
        .as_ref()
        .map_or("workflow", |name| name.value.as_str());
    let mut schemas = SchemaBuilder {
        definitions: Map::new(),
    };
    if !signature.inputs.fields.is_empty() {
        def.insert(
            "inputSchema".into(),
            schemas.schema_def(format!("{name}_input"), &signature.inputs),
        );
    }
    if !workflow.outputs.is_empty() {
        let parameters: Map<String, Value> = workflow
            .outputs
            .iter()
            .filter_map(|output| {
                output
                    .value
                    .as_ref()
                    .map(|value| (output.name.value.clone(), node_to_json(value)))
            })
            .collect();
        def.insert("outputParameters".into(), Value::Object(parameters));
        if let Type::Object(outputs) = &signature.outputs {
            def.insert(
                "outputSchema".into(),
                schemas.schema_def(format!("{name}_output"), outputs),
            );
        }
    }
    if !workflow.variables.is_empty() {
        def.insert(
            "variables".into(),
            Value::Object(
                workflow
                    .variables
                    .iter()
                    .map(|(name, value)| (name.value.clone(), node_to_json(value)))
                    .collect(),
            ),
        );
    }
    let tasks = emitter.root_list();
    let compensation = compensation_name.map(|name| emit_compensation(checked, &tasks, name));
    def.insert("tasks".into(), Value::Array(tasks));
    merge_raw(&mut def, workflow.raw.as_ref());
    Emitted {
        definition: Value::Object(def),
        compensation,
    }
}

/// Whether a task sits inside a compensation (at any depth).
fn in_compensation(workflow: &Workflow, id: TaskId) -> bool {
    workflow.ancestors(id).iter().any(|(container, _)| {
        matches!(
            container,
            Container::Task {
                slot: COMPENSATION_SLOT,
                ..
            }
        )
    })
}

/// The tasks of the workflow proper that have a compensation.
fn compensated_tasks(workflow: &Workflow) -> impl Iterator<Item = &Task> {
    workflow
        .tasks
        .iter()
        .filter(|task| task.compensate.is_some() && !in_compensation(workflow, task.id))
}

/// The fields of a task execution record the compensations can read as `${REF.FIELD}`, with
/// the name Conductor's execution JSON gives them.
const TASK_RECORD_FIELDS: &[(&str, &str)] = &[
    ("input", "inputData"),
    ("output", "outputData"),
    ("status", "status"),
    ("reasonForIncompletion", "reasonForIncompletion"),
    ("taskId", "taskId"),
    ("taskType", "taskType"),
    ("taskDefName", "taskDefName"),
    ("referenceTaskName", "referenceTaskName"),
    ("retryCount", "retryCount"),
    ("pollCount", "pollCount"),
    ("workerId", "workerId"),
    ("correlationId", "correlationId"),
    ("workflowInstanceId", "workflowInstanceId"),
    ("scheduledTime", "scheduledTime"),
    ("startTime", "startTime"),
    ("endTime", "endTime"),
    ("callbackAfterSeconds", "callbackAfterSeconds"),
    ("iteration", "iteration"),
];

/// The INLINE script that turns the failed execution's task list into `{REF: record}` for the
/// references in `$.refs` (the latest attempt or iteration of each), with `completed` set when
/// the task ended `COMPLETED`. Lists are only indexed (no array methods), so that the script
/// also runs where `$` holds host lists rather than JavaScript arrays.
fn compensation_state_script() -> String {
    let fields: Vec<String> = TASK_RECORD_FIELDS
        .iter()
        .map(|(name, source)| format!("{name}: task.{source}"))
        .collect();
    format!(
        "(function () {{\n  var wanted = {{}};\n  for (var j = 0; j < $.refs.length; j++) {{ wanted[String($.refs[j])] = true; }}\n  var state = {{}};\n  var tasks = $.tasks || [];\n  for (var i = 0; i < tasks.length; i++) {{\n    var task = tasks[i];\n    var ref = String(task.referenceTaskName).split('__')[0];\n    if (!wanted[ref]) {{ continue; }}\n    state[ref] = {{ completed: String(task.status) == 'COMPLETED', {} }};\n  }}\n  return state;\n}})()",
        fields.join(", ")
    )
}

/// The compensation workflow: the failure workflow of a workflow whose tasks have
/// `compensate:`. It reads the failed execution (`failedWorkflow` in its input), then, for each
/// compensated task in the reverse of the order the workflow runs them, runs the compensation
/// when the task completed; reads of the workflow's tasks are rewritten to read the recorded
/// execution. Finally it starts the workflow's own `on_failure` workflow, if any.
fn emit_compensation(checked: &CheckedWorkflow, parent_tasks: &[Value], name: String) -> Value {
    let workflow = checked.workflow;
    let mut emitter = Emitter::new(checked);
    // Compensated tasks, latest first: the reverse of the emitted order, which is a topological
    // order of the workflow (a task after everything it depends on).
    let mut emitted_order = Vec::new();
    collect_emitted_refs(parent_tasks, &mut emitted_order);
    let compensated: HashMap<&str, &Task> = compensated_tasks(workflow)
        .map(|task| (task.name.value.as_str(), task))
        .collect();
    let mut seen = HashSet::new();
    let order: Vec<&Task> = emitted_order
        .iter()
        .rev()
        .filter_map(|reference| compensated.get(reference.as_str()).copied())
        .filter(|task| seen.insert(task.id))
        .collect();
    // References of the workflow proper (also inside raw JSON), which compensations read from
    // the recorded execution.
    let mut parent_refs: FxHashSet<Cow<str>> = FxHashSet::default();
    for task in &workflow.tasks {
        if in_compensation(workflow, task.id) {
            continue;
        }
        parent_refs.insert(Cow::Borrowed(task.name.value.as_str()));
        let raw = match &task.kind {
            TaskKind::Raw { fields, .. } => Some(fields),
            _ => task.raw.as_ref(),
        };
        if let Some(raw) = raw {
            collect_raw_refs(raw, &mut parent_refs);
        }
    }
    let state = emitter.names.fresh("compensation_state");
    let mut read: BTreeSet<String> = order.iter().map(|task| task.name.value.clone()).collect();
    let mut steps = Vec::new();
    for task in &order {
        let Some(compensation) = task.compensate else {
            continue;
        };
        let mut body = emitter.emit(compensation);
        for value in &mut body {
            rewrite_reads(value, &parent_refs, &state, &mut read);
        }
        let reference = task.name.value.as_str();
        let check = emitter.names.derived(reference, "if_completed");
        let mut step = header(&check, &check, "SWITCH", None);
        let mut parameters = Map::new();
        parameters.insert(
            "switchCaseValue".into(),
            format!("${{{state}.output.result.{reference}.completed}}").into(),
        );
        step.insert("inputParameters".into(), Value::Object(parameters));
        step.insert("evaluatorType".into(), "value-param".into());
        step.insert("expression".into(), "switchCaseValue".into());
        let mut cases = Map::new();
        cases.insert("true".into(), Value::Array(body));
        step.insert("decisionCases".into(), Value::Object(cases));
        step.insert("defaultCase".into(), Value::Array(Vec::new()));
        steps.push(Value::Object(step));
    }
    let mut collect = header(
        &state,
        &state,
        "INLINE",
        Some("What each task of the failed execution did, for the compensations"),
    );
    let mut parameters = Map::new();
    parameters.insert("evaluatorType".into(), "javascript".into());
    parameters.insert("expression".into(), compensation_state_script().into());
    parameters.insert(
        "tasks".into(),
        "${workflow.input.failedWorkflow.tasks}".into(),
    );
    parameters.insert(
        "refs".into(),
        read.iter().map(|name| Value::from(name.as_str())).collect(),
    );
    collect.insert("inputParameters".into(), Value::Object(parameters));
    let mut tasks = vec![Value::Object(collect)];
    tasks.extend(steps);
    if let Some(on_failure) = &workflow.on_failure {
        let start = emitter.names.fresh("start_on_failure");
        let mut task = header(&start, &start, "START_WORKFLOW", None);
        let mut request = Map::new();
        request.insert("name".into(), on_failure.value.as_str().into());
        // What Conductor would have given it: the input of the failed run and the failure.
        request.insert("input".into(), "${workflow.input}".into());
        let mut parameters = Map::new();
        parameters.insert("startWorkflow".into(), Value::Object(request));
        task.insert("inputParameters".into(), Value::Object(parameters));
        tasks.push(Value::Object(task));
    }

    let parent_name = workflow
        .name
        .as_ref()
        .map_or("workflow", |name| name.value.as_str());
    let mut def = Map::new();
    def.insert("name".into(), name.into());
    def.insert(
        "description".into(),
        format!("Undoes the completed steps of {parent_name} when it fails (generated by wfc)")
            .into(),
    );
    def.insert(
        "version".into(),
        workflow
            .version
            .as_ref()
            .map_or(1, |version| version.value)
            .into(),
    );
    def.insert("schemaVersion".into(), SCHEMA_VERSION.into());
    if let Some(owner) = &workflow.owner {
        def.insert("ownerEmail".into(), owner.value.as_str().into());
    }
    def.insert("timeoutSeconds".into(), 0.into());
    def.insert("timeoutPolicy".into(), "ALERT_ONLY".into());
    def.insert("restartable".into(), true.into());
    let mut inputs: Vec<Value> = workflow
        .inputs
        .fields
        .iter()
        .map(|field| Value::from(field.name.as_str()))
        .collect();
    for failure_input in [
        "workflowId",
        "reason",
        "failureStatus",
        "failureTaskId",
        "failedWorkflow",
    ] {
        if !inputs.contains(&Value::from(failure_input)) {
            inputs.push(failure_input.into());
        }
    }
    def.insert("inputParameters".into(), Value::Array(inputs));
    def.insert("tasks".into(), Value::Array(tasks));
    Value::Object(def)
}

/// The `taskReferenceName`s of emitted tasks, in document order (nested tasks after their
/// container).
fn collect_emitted_refs(tasks: &[Value], found: &mut Vec<String>) {
    for task in tasks {
        if let Some(reference) = task.get("taskReferenceName").and_then(Value::as_str) {
            found.push(reference.to_string());
        }
        if let Some(cases) = task.get("decisionCases").and_then(Value::as_object) {
            for list in cases.values() {
                collect_emitted_refs(list.as_array().map_or(&[][..], Vec::as_slice), found);
            }
        }
        for key in ["defaultCase", "loopOver"] {
            if let Some(list) = task.get(key).and_then(Value::as_array) {
                collect_emitted_refs(list, found);
            }
        }
        if let Some(branches) = task.get("forkTasks").and_then(Value::as_array) {
            for branch in branches {
                collect_emitted_refs(branch.as_array().map_or(&[][..], Vec::as_slice), found);
            }
        }
    }
}

/// Rewrites, in every string of `value`, the reads a compensation makes of the failed run:
/// `${REF…}` of a task of the workflow proper becomes `${STATE.output.result.REF…}` (recorded
/// in `read`), and `${workflow.FIELD…}` reads the failed execution, except `input` (the
/// failure workflow gets the failed run's input), `secrets` and `env`.
fn rewrite_reads(
    value: &mut Value,
    parent_refs: &FxHashSet<Cow<str>>,
    state: &str,
    read: &mut BTreeSet<String>,
) {
    match value {
        Value::String(text) => {
            if let Some(rewritten) = rewrite_template(text, parent_refs, state, read) {
                *text = rewritten;
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_reads(item, parent_refs, state, read);
            }
        }
        Value::Object(entries) => {
            for item in entries.values_mut() {
                rewrite_reads(item, parent_refs, state, read);
            }
        }
        _ => {}
    }
}

fn rewrite_template(
    text: &str,
    parent_refs: &FxHashSet<Cow<str>>,
    state: &str,
    read: &mut BTreeSet<String>,
) -> Option<String> {
    if !text.contains("${") {
        return None;
    }
    let template = expression::scan(text);
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for found in template.all_expressions() {
        if !found.is_terminated() {
            continue;
        }
        let Some(body) = text.get(found.inner.clone()) else {
            continue;
        };
        let (skipped, path) = match body.strip_prefix("$.") {
            Some(path) => (2, path),
            None => (0, body),
        };
        let root_length = path.find(['.', '[']).unwrap_or(path.len());
        let root = &path[..root_length];
        let start = found.inner.start + skipped;
        if parent_refs.contains(root) {
            read.insert(root.to_string());
            edits.push((
                start,
                start + root_length,
                format!("{state}.output.result.{root}"),
            ));
        } else if root == "workflow"
            && let Some(rest) = path[root_length..].strip_prefix('.')
        {
            let field_length = rest.find(['.', '[']).unwrap_or(rest.len());
            let replacement = match &rest[..field_length] {
                "input" | "secrets" | "env" => None,
                "workflowId" => Some(String::from("workflow.input.workflowId")),
                "workflowType" => Some(String::from(
                    "workflow.input.failedWorkflow.workflowDefinition.name",
                )),
                "version" => Some(String::from(
                    "workflow.input.failedWorkflow.workflowDefinition.version",
                )),
                field => Some(format!("workflow.input.failedWorkflow.{field}")),
            };
            if let Some(replacement) = replacement {
                edits.push((start, start + root_length + 1 + field_length, replacement));
            }
        }
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.0));
    let mut rewritten = text.to_string();
    for (start, end, replacement) in edits {
        rewritten.replace_range(start..end, &replacement);
    }
    Some(rewritten)
}

/// In workflows of at least this many tasks, lists are laid out on one thread while leaf tasks
/// are emitted on another ([`Emitter::root_list`]).
const PARALLEL_EMIT_TASKS_MIN: usize = 1_000;

/// Leaf tasks are emitted ahead in chunks of this many tasks ([`Emitter::root_list`]).
const LEAF_CHUNK: usize = 256;

/// Emits the tasks of one workflow.
struct Emitter<'a> {
    workflow: &'a Workflow,
    scope: &'a Scope,
    layout: Layout<'a>,
    names: RefNames<'a>,
    /// Leaf tasks emitted ahead, by task id ([`Emitter::root_list`]).
    ready: Vec<Option<Map<String, Value>>>,
    /// Lists laid out ahead, by their first task (lists do not share tasks).
    layouts: FxHashMap<TaskId, ListLayout>,
    /// Layouts already emitted, freed together once the workflow is assembled.
    spent_layouts: Vec<ListLayout>,
    /// How many threads [`Emitter::root_list`] may use.
    threads: usize,
}

impl<'a> Emitter<'a> {
    fn new(checked: &CheckedWorkflow<'a>) -> Emitter<'a> {
        Emitter {
            workflow: checked.workflow,
            scope: checked.scope,
            layout: Layout::new(checked.workflow, checked.graph),
            names: RefNames::new(checked.workflow),
            ready: Vec::new(),
            layouts: FxHashMap::default(),
            spent_layouts: Vec::new(),
            threads: crate::threads::available(),
        }
    }

    fn task(&self, id: TaskId) -> &'a Task {
        let workflow: &'a Workflow = self.workflow;
        workflow.task(id)
    }

    /// Lays out and emits one task list.
    fn list(&mut self, list: &[TaskId]) -> Vec<Value> {
        let layout = list
            .first()
            .and_then(|first| self.layouts.remove(first))
            .unwrap_or_else(|| self.layout.list(list));
        let emitted = self.laid_out(&layout, list);
        self.spent_layouts.push(layout);
        emitted
    }

    /// Lays out and emits the top-level list. In a large workflow, every list is laid out on
    /// one thread while every leaf task is emitted on another ([`Emitter::leaf`]): neither
    /// depends on the other, and what is left is assembly. Leaf tasks are taken in chunks by
    /// whichever thread is free, so the thread that lays out helps once it is done. The JSON is
    /// the same.
    fn root_list(&mut self) -> Vec<Value> {
        let workflow: &'a Workflow = self.workflow;
        if self.threads >= 2 && workflow.tasks.len() >= PARALLEL_EMIT_TASKS_MIN {
            let this = &*self;
            let next_chunk = AtomicUsize::new(0);
            let emit_leaves = || {
                let mut emitted = Vec::new();
                loop {
                    let start = next_chunk.fetch_add(LEAF_CHUNK, Ordering::Relaxed);
                    let Some(chunk) = workflow.tasks.get(start..) else {
                        break;
                    };
                    let chunk = &chunk[..chunk.len().min(LEAF_CHUNK)];
                    if chunk.is_empty() {
                        break;
                    }
                    emitted.push((start, chunk.iter().map(|task| this.leaf(task)).collect()));
                }
                emitted
            };
            let ((layouts, mut leaves), more_leaves) = crate::threads::join(
                || {
                    let mut layouts = FxHashMap::default();
                    let lists = std::iter::once(workflow.roots.as_slice()).chain(
                        workflow
                            .tasks
                            .iter()
                            .flat_map(|task| task.kind.bodies().into_iter().map(|(_, list)| list)),
                    );
                    for list in lists {
                        if let Some(first) = list.first() {
                            layouts.insert(*first, this.layout.list(list));
                        }
                    }
                    (layouts, emit_leaves())
                },
                emit_leaves,
            );
            leaves.extend(more_leaves);
            leaves.sort_unstable_by_key(|(start, _)| *start);
            self.layouts = layouts;
            self.ready = leaves
                .into_iter()
                .flat_map(|(_, chunk): (usize, Vec<_>)| chunk)
                .collect();
            let tasks = self.list(&workflow.roots);
            // The layouts were built on the other thread: freeing their thousands of blocks
            // here, list by list, cost the assembly about half a millisecond at 10,000 tasks.
            crate::threads::drop_in_background(std::mem::take(&mut self.spent_layouts));
            return tasks;
        }
        self.list(&workflow.roots)
    }

    /// Emits a list as `layout` arranges it.
    fn laid_out(&mut self, layout: &ListLayout, list: &[TaskId]) -> Vec<Value> {
        let mut out = Vec::new();
        self.shape(&layout.shape, &layout.units, list, &mut out);
        out
    }

    fn shape(&mut self, shape: &Plan, units: &[Vec<usize>], list: &[TaskId], out: &mut Vec<Value>) {
        match shape {
            Plan::Task(unit) => {
                for member in units.get(*unit).map_or(&[][..], Vec::as_slice) {
                    self.emit_into(list[*member], out);
                }
            }
            Plan::Sequence(children) => {
                for child in children {
                    self.shape(child, units, list, out);
                }
            }
            Plan::Parallel(children) => {
                // Named before the branches, so that outer groups get the smaller numbers.
                let (fork, join) = self.names.parallel_group();
                let mut branches = Vec::with_capacity(children.len());
                for child in children {
                    let mut branch = Vec::new();
                    self.shape(child, units, list, &mut branch);
                    branches.push(branch);
                }
                out.extend(self.fork_join(fork, join, branches, None));
            }
        }
    }

    /// A FORK_JOIN over `branches` and the JOIN on the last task of each.
    fn fork_join(
        &mut self,
        fork: String,
        join: String,
        mut branches: Vec<Vec<Value>>,
        description: Option<&str>,
    ) -> [Value; 2] {
        let mut join_on = Vec::with_capacity(branches.len());
        for branch in &mut branches {
            self.end_branch(branch);
            if let Some(last) = branch.last().and_then(|task| task.get("taskReferenceName")) {
                join_on.push(last.clone());
            }
        }
        let mut fork_task = header(&fork, &fork, "FORK_JOIN", description);
        fork_task.insert(
            "forkTasks".into(),
            Value::Array(branches.into_iter().map(Value::Array).collect()),
        );
        let mut join_task = header(&join, &join, "JOIN", description);
        join_task.insert("joinOn".into(), Value::Array(join_on));
        [Value::Object(fork_task), Value::Object(join_task)]
    }

    /// A fork branch ending with a SWITCH gets a NOOP after it: the SWITCH is terminal before
    /// its case ran, the NOOP is scheduled only after the case's tasks.
    fn end_branch(&mut self, branch: &mut Vec<Value>) {
        let Some(last) = branch.last() else { return };
        let ends_with_switch = matches!(
            last.get("type").and_then(Value::as_str),
            Some("SWITCH" | "DECISION")
        );
        if ends_with_switch {
            let reference = last
                .get("taskReferenceName")
                .and_then(Value::as_str)
                .unwrap_or("switch")
                .to_string();
            let end = self.names.derived(&reference, "end");
            branch.push(Value::Object(header(&end, &end, "NOOP", None)));
        }
    }

    /// The Conductor tasks of one wfc task (two for `parallel` and `for_each`).
    fn emit(&mut self, id: TaskId) -> Vec<Value> {
        let mut out = Vec::with_capacity(2);
        self.emit_into(id, &mut out);
        out
    }

    /// [`Emitter::emit`] onto the end of `out` (a list being assembled: no vector per task).
    fn emit_into(&mut self, id: TaskId, out: &mut Vec<Value>) {
        if let Some(object) = self.ready.get_mut(id.0 as usize).and_then(Option::take) {
            out.push(Value::Object(object));
            return;
        }
        let task = self.task(id);
        match self.leaf(task) {
            Some(object) => out.push(Value::Object(object)),
            None => out.extend(self.compound(task)),
        }
    }

    /// The Conductor task of a task that holds no task list, `None` for the kinds that do. It
    /// depends on the task alone, not on layouts or generated names, so it can be emitted ahead
    /// and on another thread ([`Emitter::root_list`]).
    fn leaf(&self, task: &Task) -> Option<Map<String, Value>> {
        let reference = task.name.value.as_str();
        let description = task.description.as_deref();
        // Every kind below reads the author's input once: taken, not cloned.
        let input = std::cell::Cell::new(match task.input.as_ref().map(node_to_json) {
            Some(Value::Object(entries)) => entries,
            _ => Map::new(),
        });
        let input_entries = || input.take();
        let mut object = match &task.kind {
            TaskKind::Switch { .. }
            | TaskKind::Parallel { .. }
            | TaskKind::ForEach { .. }
            | TaskKind::Loop { .. } => return None,
            TaskKind::Worker { name } => {
                let mut object = header(&name.value, reference, "SIMPLE", description);
                object.insert("inputParameters".into(), Value::Object(input_entries()));
                object
            }
            TaskKind::Http { request, .. } => {
                let object = header(reference, reference, "HTTP", description);
                let mut parameters = Map::new();
                parameters.insert("http_request".into(), http_request(request));
                with_parameters(object, parameters, input_entries())
            }
            TaskKind::Dynamic { name } => {
                let object = header(reference, reference, "DYNAMIC", description);
                let mut parameters = Map::new();
                parameters.insert("taskToExecute".into(), node_to_json(name));
                let mut object = with_parameters(object, parameters, input_entries());
                object.insert("dynamicTaskNameParam".into(), "taskToExecute".into());
                object
            }
            TaskKind::SubWorkflow { target } => {
                let mut object = header(reference, reference, "SUB_WORKFLOW", description);
                object.insert("inputParameters".into(), Value::Object(input_entries()));
                let (name, version) = self.workflow_target(target);
                let mut parameters = Map::new();
                parameters.insert("name".into(), name.into());
                parameters.insert("version".into(), version.into());
                object.insert("subWorkflowParam".into(), Value::Object(parameters));
                object
            }
            TaskKind::StartWorkflow {
                target,
                correlation_id,
            } => {
                let mut object = header(reference, reference, "START_WORKFLOW", description);
                let (name, version) = self.workflow_target(target);
                let mut request = Map::new();
                request.insert("name".into(), name.into());
                request.insert("version".into(), version.into());
                request.insert("input".into(), Value::Object(input_entries()));
                if let Some(correlation_id) = correlation_id {
                    request.insert("correlationId".into(), node_to_json(correlation_id));
                }
                let mut parameters = Map::new();
                parameters.insert("startWorkflow".into(), Value::Object(request));
                object.insert("inputParameters".into(), Value::Object(parameters));
                object
            }
            TaskKind::Wait { mode } => {
                let object = header(reference, reference, "WAIT", description);
                let mut parameters = Map::new();
                match mode {
                    WaitMode::Duration(duration) => {
                        parameters
                            .insert("duration".into(), conductor_duration(duration.value).into());
                    }
                    WaitMode::DurationExpression(duration) => {
                        parameters.insert("duration".into(), node_to_json(duration));
                    }
                    WaitMode::Until(until) => {
                        parameters.insert("until".into(), node_to_json(until));
                    }
                    WaitMode::External => {}
                }
                with_parameters(object, parameters, input_entries())
            }
            TaskKind::Human { prompt } => {
                let prompt_text = prompt
                    .as_ref()
                    .and_then(|prompt| prompt.as_scalar().is_some().then(|| node_to_json(prompt)));
                let shown = description.or_else(|| prompt.as_ref().and_then(Node::as_str));
                let object = header(reference, reference, "HUMAN", shown);
                let mut parameters = Map::new();
                if let Some(prompt) = prompt {
                    let passed = match (&prompt_text, description) {
                        // The description is the author's own: keep the prompt in the input.
                        (Some(_), Some(_)) => true,
                        (Some(Value::String(text)), None) => has_expressions(text),
                        (Some(_), None) => false,
                        (None, _) => true,
                    };
                    if passed {
                        parameters.insert("prompt".into(), node_to_json(prompt));
                    }
                }
                with_parameters(object, parameters, input_entries())
            }
            TaskKind::Inline { script, .. } => {
                let object = header(reference, reference, "INLINE", description);
                let mut parameters = Map::new();
                parameters.insert("evaluatorType".into(), "javascript".into());
                parameters.insert("expression".into(), node_to_json(script));
                with_parameters(object, parameters, input_entries())
            }
            TaskKind::Jq { query, .. } => {
                let object = header(reference, reference, "JSON_JQ_TRANSFORM", description);
                let mut parameters = Map::new();
                parameters.insert("queryExpression".into(), node_to_json(query));
                with_parameters(object, parameters, input_entries())
            }
            TaskKind::SetVariable { values } => {
                let mut object = header(reference, reference, "SET_VARIABLE", description);
                let parameters: Map<String, Value> = values
                    .iter()
                    .map(|(name, value)| (name.value.clone(), node_to_json(value)))
                    .collect();
                object.insert("inputParameters".into(), Value::Object(parameters));
                object
            }
            TaskKind::Terminate {
                status,
                reason,
                result,
            } => {
                let object = header(reference, reference, "TERMINATE", description);
                let mut parameters = Map::new();
                parameters.insert("terminationStatus".into(), node_to_json(status));
                if let Some(reason) = reason {
                    parameters.insert("terminationReason".into(), node_to_json(reason));
                }
                if let Some(result) = result {
                    parameters.insert("workflowOutput".into(), node_to_json(result));
                }
                with_parameters(object, parameters, input_entries())
            }
            TaskKind::Event { sink } => {
                let mut object = header(reference, reference, "EVENT", description);
                object.insert("inputParameters".into(), Value::Object(input_entries()));
                object.insert("sink".into(), node_to_json(sink));
                object
            }
            TaskKind::Kafka { request } => {
                let object = header(reference, reference, "KAFKA_PUBLISH", description);
                let mut parameters = Map::new();
                parameters.insert("kafka_request".into(), kafka_request(request));
                with_parameters(object, parameters, input_entries())
            }
            TaskKind::Noop => header(reference, reference, "NOOP", description),
            TaskKind::Join { on } => {
                let mut object = header(reference, reference, "JOIN", description);
                if task.input.is_some() {
                    object.insert("inputParameters".into(), Value::Object(input_entries()));
                }
                object.insert(
                    "joinOn".into(),
                    on.iter()
                        .map(|name| Value::from(name.value.as_str()))
                        .collect(),
                );
                object
            }
            TaskKind::ExclusiveJoin { on, default } => {
                let mut object = header(reference, reference, "EXCLUSIVE_JOIN", description);
                if task.input.is_some() {
                    object.insert("inputParameters".into(), Value::Object(input_entries()));
                }
                object.insert(
                    "joinOn".into(),
                    on.iter()
                        .map(|name| Value::from(name.value.as_str()))
                        .collect(),
                );
                if !default.is_empty() {
                    object.insert(
                        "defaultExclusiveJoinTask".into(),
                        default
                            .iter()
                            .map(|name| Value::from(name.value.as_str()))
                            .collect(),
                    );
                }
                object
            }
            TaskKind::Raw { task_type, fields } => {
                let fields = match node_to_json(fields) {
                    Value::Object(fields) => fields,
                    _ => Map::new(),
                };
                let name = fields
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(reference)
                    .to_string();
                let task_type = task_type
                    .as_ref()
                    .map_or("SIMPLE", |task_type| task_type.value.as_str());
                let mut object = header(&name, reference, task_type, description);
                // The author's input, under the raw task's own `inputParameters` keys.
                let mut parameters = input_entries();
                if let Some(Value::Object(raw_parameters)) = fields.get("inputParameters") {
                    for (key, value) in raw_parameters {
                        parameters.insert(key.clone(), value.clone());
                    }
                }
                if task.input.is_some() || fields.contains_key("inputParameters") {
                    object.insert("inputParameters".into(), Value::Object(parameters));
                }
                for (key, value) in fields {
                    if !matches!(
                        key.as_str(),
                        "name" | "taskReferenceName" | "type" | "inputParameters"
                    ) {
                        object.insert(key, value);
                    }
                }
                self.common(task, &mut object);
                return Some(object);
            }
            TaskKind::Invalid => header(reference, reference, "SIMPLE", description),
        };
        self.finish(task, &mut object);
        Some(object)
    }

    /// The Conductor tasks of a task that holds task lists: its lists are laid out, and their
    /// forks and generated names numbered, in emission order.
    fn compound(&mut self, task: &'a Task) -> Vec<Value> {
        let reference = task.name.value.as_str();
        let description = task.description.as_deref();
        let input = || match task.input.as_ref().map(node_to_json) {
            Some(Value::Object(entries)) => entries,
            _ => Map::new(),
        };
        let mut object = match &task.kind {
            TaskKind::Switch {
                selector,
                cases,
                default,
                ..
            } => {
                let object = header(reference, reference, "SWITCH", description);
                let mut parameters = Map::new();
                let (evaluator, expression) = match selector {
                    SwitchSelector::Value(value) => {
                        parameters.insert("switchCaseValue".into(), node_to_json(value));
                        ("value-param", Value::from("switchCaseValue"))
                    }
                    SwitchSelector::JavaScript(script) => ("javascript", node_to_json(script)),
                };
                let mut object = with_parameters(object, parameters, input());
                object.insert("evaluatorType".into(), evaluator.into());
                object.insert("expression".into(), expression);
                let mut decision_cases = Map::new();
                for case in cases {
                    let tasks = self.list(&case.tasks);
                    decision_cases.insert(case.value.value.clone(), Value::Array(tasks));
                }
                object.insert("decisionCases".into(), Value::Object(decision_cases));
                let default_tasks = match default {
                    Some(list) => self.list(list),
                    None => Vec::new(),
                };
                object.insert("defaultCase".into(), Value::Array(default_tasks));
                object
            }
            TaskKind::Parallel { branches } => {
                let fork = self.names.derived(reference, "fork");
                let branches: Vec<Vec<Value>> =
                    branches.iter().map(|branch| self.list(branch)).collect();
                let [mut fork_task, join_task] =
                    self.fork_join(fork, reference.to_string(), branches, description);
                if let Value::Object(fork_object) = &mut fork_task {
                    self.finish(task, fork_object);
                }
                return vec![fork_task, join_task];
            }
            TaskKind::ForEach { items, target } => {
                let fork = self.names.derived(reference, "fork");
                let mut fork_task = header(&fork, &fork, "FORK_JOIN_DYNAMIC", description);
                let mut parameters = Map::new();
                match target {
                    ForEachTarget::Worker(worker) => {
                        parameters.insert("forkTaskName".into(), worker.value.as_str().into());
                        parameters.insert("forkTaskType".into(), "SIMPLE".into());
                    }
                    ForEachTarget::SubWorkflow(target) => {
                        let (name, version) = self.workflow_target(target);
                        // Only names the generated references (`_REF_0`, …).
                        parameters.insert("forkTaskName".into(), reference.into());
                        parameters.insert("forkTaskWorkflow".into(), name.into());
                        // A string: Conductor reads it with `Integer.parseInt`.
                        parameters
                            .insert("forkTaskWorkflowVersion".into(), version.to_string().into());
                    }
                }
                parameters.insert("forkTaskInputs".into(), node_to_json(items));
                fork_task.insert("inputParameters".into(), Value::Object(parameters));
                self.finish(task, &mut fork_task);
                let mut join_task = header(reference, reference, "JOIN", description);
                join_task.insert("joinOn".into(), Value::Array(Vec::new()));
                return vec![Value::Object(fork_task), Value::Object(join_task)];
            }
            TaskKind::Loop {
                condition,
                items,
                keep_last,
                body,
            } => {
                let mut object = header(reference, reference, "DO_WHILE", description);
                let mut parameters = input();
                if let Some(keep_last) = keep_last {
                    parameters.insert("keepLastN".into(), keep_last.value.into());
                }
                object.insert("inputParameters".into(), Value::Object(parameters));
                let condition = condition
                    .as_ref()
                    .map_or_else(|| Value::from("true"), node_to_json);
                object.insert("loopCondition".into(), condition);
                if let Some(items) = items {
                    object.insert("items".into(), node_to_json(items));
                }
                let body = self.list(body);
                object.insert("loopOver".into(), Value::Array(body));
                object
            }
            _ => return self.leaf(task).map(Value::Object).into_iter().collect(),
        };
        self.finish(task, &mut object);
        vec![Value::Object(object)]
    }

    /// The common fields, then the task's `raw:` fields.
    fn finish(&self, task: &Task, object: &mut Map<String, Value>) {
        self.common(task, object);
        merge_raw(object, task.raw.as_ref());
    }

    fn common(&self, task: &Task, object: &mut Map<String, Value>) {
        if let Some(optional) = &task.optional {
            object.insert("optional".into(), optional.value.into());
        }
        if let Some(permissive) = task.permissive {
            object.insert("permissive".into(), permissive.into());
        }
        if let Some(delay) = &task.start_delay_ms {
            object.insert("startDelay".into(), seconds(delay.value).into());
        }
        if let Some(retries) = &task.retries {
            object.insert("retryCount".into(), retries.value.into());
        }
        if let Some(async_complete) = task.async_complete {
            object.insert("asyncComplete".into(), async_complete.into());
        }
    }

    /// The registered name and the literal version of a called workflow.
    fn workflow_target(&self, target: &WorkflowTarget) -> (String, i64) {
        let signature = if target.external {
            None
        } else {
            self.scope.workflows.get(&target.name.value)
        };
        let name = signature.map_or_else(
            || target.name.value.clone(),
            |signature| signature.name.clone(),
        );
        let version = target
            .version
            .as_ref()
            .map(|version| version.value)
            .or_else(|| signature.and_then(|signature| signature.version))
            .unwrap_or(1);
        (name, version)
    }
}

/// `{name, taskReferenceName, type, description}`: how every task starts.
fn header(
    name: &str,
    reference: &str,
    task_type: &str,
    description: Option<&str>,
) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("name".into(), name.into());
    object.insert("taskReferenceName".into(), reference.into());
    object.insert("type".into(), task_type.into());
    if let Some(description) = description {
        object.insert("description".into(), description.into());
    }
    object
}

/// A task's `inputParameters`: the kind's own parameters, then the entries of the author's
/// `input:` that do not clash (the kind's keys win).
fn with_parameters(
    mut object: Map<String, Value>,
    mut parameters: Map<String, Value>,
    input: Map<String, Value>,
) -> Map<String, Value> {
    for (key, value) in input {
        parameters.entry(key).or_insert(value);
    }
    object.insert("inputParameters".into(), Value::Object(parameters));
    object
}

/// `inputParameters.http_request` of an HTTP task.
fn http_request(request: &Node) -> Value {
    let mut out = Map::new();
    if request.as_mapping().is_none() {
        out.insert("uri".into(), node_to_json(request));
        out.insert("method".into(), "GET".into());
        return Value::Object(out);
    }
    if let Some(url) = request.get("url").or_else(|| request.get("uri")) {
        out.insert("uri".into(), node_to_json(url));
    }
    out.insert(
        "method".into(),
        request
            .get("method")
            .map_or_else(|| Value::from("GET"), node_to_json),
    );
    for (key, field) in [
        ("headers", "headers"),
        ("body", "body"),
        ("accept", "accept"),
        ("content_type", "contentType"),
    ] {
        if let Some(value) = request.get(key) {
            out.insert(field.into(), node_to_json(value));
        }
    }
    for (key, field) in [
        ("connect_timeout", "connectionTimeOut"),
        ("read_timeout", "readTimeOut"),
    ] {
        if let Some(value) = request.get(key) {
            out.insert(
                field.into(),
                duration_ms(value).map_or_else(|| node_to_json(value), Value::from),
            );
        }
    }
    Value::Object(out)
}

/// `inputParameters.kafka_request` of a KAFKA_PUBLISH task.
fn kafka_request(request: &Node) -> Value {
    let mut out = Map::new();
    for (key, field) in [
        ("servers", "bootStrapServers"),
        ("topic", "topic"),
        ("value", "value"),
        ("key", "key"),
        ("headers", "headers"),
    ] {
        if let Some(value) = request.get(key) {
            out.insert(field.into(), node_to_json(value));
        }
    }
    if let Some(serializer) = request.get("key_serializer") {
        let class = match serializer.as_str() {
            Some("string") => Value::from("org.apache.kafka.common.serialization.StringSerializer"),
            Some("long") => Value::from("org.apache.kafka.common.serialization.LongSerializer"),
            Some("integer") => {
                Value::from("org.apache.kafka.common.serialization.IntegerSerializer")
            }
            _ => node_to_json(serializer),
        };
        out.insert("keySerializer".into(), class);
    }
    for (key, field) in [
        ("request_timeout", "requestTimeoutMs"),
        ("max_block", "maxBlockMs"),
    ] {
        if let Some(value) = request.get(key) {
            out.insert(
                field.into(),
                duration_ms(value).map_or_else(|| node_to_json(value), Value::from),
            );
        }
    }
    Value::Object(out)
}

// ----- text -------------------------------------------------------------------------------

/// Indentation stops growing past this many levels of nesting (see [`to_json_text`]).
pub const MAX_INDENT_LEVELS: usize = 12;

/// The text `wfc compile` writes: JSON pretty-printed with two spaces per level and a final
/// newline, except that indentation stops growing past [`MAX_INDENT_LEVELS`] levels. Plans
/// nest forks inside forks (a workflow of thousands of tasks can nest dozens deep), and with
/// ever-growing indentation the file grows with the square of the nesting; capped, it stays
/// proportional to the workflow while shallow definitions read exactly as usual.
pub fn to_json_text(value: &Value) -> String {
    String::from_utf8(to_json_bytes(value)).unwrap_or_else(|_| "null\n".to_string())
}

/// [`to_json_text`] as UTF-8 bytes, ready to write. A large definition's task objects are
/// written on several threads and spliced into the rest; the bytes are the same.
pub fn to_json_bytes(value: &Value) -> Vec<u8> {
    to_json_pieces(value).to_bytes()
}

/// [`to_json_bytes`] without splicing: the text as pieces to write one after the other, so
/// that the text of a large definition is never copied into one buffer (`wfc compile` writes
/// the pieces straight to the file).
pub fn to_json_pieces(value: &Value) -> JsonText {
    to_json_pieces_with_threads(value, crate::threads::available())
}

/// The JSON text of a value in pieces, borrowed from a few buffers ([`to_json_pieces`]). Two
/// equal texts may be split differently: compare [`JsonText::to_bytes`].
#[derive(Debug, Clone)]
pub struct JsonText {
    buffers: Vec<Vec<u8>>,
    /// The pieces in order: a buffer and a range of it.
    pieces: Vec<(usize, std::ops::Range<usize>)>,
}

impl JsonText {
    /// The text of one buffer, in one piece.
    fn whole(text: Vec<u8>) -> JsonText {
        let length = text.len();
        JsonText {
            buffers: vec![text],
            pieces: vec![(0, 0..length)],
        }
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> Vec<&[u8]> {
        self.pieces
            .iter()
            .map(|(buffer, range)| &self.buffers[*buffer][range.clone()])
            .collect()
    }

    /// The whole text in one buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.pieces().concat()
    }
}

/// Values with at least this many units ([`is_unit`]) are written on several threads.
const PARALLEL_JSON_UNITS_MIN: usize = 1_000;

#[cfg(test)]
fn to_json_bytes_with_threads(value: &Value, threads: usize) -> Vec<u8> {
    to_json_pieces_with_threads(value, threads).to_bytes()
}

fn to_json_pieces_with_threads(value: &Value, threads: usize) -> JsonText {
    let mut units = Vec::new();
    if threads > 1 {
        collect_units(value, 0, &mut units);
    }
    let written = if units.len() >= PARALLEL_JSON_UNITS_MIN {
        write_with_units(value, &units, threads)
    } else {
        let mut out = Vec::with_capacity(4096);
        write_json(&mut out, value, 0).map(|()| {
            out.push(b'\n');
            JsonText::whole(out)
        })
    };
    written.unwrap_or_else(|_| JsonText::whole(b"null\n".to_vec()))
}

/// Writes `value` as it appears `depth` containers deep.
fn write_json(out: &mut Vec<u8>, value: &Value, depth: usize) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(
        out,
        CappedIndent {
            depth,
            has_value: false,
        },
    );
    serde::Serialize::serialize(value, &mut serializer)
}

/// Whether an array element is written on its own, ahead and on any thread: an object none of
/// whose values holds a list of objects or lists (a task, not a fork, switch or loop holding
/// tasks). Its text depends only on its depth.
fn is_unit(element: &Value) -> bool {
    let is_list_of_containers = |value: &Value| {
        matches!(value, Value::Array(items)
            if items.iter().any(|item| matches!(item, Value::Array(_) | Value::Object(_))))
    };
    let holds_lists = |value: &Value| match value {
        Value::Object(entries) => entries.values().any(is_list_of_containers),
        value => is_list_of_containers(value),
    };
    matches!(element, Value::Object(entries) if !entries.values().any(holds_lists))
}

/// The units of `value` (at `depth`) with their depths, in the order they are written.
fn collect_units<'value>(
    value: &'value Value,
    depth: usize,
    units: &mut Vec<(&'value Value, usize)>,
) {
    match value {
        Value::Object(entries) => {
            for value in entries.values() {
                collect_units(value, depth + 1, units);
            }
        }
        Value::Array(items) => {
            for item in items {
                if is_unit(item) {
                    units.push((item, depth + 1));
                } else {
                    collect_units(item, depth + 1, units);
                }
            }
        }
        _ => {}
    }
}

/// Writes `value` as [`write_json`] would, with a final newline: its `units` (from
/// [`collect_units`]) in contiguous runs on `threads` threads, then the rest around them into
/// one more buffer, recording where each unit's text goes.
fn write_with_units(
    value: &Value,
    units: &[(&Value, usize)],
    threads: usize,
) -> serde_json::Result<JsonText> {
    let run_length = units.len().div_ceil(threads.max(1));
    let runs = crate::threads::map_scoped(
        units.chunks(run_length).collect(),
        |run: &[(&Value, usize)]| -> serde_json::Result<(Vec<u8>, Vec<usize>)> {
            let mut text = Vec::with_capacity(run.len() * 512);
            let mut ends = Vec::with_capacity(run.len());
            for (unit, depth) in run {
                write_json(&mut text, unit, *depth)?;
                ends.push(text.len());
            }
            Ok((text, ends))
        },
    );
    let runs = runs.into_iter().collect::<serde_json::Result<Vec<_>>>()?;
    // Every unit as a piece of its run's buffer, in document order.
    let mut texts: Vec<(usize, std::ops::Range<usize>)> = Vec::with_capacity(units.len());
    for (run, (_, ends)) in runs.iter().enumerate() {
        let mut start = 0;
        for &end in ends {
            texts.push((run, start..end));
            start = end;
        }
    }
    // The rest goes to one more buffer; each unit ends the piece of it written so far.
    let around_buffer = runs.len();
    let mut pieces = Vec::with_capacity(2 * texts.len() + 1);
    let mut around_start = 0;
    let mut texts = texts.into_iter();
    let mut around = Vec::with_capacity(64 * units.len() + 4096);
    write_around_units(
        &mut around,
        value,
        0,
        &mut |around: &mut Vec<u8>| match texts.next() {
            Some(text) => {
                pieces.push((around_buffer, around_start..around.len()));
                pieces.push(text);
                around_start = around.len();
            }
            None => around.extend_from_slice(b"null"),
        },
    )?;
    around.push(b'\n');
    pieces.push((around_buffer, around_start..around.len()));
    pieces.retain(|(_, range)| !range.is_empty());
    let mut buffers: Vec<Vec<u8>> = runs.into_iter().map(|(text, _)| text).collect();
    buffers.push(around);
    Ok(JsonText { buffers, pieces })
}

/// The part of [`write_with_units`] that writes everything but the units, in document order.
fn write_around_units(
    out: &mut Vec<u8>,
    value: &Value,
    depth: usize,
    unit: &mut impl FnMut(&mut Vec<u8>),
) -> serde_json::Result<()> {
    let line = |out: &mut Vec<u8>, first: bool, depth: usize| {
        out.extend_from_slice(if first { b"\n" } else { b",\n" });
        CappedIndent {
            depth,
            has_value: false,
        }
        .indent(out)
    };
    match value {
        Value::Object(entries) if !entries.is_empty() => {
            out.push(b'{');
            for (index, (key, value)) in entries.iter().enumerate() {
                line(out, index == 0, depth + 1).map_err(serde_json::Error::io)?;
                serde_json::to_writer(&mut *out, key)?;
                out.extend_from_slice(b": ");
                write_around_units(out, value, depth + 1, unit)?;
            }
            line(out, true, depth).map_err(serde_json::Error::io)?;
            out.push(b'}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                line(out, index == 0, depth + 1).map_err(serde_json::Error::io)?;
                if is_unit(item) {
                    unit(out);
                } else {
                    write_around_units(out, item, depth + 1, unit)?;
                }
            }
            line(out, true, depth).map_err(serde_json::Error::io)?;
            out.push(b']');
        }
        _ => serde_json::to_writer(&mut *out, value)?,
    }
    Ok(())
}

/// `serde_json`'s pretty formatter, with indentation capped at [`MAX_INDENT_LEVELS`].
#[derive(Default)]
struct CappedIndent {
    depth: usize,
    has_value: bool,
}

impl CappedIndent {
    fn indent<W: ?Sized + std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 2 * MAX_INDENT_LEVELS];
        writer.write_all(&SPACES[..2 * self.depth.min(MAX_INDENT_LEVELS)])
    }
}

impl CappedIndent {
    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    /// `]` or `}`, on a line of its own unless the container is empty.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            self.indent(writer)?;
        }
        writer.write_all(bracket)
    }

    /// Before an element or a key: a line of its own.
    fn next_line<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }
}

impl serde_json::ser::Formatter for CappedIndent {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.next_line(writer, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        _writer: &mut W,
    ) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.next_line(writer, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        _writer: &mut W,
    ) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_is_pretty_with_capped_indentation() {
        let shallow = serde_json::json!({"a": [1, {"b": []}, {}], "c": "d"});
        assert_eq!(
            to_json_text(&shallow),
            format!(
                "{}\n",
                serde_json::to_string_pretty(&shallow).expect("serializes")
            )
        );
        let mut deep = Value::from(1);
        for _ in 0..40 {
            deep = Value::Array(vec![deep]);
        }
        let text = to_json_text(&deep);
        assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(deep));
        let widest = text
            .lines()
            .map(|line| line.len() - line.trim_start().len())
            .max();
        assert_eq!(widest, Some(2 * MAX_INDENT_LEVELS));
    }

    #[test]
    fn large_definitions_are_written_the_same_on_any_number_of_threads() {
        // Odd tasks hold an object in a list: they are written around, not as units.
        let task = |index: usize| {
            let listed = if index % 2 == 1 {
                serde_json::json!({"b": "x\u{e9}\"y\n"})
            } else {
                Value::from("x\u{e9}\"y\n")
            };
            serde_json::json!({"name": format!("t{index}"), "type": "SIMPLE",
                "inputParameters": {"a": [index, listed], "c": {}, "e": [], "f": 1.5},
                "d": [], "g": null, "h": true})
        };
        // Forks in forks (deeper than the indentation cap), switches, loops, around many tasks.
        fn nest(level: usize, next: &mut usize, task: &dyn Fn(usize) -> Value) -> Value {
            let mut tasks: Vec<Value> = (0..250)
                .map(|_| {
                    *next += 1;
                    task(*next)
                })
                .collect();
            if level < 16 {
                tasks.push(
                    serde_json::json!({"name": format!("fork{level}"), "type": "FORK_JOIN",
                    "forkTasks": [[nest(level + 1, next, task)], [task(0)], []]}),
                );
                tasks.push(
                    serde_json::json!({"name": format!("switch{level}"), "type": "SWITCH",
                    "decisionCases": {"a": [task(1)], "b": []}, "defaultCase": [task(2)]}),
                );
                tasks.push(
                    serde_json::json!({"name": format!("loop{level}"), "type": "DO_WHILE",
                    "loopOver": [task(3)], "inputParameters": {"items": [[1], {"x": 2}]}}),
                );
            }
            Value::Array(tasks)
        }
        let mut next = 0;
        let definition = serde_json::json!({
            "name": "w",
            "tasks": nest(0, &mut next, &task),
            "outputParameters": {"x": 1},
            "empty": [],
        });
        let mut units = Vec::new();
        collect_units(&definition, 0, &mut units);
        assert!(
            units.len() >= 2 * PARALLEL_JSON_UNITS_MIN,
            "{}",
            units.len()
        );
        let sequential = to_json_bytes_with_threads(&definition, 1);
        assert_eq!(
            serde_json::from_slice::<Value>(&sequential).ok(),
            Some(definition.clone())
        );
        for threads in [2, 3, 8] {
            assert!(
                to_json_bytes_with_threads(&definition, threads) == sequential,
                "{threads} threads"
            );
        }
        // Shallow definitions read exactly as serde_json's pretty printer writes them.
        let shallow = serde_json::json!({"tasks": (0..PARALLEL_JSON_UNITS_MIN).map(task).collect::<Vec<_>>()});
        assert_eq!(
            to_json_bytes_with_threads(&shallow, 2),
            format!(
                "{}\n",
                serde_json::to_string_pretty(&shallow).expect("serializes")
            )
            .into_bytes()
        );
    }

    #[test]
    fn durations_in_conductor_text() {
        assert_eq!(conductor_duration(0), "0 seconds");
        assert_eq!(conductor_duration(1), "1 second");
        assert_eq!(conductor_duration(90_000), "1 minute 30 seconds");
        assert_eq!(conductor_duration(5_400_000), "1 hour 30 minutes");
        assert_eq!(conductor_duration(3 * 86_400_000), "3 days");
        assert_eq!(conductor_duration(86_400_000 + 1_000), "1 day 1 second");
    }

    #[test]
    fn the_compensation_state_script_is_javascript() {
        let script = compensation_state_script();
        assert_eq!(
            crate::javascript::check_syntax(&script, crate::javascript::ScriptMode::Program).ok(),
            Some(())
        );
    }

    /// Runs the script in QuickJS on a small execution: the latest attempt of each wanted
    /// reference wins, loop iterations are folded, other tasks are left out.
    #[test]
    fn the_compensation_state_script_records_the_run() -> Result<(), rquickjs::Error> {
        let input = serde_json::json!({
            "refs": ["charge", "ship", "pick"],
            "tasks": [
                {"referenceTaskName": "charge", "status": "FAILED", "inputData": {"a": 1},
                 "outputData": {}, "retryCount": 0},
                {"referenceTaskName": "charge", "status": "COMPLETED", "inputData": {"a": 1},
                 "outputData": {"id": "ch_1"}, "retryCount": 1},
                {"referenceTaskName": "ship__1", "status": "COMPLETED", "outputData": {"n": 1}},
                {"referenceTaskName": "ship__2", "status": "CANCELED", "outputData": {"n": 2}},
                {"referenceTaskName": "other", "status": "COMPLETED", "outputData": {}}
            ]
        });
        let runtime = rquickjs::Runtime::new()?;
        let context = rquickjs::Context::full(&runtime)?;
        let code = format!(
            "var $ = {input}; JSON.stringify({})",
            compensation_state_script()
        );
        let result: String = context.with(|context| context.eval(code))?;
        let state: Value = serde_json::from_str(&result).unwrap_or_default();
        assert_eq!(state["charge"]["completed"], true);
        assert_eq!(state["charge"]["output"]["id"], "ch_1");
        assert_eq!(state["charge"]["input"]["a"], 1);
        assert_eq!(state["charge"]["retryCount"], 1);
        assert_eq!(state["ship"]["completed"], false);
        assert_eq!(state["ship"]["status"], "CANCELED");
        assert!(state.get("pick").is_none());
        assert!(state.get("other").is_none());
        Ok(())
    }

    #[test]
    fn compensation_reads_are_rewritten() {
        let refs: FxHashSet<Cow<str>> = [Cow::Borrowed("charge")].into_iter().collect();
        let mut read = BTreeSet::new();
        let rewrite = |text: &str, read: &mut BTreeSet<String>| {
            rewrite_template(text, &refs, "state", read).unwrap_or_else(|| text.to_string())
        };
        assert_eq!(
            rewrite(
                "id ${charge.output.id} of ${workflow.input.order}",
                &mut read
            ),
            "id ${state.output.result.charge.output.id} of ${workflow.input.order}"
        );
        assert_eq!(
            rewrite("${charge['output']} ${$.charge.status}", &mut read),
            "${state.output.result.charge['output']} ${$.state.output.result.charge.status}"
        );
        assert_eq!(
            rewrite("${workflow.variables.x} ${workflow.workflowId}", &mut read),
            "${workflow.input.failedWorkflow.variables.x} ${workflow.input.workflowId}"
        );
        assert_eq!(
            rewrite(
                "$${charge.output} ${other.output} ${workflow.secrets.KEY}",
                &mut read
            ),
            "$${charge.output} ${other.output} ${workflow.secrets.KEY}"
        );
        assert_eq!(
            rewrite("${workflow.input.${charge.output.key}}", &mut read),
            "${workflow.input.${state.output.result.charge.output.key}}"
        );
        assert_eq!(read.into_iter().collect::<Vec<_>>(), ["charge"]);
    }

    /// Forks whose branches end with leaf tasks, raw SWITCH tasks and compiled switches (which
    /// get a NOOP), in a workflow large enough for the leaf tasks to be emitted ahead on
    /// another thread: the definition must be the one a single thread emits.
    #[test]
    fn large_workflows_are_emitted_the_same_on_any_number_of_threads() {
        use crate::project::{InputFile, NoLoader, analyze};
        let mut workflow = String::from(
            "workflow: wide\nowner: a@example.com\nimports: [w.workers.yaml]\ntasks:\n",
        );
        for group in 0..300 {
            let source = format!("g{group}_source");
            workflow.push_str(&format!(
                "  {source}:\n    worker: step\n    input: {{n: 1}}\n"
            ));
            workflow.push_str(&format!(
                "  g{group}_leaf:\n    worker: step\n    input: {{n: \"${{{source}.output.n}}\"}}\n"
            ));
            workflow.push_str(&format!(
                "  g{group}_raw:\n    raw:\n      type: SWITCH\n      evaluatorType: value-param\n      \
                 expression: x\n      decisionCases: {{a: [{{name: g{group}_a, taskReferenceName: g{group}_a, \
                 type: NOOP}}]}}\n      defaultCase: []\n    \
                 input: {{x: \"${{{source}.output.n}}\"}}\n"
            ));
            workflow.push_str(&format!(
                "  g{group}_switch:\n    switch: ${{{source}.output.n}}\n    cases:\n      \
                 \"1\":\n        g{group}_case:\n          worker: step\n          input: {{n: 2}}\n"
            ));
            workflow.push_str(&format!(
                "  g{group}_each:\n    for_each: ${{{source}.output.items}}\n    worker: item\n"
            ));
            workflow.push_str(&format!(
                "  g{group}_loop:\n    loop: {{items: \"${{{source}.output.items}}\"}}\n    do:\n      \
                 g{group}_body:\n        worker: step\n        input: {{n: 3}}\n"
            ));
        }
        let files = vec![
            InputFile {
                path: "w.workers.yaml".into(),
                text: "workers:\n  step:\n    input: {n: int}\n    output: {n: int, items: list<int>}\n  \
                       item:\n    input: {}\n    output: {}\n"
                    .into(),
            },
            InputFile {
                path: "wide.wf.yaml".into(),
                text: workflow,
            },
        ];
        let analysis = analyze(files, &NoLoader, &crate::config::Config::default());
        let errors: Vec<_> = analysis
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == crate::diagnostic::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let (file, graph) = &analysis.graphs[0];
        let index = analysis
            .workflows
            .iter()
            .position(|workflow| workflow.file == *file)
            .expect("the workflow");
        let checked = CheckedWorkflow {
            workflow: &analysis.workflows[index],
            scope: &analysis.scopes[index],
            graph,
            sources: &analysis.sources,
        };
        assert!(checked.workflow.tasks.len() >= PARALLEL_EMIT_TASKS_MIN);
        let alone = emit_workflow_with_threads(&checked, 1).definition;
        let threaded = emit_workflow_with_threads(&checked, 2).definition;
        // Not `assert_eq!`: a failure would print two definitions of a thousand tasks.
        assert!(alone == threaded, "two threads emit another definition");
        let text = to_json_text(&alone);
        // A fork of the 300 groups, and one in each after the group's first task: the leaf, the
        // raw SWITCH, the switch, the `for_each` (a FORK_JOIN_DYNAMIC and its JOIN) and the
        // loop; both kinds of switch get a NOOP, whose reference the JOIN waits for.
        assert_eq!(text.matches("\"FORK_JOIN\"").count(), 301);
        assert_eq!(text.matches("\"type\": \"NOOP\"").count(), 300 + 600);
        let join_on = "\"joinOn\": [\n              \"g7_leaf\",\n              \"g7_raw_end\",\n              \
                       \"g7_switch_end\",\n              \"g7_each\",\n              \"g7_loop\"\n            ]";
        assert!(
            text.contains(join_on),
            "the JOIN of group 7 waits for other tasks"
        );
    }

    #[test]
    fn generated_names_avoid_double_underscores() {
        assert_eq!(joined("a_", "fork"), "a_fork");
        assert_eq!(joined("a", "fork"), "a_fork");
    }

    #[test]
    fn nullable_schemas() {
        assert_eq!(
            nullable(serde_json::json!({"type": "string"})),
            serde_json::json!({"type": ["string", "null"]})
        );
        assert_eq!(
            nullable(serde_json::json!({"type": "string", "enum": ["a"]})),
            serde_json::json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            nullable(serde_json::json!({"$ref": "#/$defs/A"})),
            serde_json::json!({"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]})
        );
        assert_eq!(nullable(serde_json::json!({})), serde_json::json!({}));
    }
}
