//! What `GET /api/workflow/{id}` shows while a run is going: Conductor's `Workflow` JSON of
//! every execution, kept up to date from the engine's event history.
//!
//! The engine owns the truth and hands it back only when a run ends (`RunOutcome`). In between,
//! every state change reaches the recorder as an [`Event`] before the engine acts on it, so a view
//! folded from those events is never ahead of the engine. This module only folds events into
//! JSON (it decides nothing), and when a run ends its views are replaced by the engine's own
//! final `Workflow`s. A server restarted from a history folds the same events again.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};
use wfc_runtime::event::Event;
use wfc_runtime::execution::Workflow;

/// One execution's view.
#[derive(Debug, Clone)]
struct View {
    run_id: String,
    workflow: Value,
}

/// The views of every execution the server knows, by workflow id.
#[derive(Debug, Default)]
pub struct Projection {
    views: Mutex<HashMap<String, View>>,
    /// Task id → workflow id.
    tasks: Mutex<HashMap<String, String>>,
}

/// Whether a task status is terminal (Conductor's `Task.Status.isTerminal`).
pub fn is_terminal_task_status(status: &str) -> bool {
    !matches!(status, "IN_PROGRESS" | "SCHEDULED")
}

impl Projection {
    pub fn new() -> Projection {
        Projection::default()
    }

    fn lock_views(&self) -> std::sync::MutexGuard<'_, HashMap<String, View>> {
        self.views
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_tasks(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Folds one event of run `run_id` into the views.
    pub fn apply(&self, run_id: &str, event: &Event) {
        let mut views = self.lock_views();
        match event {
            Event::RunStarted { .. } => {}
            Event::WorkflowStarted {
                workflow_id,
                parent_workflow_id,
                parent_task_id,
                name,
                version,
                input,
                at,
                correlation_id,
            } => {
                // A resumed or retried run starts its workflows again with the same ids: keep
                // the tasks known, the workflow is running again.
                if let Some(view) = views.get_mut(workflow_id) {
                    view.run_id = run_id.to_string();
                    view.workflow["status"] = json!("RUNNING");
                    view.workflow["endTime"] = json!(0);
                    if let Value::Object(object) = &mut view.workflow {
                        object.remove("reasonForIncompletion");
                    }
                    return;
                }
                views.entry(workflow_id.clone()).or_insert_with(|| View {
                    run_id: run_id.to_string(),
                    workflow: json!({
                        "workflowId": workflow_id,
                        "workflowName": name,
                        "workflowVersion": version,
                        "status": "RUNNING",
                        "input": input,
                        "output": {},
                        "tasks": [],
                        "createTime": at,
                        "updateTime": at,
                        "startTime": at,
                        "endTime": 0,
                        "variables": {},
                        "parentWorkflowId": parent_workflow_id,
                        "parentWorkflowTaskId": parent_task_id,
                        "correlationId": correlation_id,
                        "failedReferenceTaskNames": [],
                        "priority": 0,
                    }),
                });
            }
            Event::TaskScheduled {
                workflow_id,
                task_id,
                reference_task_name,
                task_type,
                retry_count,
                input,
                at,
            } => {
                let Some(view) = views.get_mut(workflow_id) else {
                    return;
                };
                let workflow_type = view.workflow["workflowName"].clone();
                let Some(tasks) = view.workflow["tasks"].as_array_mut() else {
                    return;
                };
                if tasks
                    .iter()
                    .any(|task| task["taskId"].as_str() == Some(task_id.as_str()))
                {
                    return;
                }
                let sequence = tasks.len() + 1;
                tasks.push(json!({
                    "taskType": task_type,
                    "status": "SCHEDULED",
                    "inputData": input,
                    "referenceTaskName": reference_task_name,
                    "retryCount": retry_count,
                    "seq": sequence,
                    "pollCount": 0,
                    "taskDefName": task_type,
                    "scheduledTime": at,
                    "startTime": 0,
                    "endTime": 0,
                    "updateTime": at,
                    "workflowInstanceId": workflow_id,
                    "workflowType": workflow_type,
                    "taskId": task_id,
                    "callbackAfterSeconds": 0,
                    "outputData": {},
                }));
                self.lock_tasks()
                    .insert(task_id.clone(), workflow_id.clone());
            }
            Event::TaskStarted {
                workflow_id,
                task_id,
                at,
            } => {
                if let Some(task) = task_mut(&mut views, workflow_id, task_id) {
                    task["status"] = json!("IN_PROGRESS");
                    if task["startTime"].as_i64() == Some(0) {
                        task["startTime"] = json!(at);
                    }
                    task["updateTime"] = json!(at);
                    let polls = task["pollCount"].as_i64().unwrap_or(0);
                    task["pollCount"] = json!(polls + 1);
                }
            }
            Event::ResultReceived { .. } | Event::TaskWaiting { .. } => {}
            Event::TaskFinished {
                workflow_id,
                task_id,
                status,
                output,
                reason,
                at,
                ..
            } => {
                if let Some(task) = task_mut(&mut views, workflow_id, task_id) {
                    task["status"] = json!(status.as_str());
                    task["outputData"] = output.clone();
                    if let Some(reason) = reason {
                        task["reasonForIncompletion"] = json!(reason);
                    }
                    task["endTime"] = json!(at);
                    task["updateTime"] = json!(at);
                }
            }
            Event::WorkflowFinished {
                workflow_id,
                status,
                output,
                reason,
                at,
            } => {
                if let Some(view) = views.get_mut(workflow_id) {
                    view.workflow["status"] = json!(status.as_str());
                    view.workflow["output"] = output.clone();
                    if let Some(reason) = reason {
                        view.workflow["reasonForIncompletion"] = json!(reason);
                    }
                    view.workflow["endTime"] = json!(at);
                    view.workflow["updateTime"] = json!(at);
                }
            }
        }
    }

    /// Replaces a view by the engine's own state of the execution (at the end of a run).
    pub fn replace(&self, run_id: &str, workflow: &Workflow) {
        let Ok(value) = serde_json::to_value(workflow) else {
            return;
        };
        {
            let mut tasks = self.lock_tasks();
            for task in &workflow.tasks {
                tasks.insert(task.task_id.clone(), workflow.workflow_id.clone());
            }
        }
        self.lock_views().insert(
            workflow.workflow_id.clone(),
            View {
                run_id: run_id.to_string(),
                workflow: value,
            },
        );
    }

    /// The execution's `Workflow` JSON (without `tasks` unless `include_tasks`).
    pub fn workflow(&self, workflow_id: &str, include_tasks: bool) -> Option<Value> {
        let views = self.lock_views();
        let mut workflow = views.get(workflow_id)?.workflow.clone();
        if !include_tasks && let Value::Object(object) = &mut workflow {
            object.insert("tasks".to_string(), Value::Array(Vec::new()));
        }
        Some(workflow)
    }

    /// The run an execution belongs to.
    pub fn run_of(&self, workflow_id: &str) -> Option<String> {
        self.lock_views()
            .get(workflow_id)
            .map(|view| view.run_id.clone())
    }

    /// The workflow ids of a run's executions.
    pub fn workflows_of_run(&self, run_id: &str) -> Vec<String> {
        self.lock_views()
            .iter()
            .filter(|(_, view)| view.run_id == run_id)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// One task's `Task` JSON.
    pub fn task(&self, task_id: &str) -> Option<Value> {
        let workflow_id = self.lock_tasks().get(task_id)?.clone();
        let views = self.lock_views();
        views
            .get(&workflow_id)?
            .workflow
            .get("tasks")?
            .as_array()?
            .iter()
            .find(|task| task["taskId"].as_str() == Some(task_id))
            .cloned()
    }

    /// Sets an execution's status (pause, resume, terminate) and, for a terminal one, its
    /// reason, end time and the cancellation of its unfinished tasks.
    pub fn set_status(&self, workflow_id: &str, status: &str, reason: Option<&str>, at: i64) {
        let mut views = self.lock_views();
        let Some(view) = views.get_mut(workflow_id) else {
            return;
        };
        let workflow = &mut view.workflow;
        workflow["status"] = json!(status);
        workflow["updateTime"] = json!(at);
        if !matches!(status, "RUNNING" | "PAUSED") {
            workflow["endTime"] = json!(at);
            if let Some(reason) = reason {
                workflow["reasonForIncompletion"] = json!(reason);
            }
            if let Some(tasks) = workflow["tasks"].as_array_mut() {
                for task in tasks {
                    let finished = task["status"].as_str().is_some_and(is_terminal_task_status);
                    if !finished {
                        task["status"] = json!("CANCELED");
                        task["endTime"] = json!(at);
                    }
                }
            }
        }
    }

    /// An execution's status.
    pub fn status(&self, workflow_id: &str) -> Option<String> {
        self.lock_views()
            .get(workflow_id)?
            .workflow
            .get("status")?
            .as_str()
            .map(String::from)
    }
}

fn task_mut<'a>(
    views: &'a mut HashMap<String, View>,
    workflow_id: &str,
    task_id: &str,
) -> Option<&'a mut Value> {
    views
        .get_mut(workflow_id)?
        .workflow
        .get_mut("tasks")?
        .as_array_mut()?
        .iter_mut()
        .find(|task| task["taskId"].as_str() == Some(task_id))
}
