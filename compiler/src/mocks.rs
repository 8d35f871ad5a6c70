//! Mock files of `wfc run`, checked against the workflows they mock.
//!
//! A mock file is Conductor's own test fixture: the `taskRefToMockOutput` map of
//! `POST /api/workflow/test` (task reference → list of `{status, output, executionTime}` results,
//! used in order), or the whole `WorkflowTestRequest` holding it (with `input`, and
//! `subWorkflowTestRequest` for the tasks of sub-workflows). Keeping Conductor's shape means a
//! fixture moves between `wfc run` and a real server unchanged.
//!
//! A mock that names no task, has a status no worker can report, or an output the worker could
//! never produce would make a dry run pass (or fail) for the wrong reason, so the file is read
//! with the spanned YAML tree (JSON is YAML) and every such mistake is a [`Diagnostic`] located
//! in it, like those of `wfc check`:
//! [`invalid_mock_file`](crate::rules::invalid_mock_file) (the shape),
//! [`unknown_mock_reference`](crate::rules::unknown_mock_reference),
//! [`invalid_mock_status`](crate::rules::invalid_mock_status),
//! [`mock_output_mismatch`](crate::rules::mock_output_mismatch) (each completed `output` against
//! the declared output type of the task: its worker contract, `returns:` or `output:`) and
//! [`unused_mock`](crate::rules::unused_mock).
//!
//! References are resolved against the compiled WorkflowDef JSON, which is what runs: tasks nested
//! in `raw:` JSON, the generated tasks of a `for_each` (`_<worker>_<index>`), the compensation
//! and failure workflows all have mocks. Declared types come from the analysis when the run was
//! compiled from wfc files; Conductor JSON has none, so only references and shapes are checked.
//!
//! The module also gives `wfc run --stub` a sample value of every declared output type
//! ([`stub_outputs`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::check::WorkflowChecker;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Span, sort_diagnostics};
use crate::emit::{COMPENSATION_SUFFIX, node_to_json};
use crate::model::TaskKind;
use crate::project::Analysis;
use crate::rules;
use crate::source::FileId;
use crate::suggest;
use crate::syntax::{self, Node, NodeKind, PlainValue, Style};
use crate::types::{Field, Type};

/// The statuses a mock can report: Conductor's `TaskResult.Status` without `CANCELED`, which
/// `wfc run` leaves to the engine.
pub const STATUSES: [&str; 4] = [
    "COMPLETED",
    "FAILED",
    "FAILED_WITH_TERMINAL_ERROR",
    "IN_PROGRESS",
];

/// The keys of one mocked result: Conductor's `TaskMock`, plus `reasonForIncompletion` (a wfc
/// addition that a server ignores) for the reason of a failed result.
pub const RESULT_KEYS: [&str; 5] = [
    "status",
    "output",
    "executionTime",
    "queueWaitTime",
    "reasonForIncompletion",
];

/// The keys of a `WorkflowTestRequest` (a `StartWorkflowRequest` with the mocks).
pub const REQUEST_KEYS: [&str; 13] = [
    "name",
    "version",
    "input",
    "correlationId",
    "taskToDomain",
    "workflowDef",
    "priority",
    "externalInputPayloadStoragePath",
    "createdBy",
    "idempotencyKey",
    "idempotencyStrategy",
    "taskRefToMockOutput",
    "subWorkflowTestRequest",
];

/// The task types whose results come from outside the engine, and which a mock can therefore
/// stand in for. Conductor's test service ignores mocks of its operators (JOIN, DO_WHILE,
/// SET_VARIABLE, FORK, INLINE, TERMINATE, DECISION, SWITCH, FORK_JOIN(_DYNAMIC), SUB_WORKFLOW);
/// the other tasks it computes inside the decider (LAMBDA, JSON_JQ_TRANSFORM, NOOP,
/// EXCLUSIVE_JOIN) are never running when mocks are applied. A DYNAMIC task runs as the task it
/// names, under its own reference, so it is mocked like that task.
pub fn is_mockable(task_type: &str) -> bool {
    !matches!(
        task_type,
        "JOIN"
            | "EXCLUSIVE_JOIN"
            | "DO_WHILE"
            | "SET_VARIABLE"
            | "FORK"
            | "FORK_JOIN"
            | "FORK_JOIN_DYNAMIC"
            | "INLINE"
            | "LAMBDA"
            | "JSON_JQ_TRANSFORM"
            | "TERMINATE"
            | "DECISION"
            | "SWITCH"
            | "SUB_WORKFLOW"
            | "NOOP"
    )
}

/// Removes Conductor's loop suffix: `poll__3` → (`poll`, 3).
pub fn split_iteration(reference: &str) -> Option<(&str, u32)> {
    let (base, iteration) = reference.rsplit_once("__")?;
    if base.is_empty() || iteration.is_empty() || !iteration.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((base, iteration.parse().ok()?))
}

/// What a mock file is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Project<'a> {
    /// Every WorkflowDef of the run: the workflow run first, then the sub-workflows, failure
    /// and compensation workflows it may start.
    pub definitions: &'a [Value],
    /// The analysed project the definitions were compiled from, for the declared output types;
    /// `None` when the run is of Conductor JSON.
    pub analysis: Option<&'a Analysis>,
}

/// A checked mock file.
#[derive(Debug, Clone, Default)]
pub struct CheckedMocks {
    /// Sorted; after the configured severities and `# wfc: ignore[...]` comments of the file.
    pub diagnostics: Vec<Diagnostic>,
    /// The file as JSON (`None` after a syntax error).
    pub document: Option<Value>,
}

/// Checks the mock file `file` (its `text`) against the workflows of a run.
pub fn check(file: FileId, text: &str, project: &Project, config: &Config) -> CheckedMocks {
    let parsed = syntax::parse(file, text);
    let mut diagnostics = parsed.diagnostics;
    let document = parsed.root.as_ref().map(node_to_json);
    if let Some(root) = &parsed.root {
        let targets = Targets::new(project);
        let mut checker = MockChecker {
            file,
            project,
            targets: &targets,
            checkers: HashMap::new(),
            diagnostics: Vec::new(),
        };
        match targets.root() {
            Some(target) => checker.request_or_map(root, target, true),
            None => checker.request_or_map(root, &targets.everything, true),
        }
        diagnostics.extend(checker.diagnostics);
    } else if diagnostics.is_empty() {
        diagnostics.push(
            Diagnostic::new(
                &rules::invalid_mock_file::RULE,
                file,
                Span::empty_at(0),
                "the mock file is empty",
            )
            .with_help("give each task reference a list of results: `charge: [{status: COMPLETED, output: {id: ch_1}}]`"),
        );
    }
    let (suppressions, problems) = crate::suppression::parse(file, text);
    diagnostics.extend(problems);
    let index = crate::source::LineIndex::new(text);
    diagnostics.retain(|diagnostic| {
        !suppressions.suppresses(
            index.line_of(diagnostic.span.start as usize),
            diagnostic.code,
        )
    });
    diagnostics.retain_mut(|diagnostic| match config.override_for(diagnostic.code) {
        None => true,
        Some(None) => false,
        Some(Some(severity)) => {
            diagnostic.severity = severity;
            true
        }
    });
    sort_diagnostics(&mut diagnostics);
    CheckedMocks {
        diagnostics,
        document,
    }
}

// ----- what the references resolve to ---------------------------------------------------------

/// A task of a compiled workflow, as a mock sees it.
#[derive(Debug, Clone)]
struct TaskInfo {
    /// The WorkflowDef holding it.
    workflow: String,
    task_type: String,
    /// Inside a DO_WHILE: its references carry `__N`.
    in_loop: bool,
    /// For SUB_WORKFLOW tasks: the child workflow's name.
    sub_workflow: Option<String>,
    /// For the generated tasks of a dynamic fork: the worker they run.
    fork_worker: Option<String>,
}

/// The tasks of one workflow by reference, and the reference prefixes of its dynamic forks.
#[derive(Debug, Clone, Default)]
struct Target {
    name: String,
    tasks: BTreeMap<String, TaskInfo>,
    /// `_<forkTaskName>_` and `_<forkRef>_<forkTaskName>_`, followed by an index.
    generated: Vec<(String, TaskInfo)>,
}

impl Target {
    fn resolve(&self, reference: &str) -> Resolution<'_> {
        if let Some(info) = self.tasks.get(reference) {
            return Resolution::Found(info);
        }
        if let Some((base, _)) = split_iteration(reference)
            && let Some(info) = self.tasks.get(base)
        {
            return if info.in_loop {
                Resolution::Found(info)
            } else {
                Resolution::NotInLoop(base.len())
            };
        }
        for (prefix, info) in &self.generated {
            if let Some(index) = reference.strip_prefix(prefix.as_str())
                && !index.is_empty()
                && index.bytes().all(|byte| byte.is_ascii_digit())
            {
                return Resolution::Found(info);
            }
        }
        Resolution::Unknown
    }

    fn add_tasks(&mut self, tasks: &[Value], in_loop: bool, depth: usize) {
        if depth > 64 {
            return;
        }
        for task in tasks {
            let Some(task) = task.as_object() else {
                continue;
            };
            let text = |key: &str| task.get(key).and_then(Value::as_str);
            let task_type = text("type").unwrap_or("SIMPLE").to_string();
            if let Some(reference) = text("taskReferenceName") {
                let sub_workflow = (task_type == "SUB_WORKFLOW")
                    .then(|| {
                        task.get("subWorkflowParam")
                            .and_then(|parameters| parameters.get("name"))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .flatten();
                if task_type == "FORK_JOIN_DYNAMIC" {
                    self.add_generated(task, reference, in_loop);
                }
                self.tasks.insert(
                    reference.to_string(),
                    TaskInfo {
                        workflow: self.name.clone(),
                        task_type: task_type.clone(),
                        in_loop,
                        sub_workflow,
                        fork_worker: None,
                    },
                );
            }
            let lists = |key: &str| task.get(key).and_then(Value::as_array);
            if let Some(cases) = task.get("decisionCases").and_then(Value::as_object) {
                for case in cases.values().filter_map(Value::as_array) {
                    self.add_tasks(case, in_loop, depth + 1);
                }
            }
            if let Some(default) = lists("defaultCase") {
                self.add_tasks(default, in_loop, depth + 1);
            }
            if let Some(branches) = lists("forkTasks") {
                for branch in branches.iter().filter_map(Value::as_array) {
                    self.add_tasks(branch, in_loop, depth + 1);
                }
            }
            if let Some(body) = lists("loopOver") {
                self.add_tasks(body, true, depth + 1);
            }
        }
    }

    /// The references of the tasks a `forkTaskName`-style dynamic fork creates.
    fn add_generated(&mut self, task: &Map<String, Value>, reference: &str, in_loop: bool) {
        let Some(parameters) = task.get("inputParameters").and_then(Value::as_object) else {
            return;
        };
        let text = |key: &str| parameters.get(key).and_then(Value::as_str);
        let child = text("forkTaskWorkflow").map(str::to_string);
        let fork_name = text("forkTaskName")
            .or_else(|| text("forkTaskType"))
            .unwrap_or(reference);
        if fork_name.contains("${") {
            return;
        }
        let info = TaskInfo {
            workflow: self.name.clone(),
            task_type: if child.is_some() {
                "SUB_WORKFLOW".to_string()
            } else {
                text("forkTaskType").unwrap_or("SIMPLE").to_string()
            },
            in_loop,
            sub_workflow: child.clone(),
            fork_worker: child.is_none().then(|| fork_name.to_string()),
        };
        self.generated
            .push((format!("_{fork_name}_"), info.clone()));
        self.generated
            .push((format!("_{reference}_{fork_name}_"), info));
    }
}

enum Resolution<'a> {
    Found(&'a TaskInfo),
    /// `ref__N` where `ref` (of this many bytes) is not inside a loop.
    NotInLoop(usize),
    Unknown,
}

/// The targets of every workflow of the run, and of all of them together (the fallback for
/// references of other workflows in a flat `taskRefToMockOutput`).
struct Targets {
    by_name: BTreeMap<String, Target>,
    root_name: Option<String>,
    everything: Target,
}

impl Targets {
    fn new(project: &Project) -> Targets {
        let mut by_name: BTreeMap<String, Target> = BTreeMap::new();
        let mut everything = Target::default();
        let mut root_name = None;
        for definition in project.definitions {
            let name = definition
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if root_name.is_none() {
                root_name = Some(name.clone());
            }
            let tasks = definition
                .get("tasks")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            let mut target = Target {
                name: name.clone(),
                ..Target::default()
            };
            target.add_tasks(tasks, false, 0);
            for (reference, info) in &target.tasks {
                everything
                    .tasks
                    .entry(reference.clone())
                    .or_insert_with(|| info.clone());
            }
            everything
                .generated
                .extend(target.generated.iter().cloned());
            // The first definition of a name is the one a name-only reference starts.
            by_name.entry(name).or_insert(target);
        }
        everything.name = root_name.clone().unwrap_or_default();
        Targets {
            by_name,
            root_name,
            everything,
        }
    }

    fn root(&self) -> Option<&Target> {
        self.by_name.get(self.root_name.as_ref()?)
    }
}

// ----- the checker ------------------------------------------------------------------------------

/// Where a task's output type comes from, for messages.
struct DeclaredOutput {
    ty: Type,
    origin: String,
}

struct MockChecker<'a> {
    file: FileId,
    project: &'a Project<'a>,
    targets: &'a Targets,
    /// A type checker per analysed workflow (by index), for task output types.
    checkers: HashMap<usize, WorkflowChecker<'a>>,
    diagnostics: Vec<Diagnostic>,
}

/// Whether a mapping is a whole `WorkflowTestRequest` rather than a bare `taskRefToMockOutput`.
fn is_request(node: &Node) -> bool {
    let Some(entries) = node.as_mapping() else {
        return false;
    };
    entries.iter().any(|entry| match entry.key.as_str() {
        Some("taskRefToMockOutput" | "subWorkflowTestRequest" | "workflowDef") => true,
        Some("name" | "input" | "version") => entry.value.as_sequence().is_none(),
        _ => false,
    })
}

/// `replacement` written in the quoting style of `node`, so that a fix keeps JSON valid.
fn styled(node: &Node, replacement: &str) -> String {
    match node.as_scalar().map(|scalar| scalar.style) {
        Some(Style::DoubleQuoted) => format!("\"{replacement}\""),
        Some(Style::SingleQuoted) => format!("'{replacement}'"),
        _ => replacement.to_string(),
    }
}

impl<'a> MockChecker<'a> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn shape(&mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&rules::invalid_mock_file::RULE, self.file, span, message)
    }

    fn request_or_map(&mut self, node: &Node, target: &'a Target, top: bool) {
        if node.as_mapping().is_none() {
            let diagnostic = self
                .shape(node.span, "a mock file is a mapping")
                .with_label(format!("found {}", node.kind_name()))
                .with_help("map each task reference to a list of results, or write Conductor's whole test request with `taskRefToMockOutput`");
            self.report(diagnostic);
            return;
        }
        if is_request(node) {
            self.request(node, target, top);
        } else {
            self.mock_map(node, target);
        }
    }

    fn request(&mut self, node: &Node, target: &'a Target, top: bool) {
        for entry in node.as_mapping().unwrap_or_default() {
            let key = entry.key.as_str().unwrap_or_default();
            match key {
                "taskRefToMockOutput" => {
                    if entry.value.is_null() {
                        continue;
                    }
                    self.mock_map(&entry.value, target);
                }
                "subWorkflowTestRequest" => self.sub_requests(&entry.value, target),
                "name" if top => {
                    let Some(name) = entry.value.as_str() else {
                        continue;
                    };
                    if !target.name.is_empty() && name != target.name {
                        let diagnostic = self
                            .shape(entry.value.span, "the test request is for another workflow")
                            .with_label(format!("this run is of `{}`", target.name))
                            .with_help(format!(
                                "run `{name}` with these mocks, or name `{}` here",
                                target.name
                            ))
                            .with_replacement(
                                format!("use `{}`", target.name),
                                styled(&entry.value, &target.name),
                            );
                        self.report(diagnostic);
                    }
                }
                "input" | "taskToDomain" => {
                    if entry.value.as_mapping().is_none() && !entry.value.is_null() {
                        let diagnostic = self
                            .shape(entry.value.span, format!("`{key}` must be a mapping"))
                            .with_label(format!("found {}", entry.value.kind_name()));
                        self.report(diagnostic);
                    }
                }
                known if REQUEST_KEYS.contains(&known) => {}
                unknown => {
                    let mut diagnostic = self
                        .shape(entry.key.span, format!("unknown key `{unknown}`"))
                        .with_label("not a key of Conductor's WorkflowTestRequest");
                    diagnostic = match suggest::closest(unknown, REQUEST_KEYS) {
                        Some(known) => diagnostic
                            .with_help(format!("did you mean `{known}`?"))
                            .with_replacement(
                                format!("replace with `{known}`"),
                                styled(&entry.key, known),
                            ),
                        None => diagnostic.with_help(
                            "the mocks go under `taskRefToMockOutput`, those of sub-workflows under `subWorkflowTestRequest`",
                        ),
                    };
                    self.report(diagnostic);
                }
            }
        }
    }

    fn sub_requests(&mut self, node: &Node, target: &'a Target) {
        if node.is_null() {
            return;
        }
        let Some(entries) = node.as_mapping() else {
            let diagnostic = self
                .shape(node.span, "`subWorkflowTestRequest` must be a mapping")
                .with_label(format!("found {}", node.kind_name()))
                .with_help("map the reference of each sub-workflow task to a test request");
            self.report(diagnostic);
            return;
        };
        for entry in entries {
            let reference = entry.key.as_str().unwrap_or_default();
            let child = match target.resolve(reference) {
                Resolution::Found(info) => match &info.sub_workflow {
                    Some(child) => self.targets.by_name.get(child),
                    None => {
                        let diagnostic = Diagnostic::new(
                            &rules::unknown_mock_reference::RULE,
                            self.file,
                            entry.key.span,
                            format!("`{reference}` is not a sub-workflow task"),
                        )
                        .with_label(format!("a {} task", info.task_type))
                        .with_help("mock its result under `taskRefToMockOutput` instead");
                        self.report(diagnostic);
                        continue;
                    }
                },
                _ => {
                    let sub_workflow_tasks = target
                        .tasks
                        .iter()
                        .filter(|(_, info)| info.sub_workflow.is_some())
                        .map(|(name, _)| name.as_str());
                    let mut diagnostic = Diagnostic::new(
                        &rules::unknown_mock_reference::RULE,
                        self.file,
                        entry.key.span,
                        format!("unknown sub-workflow task `{reference}`"),
                    );
                    diagnostic = match suggest::closest(reference, sub_workflow_tasks) {
                        Some(candidate) => diagnostic
                            .with_label(format!("did you mean `{candidate}`?"))
                            .with_replacement(
                                format!("use `{candidate}`"),
                                styled(&entry.key, candidate),
                            ),
                        None => diagnostic.with_label(format!(
                            "`{}` has no sub-workflow task of this name",
                            target.name
                        )),
                    };
                    self.report(diagnostic);
                    continue;
                }
            };
            match child {
                Some(child) => self.request_or_map(&entry.value, child, false),
                // The child is not among the run's definitions (already an error of the run).
                None => self.request_or_map(&entry.value, &self.targets.everything, false),
            }
        }
    }

    fn mock_map(&mut self, node: &Node, target: &'a Target) {
        let Some(entries) = node.as_mapping() else {
            let diagnostic = self
                .shape(node.span, "`taskRefToMockOutput` must be a mapping")
                .with_label(format!("found {}", node.kind_name()))
                .with_help("map each task reference to a list of results");
            self.report(diagnostic);
            return;
        };
        for entry in entries {
            let reference = entry.key.as_str().unwrap_or_default();
            let info = self.resolve(reference, &entry.key, target);
            // A sub-workflow of another project (not among the run's workflows) is answered
            // by its mock.
            let mockable = |info: &TaskInfo| {
                is_mockable(&info.task_type)
                    || info
                        .sub_workflow
                        .as_ref()
                        .is_some_and(|child| !self.targets.by_name.contains_key(child))
            };
            if let Some(info) = info
                && !mockable(info)
            {
                let diagnostic = Diagnostic::new(
                    &rules::unused_mock::RULE,
                    self.file,
                    entry.key.span,
                    format!("the mock of `{reference}` is never used"),
                )
                .with_label(format!(
                    "a {} task is computed by the engine",
                    info.task_type
                ))
                .with_help(match info.task_type.as_str() {
                    "SUB_WORKFLOW" => "mock the sub-workflow's tasks: under `subWorkflowTestRequest`, or by their references here".to_string(),
                    _ => "remove it; mock the tasks it leads to instead".to_string(),
                });
                self.report(diagnostic);
            }
            let declared = match info {
                Some(info) if mockable(info) => self.declared_output(
                    info,
                    split_iteration(reference).map_or(reference, |(base, _)| base),
                ),
                _ => None,
            };
            let Some(results) = entry.value.as_sequence() else {
                let diagnostic = self
                    .shape(
                        entry.value.span,
                        format!("the mocks of `{reference}` must be a list of results"),
                    )
                    .with_label(format!("found {}", entry.value.kind_name()))
                    .with_help(format!(
                        "one result per attempt, used in order: `{reference}: [{{status: COMPLETED, output: {{...}}}}]`"
                    ));
                self.report(diagnostic);
                continue;
            };
            for result in results {
                self.result(result, reference, declared.as_ref());
            }
        }
    }

    /// Resolves a reference of a mock map, reporting it when it names nothing.
    fn resolve(&mut self, reference: &str, key: &Node, target: &'a Target) -> Option<&'a TaskInfo> {
        let everything = &self.targets.everything;
        let resolution = match target.resolve(reference) {
            Resolution::Unknown => everything.resolve(reference),
            found => found,
        };
        match resolution {
            Resolution::Found(info) => Some(info),
            Resolution::NotInLoop(base_length) => {
                let base = &reference[..base_length];
                let diagnostic = Diagnostic::new(
                    &rules::unknown_mock_reference::RULE,
                    self.file,
                    key.span,
                    format!("unknown task `{reference}`"),
                )
                .with_label(format!("`{base}` is not inside a loop"))
                .with_help(format!(
                    "Conductor adds `__N` only to the references of a loop's tasks; mock it as `{base}`"
                ))
                .with_replacement(format!("use `{base}`"), styled(key, base));
                self.report(diagnostic);
                None
            }
            Resolution::Unknown => {
                let candidates = target
                    .tasks
                    .keys()
                    .chain(everything.tasks.keys())
                    .map(String::as_str);
                let mut diagnostic = Diagnostic::new(
                    &rules::unknown_mock_reference::RULE,
                    self.file,
                    key.span,
                    format!("unknown task `{reference}`"),
                );
                diagnostic = match suggest::closest(reference, candidates) {
                    Some(candidate) => diagnostic
                        .with_label(format!("did you mean `{candidate}`?"))
                        .with_replacement(format!("use `{candidate}`"), styled(key, candidate)),
                    None if target.name.is_empty() => {
                        diagnostic.with_label("no task has this reference name")
                    }
                    None => diagnostic.with_label(format!(
                        "no task of `{}` has this reference name",
                        target.name
                    )),
                };
                self.report(diagnostic);
                None
            }
        }
    }

    /// The declared output type of a task, when the run was compiled from wfc files.
    fn declared_output(&mut self, info: &TaskInfo, reference: &str) -> Option<DeclaredOutput> {
        let analysis = self.project.analysis?;
        let base_name = info
            .workflow
            .strip_suffix(COMPENSATION_SUFFIX)
            .unwrap_or(&info.workflow);
        let index = analysis.workflows.iter().position(|workflow| {
            workflow
                .name
                .as_ref()
                .is_some_and(|name| name.value == info.workflow || name.value == base_name)
        })?;
        let workflow = analysis.workflows.get(index)?;
        let scope = analysis.scopes.get(index)?;
        if let Some(worker) = &info.fork_worker {
            let contract = scope.workers.get(worker)?;
            return Some(DeclaredOutput {
                ty: Type::Object(contract.output.clone()),
                origin: format!("worker `{worker}`"),
            });
        }
        let task = workflow.find_task(reference)?;
        let checker = self.checkers.entry(index).or_insert_with(|| {
            WorkflowChecker::new(workflow, scope, analysis.sources.text(workflow.file), false)
        });
        match &task.kind {
            TaskKind::Worker { name } => Some(DeclaredOutput {
                ty: checker.task_output_type(task.id),
                origin: format!("worker `{}`", name.value),
            }),
            // What a mock of an HTTP call must give is the body its `returns:` declares; the
            // status code, headers and reason phrase are optional.
            TaskKind::Http {
                returns: Some(_), ..
            } => {
                let full = checker.task_output_type(task.id);
                let body = match full.structure() {
                    Type::Object(object) => object.field("response").and_then(|response| {
                        match response.ty.structure() {
                            Type::Object(response) => {
                                response.field("body").map(|body| body.ty.clone())
                            }
                            _ => None,
                        }
                    }),
                    _ => None,
                }?;
                let response = with_optional(
                    Type::builtin_object(
                        &[
                            ("body", body),
                            ("headers", Type::Map(Box::new(Type::Any))),
                            ("statusCode", Type::Int),
                            ("reasonPhrase", Type::String),
                        ],
                        false,
                    ),
                    &["headers", "statusCode", "reasonPhrase"],
                );
                Some(DeclaredOutput {
                    ty: Type::builtin_object(&[("response", response)], true),
                    origin: format!("the `returns:` of `{reference}`"),
                })
            }
            _ if task.output.is_some() => Some(DeclaredOutput {
                ty: checker.task_output_type(task.id),
                origin: format!("the `output:` of `{reference}`"),
            }),
            _ => None,
        }
    }

    fn result(&mut self, node: &Node, reference: &str, declared: Option<&DeclaredOutput>) {
        let Some(entries) = node.as_mapping() else {
            let diagnostic = self
                .shape(
                    node.span,
                    format!("a mocked result of `{reference}` must be a mapping"),
                )
                .with_label(format!("found {}", node.kind_name()))
                .with_help("write `{status: COMPLETED, output: {...}}`");
            self.report(diagnostic);
            return;
        };
        let mut completed = true;
        let mut misspelled = false;
        let mut output_given = false;
        let mut output: Option<&Node> = None;
        for entry in entries {
            let key = entry.key.as_str().unwrap_or_default();
            match key {
                "status" => completed = self.status(&entry.value),
                "output" => {
                    output_given = true;
                    if entry.value.is_null() {
                        continue;
                    }
                    if entry.value.as_mapping().is_none() {
                        let diagnostic = self
                            .shape(entry.value.span, "a mocked `output` must be a mapping")
                            .with_label(format!("found {}", entry.value.kind_name()))
                            .with_help("Conductor's task output is a map of output keys to values");
                        self.report(diagnostic);
                        continue;
                    }
                    output = Some(&entry.value);
                }
                "executionTime" | "queueWaitTime" => {
                    let valid = matches!(entry.value.plain_value(), Some(PlainValue::Int(value)) if value >= 0)
                        && entry
                            .value
                            .as_scalar()
                            .is_some_and(|scalar| scalar.style == Style::Plain);
                    if !valid {
                        let diagnostic = self
                            .shape(
                                entry.value.span,
                                format!("`{key}` must be a number of milliseconds"),
                            )
                            .with_label(format!("found {}", entry.value.kind_name()))
                            .with_help("a whole, non-negative number of milliseconds, e.g. `1500`");
                        self.report(diagnostic);
                    }
                }
                "reasonForIncompletion" => {
                    if !matches!(
                        entry.value.plain_value(),
                        Some(PlainValue::String) | Some(PlainValue::Null)
                    ) {
                        let diagnostic = self
                            .shape(entry.value.span, "`reasonForIncompletion` must be a string")
                            .with_label(format!("found {}", entry.value.kind_name()));
                        self.report(diagnostic);
                    }
                }
                unknown => {
                    misspelled = true;
                    let mut diagnostic = self
                        .shape(entry.key.span, format!("unknown key `{unknown}`"))
                        .with_label("not a key of a mocked result");
                    diagnostic = match suggest::closest(unknown, RESULT_KEYS) {
                        Some(known) => diagnostic
                            .with_help(format!("did you mean `{known}`?"))
                            .with_replacement(
                                format!("replace with `{known}`"),
                                styled(&entry.key, known),
                            ),
                        None => diagnostic.with_help(format!(
                            "a result has {}",
                            suggest::quoted_list(RESULT_KEYS)
                        )),
                    };
                    self.report(diagnostic);
                }
            }
        }
        let Some(declared) = declared else {
            return;
        };
        // A misspelled key may be the output: one mistake, one message.
        if !completed || (output.is_none() && (misspelled || output_given)) {
            return;
        }
        match output {
            Some(output) => self.output(output, &declared.ty, reference, "", None, declared),
            None => {
                // No output is an empty one.
                let empty = Node {
                    kind: NodeKind::Mapping(Vec::new()),
                    span: node.span,
                };
                self.missing_fields(&empty, &declared.ty, reference, "", declared, true);
            }
        }
    }

    /// Checks a status; returns whether the result is a completion.
    fn status(&mut self, node: &Node) -> bool {
        let text = match node.plain_value() {
            Some(PlainValue::String) => node.as_str().unwrap_or_default(),
            _ => {
                let diagnostic = Diagnostic::new(
                    &rules::invalid_mock_status::RULE,
                    self.file,
                    node.span,
                    "a mocked status is a string",
                )
                .with_label(format!("found {}", node.kind_name()))
                .with_help(format!("use one of {}", suggest::quoted_list(STATUSES)));
                self.report(diagnostic);
                return false;
            }
        };
        if text == "CANCELED" {
            let diagnostic = Diagnostic::new(
                &rules::invalid_mock_status::RULE,
                self.file,
                node.span,
                "`CANCELED` cannot be mocked in `wfc run`",
            )
            .with_label(
                "Conductor takes it from a worker; in `wfc run` only the engine cancels a task",
            )
            .with_help("use `FAILED_WITH_TERMINAL_ERROR` to fail the task without retries");
            self.report(diagnostic);
            return false;
        }
        if STATUSES.contains(&text) {
            return text == "COMPLETED";
        }
        let mut diagnostic = Diagnostic::new(
            &rules::invalid_mock_status::RULE,
            self.file,
            node.span,
            format!("`{text}` is not a task result status"),
        );
        let upper = text.to_ascii_uppercase();
        let candidate = if STATUSES.contains(&upper.as_str()) {
            STATUSES.iter().copied().find(|status| *status == upper)
        } else {
            suggest::closest(text, STATUSES)
        };
        diagnostic = match candidate {
            Some(candidate) => diagnostic
                .with_label(format!("did you mean `{candidate}`?"))
                .with_help(format!(
                    "a mocked result is one of {}, in capitals",
                    suggest::quoted_list(STATUSES)
                ))
                .with_replacement(format!("use `{candidate}`"), styled(node, candidate)),
            None => diagnostic
                .with_label("not a status a worker can report")
                .with_help(format!("use one of {}", suggest::quoted_list(STATUSES))),
        };
        self.report(diagnostic);
        false
    }

    /// Checks a mocked value against its declared type, reporting every mismatch.
    fn output(
        &mut self,
        node: &Node,
        ty: &Type,
        reference: &str,
        path: &str,
        field: Option<&Field>,
        declared: &DeclaredOutput,
    ) {
        let structure = ty.structure();
        match structure {
            Type::Any | Type::Error | Type::Unresolved(..) => return,
            Type::Optional(inner) => {
                if node.is_null() {
                    return;
                }
                return self.output(node, inner, reference, path, field, declared);
            }
            _ => {}
        }
        let plain = node.plain_value();
        let matches = match (structure, plain) {
            (Type::Null, Some(PlainValue::Null)) => true,
            (Type::String, Some(PlainValue::String)) => true,
            (Type::Int, Some(PlainValue::Int(_))) => true,
            (Type::Number, Some(PlainValue::Int(_) | PlainValue::Float(_))) => true,
            (Type::Bool, Some(PlainValue::Bool(_))) => true,
            (Type::Enum(values), Some(PlainValue::String)) => {
                let text = node.as_str().unwrap_or_default();
                if !values.iter().any(|value| value == text) {
                    let mut diagnostic = self
                        .mismatch(node, ty, reference, path, field, declared)
                        .with_label(format!(
                            "`{text}` is not one of {}",
                            suggest::quoted_list(values)
                        ));
                    if let Some(candidate) =
                        suggest::closest(text, values.iter().map(String::as_str))
                    {
                        diagnostic = diagnostic
                            .with_help(format!("did you mean `{candidate}`?"))
                            .with_replacement(
                                format!("use `{candidate}`"),
                                styled(node, candidate),
                            );
                    }
                    self.report(diagnostic);
                }
                true
            }
            (Type::List(item), None) if node.as_sequence().is_some() => {
                for (index, element) in node.as_sequence().unwrap_or_default().iter().enumerate() {
                    self.output(
                        element,
                        item,
                        reference,
                        &format!("{path}[{index}]"),
                        None,
                        declared,
                    );
                }
                true
            }
            (Type::Map(value), None) if node.as_mapping().is_some() => {
                for entry in node.as_mapping().unwrap_or_default() {
                    let key = entry.key.as_str().unwrap_or_default();
                    self.output(
                        &entry.value,
                        value,
                        reference,
                        &format!("{path}.{key}"),
                        None,
                        declared,
                    );
                }
                true
            }
            (Type::Object(object), None) if node.as_mapping().is_some() => {
                for entry in node.as_mapping().unwrap_or_default() {
                    let key = entry.key.as_str().unwrap_or_default();
                    if let Some(declared_field) = object.field(key) {
                        self.output(
                            &entry.value,
                            &declared_field.ty,
                            reference,
                            &format!("{path}.{key}"),
                            Some(declared_field),
                            declared,
                        );
                    }
                }
                self.missing_fields(node, ty, reference, path, declared, false);
                true
            }
            _ => false,
        };
        if !matches {
            let found = node.kind_name();
            let mut diagnostic = self
                .mismatch(node, ty, reference, path, field, declared)
                .with_label(format!("found {found}"));
            let quoted_other = node.as_scalar().is_some_and(|scalar| {
                scalar.style.is_quoted()
                    && !matches!(syntax::resolve_plain(&scalar.value), PlainValue::String)
            });
            if quoted_other {
                diagnostic = diagnostic.with_help("a quoted value is a string; remove the quotes");
            }
            self.report(diagnostic);
        }
    }

    fn mismatch(
        &self,
        node: &Node,
        ty: &Type,
        reference: &str,
        path: &str,
        field: Option<&Field>,
        declared: &DeclaredOutput,
    ) -> Diagnostic {
        let mut diagnostic = Diagnostic::new(
            &rules::mock_output_mismatch::RULE,
            self.file,
            node.span,
            format!("`{reference}.output{path}` must be `{ty}`"),
        );
        match field {
            Some(field) if field.span != Span::default() => {
                diagnostic = diagnostic.with_secondary(
                    field.file,
                    field.span,
                    format!("declared by {}", declared.origin),
                );
            }
            _ => {
                diagnostic = diagnostic.with_help(format!(
                    "the output type is declared by {}",
                    declared.origin
                ));
            }
        }
        diagnostic
    }

    /// Reports the required fields of an object type that a mocked mapping leaves out.
    fn missing_fields(
        &mut self,
        node: &Node,
        ty: &Type,
        reference: &str,
        path: &str,
        declared: &DeclaredOutput,
        no_output: bool,
    ) {
        let Type::Object(object) = ty.required().structure() else {
            return;
        };
        let entries = node.as_mapping().unwrap_or_default();
        let present: Vec<&str> = entries
            .iter()
            .filter_map(|entry| entry.key.as_str())
            .collect();
        for field in &object.fields {
            if field.optional || field.ty.is_optional() || present.contains(&field.name.as_str()) {
                continue;
            }
            let message = if no_output {
                format!("the mocked result of `{reference}` has no `output`")
            } else {
                format!("`{reference}.output{path}` has no field `{}`", field.name)
            };
            let mut diagnostic = Diagnostic::new(
                &rules::mock_output_mismatch::RULE,
                self.file,
                node.span,
                message,
            )
            .with_label(format!(
                "`{}: {}` is required by {}",
                field.name, field.ty, declared.origin
            ));
            if field.span != Span::default() {
                diagnostic = diagnostic.with_secondary(field.file, field.span, "declared here");
            }
            let undeclared = present
                .iter()
                .copied()
                .filter(|name| object.field(name).is_none());
            diagnostic = match suggest::closest(&field.name, undeclared) {
                Some(misspelled) => diagnostic.with_help(format!(
                    "`{misspelled}` is not declared; did you mean `{}`?",
                    field.name
                )),
                None if declared.origin.starts_with("worker") => diagnostic.with_help(format!(
                    "add `{}` to the mocked output, or declare the field optional in the contract",
                    field.name
                )),
                None => diagnostic.with_help(format!("add `{}` to the mocked output", field.name)),
            };
            self.report(diagnostic);
            if no_output {
                break;
            }
        }
    }
}

/// An object type with these fields made optional.
fn with_optional(ty: Type, names: &[&str]) -> Type {
    match ty {
        Type::Object(mut object) => {
            for field in &mut object.fields {
                if names.contains(&field.name.as_str()) {
                    field.optional = true;
                }
            }
            Type::Object(object)
        }
        other => other,
    }
}

// ----- stubs ------------------------------------------------------------------------------------

/// The outputs `wfc run --stub` answers with: a sample value of each declared output type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StubOutputs {
    /// By worker (TaskDef) name: the sample of the contract's output type.
    pub by_task_name: BTreeMap<String, Value>,
    /// By task reference: the sample of a task's own declared output (`output:` of a human or
    /// wait task, `returns:` of an HTTP call), for the workflows of the analysis.
    pub by_reference: BTreeMap<String, Value>,
}

/// Sample outputs of every worker contract and every task with a declared output type.
pub fn stub_outputs(analysis: &Analysis) -> StubOutputs {
    let mut stubs = StubOutputs::default();
    for (index, workflow) in analysis.workflows.iter().enumerate() {
        let Some(scope) = analysis.scopes.get(index) else {
            continue;
        };
        for (name, worker) in &scope.workers {
            stubs
                .by_task_name
                .entry(name.clone())
                .or_insert_with(|| sample_value(&Type::Object(worker.output.clone()), name));
        }
        let mut checker =
            WorkflowChecker::new(workflow, scope, analysis.sources.text(workflow.file), false);
        for task in &workflow.tasks {
            let declared = task.output.is_some()
                || matches!(
                    task.kind,
                    TaskKind::Http {
                        returns: Some(_),
                        ..
                    }
                );
            if !declared {
                continue;
            }
            let ty = checker.task_output_type(task.id);
            stubs
                .by_reference
                .entry(task.name.value.clone())
                .or_insert_with(|| sample_value(&ty, &task.name.value));
        }
    }
    stubs
}

/// A value of type `ty`: every field filled (optional ones too, so that whatever reads them
/// finds something), one item per list, the first value of an enum, `0`, `false`, and for a
/// string the name of the field holding it.
pub fn sample_value(ty: &Type, name: &str) -> Value {
    sample_at(ty, name, 0)
}

fn sample_at(ty: &Type, name: &str, depth: usize) -> Value {
    if depth > 16 {
        return Value::Null;
    }
    match ty.structure() {
        Type::Any | Type::Error | Type::Unresolved(..) | Type::Null => Value::Null,
        Type::String => Value::String(name.to_string()),
        Type::Int | Type::Number => Value::from(0),
        Type::Bool => Value::Bool(false),
        Type::Enum(values) => values
            .first()
            .map_or(Value::Null, |value| Value::String(value.clone())),
        Type::List(item) => Value::Array(vec![sample_at(item, name, depth + 1)]),
        Type::Map(_) => Value::Object(Map::new()),
        Type::Object(object) => Value::Object(
            object
                .fields
                .iter()
                .map(|field| {
                    (
                        field.name.clone(),
                        sample_at(&field.ty, &field.name, depth + 1),
                    )
                })
                .collect(),
        ),
        Type::Optional(inner) => sample_at(inner, name, depth + 1),
        Type::Named(_, inner) => sample_at(inner, name, depth + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{InputFile, NoLoader, analyze};

    const CONTRACTS: &str =
        "workers:\n  score:\n    input: {input: int}\n    output: {value: number, label: string}\n";
    const WORKFLOW: &str = r#"workflow: scoring
owner: a@example.com
imports: [w.workers.yaml]
inputs:
  items: list<int>
tasks:
  each:
    for_each: ${workflow.input.items}
    worker: score
  first:
    worker: score
    input: {input: 1}
outputs:
  all: ${each.output}
  label: ${first.output.label}
"#;

    fn analysed() -> (Analysis, Vec<Value>) {
        let files = vec![
            InputFile {
                path: "w.workers.yaml".into(),
                text: CONTRACTS.into(),
            },
            InputFile {
                path: "s.wf.yaml".into(),
                text: WORKFLOW.into(),
            },
        ];
        let analysis = analyze(files, &NoLoader, &Config::default());
        assert!(
            analysis.diagnostics.is_empty(),
            "{:#?}",
            analysis.diagnostics
        );
        let compiled = crate::emit::compile(&analysis).expect("compiles");
        let definitions = compiled
            .workflows
            .iter()
            .map(|workflow| workflow.definition.clone())
            .collect();
        (analysis, definitions)
    }

    fn codes_and_text(
        analysis: &mut Analysis,
        definitions: &[Value],
        text: &str,
    ) -> Vec<(String, String)> {
        let file = analysis.sources.add("m.mocks.json", text);
        let project = Project {
            definitions,
            analysis: Some(analysis),
        };
        check(file, text, &project, &Config::default())
            .diagnostics
            .iter()
            .map(|diagnostic| {
                (
                    diagnostic.code.to_string(),
                    text[diagnostic.span.range()].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn json_files_and_generated_fork_references() {
        let (mut analysis, definitions) = analysed();
        let text = r#"{
  "_score_0": [{"status": "COMPLETED", "output": {"value": 1.5, "label": "a"}}],
  "_score_1": [{"status": "COMPLETED", "output": {"value": "high", "label": "b"}}],
  "first": [{"status": "completed", "output": {}}],
  "frist": []
}"#;
        assert_eq!(
            codes_and_text(&mut analysis, &definitions, text),
            [
                ("WF103".to_string(), "\"high\"".to_string()),
                ("WF102".to_string(), "\"completed\"".to_string()),
                ("WF101".to_string(), "\"frist\"".to_string()),
            ]
        );
        // Fixes keep the JSON quoting.
        let file = analysis.sources.add("n.mocks.json", text);
        let project = Project {
            definitions: &definitions,
            analysis: Some(&analysis),
        };
        let checked = check(file, text, &project, &Config::default());
        let replacements: Vec<&str> = checked
            .diagnostics
            .iter()
            .filter_map(|diagnostic| diagnostic.fix.as_ref())
            .map(|fix| fix.edits[0].replacement.as_str())
            .collect();
        assert_eq!(replacements, ["\"COMPLETED\"", "\"first\""]);
        assert_eq!(
            checked
                .document
                .as_ref()
                .and_then(|document| document.get("first")),
            Some(&serde_json::json!([{"status": "completed", "output": {}}]))
        );
    }

    #[test]
    fn conductor_json_is_checked_for_references_only() {
        let definitions = vec![serde_json::json!({
            "name": "plain",
            "tasks": [
                {"name": "a", "taskReferenceName": "a", "type": "SIMPLE"},
                {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
                 "loopOver": [{"name": "b", "taskReferenceName": "b"}]},
                {"name": "elsewhere", "taskReferenceName": "elsewhere", "type": "SUB_WORKFLOW",
                 "subWorkflowParam": {"name": "other_project", "version": 2}}
            ]
        })];
        let text = "a: [{output: {anything: 1}}]\nb__3: [{}]\nc: []\nloop: []\nelsewhere: []\n";
        let project = Project {
            definitions: &definitions,
            analysis: None,
        };
        let checked = check(FileId(0), text, &project, &Config::default());
        let found: Vec<(&str, &str)> = checked
            .diagnostics
            .iter()
            .map(|diagnostic| (diagnostic.code, &text[diagnostic.span.range()]))
            .collect();
        assert_eq!(found, [("WF101", "c"), ("WF104", "loop")]);
    }

    #[test]
    fn iterations_and_samples() {
        assert_eq!(split_iteration("poll__12"), Some(("poll", 12)));
        assert_eq!(split_iteration("poll__"), None);
        assert_eq!(split_iteration("__3"), None);
        assert_eq!(split_iteration("poll"), None);
        let (analysis, _) = analysed();
        let stubs = stub_outputs(&analysis);
        assert_eq!(
            stubs.by_task_name.get("score"),
            Some(&serde_json::json!({"value": 0, "label": "label"}))
        );
        let ty = crate::types::parse_type("list<enum(x, y)>?", &|start, end| Span::new(start, end))
            .expect("parses");
        assert_eq!(sample_value(&ty, "kinds"), serde_json::json!(["x"]));
    }
}
