//! Turning a definition task into the task records to schedule: Conductor's task mappers
//! (`core/…/execution/mapper/*TaskMapper.java`) and `DeciderService.getTasksToBeScheduled`.
//!
//! A mapper resolves the task's input (§D), picks the runtime type and initial status, and for
//! the operators schedules more: SWITCH maps the first task of the chosen case, FORK_JOIN the
//! first task of every branch and its JOIN, FORK_JOIN_DYNAMIC one task per forked input and the
//! JOIN with the forked references. Mappers only plan; the decide pass adds what survives
//! Conductor's de-duplication. A definition that cannot be mapped ends the workflow the way
//! Conductor's `TerminateWorkflowException` does, with Conductor's message.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::decider::Run;
use super::state::{ExecutionId, Kind, Planned, Roots, TaskExtra, new_task};
use crate::definition::{SubWorkflowDefinition, SubWorkflowParams, TaskDef, WorkflowTask};
use crate::execution::{TaskStatus, Workflow, WorkflowStatus};
use crate::parameters::{ResolutionContext, resolve_map};
use crate::script;

/// Ends a workflow (Conductor's `TerminateWorkflowException`): the reason, the status the
/// workflow gets, and the task that caused it.
#[derive(Debug, Clone)]
pub(super) struct Terminate {
    pub(super) reason: String,
    pub(super) status: WorkflowStatus,
    pub(super) task: Option<usize>,
}

impl Terminate {
    pub(super) fn failed(reason: impl Into<String>) -> Terminate {
        Terminate {
            reason: reason.into(),
            status: WorkflowStatus::Failed,
            task: None,
        }
    }
}

/// The system task types the engine runs itself, by the `type` string of a definition task.
pub(super) fn kind_of_type(task_type: &str) -> Kind {
    match task_type {
        "HTTP" => Kind::Http,
        "SWITCH" => Kind::Switch,
        "DECISION" => Kind::Decision,
        "FORK_JOIN" | "FORK_JOIN_DYNAMIC" => Kind::Fork,
        "JOIN" => Kind::Join,
        "EXCLUSIVE_JOIN" => Kind::ExclusiveJoin,
        "DO_WHILE" => Kind::DoWhile,
        "SUB_WORKFLOW" => Kind::SubWorkflow,
        "START_WORKFLOW" => Kind::StartWorkflow,
        "WAIT" => Kind::Wait,
        "HUMAN" => Kind::Human,
        "INLINE" => Kind::Inline,
        "LAMBDA" => Kind::Lambda,
        "JSON_JQ_TRANSFORM" => Kind::JsonJq,
        "SET_VARIABLE" => Kind::SetVariable,
        "TERMINATE" => Kind::Terminate,
        "EVENT" => Kind::Event,
        "NOOP" => Kind::Noop,
        _ => Kind::Worker,
    }
}

/// Conductor's system task types (`SystemTaskRegistry.isSystemTask`), for the
/// FORK_JOIN_DYNAMIC rule that a system `forkTaskType` names the forked tasks.
fn is_system_type(task_type: &str) -> bool {
    kind_of_type(task_type) != Kind::Worker
        || matches!(task_type, "FORK" | "KAFKA_PUBLISH" | "JSON_JQ_TRANSFORM")
}

/// What a DYNAMIC task named `name` runs as: the system types that need no further definition
/// fields run as themselves (Conductor queues the task under that type), everything else is a
/// worker task.
fn kind_of_dynamic_name(name: &str) -> Kind {
    match kind_of_type(name) {
        kind @ (Kind::Http
        | Kind::Inline
        | Kind::Lambda
        | Kind::JsonJq
        | Kind::Noop
        | Kind::Human
        | Kind::Wait
        | Kind::SetVariable) => kind,
        _ => Kind::Worker,
    }
}

/// Java's `"" + value` / `String.valueOf(value)` of a JSON value (SWITCH and DECISION case
/// values, DYNAMIC task names).
pub(super) fn java_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::String(text) => text.clone(),
        Value::Number(number) => {
            if number.is_i64() || number.is_u64() {
                number.to_string()
            } else {
                java_double(number.as_f64().unwrap_or(0.0))
            }
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(java_string).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(key, value)| format!("{key}={}", java_string(value)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Java's `Double.toString`: `1.0`, `1.5`, `1.0E10`, `1.0E-5`.
fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let text = value.to_string();
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let text = format!("{value:E}");
        match text.split_once('E') {
            Some((mantissa, exponent)) if !mantissa.contains('.') => {
                format!("{mantissa}.0E{exponent}")
            }
            _ => text,
        }
    }
}

impl Run {
    /// The task definition Conductor attaches to a definition task when the workflow starts
    /// (`MetadataMapperService.populateWorkflowTaskWithDefinition`): the inline one, else the
    /// registered one, else an ad-hoc one.
    pub(super) fn populated_task_def(
        &mut self,
        workflow_task: &WorkflowTask,
    ) -> Option<Arc<TaskDef>> {
        if let Some(inline) = &workflow_task.task_definition {
            return Some(Arc::clone(inline));
        }
        if workflow_task.name.trim().is_empty() {
            return None;
        }
        if let Some(registered) = self.definitions.task_def(&workflow_task.name) {
            return Some(Arc::clone(registered));
        }
        let simple = workflow_task.task_type == "SIMPLE";
        Some(Arc::clone(
            self.ad_hoc_task_defs
                .entry((workflow_task.name.clone(), simple))
                .or_insert_with(|| Arc::new(TaskDef::ad_hoc(&workflow_task.name, simple))),
        ))
    }

    /// `ParametersUtils.getTaskInputV2`: the task definition's `inputTemplate` fills absent keys,
    /// the template is resolved against the §D.2 document, and keys that resolved to null take
    /// the `inputTemplate` value.
    pub(super) fn resolve_input(
        &mut self,
        execution: ExecutionId,
        template: &Map<String, Value>,
        task_id: Option<&str>,
        task_def: Option<&TaskDef>,
    ) -> Map<String, Value> {
        let defaults = task_def
            .map(|definition| &definition.input_template)
            .filter(|defaults| !defaults.is_empty());
        let roots = Roots::of(
            template
                .values()
                .chain(defaults.into_iter().flat_map(Map::values)),
        );
        let Some(state) = self.executions.get_mut(execution) else {
            return Map::new();
        };
        if !roots.is_empty() {
            state.prepare_document(&roots);
        }
        let context = ResolutionContext {
            document: &state.document,
            current_task_id: task_id,
        };
        match defaults {
            None => resolve_map(template, &context),
            Some(defaults) => {
                let mut parameters = template.clone();
                for (key, value) in defaults {
                    if !parameters.contains_key(key) {
                        parameters.insert(key.clone(), value.clone());
                    }
                }
                let mut resolved = resolve_map(&parameters, &context);
                for (key, value) in &mut resolved {
                    if value.is_null()
                        && let Some(default) = defaults.get(key)
                    {
                        *value = default.clone();
                    }
                }
                resolved
            }
        }
    }

    /// `DeciderService.getTasksToBeScheduled`: maps a definition task and drops the tasks whose
    /// reference already has a task IN_PROGRESS or terminal.
    pub(super) fn tasks_to_schedule(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        retry_count: u32,
        retried_task_id: Option<&str>,
    ) -> Result<Vec<Planned>, Terminate> {
        let planned = self.map_task(execution, workflow_task, retry_count, retried_task_id)?;
        let Some(state) = self.executions.get(execution) else {
            return Ok(Vec::new());
        };
        Ok(planned
            .into_iter()
            .filter(|planned| !state.has_started_or_finished(&planned.task.reference_task_name))
            .collect())
    }

    /// A task record for `workflow_task` with a fresh id (`TaskMapperContext.createTaskModel`).
    fn create_task(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        kind: Kind,
        task_def: Option<Arc<TaskDef>>,
    ) -> Planned {
        let task_id = self.ids.next_id();
        let now = self.clock.now_milliseconds();
        let task = match self.executions.get(execution) {
            Some(state) => new_task(&state.workflow, workflow_task, task_id, now),
            None => new_task(&Workflow::default(), workflow_task, task_id, now),
        };
        Planned {
            task,
            extra: TaskExtra::new(kind, Arc::clone(workflow_task), task_def),
        }
    }

    /// The mapper of the definition task's type.
    fn map_task(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        retry_count: u32,
        retried_task_id: Option<&str>,
    ) -> Result<Vec<Planned>, Terminate> {
        let now = self.clock.now_milliseconds();
        let task_def = self.populated_task_def(workflow_task);
        let mut planned: Vec<Planned> = match workflow_task.task_type.as_str() {
            "SIMPLE" => {
                let mut planned =
                    self.create_task(execution, workflow_task, Kind::Worker, task_def.clone());
                let definition = task_def
                    .clone()
                    .unwrap_or_else(|| Arc::new(TaskDef::named("")));
                planned.task.task_type = workflow_task.name.clone();
                planned.task.input_data = self.resolve_input(
                    execution,
                    &workflow_task.input_parameters,
                    Some(&planned.task.task_id),
                    Some(&definition),
                );
                planned.task.start_delay_in_seconds = workflow_task.start_delay;
                planned.task.callback_after_seconds = workflow_task.start_delay;
                planned.task.response_timeout_seconds = definition.response_timeout_seconds;
                planned.extra.queue_delay_milliseconds =
                    seconds_to_milliseconds(workflow_task.start_delay);
                vec![planned]
            }
            "DYNAMIC" => vec![self.map_dynamic(execution, workflow_task, task_def)?],
            "HTTP" => {
                let mut planned =
                    self.create_task(execution, workflow_task, Kind::Http, task_def.clone());
                let mut parameters = workflow_task.input_parameters.clone();
                parameters.insert("asyncComplete".into(), workflow_task.async_complete.into());
                planned.task.input_data = self.resolve_input(
                    execution,
                    &parameters,
                    Some(&planned.task.task_id),
                    task_def.as_deref(),
                );
                planned.task.callback_after_seconds = workflow_task.start_delay;
                planned.extra.queue_delay_milliseconds =
                    seconds_to_milliseconds(workflow_task.start_delay);
                vec![planned]
            }
            "SWITCH" => self.map_switch(execution, workflow_task, retry_count, retried_task_id)?,
            "DECISION" => {
                self.map_decision(execution, workflow_task, retry_count, retried_task_id)?
            }
            "FORK_JOIN" => self.map_fork(execution, workflow_task, retry_count)?,
            "FORK_JOIN_DYNAMIC" => self.map_dynamic_fork(execution, workflow_task, retry_count)?,
            "JOIN" => {
                let mut planned = self.create_task(execution, workflow_task, Kind::Join, task_def);
                planned.task.task_type = "JOIN".into();
                planned.task.task_def_name = "JOIN".into();
                planned
                    .task
                    .input_data
                    .insert("joinOn".into(), Value::from(workflow_task.join_on.clone()));
                planned.task.start_time = now;
                planned.task.status = TaskStatus::InProgress;
                vec![planned]
            }
            "EXCLUSIVE_JOIN" => {
                let mut planned =
                    self.create_task(execution, workflow_task, Kind::ExclusiveJoin, task_def);
                planned.task.task_type = "EXCLUSIVE_JOIN".into();
                planned.task.task_def_name = "EXCLUSIVE_JOIN".into();
                planned
                    .task
                    .input_data
                    .insert("joinOn".into(), Value::from(workflow_task.join_on.clone()));
                planned.task.input_data.insert(
                    "defaultExclusiveJoinTask".into(),
                    Value::from(workflow_task.default_exclusive_join_task.clone()),
                );
                planned.task.start_time = now;
                planned.task.status = TaskStatus::InProgress;
                vec![planned]
            }
            "DO_WHILE" => {
                let terminal_already = self
                    .executions
                    .get(execution)
                    .and_then(|state| {
                        state
                            .latest(&workflow_task.task_reference_name)
                            .and_then(|index| state.task(index))
                    })
                    .is_some_and(|task| task.status.is_terminal());
                if terminal_already {
                    return Ok(Vec::new());
                }
                let mut planned =
                    self.create_task(execution, workflow_task, Kind::DoWhile, task_def.clone());
                planned.task.task_type = "DO_WHILE".into();
                planned.task.status = TaskStatus::InProgress;
                planned.task.start_time = now;
                planned.task.retry_count = retry_count;
                planned.task.input_data = self.resolve_input(
                    execution,
                    &workflow_task.input_parameters,
                    Some(&planned.task.task_id),
                    task_def.as_deref(),
                );
                vec![planned]
            }
            "SUB_WORKFLOW" => vec![self.map_sub_workflow(execution, workflow_task, task_def)?],
            "START_WORKFLOW" => {
                let mut planned =
                    self.create_task(execution, workflow_task, Kind::StartWorkflow, task_def);
                planned.task.task_type = "START_WORKFLOW".into();
                planned.task.input_data =
                    self.resolve_input(execution, &workflow_task.input_parameters, None, None);
                planned.task.callback_after_seconds = workflow_task.start_delay;
                planned.extra.queue_delay_milliseconds =
                    seconds_to_milliseconds(workflow_task.start_delay);
                vec![planned]
            }
            "WAIT" | "HUMAN" | "TERMINATE" => {
                let kind = kind_of_type(&workflow_task.task_type);
                let mut planned = self.create_task(execution, workflow_task, kind, task_def);
                planned.task.task_type = workflow_task.task_type.clone();
                planned.task.input_data = self.resolve_input(
                    execution,
                    &workflow_task.input_parameters,
                    Some(&planned.task.task_id),
                    None,
                );
                planned.task.start_time = now;
                planned.task.status = TaskStatus::InProgress;
                vec![planned]
            }
            "INLINE" | "LAMBDA" | "JSON_JQ_TRANSFORM" => {
                let kind = kind_of_type(&workflow_task.task_type);
                let mut planned =
                    self.create_task(execution, workflow_task, kind, task_def.clone());
                planned.task.task_type = workflow_task.task_type.clone();
                planned.task.input_data = self.resolve_input(
                    execution,
                    &workflow_task.input_parameters,
                    Some(&planned.task.task_id),
                    task_def.as_deref(),
                );
                planned.task.start_time = now;
                planned.task.status = TaskStatus::InProgress;
                vec![planned]
            }
            "SET_VARIABLE" => {
                let mut planned =
                    self.create_task(execution, workflow_task, Kind::SetVariable, task_def);
                planned.task.input_data =
                    self.resolve_input(execution, &workflow_task.input_parameters, None, None);
                planned.task.start_time = now;
                planned.task.status = TaskStatus::InProgress;
                vec![planned]
            }
            "EVENT" => {
                let mut planned = self.create_task(execution, workflow_task, Kind::Event, task_def);
                let mut parameters = workflow_task.input_parameters.clone();
                parameters.insert(
                    "sink".into(),
                    workflow_task.sink.clone().map_or(Value::Null, Value::from),
                );
                parameters.insert("asyncComplete".into(), workflow_task.async_complete.into());
                planned.task.task_type = "EVENT".into();
                planned.task.input_data =
                    self.resolve_input(execution, &parameters, Some(&planned.task.task_id), None);
                vec![planned]
            }
            "NOOP" => {
                let mut planned = self.create_task(execution, workflow_task, Kind::Noop, task_def);
                planned.task.task_type = "NOOP".into();
                planned.task.start_time = now;
                planned.task.status = TaskStatus::InProgress;
                vec![planned]
            }
            _ => vec![self.map_user_defined(execution, workflow_task, task_def)?],
        };
        // SIMPLE, DYNAMIC, USER_DEFINED and HTTP take the retry count from the context (the
        // other mappers leave it 0), SIMPLE and DYNAMIC also the retried task's id.
        if let Some(first) = planned.first_mut()
            && (matches!(
                workflow_task.task_type.as_str(),
                "SIMPLE" | "DYNAMIC" | "HTTP"
            ) || first.extra.kind == Kind::Worker)
        {
            first.task.retry_count = retry_count;
            if matches!(workflow_task.task_type.as_str(), "SIMPLE" | "DYNAMIC") {
                first.task.retried_task_id = retried_task_id.map(str::to_owned);
            }
        }
        Ok(planned)
    }

    /// `UserDefinedTaskMapper` (and KAFKA_PUBLISH and the other types the runtime hands to the
    /// workers): queued under the type name; needs a task definition.
    fn map_user_defined(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        task_def: Option<Arc<TaskDef>>,
    ) -> Result<Planned, Terminate> {
        let definition = task_def
            .or_else(|| self.definitions.task_def(&workflow_task.name).cloned())
            .ok_or_else(|| {
                Terminate::failed(format!(
                    "Invalid task specified. Cannot find task by name {} in the task definitions",
                    workflow_task.name
                ))
            })?;
        let mut planned = self.create_task(
            execution,
            workflow_task,
            Kind::Worker,
            Some(Arc::clone(&definition)),
        );
        planned.task.input_data = self.resolve_input(
            execution,
            &workflow_task.input_parameters,
            Some(&planned.task.task_id),
            Some(&definition),
        );
        planned.task.callback_after_seconds = workflow_task.start_delay;
        planned.extra.queue_delay_milliseconds = seconds_to_milliseconds(workflow_task.start_delay);
        Ok(planned)
    }

    /// `DynamicTaskMapper`: the task name comes from the input; the task definition stays the
    /// one of the definition task (Conductor populates it before the name is known).
    fn map_dynamic(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        task_def: Option<Arc<TaskDef>>,
    ) -> Result<Planned, Terminate> {
        let context_input =
            self.resolve_input(execution, &workflow_task.input_parameters, None, None);
        let parameter = workflow_task
            .dynamic_task_name_param
            .clone()
            .unwrap_or_default();
        let name = match context_input.get(&parameter) {
            Some(value) if !value.is_null() => java_string(value),
            _ => {
                return Err(Terminate::failed(format!(
                    "Cannot map a dynamic task based on the parameter and input. Parameter= {parameter}, input= {}",
                    java_string(&Value::Object(context_input))
                )));
            }
        };
        let definition = task_def
            .or_else(|| self.definitions.task_def(&name).cloned())
            .ok_or_else(|| {
                Terminate::failed(format!(
                    "Invalid task specified.  Cannot find task by name {name} in the task definitions"
                ))
            })?;
        let mut renamed = (**workflow_task).clone();
        renamed.name.clone_from(&name);
        let renamed = Arc::new(renamed);
        let kind = kind_of_dynamic_name(&name);
        let mut planned =
            self.create_task(execution, &renamed, kind, Some(Arc::clone(&definition)));
        planned.task.input_data = self.resolve_input(
            execution,
            &workflow_task.input_parameters,
            Some(&planned.task.task_id),
            Some(&definition),
        );
        planned.task.start_delay_in_seconds = workflow_task.start_delay;
        planned.task.callback_after_seconds = workflow_task.start_delay;
        planned.task.response_timeout_seconds = definition.response_timeout_seconds;
        planned.task.task_type = name;
        planned.extra.queue_delay_milliseconds = seconds_to_milliseconds(workflow_task.start_delay);
        if kind != Kind::Worker {
            planned.task.status = if matches!(kind, Kind::Http) {
                TaskStatus::Scheduled
            } else {
                TaskStatus::InProgress
            };
            if planned.task.status == TaskStatus::InProgress {
                planned.task.start_time = self.clock.now_milliseconds();
            }
        }
        Ok(planned)
    }

    /// `SwitchTaskMapper`.
    fn map_switch(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        retry_count: u32,
        retried_task_id: Option<&str>,
    ) -> Result<Vec<Planned>, Terminate> {
        let input = self.resolve_input(execution, &workflow_task.input_parameters, None, None);
        let evaluator = workflow_task.evaluator_type.clone().unwrap_or_default();
        let expression = workflow_task.expression.clone().unwrap_or_default();
        let evaluated: Result<Value, String> = match evaluator.as_str() {
            "value-param" => Ok(input.get(&expression).cloned().unwrap_or(Value::Null)),
            "javascript" | "graaljs" => script::evaluate(
                &expression,
                &Value::Object(input.clone()),
                &self.options.script_limits,
            )
            .map_err(|error| error.to_string()),
            _ => {
                return Err(Terminate::failed(format!(
                    "No evaluator registered for type: {}",
                    workflow_task.evaluator_type.as_deref().unwrap_or("null")
                )));
            }
        };
        let mut switch = self.create_task(execution, workflow_task, Kind::Switch, None);
        switch.task.task_type = "SWITCH".into();
        switch.task.task_def_name = "SWITCH".into();
        switch.task.input_data = input;
        switch.task.start_time = self.clock.now_milliseconds();
        let case = match evaluated {
            Ok(value) => java_string(&value),
            Err(message) => {
                switch.task.status = TaskStatus::Failed;
                switch.task.reason_for_incompletion = Some(message);
                return Ok(vec![switch]);
            }
        };
        switch
            .task
            .input_data
            .insert("case".into(), case.clone().into());
        switch
            .task
            .output_data
            .insert("evaluationResult".into(), Value::from(vec![case.clone()]));
        switch
            .task
            .output_data
            .insert("selectedCase".into(), case.clone().into());
        switch.task.status = TaskStatus::InProgress;
        let selected = workflow_task
            .decision_case(&case)
            .unwrap_or(&workflow_task.default_case)
            .first()
            .cloned();
        let mut planned = Vec::new();
        if let Some(first) = selected {
            switch
                .task
                .input_data
                .insert("hasChildren".into(), "true".into());
            planned = self.tasks_to_schedule(execution, &first, retry_count, retried_task_id)?;
        }
        planned.insert(0, switch);
        Ok(planned)
    }

    /// `DecisionTaskMapper` (deprecated DECISION).
    fn map_decision(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        retry_count: u32,
        retried_task_id: Option<&str>,
    ) -> Result<Vec<Planned>, Terminate> {
        let input = self.resolve_input(execution, &workflow_task.input_parameters, None, None);
        let case = match workflow_task
            .case_expression
            .as_deref()
            .filter(|expression| !expression.trim().is_empty())
        {
            Some(expression) => {
                match script::evaluate(
                    expression,
                    &Value::Object(input.clone()),
                    &self.options.script_limits,
                ) {
                    Ok(value) => java_string(&value),
                    Err(_) => {
                        return Err(Terminate::failed(format!(
                            "Error while evaluating script: {expression}"
                        )));
                    }
                }
            }
            None => {
                let parameter = workflow_task.case_value_param.clone().unwrap_or_default();
                java_string(input.get(&parameter).unwrap_or(&Value::Null))
            }
        };
        let mut decision = self.create_task(execution, workflow_task, Kind::Decision, None);
        decision.task.task_type = "DECISION".into();
        decision.task.task_def_name = "DECISION".into();
        decision.task.input_data = input;
        decision
            .task
            .input_data
            .insert("case".into(), case.clone().into());
        decision
            .task
            .output_data
            .insert("caseOutput".into(), Value::from(vec![case.clone()]));
        decision.task.start_time = self.clock.now_milliseconds();
        decision.task.status = TaskStatus::InProgress;
        let selected = workflow_task
            .decision_case(&case)
            .filter(|tasks| !tasks.is_empty())
            .unwrap_or(&workflow_task.default_case)
            .first()
            .cloned();
        let mut planned = Vec::new();
        if let Some(first) = selected {
            decision
                .task
                .input_data
                .insert("hasChildren".into(), "true".into());
            planned = self.tasks_to_schedule(execution, &first, retry_count, retried_task_id)?;
        }
        planned.insert(0, decision);
        Ok(planned)
    }

    /// `ForkJoinTaskMapper`: the FORK (COMPLETED at once), the first task of each branch, and
    /// the JOIN that must follow.
    fn map_fork(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        retry_count: u32,
    ) -> Result<Vec<Planned>, Terminate> {
        let now = self.clock.now_milliseconds();
        let input = self.resolve_input(execution, &workflow_task.input_parameters, None, None);
        let mut fork = self.create_task(execution, workflow_task, Kind::Fork, None);
        fork.task.task_type = "FORK".into();
        fork.task.task_def_name = "FORK".into();
        fork.task.start_time = now;
        fork.task.end_time = now;
        fork.task.input_data = input;
        fork.task.status = TaskStatus::Completed;
        let mut planned = vec![fork];
        for (index, branch) in workflow_task.fork_tasks.iter().enumerate() {
            let Some(first) = branch.first() else {
                return Err(Terminate::failed(format!(
                    "Branch {index} of the fork task {} is empty. Check the blueprint",
                    workflow_task.task_reference_name
                )));
            };
            let first = Arc::clone(first);
            planned.extend(self.tasks_to_schedule(execution, &first, retry_count, None)?);
        }
        let join = self
            .following_join(execution, workflow_task)
            .ok_or_else(|| {
                Terminate::failed(
                    "Fork task definition is not followed by a join task.  Check the blueprint",
                )
            })?;
        planned.extend(self.tasks_to_schedule(execution, &join, retry_count, None)?);
        Ok(planned)
    }

    /// The definition task after a fork, if it is a JOIN.
    fn following_join(
        &self,
        execution: ExecutionId,
        workflow_task: &WorkflowTask,
    ) -> Option<Arc<WorkflowTask>> {
        self.executions
            .get(execution)?
            .navigation
            .next(&workflow_task.task_reference_name)
            .filter(|next| next.task_type == "JOIN")
            .cloned()
    }

    /// `ForkJoinDynamicTaskMapper`.
    fn map_dynamic_fork(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        retry_count: u32,
    ) -> Result<Vec<Planned>, Terminate> {
        let input = self.resolve_input(execution, &workflow_task.input_parameters, None, None);
        let another_dynamic_fork = self.executions.get(execution).is_some_and(|state| {
            state
                .extras
                .iter()
                .any(|extra| extra.workflow_task.task_type == "FORK_JOIN_DYNAMIC")
        });
        let (forked, forked_inputs) =
            match self.simple_dynamic_tasks(workflow_task, &input, another_dynamic_fork) {
                Some(simple) => simple,
                None => match &workflow_task.dynamic_fork_tasks_param {
                    Some(parameter) => {
                        self.dynamic_fork_tasks_and_input(workflow_task, parameter, &input)?
                    }
                    None => self.legacy_dynamic_fork_tasks(workflow_task, &input)?,
                },
            };
        let now = self.clock.now_milliseconds();
        let mut fork = self.create_task(execution, workflow_task, Kind::Fork, None);
        fork.task.task_type = "FORK".into();
        fork.task.task_def_name = "FORK".into();
        fork.task.start_time = now;
        fork.task.end_time = now;
        fork.task.executed = true;
        fork.task.input_data.insert(
            "forkedTasks".into(),
            forked
                .iter()
                .map(|task| Value::from(task.task_reference_name.as_str()))
                .collect(),
        );
        fork.task.input_data.insert(
            "forkedTaskDefs".into(),
            serde_json::to_value(&forked).unwrap_or(Value::Null),
        );
        fork.task.input_data.extend(input);
        fork.task.status = TaskStatus::Completed;
        let exists = self
            .executions
            .get(execution)
            .is_some_and(|state| state.latest(&workflow_task.task_reference_name).is_some());
        let mut planned = vec![fork];
        let mut join_on: Vec<Value> = Vec::new();
        if !exists {
            for forked_task in forked {
                let mut forked_task = forked_task;
                match forked_inputs.get(&forked_task.task_reference_name) {
                    None | Some(Value::Null) => {}
                    Some(Value::Object(extra_input)) => {
                        forked_task.input_parameters.extend(
                            extra_input
                                .iter()
                                .map(|(key, value)| (key.clone(), value.clone())),
                        );
                    }
                    Some(other) => {
                        return Err(Terminate::failed(format!(
                            "Tasks could not be dynamically forked due to invalid input: the input of {} is not a map but {}",
                            forked_task.task_reference_name,
                            java_string(other)
                        )));
                    }
                }
                let forked_task = Arc::new(forked_task);
                let tasks = self.tasks_to_schedule(execution, &forked_task, retry_count, None)?;
                let Some(last) = tasks.last() else {
                    let workflow_name = self
                        .executions
                        .get(execution)
                        .map(|state| state.workflow.workflow_name.clone())
                        .unwrap_or_default();
                    return Err(Terminate::failed(format!(
                        "No dynamic tasks could be created for the Workflow: {workflow_name}, Dynamic Fork Task: {}/{} attempted to create a duplicate task reference name: {}",
                        forked_task.name,
                        forked_task.task_reference_name,
                        forked_task.task_reference_name
                    )));
                };
                join_on.push(last.task.reference_task_name.clone().into());
                planned.extend(tasks);
            }
        }
        let join_task = self.following_join(execution, workflow_task).ok_or_else(|| {
            Terminate::failed(
                "Dynamic join definition is not followed by a join task.  Check the workflow definition.",
            )
        })?;
        let mut join = self.create_task(execution, &join_task, Kind::Join, None);
        join.task.task_type = "JOIN".into();
        join.task.task_def_name = "JOIN".into();
        join.task.start_time = now;
        join.task.input_data = join_task.input_parameters.clone();
        join.task
            .input_data
            .insert("joinOn".into(), Value::Array(join_on));
        join.task.status = TaskStatus::InProgress;
        planned.push(join);
        Ok(planned)
    }

    /// `getDynamicTasksSimple`: `forkTaskInputs` (a list) with `forkTaskName`/`forkTaskType` or
    /// `forkTaskWorkflow`/`forkTaskWorkflowVersion`. `None` when `forkTaskInputs` is not a list.
    fn simple_dynamic_tasks(
        &self,
        workflow_task: &WorkflowTask,
        input: &Map<String, Value>,
        another_dynamic_fork: bool,
    ) -> Option<(Vec<WorkflowTask>, Map<String, Value>)> {
        let Some(Value::Array(inputs)) = input.get("forkTaskInputs") else {
            return None;
        };
        let text = |key: &str| match input.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        };
        let sub_workflow = text("forkTaskWorkflow");
        let sub_workflow_version =
            text("forkTaskWorkflowVersion").and_then(|version| version.trim().parse::<i64>().ok());
        let fork_task_type = text("forkTaskType");
        let mut fork_task_name = text("forkTaskName");
        if fork_task_name.is_none()
            && let Some(task_type) = &fork_task_type
            && is_system_type(task_type)
        {
            fork_task_name = Some(task_type.clone());
        }
        let fork_task_name =
            fork_task_name.unwrap_or_else(|| workflow_task.task_reference_name.clone());
        let fork_task_type = fork_task_type.unwrap_or_else(|| "SIMPLE".to_owned());
        let mut tasks = Vec::with_capacity(inputs.len());
        for (index, item) in inputs.iter().enumerate() {
            let mut task = lenient_workflow_task(item);
            let mut parameters = Map::new();
            match item {
                Value::Object(map) => parameters.extend(map.clone()),
                other => {
                    parameters.insert("input".into(), other.clone());
                }
            }
            match &sub_workflow {
                Some(name) => {
                    task.name.clone_from(name);
                    task.task_type = "SUB_WORKFLOW".into();
                    let task_to_domain = match item.get("taskToDomain") {
                        Some(Value::Object(map)) => Some(map.clone()),
                        _ => None,
                    };
                    task.sub_workflow_param = Some(SubWorkflowParams {
                        name: Some(name.clone()),
                        version: sub_workflow_version,
                        task_to_domain,
                        workflow_definition: None,
                        idempotency_key: None,
                        idempotency_strategy: None,
                        priority: None,
                    });
                    task.task_definition = None;
                }
                None => {
                    task.name.clone_from(&fork_task_name);
                    task.task_type.clone_from(&fork_task_type);
                    task.task_definition = self.definitions.task_def(&fork_task_name).cloned();
                }
            }
            task.task_reference_name = if another_dynamic_fork {
                format!(
                    "_{}_{fork_task_name}_{index}",
                    workflow_task.task_reference_name
                )
            } else {
                format!("_{fork_task_name}_{index}")
            };
            parameters.insert("__index".into(), index.into());
            task.input_parameters = parameters;
            if workflow_task.optional {
                task.optional = true;
            }
            // Conductor also lists each task's input in the map of forked inputs, which it then
            // merges into the same task's input: a no-op, skipped here.
            tasks.push(task);
        }
        Some((tasks, Map::new()))
    }

    /// `getDynamicForkTasksAndInput`: a list of WorkflowTask JSON and a map of their inputs.
    fn dynamic_fork_tasks_and_input(
        &self,
        workflow_task: &WorkflowTask,
        parameter: &str,
        input: &Map<String, Value>,
    ) -> Result<(Vec<WorkflowTask>, Map<String, Value>), Terminate> {
        let value = input.get(parameter).cloned().unwrap_or(Value::Null);
        let invalid = || {
            Terminate::failed(format!(
                "Input '{parameter}' is invalid. Cannot deserialize a list of Workflow Tasks from '{}'",
                java_string(&value)
            ))
        };
        let Value::Array(items) = &value else {
            return Err(invalid());
        };
        let mut tasks = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let task = WorkflowTask::from_json(item, &format!("{parameter}[{index}]"))
                .map_err(|_| invalid())?;
            let mut task = task;
            if task.task_definition.is_none() && !task.name.trim().is_empty() {
                task.task_definition = self.definitions.task_def(&task.name).cloned();
            }
            tasks.push(task);
        }
        let input_parameter = workflow_task
            .dynamic_fork_tasks_input_param_name
            .clone()
            .unwrap_or_default();
        match input.get(&input_parameter) {
            Some(Value::Object(inputs)) => Ok((tasks, inputs.clone())),
            other => Err(Terminate::failed(format!(
                "Input to the dynamically forked tasks is not a map -> expecting a map of K,V  but found {}",
                java_string(other.unwrap_or(&Value::Null))
            ))),
        }
    }

    /// `getDynamicForkJoinTasksAndInput`: the deprecated `dynamicForkJoinTasksParam`
    /// (`{dynamicTasks: [{taskName, referenceName, type, input}]}`).
    fn legacy_dynamic_fork_tasks(
        &self,
        workflow_task: &WorkflowTask,
        input: &Map<String, Value>,
    ) -> Result<(Vec<WorkflowTask>, Map<String, Value>), Terminate> {
        let parameter = workflow_task
            .dynamic_fork_join_tasks_param
            .clone()
            .unwrap_or_default();
        let no_tasks = || {
            Terminate::failed(format!(
                "Dynamic tasks could not be created. The value of {parameter} from task's input {} has no dynamic tasks to be scheduled",
                java_string(&Value::Object(input.clone()))
            ))
        };
        let Some(Value::Object(list)) = input.get(&parameter) else {
            return Err(no_tasks());
        };
        let dynamic_tasks = match list.get("dynamicTasks") {
            Some(Value::Array(tasks)) => tasks.as_slice(),
            None | Some(Value::Null) => &[],
            Some(_) => return Err(no_tasks()),
        };
        let mut tasks = Vec::with_capacity(dynamic_tasks.len());
        let mut inputs = Map::new();
        for dynamic_task in dynamic_tasks {
            let field = |key: &str| {
                dynamic_task
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let reference = field("referenceName").unwrap_or_default();
            let mut task = lenient_workflow_task(&Value::Null);
            task.task_reference_name.clone_from(&reference);
            task.name = field("taskName").unwrap_or_default();
            task.task_type = field("type").unwrap_or_else(|| "SIMPLE".to_owned());
            if !task.name.trim().is_empty() {
                task.task_definition = self.definitions.task_def(&task.name).cloned();
            }
            inputs.insert(
                reference,
                dynamic_task.get("input").cloned().unwrap_or(Value::Null),
            );
            tasks.push(task);
        }
        Ok((tasks, inputs))
    }

    /// `SubWorkflowTaskMapper`.
    fn map_sub_workflow(
        &mut self,
        execution: ExecutionId,
        workflow_task: &Arc<WorkflowTask>,
        task_def: Option<Arc<TaskDef>>,
    ) -> Result<Planned, Terminate> {
        let Some(parameters) = workflow_task.sub_workflow_param.clone() else {
            return Err(Terminate::failed(format!(
                "Task {} is defined as sub-workflow and is missing subWorkflowParams. Please check the workflow definition",
                workflow_task.name
            )));
        };
        let mut template = Map::new();
        template.insert(
            "name".into(),
            parameters.workflow_name().map_or(Value::Null, Value::from),
        );
        template.insert(
            "priority".into(),
            parameters.priority.clone().unwrap_or(Value::Null),
        );
        if let Some(version) = parameters.version {
            template.insert("version".into(), version.into());
        }
        if let Some(task_to_domain) = &parameters.task_to_domain {
            template.insert("taskToDomain".into(), Value::Object(task_to_domain.clone()));
        }
        if let Some(key) = &parameters.idempotency_key {
            template.insert("idempotencyKey".into(), key.clone().into());
        }
        if let Some(strategy) = &parameters.idempotency_strategy {
            template.insert("idempotencyStrategy".into(), strategy.clone().into());
        }
        if let Some(SubWorkflowDefinition::Expression(expression)) = &parameters.workflow_definition
        {
            template.insert("workflowDefinition".into(), expression.clone().into());
        }
        let mut resolved = self.resolve_input(execution, &template, None, None);
        if let Some(SubWorkflowDefinition::Inline(definition)) = &parameters.workflow_definition {
            resolved.insert(
                "workflowDefinition".into(),
                serde_json::to_value(&**definition).unwrap_or(Value::Null),
            );
        }
        let name = match resolved.get("name") {
            Some(value) if !value.is_null() => java_string(value),
            _ => {
                return Err(Terminate::failed(format!(
                    "Task {} is defined as sub-workflow and its subWorkflowParam has no name",
                    workflow_task.name
                )));
            }
        };
        let definition = resolved
            .get("workflowDefinition")
            .cloned()
            .filter(|value| !value.is_null());
        let version = if definition.is_none() {
            let given = match resolved.get("version") {
                Some(Value::Number(number)) => number.as_i64(),
                Some(Value::String(text)) => text.trim().parse::<i64>().ok(),
                _ => None,
            };
            match given {
                Some(version) => Some(version),
                None => Some(
                    self.definitions
                        .workflow(&name, None)
                        .map(|definition| definition.version)
                        .ok_or_else(|| {
                            Terminate::failed(format!(
                                "The Task {name} defined as a sub-workflow has no workflow definition available "
                            ))
                        })?,
                ),
            }
        } else {
            None
        };
        let task_to_domain = match resolved.get("taskToDomain") {
            Some(Value::Object(map)) => Value::Object(map.clone()),
            _ => Value::Null,
        };
        let workflow_input =
            self.resolve_input(execution, &workflow_task.input_parameters, None, None);
        let mut planned = self.create_task(execution, workflow_task, Kind::SubWorkflow, task_def);
        planned.task.task_type = "SUB_WORKFLOW".into();
        let input = &mut planned.task.input_data;
        input.insert("subWorkflowName".into(), name.into());
        input.insert(
            "priority".into(),
            resolved.get("priority").cloned().unwrap_or(Value::Null),
        );
        input.insert(
            "subWorkflowVersion".into(),
            version.map_or(Value::Null, Value::from),
        );
        input.insert("subWorkflowTaskToDomain".into(), task_to_domain);
        input.insert(
            "subWorkflowDefinition".into(),
            definition.unwrap_or(Value::Null),
        );
        input.insert(
            "idempotencyKey".into(),
            resolved
                .get("idempotencyKey")
                .cloned()
                .unwrap_or(Value::Null),
        );
        input.insert(
            "idempotencyStrategy".into(),
            resolved
                .get("idempotencyStrategy")
                .cloned()
                .unwrap_or(Value::Null),
        );
        input.insert("workflowInput".into(), Value::Object(workflow_input));
        planned.task.callback_after_seconds = workflow_task.start_delay;
        planned.extra.queue_delay_milliseconds = seconds_to_milliseconds(workflow_task.start_delay);
        if let Some(Value::Number(priority)) = &parameters.priority {
            planned.task.workflow_priority = priority.as_i64().unwrap_or(0);
        }
        Ok(planned)
    }
}

/// The WorkflowTask fields a forked input may set (`objectMapper.convertValue` reads them).
const WORKFLOW_TASK_FIELDS: &[&str] = &[
    "name",
    "taskReferenceName",
    "description",
    "inputParameters",
    "type",
    "optional",
    "permissive",
    "startDelay",
    "retryCount",
    "asyncComplete",
    "taskDefinition",
    "joinOn",
    "forkTasks",
    "decisionCases",
    "defaultCase",
    "loopOver",
    "loopCondition",
    "evaluatorType",
    "expression",
    "subWorkflowParam",
    "sink",
    "dynamicTaskNameParam",
    "items",
];

/// `objectMapper.convertValue(item, WorkflowTask.class)` with failures ignored: the fields of a
/// forked input that look like WorkflowTask fields, else a blank task.
fn lenient_workflow_task(item: &Value) -> WorkflowTask {
    let mut object = match item {
        Value::Object(map)
            if WORKFLOW_TASK_FIELDS
                .iter()
                .any(|field| map.contains_key(*field)) =>
        {
            map.clone()
        }
        _ => return blank_workflow_task(),
    };
    object
        .entry("taskReferenceName")
        .or_insert_with(|| Value::from("_"));
    WorkflowTask::from_json(&Value::Object(object.clone()), "").unwrap_or_else(|_| {
        let blank = serde_json::json!({"taskReferenceName": "_"});
        WorkflowTask::from_json(&blank, "").unwrap_or_else(|_| blank_workflow_task())
    })
}

/// A WorkflowTask with every default (never reached: the JSON above always reads).
fn blank_workflow_task() -> WorkflowTask {
    WorkflowTask {
        name: String::new(),
        task_reference_name: "_".to_owned(),
        description: None,
        input_parameters: Map::new(),
        task_type: "SIMPLE".to_owned(),
        dynamic_task_name_param: None,
        case_value_param: None,
        case_expression: None,
        script_expression: None,
        decision_cases: Vec::new(),
        dynamic_fork_join_tasks_param: None,
        dynamic_fork_tasks_param: None,
        dynamic_fork_tasks_input_param_name: None,
        default_case: Vec::new(),
        fork_tasks: Vec::new(),
        start_delay: 0,
        sub_workflow_param: None,
        join_on: Vec::new(),
        sink: None,
        optional: false,
        task_definition: None,
        default_exclusive_join_task: Vec::new(),
        async_complete: false,
        loop_condition: None,
        loop_over: Vec::new(),
        items: None,
        retry_count: None,
        evaluator_type: None,
        expression: None,
        permissive: false,
        join_mode: None,
    }
}

/// Whole seconds (never negative) as milliseconds.
pub(super) fn seconds_to_milliseconds(seconds: i64) -> u64 {
    u64::try_from(seconds.max(0))
        .unwrap_or(0)
        .saturating_mul(1000)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn case_values_are_stringified_like_java() {
        let cases = [
            (json!(null), "null"),
            (json!(true), "true"),
            (json!(1), "1"),
            (json!(1.5), "1.5"),
            (json!(2.0), "2.0"),
            (json!(1e10), "1.0E10"),
            (json!("x"), "x"),
            (json!([1, "a"]), "[1, a]"),
            (json!({"a": 1, "b": [true]}), "{a=1, b=[true]}"),
        ];
        for (value, expected) in cases {
            assert_eq!(java_string(&value), expected, "{value}");
        }
    }

    #[test]
    fn only_the_listed_types_are_system_tasks() {
        assert_eq!(kind_of_type("SIMPLE"), Kind::Worker);
        assert_eq!(kind_of_type("HTTP_POLL"), Kind::Worker);
        assert_eq!(kind_of_type("FORK_JOIN_DYNAMIC"), Kind::Fork);
        assert!(is_system_type("KAFKA_PUBLISH"));
        assert!(!is_system_type("my_worker"));
        assert_eq!(kind_of_dynamic_name("INLINE"), Kind::Inline);
        assert_eq!(kind_of_dynamic_name("SUB_WORKFLOW"), Kind::Worker);
    }
}
