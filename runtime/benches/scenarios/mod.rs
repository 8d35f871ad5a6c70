//! The workloads of the `wfc run` benchmarks (shared by `benches/run.rs` and
//! `examples/run_scenario.rs`, which measures peak memory in a fresh process).

use std::sync::Arc;

use serde_json::{Map, Value, json};
use wfc_runtime::engine::{Definitions, Engine, RunOptions, RunOutcome, StartRequest};
use wfc_runtime::event::Recorder;
use wfc_runtime::execution::WorkflowStatus;
use wfc_runtime::worker::{WorkFuture, WorkItem, WorkResult, Workers};

/// Mocked workers: every task completes at once with a small output.
pub struct InstantWorkers;

impl Workers for InstantWorkers {
    fn can_execute(&self, _task_def_name: &str, _reference_task_name: &str) -> bool {
        true
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        let output = Map::from_iter([("done".to_owned(), Value::from(item.retry_count))]);
        Box::pin(async move { WorkResult::completed(output) })
    }
}

/// A workflow and its input.
pub struct Scenario {
    pub name: &'static str,
    pub definitions: Arc<Definitions>,
    pub input: Map<String, Value>,
    /// How many worker tasks it runs.
    pub worker_tasks: usize,
}

/// One FORK_JOIN_DYNAMIC of `width` mocked tasks.
pub fn dynamic_fork(width: usize) -> Scenario {
    let definition = json!({
        "name": "dynamic_fork", "version": 1, "schemaVersion": 2,
        "tasks": [
            {"name": "fan_out", "taskReferenceName": "fan_out", "type": "FORK_JOIN_DYNAMIC",
             "inputParameters": {"forkTaskName": "work", "forkTaskInputs": "${workflow.input.items}"}},
            {"name": "fan_in", "taskReferenceName": "fan_in", "type": "JOIN"}
        ]
    });
    let items: Vec<Value> = (0..width).map(|index| json!({"item": index})).collect();
    Scenario {
        name: "dynamic_fork",
        definitions: definitions(&definition),
        input: Map::from_iter([("items".to_owned(), Value::Array(items))]),
        worker_tasks: width,
    }
}

/// `count` FORK_JOINs of `width` branches of one mocked task each, one after the other.
pub fn sequential_forks(count: usize, width: usize) -> Scenario {
    let mut tasks = Vec::with_capacity(count * 2);
    for fork in 0..count {
        let branches: Vec<Value> = (0..width)
            .map(|branch| {
                let reference = format!("t_{fork}_{branch}");
                json!([{"name": "work", "taskReferenceName": reference, "inputParameters": {"fork": fork, "branch": branch}}])
            })
            .collect();
        let join_on: Vec<String> = (0..width)
            .map(|branch| format!("t_{fork}_{branch}"))
            .collect();
        tasks.push(json!({"name": "fork", "taskReferenceName": format!("fork_{fork}"), "type": "FORK_JOIN", "forkTasks": branches}));
        tasks.push(json!({"name": "join", "taskReferenceName": format!("join_{fork}"), "type": "JOIN", "joinOn": join_on}));
    }
    let definition =
        json!({"name": "sequential_forks", "version": 1, "schemaVersion": 2, "tasks": tasks});
    Scenario {
        name: "sequential_forks",
        definitions: definitions(&definition),
        input: Map::new(),
        worker_tasks: count * width,
    }
}

/// `length` mocked tasks one after the other, each reading the previous one's output.
pub fn chain(length: usize) -> Scenario {
    let tasks: Vec<Value> = (0..length)
        .map(|index| {
            let previous = if index == 0 { "${workflow.input.start}".to_owned() } else { format!("${{t_{}.output.done}}", index - 1) };
            json!({"name": "work", "taskReferenceName": format!("t_{index}"), "inputParameters": {"previous": previous}})
        })
        .collect();
    let definition = json!({"name": "chain", "version": 1, "schemaVersion": 2, "tasks": tasks});
    Scenario {
        name: "chain",
        definitions: definitions(&definition),
        input: Map::from_iter([("start".to_owned(), Value::from(0))]),
        worker_tasks: length,
    }
}

fn definitions(definition: &Value) -> Arc<Definitions> {
    let mut definitions = Definitions::new();
    if let Err(message) = definitions.add_workflow(definition) {
        panic!("benchmark workflow: {message}");
    }
    Arc::new(definitions)
}

/// Runs a scenario to COMPLETED on the virtual clock.
pub async fn run(scenario: &Scenario, recorder: Arc<dyn Recorder>) -> RunOutcome {
    let engine = Engine::new(
        Arc::clone(&scenario.definitions),
        Arc::new(InstantWorkers),
        recorder,
        RunOptions::default(),
    );
    let (_handle, join) = engine.start(StartRequest {
        name: scenario.name.to_owned(),
        input: scenario.input.clone(),
        ..StartRequest::default()
    });
    let outcome = match join.await {
        Ok(outcome) => outcome,
        Err(error) => panic!("the run panicked: {error}"),
    };
    assert_eq!(
        outcome.workflow.status,
        WorkflowStatus::Completed,
        "{:?}",
        outcome.workflow.reason_for_incompletion
    );
    outcome
}
