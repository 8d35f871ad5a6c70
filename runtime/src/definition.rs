//! The model of Conductor's `WorkflowDef`, `WorkflowTask`, `SubWorkflowParams` and `TaskDef`
//! (FORMAT.md §B) with Conductor's defaults, read from JSON the way the server's Jackson binding
//! reads it (§A): unknown keys are ignored, `null` keeps the default, scalars are coerced (`"5"`
//! → 5, `"true"` → true), and a value of the wrong kind is an error naming its path.
//!
//! Parsing is by hand from [`serde_json::Value`] rather than derived, because Jackson's leniency
//! is not serde's, and because the engine must never panic nor give up on the first odd value:
//! a definition that cannot be read is refused with a located message, everything else is left to
//! the run, which fails the way Conductor does. Nested task lists are `Arc`s so that executions
//! point at their definition task instead of copying it.

use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// How deeply task lists may nest (SWITCH in FORK in DO_WHILE …) and inline sub-workflow
/// definitions may contain each other; deeper definitions are refused instead of exhausting the
/// stack.
pub const MAXIMUM_NESTING: usize = 64;

/// `WorkflowDef.timeoutPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowTimeoutPolicy {
    TimeOutWf,
    #[default]
    AlertOnly,
}

/// `TaskDef.timeoutPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeoutPolicy {
    Retry,
    #[default]
    TimeOutWf,
    AlertOnly,
}

impl TimeoutPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutPolicy::Retry => "RETRY",
            TimeoutPolicy::TimeOutWf => "TIME_OUT_WF",
            TimeoutPolicy::AlertOnly => "ALERT_ONLY",
        }
    }
}

impl WorkflowTimeoutPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowTimeoutPolicy::TimeOutWf => "TIME_OUT_WF",
            WorkflowTimeoutPolicy::AlertOnly => "ALERT_ONLY",
        }
    }
}

/// `TaskDef.retryLogic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetryLogic {
    #[default]
    Fixed,
    LinearBackoff,
    ExponentialBackoff,
}

/// `WorkflowTask.joinMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JoinMode {
    Sync,
    Async,
}

/// A workflow definition (`WorkflowDef`, §B.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "Value")]
pub struct WorkflowDef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub version: i64,
    pub tasks: Vec<Arc<WorkflowTask>>,
    pub input_parameters: Vec<String>,
    pub output_parameters: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_workflow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_workflow_version: Option<i64>,
    pub schema_version: i64,
    pub restartable: bool,
    pub workflow_status_listener_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<String>,
    pub timeout_policy: WorkflowTimeoutPolicy,
    pub timeout_seconds: i64,
    pub variables: Map<String, Value>,
    pub input_template: Map<String, Value>,
}

/// One task of a workflow definition (`WorkflowTask`, §B.2). Serialized without the fields
/// that have their default value (empty lists and maps, `false`, a zero `startDelay`), which
/// Conductor reads back as the same task; the execution JSON of a large run (`workflowTask` in
/// every task) stays small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "Value")]
pub struct WorkflowTask {
    pub name: String,
    pub task_reference_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub input_parameters: Map<String, Value>,
    /// The `type` string as written (default `SIMPLE`); unknown types are USER_DEFINED.
    #[serde(rename = "type")]
    pub task_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_task_name_param: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_value_param: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_expression: Option<String>,
    /// In definition order.
    #[serde(
        serialize_with = "serialize_cases",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub decision_cases: Vec<(String, Vec<Arc<WorkflowTask>>)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_fork_join_tasks_param: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_fork_tasks_param: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_fork_tasks_input_param_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub default_case: Vec<Arc<WorkflowTask>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fork_tasks: Vec<Vec<Arc<WorkflowTask>>>,
    #[serde(skip_serializing_if = "is_zero")]
    pub start_delay: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_workflow_param: Option<SubWorkflowParams>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub join_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub optional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<Arc<TaskDef>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub default_exclusive_join_task: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub async_complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_condition: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loop_over: Vec<Arc<WorkflowTask>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluator_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub permissive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_mode: Option<JoinMode>,
}

/// `SubWorkflowParams` (§B.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubWorkflowParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_to_domain: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_definition: Option<SubWorkflowDefinition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Value>,
}

/// `SubWorkflowParams.workflowDefinition`: an inline definition or a `${...}` expression that
/// resolves to one when the task is scheduled.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SubWorkflowDefinition {
    Inline(Arc<WorkflowDef>),
    Expression(String),
}

/// A task definition (`TaskDef`, §B.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "Value")]
pub struct TaskDef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub retry_count: u32,
    pub timeout_seconds: i64,
    pub total_timeout_seconds: i64,
    pub response_timeout_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll_timeout_seconds: Option<i64>,
    pub timeout_policy: TimeoutPolicy,
    pub retry_logic: RetryLogic,
    pub retry_delay_seconds: i64,
    pub backoff_scale_factor: i64,
    pub max_retry_delay_seconds: i64,
    pub backoff_jitter_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_exec_limit: Option<i64>,
    pub input_keys: Vec<String>,
    pub output_keys: Vec<String>,
    pub input_template: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<String>,
}

impl TaskDef {
    /// The ad-hoc definition Conductor attaches to a task whose name has no registered
    /// definition (`MetadataMapperService.populateWorkflowTaskWithDefinition`): defaults for
    /// SIMPLE tasks, and no retries and no response timeout for every other type.
    pub fn ad_hoc(name: &str, simple: bool) -> TaskDef {
        let mut definition = TaskDef::named(name);
        if !simple {
            definition.retry_count = 0;
            definition.response_timeout_seconds = 0;
        }
        definition
    }

    /// A definition with this name and Conductor's defaults.
    pub fn named(name: &str) -> TaskDef {
        TaskDef {
            name: name.to_owned(),
            description: None,
            retry_count: 3,
            timeout_seconds: 0,
            total_timeout_seconds: 0,
            response_timeout_seconds: 3600,
            poll_timeout_seconds: None,
            timeout_policy: TimeoutPolicy::TimeOutWf,
            retry_logic: RetryLogic::Fixed,
            retry_delay_seconds: 60,
            backoff_scale_factor: 1,
            max_retry_delay_seconds: 0,
            backoff_jitter_ms: 0,
            concurrent_exec_limit: None,
            input_keys: Vec::new(),
            output_keys: Vec::new(),
            input_template: Map::new(),
            owner_email: None,
        }
    }

    /// Reads a TaskDef JSON object.
    pub fn from_json(json: &Value) -> Result<TaskDef, String> {
        let fields = Fields::new(json, String::new())?;
        let name = fields.string("name")?.unwrap_or_default();
        if name.trim().is_empty() {
            return Err("TaskDef name cannot be null or empty".to_owned());
        }
        let defaults = TaskDef::named(&name);
        Ok(TaskDef {
            description: fields.string("description")?,
            retry_count: fields
                .unsigned("retryCount")?
                .unwrap_or(defaults.retry_count),
            timeout_seconds: fields
                .integer("timeoutSeconds")?
                .unwrap_or(defaults.timeout_seconds),
            total_timeout_seconds: fields
                .integer("totalTimeoutSeconds")?
                .unwrap_or(defaults.total_timeout_seconds),
            response_timeout_seconds: fields
                .integer("responseTimeoutSeconds")?
                .unwrap_or(defaults.response_timeout_seconds),
            poll_timeout_seconds: fields.integer("pollTimeoutSeconds")?,
            timeout_policy: fields
                .enumeration(
                    "timeoutPolicy",
                    &[
                        ("RETRY", TimeoutPolicy::Retry),
                        ("TIME_OUT_WF", TimeoutPolicy::TimeOutWf),
                        ("ALERT_ONLY", TimeoutPolicy::AlertOnly),
                    ],
                )?
                .unwrap_or(defaults.timeout_policy),
            retry_logic: fields
                .enumeration(
                    "retryLogic",
                    &[
                        ("FIXED", RetryLogic::Fixed),
                        ("LINEAR_BACKOFF", RetryLogic::LinearBackoff),
                        ("EXPONENTIAL_BACKOFF", RetryLogic::ExponentialBackoff),
                    ],
                )?
                .unwrap_or(defaults.retry_logic),
            retry_delay_seconds: fields
                .integer("retryDelaySeconds")?
                .unwrap_or(defaults.retry_delay_seconds),
            backoff_scale_factor: fields
                .integer("backoffScaleFactor")?
                .unwrap_or(defaults.backoff_scale_factor),
            max_retry_delay_seconds: fields
                .integer("maxRetryDelaySeconds")?
                .unwrap_or(defaults.max_retry_delay_seconds),
            backoff_jitter_ms: fields
                .integer("backoffJitterMs")?
                .unwrap_or(defaults.backoff_jitter_ms),
            concurrent_exec_limit: fields.integer("concurrentExecLimit")?,
            input_keys: fields.string_list("inputKeys")?,
            output_keys: fields.string_list("outputKeys")?,
            input_template: fields.object("inputTemplate")?,
            owner_email: fields.string("ownerEmail")?,
            name,
        })
    }
}

impl WorkflowDef {
    /// Reads a WorkflowDef JSON object.
    pub fn from_json(json: &Value) -> Result<WorkflowDef, String> {
        WorkflowDef::read(json, String::new(), 0)
    }

    fn read(json: &Value, path: String, depth: usize) -> Result<WorkflowDef, String> {
        if depth > MAXIMUM_NESTING {
            return Err(format!(
                "{}: inline workflow definitions nest more than {MAXIMUM_NESTING} deep",
                display_path(&path)
            ));
        }
        let fields = Fields::new(json, path)?;
        let name = fields.string("name")?.unwrap_or_default();
        if name.trim().is_empty() {
            return Err(fields.located("WorkflowDef name cannot be null or empty"));
        }
        let tasks = fields.task_list("tasks", depth)?;
        Ok(WorkflowDef {
            description: fields.string("description")?,
            version: fields.integer("version")?.unwrap_or(1),
            tasks,
            input_parameters: fields.string_list("inputParameters")?,
            output_parameters: fields.object("outputParameters")?,
            failure_workflow: fields.string("failureWorkflow")?,
            failure_workflow_version: fields.integer("failureWorkflowVersion")?,
            schema_version: fields.integer("schemaVersion")?.unwrap_or(2),
            restartable: fields.boolean("restartable")?.unwrap_or(true),
            workflow_status_listener_enabled: fields
                .boolean("workflowStatusListenerEnabled")?
                .unwrap_or(false),
            owner_email: fields.string("ownerEmail")?,
            timeout_policy: fields
                .enumeration(
                    "timeoutPolicy",
                    &[
                        ("TIME_OUT_WF", WorkflowTimeoutPolicy::TimeOutWf),
                        ("ALERT_ONLY", WorkflowTimeoutPolicy::AlertOnly),
                    ],
                )?
                .unwrap_or_default(),
            timeout_seconds: fields.integer("timeoutSeconds")?.unwrap_or(0),
            variables: fields.object("variables")?,
            input_template: fields.object("inputTemplate")?,
            name,
        })
    }

    /// Every task of the definition, depth first in definition order (Conductor's
    /// `collectTasks`: SWITCH cases then default, fork branches, loop bodies).
    pub fn collect_tasks(&self) -> Vec<&Arc<WorkflowTask>> {
        let mut collected = Vec::new();
        let mut stack: Vec<&Arc<WorkflowTask>> = self.tasks.iter().rev().collect();
        while let Some(task) = stack.pop() {
            collected.push(task);
            let children: Vec<&Arc<WorkflowTask>> = task.children().flatten().collect();
            stack.extend(children.into_iter().rev());
        }
        collected
    }
}

impl WorkflowTask {
    /// Reads a WorkflowTask JSON object (`path` names it in errors, e.g. `tasks[2]`).
    pub fn from_json(json: &Value, path: &str) -> Result<WorkflowTask, String> {
        WorkflowTask::read(json, path.to_owned(), 0)
    }

    fn read(json: &Value, path: String, depth: usize) -> Result<WorkflowTask, String> {
        if depth > MAXIMUM_NESTING {
            return Err(format!(
                "{}: tasks nest more than {MAXIMUM_NESTING} deep",
                display_path(&path)
            ));
        }
        let fields = Fields::new(json, path)?;
        let name = fields.string("name")?.unwrap_or_default();
        let task_reference_name = fields.string("taskReferenceName")?.unwrap_or_default();
        if task_reference_name.is_empty() {
            return Err(
                fields.located("WorkflowTask taskReferenceName name cannot be empty or null")
            );
        }
        let decision_cases = match fields.get("decisionCases") {
            None => Vec::new(),
            Some(Value::Object(cases)) => {
                let mut read_cases = Vec::with_capacity(cases.len());
                for (case, tasks) in cases {
                    let case_path = format!("{}.decisionCases.{case}", fields.path);
                    read_cases.push((case.clone(), read_task_list(tasks, case_path, depth + 1)?));
                }
                read_cases
            }
            Some(other) => return Err(fields.wrong_kind("decisionCases", "an object", other)),
        };
        let fork_tasks = match fields.get("forkTasks") {
            None => Vec::new(),
            Some(Value::Array(branches)) => {
                let mut read_branches = Vec::with_capacity(branches.len());
                for (index, branch) in branches.iter().enumerate() {
                    let branch_path = format!("{}.forkTasks[{index}]", fields.path);
                    read_branches.push(read_task_list(branch, branch_path, depth + 1)?);
                }
                read_branches
            }
            Some(other) => return Err(fields.wrong_kind("forkTasks", "a list of lists", other)),
        };
        let sub_workflow_param = match fields.get("subWorkflowParam") {
            None => None,
            Some(value) => Some(SubWorkflowParams::read(
                value,
                format!("{}.subWorkflowParam", fields.path),
                depth,
            )?),
        };
        let task_definition = match fields.get("taskDefinition") {
            None => None,
            Some(value) => Some(Arc::new(TaskDef::from_json(value).map_err(|message| {
                format!("{}.taskDefinition: {message}", display_path(&fields.path))
            })?)),
        };
        Ok(WorkflowTask {
            description: fields.string("description")?,
            input_parameters: fields.object("inputParameters")?,
            task_type: fields
                .string("type")?
                .unwrap_or_else(|| "SIMPLE".to_owned()),
            dynamic_task_name_param: fields.string("dynamicTaskNameParam")?,
            case_value_param: fields.string("caseValueParam")?,
            case_expression: fields.string("caseExpression")?,
            script_expression: fields.string("scriptExpression")?,
            decision_cases,
            dynamic_fork_join_tasks_param: fields.string("dynamicForkJoinTasksParam")?,
            dynamic_fork_tasks_param: fields.string("dynamicForkTasksParam")?,
            dynamic_fork_tasks_input_param_name: fields.string("dynamicForkTasksInputParamName")?,
            default_case: fields.task_list("defaultCase", depth + 1)?,
            fork_tasks,
            start_delay: fields.integer("startDelay")?.unwrap_or(0),
            sub_workflow_param,
            join_on: fields.string_list("joinOn")?,
            sink: fields.string("sink")?,
            optional: fields.boolean("optional")?.unwrap_or(false),
            task_definition,
            default_exclusive_join_task: fields.string_list("defaultExclusiveJoinTask")?,
            async_complete: fields.boolean("asyncComplete")?.unwrap_or(false),
            loop_condition: fields.string("loopCondition")?,
            loop_over: fields.task_list("loopOver", depth + 1)?,
            items: fields.string("items")?,
            retry_count: fields.unsigned("retryCount")?,
            evaluator_type: fields.string("evaluatorType")?,
            expression: fields.string("expression")?,
            permissive: fields.boolean("permissive")?.unwrap_or(false),
            join_mode: fields.enumeration(
                "joinMode",
                &[("SYNC", JoinMode::Sync), ("ASYNC", JoinMode::Async)],
            )?,
            name,
            task_reference_name,
        })
    }

    /// The task lists nested in this task for its type (Conductor's `WorkflowTask.children`):
    /// SWITCH/DECISION cases then the default case, FORK_JOIN branches, the DO_WHILE body.
    pub fn children(&self) -> Box<dyn Iterator<Item = &Vec<Arc<WorkflowTask>>> + '_> {
        match self.task_type.as_str() {
            "SWITCH" | "DECISION" => Box::new(
                self.decision_cases
                    .iter()
                    .map(|(_, tasks)| tasks)
                    .chain(std::iter::once(&self.default_case)),
            ),
            "FORK_JOIN" => Box::new(self.fork_tasks.iter()),
            "DO_WHILE" => Box::new(std::iter::once(&self.loop_over)),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// Whether `reference` is this task or nested in it (Conductor's `WorkflowTask.has`).
    pub fn has(&self, reference: &str) -> bool {
        if self.task_reference_name == reference {
            return true;
        }
        self.children().flatten().any(|child| child.has(reference))
    }

    /// The tasks of a SWITCH/DECISION case, if the case exists.
    pub fn decision_case(&self, case: &str) -> Option<&Vec<Arc<WorkflowTask>>> {
        self.decision_cases
            .iter()
            .find(|(name, _)| name == case)
            .map(|(_, tasks)| tasks)
    }
}

impl SubWorkflowParams {
    fn read(json: &Value, path: String, depth: usize) -> Result<SubWorkflowParams, String> {
        let fields = Fields::new(json, path)?;
        let workflow_definition = match fields.get("workflowDefinition") {
            None => None,
            Some(Value::String(text)) => {
                if text.starts_with("${") && text.ends_with('}') {
                    Some(SubWorkflowDefinition::Expression(text.clone()))
                } else {
                    return Err(fields
                        .located("workflowDefinition is a string, but not a valid DSL string"));
                }
            }
            Some(value @ Value::Object(_)) => {
                Some(SubWorkflowDefinition::Inline(Arc::new(WorkflowDef::read(
                    value,
                    format!("{}.workflowDefinition", fields.path),
                    depth + 1,
                )?)))
            }
            Some(_) => {
                return Err(fields.located(
                    "workflowDefinition must be either null, or WorkflowDef, or a valid DSL string",
                ));
            }
        };
        let task_to_domain = match fields.get("taskToDomain") {
            None => None,
            Some(Value::Object(map)) => Some(map.clone()),
            Some(other) => return Err(fields.wrong_kind("taskToDomain", "an object", other)),
        };
        Ok(SubWorkflowParams {
            name: fields.string("name")?,
            version: fields.integer("version")?,
            task_to_domain,
            workflow_definition,
            idempotency_key: fields.string("idempotencyKey")?,
            idempotency_strategy: fields.string("idempotencyStrategy")?,
            priority: fields.get("priority").cloned(),
        })
    }

    /// The child's name: the inline definition's, else `name`.
    pub fn workflow_name(&self) -> Option<&str> {
        match &self.workflow_definition {
            Some(SubWorkflowDefinition::Inline(definition)) => Some(&definition.name),
            _ => self.name.as_deref(),
        }
    }
}

impl TryFrom<Value> for WorkflowDef {
    type Error = String;

    fn try_from(value: Value) -> Result<WorkflowDef, String> {
        WorkflowDef::from_json(&value)
    }
}

impl TryFrom<Value> for WorkflowTask {
    type Error = String;

    fn try_from(value: Value) -> Result<WorkflowTask, String> {
        WorkflowTask::from_json(&value, "")
    }
}

impl TryFrom<Value> for TaskDef {
    type Error = String;

    fn try_from(value: Value) -> Result<TaskDef, String> {
        TaskDef::from_json(&value)
    }
}

fn is_false(flag: &bool) -> bool {
    !*flag
}

fn is_zero(number: &i64) -> bool {
    *number == 0
}

fn serialize_cases<S: Serializer>(
    cases: &[(String, Vec<Arc<WorkflowTask>>)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(cases.len()))?;
    for (case, tasks) in cases {
        map.serialize_entry(case, tasks)?;
    }
    map.end()
}

fn read_task_list(
    json: &Value,
    path: String,
    depth: usize,
) -> Result<Vec<Arc<WorkflowTask>>, String> {
    match json {
        Value::Null => Ok(Vec::new()),
        Value::Array(tasks) => tasks
            .iter()
            .enumerate()
            .map(|(index, task)| {
                WorkflowTask::read(task, format!("{path}[{index}]"), depth).map(Arc::new)
            })
            .collect(),
        other => Err(format!(
            "{}: expected a list of tasks, found {}",
            display_path(&path),
            kind_of(other)
        )),
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(top level)" } else { path }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The fields of one JSON object, read with Jackson's leniency; errors name `path.key`.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    fn new(json: &'a Value, path: String) -> Result<Fields<'a>, String> {
        match json {
            Value::Object(object) => Ok(Fields { object, path }),
            other => Err(format!(
                "{}: expected an object, found {}",
                display_path(&path),
                kind_of(other)
            )),
        }
    }

    /// The value of `key`, `None` when absent or null (null keeps the default, as in Jackson).
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|value| !value.is_null())
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn located(&self, message: &str) -> String {
        format!("{}: {message}", display_path(&self.path))
    }

    fn wrong_kind(&self, key: &str, expected: &str, found: &Value) -> String {
        format!(
            "{}: expected {expected}, found {}",
            self.key_path(key),
            kind_of(found)
        )
    }

    fn string(&self, key: &str) -> Result<Option<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(Value::Bool(flag)) => Ok(Some(flag.to_string())),
            Some(other) => Err(self.wrong_kind(key, "a string", other)),
        }
    }

    fn integer(&self, key: &str) -> Result<Option<i64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(number)) => {
                if let Some(integer) = number.as_i64() {
                    Ok(Some(integer))
                } else if let Some(float) = number.as_f64().filter(|float| float.is_finite()) {
                    // Jackson truncates a float given for an integer field.
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(Some(float.trunc() as i64))
                } else {
                    Err(format!("{}: {number} is out of range", self.key_path(key)))
                }
            }
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => text.trim().parse::<i64>().map(Some).map_err(|_| {
                format!(
                    "{}: expected an integer, found the string {text:?}",
                    self.key_path(key)
                )
            }),
            Some(other) => Err(self.wrong_kind(key, "an integer", other)),
        }
    }

    fn unsigned(&self, key: &str) -> Result<Option<u32>, String> {
        match self.integer(key)? {
            None => Ok(None),
            Some(integer) => u32::try_from(integer).map(Some).map_err(|_| {
                format!(
                    "{}: {integer} must be a count between 0 and {}",
                    self.key_path(key),
                    u32::MAX
                )
            }),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::String(text)) => match text.trim() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                "" => Ok(None),
                _ => Err(format!(
                    "{}: expected a boolean, found the string {text:?}",
                    self.key_path(key)
                )),
            },
            Some(Value::Number(number)) => Ok(Some(number.as_f64().is_some_and(|n| n != 0.0))),
            Some(other) => Err(self.wrong_kind(key, "a boolean", other)),
        }
    }

    fn object(&self, key: &str) -> Result<Map<String, Value>, String> {
        match self.get(key) {
            None => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(other) => Err(self.wrong_kind(key, "an object", other)),
        }
    }

    fn string_list(&self, key: &str) -> Result<Vec<String>, String> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::String(text) => Ok(text.clone()),
                    Value::Number(number) => Ok(number.to_string()),
                    Value::Bool(flag) => Ok(flag.to_string()),
                    other => Err(format!(
                        "{}[{index}]: expected a string, found {}",
                        self.key_path(key),
                        kind_of(other)
                    )),
                })
                .collect(),
            Some(other) => Err(self.wrong_kind(key, "a list of strings", other)),
        }
    }

    fn task_list(&self, key: &str, depth: usize) -> Result<Vec<Arc<WorkflowTask>>, String> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(value) => read_task_list(value, self.key_path(key), depth),
        }
    }

    fn enumeration<T: Copy>(&self, key: &str, values: &[(&str, T)]) -> Result<Option<T>, String> {
        match self.string(key)? {
            None => Ok(None),
            Some(text) => values
                .iter()
                .find(|(name, _)| *name == text)
                .map(|(_, value)| Some(*value))
                .ok_or_else(|| {
                    let names: Vec<&str> = values.iter().map(|(name, _)| *name).collect();
                    format!(
                        "{}: {text:?} is not one of {}",
                        self.key_path(key),
                        names.join(", ")
                    )
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defaults_are_conductors() {
        let definition = WorkflowDef::from_json(&json!({
            "name": "w",
            "tasks": [{"name": "a", "taskReferenceName": "a"}]
        }));
        let Ok(definition) = definition else {
            panic!("{definition:?}")
        };
        assert_eq!(definition.version, 1);
        assert_eq!(definition.schema_version, 2);
        assert_eq!(definition.timeout_policy, WorkflowTimeoutPolicy::AlertOnly);
        assert_eq!(definition.tasks[0].task_type, "SIMPLE");
        let task_def = TaskDef::named("x");
        assert_eq!(task_def.retry_count, 3);
        assert_eq!(task_def.retry_delay_seconds, 60);
        assert_eq!(task_def.response_timeout_seconds, 3600);
        assert_eq!(task_def.timeout_policy, TimeoutPolicy::TimeOutWf);
        let ad_hoc = TaskDef::ad_hoc("inline", false);
        assert_eq!(
            (ad_hoc.retry_count, ad_hoc.response_timeout_seconds),
            (0, 0)
        );
    }

    #[test]
    fn scalars_are_coerced_and_nulls_keep_defaults() {
        let task_def = TaskDef::from_json(&json!({
            "name": "t", "retryCount": "5", "timeoutSeconds": 10.7, "retryDelaySeconds": null,
            "unknownKey": [1, 2]
        }));
        let Ok(task_def) = task_def else {
            panic!("{task_def:?}")
        };
        assert_eq!(task_def.retry_count, 5);
        assert_eq!(task_def.timeout_seconds, 10);
        assert_eq!(task_def.retry_delay_seconds, 60);
        let task = WorkflowTask::from_json(
            &json!({"name": "a", "taskReferenceName": "a", "optional": "true", "startDelay": "3"}),
            "tasks[0]",
        );
        let Ok(task) = task else { panic!("{task:?}") };
        assert!(task.optional);
        assert_eq!(task.start_delay, 3);
    }

    #[test]
    fn wrong_kinds_are_errors_with_their_path() {
        let cases = [
            (
                json!({"name": "w", "tasks": [{"name": "a", "taskReferenceName": "a", "forkTasks": [[{"name": "b", "taskReferenceName": "b", "optional": [1]}]]}]}),
                "tasks[0].forkTasks[0][0].optional: expected a boolean, found a list",
            ),
            (
                json!({"name": "w", "tasks": "nope"}),
                "tasks: expected a list of tasks, found a string",
            ),
            (
                json!({"name": "w", "tasks": [], "timeoutPolicy": "FOO"}),
                "timeoutPolicy: \"FOO\" is not one of TIME_OUT_WF, ALERT_ONLY",
            ),
            (
                json!({"tasks": []}),
                "(top level): WorkflowDef name cannot be null or empty",
            ),
            (
                json!({"name": "w", "tasks": [{"name": "a"}]}),
                "tasks[0]: WorkflowTask taskReferenceName name cannot be empty or null",
            ),
            (
                json!({"name": "w", "tasks": [{"name": "a", "taskReferenceName": "a", "subWorkflowParam": {"workflowDefinition": "x"}}]}),
                "tasks[0].subWorkflowParam: workflowDefinition is a string, but not a valid DSL string",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(
                WorkflowDef::from_json(&json).err().as_deref(),
                Some(expected)
            );
        }
    }

    #[test]
    fn collect_tasks_walks_depth_first_in_definition_order() {
        let definition = WorkflowDef::from_json(&json!({
            "name": "w",
            "tasks": [
                {"name": "s", "taskReferenceName": "s", "type": "SWITCH",
                 "decisionCases": {"x": [{"name": "a", "taskReferenceName": "a"}]},
                 "defaultCase": [{"name": "b", "taskReferenceName": "b"}]},
                {"name": "l", "taskReferenceName": "l", "type": "DO_WHILE",
                 "loopOver": [{"name": "c", "taskReferenceName": "c"}]},
                {"name": "d", "taskReferenceName": "d"}
            ]
        }));
        let Ok(definition) = definition else {
            panic!("{definition:?}")
        };
        let references: Vec<&str> = definition
            .collect_tasks()
            .iter()
            .map(|task| task.task_reference_name.as_str())
            .collect();
        assert_eq!(references, ["s", "a", "b", "l", "c", "d"]);
        assert!(definition.tasks[0].has("b"));
        assert!(!definition.tasks[0].has("c"));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut task = json!({"name": "leaf", "taskReferenceName": "leaf"});
        for level in 0..200 {
            task = json!({"name": "l", "taskReferenceName": format!("l{level}"), "type": "DO_WHILE", "loopOver": [task]});
        }
        let result = WorkflowDef::from_json(&json!({"name": "w", "tasks": [task]}));
        assert!(
            result
                .as_ref()
                .err()
                .is_some_and(|message| message.contains("nest more than")),
            "{result:?}"
        );
    }

    #[test]
    fn definitions_serialize_back_to_conductor_json() {
        let json = json!({
            "name": "w", "version": 2, "schemaVersion": 2,
            "tasks": [{"name": "s", "taskReferenceName": "s", "type": "SWITCH", "evaluatorType": "value-param",
                       "expression": "k", "decisionCases": {"b": [], "a": []}}]
        });
        let definition = WorkflowDef::from_json(&json);
        let Ok(definition) = definition else {
            panic!("{definition:?}")
        };
        let back = serde_json::to_value(&definition).unwrap_or_default();
        assert_eq!(back["tasks"][0]["type"], "SWITCH");
        let cases: Vec<&String> = back["tasks"][0]["decisionCases"]
            .as_object()
            .map(|cases| cases.keys().collect())
            .unwrap_or_default();
        assert_eq!(cases, ["b", "a"]);
        let again: Result<WorkflowDef, _> = serde_json::from_value(back);
        assert_eq!(again.ok(), Some(definition));
    }
}
