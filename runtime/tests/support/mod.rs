//! What the engine tests share: scripted workers, a run helper and readable task sequences.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use wfc_runtime::engine::{Definitions, Engine, RunOptions, RunOutcome, StartRequest};
use wfc_runtime::event::{Event, MemoryRecorder};
use wfc_runtime::execution::{TaskStatus, Workflow};
use wfc_runtime::worker::{WorkFuture, WorkItem, WorkResult, WorkStatus, Workers};

/// Workers answering from per-reference scripts (the exact reference first, then the reference
/// without `__N`), else COMPLETED with an empty output. Every item handed out is kept.
#[derive(Default)]
pub struct ScriptedWorkers {
    scripts: Mutex<HashMap<String, VecDeque<WorkResult>>>,
    unable: HashSet<String>,
    pub items: Mutex<Vec<WorkItem>>,
}

impl ScriptedWorkers {
    pub fn new() -> ScriptedWorkers {
        ScriptedWorkers::default()
    }

    /// Answers for `reference`, in order.
    pub fn answers(self, reference: &str, results: Vec<WorkResult>) -> ScriptedWorkers {
        if let Ok(mut scripts) = self.scripts.lock() {
            scripts
                .entry(reference.to_owned())
                .or_default()
                .extend(results);
        }
        self
    }

    /// `reference` has no worker (for `missing_workers`).
    pub fn without(mut self, reference: &str) -> ScriptedWorkers {
        self.unable.insert(reference.to_owned());
        self
    }

    pub fn items(&self) -> Vec<WorkItem> {
        self.items
            .lock()
            .map(|items| items.clone())
            .unwrap_or_default()
    }
}

impl Workers for ScriptedWorkers {
    fn can_execute(&self, task_def_name: &str, reference_task_name: &str) -> bool {
        !self.unable.contains(reference_task_name) && !self.unable.contains(task_def_name)
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        let base = item
            .reference_task_name
            .split("__")
            .next()
            .unwrap_or_default()
            .to_owned();
        let result = self.scripts.lock().ok().and_then(|mut scripts| {
            for key in [item.reference_task_name.as_str(), base.as_str()] {
                if let Some(result) = scripts.get_mut(key).and_then(VecDeque::pop_front) {
                    return Some(result);
                }
            }
            None
        });
        if let Ok(mut items) = self.items.lock() {
            items.push(item);
        }
        let result = result.unwrap_or_else(|| WorkResult::completed(Map::new()));
        Box::pin(async move { result })
    }
}

/// A COMPLETED result with this output (an object).
pub fn ok(output: Value) -> WorkResult {
    WorkResult::completed(object(output))
}

/// A FAILED result.
pub fn fail(reason: &str) -> WorkResult {
    WorkResult::failed(reason)
}

/// A result with a status and output.
pub fn answer(status: WorkStatus, output: Value) -> WorkResult {
    WorkResult::with_status(status, object(output), None)
}

pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Definitions from workflow and task definition JSON; panics on a definition the test got
/// wrong.
pub fn definitions(workflows: &[Value], task_defs: &[Value]) -> Arc<Definitions> {
    let mut definitions = Definitions::new();
    for workflow in workflows {
        if let Err(message) = definitions.add_workflow(workflow) {
            panic!("bad test workflow: {message}");
        }
    }
    for task_def in task_defs {
        if let Err(message) = definitions.add_task_def(task_def) {
            panic!("bad test task definition: {message}");
        }
    }
    Arc::new(definitions)
}

/// Options of a test run: virtual clock, fixed start time.
pub fn options() -> RunOptions {
    RunOptions {
        start_time: Some(1_700_000_000_000),
        run_id: "test".to_owned(),
        ..RunOptions::default()
    }
}

/// The outcome and the recorded history of a run.
pub struct Ran {
    pub outcome: RunOutcome,
    pub events: Vec<Event>,
}

impl Ran {
    pub fn workflow(&self) -> &Workflow {
        &self.outcome.workflow
    }

    /// `(reference, status)` of every task of the root workflow, in order.
    pub fn sequence(&self) -> Vec<(String, TaskStatus)> {
        sequence(&self.outcome.workflow)
    }

    /// The other workflow with this name.
    pub fn other(&self, name: &str) -> &Workflow {
        match self
            .outcome
            .other_workflows
            .iter()
            .find(|workflow| workflow.workflow_name == name)
        {
            Some(workflow) => workflow,
            None => panic!("no workflow {name} was started"),
        }
    }

    /// The output of the latest task with this reference.
    pub fn output(&self, reference: &str) -> Value {
        self.outcome
            .workflow
            .task_by_reference(reference)
            .map(|task| Value::Object(task.output_data.clone()))
            .unwrap_or(Value::Null)
    }

    pub fn input(&self, reference: &str) -> Value {
        self.outcome
            .workflow
            .task_by_reference(reference)
            .map(|task| Value::Object(task.input_data.clone()))
            .unwrap_or(Value::Null)
    }
}

pub fn sequence(workflow: &Workflow) -> Vec<(String, TaskStatus)> {
    workflow
        .tasks
        .iter()
        .map(|task| (task.reference_task_name.clone(), task.status))
        .collect()
}

/// Expected sequences written as `[("a", COMPLETED), ...]`.
pub fn expect(pairs: &[(&str, TaskStatus)]) -> Vec<(String, TaskStatus)> {
    pairs
        .iter()
        .map(|(reference, status)| ((*reference).to_owned(), *status))
        .collect()
}

/// Runs the first workflow of `workflows` with `input`.
pub async fn run_with(
    definitions: Arc<Definitions>,
    name: &str,
    input: Value,
    workers: Arc<ScriptedWorkers>,
    options: RunOptions,
) -> Ran {
    let recorder = Arc::new(MemoryRecorder::new());
    let engine = Engine::new(definitions, workers, recorder.clone(), options);
    let (handle, join) = engine.start(StartRequest {
        name: name.to_owned(),
        version: None,
        input: object(input),
        correlation_id: None,
    });
    drop(handle);
    let outcome = match join.await {
        Ok(outcome) => outcome,
        Err(error) => panic!("the run panicked: {error}"),
    };
    Ran {
        outcome,
        events: recorder.events(),
    }
}

/// Runs `workflow` (a WorkflowDef JSON) with the given task definitions, input and workers.
pub async fn run(
    workflow: Value,
    task_defs: &[Value],
    input: Value,
    workers: ScriptedWorkers,
) -> Ran {
    let name = workflow["name"].as_str().unwrap_or_default().to_owned();
    run_with(
        definitions(&[workflow], task_defs),
        &name,
        input,
        Arc::new(workers),
        options(),
    )
    .await
}

/// A workflow definition with these tasks.
pub fn workflow(name: &str, tasks: Value) -> Value {
    json!({"name": name, "version": 1, "schemaVersion": 2, "tasks": tasks})
}

/// A SIMPLE task.
pub fn simple(reference: &str) -> Value {
    json!({"name": reference, "taskReferenceName": reference, "type": "SIMPLE"})
}

/// A task definition without retries.
pub fn no_retries(name: &str) -> Value {
    json!({"name": name, "retryCount": 0, "responseTimeoutSeconds": 3600})
}

/// `result` taking `seconds` of simulated time.
pub fn slow(mut result: WorkResult, seconds: u64) -> WorkResult {
    result.execution_time = Some(std::time::Duration::from_secs(seconds));
    result
}

/// Seconds between the test clock's start and an epoch time.
pub fn at(epoch_milliseconds: i64) -> f64 {
    (epoch_milliseconds - 1_700_000_000_000) as f64 / 1000.0
}

/// The `(retryCount, start second, status)` of every attempt of a reference.
pub fn attempts(workflow: &Workflow, reference: &str) -> Vec<(u32, f64, TaskStatus)> {
    workflow
        .tasks
        .iter()
        .filter(|task| task.reference_task_name == reference)
        .map(|task| (task.retry_count, at(task.start_time), task.status))
        .collect()
}
