//! The state of one execution inside the decider: Conductor's `Workflow` and `Task` records plus
//! what the engine keeps beside them (how each task is executed, its task definition, timers,
//! join progress), and the indexes that keep every decision cheap on large workflows.
//!
//! The expression document of FORMAT.md §D.2 is kept up to date incrementally: each task's entry
//! is written when the task is scheduled and rewritten, field by field, when it changes, so
//! resolving an input never rebuilds the document from the whole task list.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::navigation::{Navigation, without_iteration};
use crate::definition::{TaskDef, WorkflowDef, WorkflowTask};
use crate::execution::{Task, TaskStatus, Workflow, WorkflowStatus};

pub(super) type ExecutionId = usize;

/// How the engine executes a task (decided from the definition's `type` when the task is
/// mapped, like Conductor's choice of mapper and system task).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// SIMPLE, DYNAMIC, USER_DEFINED (unknown types) and the system types the runtime does not
    /// implement itself (KAFKA_PUBLISH, AI tasks): handed to the workers.
    Worker,
    Http,
    Switch,
    Decision,
    Fork,
    Join,
    ExclusiveJoin,
    DoWhile,
    SubWorkflow,
    StartWorkflow,
    Wait,
    Human,
    Inline,
    Lambda,
    JsonJq,
    SetVariable,
    Terminate,
    Event,
    Noop,
}

impl Kind {
    /// Conductor's system tasks (everything but worker tasks).
    pub(super) fn is_system(self) -> bool {
        self != Kind::Worker
    }

    /// System tasks that Conductor runs inside the decider (`isAsync() == false`); the others
    /// are queued like worker tasks.
    pub(super) fn is_synchronous(self) -> bool {
        !matches!(
            self,
            Kind::Worker
                | Kind::Http
                | Kind::Join
                | Kind::SubWorkflow
                | Kind::StartWorkflow
                | Kind::Wait
        )
    }

    /// `TaskType.isBuiltIn`: operators that are never retried.
    pub(super) fn is_built_in(self) -> bool {
        matches!(
            self,
            Kind::Switch
                | Kind::Decision
                | Kind::Fork
                | Kind::Join
                | Kind::ExclusiveJoin
                | Kind::DoWhile
        )
    }
}

/// What the engine keeps beside each [`Task`] (same index).
#[derive(Debug, Clone)]
pub(super) struct TaskExtra {
    pub(super) kind: Kind,
    pub(super) workflow_task: Arc<WorkflowTask>,
    /// The task definition Conductor would use for retries and timeouts (`None` for dynamically
    /// forked tasks whose name has no registered definition: no retries, no timeouts).
    pub(super) task_def: Option<Arc<TaskDef>>,
    pub(super) first_scheduled_time: i64,
    /// Delay before the task is first handed out (`startDelay`, retry delay), milliseconds.
    pub(super) queue_delay_milliseconds: u64,
    /// Identifies the result (or evaluation) the task currently waits for; results carrying an
    /// older token are stale.
    pub(super) token: u64,
    /// When the response timeout is due (moved by every IN_PROGRESS update).
    pub(super) response_deadline: Option<Duration>,
    pub(super) child: Option<ExecutionId>,
    /// JOIN: the effective `joinOn` (with `__N` inside loops) and how many leading references
    /// are known terminal.
    pub(super) join_on: Vec<String>,
    pub(super) join_cursor: usize,
    /// HUMAN / WAIT without a deadline: listed in `RunHandle::waiting_tasks`.
    pub(super) waiting_external: bool,
    /// Whether a worker or an evaluation for this task is running.
    pub(super) in_flight: Option<tokio::task::AbortHandle>,
    /// HTTP, HUMAN, WAIT answered by the workers (a mock stands in).
    pub(super) answered_by_workers: bool,
    /// Dropped from the execution by a DO_WHILE's `keepLastN`.
    pub(super) removed: bool,
}

impl TaskExtra {
    pub(super) fn new(
        kind: Kind,
        workflow_task: Arc<WorkflowTask>,
        task_def: Option<Arc<TaskDef>>,
    ) -> TaskExtra {
        TaskExtra {
            kind,
            workflow_task,
            task_def,
            first_scheduled_time: 0,
            queue_delay_milliseconds: 0,
            token: 0,
            response_deadline: None,
            child: None,
            join_on: Vec::new(),
            join_cursor: 0,
            waiting_external: false,
            in_flight: None,
            answered_by_workers: false,
            removed: false,
        }
    }
}

/// A task the mappers produced, not yet added to its workflow.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub(super) task: Task,
    pub(super) extra: TaskExtra,
}

/// Why an execution started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Root,
    SubWorkflow,
    FailureWorkflow,
    StartedByTask,
}

/// One workflow execution.
#[derive(Debug)]
pub(super) struct Execution {
    pub(super) workflow: Workflow,
    pub(super) definition: Arc<WorkflowDef>,
    pub(super) navigation: Arc<Navigation>,
    pub(super) extras: Vec<TaskExtra>,
    /// The sub-workflow path of result keys (`""` for the root).
    pub(super) path: String,
    pub(super) origin: Origin,
    /// The SUB_WORKFLOW task that started this execution.
    pub(super) parent: Option<(ExecutionId, usize)>,
    pub(super) depth: usize,
    /// The latest attempt of each reference (with `__N`).
    pub(super) latest_by_reference: HashMap<String, usize>,
    /// References of tasks whose successors have been scheduled (`executed`).
    pub(super) executed_references: HashSet<String>,
    /// Tasks the next decide pass must look at: terminal tasks not yet executed or retried, and
    /// synchronous system tasks that are re-executed on every pass while they run (DO_WHILE,
    /// EXCLUSIVE_JOIN).
    pub(super) attention: BTreeSet<usize>,
    pub(super) non_terminal: usize,
    /// The §D.2 document: `{"workflow": {...}, "<ref>": {...}}`.
    pub(super) document: Value,
    /// Which task owns each task entry of the document (the latest one scheduled).
    document_owner: HashMap<String, usize>,
    pub(super) started: bool,
    pub(super) decide_queued: bool,
    pub(super) failed_task_id: Option<String>,
    /// JOIN tasks to evaluate when a task with this reference changes.
    pub(super) join_watchers: HashMap<String, Vec<usize>>,
    /// For each running DO_WHILE task, the tasks scheduled in its body since its current
    /// iteration started.
    pub(super) loop_members: HashMap<usize, Vec<usize>>,
    /// For each DO_WHILE task, the latest task of each body reference (without `__N`) over all
    /// iterations: what its `loopCondition` sees.
    pub(super) loop_latest: HashMap<usize, HashMap<String, usize>>,
    /// The TERMINATE task that completed, which ends the workflow.
    pub(super) successful_terminate: Option<usize>,
    pub(super) highest_seq: u32,
}

impl Execution {
    pub(super) fn new(
        workflow: Workflow,
        definition: Arc<WorkflowDef>,
        navigation: Arc<Navigation>,
        path: String,
        origin: Origin,
        parent: Option<(ExecutionId, usize)>,
        depth: usize,
    ) -> Execution {
        let mut execution = Execution {
            workflow,
            definition,
            navigation,
            extras: Vec::new(),
            path,
            origin,
            parent,
            depth,
            latest_by_reference: HashMap::new(),
            executed_references: HashSet::new(),
            attention: BTreeSet::new(),
            non_terminal: 0,
            document: Value::Object(Map::new()),
            document_owner: HashMap::new(),
            started: false,
            decide_queued: false,
            failed_task_id: None,
            join_watchers: HashMap::new(),
            loop_members: HashMap::new(),
            loop_latest: HashMap::new(),
            successful_terminate: None,
            highest_seq: 0,
        };
        execution.refresh_workflow_entry();
        execution
    }

    pub(super) fn is_terminal(&self) -> bool {
        self.workflow.status.is_terminal()
    }

    /// Adds a planned task to the workflow (Conductor's `dedupAndAddTasks` has already run);
    /// returns its index.
    pub(super) fn add_task(&mut self, planned: Planned) -> usize {
        let index = self.workflow.tasks.len();
        let Planned { task, extra } = planned;
        if !task.status.is_terminal() {
            self.non_terminal += 1;
        }
        self.latest_by_reference
            .insert(task.reference_task_name.clone(), index);
        self.workflow.tasks.push(task);
        self.extras.push(extra);
        self.refresh_task_entry(index);
        index
    }

    /// Makes room for `additional` tasks at once (a wide fork grows every index once, not by
    /// doubling).
    pub(super) fn reserve(&mut self, additional: usize) {
        self.workflow.tasks.reserve(additional);
        self.extras.reserve(additional);
        self.latest_by_reference.reserve(additional);
        self.document_owner.reserve(additional);
    }

    /// Changes a task's status, keeping the counters, the attention set and the document right.
    pub(super) fn set_status(&mut self, index: usize, status: TaskStatus) {
        let Some(task) = self.workflow.tasks.get_mut(index) else {
            return;
        };
        let was_terminal = task.status.is_terminal();
        task.status = status;
        match (was_terminal, status.is_terminal()) {
            (false, true) => self.non_terminal = self.non_terminal.saturating_sub(1),
            (true, false) => self.non_terminal += 1,
            _ => {}
        }
        if status.is_terminal() && !task.executed && !task.retried {
            self.attention.insert(index);
        }
        self.refresh_task_state(index);
    }

    pub(super) fn task(&self, index: usize) -> Option<&Task> {
        self.workflow.tasks.get(index)
    }

    /// The latest attempt of a reference (with `__N`).
    pub(super) fn latest(&self, reference: &str) -> Option<usize> {
        self.latest_by_reference.get(reference).copied()
    }

    /// Conductor's `tasksInWorkflow` filter: whether some task with this reference is
    /// IN_PROGRESS or terminal.
    pub(super) fn has_started_or_finished(&self, reference: &str) -> bool {
        self.latest(reference)
            .and_then(|index| self.task(index))
            .is_some_and(|task| task.status != TaskStatus::Scheduled || task.retry_count > 0)
    }

    /// Marks a task's document entry stale (it changed, or it is the newest task of its key):
    /// the entry is built again from the task the next time an expression reads it.
    pub(super) fn refresh_task_entry(&mut self, index: usize) {
        let Some(task) = self.workflow.tasks.get(index) else {
            return;
        };
        let key = document_key(task);
        match self.document_owner.get(key) {
            Some(owner) if *owner > index => return,
            Some(owner) if *owner == index => {}
            _ => {
                self.document_owner.insert(key.to_owned(), index);
            }
        }
        if let Value::Object(document) = &mut self.document {
            document.remove(key);
        }
    }

    /// Puts into the document the entries of the tasks `roots` names (every task for
    /// [`Roots::All`]) that are not there yet.
    pub(super) fn prepare_document(&mut self, roots: &Roots) {
        let Value::Object(document) = &mut self.document else {
            return;
        };
        let mut add = |key: &str, owner: usize| {
            if !document.contains_key(key)
                && let Some(task) = self.workflow.tasks.get(owner)
            {
                document.insert(key.to_owned(), task_entry(task));
            }
        };
        match roots {
            Roots::All => {
                for (key, owner) in &self.document_owner {
                    add(key, *owner);
                }
            }
            Roots::Named(names) => {
                for name in names {
                    if let Some(owner) = self.document_owner.get(name.as_str()) {
                        add(name, *owner);
                    }
                }
            }
        }
    }

    /// A task's state changed: its document entry, if built, is stale.
    pub(super) fn refresh_task_state(&mut self, index: usize) {
        let Some(task) = self.workflow.tasks.get(index) else {
            return;
        };
        let key = document_key(task);
        if self.document_owner.get(key) == Some(&index)
            && let Value::Object(document) = &mut self.document
        {
            document.remove(key);
        }
    }

    /// Rewrites the `workflow` entry of the document.
    pub(super) fn refresh_workflow_entry(&mut self) {
        let workflow = &self.workflow;
        let mut entry = Map::new();
        entry.insert("input".into(), Value::Object(workflow.input.clone()));
        entry.insert("output".into(), Value::Object(workflow.output.clone()));
        entry.insert("status".into(), workflow.status.as_str().into());
        entry.insert("workflowId".into(), workflow.workflow_id.clone().into());
        entry.insert(
            "parentWorkflowId".into(),
            optional_string(workflow.parent_workflow_id.as_deref()),
        );
        entry.insert(
            "parentWorkflowTaskId".into(),
            optional_string(workflow.parent_workflow_task_id.as_deref()),
        );
        entry.insert("workflowType".into(), workflow.workflow_name.clone().into());
        entry.insert("version".into(), workflow.workflow_version.into());
        entry.insert(
            "correlationId".into(),
            optional_string(workflow.correlation_id.as_deref()),
        );
        entry.insert(
            "reasonForIncompletion".into(),
            optional_string(workflow.reason_for_incompletion.as_deref()),
        );
        entry.insert(
            "schemaVersion".into(),
            self.definition.schema_version.into(),
        );
        entry.insert(
            "variables".into(),
            Value::Object(workflow.variables.clone()),
        );
        if let Value::Object(document) = &mut self.document {
            document.insert("workflow".into(), Value::Object(entry));
        }
    }

    /// Rewrites only `workflow.variables` in the document (SET_VARIABLE).
    pub(super) fn refresh_variables_entry(&mut self) {
        let variables = Value::Object(self.workflow.variables.clone());
        if let Value::Object(document) = &mut self.document
            && let Some(Value::Object(entry)) = document.get_mut("workflow")
        {
            entry.insert("variables".into(), variables);
        }
    }

    /// Registers a JOIN to be evaluated whenever a task with one of its references changes.
    pub(super) fn watch_join(&mut self, join: usize) {
        let references = self
            .extras
            .get(join)
            .map(|extra| extra.join_on.clone())
            .unwrap_or_default();
        for reference in references {
            self.join_watchers.entry(reference).or_default().push(join);
        }
    }

    /// The running JOIN tasks watching a reference.
    pub(super) fn joins_watching(&self, reference: &str) -> Vec<usize> {
        self.join_watchers
            .get(reference)
            .map(|joins| {
                joins
                    .iter()
                    .copied()
                    .filter(|join| {
                        self.task(*join)
                            .is_some_and(|task| !task.status.is_terminal())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Records a new task in the member lists of the running DO_WHILE tasks that contain it.
    pub(super) fn register_loop_member(&mut self, index: usize) {
        let Some(task) = self.workflow.tasks.get(index) else {
            return;
        };
        let base = without_iteration(&task.reference_task_name);
        let loops: Vec<usize> = self
            .navigation
            .enclosing_loops(base)
            .iter()
            .filter_map(|loop_reference| self.latest_loop_task(loop_reference))
            .filter(|loop_index| *loop_index != index)
            .collect();
        let base = base.to_owned();
        for loop_index in loops {
            self.loop_members.entry(loop_index).or_default().push(index);
            self.loop_latest
                .entry(loop_index)
                .or_default()
                .insert(base.clone(), index);
        }
    }

    /// The latest task of a DO_WHILE reference (inside outer loops its reference carries a
    /// suffix, so the document key is used).
    fn latest_loop_task(&self, loop_reference: &str) -> Option<usize> {
        self.document_owner
            .get(loop_reference)
            .copied()
            .filter(|index| {
                self.extras
                    .get(*index)
                    .is_some_and(|extra| extra.kind == Kind::DoWhile)
            })
    }
}

/// The key of a task in the §D.2 document: its reference, without `__N` inside loops.
fn document_key(task: &Task) -> &str {
    if task.iteration > 0 {
        without_iteration(&task.reference_task_name)
    } else {
        task.reference_task_name.as_str()
    }
}

/// The roots of the `${...}` expressions of a template: the document keys it can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Roots {
    /// A path that can read any key (`${$..x}`, `${$['a']}`, `${$.*}`).
    All,
    Named(BTreeSet<String>),
}

impl Roots {
    /// The roots of every string in `templates` (maps and lists recursively).
    pub(super) fn of<'a>(templates: impl IntoIterator<Item = &'a Value>) -> Roots {
        let mut names = BTreeSet::new();
        let mut stack: Vec<&Value> = templates.into_iter().collect();
        while let Some(value) = stack.pop() {
            match value {
                Value::String(text) if !scan_roots(text, &mut names) => return Roots::All,
                Value::Array(items) => stack.extend(items),
                Value::Object(map) => stack.extend(map.values()),
                _ => {}
            }
        }
        Roots::Named(names)
    }

    pub(super) fn is_empty(&self) -> bool {
        matches!(self, Roots::Named(names) if names.is_empty())
    }
}

/// Adds the root of every `${` in `text` to `names`; `false` when a path can read any root.
fn scan_roots(text: &str, names: &mut BTreeSet<String>) -> bool {
    let mut rest = text;
    while let Some(position) = rest.find("${") {
        rest = &rest[position + 2..];
        let mut path = rest.trim_start();
        if let Some(after_dollar) = path.strip_prefix('$') {
            match after_dollar.strip_prefix('.') {
                Some(after_dot) => path = after_dot,
                None if after_dollar.trim_start().starts_with('}') => continue,
                None => return false,
            }
        }
        if path.starts_with(['.', '[', '*', '@']) {
            return false;
        }
        let end = path
            .find(['.', '[', '}', ' ', '$', '(', '\n', '\t'])
            .unwrap_or(path.len());
        let root = path[..end].trim();
        if !root.is_empty() {
            names.insert(root.to_owned());
        }
    }
    true
}

fn optional_string(value: Option<&str>) -> Value {
    value.map_or(Value::Null, Value::from)
}

/// The §D.2 entry of one task.
fn task_entry(task: &Task) -> Value {
    let mut entry = Map::with_capacity(18);
    entry.insert("input".into(), Value::Object(task.input_data.clone()));
    entry.insert("output".into(), Value::Object(task.output_data.clone()));
    entry.insert("taskType".into(), task.task_type.clone().into());
    entry.insert("status".into(), task.status.as_str().into());
    entry.insert(
        "referenceTaskName".into(),
        task.reference_task_name.clone().into(),
    );
    entry.insert("retryCount".into(), task.retry_count.into());
    entry.insert(
        "correlationId".into(),
        optional_string(task.correlation_id.as_deref()),
    );
    entry.insert("pollCount".into(), task.poll_count.into());
    entry.insert("taskDefName".into(), task.task_def_name.clone().into());
    entry.insert("scheduledTime".into(), task.scheduled_time.into());
    entry.insert("startTime".into(), task.start_time.into());
    entry.insert("endTime".into(), task.end_time.into());
    entry.insert(
        "workflowInstanceId".into(),
        task.workflow_instance_id.clone().into(),
    );
    entry.insert("taskId".into(), task.task_id.clone().into());
    entry.insert(
        "reasonForIncompletion".into(),
        optional_string(task.reason_for_incompletion.as_deref()),
    );
    entry.insert(
        "callbackAfterSeconds".into(),
        task.callback_after_seconds.into(),
    );
    entry.insert(
        "workerId".into(),
        optional_string(task.worker_id.as_deref()),
    );
    entry.insert("iteration".into(), task.iteration.into());
    Value::Object(entry)
}

/// A new task record with the fields Conductor's `TaskMapperContext.createTaskModel` sets.
pub(super) fn new_task(
    workflow: &Workflow,
    workflow_task: &Arc<WorkflowTask>,
    task_id: String,
    now: i64,
) -> Task {
    Task {
        task_type: workflow_task.task_type.clone(),
        status: TaskStatus::Scheduled,
        input_data: Map::new(),
        reference_task_name: workflow_task.task_reference_name.clone(),
        retry_count: 0,
        seq: 0,
        correlation_id: workflow.correlation_id.clone(),
        poll_count: 0,
        task_def_name: workflow_task.name.clone(),
        scheduled_time: now,
        start_time: 0,
        end_time: 0,
        update_time: 0,
        start_delay_in_seconds: 0,
        retried_task_id: None,
        retried: false,
        executed: false,
        callback_from_worker: true,
        response_timeout_seconds: 0,
        workflow_instance_id: workflow.workflow_id.clone(),
        workflow_type: workflow.workflow_name.clone(),
        task_id,
        reason_for_incompletion: None,
        callback_after_seconds: 0,
        worker_id: None,
        output_data: Map::new(),
        workflow_task: Some(Arc::clone(workflow_task)),
        workflow_priority: workflow.priority,
        iteration: 0,
        sub_workflow_id: None,
        first_start_time: 0,
        loop_over_task: false,
        logs: Vec::new(),
    }
}

/// A new workflow record (`WorkflowExecutorOps.createWorkflowModel`).
pub(super) fn new_workflow(
    definition: &WorkflowDef,
    workflow_id: String,
    input: Map<String, Value>,
    correlation_id: Option<String>,
    parent: Option<(String, String)>,
    now: i64,
) -> Workflow {
    let mut input = input;
    // The definition's inputTemplate fills absent keys, only for a non-empty input (§B.1).
    if !input.is_empty() {
        for (key, value) in &definition.input_template {
            if !input.contains_key(key) {
                input.insert(key.clone(), value.clone());
            }
        }
    }
    let (parent_workflow_id, parent_workflow_task_id) = parent.unzip();
    Workflow {
        workflow_id,
        workflow_name: definition.name.clone(),
        workflow_version: definition.version,
        status: WorkflowStatus::Running,
        input,
        output: Map::new(),
        tasks: Vec::new(),
        reason_for_incompletion: None,
        create_time: now,
        update_time: now,
        start_time: now,
        end_time: 0,
        variables: definition.variables.clone(),
        correlation_id,
        parent_workflow_id,
        parent_workflow_task_id,
        failed_reference_task_names: Vec::new(),
        failed_task_names: Vec::new(),
        priority: 0,
        last_retried_time: 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn named(names: &[&str]) -> Roots {
        Roots::Named(names.iter().map(|name| (*name).to_owned()).collect())
    }

    #[test]
    fn roots_are_the_first_component_of_every_expression() {
        let cases = [
            (json!("plain"), named(&[])),
            (json!("${workflow.input.x}"), named(&["workflow"])),
            (
                json!({"a": ["${task_1.output.v}", {"b": "x ${other['output']} y"}]}),
                named(&["other", "task_1"]),
            ),
            (json!("${$.a.output}"), named(&["a"])),
            (
                json!("${workflow.input.${key.output.name}}"),
                named(&["key", "workflow"]),
            ),
            (json!("${CPEWF_TASK_ID}"), named(&["CPEWF_TASK_ID"])),
            (json!("${}"), named(&[])),
            (json!("${  }"), named(&[])),
            (json!("${$..output}"), Roots::All),
            (json!("${$['a'].output}"), Roots::All),
            (json!("${$.*}"), Roots::All),
        ];
        for (template, expected) in cases {
            assert_eq!(Roots::of([&template]), expected, "{template}");
        }
    }
}
