//! The workflow endpoints of `wfc serve` (API.md §3; `WorkflowResource` of conductor-oss):
//! start by name or with an inline definition, read, terminate, pause, resume, retry, and the
//! server-side dry run `POST /api/workflow/test`. The work is done by [`super::executions`].

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use wfc_compiler::registration;
use wfc_runtime::engine::StartRequest;
use wfc_runtime::mocks::Mocks;

use super::AppState;
use super::error::{ApiError, ValidationError, empty_response, json_response, text_response};
use super::executions::Start;

type Answer = Result<Response, ApiError>;

fn read_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::unreadable(
            "Cannot construct instance of `StartWorkflowRequest`: expected an object",
        )),
        Err(error) => Err(ApiError::unreadable(error)),
    }
}

/// What a `StartWorkflowRequest` starts: the inline `workflowDef` (validated like a
/// registration), or the registered definition of `name` and `version` (the latest without one).
fn start_of(
    state: &AppState,
    request: &Map<String, Value>,
    prefix: &str,
) -> Result<Start, ApiError> {
    let input = match request.get("input") {
        None => Map::new(),
        Some(Value::Object(input)) => input.clone(),
        Some(Value::Null) => {
            return Err(ApiError::bad_request(
                "NULL input passed when starting workflow",
            ));
        }
        Some(_) => return Err(ApiError::unreadable("`input` must be an object")),
    };
    let version = request
        .get("version")
        .and_then(Value::as_i64)
        .filter(|version| *version > 0);
    let correlation_id = request
        .get("correlationId")
        .and_then(Value::as_str)
        .map(String::from);
    let others = state
        .store
        .workflow_defs(false)
        .map_err(ApiError::storage)?;
    let task_defs = state.store.task_defs().map_err(ApiError::storage)?;
    let root = match request.get("workflowDef") {
        Some(inline @ Value::Object(_)) => {
            let errors: Vec<ValidationError> = registration::workflow_def_violations(inline)
                .into_iter()
                .map(|violation| ValidationError::of(&format!("{prefix}.workflowDef"), violation))
                .collect();
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            crate::normalize::stored_workflow_def(inline)
        }
        _ => {
            let name = request
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if name.trim().is_empty() {
                return Err(ApiError::validation(vec![ValidationError {
                    path: format!("{prefix}.name"),
                    message: "Workflow name cannot be null or empty".to_string(),
                }]));
            }
            state
                .store
                .workflow_def(name, version)
                .map_err(ApiError::storage)?
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "No such workflow defined. name={name}, version={}",
                        version.map_or_else(|| "null".to_string(), |version| version.to_string())
                    ))
                })?
        }
    };
    let name = root
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let root_version = root.get("version").and_then(Value::as_i64);
    Ok(Start {
        root,
        others,
        task_defs,
        request: StartRequest {
            name,
            version: root_version,
            input,
            correlation_id,
        },
    })
}

/// `POST /api/workflow` with a `StartWorkflowRequest` → the workflow id (text/plain).
pub async fn start(State(state): State<Arc<AppState>>, body: Bytes) -> Answer {
    let request = read_object(&body)?;
    let start = start_of(&state, &request, "startWorkflow.startWorkflowRequest")?;
    let id = state.executions.start(start).await?;
    Ok(text_response(StatusCode::OK, id))
}

/// `POST /api/workflow/{name}?version=&correlationId=` with the input → the workflow id.
pub async fn start_by_name(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    body: Bytes,
) -> Answer {
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice::<Value>(&body).map_err(ApiError::unreadable)?
    };
    let mut request = Map::new();
    request.insert("name".to_string(), Value::from(name));
    request.insert("input".to_string(), input);
    if let Some(version) = query
        .get("version")
        .and_then(|text| text.parse::<i64>().ok())
    {
        request.insert("version".to_string(), Value::from(version));
    }
    if let Some(correlation) = query.get("correlationId") {
        request.insert(
            "correlationId".to_string(),
            Value::from(correlation.as_str()),
        );
    }
    let start = start_of(&state, &request, "startWorkflow.startWorkflowRequest")?;
    let id = state.executions.start(start).await?;
    Ok(text_response(StatusCode::OK, id))
}

/// `GET /api/workflow/{workflowId}?includeTasks=true`.
pub async fn workflow(
    State(state): State<Arc<AppState>>,
    Path(workflow_id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer {
    let include_tasks = query
        .get("includeTasks")
        .is_none_or(|value| !value.eq_ignore_ascii_case("false"));
    let workflow = state.executions.workflow(&workflow_id, include_tasks)?;
    Ok(json_response(StatusCode::OK, &workflow))
}

/// `DELETE /api/workflow/{workflowId}?reason=`: terminate.
pub async fn terminate(
    State(state): State<Arc<AppState>>,
    Path(workflow_id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer {
    state
        .executions
        .terminate(&workflow_id, query.get("reason").map(String::as_str))
        .await?;
    Ok(empty_response())
}

/// `PUT /api/workflow/{workflowId}/pause`.
pub async fn pause(State(state): State<Arc<AppState>>, Path(workflow_id): Path<String>) -> Answer {
    state.executions.pause(&workflow_id)?;
    Ok(empty_response())
}

/// `PUT /api/workflow/{workflowId}/resume`.
pub async fn resume(State(state): State<Arc<AppState>>, Path(workflow_id): Path<String>) -> Answer {
    state.executions.resume_paused(&workflow_id)?;
    Ok(empty_response())
}

/// `POST /api/workflow/{workflowId}/retry`.
pub async fn retry(State(state): State<Arc<AppState>>, Path(workflow_id): Path<String>) -> Answer {
    state.executions.retry(&workflow_id).await?;
    Ok(empty_response())
}

/// `POST /api/workflow/test` with a `WorkflowTestRequest` → the `Workflow` when it ends or waits
/// for a task no mock answers.
pub async fn test(State(state): State<Arc<AppState>>, body: Bytes) -> Answer {
    let request = read_object(&body)?;
    let start = start_of(&state, &request, "testWorkflow.request")?;
    let mocks = Mocks::from_json(&Value::Object(request)).map_err(ApiError::bad_request)?;
    let workflow = state.executions.test_run(start, mocks).await?;
    Ok(json_response(StatusCode::OK, &workflow))
}
