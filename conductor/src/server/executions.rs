//! Executions in `wfc serve` (API.md §3, §4): workflows started through the API run on the
//! bundled runtime's engine, their worker tasks wait in the [`TaskQueue`] for remote workers, and
//! every run is recorded in the runtime's run store next to the state file, so that a restarted
//! server resumes what was running.
//!
//! ```text
//!  POST /api/workflow ──▶ Engine (real-time clock) ──▶ QueueWorkers ──▶ TaskQueue ◀── poll / update
//!                            │ events                                      ▲
//!                            ▼                                             │ "recorded"
//!                       ServeRecorder ──▶ RunRecorder (JSONL history, index)
//!                                    └──▶ Projection (GET /api/workflow/{id})
//! ```
//!
//! - **Resume after a restart**: every run still RUNNING in the store is started again from its
//!   history (definitions, input, options, recorded worker results), as `wfc run --resume` does;
//!   its workflow and task ids are the same, results recorded before the kill are fed back, and
//!   tasks polled but not answered are queued again.
//! - **Terminate** stops the run's engine, cancels its unfinished tasks and records the end in
//!   its history (so it is not resumed). **Pause** withholds its tasks from pollers; the engine
//!   keeps running system tasks. **Retry** of a FAILED or TIMED_OUT run starts it again from its
//!   history without the results of its failed tasks' last attempts, which are asked for again.
//! - **`POST /api/workflow/test`** runs with the request's mocks on the virtual clock and answers
//!   the execution when it ends or waits for a task no mock answers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use wfc_runtime::clock::ClockMode;
use wfc_runtime::engine::{Definitions, Engine, RunHandle, RunOptions, StartRequest};
use wfc_runtime::event::{Event, RecordedResults, Recorder, ResultKey};
use wfc_runtime::execution::WorkflowStatus;
use wfc_runtime::mocks::Mocks;
use wfc_runtime::store::{self, NewRun, RecordedRun, RunRecorder, Store as RunStore};
use wfc_runtime::worker::{WorkFuture, WorkItem, WorkResult, WorkStatus, Workers};

use super::auth::now_millis;
use super::error::ApiError;
use super::projection::Projection;
use super::queue::{Delivery, QueueWorkers, TaskQueue};

/// How long an API call waits for the engine to start a workflow or record a result.
const ENGINE_ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long `POST /api/workflow/test` lets a run go on the wall clock.
const TEST_RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// A run going on in this process.
struct LiveRun {
    join: tokio::task::AbortHandle,
    /// Completes (or is dropped) once the engine task has ended and its end is handled.
    ended: oneshot::Receiver<()>,
    /// Kept so that the engine keeps waiting for external completions (HUMAN, WAIT).
    handle: RunHandle,
    recorder: Arc<ServeRecorder>,
    root: String,
}

/// The executions of the server.
pub struct Executions {
    runs: RunStore,
    pub queue: Arc<TaskQueue>,
    pub projection: Arc<Projection>,
    live: Mutex<HashMap<String, LiveRun>>,
}

impl std::fmt::Debug for Executions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Executions")
            .field("runs", &self.runs.directory())
            .finish_non_exhaustive()
    }
}

/// Records a run's events in its history, folds them into the views, and tells the queue when a
/// worker's result is durable.
struct ServeRecorder {
    inner: Option<RunRecorder>,
    run_id: String,
    projection: Arc<Projection>,
    queue: Arc<TaskQueue>,
    root: Mutex<Option<oneshot::Sender<String>>>,
}

impl Recorder for ServeRecorder {
    fn record(&self, event: &Event) {
        if let Some(inner) = &self.inner {
            inner.record(event);
        }
        self.projection.apply(&self.run_id, event);
        match event {
            Event::ResultReceived { task_id, .. } => self.queue.recorded(task_id),
            Event::WorkflowStarted {
                workflow_id,
                parent_workflow_id: None,
                ..
            } => {
                let sender = self
                    .root
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take();
                if let Some(sender) = sender {
                    let _ = sender.send(workflow_id.clone());
                }
            }
            _ => {}
        }
    }
}

/// A random seed for the engine's ids, so that every run's workflow and task ids are new.
fn random_seed() -> u64 {
    let mut bytes = [0_u8; 8];
    // Without an entropy source the clock still tells runs apart.
    if getrandom::fill(&mut bytes).is_err() {
        return now_millis().unsigned_abs();
    }
    u64::from_le_bytes(bytes)
}

/// What to start.
#[derive(Debug, Clone)]
pub struct Start {
    /// The workflow definition started.
    pub root: Value,
    /// Every other workflow definition the run may start (sub-workflows, failure workflows).
    pub others: Vec<Value>,
    pub task_defs: Vec<Value>,
    pub request: StartRequest,
}

impl Start {
    /// The root first, then the others.
    fn sources(&self) -> Vec<Value> {
        std::iter::once(self.root.clone())
            .chain(self.others.iter().cloned())
            .collect()
    }
}

impl Executions {
    /// Opens the run store in `directory` (its histories and index).
    pub fn open(directory: &Path) -> Result<Executions, String> {
        let runs = RunStore::open(directory).map_err(|error| error.to_string())?;
        Ok(Executions {
            runs,
            queue: Arc::new(TaskQueue::new()),
            projection: Arc::new(Projection::new()),
            live: Mutex::new(HashMap::new()),
        })
    }

    fn lock_live(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveRun>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The engine's definitions (the root added last, so that it wins over a stored one of the
    /// same name and version), refused when the root cannot be read.
    fn engine_definitions(start: &Start) -> Result<Definitions, ApiError> {
        let mut definitions = Definitions::new();
        for definition in &start.others {
            // Another registered definition that cannot be read does not stop this run.
            let _ = definitions.add_workflow(definition);
        }
        definitions
            .add_workflow(&start.root)
            .map_err(ApiError::bad_request)?;
        for definition in &start.task_defs {
            let _ = definitions.add_task_def(definition);
        }
        Ok(definitions)
    }

    /// Starts a workflow; answers its id once the engine has started it.
    pub async fn start(self: &Arc<Self>, start: Start) -> Result<String, ApiError> {
        let definitions = Self::engine_definitions(&start)?;
        let started_at = now_millis();
        let (record, recorder) = self
            .runs
            .create_run(&NewRun {
                workflow: start.request.name.clone(),
                version: start.request.version,
                started_at,
                source: Some("wfc serve".to_string()),
                clock: "real_time".to_string(),
                settings: json!({"server": true}),
            })
            .map_err(ApiError::storage)?;
        let options = RunOptions {
            clock: ClockMode::RealTime,
            seed: random_seed(),
            run_id: record.id.clone(),
            start_time: Some(started_at),
            ..RunOptions::default()
        };
        self.launch(
            record.id,
            recorder,
            Arc::new(definitions),
            &start.sources(),
            options,
            start.request,
        )
        .await
    }

    /// Starts an engine for a run and watches it end.
    async fn launch(
        self: &Arc<Self>,
        run_id: String,
        recorder: RunRecorder,
        definitions: Arc<Definitions>,
        sources: &[Value],
        options: RunOptions,
        request: StartRequest,
    ) -> Result<String, ApiError> {
        let (root_sender, root_receiver) = oneshot::channel();
        let recorder = Arc::new(ServeRecorder {
            inner: Some(recorder),
            run_id: run_id.clone(),
            projection: Arc::clone(&self.projection),
            queue: Arc::clone(&self.queue),
            root: Mutex::new(Some(root_sender)),
        });
        let workers = Arc::new(QueueWorkers::new(Arc::clone(&self.queue), sources));
        let engine = Engine::new(
            definitions,
            workers,
            Arc::clone(&recorder) as Arc<dyn Recorder>,
            options,
        );
        let (handle, join) = engine.start(request);
        let root = match tokio::time::timeout(ENGINE_ANSWER_TIMEOUT, root_receiver).await {
            Ok(Ok(root)) => root,
            _ => {
                join.abort();
                return Err(ApiError::internal("the engine did not start the workflow"));
            }
        };
        let (ended_sender, ended) = oneshot::channel();
        self.lock_live().insert(
            run_id.clone(),
            LiveRun {
                join: join.abort_handle(),
                ended,
                handle,
                recorder,
                root: root.clone(),
            },
        );
        let executions = Arc::clone(self);
        tokio::spawn(async move {
            let _ended = ended_sender;
            let outcome = join.await;
            let live = executions.lock_live().remove(&run_id);
            let Ok(outcome) = outcome else {
                // Aborted (terminated, retried): whoever aborted it recorded the end.
                return;
            };
            executions.projection.replace(&run_id, &outcome.workflow);
            for other in &outcome.other_workflows {
                executions.projection.replace(&run_id, other);
            }
            let status = outcome.workflow.status;
            if status.is_terminal() {
                let _ = executions.runs.finish_run(
                    &run_id,
                    status,
                    outcome.workflow.reason_for_incompletion.as_deref(),
                    outcome.simulated_elapsed,
                    outcome.real_elapsed,
                );
            }
            drop(live);
        });
        Ok(root)
    }

    /// Starts again every run the store has as RUNNING (the server was stopped or killed while
    /// they ran), after folding every recorded history into the views. Returns one message per
    /// run that could not be resumed.
    pub async fn resume_interrupted(self: &Arc<Self>) -> Vec<String> {
        let mut problems = Vec::new();
        let mut records = match self.runs.runs() {
            Ok(records) => records,
            Err(error) => return vec![error.to_string()],
        };
        // Oldest first: a retried run's views replace the ones of the run it retried.
        records.reverse();
        for record in &records {
            if record.status != WorkflowStatus::Running.as_str() {
                if let Ok(history) = store::read_history(&record.history) {
                    for event in &history.events {
                        self.projection.apply(&record.id, event);
                    }
                }
                continue;
            }
            if let Err(message) = self.resume(&record.id, None).await {
                problems.push(format!("run {}: {message}", record.id));
            }
        }
        problems
    }

    /// Starts a recorded run again from its history; `without` are result keys to ask the
    /// workers for again (retry).
    async fn resume(
        self: &Arc<Self>,
        run_id: &str,
        without: Option<&[ResultKey]>,
    ) -> Result<String, String> {
        let (_, history, recorder) = self
            .runs
            .resume_run(run_id)
            .map_err(|error| error.to_string())?;
        for event in &history.events {
            self.projection.apply(run_id, event);
        }
        let recorded = RecordedRun::from_history(&history)?;
        let mut results = RecordedResults::new();
        for (key, list) in store::merged_results(&history) {
            if without.is_some_and(|keys| keys.contains(&key)) {
                continue;
            }
            for result in list {
                results.push(key.clone(), result);
            }
        }
        let Some((root, others)) = recorded.definitions.split_first() else {
            return Err("the history records no workflow definition".to_string());
        };
        let start = Start {
            root: root.clone(),
            others: others.to_vec(),
            task_defs: recorded.task_defs.clone(),
            request: recorded.request.clone(),
        };
        let definitions = Self::engine_definitions(&start).map_err(|error| error.message)?;
        let options = RunOptions {
            recorded: results,
            clock: ClockMode::RealTime,
            ..recorded.options
        };
        self.launch(
            run_id.to_string(),
            recorder,
            Arc::new(definitions),
            &start.sources(),
            options,
            start.request,
        )
        .await
        .map_err(|error| error.message)
    }

    /// Stops every engine of this process without recording an end: their runs stay RUNNING in
    /// the store and are resumed by the next server (a graceful stop, or a test's kill).
    pub async fn stop_all(&self) {
        let live: Vec<LiveRun> = self.lock_live().drain().map(|(_, live)| live).collect();
        for run in &live {
            run.join.abort();
        }
        for run in live {
            // Ended, or its watcher is gone: either way the engine no longer records.
            let _ = run.ended.await;
        }
    }

    /// `GET /api/workflow/{id}`.
    pub fn workflow(&self, workflow_id: &str, include_tasks: bool) -> Result<Value, ApiError> {
        self.projection
            .workflow(workflow_id, include_tasks)
            .ok_or_else(|| not_found_workflow(workflow_id))
    }

    fn status(&self, workflow_id: &str) -> Result<String, ApiError> {
        self.projection
            .status(workflow_id)
            .ok_or_else(|| not_found_workflow(workflow_id))
    }

    /// `DELETE /api/workflow/{id}`: stops the run and records its end.
    pub async fn terminate(&self, workflow_id: &str, reason: Option<&str>) -> Result<(), ApiError> {
        let status = self.status(workflow_id)?;
        if status == "TERMINATED" {
            return Ok(());
        }
        if status == "COMPLETED" {
            return Err(ApiError::conflict("Cannot terminate a COMPLETED workflow."));
        }
        if status != "RUNNING" && status != "PAUSED" {
            return Err(ApiError::conflict(format!(
                "Workflow is already in terminal state. Current status: {status}"
            )));
        }
        let Some(run_id) = self.projection.run_of(workflow_id) else {
            return Err(not_found_workflow(workflow_id));
        };
        let live = self.lock_live().remove(&run_id);
        // The engine stops first, so that nothing it still records follows the termination.
        let live = match live {
            Some(live) => {
                live.join.abort();
                let LiveRun {
                    ended,
                    handle,
                    recorder,
                    root,
                    ..
                } = live;
                let _ = ended.await;
                drop(handle);
                Some((recorder, root))
            }
            None => None,
        };
        let now = now_millis();
        let ids = self.projection.workflows_of_run(&run_id);
        self.queue.remove_workflows(&ids);
        for id in &ids {
            let running = self
                .projection
                .status(id)
                .is_some_and(|status| status == "RUNNING" || status == "PAUSED");
            if running {
                self.projection.set_status(id, "TERMINATED", reason, now);
            }
        }
        if let Some((recorder, root)) = live {
            // The end goes into the history, so that a restarted server does not resume it.
            recorder.record(&Event::WorkflowFinished {
                workflow_id: root,
                status: WorkflowStatus::Terminated,
                output: Value::Object(Map::new()),
                reason: reason.map(String::from),
                at: now,
            });
        }
        self.runs
            .finish_run(
                &run_id,
                WorkflowStatus::Terminated,
                reason,
                Duration::ZERO,
                Duration::ZERO,
            )
            .map_err(ApiError::storage)?;
        Ok(())
    }

    /// `PUT /api/workflow/{id}/pause`.
    pub fn pause(&self, workflow_id: &str) -> Result<(), ApiError> {
        let status = self.status(workflow_id)?;
        match status.as_str() {
            "PAUSED" => Ok(()),
            "RUNNING" => {
                self.queue.set_paused(workflow_id, true);
                self.projection
                    .set_status(workflow_id, "PAUSED", None, now_millis());
                Ok(())
            }
            _ => Err(ApiError::conflict(format!(
                "Workflow {} has ended, status cannot be updated.",
                self.short_name(workflow_id)
            ))),
        }
    }

    /// `PUT /api/workflow/{id}/resume`.
    pub fn resume_paused(&self, workflow_id: &str) -> Result<(), ApiError> {
        let status = self.status(workflow_id)?;
        if status != "PAUSED" {
            return Err(ApiError::internal(format!(
                "The workflow {workflow_id} is not PAUSED so cannot resume. Current status is {status}"
            )));
        }
        self.queue.set_paused(workflow_id, false);
        self.projection
            .set_status(workflow_id, "RUNNING", None, now_millis());
        Ok(())
    }

    /// `POST /api/workflow/{id}/retry`: a FAILED or TIMED_OUT run goes on from its history,
    /// its failed tasks' last attempts asked for again.
    pub async fn retry(self: &Arc<Self>, workflow_id: &str) -> Result<(), ApiError> {
        let status = self.status(workflow_id)?;
        if status == "RUNNING" || status == "PAUSED" {
            return Err(ApiError::not_found(format!(
                "Workflow is still running.  status={status}"
            )));
        }
        let workflow = self.workflow(workflow_id, true)?;
        let tasks = workflow["tasks"].as_array().cloned().unwrap_or_default();
        if tasks.is_empty() {
            return Err(ApiError::conflict("Workflow has not started yet"));
        }
        if workflow["parentWorkflowId"].as_str().is_some() {
            return Err(ApiError::conflict(
                "wfc serve retries root workflows only; retry the parent",
            ));
        }
        let failed: Vec<ResultKey> = tasks
            .iter()
            .filter(|task| {
                matches!(
                    task["status"].as_str(),
                    Some("FAILED" | "FAILED_WITH_TERMINAL_ERROR" | "TIMED_OUT" | "CANCELED")
                )
            })
            .filter_map(|task| {
                let reference = task["referenceTaskName"].as_str()?;
                let retry = u32::try_from(task["retryCount"].as_u64()?).ok()?;
                Some(ResultKey::new("", reference, retry))
            })
            .collect();
        let Some(run_id) = self.projection.run_of(workflow_id) else {
            return Err(not_found_workflow(workflow_id));
        };
        self.resume(&run_id, Some(&failed))
            .await
            .map_err(ApiError::storage)?;
        Ok(())
    }

    fn short_name(&self, workflow_id: &str) -> String {
        let workflow = self.projection.workflow(workflow_id, false);
        let field = |key: &str| {
            workflow
                .as_ref()
                .and_then(|workflow| workflow.get(key))
                .map_or_else(
                    || "null".to_string(),
                    |value| value.to_string().trim_matches('"').to_string(),
                )
        };
        format!(
            "{}.{}/{workflow_id}",
            field("workflowName"),
            field("workflowVersion")
        )
    }

    /// Completes a HUMAN or WAIT task of a running run by reference name.
    pub async fn complete_waiting(
        &self,
        workflow_id: &str,
        reference: &str,
        status: WorkStatus,
        output: Map<String, Value>,
    ) -> Result<String, ApiError> {
        let Some(run_id) = self.projection.run_of(workflow_id) else {
            return Err(not_found_workflow(workflow_id));
        };
        let handle = self
            .lock_live()
            .get(&run_id)
            .map(|live| live.handle.clone());
        let Some(handle) = handle else {
            return Err(ApiError::conflict(format!(
                "Workflow {workflow_id} is not running"
            )));
        };
        let task = handle
            .waiting_tasks()
            .into_iter()
            .find(|task| task.workflow_id == workflow_id && task.reference_task_name == reference)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "No such task found by reference name: {reference} in workflow: {workflow_id}"
                ))
            })?;
        let target = if task.path.is_empty() {
            task.reference_task_name.clone()
        } else {
            format!("{}/{}", task.path, task.reference_task_name)
        };
        let recorded = self.queue.when_recorded(&task.task_id);
        if let Err(message) = handle.complete_task(&target, status, output) {
            self.queue.forget_waiters(&task.task_id);
            return Err(ApiError::conflict(message));
        }
        let _ = tokio::time::timeout(ENGINE_ANSWER_TIMEOUT, recorded).await;
        Ok(task.task_id)
    }

    /// `POST /api/tasks`: hands a worker's result to the engine and answers once it is recorded.
    pub async fn update_task(
        &self,
        workflow_id: &str,
        task_id: &str,
        result: WorkResult,
    ) -> Result<String, ApiError> {
        let recorded = self.queue.when_recorded(task_id);
        let status = result.status;
        let output = result.output.clone();
        match self.queue.deliver(task_id, result) {
            Delivery::Delivered => {
                let _ = tokio::time::timeout(ENGINE_ANSWER_TIMEOUT, recorded).await;
                Ok(task_id.to_string())
            }
            Delivery::Unknown => {
                self.queue.forget_waiters(task_id);
                let Some(task) = self.projection.task(task_id) else {
                    return Err(ApiError::not_found(format!(
                        "No such task found by id: {task_id}"
                    )));
                };
                let waiting = matches!(task["taskType"].as_str(), Some("HUMAN" | "WAIT"))
                    && task["status"].as_str() == Some("IN_PROGRESS")
                    && status != WorkStatus::InProgress;
                if waiting && let Some(reference) = task["referenceTaskName"].as_str() {
                    return self
                        .complete_waiting(workflow_id, reference, status, output)
                        .await;
                }
                // An update of a finished task (or of a finished workflow) is ignored, as on
                // Conductor.
                Ok(task_id.to_string())
            }
        }
    }

    /// `POST /api/workflow/test`: runs with mocks on the virtual clock, not recorded.
    pub async fn test_run(&self, start: Start, mocks: Mocks) -> Result<Value, ApiError> {
        let definitions = Self::engine_definitions(&start)?;
        let projection = Arc::new(Projection::new());
        let (root_sender, root_receiver) = oneshot::channel();
        let (stuck_sender, stuck_receiver) = tokio::sync::mpsc::unbounded_channel();
        let recorder = Arc::new(ServeRecorder {
            inner: None,
            run_id: "test".to_string(),
            projection: Arc::clone(&projection),
            queue: Arc::new(TaskQueue::new()),
            root: Mutex::new(Some(root_sender)),
        });
        let workers = Arc::new(TestWorkers {
            mocks,
            stuck: stuck_sender,
        });
        let engine = Engine::new(
            Arc::new(definitions),
            workers,
            recorder as Arc<dyn Recorder>,
            RunOptions {
                seed: random_seed(),
                run_id: "test".to_string(),
                ..RunOptions::default()
            },
        );
        let (handle, join) = engine.start(start.request);
        let abort = join.abort_handle();
        let mut stuck_receiver = stuck_receiver;
        let outcome = tokio::select! {
            outcome = join => outcome.ok(),
            _ = stuck_receiver.recv() => None,
            () = tokio::time::sleep(TEST_RUN_TIMEOUT) => None,
        };
        abort.abort();
        drop(handle);
        if let Some(outcome) = outcome {
            return serde_json::to_value(&outcome.workflow).map_err(ApiError::internal_from);
        }
        let root = root_receiver
            .await
            .map_err(|_| ApiError::internal("the engine did not start the workflow"))?;
        projection
            .workflow(&root, true)
            .ok_or_else(|| ApiError::internal("the engine did not start the workflow"))
    }
}

/// The workers of a test run: the request's mocks; a worker task without one stops the run
/// there, as Conductor's `WorkflowTestService` leaves it pending.
struct TestWorkers {
    mocks: Mocks,
    stuck: tokio::sync::mpsc::UnboundedSender<String>,
}

impl Workers for TestWorkers {
    fn can_execute(&self, task_def_name: &str, reference_task_name: &str) -> bool {
        self.mocks.can_execute(task_def_name, reference_task_name)
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        if self
            .mocks
            .can_execute(&item.task_def_name, &item.reference_task_name)
        {
            return self.mocks.execute(item);
        }
        let _ = self.stuck.send(item.reference_task_name.clone());
        Box::pin(std::future::pending())
    }
}

fn not_found_workflow(workflow_id: &str) -> ApiError {
    ApiError::not_found(format!("No such workflow found by id: {workflow_id}"))
}
