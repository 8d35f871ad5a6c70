//! The engine: what a caller gives a run (definitions, workers, a recorder, options), how it
//! starts one, and what it gets back.
//!
//! One decider loop (`decider`) owns every execution of a run — the root workflow, its
//! sub-workflows, failure workflows and the workflows START_WORKFLOW tasks start — and decides
//! what to schedule next the way Conductor's `DeciderService` and `WorkflowExecutorOps` do.
//! Callers only see the types here: [`Engine::start`] spawns the loop on tokio and returns a
//! [`RunHandle`] (to complete HUMAN and WAIT tasks from outside) and the join handle of the
//! [`RunOutcome`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::clock::ClockMode;
use crate::definition::{TaskDef, WorkflowDef};
use crate::event::{RecordedResults, Recorder};
use crate::execution::Workflow;
use crate::script::ScriptLimits;
use crate::worker::{WorkStatus, Workers};

mod decide;
mod decider;
mod mapping;
mod navigation;
mod state;
mod system;

/// The workflow and task definitions a run may use: workflow definitions by name and version
/// (a request without a version gets the latest), task definitions by name.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    workflows: HashMap<String, BTreeMap<i64, StoredWorkflow>>,
    task_defs: BTreeMap<String, StoredTaskDef>,
}

#[derive(Debug, Clone)]
struct StoredWorkflow {
    definition: Arc<WorkflowDef>,
    source: Value,
}

#[derive(Debug, Clone)]
struct StoredTaskDef {
    definition: Arc<TaskDef>,
    source: Value,
}

impl Definitions {
    pub fn new() -> Definitions {
        Definitions::default()
    }

    /// Adds (or replaces) a WorkflowDef. Refused, with a located reason, when it cannot be read
    /// (§A binding errors) or when two of its tasks share a reference name (§C.2), which
    /// Conductor refuses at registration too.
    pub fn add_workflow(&mut self, json: &Value) -> Result<(), String> {
        let definition = WorkflowDef::from_json(json)?;
        check_unique_references(&definition)?;
        self.workflows
            .entry(definition.name.clone())
            .or_default()
            .insert(
                definition.version,
                StoredWorkflow {
                    definition: Arc::new(definition),
                    source: json.clone(),
                },
            );
        Ok(())
    }

    /// Adds (or replaces) a TaskDef, or every TaskDef of a list (the shape of `taskdefs.json`
    /// and of `POST /api/metadata/taskdefs`).
    pub fn add_task_def(&mut self, json: &Value) -> Result<(), String> {
        if let Value::Array(definitions) = json {
            for (index, definition) in definitions.iter().enumerate() {
                self.add_task_def(definition)
                    .map_err(|message| format!("[{index}]: {message}"))?;
            }
            return Ok(());
        }
        let definition = TaskDef::from_json(json)?;
        self.task_defs.insert(
            definition.name.clone(),
            StoredTaskDef {
                definition: Arc::new(definition),
                source: json.clone(),
            },
        );
        Ok(())
    }

    /// The definition of `name` at `version`, or its latest version.
    pub fn workflow(&self, name: &str, version: Option<i64>) -> Option<&Arc<WorkflowDef>> {
        let versions = self.workflows.get(name)?;
        let stored = match version {
            Some(version) => versions.get(&version),
            None => versions.values().next_back(),
        }?;
        Some(&stored.definition)
    }

    /// The registered task definition called `name`.
    pub fn task_def(&self, name: &str) -> Option<&Arc<TaskDef>> {
        self.task_defs.get(name).map(|stored| &stored.definition)
    }

    /// The JSON a workflow definition was added from.
    fn workflow_source(&self, name: &str, version: i64) -> Option<&Value> {
        self.workflows
            .get(name)?
            .get(&version)
            .map(|stored| &stored.source)
    }

    /// Every workflow definition as added, sorted by name and version.
    fn workflow_sources(&self) -> Vec<(&str, i64, &Value)> {
        let mut sources: Vec<(&str, i64, &Value)> = self
            .workflows
            .iter()
            .flat_map(|(name, versions)| {
                versions
                    .iter()
                    .map(move |(version, stored)| (name.as_str(), *version, &stored.source))
            })
            .collect();
        sources.sort_by(|left, right| (left.0, left.1).cmp(&(right.0, right.1)));
        sources
    }

    /// Every task definition as added, sorted by name.
    fn task_def_sources(&self) -> Vec<Value> {
        self.task_defs
            .values()
            .map(|stored| stored.source.clone())
            .collect()
    }
}

/// Refuses a definition in which two tasks share a reference name (§C.2).
fn check_unique_references(definition: &WorkflowDef) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for task in definition.collect_tasks() {
        if !seen.insert(task.task_reference_name.as_str()) {
            return Err(format!(
                "taskReferenceName: {} should be unique across tasks for a given workflowDefinition: {}",
                task.task_reference_name, definition.name
            ));
        }
    }
    Ok(())
}

/// `--fail REF[:N]`: the Nth attempt (1-based) of REF fails; `None` = every attempt. REF is a
/// reference name (inside loops also matching every `REF__N`), or a sub-workflow path such as
/// `/pay/charge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedFailure {
    pub reference: String,
    pub attempt: Option<u32>,
}

/// How a run behaves besides its definitions and workers.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub clock: ClockMode,
    /// Time and memory limits of every script evaluation (INLINE, LAMBDA, SWITCH, DO_WHILE).
    pub script_limits: ScriptLimits,
    pub failures: Vec<InjectedFailure>,
    /// Replay / resume: results answered before the workers are asked.
    pub recorded: RecordedResults,
    /// Replay: a result missing from `recorded` is a divergence, and the run FAILS with a
    /// reason naming it.
    pub replay_only: bool,
    /// Seeds the retry jitter (`backoffJitterMs`) and the generated ids.
    pub seed: u64,
    pub run_id: String,
    /// Epoch milliseconds at which the run's clock starts; `None` = now. Replay passes the
    /// recorded start so that times and WAIT deadlines come out the same.
    pub start_time: Option<i64>,
    /// A run that schedules more tasks than this (a loop whose condition never becomes false)
    /// fails with a reason instead of running forever.
    pub task_limit: usize,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            clock: ClockMode::Virtual,
            script_limits: ScriptLimits::default(),
            failures: Vec::new(),
            recorded: RecordedResults::new(),
            replay_only: false,
            seed: 0,
            run_id: "run".to_owned(),
            start_time: None,
            task_limit: 1_000_000,
        }
    }
}

impl RunOptions {
    /// The options that decide a run's outcome besides the results, as recorded in
    /// `RunStarted.options` (clock, seed, injected failures, start time, task limit, script
    /// limits).
    pub fn recorded_form(&self) -> Value {
        serde_json::json!({
            "clock": self.clock,
            "failures": self.failures,
            "seed": self.seed,
            "start_time": self.start_time,
            "task_limit": self.task_limit,
            "script_time_ms": u64::try_from(self.script_limits.time.as_millis()).unwrap_or(u64::MAX),
            "script_memory_bytes": self.script_limits.memory_bytes,
        })
    }
}

/// What to start: Conductor's `StartWorkflowRequest`, reduced to what a local run needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StartRequest {
    pub name: String,
    pub version: Option<i64>,
    pub input: Map<String, Value>,
    pub correlation_id: Option<String>,
}

/// A task waiting for an external completion (HUMAN, WAIT without duration/until).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingTask {
    pub workflow_id: String,
    pub task_id: String,
    /// With `__N` inside loops.
    pub reference_task_name: String,
    pub task_type: String,
    /// The sub-workflow path of its workflow (`""` for the root, `/pay` for a child started by
    /// the task `pay`).
    pub path: String,
}

/// Completes tasks of a running run from outside (`wfc complete`, a prompt, a test).
#[derive(Debug, Clone)]
pub struct RunHandle {
    sender: mpsc::UnboundedSender<decider::Message>,
    waiting: Arc<Mutex<Vec<WaitingTask>>>,
    /// Shared by the clones of the handle: when the last one goes, the run stops waiting for
    /// completions nobody can send.
    alive: Arc<()>,
}

impl Drop for RunHandle {
    fn drop(&mut self) {
        if Arc::strong_count(&self.alive) == 1 {
            // The run may be over already; then nobody needs to know.
            let _ = self.sender.send(decider::Message::HandlesDropped);
        }
    }
}

impl RunHandle {
    /// Completes the waiting task `reference_task_name` (a reference, with `__N` inside loops,
    /// or `<path>/<reference>` for a task of a sub-workflow) with this status and output.
    /// Refused when no waiting task matches, or when more than one does.
    pub fn complete_task(
        &self,
        reference_task_name: &str,
        status: WorkStatus,
        output: Map<String, Value>,
    ) -> Result<(), String> {
        let target = {
            let waiting = match self.waiting.lock() {
                Ok(waiting) => waiting,
                Err(poisoned) => poisoned.into_inner(),
            };
            let matching: Vec<&WaitingTask> = waiting
                .iter()
                .filter(|task| {
                    task.reference_task_name == reference_task_name
                        || format!("{}/{}", task.path, task.reference_task_name)
                            == reference_task_name
                })
                .collect();
            match matching.as_slice() {
                [task] => (*task).clone(),
                [] => {
                    let names: Vec<String> = waiting
                        .iter()
                        .map(|task| format!("{}/{}", task.path, task.reference_task_name))
                        .collect();
                    return Err(if names.is_empty() {
                        format!(
                            "no task is waiting for a completion (asked for `{reference_task_name}`)"
                        )
                    } else {
                        format!(
                            "no waiting task is called `{reference_task_name}`; waiting: {}",
                            names.join(", ")
                        )
                    });
                }
                several => {
                    let names: Vec<String> = several
                        .iter()
                        .map(|task| format!("{}/{}", task.path, task.reference_task_name))
                        .collect();
                    return Err(format!(
                        "`{reference_task_name}` names several waiting tasks ({}); give the path",
                        names.join(", ")
                    ));
                }
            }
        };
        self.sender
            .send(decider::Message::Complete {
                workflow_id: target.workflow_id,
                task_id: target.task_id,
                status,
                output,
            })
            .map_err(|_| "the run has finished".to_owned())
    }

    /// The tasks waiting for an external completion right now.
    pub fn waiting_tasks(&self) -> Vec<WaitingTask> {
        match self.waiting.lock() {
            Ok(waiting) => waiting.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The root workflow, its tasks in scheduling order.
    pub workflow: Workflow,
    /// Every other workflow the run started (sub-workflows, failure workflows, START_WORKFLOW
    /// targets), in the order they started.
    pub other_workflows: Vec<Workflow>,
    /// Time on the run's clock (simulated with the virtual clock).
    pub simulated_elapsed: Duration,
    pub real_elapsed: Duration,
    /// Why the run stopped while its root workflow was still RUNNING (nothing left that could
    /// make progress, e.g. a JOIN waiting for a task that is never scheduled).
    pub stalled: Option<String>,
}

/// Runs workflows: definitions, workers and a recorder, and the options of one run.
pub struct Engine {
    definitions: Arc<Definitions>,
    workers: Arc<dyn Workers>,
    recorder: Arc<dyn Recorder>,
    options: RunOptions,
}

impl Engine {
    pub fn new(
        definitions: Arc<Definitions>,
        workers: Arc<dyn Workers>,
        recorder: Arc<dyn Recorder>,
        options: RunOptions,
    ) -> Engine {
        Engine {
            definitions,
            workers,
            recorder,
            options,
        }
    }

    /// Worker tasks of the workflow (and its sub-workflows) that `workers` cannot execute, as
    /// `<sub-workflow path>/<reference> (<task name>)`, and SUB_WORKFLOW / START_WORKFLOW tasks
    /// whose workflow is not among the definitions and that no worker stands in for, as
    /// `<path>/<reference> (<workflow name>)`: checked by `wfc run` before starting, to name every
    /// one at once.
    pub fn missing_workers(&self, request: &StartRequest) -> Vec<String> {
        decider::missing_workers(&self.definitions, self.workers.as_ref(), request)
    }

    /// Starts the run on the current tokio runtime; the handle completes HUMAN/WAIT tasks from
    /// outside while it runs.
    pub fn start(self, request: StartRequest) -> (RunHandle, tokio::task::JoinHandle<RunOutcome>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let waiting = Arc::new(Mutex::new(Vec::new()));
        let handle = RunHandle {
            sender: sender.clone(),
            waiting: Arc::clone(&waiting),
            alive: Arc::new(()),
        };
        let run = decider::Run::new(self, sender, receiver, waiting);
        let join = tokio::spawn(run.execute(request));
        (handle, join)
    }
}
