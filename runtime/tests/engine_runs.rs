//! Whole runs: completing HUMAN and WAIT tasks from outside, replaying and resuming from a
//! recorded history, real time and real concurrency.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;
use wfc_runtime::clock::ClockMode;
use wfc_runtime::engine::{Engine, RunHandle, RunOptions, StartRequest};
use wfc_runtime::event::{Event, MemoryRecorder, RecordedResults, ResultKey};
use wfc_runtime::execution::TaskStatus::*;
use wfc_runtime::execution::WorkflowStatus;
use wfc_runtime::worker::{WorkFuture, WorkItem, WorkResult, WorkStatus, Workers};

fn start(
    definition: Value,
    workers: Arc<dyn Workers>,
    options: RunOptions,
) -> (
    RunHandle,
    tokio::task::JoinHandle<wfc_runtime::engine::RunOutcome>,
    Arc<MemoryRecorder>,
) {
    let name = definition["name"].as_str().unwrap_or_default().to_owned();
    let recorder = Arc::new(MemoryRecorder::new());
    let engine = Engine::new(
        definitions(&[definition], &[]),
        workers,
        recorder.clone(),
        options,
    );
    let (handle, join) = engine.start(StartRequest {
        name,
        ..StartRequest::default()
    });
    (handle, join, recorder)
}

async fn waiting_for(handle: &RunHandle, reference: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !handle
        .waiting_tasks()
        .iter()
        .any(|task| task.reference_task_name == reference)
    {
        assert!(Instant::now() < deadline, "{reference} never waited");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_human_task_waits_for_its_completion() {
    let definition = workflow(
        "approval",
        json!([{"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"},
               {"name": "z", "taskReferenceName": "z", "inputParameters": {"ok": "${approve.output.approved}"}}]),
    );
    let (handle, join, recorder) = start(
        definition,
        Arc::new(ScriptedWorkers::new().without("approve")),
        options(),
    );
    waiting_for(&handle, "approve").await;
    assert!(
        handle
            .complete_task("nope", WorkStatus::Completed, object(json!({})))
            .is_err()
    );
    let completed = handle.complete_task(
        "approve",
        WorkStatus::Completed,
        object(json!({"approved": true})),
    );
    assert_eq!(completed, Ok(()));
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        sequence(&outcome.workflow),
        expect(&[("approve", Completed), ("z", Completed)])
    );
    assert_eq!(
        outcome.workflow.tasks[1].input_data,
        object(json!({"ok": true}))
    );
    assert!(handle.waiting_tasks().is_empty());
    let events = recorder.events();
    assert!(events.iter().any(|event| matches!(event, Event::TaskWaiting { reference_task_name, .. } if reference_task_name == "approve")));
    assert!(
        events.iter().any(
            |event| matches!(event, Event::ResultReceived { key, .. } if key.0 == "/approve#0")
        )
    );
}

#[tokio::test]
async fn a_wait_without_deadline_can_be_failed_from_outside() {
    let definition = workflow(
        "signal",
        json!([{"name": "w", "taskReferenceName": "w", "type": "WAIT"}]),
    );
    let (handle, join, _) = start(
        definition,
        Arc::new(ScriptedWorkers::new().without("w")),
        options(),
    );
    waiting_for(&handle, "w").await;
    assert_eq!(
        handle.complete_task("/w", WorkStatus::Failed, object(json!({}))),
        Ok(())
    );
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(sequence(&outcome.workflow), expect(&[("w", Failed)]));
    assert_eq!(outcome.workflow.status, WorkflowStatus::Failed);
}

#[tokio::test]
async fn recorded_completions_answer_human_tasks_without_waiting() {
    let definition = workflow(
        "approval",
        json!([{"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}]),
    );
    let mut recorded = RecordedResults::new();
    recorded.push(
        ResultKey::new("", "approve", 0),
        ok(json!({"approved": false})),
    );
    let options = RunOptions {
        recorded,
        ..options()
    };
    let (handle, join, _) = start(
        definition,
        Arc::new(ScriptedWorkers::new().without("approve")),
        options,
    );
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    drop(handle);
    assert_eq!(
        sequence(&outcome.workflow),
        expect(&[("approve", Completed)])
    );
    assert_eq!(outcome.workflow.output, object(json!({"approved": false})));
}

#[tokio::test]
async fn a_run_nobody_can_complete_stops_and_says_why() {
    let definition = workflow(
        "stuck",
        json!([{"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}]),
    );
    let (handle, join, _) = start(
        definition,
        Arc::new(ScriptedWorkers::new().without("approve")),
        options(),
    );
    drop(handle);
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(outcome.workflow.status, WorkflowStatus::Running);
    assert!(outcome.stalled.is_some());
}

#[tokio::test]
async fn a_join_on_a_task_that_never_runs_stalls_the_run() {
    let definition = workflow(
        "never",
        json!([{"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [[simple("a")]]},
               {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "ghost"]}]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Running);
    let stalled = ran.outcome.stalled.clone().unwrap_or_default();
    assert!(stalled.contains("join (IN_PROGRESS)"), "{stalled}");
}

/// A saga-like workflow with parallel branches, a loop, a sub-workflow and retries: enough
/// moving parts for replay to be meaningful.
fn busy_definitions() -> Arc<wfc_runtime::engine::Definitions> {
    let child = workflow("child", json!([simple("c1")]));
    let main = workflow(
        "busy",
        json!([
            simple("a"),
            {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
                [simple("b1"), {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child", "version": 1}}],
                [{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "$.loop.iteration < 2", "loopOver": [simple("l")]}]
            ]},
            {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["sub", "loop"]},
            {"name": "z", "taskReferenceName": "z", "inputParameters": {"from": "${b1.output.v}"}}
        ]),
    );
    definitions(
        &[main, child],
        &[json!({"name": "b1", "retryCount": 2, "retryDelaySeconds": 5})],
    )
}

fn busy_workers() -> ScriptedWorkers {
    ScriptedWorkers::new()
        .answers("b1", vec![fail("flaky"), slow(ok(json!({"v": "b1"})), 3)])
        .answers("c1", vec![ok(json!({"child": true}))])
        .answers("l", vec![ok(json!({"i": 1})), slow(ok(json!({"i": 2})), 2)])
}

/// Workers that must not be asked.
struct NoWorkers;

impl Workers for NoWorkers {
    fn can_execute(&self, _task_def_name: &str, _reference_task_name: &str) -> bool {
        true
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        let reason = format!("asked for {} in a replay", item.key);
        Box::pin(async move { WorkResult::failed(reason) })
    }
}

async fn run_busy(
    workers: Arc<dyn Workers>,
    options: RunOptions,
) -> (wfc_runtime::engine::RunOutcome, Vec<Event>) {
    let recorder = Arc::new(MemoryRecorder::new());
    let engine = Engine::new(busy_definitions(), workers, recorder.clone(), options);
    let (_handle, join) = engine.start(StartRequest {
        name: "busy".to_owned(),
        ..StartRequest::default()
    });
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    (outcome, recorder.events())
}

fn final_state(outcome: &wfc_runtime::engine::RunOutcome) -> Value {
    json!({"root": outcome.workflow, "others": outcome.other_workflows})
}

#[tokio::test]
async fn replaying_the_recorded_results_reaches_the_same_final_state() {
    let (original, events) = run_busy(Arc::new(busy_workers()), options()).await;
    assert_eq!(original.workflow.status, WorkflowStatus::Completed);
    assert_eq!(
        sequence(&original.workflow),
        expect(&[
            ("a", Completed),
            ("fork", Completed),
            ("b1", Failed),
            ("loop", Completed),
            ("join", Completed),
            ("l__1", Completed),
            ("b1", Completed),
            ("l__2", Completed),
            ("sub", Completed),
            ("z", Completed)
        ])
    );
    let replay = RunOptions {
        recorded: RecordedResults::from_events(&events),
        replay_only: true,
        ..options()
    };
    let (replayed, replayed_events) = run_busy(Arc::new(NoWorkers), replay).await;
    assert_eq!(final_state(&replayed), final_state(&original));
    assert_eq!(replayed_events, events);
}

#[tokio::test]
async fn a_replay_that_misses_a_result_fails_saying_where() {
    let (_, events) = run_busy(Arc::new(busy_workers()), options()).await;
    let without_c1: Vec<Event> = events
        .into_iter()
        .filter(|event| !matches!(event, Event::ResultReceived { key, .. } if key.0 == "/fork/sub/c1#0" || key.0 == "/sub/c1#0"))
        .collect();
    let replay = RunOptions {
        recorded: RecordedResults::from_events(&without_c1),
        replay_only: true,
        ..options()
    };
    let (replayed, _) = run_busy(Arc::new(NoWorkers), replay).await;
    assert_eq!(replayed.workflow.status, WorkflowStatus::Failed);
    let reason = replayed
        .workflow
        .reason_for_incompletion
        .clone()
        .unwrap_or_default();
    assert!(
        reason.starts_with("replay diverged: the recorded history has no result for /sub/c1#0"),
        "{reason}"
    );
}

#[tokio::test]
async fn resuming_a_killed_run_does_not_run_completed_tasks_again() {
    let (original, events) = run_busy(Arc::new(busy_workers()), options()).await;
    // The run was killed right after the sub-workflow's worker answered.
    let cut = events
        .iter()
        .position(
            |event| matches!(event, Event::ResultReceived { key, .. } if key.0 == "/sub/c1#0"),
        )
        .map_or(events.len(), |position| position + 1);
    let history = &events[..cut];
    let recorded = RecordedResults::from_events(history);
    let answered: Vec<String> = history
        .iter()
        .filter_map(|event| match event {
            Event::ResultReceived { key, .. } => Some(key.0.clone()),
            _ => None,
        })
        .collect();
    let workers = Arc::new(busy_workers());
    // The live workers are asked only for what is not recorded; their scripts start where the
    // first run's had got to.
    let resumed_workers = Arc::new(
        ScriptedWorkers::new()
            .answers("b1", vec![])
            .answers("l", vec![slow(ok(json!({"i": 2})), 2)]),
    );
    drop(workers);
    let (resumed, _) = run_busy(
        resumed_workers.clone(),
        RunOptions {
            recorded,
            ..options()
        },
    )
    .await;
    assert_eq!(final_state(&resumed), final_state(&original));
    let asked: Vec<String> = resumed_workers
        .items()
        .iter()
        .map(|item| item.key.0.clone())
        .collect();
    for key in &asked {
        assert!(
            !answered.contains(key),
            "{key} was answered before the kill but asked again"
        );
    }
    assert!(!asked.is_empty());
}

/// Workers that really take time.
struct SleepingWorkers(Duration);

impl Workers for SleepingWorkers {
    fn can_execute(&self, _task_def_name: &str, _reference_task_name: &str) -> bool {
        true
    }

    fn execute(&self, _item: WorkItem) -> WorkFuture {
        let duration = self.0;
        Box::pin(async move {
            tokio::time::sleep(duration).await;
            WorkResult::completed(serde_json::Map::new())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_branches_really_run_at_once() {
    let definition = workflow(
        "parallel",
        json!([{"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN",
                "forkTasks": [[simple("a")], [simple("b")], [simple("c")], [simple("d")]]},
               {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b", "c", "d"]}]),
    );
    for clock in [ClockMode::Virtual, ClockMode::RealTime] {
        let options = RunOptions { clock, ..options() };
        let started = Instant::now();
        let (_handle, join, _) = start(
            definition.clone(),
            Arc::new(SleepingWorkers(Duration::from_millis(300))),
            options,
        );
        let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(outcome.workflow.status, WorkflowStatus::Completed);
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_millis(900),
            "{clock:?}: four 300 ms workers took {elapsed:?}"
        );
    }
}

#[tokio::test]
async fn the_real_clock_really_waits() {
    let definition = workflow(
        "real_wait",
        json!([{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "1s"}}]),
    );
    let options = RunOptions {
        clock: ClockMode::RealTime,
        ..options()
    };
    let started = Instant::now();
    let (_handle, join, _) = start(
        definition,
        Arc::new(ScriptedWorkers::new().without("w")),
        options,
    );
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(sequence(&outcome.workflow), expect(&[("w", Completed)]));
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(outcome.simulated_elapsed >= Duration::from_secs(1));
}

#[tokio::test]
async fn every_event_is_recorded_in_order() {
    let (_, events) = run_busy(Arc::new(busy_workers()), options()).await;
    assert!(matches!(events.first(), Some(Event::RunStarted { .. })));
    assert!(matches!(
        events.get(1),
        Some(Event::WorkflowStarted {
            parent_workflow_id: None,
            ..
        })
    ));
    assert!(matches!(
        events.last(),
        Some(Event::WorkflowFinished {
            status: WorkflowStatus::Completed,
            ..
        })
    ));
    // Each task is scheduled before it starts, gets its result, and finishes.
    let mut scheduled = std::collections::HashSet::new();
    for event in &events {
        match event {
            Event::TaskScheduled { task_id, .. } => {
                scheduled.insert(task_id.clone());
            }
            Event::TaskStarted { task_id, .. }
            | Event::ResultReceived { task_id, .. }
            | Event::TaskFinished { task_id, .. } => {
                assert!(
                    scheduled.contains(task_id),
                    "{event:?} before its task was scheduled"
                );
            }
            _ => {}
        }
    }
    if let Some(Event::RunStarted {
        definitions,
        task_defs,
        ..
    }) = events.first()
    {
        assert_eq!(definitions[0]["name"], json!("busy"));
        assert_eq!(definitions.len(), 2);
        assert_eq!(task_defs.len(), 1);
    }
}

#[tokio::test]
async fn virtual_time_waits_for_an_answer_while_someone_can_give_it() {
    let mut definition = workflow(
        "approval_with_timeouts",
        json!([{"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}]),
    );
    definition["timeoutSeconds"] = json!(60);
    definition["timeoutPolicy"] = json!("TIME_OUT_WF");
    let task_def = json!({"name": "approve", "timeoutSeconds": 10, "responseTimeoutSeconds": 10});
    let start_it = |definition: Value| {
        let recorder = Arc::new(MemoryRecorder::new());
        let engine = Engine::new(
            definitions(&[definition], std::slice::from_ref(&task_def)),
            Arc::new(ScriptedWorkers::new().without("approve")),
            recorder,
            options(),
        );
        engine.start(StartRequest {
            name: "approval_with_timeouts".to_owned(),
            ..StartRequest::default()
        })
    };
    // Someone answers (after a while in real time): no timeout overtakes them.
    let (handle, join) = start_it(definition.clone());
    waiting_for(&handle, "approve").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        handle.complete_task("approve", WorkStatus::Completed, object(json!({}))),
        Ok(())
    );
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        sequence(&outcome.workflow),
        expect(&[("approve", Completed)])
    );
    assert_eq!(outcome.workflow.status, WorkflowStatus::Completed);
    // Nobody can answer: simulated time runs into the task's timeout.
    let (handle, join) = start_it(definition);
    drop(handle);
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        sequence(&outcome.workflow),
        expect(&[("approve", TimedOut)])
    );
    assert_eq!(outcome.workflow.status, WorkflowStatus::TimedOut);
}

#[tokio::test]
async fn the_history_records_correlation_ids() {
    let child = workflow("child", json!([simple("c1")]));
    let parent = workflow(
        "parent",
        json!([{"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child", "version": 1}}]),
    );
    let recorder = Arc::new(MemoryRecorder::new());
    let engine = Engine::new(
        definitions(&[parent, child], &[]),
        Arc::new(ScriptedWorkers::new()),
        recorder.clone(),
        options(),
    );
    let (_handle, join) = engine.start(StartRequest {
        name: "parent".to_owned(),
        correlation_id: Some("order-7".to_owned()),
        ..StartRequest::default()
    });
    let outcome = join.await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        outcome.other_workflows[0].correlation_id.as_deref(),
        Some("order-7")
    );
    let recorded: Vec<Option<String>> = recorder
        .events()
        .into_iter()
        .filter_map(|event| match event {
            Event::WorkflowStarted { correlation_id, .. } => Some(correlation_id),
            _ => None,
        })
        .collect();
    assert_eq!(
        recorded,
        [Some("order-7".to_owned()), Some("order-7".to_owned())]
    );
}
