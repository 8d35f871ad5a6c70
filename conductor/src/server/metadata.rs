//! The metadata endpoints of `wfc serve` (API.md §2; `MetadataResource` and `MetadataServiceImpl`
//! of conductor-oss): task and workflow definitions, created, read, updated, deleted and
//! validated with the same status codes, messages and bodies as a Conductor server.
//!
//! Definitions are judged with the compiler's checks (`wfc_compiler::registration`), stored as
//! the server would answer them ([`crate::normalize`]), and stamped with `createTime` /
//! `updateTime` as `MetadataServiceImpl` does.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};
use wfc_compiler::registration;

use super::AppState;
use super::auth::now_millis;
use super::error::{ApiError, ValidationError, empty_response, json_response};
use crate::normalize;

type Answer = Result<Response, ApiError>;

/// The body as JSON, or Conductor's answer to one that is not.
fn read_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::unreadable)
}

/// A body that must be a JSON list (`List<TaskDef>`, `List<WorkflowDef>`).
fn read_list(body: &Bytes) -> Result<Vec<Value>, ApiError> {
    match read_json(body)? {
        Value::Array(items) => Ok(items),
        other => Err(ApiError::unreadable(format!(
            "Cannot deserialize value of type `java.util.ArrayList` from {}",
            json_kind(&other)
        ))),
    }
}

/// A body that must be one JSON object.
fn read_object(body: &Bytes, java_type: &str) -> Result<Value, ApiError> {
    match read_json(body)? {
        object @ Value::Object(_) => Ok(object),
        other => Err(ApiError::unreadable(format!(
            "Cannot construct instance of `{java_type}` from {}",
            json_kind(&other)
        ))),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn ok_json(value: &Value) -> Answer {
    Ok(json_response(StatusCode::OK, value))
}

/// The validation errors of a TaskDef under `prefix`.
fn task_def_errors(prefix: &str, definition: &Value) -> Vec<ValidationError> {
    registration::task_def_violations(definition)
        .into_iter()
        .map(|violation| ValidationError::of(prefix, violation))
        .collect()
}

/// The validation errors of a WorkflowDef under `prefix`.
fn workflow_def_errors(prefix: &str, definition: &Value) -> Vec<ValidationError> {
    registration::workflow_def_violations(definition)
        .into_iter()
        .map(|violation| ValidationError::of(prefix, violation))
        .collect()
}

fn name_of(definition: &Value) -> String {
    definition
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn version_of(definition: &Value) -> i64 {
    definition
        .get("version")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// Sets an audit field of a stored definition.
fn stamp(definition: &mut Value, key: &str, value: Value) {
    if let Value::Object(object) = definition {
        object.insert(key.to_string(), value);
    }
}

/// The `version` query parameter.
fn version_parameter(query: &BTreeMap<String, String>) -> Result<Option<i64>, ApiError> {
    match query.get("version").map(|text| text.trim()) {
        None | Some("") => Ok(None),
        Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
            ApiError::bad_request(format!(
                "Failed to convert value of type 'java.lang.String' to required type 'java.lang.Integer'; For input string: \"{text}\""
            ))
        }),
    }
}

// ----- task definitions -------------------------------------------------------------------

/// `POST /api/metadata/taskdefs`: create or replace each (an upsert, as in the SQL DAOs).
pub async fn register_task_defs(State(state): State<Arc<AppState>>, body: Bytes) -> Answer {
    let definitions = read_list(&body)?;
    if definitions.is_empty() {
        return Err(ApiError::validation(vec![ValidationError {
            path: "registerTaskDef.taskDefinitions".to_string(),
            message: "TaskDefList is empty".to_string(),
        }]));
    }
    let mut errors = Vec::new();
    for (index, definition) in definitions.iter().enumerate() {
        let prefix = format!("registerTaskDef.taskDefinitions[{index}]");
        if definition.is_object() {
            errors.extend(task_def_errors(&prefix, definition));
        } else {
            return Err(ApiError::unreadable(format!(
                "Cannot construct instance of `com.netflix.conductor.common.metadata.tasks.TaskDef` from {}",
                json_kind(definition)
            )));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = now_millis();
    let stored: Vec<(String, Value)> = definitions
        .iter()
        .map(|definition| {
            let mut stored = normalize::stored_task_def(definition);
            stamp(&mut stored, "createTime", json!(now));
            stamp(&mut stored, "updateTime", json!(0));
            (name_of(&stored), stored)
        })
        .collect();
    state
        .store
        .put_task_defs(&stored)
        .map_err(ApiError::storage)?;
    Ok(empty_response())
}

/// `PUT /api/metadata/taskdefs`: replace one that exists.
pub async fn update_task_def(State(state): State<Arc<AppState>>, body: Bytes) -> Answer {
    let definition = read_object(&body, "com.netflix.conductor.common.metadata.tasks.TaskDef")?;
    let errors = task_def_errors("updateTaskDef.taskDefinition", &definition);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let name = name_of(&definition);
    let Some(existing) = state.store.task_def(&name).map_err(ApiError::storage)? else {
        return Err(ApiError::not_found(format!("No such task by name {name}")));
    };
    let mut stored = normalize::stored_task_def(&definition);
    for key in ["createTime", "createdBy"] {
        if let Some(value) = existing.get(key) {
            stamp(&mut stored, key, value.clone());
        }
    }
    stamp(&mut stored, "updateTime", json!(now_millis()));
    state
        .store
        .put_task_defs(&[(name, stored)])
        .map_err(ApiError::storage)?;
    Ok(empty_response())
}

/// `GET /api/metadata/taskdefs`.
pub async fn task_defs(State(state): State<Arc<AppState>>) -> Answer {
    let definitions = state.store.task_defs().map_err(ApiError::storage)?;
    ok_json(&Value::Array(definitions))
}

/// `GET /api/metadata/taskdefs/{tasktype}`.
pub async fn task_def(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Answer {
    match state.store.task_def(&name).map_err(ApiError::storage)? {
        Some(definition) => ok_json(&definition),
        None => Err(ApiError::not_found(format!(
            "No such taskType found by name: {name}"
        ))),
    }
}

/// `DELETE /api/metadata/taskdefs/{tasktype}`.
pub async fn delete_task_def(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Answer {
    if state
        .store
        .delete_task_def(&name)
        .map_err(ApiError::storage)?
    {
        Ok(empty_response())
    } else {
        Err(ApiError::not_found("No such task definition"))
    }
}

// ----- workflow definitions ---------------------------------------------------------------

/// `POST /api/metadata/workflow?overwrite=false`: create, or 409 when the name and version
/// exist (replace with `overwrite=true`). The existence check comes first, as in
/// `MetadataResource.create`.
pub async fn create_workflow_def(
    State(state): State<Arc<AppState>>,
    Query(query): Query<BTreeMap<String, String>>,
    body: Bytes,
) -> Answer {
    let definition = read_object(
        &body,
        "com.netflix.conductor.common.metadata.workflow.WorkflowDef",
    )?;
    let overwrite = query
        .get("overwrite")
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    let name = name_of(&definition);
    let version = version_of(&definition);
    let existing = if name.trim().is_empty() {
        None
    } else {
        state
            .store
            .workflow_def(&name, Some(version))
            .map_err(ApiError::storage)?
    };
    if existing.is_some() && !overwrite {
        return Err(ApiError::conflict(format!(
            "Workflow with {name}.{version} already exists!"
        )));
    }
    let prefix = if existing.is_some() {
        "updateWorkflowDef.workflowDef"
    } else {
        "registerWorkflowDef.workflowDef"
    };
    let errors = workflow_def_errors(prefix, &definition);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = now_millis();
    let mut stored = normalize::stored_workflow_def(&definition);
    match &existing {
        Some(existing) => {
            if let Some(created) = existing.get("createTime") {
                stamp(&mut stored, "createTime", created.clone());
            }
            stamp(&mut stored, "updateTime", json!(now));
        }
        None => stamp(&mut stored, "createTime", json!(now)),
    }
    state
        .store
        .put_workflow_defs(&[(name, version, stored)])
        .map_err(ApiError::storage)?;
    Ok(empty_response())
}

/// `PUT /api/metadata/workflow`: create or replace each, after validating all of them (one
/// invalid definition refuses the whole request). Answers a `BulkResponse`.
pub async fn update_workflow_defs(State(state): State<Arc<AppState>>, body: Bytes) -> Answer {
    let definitions = read_list(&body)?;
    if definitions.is_empty() {
        return Err(ApiError::validation(vec![ValidationError {
            path: "updateWorkflowDef.workflowDefList".to_string(),
            message: "WorkflowDefList is empty".to_string(),
        }]));
    }
    let mut errors = Vec::new();
    for (index, definition) in definitions.iter().enumerate() {
        let prefix = format!("updateWorkflowDef.workflowDefList[{index}]");
        if definition.is_null() {
            errors.push(ValidationError {
                path: prefix,
                message: "WorkflowDef cannot be null".to_string(),
            });
        } else if definition.is_object() {
            errors.extend(workflow_def_errors(&prefix, definition));
        } else {
            return Err(ApiError::unreadable(format!(
                "Cannot construct instance of `com.netflix.conductor.common.metadata.workflow.WorkflowDef` from {}",
                json_kind(definition)
            )));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = now_millis();
    let mut stored = Vec::with_capacity(definitions.len());
    let mut successful = Vec::with_capacity(definitions.len());
    for definition in &definitions {
        let name = name_of(definition);
        let version = version_of(definition);
        let existing = state
            .store
            .workflow_def(&name, Some(version))
            .map_err(ApiError::storage)?;
        let mut normalised = normalize::stored_workflow_def(definition);
        if let Some(created) = existing
            .as_ref()
            .and_then(|existing| existing.get("createTime"))
        {
            stamp(&mut normalised, "createTime", created.clone());
        }
        stamp(&mut normalised, "updateTime", json!(now));
        successful.push(Value::from(name.clone()));
        stored.push((name, version, normalised));
    }
    state
        .store
        .put_workflow_defs(&stored)
        .map_err(ApiError::storage)?;
    ok_json(&json!({
        "bulkErrorResults": {},
        "bulkSuccessfulResults": successful,
    }))
}

/// `POST /api/metadata/workflow/validate`: 200 when registration would accept it, else 400.
pub async fn validate_workflow_def(body: Bytes) -> Answer {
    let definition = read_object(
        &body,
        "com.netflix.conductor.common.metadata.workflow.WorkflowDef",
    )?;
    let errors = workflow_def_errors("validateWorkflowDef.workflowDef", &definition);
    if errors.is_empty() {
        Ok(empty_response())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// `GET /api/metadata/workflow/{name}?version=N` (the latest without a version).
pub async fn workflow_def(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Answer {
    let version = version_parameter(&query)?;
    match state
        .store
        .workflow_def(&name, version)
        .map_err(ApiError::storage)?
    {
        Some(definition) => ok_json(&definition),
        None => Err(ApiError::not_found(format!(
            "No such workflow found by name: {name}, version: {}",
            version.map_or_else(|| "null".to_string(), |version| version.to_string())
        ))),
    }
}

/// `GET /api/metadata/workflow`: every version of every definition.
pub async fn workflow_defs(State(state): State<Arc<AppState>>) -> Answer {
    let definitions = state
        .store
        .workflow_defs(false)
        .map_err(ApiError::storage)?;
    ok_json(&Value::Array(definitions))
}

/// `GET /api/metadata/workflow/latest-versions`.
pub async fn latest_workflow_defs(State(state): State<Arc<AppState>>) -> Answer {
    let definitions = state.store.workflow_defs(true).map_err(ApiError::storage)?;
    ok_json(&Value::Array(definitions))
}

fn summary(version: &super::store::VersionSummary) -> Value {
    json!({
        "name": version.name,
        "version": version.version,
        "createTime": version.create_time,
        "updateTime": version.update_time,
    })
}

/// `GET /api/metadata/workflow/names`.
pub async fn workflow_names(State(state): State<Arc<AppState>>) -> Answer {
    let versions = state
        .store
        .workflow_versions(None)
        .map_err(ApiError::storage)?;
    let mut names: Vec<Value> = Vec::new();
    for version in &versions {
        if names.last().and_then(Value::as_str) != Some(version.name.as_str()) {
            names.push(Value::from(version.name.as_str()));
        }
    }
    ok_json(&Value::Array(names))
}

/// `GET /api/metadata/workflow/names-and-versions`.
pub async fn workflow_names_and_versions(State(state): State<Arc<AppState>>) -> Answer {
    let versions = state
        .store
        .workflow_versions(None)
        .map_err(ApiError::storage)?;
    let mut by_name = Map::new();
    for version in &versions {
        if let Value::Array(list) = by_name
            .entry(version.name.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            list.push(summary(version));
        }
    }
    ok_json(&Value::Object(by_name))
}

/// `GET /api/metadata/workflow/{name}/versions`.
pub async fn workflow_versions(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Answer {
    let versions = state
        .store
        .workflow_versions(Some(&name))
        .map_err(ApiError::storage)?;
    ok_json(&Value::Array(versions.iter().map(summary).collect()))
}

/// `DELETE /api/metadata/workflow/{name}/{version}`.
pub async fn delete_workflow_def(
    State(state): State<Arc<AppState>>,
    Path((name, version)): Path<(String, String)>,
) -> Answer {
    let Ok(version) = version.trim().parse::<i64>() else {
        return Err(ApiError::bad_request(format!(
            "Failed to convert value of type 'java.lang.String' to required type 'java.lang.Integer'; For input string: \"{version}\""
        )));
    };
    if state
        .store
        .delete_workflow_def(&name, version)
        .map_err(ApiError::storage)?
    {
        Ok(empty_response())
    } else {
        Err(ApiError::not_found(format!(
            "No such workflow definition: {name} version: {version}"
        )))
    }
}
