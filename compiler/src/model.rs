//! The typed model of a workflow (and of a contract file), as lowered from the syntax tree.
//!
//! The model keeps spans everywhere so that later stages can report precisely, and keeps value
//! templates (task inputs, outputs, variables) as syntax [`Node`]s: the checker scans their
//! `${...}` expressions with the per-scalar source maps. Tasks live in an arena indexed by
//! [`TaskId`]; each task knows its parent container and slot, which is what flow analysis needs.

use crate::diagnostic::Span;
use crate::source::FileId;
use crate::syntax::Node;
use crate::types::{ObjectType, Type};

/// A value with the span it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

/// Index of a task in [`Workflow::tasks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u32);

/// Where a task sits: the top-level list, or a slot of a container task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Container {
    Root,
    /// `slot` numbers the container's task lists: switch cases in order then the default, parallel
    /// branches in order, the loop body (0), the compensation (`COMPENSATION_SLOT`).
    Task {
        task: TaskId,
        slot: u32,
    },
}

/// Slot number of a task's `compensate:` body.
pub const COMPENSATION_SLOT: u32 = u32::MAX;

/// A named type declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDeclaration {
    pub name: Spanned<String>,
    pub ty: Type,
    pub file: FileId,
}

/// `retry.logic` of a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryLogic {
    Fixed,
    Linear,
    Exponential,
}

impl RetryLogic {
    pub fn conductor_name(self) -> &'static str {
        match self {
            RetryLogic::Fixed => "FIXED",
            RetryLogic::Linear => "LINEAR_BACKOFF",
            RetryLogic::Exponential => "EXPONENTIAL_BACKOFF",
        }
    }
}

/// Timeout policy of a worker or a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPolicy {
    Retry,
    TimeOutWorkflow,
    AlertOnly,
}

impl TimeoutPolicy {
    pub fn conductor_name(self) -> &'static str {
        match self {
            TimeoutPolicy::Retry => "RETRY",
            TimeoutPolicy::TimeOutWorkflow => "TIME_OUT_WF",
            TimeoutPolicy::AlertOnly => "ALERT_ONLY",
        }
    }
}

/// TaskDef settings of a worker contract. Durations are in milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerSettings {
    pub retry_count: Option<Spanned<i64>>,
    pub retry_logic: Option<RetryLogic>,
    pub retry_delay_ms: Option<Spanned<u64>>,
    pub max_retry_delay_ms: Option<Spanned<u64>>,
    pub backoff_scale: Option<Spanned<i64>>,
    pub jitter_ms: Option<Spanned<u64>>,
    pub timeout_ms: Option<Spanned<u64>>,
    pub total_timeout_ms: Option<Spanned<u64>>,
    pub response_timeout_ms: Option<Spanned<u64>>,
    pub poll_timeout_ms: Option<Spanned<u64>>,
    pub timeout_policy: Option<TimeoutPolicy>,
    pub rate_limit_count: Option<Spanned<i64>>,
    pub rate_limit_per_ms: Option<Spanned<u64>>,
    pub concurrency: Option<Spanned<i64>>,
    pub owner: Option<Spanned<String>>,
    pub raw: Option<Node>,
}

/// A worker contract: typed input/output and TaskDef settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Worker {
    pub name: Spanned<String>,
    pub file: FileId,
    pub description: Option<String>,
    pub input: ObjectType,
    pub output: ObjectType,
    pub settings: WorkerSettings,
    pub span: Span,
}

/// A declared workflow output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDeclaration {
    pub name: Spanned<String>,
    pub ty: Option<Type>,
    pub value: Option<Node>,
    pub description: Option<String>,
}

/// What a switch selects on.
#[derive(Debug, Clone, PartialEq)]
pub enum SwitchSelector {
    /// `switch: ${expr}`: Conductor's value-param evaluator.
    Value(Node),
    /// `switch: {javascript: ...}`.
    JavaScript(Node),
}

/// One case of a switch.
#[derive(Debug, Clone, PartialEq)]
pub struct SwitchCase {
    pub value: Spanned<String>,
    pub tasks: Vec<TaskId>,
}

/// What a `for_each` runs per item.
#[derive(Debug, Clone, PartialEq)]
pub enum ForEachTarget {
    Worker(Spanned<String>),
    SubWorkflow(WorkflowTarget),
}

/// A reference to another workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowTarget {
    pub name: Spanned<String>,
    pub version: Option<Spanned<i64>>,
    pub external: bool,
}

/// How a WAIT task ends.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitMode {
    Duration(Spanned<u64>),
    /// A `${...}` duration resolved at run time.
    DurationExpression(Node),
    Until(Node),
    /// Until completed from outside.
    External,
}

/// The kind of a task, one per Conductor task type.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskKind {
    Worker {
        name: Spanned<String>,
    },
    Http {
        request: Node,
        returns: Option<Type>,
    },
    Switch {
        selector: SwitchSelector,
        cases: Vec<SwitchCase>,
        default: Option<Vec<TaskId>>,
        default_span: Option<Span>,
    },
    Parallel {
        branches: Vec<Vec<TaskId>>,
    },
    ForEach {
        items: Node,
        target: ForEachTarget,
    },
    Loop {
        condition: Option<Node>,
        items: Option<Node>,
        keep_last: Option<Spanned<i64>>,
        body: Vec<TaskId>,
    },
    Dynamic {
        name: Node,
    },
    SubWorkflow {
        target: WorkflowTarget,
    },
    StartWorkflow {
        target: WorkflowTarget,
        correlation_id: Option<Node>,
    },
    Wait {
        mode: WaitMode,
    },
    Human {
        prompt: Option<Node>,
    },
    Inline {
        script: Node,
        returns: Option<Type>,
    },
    Jq {
        query: Node,
        returns: Option<Type>,
    },
    SetVariable {
        values: Vec<(Spanned<String>, Node)>,
    },
    Terminate {
        status: Node,
        reason: Option<Node>,
        result: Option<Node>,
    },
    Event {
        sink: Node,
    },
    Kafka {
        request: Node,
    },
    Noop,
    Join {
        on: Vec<Spanned<String>>,
    },
    ExclusiveJoin {
        on: Vec<Spanned<String>>,
        default: Vec<Spanned<String>>,
    },
    /// A whole task written as Conductor JSON.
    Raw {
        task_type: Option<Spanned<String>>,
        fields: Node,
    },
    /// No usable kind (already reported).
    Invalid,
}

impl TaskKind {
    /// The Conductor task type this kind compiles to.
    pub fn conductor_type(&self) -> &str {
        match self {
            TaskKind::Worker { .. } => "SIMPLE",
            TaskKind::Http { .. } => "HTTP",
            TaskKind::Switch { .. } => "SWITCH",
            TaskKind::Parallel { .. } => "FORK_JOIN",
            TaskKind::ForEach { .. } => "FORK_JOIN_DYNAMIC",
            TaskKind::Loop { .. } => "DO_WHILE",
            TaskKind::Dynamic { .. } => "DYNAMIC",
            TaskKind::SubWorkflow { .. } => "SUB_WORKFLOW",
            TaskKind::StartWorkflow { .. } => "START_WORKFLOW",
            TaskKind::Wait { .. } => "WAIT",
            TaskKind::Human { .. } => "HUMAN",
            TaskKind::Inline { .. } => "INLINE",
            TaskKind::Jq { .. } => "JSON_JQ_TRANSFORM",
            TaskKind::SetVariable { .. } => "SET_VARIABLE",
            TaskKind::Terminate { .. } => "TERMINATE",
            TaskKind::Event { .. } => "EVENT",
            TaskKind::Kafka { .. } => "KAFKA_PUBLISH",
            TaskKind::Noop => "NOOP",
            TaskKind::Join { .. } => "JOIN",
            TaskKind::ExclusiveJoin { .. } => "EXCLUSIVE_JOIN",
            TaskKind::Raw { task_type, .. } => task_type
                .as_ref()
                .map_or("SIMPLE", |task_type| task_type.value.as_str()),
            TaskKind::Invalid => "SIMPLE",
        }
    }

    /// The nested task lists of a container, with their slot numbers.
    pub fn bodies(&self) -> Vec<(u32, &[TaskId])> {
        match self {
            TaskKind::Switch { cases, default, .. } => {
                let mut bodies: Vec<(u32, &[TaskId])> = cases
                    .iter()
                    .enumerate()
                    .map(|(index, case)| (index as u32, case.tasks.as_slice()))
                    .collect();
                if let Some(default) = default {
                    bodies.push((cases.len() as u32, default.as_slice()));
                }
                bodies
            }
            TaskKind::Parallel { branches } => branches
                .iter()
                .enumerate()
                .map(|(index, branch)| (index as u32, branch.as_slice()))
                .collect(),
            TaskKind::Loop { body, .. } => vec![(0, body.as_slice())],
            _ => Vec::new(),
        }
    }

    /// Every nested task list, to renumber (see [`Task::renumber`]).
    fn bodies_mut(&mut self) -> Vec<&mut Vec<TaskId>> {
        match self {
            TaskKind::Switch { cases, default, .. } => cases
                .iter_mut()
                .map(|case| &mut case.tasks)
                .chain(default.as_mut())
                .collect(),
            TaskKind::Parallel { branches } => branches.iter_mut().collect(),
            TaskKind::Loop { body, .. } => vec![body],
            _ => Vec::new(),
        }
    }
}

/// A task of the workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: TaskId,
    /// The reference name (`taskReferenceName`).
    pub name: Spanned<String>,
    pub container: Container,
    pub kind: TaskKind,
    /// Span of the kind key (e.g. `worker`), for messages about the kind.
    pub kind_span: Span,
    pub input: Option<Node>,
    pub after: Vec<Spanned<String>>,
    pub description: Option<String>,
    pub optional: Option<Spanned<bool>>,
    pub permissive: Option<bool>,
    pub start_delay_ms: Option<Spanned<u64>>,
    pub retries: Option<Spanned<i64>>,
    pub async_complete: Option<bool>,
    pub estimate_ms: Option<u64>,
    pub compensate: Option<TaskId>,
    /// Declared output type (`output:`), for tasks completed from outside.
    pub output: Option<Type>,
    pub output_span: Option<Span>,
    /// Extra WorkflowTask fields (`raw:` next to a kind key).
    pub raw: Option<Node>,
    /// The whole task mapping.
    pub span: Span,
}

/// A lowered workflow file.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub file: FileId,
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<i64>>,
    pub description: Option<String>,
    pub owner: Option<Spanned<String>>,
    pub timeout_ms: Option<Spanned<u64>>,
    pub timeout_policy: Option<TimeoutPolicy>,
    pub on_failure: Option<Spanned<String>>,
    pub restartable: Option<bool>,
    pub status_listener: Option<Node>,
    pub imports: Vec<Spanned<String>>,
    pub types: Vec<TypeDeclaration>,
    pub inputs: ObjectType,
    pub outputs: Vec<OutputDeclaration>,
    pub variables: Vec<(Spanned<String>, Node)>,
    pub workers: Vec<Worker>,
    pub tasks: Vec<Task>,
    /// The top-level task list, in the author's order.
    pub roots: Vec<TaskId>,
    /// Span of the `tasks:` key, or of the document when absent.
    pub tasks_span: Span,
    pub raw: Option<Node>,
    pub span: Span,
}

impl Task {
    /// Adds `offset` to every task id the task holds (its own, its container's, its nested
    /// lists' and its compensation's): tasks lowered on their own, numbered from 0, are appended
    /// to a workflow that already has `offset` tasks.
    pub fn renumber(&mut self, offset: u32) {
        let shift = |id: &mut TaskId| id.0 += offset;
        shift(&mut self.id);
        if let Container::Task { task, .. } = &mut self.container {
            shift(task);
        }
        for list in self.kind.bodies_mut() {
            list.iter_mut().for_each(shift);
        }
        if let Some(compensation) = &mut self.compensate {
            shift(compensation);
        }
    }
}

impl Workflow {
    pub fn task(&self, id: TaskId) -> &Task {
        &self.tasks[id.0 as usize]
    }

    pub fn find_task(&self, name: &str) -> Option<&Task> {
        self.tasks.iter().find(|task| task.name.value == name)
    }

    /// The task list a container slot holds.
    pub fn list(&self, container: Container) -> &[TaskId] {
        match container {
            Container::Root => &self.roots,
            Container::Task { task, slot } => {
                let task = self.task(task);
                if slot == COMPENSATION_SLOT {
                    return task.compensate.as_slice();
                }
                task.kind
                    .bodies()
                    .into_iter()
                    .find(|(index, _)| *index == slot)
                    .map_or(&[], |(_, list)| list)
            }
        }
    }

    /// The chain of containers from the root down to `task` (exclusive).
    pub fn ancestors(&self, task: TaskId) -> Vec<(Container, TaskId)> {
        let mut chain = Vec::new();
        let mut current = task;
        loop {
            let container = self.task(current).container;
            chain.push((container, current));
            match container {
                Container::Root => break,
                Container::Task { task, .. } => current = task,
            }
            if chain.len() > self.tasks.len() {
                break;
            }
        }
        chain.reverse();
        chain
    }
}

/// A lowered contract file (`*.workers.yaml`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContractFile {
    pub file: FileId,
    pub types: Vec<TypeDeclaration>,
    pub workers: Vec<Worker>,
}
