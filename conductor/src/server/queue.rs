//! The worker protocol of `wfc serve` (API.md §4): worker tasks wait in per-type queues until a
//! worker polls them (`GET /api/tasks/poll/{type}`, `…/poll/batch/{type}`) and answer when it
//! updates them (`POST /api/tasks`).
//!
//! [`QueueWorkers`] is the engine's [`Workers`]: when the engine asks for a worker task's result,
//! the task is queued and the engine's future waits for the update. The **lease** of a polled task
//! is its TaskDef's `responseTimeoutSeconds`, which the engine enforces: a task whose worker
//! disappears times out there and, per its TaskDef's retries, is scheduled again as a new attempt
//! that is queued and handed out again. An update is acknowledged only once the engine has
//! recorded its result in the run's history ([`TaskQueue::recorded`]), so a server killed after
//! acknowledging an update feeds that result back when it resumes the run, and the task is
//! never handed out twice for one answer.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, oneshot};
use wfc_runtime::definition::WorkflowDef;
use wfc_runtime::mocks::split_iteration;
use wfc_runtime::worker::{WorkFuture, WorkItem, WorkResult, Workers};

/// A task waiting for a worker, or handed to one.
#[derive(Debug)]
struct Pending {
    item: WorkItem,
    answer: oneshot::Sender<WorkResult>,
}

#[derive(Debug, Default)]
struct QueueState {
    /// By task type, oldest first.
    queued: HashMap<String, VecDeque<Pending>>,
    /// Polled and not answered yet, by task id.
    leased: HashMap<String, Pending>,
    /// Executions whose tasks are not handed out (paused).
    paused: HashSet<String>,
}

/// What became of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The engine has the result.
    Delivered,
    /// No queued or polled task has this id.
    Unknown,
}

/// The queues of every run of the server.
#[derive(Debug, Default)]
pub struct TaskQueue {
    state: Mutex<QueueState>,
    /// Wakes long polls when a task is queued.
    queued: Notify,
    /// Waiters for the recording of a task's result, by task id.
    recorded: Mutex<HashMap<String, Vec<oneshot::Sender<()>>>>,
}

impl TaskQueue {
    pub fn new() -> TaskQueue {
        TaskQueue::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn enqueue(&self, item: WorkItem) -> oneshot::Receiver<WorkResult> {
        let (answer, receiver) = oneshot::channel();
        self.lock()
            .queued
            .entry(item.task_type.clone())
            .or_default()
            .push_back(Pending { item, answer });
        self.queued.notify_waiters();
        receiver
    }

    /// Takes up to `count` tasks of `task_type` for a worker, waiting up to `wait` for the first.
    pub async fn poll(&self, task_type: &str, count: usize, wait: Duration) -> Vec<WorkItem> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before looking, so that a task queued in between wakes this poll.
            let notified = self.queued.notified();
            let taken = self.take(task_type, count);
            if !taken.is_empty() || tokio::time::Instant::now() >= deadline {
                return taken;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.take(task_type, count);
            }
        }
    }

    fn take(&self, task_type: &str, count: usize) -> Vec<WorkItem> {
        let mut state = self.lock();
        let QueueState {
            queued,
            leased,
            paused,
        } = &mut *state;
        let Some(queue) = queued.get_mut(task_type) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        let mut kept = VecDeque::with_capacity(queue.len());
        while let Some(pending) = queue.pop_front() {
            // The engine stopped waiting (the attempt timed out, the run ended): drop it.
            if pending.answer.is_closed() {
                continue;
            }
            if taken.len() >= count || paused.contains(&pending.item.workflow_id) {
                kept.push_back(pending);
                continue;
            }
            taken.push(pending.item.clone());
            leased.insert(pending.item.task_id.clone(), pending);
        }
        *queue = kept;
        taken
    }

    /// Hands a worker's result to the engine (a polled task, or a queued one updated without a
    /// poll, as Conductor allows).
    pub fn deliver(&self, task_id: &str, result: WorkResult) -> Delivery {
        let pending = {
            let mut state = self.lock();
            match state.leased.remove(task_id) {
                Some(pending) => Some(pending),
                None => state.queued.values_mut().find_map(|queue| {
                    let position = queue
                        .iter()
                        .position(|pending| pending.item.task_id == task_id)?;
                    queue.remove(position)
                }),
            }
        };
        let Some(pending) = pending else {
            return Delivery::Unknown;
        };
        if pending.answer.send(result).is_ok() {
            Delivery::Delivered
        } else {
            Delivery::Unknown
        }
    }

    /// A receiver that completes once the result of `task_id` is recorded. Ask before
    /// delivering, so that the recording cannot pass unnoticed.
    pub fn when_recorded(&self, task_id: &str) -> oneshot::Receiver<()> {
        let (sender, receiver) = oneshot::channel();
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(task_id.to_string())
            .or_default()
            .push(sender);
        receiver
    }

    /// Forgets a waiter that will not be answered (the result was not delivered).
    pub fn forget_waiters(&self, task_id: &str) {
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(task_id);
    }

    /// The recorder saw the result of `task_id`.
    pub fn recorded(&self, task_id: &str) {
        let waiters = self
            .recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(task_id);
        for waiter in waiters.into_iter().flatten() {
            let _ = waiter.send(());
        }
    }

    /// Stops or resumes handing out the tasks of an execution.
    pub fn set_paused(&self, workflow_id: &str, paused: bool) {
        let mut state = self.lock();
        if paused {
            state.paused.insert(workflow_id.to_string());
        } else {
            state.paused.remove(workflow_id);
        }
        drop(state);
        if !paused {
            self.queued.notify_waiters();
        }
    }

    /// Drops the queued and polled tasks of these executions (terminated): their attempts are
    /// never answered.
    pub fn remove_workflows(&self, workflow_ids: &[String]) {
        let mut state = self.lock();
        for queue in state.queued.values_mut() {
            queue.retain(|pending| !workflow_ids.contains(&pending.item.workflow_id));
        }
        state
            .leased
            .retain(|_, pending| !workflow_ids.contains(&pending.item.workflow_id));
    }

    /// How many tasks of a type wait for a worker.
    pub fn size(&self, task_type: &str) -> usize {
        self.lock().queued.get(task_type).map_or(0, |queue| {
            queue
                .iter()
                .filter(|pending| !pending.answer.is_closed())
                .count()
        })
    }
}

/// The engine's workers for one run of `wfc serve`: every worker task is answered by a remote
/// worker through the [`TaskQueue`].
#[derive(Debug)]
pub struct QueueWorkers {
    queue: Arc<TaskQueue>,
    /// References of the run's HTTP, HUMAN, WAIT, EVENT, SUB_WORKFLOW and START_WORKFLOW tasks:
    /// the engine runs those itself, never a worker.
    engine_references: HashSet<String>,
}

/// The task types the engine handles itself even where a worker could stand in.
const ENGINE_TYPES: [&str; 6] = [
    "HTTP",
    "HUMAN",
    "WAIT",
    "EVENT",
    "SUB_WORKFLOW",
    "START_WORKFLOW",
];

impl QueueWorkers {
    /// Workers for a run of these definitions.
    pub fn new(queue: Arc<TaskQueue>, definitions: &[Value]) -> QueueWorkers {
        let mut engine_references = HashSet::new();
        for definition in definitions {
            if let Ok(definition) = WorkflowDef::from_json(definition) {
                for task in definition.collect_tasks() {
                    if ENGINE_TYPES.contains(&task.task_type.as_str()) {
                        engine_references.insert(task.task_reference_name.clone());
                    }
                }
            }
        }
        QueueWorkers {
            queue,
            engine_references,
        }
    }
}

impl Workers for QueueWorkers {
    fn can_execute(&self, _task_def_name: &str, reference_task_name: &str) -> bool {
        let base =
            split_iteration(reference_task_name).map_or(reference_task_name, |(base, _)| base);
        !self.engine_references.contains(base)
            && !self.engine_references.contains(reference_task_name)
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        let receiver = self.queue.enqueue(item);
        Box::pin(async move {
            receiver.await.unwrap_or_else(|_| {
                WorkResult::failed("the task was withdrawn from the worker queue")
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};
    use wfc_runtime::event::ResultKey;
    use wfc_runtime::worker::WorkStatus;

    fn item(task_id: &str, workflow_id: &str) -> WorkItem {
        WorkItem {
            workflow_id: workflow_id.to_string(),
            task_id: task_id.to_string(),
            task_type: "charge".to_string(),
            task_def_name: "charge".to_string(),
            reference_task_name: "charge".to_string(),
            input: Map::new(),
            retry_count: 0,
            poll_count: 1,
            iteration: 0,
            key: ResultKey::new("", "charge", 0),
        }
    }

    #[tokio::test]
    async fn queued_tasks_are_polled_once_and_answered() {
        let queue = Arc::new(TaskQueue::new());
        let workers = QueueWorkers::new(
            Arc::clone(&queue),
            &[json!({"name": "w", "tasks": [
                {"name": "charge", "taskReferenceName": "charge"},
                {"name": "call", "taskReferenceName": "call", "type": "HTTP"}
            ]})],
        );
        assert!(workers.can_execute("charge", "charge"));
        assert!(workers.can_execute("charge", "charge__3"));
        assert!(!workers.can_execute("call", "call"));
        let answer = workers.execute(item("t1", "w1"));
        let polled = queue.poll("charge", 5, Duration::from_millis(10)).await;
        assert_eq!(polled.len(), 1);
        assert!(
            queue
                .poll("charge", 5, Duration::from_millis(10))
                .await
                .is_empty()
        );
        assert_eq!(
            queue.deliver("t1", WorkResult::completed(Map::new())),
            Delivery::Delivered
        );
        assert_eq!(answer.await.status, WorkStatus::Completed);
        assert_eq!(
            queue.deliver("t1", WorkResult::completed(Map::new())),
            Delivery::Unknown
        );
    }

    #[tokio::test]
    async fn paused_executions_and_abandoned_attempts_are_not_handed_out() {
        let queue = Arc::new(TaskQueue::new());
        let workers = QueueWorkers::new(Arc::clone(&queue), &[]);
        let paused = workers.execute(item("t1", "w1"));
        drop(workers.execute(item("t2", "w2")));
        queue.set_paused("w1", true);
        assert!(
            queue
                .poll("charge", 5, Duration::from_millis(10))
                .await
                .is_empty()
        );
        queue.set_paused("w1", false);
        let polled = queue.poll("charge", 5, Duration::from_millis(10)).await;
        assert_eq!(
            polled
                .iter()
                .map(|item| item.task_id.as_str())
                .collect::<Vec<_>>(),
            vec!["t1"]
        );
        drop(paused);
    }

    #[tokio::test]
    async fn long_polls_wake_when_a_task_arrives() {
        let queue = Arc::new(TaskQueue::new());
        let workers = QueueWorkers::new(Arc::clone(&queue), &[]);
        let waiting = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move { queue.poll("charge", 1, Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let _answer = workers.execute(item("t1", "w1"));
        let polled = waiting.await.unwrap_or_default();
        assert_eq!(polled.len(), 1);
    }
}
