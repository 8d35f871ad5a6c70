//! The run's event history: every state change of a run, in the order the decider acts on it.
//!
//! The decider hands each [`Event`] to a [`Recorder`] *before* acting on it, so a history that
//! was durably written up to some event describes a state the run really reached. Only the
//! [`Event::ResultReceived`] events carry information the engine cannot recompute (what workers,
//! commands, HTTP servers and people answered); [`RecordedResults`] indexes them by
//! [`ResultKey`] so that replay and resume feed them back, attempt by attempt, whatever order they
//! arrived in the first time.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::execution::{TaskStatus, WorkflowStatus};
use crate::worker::WorkResult;

/// Where a result belongs: `"<sub-workflow path>/<reference with __N>#<retryCount>"`, e.g.
/// `"/charge#0"`, `"/pay/charge__2#1"`. The sub-workflow path names the task that started each
/// child workflow, with `#<retryCount>` when that task was a retry (a retried SUB_WORKFLOW task
/// starts a new child, whose results must not be mistaken for the first child's); a failure
/// workflow's segment is `!failure`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResultKey(pub String);

impl ResultKey {
    /// The key of attempt `retry_count` of `reference_task_name` in the workflow at `path`
    /// (`""` for the root workflow).
    pub fn new(path: &str, reference_task_name: &str, retry_count: u32) -> ResultKey {
        ResultKey(format!("{path}/{reference_task_name}#{retry_count}"))
    }
}

impl fmt::Display for ResultKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// One entry of the history (one JSONL line: `{"event": "task_scheduled", ...}`). Times are
/// epoch milliseconds on the run's clock (virtual or real).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        run_id: String,
        /// The root workflow definition first, then every other workflow definition the run
        /// may start (sub-workflows, failure workflows, START_WORKFLOW targets).
        definitions: Vec<Value>,
        task_defs: Vec<Value>,
        input: Value,
        at: i64,
        /// The run options that decide the outcome besides the results (clock mode, seed,
        /// injected failures), for `wfc replay`.
        options: Value,
    },
    WorkflowStarted {
        workflow_id: String,
        parent_workflow_id: Option<String>,
        parent_task_id: Option<String>,
        name: String,
        version: i64,
        input: Value,
        /// The correlation id the workflow runs with (the root's is the start request's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correlation_id: Option<String>,
        at: i64,
    },
    TaskScheduled {
        workflow_id: String,
        task_id: String,
        reference_task_name: String,
        task_type: String,
        retry_count: u32,
        input: Value,
        at: i64,
    },
    TaskStarted {
        workflow_id: String,
        task_id: String,
        at: i64,
    },
    /// A result that came from outside the engine (worker, mock, command, HTTP, external
    /// completion, injected failure). Replay and resume feed these back by `key`.
    ResultReceived {
        workflow_id: String,
        task_id: String,
        key: ResultKey,
        result: WorkResult,
        at: i64,
    },
    TaskFinished {
        workflow_id: String,
        task_id: String,
        reference_task_name: String,
        status: TaskStatus,
        output: Value,
        reason: Option<String>,
        at: i64,
    },
    /// A HUMAN task or a WAIT without duration/until waits for `wfc complete`.
    TaskWaiting {
        workflow_id: String,
        task_id: String,
        reference_task_name: String,
        task_type: String,
        at: i64,
    },
    WorkflowFinished {
        workflow_id: String,
        status: WorkflowStatus,
        output: Value,
        reason: Option<String>,
        at: i64,
    },
}

/// Where the decider writes the history.
pub trait Recorder: Send + Sync {
    /// Called by the decider in order, before it acts on the event. Must be durable when it
    /// returns (the store flushes the JSONL line and commits the SQLite row).
    fn record(&self, event: &Event);
}

/// A recorder that keeps nothing (benchmarks, callers that only want the outcome).
#[derive(Debug, Default, Clone, Copy)]
pub struct DiscardingRecorder;

impl Recorder for DiscardingRecorder {
    fn record(&self, _event: &Event) {}
}

/// A recorder that keeps the history in memory (tests, replay checks).
#[derive(Debug, Default)]
pub struct MemoryRecorder {
    events: Mutex<Vec<Event>>,
}

impl MemoryRecorder {
    pub fn new() -> MemoryRecorder {
        MemoryRecorder::default()
    }

    /// A copy of the events recorded so far.
    pub fn events(&self) -> Vec<Event> {
        match self.events.lock() {
            Ok(events) => events.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl Recorder for MemoryRecorder {
    fn record(&self, event: &Event) {
        match self.events.lock() {
            Ok(mut events) => events.push(event.clone()),
            Err(poisoned) => poisoned.into_inner().push(event.clone()),
        }
    }
}

/// The results of a recorded history by key, each key's results in the order they arrived
/// (an attempt answered IN_PROGRESS first and COMPLETED later has two).
#[derive(Debug, Clone, Default)]
pub struct RecordedResults {
    by_key: HashMap<ResultKey, VecDeque<WorkResult>>,
}

impl RecordedResults {
    pub fn new() -> RecordedResults {
        RecordedResults::default()
    }

    /// Collects the [`Event::ResultReceived`] events of a history.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> RecordedResults {
        let mut recorded = RecordedResults::new();
        for event in events {
            if let Event::ResultReceived { key, result, .. } = event {
                recorded.push(key.clone(), result.clone());
            }
        }
        recorded
    }

    /// Adds a result after the ones already known for `key`.
    pub fn push(&mut self, key: ResultKey, result: WorkResult) {
        self.by_key.entry(key).or_default().push_back(result);
    }

    /// Takes the next unused result for `key`.
    pub fn take(&mut self, key: &ResultKey) -> Option<WorkResult> {
        let queue = self.by_key.get_mut(key)?;
        let result = queue.pop_front();
        if queue.is_empty() {
            self.by_key.remove(key);
        }
        result
    }

    /// Whether a result is waiting for `key`.
    pub fn contains(&self, key: &ResultKey) -> bool {
        self.by_key.contains_key(key)
    }

    /// How many results are still unused.
    pub fn len(&self) -> usize {
        self.by_key.values().map(VecDeque::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    #[test]
    fn keys_name_the_path_reference_and_attempt() {
        assert_eq!(ResultKey::new("", "charge", 0).0, "/charge#0");
        assert_eq!(ResultKey::new("/pay", "charge__2", 1).0, "/pay/charge__2#1");
    }

    #[test]
    fn events_serialize_with_a_tag() {
        let event = Event::TaskStarted {
            workflow_id: "w".to_owned(),
            task_id: "t".to_owned(),
            at: 5,
        };
        assert_eq!(
            serde_json::to_value(&event).ok(),
            Some(json!({"event": "task_started", "workflow_id": "w", "task_id": "t", "at": 5}))
        );
    }

    #[test]
    fn recorded_results_come_back_per_key_in_arrival_order() {
        let key = ResultKey::new("", "a", 0);
        let other = ResultKey::new("", "b", 0);
        let mut in_progress = WorkResult::completed(Map::new());
        in_progress.status = crate::worker::WorkStatus::InProgress;
        let events = [
            (key.clone(), in_progress.clone()),
            (other.clone(), WorkResult::failed("no")),
            (key.clone(), WorkResult::completed(Map::new())),
        ]
        .map(|(key, result)| Event::ResultReceived {
            workflow_id: "w".to_owned(),
            task_id: "t".to_owned(),
            key,
            result,
            at: 0,
        });
        let mut recorded = RecordedResults::from_events(&events);
        assert_eq!(recorded.len(), 3);
        assert_eq!(recorded.take(&key), Some(in_progress));
        assert_eq!(recorded.take(&key), Some(WorkResult::completed(Map::new())));
        assert_eq!(recorded.take(&key), None);
        assert!(recorded.contains(&other));
        assert_eq!(recorded.take(&other), Some(WorkResult::failed("no")));
        assert!(recorded.is_empty());
    }
}
