//! What a Conductor server does to a definition it stores (FORMAT.md §A, §B), in both directions:
//!
//! - [`stored_workflow_def`] / [`stored_task_def`]: the definition as the server returns it on
//!   `GET` — unknown keys dropped (Jackson ignores them), `null` replaced by the field's default,
//!   every defaulted field written out, the audit fields `createTime`/`updateTime` present. This
//!   is what `wfc serve` stores and answers, so that clients see what a real server shows them.
//! - [`comparable_workflow_def`] / [`comparable_task_def`]: the definition with every field at its
//!   default, and every audit field, removed. Two definitions mean the same to the server exactly
//!   when their comparable forms are equal, so `wfc deploy` compares what a server answers with
//!   what wfc emits through these.
//!
//! The field tables follow the Java model classes field by field and in declaration order
//! (`WorkflowDef`, `WorkflowTask`, `SubWorkflowParams`, `TaskDef`, `SchemaDef`,
//! `RateLimitConfig`, `CacheConfig`, `StateChangeEvent`), superclass (`Auditable`) fields first,
//! as Jackson writes them.

use serde_json::{Map, Value, json};

/// How deeply definitions may nest (tasks in tasks, inline sub-workflows) before the rest is
/// kept as it is instead of being normalised: bounded work on any input.
const MAXIMUM_DEPTH: usize = 64;

/// The Java type of a field, for the fields whose values are themselves models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Kept as given (strings, numbers, maps of values).
    Plain,
    /// A `WorkflowTask` list.
    Tasks,
    /// A map of `WorkflowTask` lists (`decisionCases`).
    TaskCases,
    /// A list of `WorkflowTask` lists (`forkTasks`).
    TaskBranches,
    SubWorkflowParams,
    /// A `WorkflowDef` (inline in `SubWorkflowParams`) or a `${...}` string.
    WorkflowDefOrText,
    TaskDef,
    SchemaDef,
    RateLimitConfig,
    CacheConfig,
    /// A map of `StateChangeEvent` lists (`onStateChange`).
    StateChanges,
}

/// A field of a model: its JSON name, its default (written when absent or null; `None`: omitted
/// when absent), and its shape.
type Field = (&'static str, Option<fn() -> Value>, Shape);

fn zero() -> Value {
    json!(0)
}
fn one() -> Value {
    json!(1)
}
fn yes() -> Value {
    json!(true)
}
fn no() -> Value {
    json!(false)
}
fn empty_list() -> Value {
    json!([])
}
fn empty_map() -> Value {
    json!({})
}

/// The audit fields every `Auditable` has; `createTime`/`updateTime` read 0 when unset.
const AUDITABLE: [Field; 5] = [
    ("ownerApp", None, Shape::Plain),
    ("createTime", Some(zero), Shape::Plain),
    ("updateTime", Some(zero), Shape::Plain),
    ("createdBy", None, Shape::Plain),
    ("updatedBy", None, Shape::Plain),
];

/// The names of the audit fields, set by the server, never part of a definition's content.
pub const AUDIT_FIELDS: [&str; 5] = [
    "ownerApp",
    "createTime",
    "updateTime",
    "createdBy",
    "updatedBy",
];

const WORKFLOW_DEF: [Field; 24] = [
    ("name", None, Shape::Plain),
    ("description", None, Shape::Plain),
    ("version", Some(one), Shape::Plain),
    ("tasks", Some(empty_list), Shape::Tasks),
    ("inputParameters", Some(empty_list), Shape::Plain),
    ("outputParameters", Some(empty_map), Shape::Plain),
    ("failureWorkflow", None, Shape::Plain),
    ("schemaVersion", Some(|| json!(2)), Shape::Plain),
    ("restartable", Some(yes), Shape::Plain),
    ("workflowStatusListenerEnabled", Some(no), Shape::Plain),
    ("ownerEmail", None, Shape::Plain),
    ("timeoutPolicy", Some(|| json!("ALERT_ONLY")), Shape::Plain),
    ("timeoutSeconds", Some(zero), Shape::Plain),
    ("variables", Some(empty_map), Shape::Plain),
    ("inputTemplate", Some(empty_map), Shape::Plain),
    ("failureWorkflowVersion", None, Shape::Plain),
    ("workflowStatusListenerSink", None, Shape::Plain),
    ("rateLimitConfig", None, Shape::RateLimitConfig),
    ("inputSchema", None, Shape::SchemaDef),
    ("outputSchema", None, Shape::SchemaDef),
    ("enforceSchema", Some(yes), Shape::Plain),
    ("metadata", Some(empty_map), Shape::Plain),
    ("cacheConfig", None, Shape::CacheConfig),
    ("maskedFields", Some(empty_list), Shape::Plain),
];

const WORKFLOW_TASK: [Field; 36] = [
    ("name", None, Shape::Plain),
    ("taskReferenceName", None, Shape::Plain),
    ("description", None, Shape::Plain),
    ("inputParameters", Some(empty_map), Shape::Plain),
    ("type", Some(|| json!("SIMPLE")), Shape::Plain),
    ("dynamicTaskNameParam", None, Shape::Plain),
    ("caseValueParam", None, Shape::Plain),
    ("caseExpression", None, Shape::Plain),
    ("scriptExpression", None, Shape::Plain),
    ("decisionCases", Some(empty_map), Shape::TaskCases),
    ("dynamicForkJoinTasksParam", None, Shape::Plain),
    ("dynamicForkTasksParam", None, Shape::Plain),
    ("dynamicForkTasksInputParamName", None, Shape::Plain),
    ("defaultCase", Some(empty_list), Shape::Tasks),
    ("forkTasks", Some(empty_list), Shape::TaskBranches),
    ("startDelay", Some(zero), Shape::Plain),
    ("subWorkflowParam", None, Shape::SubWorkflowParams),
    ("joinOn", Some(empty_list), Shape::Plain),
    ("sink", None, Shape::Plain),
    ("optional", Some(no), Shape::Plain),
    ("taskDefinition", None, Shape::TaskDef),
    ("rateLimited", None, Shape::Plain),
    ("defaultExclusiveJoinTask", Some(empty_list), Shape::Plain),
    ("asyncComplete", Some(no), Shape::Plain),
    ("loopCondition", None, Shape::Plain),
    ("loopOver", Some(empty_list), Shape::Tasks),
    ("items", None, Shape::Plain),
    ("retryCount", None, Shape::Plain),
    ("evaluatorType", None, Shape::Plain),
    ("expression", None, Shape::Plain),
    ("onStateChange", Some(empty_map), Shape::StateChanges),
    ("joinStatus", None, Shape::Plain),
    ("cacheConfig", None, Shape::CacheConfig),
    ("permissive", Some(no), Shape::Plain),
    ("joinMode", None, Shape::Plain),
    ("metadata", Some(empty_map), Shape::Plain),
];

const SUB_WORKFLOW_PARAMS: [Field; 7] = [
    ("name", None, Shape::Plain),
    ("version", None, Shape::Plain),
    ("taskToDomain", None, Shape::Plain),
    ("workflowDefinition", None, Shape::WorkflowDefOrText),
    ("idempotencyKey", None, Shape::Plain),
    ("idempotencyStrategy", None, Shape::Plain),
    ("priority", None, Shape::Plain),
];

const TASK_DEF: [Field; 28] = [
    ("name", None, Shape::Plain),
    ("description", None, Shape::Plain),
    ("retryCount", Some(|| json!(3)), Shape::Plain),
    ("timeoutSeconds", Some(zero), Shape::Plain),
    ("inputKeys", Some(empty_list), Shape::Plain),
    ("outputKeys", Some(empty_list), Shape::Plain),
    ("runtimeMetadata", Some(empty_list), Shape::Plain),
    ("timeoutPolicy", Some(|| json!("TIME_OUT_WF")), Shape::Plain),
    ("retryLogic", Some(|| json!("FIXED")), Shape::Plain),
    ("retryDelaySeconds", Some(|| json!(60)), Shape::Plain),
    ("responseTimeoutSeconds", Some(|| json!(3600)), Shape::Plain),
    ("concurrentExecLimit", None, Shape::Plain),
    ("inputTemplate", Some(empty_map), Shape::Plain),
    // The getters answer 0 and 1 when unset.
    ("rateLimitPerFrequency", Some(zero), Shape::Plain),
    ("rateLimitFrequencyInSeconds", Some(one), Shape::Plain),
    ("isolationGroupId", None, Shape::Plain),
    ("executionNameSpace", None, Shape::Plain),
    ("ownerEmail", None, Shape::Plain),
    ("pollTimeoutSeconds", None, Shape::Plain),
    ("backoffScaleFactor", Some(one), Shape::Plain),
    ("maxRetryDelaySeconds", Some(zero), Shape::Plain),
    ("backoffJitterMs", Some(zero), Shape::Plain),
    ("baseType", None, Shape::Plain),
    ("totalTimeoutSeconds", Some(zero), Shape::Plain),
    ("taskStatusListenerEnabled", Some(yes), Shape::Plain),
    ("inputSchema", None, Shape::SchemaDef),
    ("outputSchema", None, Shape::SchemaDef),
    ("enforceSchema", Some(no), Shape::Plain),
];

const SCHEMA_DEF: [Field; 5] = [
    ("name", None, Shape::Plain),
    ("version", Some(one), Shape::Plain),
    ("type", None, Shape::Plain),
    ("data", None, Shape::Plain),
    ("externalRef", None, Shape::Plain),
];

const RATE_LIMIT_CONFIG: [Field; 3] = [
    ("rateLimitKey", None, Shape::Plain),
    ("concurrentExecLimit", Some(zero), Shape::Plain),
    ("policy", Some(|| json!("QUEUE")), Shape::Plain),
];

const CACHE_CONFIG: [Field; 2] = [
    ("key", None, Shape::Plain),
    ("ttlInSecond", Some(zero), Shape::Plain),
];

const STATE_CHANGE_EVENT: [Field; 2] = [
    ("type", None, Shape::Plain),
    ("payload", None, Shape::Plain),
];

/// Which direction to normalise in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Write every defaulted field (the server's answer).
    Stored,
    /// Remove every field at its default and the audit fields (for comparing).
    Comparable,
}

/// A WorkflowDef as a Conductor server returns it after storing `definition`.
pub fn stored_workflow_def(definition: &Value) -> Value {
    model(definition, &WORKFLOW_DEF, true, Mode::Stored, 0)
}

/// A TaskDef as a Conductor server returns it after storing `definition`.
pub fn stored_task_def(definition: &Value) -> Value {
    model(definition, &TASK_DEF, true, Mode::Stored, 0)
}

/// A WorkflowDef without defaults and audit fields: equal for two definitions exactly when the
/// server treats them the same.
pub fn comparable_workflow_def(definition: &Value) -> Value {
    model(definition, &WORKFLOW_DEF, true, Mode::Comparable, 0)
}

/// A TaskDef without defaults and audit fields.
pub fn comparable_task_def(definition: &Value) -> Value {
    model(definition, &TASK_DEF, true, Mode::Comparable, 0)
}

/// Normalises one model object. Anything that is not an object is kept as it is (the server
/// would refuse it while binding; normalising never fails).
fn model(value: &Value, fields: &[Field], auditable: bool, mode: Mode, depth: usize) -> Value {
    let Value::Object(object) = value else {
        return value.clone();
    };
    if depth > MAXIMUM_DEPTH {
        return value.clone();
    }
    let mut normalised = Map::new();
    let audit: &[Field] = if auditable { &AUDITABLE } else { &[] };
    for (name, default, shape) in audit.iter().chain(fields) {
        let given = object.get(*name).filter(|value| !value.is_null());
        let value = match (given, default) {
            (Some(value), _) => shaped(value, *shape, mode, depth),
            (None, Some(default)) if mode == Mode::Stored => default(),
            (None, _) => continue,
        };
        if mode == Mode::Comparable {
            let is_default = default.is_some_and(|default| default() == value);
            let is_audit = auditable && AUDIT_FIELDS.contains(name);
            if is_default || is_audit {
                continue;
            }
        }
        normalised.insert((*name).to_string(), value);
    }
    Value::Object(normalised)
}

/// Normalises a field's value by its shape.
fn shaped(value: &Value, shape: Shape, mode: Mode, depth: usize) -> Value {
    let depth = depth + 1;
    let tasks = |value: &Value| match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|task| model(task, &WORKFLOW_TASK, false, mode, depth))
                .collect(),
        ),
        other => other.clone(),
    };
    match shape {
        Shape::Plain => value.clone(),
        Shape::Tasks => tasks(value),
        Shape::TaskCases => match value {
            Value::Object(cases) => Value::Object(
                cases
                    .iter()
                    .map(|(case, list)| (case.clone(), tasks(list)))
                    .collect(),
            ),
            other => other.clone(),
        },
        Shape::TaskBranches => match value {
            Value::Array(branches) => Value::Array(branches.iter().map(tasks).collect()),
            other => other.clone(),
        },
        Shape::SubWorkflowParams => model(value, &SUB_WORKFLOW_PARAMS, false, mode, depth),
        Shape::WorkflowDefOrText => model(value, &WORKFLOW_DEF, true, mode, depth),
        Shape::TaskDef => model(value, &TASK_DEF, true, mode, depth),
        Shape::SchemaDef => model(value, &SCHEMA_DEF, true, mode, depth),
        Shape::RateLimitConfig => model(value, &RATE_LIMIT_CONFIG, false, mode, depth),
        Shape::CacheConfig => model(value, &CACHE_CONFIG, false, mode, depth),
        Shape::StateChanges => match value {
            Value::Object(events) => Value::Object(
                events
                    .iter()
                    .map(|(state, list)| {
                        let list = match list {
                            Value::Array(items) => Value::Array(
                                items
                                    .iter()
                                    .map(|event| {
                                        model(event, &STATE_CHANGE_EVENT, false, mode, depth)
                                    })
                                    .collect(),
                            ),
                            other => other.clone(),
                        };
                        (state.clone(), list)
                    })
                    .collect(),
            ),
            other => other.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_definitions_carry_every_default_and_drop_unknown_keys() {
        let definition = json!({
            "name": "flow",
            "inputExpression": {"ignored": true},
            "tasks": [{"name": "a", "taskReferenceName": "a", "retryLogic": "ignored"}],
            "timeoutPolicy": null
        });
        let stored = stored_workflow_def(&definition);
        assert_eq!(stored["version"], json!(1));
        assert_eq!(stored["schemaVersion"], json!(2));
        assert_eq!(stored["timeoutPolicy"], json!("ALERT_ONLY"));
        assert_eq!(stored["createTime"], json!(0));
        assert!(stored.get("inputExpression").is_none());
        let task = &stored["tasks"][0];
        assert_eq!(task["type"], json!("SIMPLE"));
        assert_eq!(task["startDelay"], json!(0));
        assert_eq!(task["onStateChange"], json!({}));
        assert!(task.get("retryLogic").is_none());
    }

    #[test]
    fn comparable_forms_ignore_defaults_audit_fields_and_unknown_keys() {
        let emitted = json!({
            "name": "flow", "version": 1, "ownerEmail": "a@example.com",
            "tasks": [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE",
                       "inputParameters": {"x": 1}}],
            "inputSchema": {"name": "flow_input", "version": 1, "type": "JSON",
                            "data": {"type": "object"}}
        });
        let mut answered = stored_workflow_def(&emitted);
        answered["createTime"] = json!(1_700_000_000_000_i64);
        answered["inputSchema"]["updateTime"] = json!(5);
        assert_eq!(
            comparable_workflow_def(&answered),
            comparable_workflow_def(&emitted)
        );
        let mut changed = emitted.clone();
        changed["tasks"][0]["inputParameters"]["x"] = json!(2);
        assert_ne!(
            comparable_workflow_def(&changed),
            comparable_workflow_def(&emitted)
        );
    }

    #[test]
    fn task_defs_round_trip() {
        let emitted = json!({"name": "charge", "retryCount": 3, "responseTimeoutSeconds": 60,
                             "inputKeys": ["amount"], "rateLimitPerFrequency": 0});
        let stored = stored_task_def(&emitted);
        assert_eq!(stored["rateLimitFrequencyInSeconds"], json!(1));
        assert_eq!(stored["taskStatusListenerEnabled"], json!(true));
        assert_eq!(comparable_task_def(&stored), comparable_task_def(&emitted));
        assert_eq!(
            comparable_task_def(&emitted),
            json!({"name": "charge", "inputKeys": ["amount"], "responseTimeoutSeconds": 60})
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut task = json!({"name": "leaf", "taskReferenceName": "leaf"});
        for level in 0..200 {
            task = json!({"name": format!("l{level}"), "taskReferenceName": format!("l{level}"),
                          "type": "DO_WHILE", "loopOver": [task]});
        }
        let definition = json!({"name": "deep", "tasks": [task]});
        let stored = stored_workflow_def(&definition);
        assert_eq!(stored["tasks"][0]["type"], json!("DO_WHILE"));
    }
}
