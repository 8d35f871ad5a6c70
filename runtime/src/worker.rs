//! What a worker receives and answers, and the [`Workers`] trait the engine asks.
//!
//! The engine never runs user code for SIMPLE and USER_DEFINED tasks itself: it hands a
//! [`WorkItem`] to whatever [`Workers`] the caller gave it (mocks, commands, stubs, remote pollers)
//! and waits for the [`WorkResult`] on a tokio task, so that independent branches really run at
//! once. Results are also what the history records (`event::Event::ResultReceived`), which is why
//! they serialize: replaying a run feeds the recorded results back instead of asking the workers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::event::ResultKey;

/// One attempt of one task, as handed to a worker (Conductor's polled `Task`, reduced to what a
/// worker reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    pub workflow_id: String,
    pub task_id: String,
    /// SIMPLE: the task definition name (Conductor's `taskType` of a SIMPLE task); USER_DEFINED:
    /// the type string.
    pub task_type: String,
    pub task_def_name: String,
    /// With the `__N` iteration suffix inside a DO_WHILE.
    pub reference_task_name: String,
    pub input: Map<String, Value>,
    pub retry_count: u32,
    /// 1 for the first poll of this attempt, then one more per IN_PROGRESS answer.
    pub poll_count: u32,
    /// The DO_WHILE iteration (0 outside loops).
    pub iteration: u32,
    pub key: ResultKey,
}

/// What a worker may set (Conductor's `TaskResult.Status`, without CANCELED which only the
/// engine sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkStatus {
    InProgress,
    Completed,
    Failed,
    FailedWithTerminalError,
}

impl WorkStatus {
    /// The name Conductor uses (`COMPLETED`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkStatus::InProgress => "IN_PROGRESS",
            WorkStatus::Completed => "COMPLETED",
            WorkStatus::Failed => "FAILED",
            WorkStatus::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
        }
    }

    /// Parses Conductor's name of a worker-settable status.
    pub fn parse(text: &str) -> Option<WorkStatus> {
        match text {
            "IN_PROGRESS" => Some(WorkStatus::InProgress),
            "COMPLETED" => Some(WorkStatus::Completed),
            "FAILED" => Some(WorkStatus::Failed),
            "FAILED_WITH_TERMINAL_ERROR" => Some(WorkStatus::FailedWithTerminalError),
            _ => None,
        }
    }
}

impl fmt::Display for WorkStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A worker's answer for one poll of one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkResult {
    pub status: WorkStatus,
    #[serde(default)]
    pub output: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How long the work took, applied by the engine on its clock before the result takes effect
    /// (mocks: the simulated `executionTime`). Workers that really take time leave it `None`.
    #[serde(
        default,
        rename = "execution_time_ms",
        with = "optional_milliseconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub execution_time: Option<Duration>,
    /// With [`WorkStatus::InProgress`]: poll again after this delay (Conductor's
    /// `callbackAfterSeconds`).
    #[serde(
        default,
        rename = "callback_after_ms",
        with = "optional_milliseconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub callback_after: Option<Duration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
}

impl WorkResult {
    /// A COMPLETED result with this output.
    pub fn completed(output: Map<String, Value>) -> WorkResult {
        WorkResult::with_status(WorkStatus::Completed, output, None)
    }

    /// A FAILED (retriable) result with this reason.
    pub fn failed(reason: impl Into<String>) -> WorkResult {
        WorkResult::with_status(WorkStatus::Failed, Map::new(), Some(reason.into()))
    }

    /// A FAILED_WITH_TERMINAL_ERROR (never retried) result with this reason.
    pub fn failed_terminally(reason: impl Into<String>) -> WorkResult {
        WorkResult::with_status(
            WorkStatus::FailedWithTerminalError,
            Map::new(),
            Some(reason.into()),
        )
    }

    /// A result with this status, output and reason, and nothing else.
    pub fn with_status(
        status: WorkStatus,
        output: Map<String, Value>,
        reason: Option<String>,
    ) -> WorkResult {
        WorkResult {
            status,
            output,
            reason,
            execution_time: None,
            callback_after: None,
            logs: Vec::new(),
        }
    }
}

/// The future a worker answers with: owned, so the engine can run it on its own tokio task.
pub type WorkFuture = Pin<Box<dyn Future<Output = WorkResult> + Send + 'static>>;

/// Whatever executes worker tasks for a run: mocks, commands, stubs, remote pollers.
///
/// Worker tasks are SIMPLE, DYNAMIC and USER_DEFINED (unknown types, and the system types the
/// runtime does not run itself: KAFKA_PUBLISH, the AI tasks). Workers may also stand in for
/// tasks the runtime would otherwise run — when [`Workers::can_execute`] says yes for them —
/// HTTP (instead of the request), HUMAN, WAIT and asynchronously completed EVENT tasks (instead
/// of an external completion), and SUB_WORKFLOW / START_WORKFLOW tasks whose workflow is not
/// among the run's definitions (a workflow of another project).
pub trait Workers: Send + Sync {
    /// Whether a task of this def name / reference can be executed (checked for every worker
    /// task before the run starts, so that every missing one is named at once).
    fn can_execute(&self, task_def_name: &str, reference_task_name: &str) -> bool;

    /// Executes one attempt. A worker that cannot answer returns a FAILED result with the
    /// reason; it never panics.
    fn execute(&self, item: WorkItem) -> WorkFuture;
}

/// Durations as whole milliseconds in the history (readable, and exact for what mocks give).
mod optional_milliseconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => {
                serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
            }
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(deserializer)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip_through_the_history_format() {
        let mut result = WorkResult::completed(Map::from_iter([("a".to_owned(), Value::from(1))]));
        result.execution_time = Some(Duration::from_millis(1500));
        let text = serde_json::to_string(&result).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"status":"COMPLETED","output":{"a":1},"execution_time_ms":1500}"#
        );
        let back: Result<WorkResult, _> = serde_json::from_str(&text);
        assert_eq!(back.ok(), Some(result));
    }

    #[test]
    fn statuses_use_conductor_names() {
        for status in [
            WorkStatus::InProgress,
            WorkStatus::Completed,
            WorkStatus::Failed,
            WorkStatus::FailedWithTerminalError,
        ] {
            assert_eq!(WorkStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(Value::from(status.as_str()))
            );
        }
        assert_eq!(WorkStatus::parse("CANCELED"), None);
    }
}
