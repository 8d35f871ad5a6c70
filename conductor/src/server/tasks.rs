//! The worker endpoints of `wfc serve` (API.md §4; `TaskResource` of conductor-oss): poll, batch
//! poll with long polling, update with a `TaskResult`, complete a HUMAN/WAIT task by reference
//! name, read a task, and queue sizes. The queues are [`super::queue`]'s.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wfc_runtime::worker::{WorkItem, WorkResult, WorkStatus};

use super::AppState;
use super::error::{ApiError, ValidationError, json_response, text_response};

type Answer = Result<Response, ApiError>;

/// The longest long poll Conductor allows.
const MAXIMUM_POLL_TIMEOUT_MILLISECONDS: u64 = 5000;

/// The polled task as Conductor's `Task` JSON: the execution's view of it, handed to `worker`.
fn polled_task(state: &AppState, item: &WorkItem, worker: Option<&str>) -> Value {
    let mut task = state
        .executions
        .projection
        .task(&item.task_id)
        .unwrap_or_else(|| {
            json!({
                "taskType": item.task_type,
                "referenceTaskName": item.reference_task_name,
                "retryCount": item.retry_count,
                "taskDefName": item.task_def_name,
                "workflowInstanceId": item.workflow_id,
                "taskId": item.task_id,
                "iteration": item.iteration,
            })
        });
    task["status"] = json!("IN_PROGRESS");
    task["inputData"] = Value::Object(item.input.clone());
    task["pollCount"] = json!(item.poll_count);
    if let Some(worker) = worker {
        task["workerId"] = json!(worker);
    }
    task
}

/// `GET /api/tasks/poll/{taskType}?workerid=`: one task, or 204.
pub async fn poll(
    State(state): State<Arc<AppState>>,
    Path(task_type): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer {
    let items = state
        .executions
        .queue
        .poll(&task_type, 1, Duration::ZERO)
        .await;
    let worker = query.get("workerid").map(String::as_str);
    match items.first() {
        Some(item) => Ok(json_response(
            StatusCode::OK,
            &polled_task(&state, item, worker),
        )),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `GET /api/tasks/poll/batch/{taskType}?workerid=&count=1&timeout=100`: up to `count` tasks,
/// waiting up to `timeout` milliseconds for the first; an empty list when none came.
pub async fn batch_poll(
    State(state): State<Arc<AppState>>,
    Path(task_type): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer {
    let number = |key: &str, default: u64| -> Result<u64, ApiError> {
        match query.get(key) {
            None => Ok(default),
            Some(text) => text.trim().parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("`{key}` must be a number, not `{text}`"))
            }),
        }
    };
    let count = number("count", 1)?.clamp(1, 1000);
    let timeout = number("timeout", 100)?;
    if timeout > MAXIMUM_POLL_TIMEOUT_MILLISECONDS {
        return Err(ApiError::bad_request(
            "Long Poll Timeout value cannot be more than 5 seconds",
        ));
    }
    let items = state
        .executions
        .queue
        .poll(
            &task_type,
            usize::try_from(count).unwrap_or(1),
            Duration::from_millis(timeout),
        )
        .await;
    let worker = query.get("workerid").map(String::as_str);
    let tasks: Vec<Value> = items
        .iter()
        .map(|item| polled_task(&state, item, worker))
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(tasks)))
}

/// A `TaskResult`'s logs: `TaskExecLog` objects (`{log, …}`) or plain strings.
fn logs_of(value: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(entries)) = value else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| match entry {
            Value::String(text) => Some(text.clone()),
            Value::Object(object) => object.get("log").and_then(Value::as_str).map(String::from),
            _ => None,
        })
        .collect()
}

/// `POST /api/tasks` with a `TaskResult` → the task id (text/plain), once the result is recorded.
pub async fn update(State(state): State<Arc<AppState>>, body: Bytes) -> Answer {
    let result: Map<String, Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(result)) => result,
        Ok(_) => {
            return Err(ApiError::unreadable(
                "Cannot construct instance of `TaskResult`: expected an object",
            ));
        }
        Err(error) => return Err(ApiError::unreadable(error)),
    };
    let text = |key: &str| {
        result
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let workflow_id = text("workflowInstanceId");
    let task_id = text("taskId");
    let mut errors = Vec::new();
    if workflow_id.is_empty() {
        errors.push(ValidationError {
            path: "updateTask.taskResult.workflowInstanceId".to_string(),
            message: "Workflow Id cannot be null or empty".to_string(),
        });
    }
    if task_id.is_empty() {
        errors.push(ValidationError {
            path: "updateTask.taskResult.taskId".to_string(),
            message: "Task ID cannot be null or empty".to_string(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let status_text = result
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("IN_PROGRESS");
    let Some(status) = WorkStatus::parse(status_text) else {
        return Err(ApiError::unreadable(format!(
            "Cannot deserialize value of type `TaskResult$Status` from String \"{status_text}\": not one of the values accepted for Enum class: [IN_PROGRESS, FAILED, FAILED_WITH_TERMINAL_ERROR, COMPLETED]"
        )));
    };
    // Only a lease extension: the worker keeps the task; the engine's response timeout is not
    // moved (the runtime has no lease extension yet), so nothing is handed to it.
    if status == WorkStatus::InProgress
        && result.get("extendLease").and_then(Value::as_bool) == Some(true)
    {
        return Ok(text_response(StatusCode::OK, task_id));
    }
    let output = match result.get("outputData") {
        Some(Value::Object(output)) => output.clone(),
        _ => Map::new(),
    };
    let callback = result
        .get("callbackAfterSeconds")
        .and_then(Value::as_u64)
        .filter(|seconds| *seconds > 0)
        .map(Duration::from_secs);
    let work = WorkResult {
        callback_after: if status == WorkStatus::InProgress {
            callback
        } else {
            None
        },
        logs: logs_of(result.get("logs")),
        ..WorkResult::with_status(
            status,
            output,
            result
                .get("reasonForIncompletion")
                .and_then(Value::as_str)
                .map(String::from),
        )
    };
    let id = state
        .executions
        .update_task(&workflow_id, &task_id, work)
        .await?;
    Ok(text_response(StatusCode::OK, id))
}

/// `POST /api/tasks/{workflowId}/{taskRefName}/{status}` with the output: completes a waiting
/// HUMAN or WAIT task by reference name.
pub async fn complete_by_reference(
    State(state): State<Arc<AppState>>,
    Path((workflow_id, reference, status)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer {
    let Some(status) =
        WorkStatus::parse(&status).filter(|status| *status != WorkStatus::InProgress)
    else {
        return Err(ApiError::bad_request(format!(
            "`{status}` is not a status a task can be completed with (COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR)"
        )));
    };
    let output = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(output)) => output,
            Ok(_) => return Err(ApiError::unreadable("the output must be an object")),
            Err(error) => return Err(ApiError::unreadable(error)),
        }
    };
    let id = state
        .executions
        .complete_waiting(&workflow_id, &reference, status, output)
        .await?;
    Ok(text_response(StatusCode::OK, id))
}

/// `GET /api/tasks/{taskId}`.
pub async fn task(State(state): State<Arc<AppState>>, Path(task_id): Path<String>) -> Answer {
    match state.executions.projection.task(&task_id) {
        Some(task) => Ok(json_response(StatusCode::OK, &task)),
        None => Err(ApiError::not_found(format!(
            "No such task found by id: {task_id}"
        ))),
    }
}

/// `GET /api/tasks/queue/size?taskType=`.
pub async fn queue_size(
    State(state): State<Arc<AppState>>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer {
    let task_type = query.get("taskType").cloned().unwrap_or_default();
    let size = state.executions.queue.size(&task_type);
    Ok(json_response(StatusCode::OK, &json!(size)))
}
