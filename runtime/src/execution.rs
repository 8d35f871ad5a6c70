//! Conductor's execution shapes: the `Workflow` and `Task` JSON a server returns from
//! `GET /api/workflow/{id}`, and their status enums with the properties of FORMAT.md §F.
//!
//! The engine keeps its state in exactly these structs (no second model to convert from), so
//! `wfc run --json` and `wfc serve` print what the decider works on, and a tool written against a
//! real server reads our output unchanged.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::definition::WorkflowTask;

/// A task's status (`Task.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    InProgress,
    Canceled,
    Failed,
    FailedWithTerminalError,
    Completed,
    CompletedWithErrors,
    Scheduled,
    TimedOut,
    Skipped,
}

impl TaskStatus {
    pub fn is_terminal(self) -> bool {
        !matches!(self, TaskStatus::InProgress | TaskStatus::Scheduled)
    }

    pub fn is_successful(self) -> bool {
        matches!(
            self,
            TaskStatus::InProgress
                | TaskStatus::Scheduled
                | TaskStatus::Completed
                | TaskStatus::CompletedWithErrors
                | TaskStatus::Skipped
        )
    }

    pub fn is_retriable(self) -> bool {
        !matches!(
            self,
            TaskStatus::Canceled | TaskStatus::FailedWithTerminalError | TaskStatus::Skipped
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::InProgress => "IN_PROGRESS",
            TaskStatus::Canceled => "CANCELED",
            TaskStatus::Failed => "FAILED",
            TaskStatus::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
            TaskStatus::Completed => "COMPLETED",
            TaskStatus::CompletedWithErrors => "COMPLETED_WITH_ERRORS",
            TaskStatus::Scheduled => "SCHEDULED",
            TaskStatus::TimedOut => "TIMED_OUT",
            TaskStatus::Skipped => "SKIPPED",
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A workflow's status (`Workflow.WorkflowStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowStatus {
    #[default]
    Running,
    Completed,
    Failed,
    TimedOut,
    Terminated,
    Paused,
}

impl WorkflowStatus {
    pub fn is_terminal(self) -> bool {
        !matches!(self, WorkflowStatus::Running | WorkflowStatus::Paused)
    }

    pub fn is_successful(self) -> bool {
        matches!(self, WorkflowStatus::Completed | WorkflowStatus::Paused)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::Running => "RUNNING",
            WorkflowStatus::Completed => "COMPLETED",
            WorkflowStatus::Failed => "FAILED",
            WorkflowStatus::TimedOut => "TIMED_OUT",
            WorkflowStatus::Terminated => "TERMINATED",
            WorkflowStatus::Paused => "PAUSED",
        }
    }
}

impl fmt::Display for WorkflowStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One task execution (one attempt of one task reference), Conductor's `Task` JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub task_type: String,
    pub status: TaskStatus,
    #[serde(default)]
    pub input_data: Map<String, Value>,
    pub reference_task_name: String,
    #[serde(default)]
    pub retry_count: u32,
    /// 1-based position in the workflow's task list.
    #[serde(default)]
    pub seq: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub poll_count: u32,
    #[serde(default)]
    pub task_def_name: String,
    /// Epoch milliseconds (on the run's clock); 0 when not reached.
    #[serde(default)]
    pub scheduled_time: i64,
    #[serde(default)]
    pub start_time: i64,
    #[serde(default)]
    pub end_time: i64,
    #[serde(default)]
    pub update_time: i64,
    #[serde(default)]
    pub start_delay_in_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retried_task_id: Option<String>,
    /// A later attempt replaced this one.
    #[serde(default)]
    pub retried: bool,
    /// The decider has scheduled what follows this task.
    #[serde(default)]
    pub executed: bool,
    #[serde(default)]
    pub callback_from_worker: bool,
    #[serde(default)]
    pub response_timeout_seconds: i64,
    #[serde(default)]
    pub workflow_instance_id: String,
    #[serde(default)]
    pub workflow_type: String,
    pub task_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    #[serde(default)]
    pub callback_after_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default)]
    pub output_data: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_task: Option<Arc<WorkflowTask>>,
    #[serde(default)]
    pub workflow_priority: i64,
    /// The DO_WHILE iteration (0 outside loops).
    #[serde(default)]
    pub iteration: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_workflow_id: Option<String>,
    #[serde(default)]
    pub first_start_time: i64,
    /// Inside a DO_WHILE (Conductor's computed `loopOverTask`: `iteration > 0`).
    #[serde(default)]
    pub loop_over_task: bool,
    /// Lines a script or worker logged for this task (INLINE `console`, worker logs). Not part of
    /// Conductor's `Task` (it serves them from `/api/tasks/{id}/log`); omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
}

/// One workflow execution, Conductor's `Workflow` JSON. `tasks` are in scheduling order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    pub workflow_id: String,
    pub workflow_name: String,
    pub workflow_version: i64,
    pub status: WorkflowStatus,
    #[serde(default)]
    pub input: Map<String, Value>,
    #[serde(default)]
    pub output: Map<String, Value>,
    #[serde(default)]
    pub tasks: Vec<Task>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_incompletion: Option<String>,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub update_time: i64,
    #[serde(default)]
    pub start_time: i64,
    #[serde(default)]
    pub end_time: i64,
    #[serde(default)]
    pub variables: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_task_id: Option<String>,
    #[serde(default)]
    pub failed_reference_task_names: Vec<String>,
    #[serde(default)]
    pub failed_task_names: Vec<String>,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub last_retried_time: i64,
}

impl Workflow {
    /// The latest attempt of a reference (with `__N` inside loops), as Conductor's
    /// `getTaskByRefName`.
    pub fn task_by_reference(&self, reference_task_name: &str) -> Option<&Task> {
        self.tasks
            .iter()
            .rev()
            .find(|task| task.reference_task_name == reference_task_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_properties_follow_the_table_of_format_md() {
        let table = [
            (TaskStatus::Scheduled, false, true, true),
            (TaskStatus::InProgress, false, true, true),
            (TaskStatus::Completed, true, true, true),
            (TaskStatus::CompletedWithErrors, true, true, true),
            (TaskStatus::Failed, true, false, true),
            (TaskStatus::FailedWithTerminalError, true, false, false),
            (TaskStatus::TimedOut, true, false, true),
            (TaskStatus::Canceled, true, false, false),
            (TaskStatus::Skipped, true, true, false),
        ];
        for (status, terminal, successful, retriable) in table {
            assert_eq!(status.is_terminal(), terminal, "{status}");
            assert_eq!(status.is_successful(), successful, "{status}");
            assert_eq!(status.is_retriable(), retriable, "{status}");
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(Value::from(status.as_str()))
            );
        }
        let workflow_table = [
            (WorkflowStatus::Running, false, false),
            (WorkflowStatus::Paused, false, true),
            (WorkflowStatus::Completed, true, true),
            (WorkflowStatus::Failed, true, false),
            (WorkflowStatus::TimedOut, true, false),
            (WorkflowStatus::Terminated, true, false),
        ];
        for (status, terminal, successful) in workflow_table {
            assert_eq!(status.is_terminal(), terminal, "{status}");
            assert_eq!(status.is_successful(), successful, "{status}");
        }
    }
}
