//! The system tasks the engine runs itself (`core/…/execution/tasks/*.java`): the operators
//! (DO_WHILE, JOIN, EXCLUSIVE_JOIN, SWITCH/DECISION completion), TERMINATE, SET_VARIABLE,
//! EVENT (recorded, never sent), NOOP, WAIT, HUMAN, SUB_WORKFLOW, START_WORKFLOW, and the
//! evaluations of INLINE, LAMBDA and JSON_JQ_TRANSFORM (on tokio's blocking pool, so that scripts
//! in parallel branches run at once).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::decider::{MAXIMUM_SUB_WORKFLOW_DEPTH, Run};
use super::mapping::java_string;
use super::navigation::{with_iteration, without_iteration};
use super::state::{ExecutionId, Kind, Origin};
use crate::definition::WorkflowDef;
use crate::event::Event;
use crate::execution::TaskStatus;
use crate::worker::{WorkResult, WorkStatus};
use crate::{jq, script};

/// The largest `workflow.variables` SET_VARIABLE accepts
/// (`conductor.app.maxWorkflowVariablesPayloadSizeThreshold`, 256 KB).
const MAXIMUM_VARIABLES_BYTES: usize = 256 * 1024;

impl Run {
    /// Runs a synchronous system task's `execute`; whether its state changed.
    pub(super) fn execute_system(&mut self, execution: ExecutionId, index: usize) -> bool {
        let Some(kind) = self
            .executions
            .get(execution)
            .and_then(|state| state.extras.get(index))
            .map(|extra| extra.kind)
        else {
            return false;
        };
        match kind {
            Kind::Switch | Kind::Decision => {
                self.finish_task(execution, index, TaskStatus::Completed, None);
                true
            }
            Kind::Noop => {
                if !self.fail_if_injected(execution, index) {
                    self.finish_task(execution, index, TaskStatus::Completed, None);
                }
                true
            }
            Kind::SetVariable => {
                if !self.fail_if_injected(execution, index) {
                    self.set_variables(execution, index);
                }
                true
            }
            Kind::Terminate => self.execute_terminate(execution, index),
            Kind::Event => self.execute_event(execution, index),
            Kind::DoWhile => self.execute_do_while(execution, index),
            Kind::ExclusiveJoin => self.execute_exclusive_join(execution, index),
            Kind::Inline | Kind::Lambda | Kind::JsonJq => {
                self.start_evaluation(execution, index);
                false
            }
            _ => false,
        }
    }

    /// `--fail` (or a recorded failure) for a task the engine runs itself: applies it and says
    /// so.
    fn fail_if_injected(&mut self, execution: ExecutionId, index: usize) -> bool {
        let Some(result) = self.recorded_or_injected(execution, index) else {
            return false;
        };
        let token = self.new_token();
        if let Some(extra) = self
            .executions
            .get_mut(execution)
            .and_then(|state| state.extras.get_mut(index))
        {
            extra.token = token;
        }
        let now = self.clock.elapsed();
        self.result_arrived(execution, index, token, result, now);
        true
    }

    /// `SetVariable.execute`: shallow puts into `workflow.variables`, rolled back when the
    /// variables would exceed 256 KB.
    fn set_variables(&mut self, execution: ExecutionId, index: usize) {
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let Some(input) = state.task(index).map(|task| task.input_data.clone()) else {
            return;
        };
        let previous = state.workflow.variables.clone();
        for (key, value) in input {
            state.workflow.variables.insert(key, value);
        }
        let size = serde_json::to_vec(&state.workflow.variables).map_or(0, |bytes| bytes.len());
        if size > MAXIMUM_VARIABLES_BYTES {
            state.workflow.variables = previous;
            let reason = format!(
                "The variables payload size: {size} of workflow: {} is greater than the permissible limit: {} kilobytes",
                state.workflow.workflow_id,
                MAXIMUM_VARIABLES_BYTES / 1024
            );
            self.finish_task(
                execution,
                index,
                TaskStatus::FailedWithTerminalError,
                Some(reason),
            );
            return;
        }
        state.refresh_variables_entry();
        self.finish_task(execution, index, TaskStatus::Completed, None);
    }

    /// `Terminate.execute`: the task completes with `workflowOutput` as its output; the next
    /// decide pass ends the workflow.
    fn execute_terminate(&mut self, execution: ExecutionId, index: usize) -> bool {
        let Some(state) = self.executions.get_mut(execution) else {
            return false;
        };
        let Some(task) = state.workflow.tasks.get_mut(index) else {
            return false;
        };
        let status = task
            .input_data
            .get("terminationStatus")
            .and_then(Value::as_str);
        if !matches!(status, Some("COMPLETED" | "FAILED" | "TERMINATED")) {
            self.finish_task(
                execution,
                index,
                TaskStatus::Failed,
                Some("given termination status is not valid".to_owned()),
            );
            return false;
        }
        let output = match task.input_data.get("workflowOutput") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(other) => Map::from_iter([("output".to_owned(), other.clone())]),
        };
        task.output_data = output;
        self.finish_task(execution, index, TaskStatus::Completed, None);
        true
    }

    /// `Event.start`: the message (input plus the workflow's identity) becomes the output,
    /// with the queue it would go to as `event_produced`. Nothing is sent.
    pub(super) fn start_event(&mut self, execution: ExecutionId, index: usize) {
        if self.fail_if_injected(execution, index) {
            return;
        }
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let workflow_name = state.workflow.workflow_name.clone();
        let mut payload = state
            .task(index)
            .map(|task| task.input_data.clone())
            .unwrap_or_default();
        payload.insert(
            "workflowInstanceId".into(),
            state.workflow.workflow_id.clone().into(),
        );
        payload.insert("workflowType".into(), workflow_name.clone().into());
        payload.insert(
            "workflowVersion".into(),
            state.workflow.workflow_version.into(),
        );
        payload.insert(
            "correlationId".into(),
            state
                .workflow
                .correlation_id
                .clone()
                .map_or(Value::Null, Value::from),
        );
        payload.insert("taskToDomain".into(), Value::Object(Map::new()));
        let Some(task) = state.workflow.tasks.get_mut(index) else {
            return;
        };
        let sink = task
            .input_data
            .get("sink")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let reference = task.reference_task_name.clone();
        task.output_data.extend(payload);
        state.set_status(index, TaskStatus::InProgress);
        let queue = match sink.as_deref() {
            None => Err("the EVENT task has no sink".to_owned()),
            Some("conductor") => Ok(format!("conductor:{workflow_name}:{reference}")),
            Some(sink) if sink.starts_with("conductor:") => Ok(format!(
                "conductor:{workflow_name}:{}",
                sink.replace("conductor:", "")
            )),
            Some(sink) if sink.starts_with("conductor") => {
                Err(format!("Invalid / Unsupported sink specified: {sink}"))
            }
            Some(sink) => Ok(sink.to_owned()),
        };
        match queue {
            Ok(queue) => {
                if let Some(task) = state.workflow.tasks.get_mut(index) {
                    task.output_data
                        .insert("event_produced".into(), queue.into());
                }
                state.refresh_task_entry(index);
            }
            Err(reason) => self.finish_task(execution, index, TaskStatus::Failed, Some(reason)),
        }
    }

    /// `Event.execute`: published (here: recorded) → COMPLETED, unless `asyncComplete`, which
    /// waits for an external completion.
    fn execute_event(&mut self, execution: ExecutionId, index: usize) -> bool {
        let Some(state) = self.executions.get(execution) else {
            return false;
        };
        let Some(task) = state.task(index) else {
            return false;
        };
        if task.status != TaskStatus::InProgress {
            return false;
        }
        let asynchronous = task
            .input_data
            .get("asyncComplete")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if asynchronous {
            self.ask_for_result(execution, index);
            return false;
        }
        self.finish_task(execution, index, TaskStatus::Completed, None);
        true
    }

    /// `WaitTaskMapper.setCallbackAfter` and `Wait`: a deadline from `duration` or `until`,
    /// else an external completion.
    pub(super) fn start_wait(&mut self, execution: ExecutionId, index: usize) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        let Some(task) = state.task(index) else {
            return;
        };
        let text = |key: &str| match task.input_data.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(value) => java_string(value),
        };
        let duration = text("duration");
        let until = text("until");
        let by_workers = state
            .extras
            .get(index)
            .is_some_and(|extra| extra.answered_by_workers);
        if !duration.trim().is_empty() && !until.trim().is_empty() {
            self.finish_task(
                execution,
                index,
                TaskStatus::FailedWithTerminalError,
                Some("Both 'duration' and 'until' specified. Please provide only one input".into()),
            );
            return;
        }
        let deadline = if !duration.trim().is_empty() {
            match parse_duration(&duration) {
                Some(seconds) => {
                    Some((seconds, self.clock.elapsed() + Duration::from_secs(seconds)))
                }
                None => {
                    self.finish_task(
                        execution,
                        index,
                        TaskStatus::FailedWithTerminalError,
                        Some(format!("Not valid duration: {duration}")),
                    );
                    return;
                }
            }
        } else if !until.trim().is_empty() {
            match parse_date(&until) {
                Some(epoch_milliseconds) => {
                    let now = self.clock.now_milliseconds();
                    let seconds = u64::try_from((epoch_milliseconds - now) / 1000).unwrap_or(0);
                    let due = self
                        .clock
                        .elapsed_at_epoch_milliseconds(epoch_milliseconds)
                        .max(self.clock.elapsed());
                    Some((seconds, due))
                }
                None => {
                    self.finish_task(
                        execution,
                        index,
                        TaskStatus::FailedWithTerminalError,
                        Some(format!(
                            "Invalid/Unsupported Wait Until format.  Provided: {until}"
                        )),
                    );
                    return;
                }
            }
        } else {
            None
        };
        let callback_after = deadline.map_or(i64::from(i32::MAX), |(seconds, _)| {
            i64::try_from(seconds).unwrap_or(i64::MAX)
        });
        if let Some(state) = self.executions.get_mut(execution) {
            if let Some(task) = state.workflow.tasks.get_mut(index) {
                task.callback_after_seconds = callback_after;
            }
            state.refresh_task_entry(index);
        }
        match deadline {
            Some((_, due)) if !by_workers => {
                if !self.fail_if_injected(execution, index) {
                    self.arm_wait(execution, index, due);
                }
            }
            _ => self.ask_for_result(execution, index),
        }
    }

    /// A WAIT's deadline passed.
    pub(super) fn wait_over(&mut self, execution: ExecutionId, index: usize) {
        let running = self.executions.get(execution).is_some_and(|state| {
            !state.is_terminal()
                && state
                    .task(index)
                    .is_some_and(|task| task.status == TaskStatus::InProgress)
        });
        if running {
            self.finish_task(execution, index, TaskStatus::Completed, None);
        }
    }

    /// `Join.execute`, incrementally: the references known terminal are skipped on the next
    /// evaluation, so a JOIN over N branches costs O(N) in total, not per branch.
    pub(super) fn evaluate_join(&mut self, execution: ExecutionId, index: usize) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        if state.is_terminal() {
            return;
        }
        let (Some(join), Some(extra)) = (state.task(index), state.extras.get(index)) else {
            return;
        };
        if join.status.is_terminal() {
            return;
        }
        let join_on = &extra.join_on;
        let mut cursor = extra.join_cursor;
        let mut immediate_failure = false;
        while let Some(reference) = join_on.get(cursor) {
            let Some(joined) = state.latest(reference) else {
                break;
            };
            let (Some(task), Some(joined_extra)) = (state.task(joined), state.extras.get(joined))
            else {
                break;
            };
            if !task.status.is_terminal() {
                break;
            }
            if !task.status.is_successful()
                && !joined_extra.workflow_task.optional
                && !joined_extra.workflow_task.permissive
            {
                immediate_failure = true;
                cursor += 1;
                break;
            }
            cursor += 1;
        }
        let all_terminal = cursor >= join_on.len();
        if !all_terminal && !immediate_failure {
            if let Some(extra) = self
                .executions
                .get_mut(execution)
                .and_then(|state| state.extras.get_mut(index))
            {
                extra.join_cursor = cursor;
            }
            return;
        }
        let considered = if immediate_failure {
            &join_on[..cursor]
        } else {
            &join_on[..]
        };
        let mut output = Map::new();
        let mut failures: Vec<String> = Vec::new();
        let mut has_failure = false;
        let mut only_cancellations = true;
        let mut optional_failures = String::new();
        for reference in considered {
            let Some(joined) = state.latest(reference) else {
                continue;
            };
            let (Some(task), Some(joined_extra)) = (state.task(joined), state.extras.get(joined))
            else {
                continue;
            };
            if !task.output_data.is_empty() {
                output.insert(reference.clone(), Value::Object(task.output_data.clone()));
            }
            if !task.status.is_successful() {
                if let Some(reason) = &task.reason_for_incompletion {
                    failures.push(reason.clone());
                }
                if task.status.is_terminal() && !joined_extra.workflow_task.optional {
                    has_failure = true;
                    if task.status != TaskStatus::Canceled {
                        only_cancellations = false;
                    }
                }
            }
            if joined_extra.workflow_task.optional && task.status == TaskStatus::CompletedWithErrors
            {
                optional_failures.push_str(&format!("{}/{} ", task.task_def_name, task.task_id));
            }
        }
        if let Some(state) = self.executions.get_mut(execution)
            && let Some(join) = state.workflow.tasks.get_mut(index)
        {
            join.output_data.extend(output);
        }
        let (status, reason) = if has_failure {
            let status = if only_cancellations {
                TaskStatus::Canceled
            } else {
                TaskStatus::Failed
            };
            (status, Some(failures.join(" ")))
        } else if !optional_failures.is_empty() {
            optional_failures.push_str("completed with errors");
            (TaskStatus::CompletedWithErrors, Some(optional_failures))
        } else {
            (TaskStatus::Completed, None)
        };
        self.finish_task(execution, index, status, reason);
    }

    /// `ExclusiveJoin.execute`: the first joined task that was scheduled decides (else the
    /// `defaultExclusiveJoinTask`); its output becomes the output.
    fn execute_exclusive_join(&mut self, execution: ExecutionId, index: usize) -> bool {
        let Some(state) = self.executions.get(execution) else {
            return false;
        };
        let Some(join) = state.task(index) else {
            return false;
        };
        let iteration = join.iteration;
        let references = |key: &str| -> Vec<String> {
            match join.input_data.get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|reference| {
                        if iteration > 0 && key == "joinOn" {
                            with_iteration(reference, iteration)
                        } else {
                            reference.to_owned()
                        }
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let join_on = references("joinOn");
        let defaults = references("defaultExclusiveJoinTask");
        let task_of = |reference: &str| {
            state
                .latest(reference)
                .and_then(|found| state.task(found).map(|task| (found, task)))
        };
        let mut found = false;
        let mut has_failures = false;
        let mut reason = String::new();
        let mut exclusive: Option<usize> = None;
        for reference in &join_on {
            let Some((joined, task)) = task_of(reference) else {
                continue;
            };
            if task.status == TaskStatus::Skipped {
                continue;
            }
            exclusive = Some(joined);
            found = task.status.is_terminal();
            let permissive = state
                .extras
                .get(joined)
                .is_some_and(|extra| extra.workflow_task.permissive);
            let all_terminal = join_on
                .iter()
                .all(|other| task_of(other).is_some_and(|(_, task)| task.status.is_terminal()));
            has_failures = !task.status.is_successful() && (!permissive || all_terminal);
            if has_failures {
                let reasons: Vec<&str> = join_on
                    .iter()
                    .filter_map(|other| task_of(other))
                    .filter(|(_, task)| !task.status.is_successful())
                    .map(|(_, task)| task.reason_for_incompletion.as_deref().unwrap_or("null"))
                    .collect();
                reason.push_str(&reasons.join(" "));
            }
            break;
        }
        if !found {
            for reference in &defaults {
                let Some((joined, task)) = task_of(reference) else {
                    continue;
                };
                if task.status == TaskStatus::Skipped {
                    continue;
                }
                exclusive = Some(joined);
                found = task.status.is_terminal();
                has_failures = !task.status.is_successful();
                if has_failures {
                    reason.push_str(task.reason_for_incompletion.as_deref().unwrap_or("null"));
                    reason.push(' ');
                }
                break;
            }
        }
        if !found && !has_failures {
            return false;
        }
        if has_failures {
            self.finish_task(execution, index, TaskStatus::Failed, Some(reason));
        } else {
            let output = exclusive
                .and_then(|joined| state.task(joined))
                .map(|task| task.output_data.clone())
                .unwrap_or_default();
            if let Some(state) = self.executions.get_mut(execution)
                && let Some(join) = state.workflow.tasks.get_mut(index)
            {
                join.output_data = output;
            }
            self.finish_task(execution, index, TaskStatus::Completed, None);
        }
        true
    }

    /// `DoWhile.execute`: starts the first iteration, waits for the current one, records its
    /// outputs, evaluates `loopCondition` (and `items`) and starts the next one or completes.
    fn execute_do_while(&mut self, execution: ExecutionId, index: usize) -> bool {
        let Some(state) = self.executions.get(execution) else {
            return false;
        };
        let (Some(loop_task), Some(extra)) = (state.task(index), state.extras.get(index)) else {
            return false;
        };
        let iteration = loop_task.iteration;
        let loop_reference = loop_task.reference_task_name.clone();
        let workflow_task = Arc::clone(&extra.workflow_task);
        // The latest attempt of each task of the current iteration, in scheduling order.
        let mut relevant: Vec<(String, usize)> = Vec::new();
        let mut positions: HashMap<String, usize> = HashMap::new();
        for member in state
            .loop_members
            .get(&index)
            .map_or(&[][..], Vec::as_slice)
        {
            let Some(task) = state.task(*member) else {
                continue;
            };
            if task.iteration != iteration || task.reference_task_name == loop_reference {
                continue;
            }
            match positions.get(&task.reference_task_name) {
                Some(position) => {
                    let replace = relevant
                        .get(*position)
                        .and_then(|(_, current)| state.task(*current))
                        .is_some_and(|current| task.retry_count > current.retry_count);
                    if replace && let Some(entry) = relevant.get_mut(*position) {
                        entry.1 = *member;
                    }
                }
                None => {
                    positions.insert(task.reference_task_name.clone(), relevant.len());
                    relevant.push((task.reference_task_name.clone(), *member));
                }
            }
        }
        if relevant.is_empty() {
            if self.is_list_iteration(&workflow_task) {
                let items = self.loop_items(execution, index);
                if items.is_empty() {
                    if let Some(state) = self.executions.get_mut(execution)
                        && let Some(task) = state.workflow.tasks.get_mut(index)
                    {
                        task.output_data.insert("iteration".into(), 0.into());
                    }
                    self.finish_task(execution, index, TaskStatus::Completed, None);
                    return true;
                }
            }
            return self.begin_iteration(execution, index, 1);
        }
        let mut has_failures = false;
        let mut reason = String::new();
        let mut iteration_output = Map::new();
        for (reference, member) in &relevant {
            let Some(task) = state.task(*member) else {
                continue;
            };
            has_failures = !task.status.is_successful();
            if has_failures {
                reason.push_str(task.reason_for_incompletion.as_deref().unwrap_or("null"));
                reason.push(' ');
            }
            iteration_output.insert(
                without_iteration(reference).to_owned(),
                Value::Object(task.output_data.clone()),
            );
            if has_failures {
                break;
            }
        }
        let complete = !has_failures && self.is_iteration_complete(execution, index, &relevant);
        let keep_last = match workflow_task.input_parameters.get("keepLastN") {
            Some(Value::Number(number)) => number.as_u64(),
            _ => None,
        };
        if let Some(state) = self.executions.get_mut(execution) {
            if let Some(task) = state.workflow.tasks.get_mut(index) {
                task.output_data
                    .insert(iteration.to_string(), Value::Object(iteration_output));
                if let Some(keep) = keep_last
                    && u64::from(iteration) > keep
                {
                    let drop_until = u64::from(iteration) - keep;
                    for old in 1..=drop_until {
                        task.output_data.remove(&old.to_string());
                    }
                    remove_old_iterations(state, index, drop_until);
                }
            }
            state.refresh_task_entry(index);
        }
        if has_failures {
            self.finish_task(execution, index, TaskStatus::Failed, Some(reason));
            return true;
        }
        if !complete {
            return false;
        }
        match self.evaluate_loop_condition(execution, index) {
            Ok(true) => self.begin_iteration(execution, index, iteration + 1),
            Ok(false) => {
                self.finish_task(execution, index, TaskStatus::Completed, None);
                true
            }
            Err(message) => {
                let reason = format!(
                    "Unable to evaluate condition {}, exception {message}",
                    workflow_task.loop_condition.as_deref().unwrap_or("null")
                );
                self.finish_task(
                    execution,
                    index,
                    TaskStatus::FailedWithTerminalError,
                    Some(reason),
                );
                true
            }
        }
    }

    /// `isIterationComplete`: every body task of the iteration is terminal and every terminal
    /// one's successor inside the body has been scheduled.
    fn is_iteration_complete(
        &self,
        execution: ExecutionId,
        index: usize,
        relevant: &[(String, usize)],
    ) -> bool {
        let Some(state) = self.executions.get(execution) else {
            return false;
        };
        let (Some(loop_task), Some(extra)) = (state.task(index), state.extras.get(index)) else {
            return false;
        };
        let iteration = loop_task.iteration;
        let by_reference: HashMap<&str, usize> = relevant
            .iter()
            .map(|(reference, member)| (reference.as_str(), *member))
            .collect();
        let terminal = |member: usize| {
            state
                .task(member)
                .is_some_and(|task| task.status.is_terminal())
        };
        let direct_done = extra.workflow_task.loop_over.iter().all(|body_task| {
            by_reference
                .get(with_iteration(&body_task.task_reference_name, iteration).as_str())
                .is_some_and(|member| terminal(*member))
        });
        if !direct_done || relevant.iter().any(|(_, member)| !terminal(*member)) {
            return false;
        }
        let loop_reference = &extra.workflow_task.task_reference_name;
        relevant.iter().all(|(reference, _)| {
            let Some(next) = state.navigation.next(without_iteration(reference)) else {
                return true;
            };
            if &next.task_reference_name == loop_reference
                || !state
                    .navigation
                    .is_inside_loop(&next.task_reference_name, loop_reference)
            {
                return true;
            }
            by_reference.contains_key(with_iteration(&next.task_reference_name, iteration).as_str())
        })
    }

    /// Starts iteration `iteration` (`scheduleNextIteration`): the first body task, with
    /// `__N` references.
    fn begin_iteration(&mut self, execution: ExecutionId, index: usize, iteration: u32) -> bool {
        let Some(state) = self.executions.get_mut(execution) else {
            return false;
        };
        let Some(extra) = state.extras.get(index) else {
            return false;
        };
        let workflow_task = Arc::clone(&extra.workflow_task);
        let Some(first) = workflow_task.loop_over.first().cloned() else {
            self.finish_task(
                execution,
                index,
                TaskStatus::FailedWithTerminalError,
                Some(format!(
                    "loopOver of the DO_WHILE task {} is empty",
                    workflow_task.task_reference_name
                )),
            );
            return true;
        };
        let retry_count = match state.workflow.tasks.get_mut(index) {
            Some(task) => {
                task.iteration = iteration;
                task.output_data
                    .insert("iteration".into(), iteration.into());
                task.retry_count
            }
            None => return false,
        };
        state.loop_members.insert(index, Vec::new());
        state.refresh_task_entry(index);
        self.inject_loop_variables(execution, index);
        let planned = match self.tasks_to_schedule(execution, &first, retry_count, None) {
            Ok(planned) => planned,
            Err(terminate) => {
                self.terminate(execution, terminate);
                return false;
            }
        };
        let mut added = Vec::new();
        for mut each in planned {
            each.task.reference_task_name =
                with_iteration(&each.task.reference_task_name, iteration);
            each.task.iteration = iteration;
            added.push(self.add_scheduled(execution, each));
        }
        for task in added {
            self.after_scheduling(execution, task);
        }
        true
    }

    /// `isListIteration`: `items`, or Orkes' `_items` input.
    fn is_list_iteration(&self, workflow_task: &crate::definition::WorkflowTask) -> bool {
        if workflow_task
            .items
            .as_deref()
            .is_some_and(|items| !items.trim().is_empty())
        {
            return true;
        }
        match workflow_task.input_parameters.get("_items") {
            Some(Value::String(text)) => !text.trim().is_empty(),
            Some(Value::Array(_)) => true,
            _ => false,
        }
    }

    /// `evaluateItemsList`.
    fn loop_items(&mut self, execution: ExecutionId, index: usize) -> Vec<Value> {
        let Some((workflow_task, definition, task_id)) =
            self.executions.get(execution).and_then(|state| {
                let extra = state.extras.get(index)?;
                let task = state.task(index)?;
                Some((
                    Arc::clone(&extra.workflow_task),
                    extra.task_def.clone(),
                    task.task_id.clone(),
                ))
            })
        else {
            return Vec::new();
        };
        let mut value = Value::Null;
        if let Some(items) = workflow_task
            .items
            .as_deref()
            .filter(|items| !items.trim().is_empty())
        {
            let template = Map::from_iter([("items".to_owned(), Value::from(items))]);
            value = self
                .resolve_input(execution, &template, Some(&task_id), definition.as_deref())
                .remove("items")
                .unwrap_or(Value::Null);
        }
        if value.is_null() {
            let mut resolved = self.resolve_input(
                execution,
                &workflow_task.input_parameters,
                Some(&task_id),
                definition.as_deref(),
            );
            value = resolved.remove("_items").unwrap_or(Value::Null);
        }
        match value {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            other => vec![other],
        }
    }

    /// `injectLoopVariables`: `loopIndex` and `loopItem` in the DO_WHILE's output.
    fn inject_loop_variables(&mut self, execution: ExecutionId, index: usize) {
        let Some(workflow_task) = self
            .executions
            .get(execution)
            .and_then(|state| state.extras.get(index))
            .map(|extra| Arc::clone(&extra.workflow_task))
        else {
            return;
        };
        if !self.is_list_iteration(&workflow_task) {
            return;
        }
        let items = self.loop_items(execution, index);
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        if let Some(task) = state.workflow.tasks.get_mut(index) {
            let loop_index = i64::from(task.iteration) - 1;
            task.output_data
                .insert("loopIndex".into(), loop_index.into());
            if let Some(item) = usize::try_from(loop_index)
                .ok()
                .and_then(|position| items.get(position))
            {
                task.output_data.insert("loopItem".into(), item.clone());
            }
        }
        state.refresh_task_entry(index);
    }

    /// `evaluateCondition`: `$` is the resolved DO_WHILE input, the DO_WHILE's output under its
    /// reference, and the latest output of every body task under its reference without `__N`.
    fn evaluate_loop_condition(
        &mut self,
        execution: ExecutionId,
        index: usize,
    ) -> Result<bool, String> {
        let Some((workflow_task, definition, task_id)) =
            self.executions.get(execution).and_then(|state| {
                let extra = state.extras.get(index)?;
                let task = state.task(index)?;
                Some((
                    Arc::clone(&extra.workflow_task),
                    extra.task_def.clone(),
                    task.task_id.clone(),
                ))
            })
        else {
            return Ok(false);
        };
        let mut input = self.resolve_input(
            execution,
            &workflow_task.input_parameters,
            Some(&task_id),
            definition.as_deref(),
        );
        let list_iteration = self.is_list_iteration(&workflow_task);
        let items = if list_iteration {
            self.loop_items(execution, index)
        } else {
            Vec::new()
        };
        let Some(state) = self.executions.get(execution) else {
            return Ok(false);
        };
        let Some(loop_task) = state.task(index) else {
            return Ok(false);
        };
        input.insert(
            loop_task.reference_task_name.clone(),
            Value::Object(loop_task.output_data.clone()),
        );
        if let Some(latest) = state.loop_latest.get(&index) {
            let mut members: Vec<(&String, &usize)> = latest.iter().collect();
            members.sort_by_key(|(_, member)| **member);
            for (reference, member) in members {
                if let Some(task) = state.task(*member)
                    && task.reference_task_name != loop_task.reference_task_name
                {
                    input.insert(reference.clone(), Value::Object(task.output_data.clone()));
                }
            }
        }
        let condition = workflow_task.loop_condition.clone();
        let limits = &self.options.script_limits;
        if list_iteration {
            let loop_index = i64::from(loop_task.iteration) - 1;
            input.insert("loopIndex".into(), loop_index.into());
            if let Some(item) = usize::try_from(loop_index)
                .ok()
                .and_then(|position| items.get(position))
            {
                input.insert("loopItem".into(), item.clone());
            }
            let more = usize::try_from(loop_index)
                .ok()
                .is_some_and(|position| position + 1 < items.len());
            return match condition.filter(|condition| !condition.trim().is_empty()) {
                Some(condition) => {
                    let value = script::evaluate(&condition, &Value::Object(input), limits)
                        .map_err(|error| error.to_string())?;
                    Ok(script::truthy(&value) && more)
                }
                None => Ok(more),
            };
        }
        match condition {
            None => Ok(false),
            Some(condition) => {
                let value = script::evaluate(&condition, &Value::Object(input), limits)
                    .map_err(|error| error.to_string())?;
                Ok(script::truthy(&value))
            }
        }
    }

    /// INLINE, LAMBDA, JSON_JQ_TRANSFORM: evaluated on the blocking pool; the answer comes back
    /// like a worker's (but is not recorded: the engine computes it).
    fn start_evaluation(&mut self, execution: ExecutionId, index: usize) {
        let already = self
            .executions
            .get(execution)
            .and_then(|state| state.extras.get(index))
            .is_none_or(|extra| extra.token != 0);
        if already || self.fail_if_injected(execution, index) {
            return;
        }
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let (Some(task), Some(extra)) =
            (state.workflow.tasks.get_mut(index), state.extras.get(index))
        else {
            return;
        };
        if task.start_time == 0 {
            task.start_time = now;
        }
        let kind = extra.kind;
        let input = crate::parameters::substitute_secrets(&task.input_data);
        if task.status == TaskStatus::Scheduled {
            state.set_status(index, TaskStatus::InProgress);
        }
        let limits = self.options.script_limits;
        self.spawn_evaluation(execution, index, move || evaluate(kind, &input, &limits));
    }

    /// `SubWorkflow.start`: the child workflow starts (from the registered definitions or the
    /// inline definition), and the task follows it.
    pub(super) fn start_sub_workflow(&mut self, execution: ExecutionId, index: usize) {
        if self.fail_if_injected(execution, index) {
            return;
        }
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let depth = state.depth + 1;
        let parent_path = state.path.clone();
        let correlation_id = state.workflow.correlation_id.clone();
        let workflow_id = state.workflow.workflow_id.clone();
        let Some(task) = state.workflow.tasks.get_mut(index) else {
            return;
        };
        task.poll_count += 1;
        task.update_time = now;
        let task_id = task.task_id.clone();
        let input = task.input_data.clone();
        let segment = if task.retry_count > 0 {
            format!("{}#{}", task.reference_task_name, task.retry_count)
        } else {
            task.reference_task_name.clone()
        };
        self.record(&Event::TaskStarted {
            workflow_id,
            task_id,
            at: now,
        });
        let version = match input.get("subWorkflowVersion") {
            Some(Value::Number(number)) => number.as_i64().filter(|version| *version != 0),
            _ => None,
        };
        let (definition, inline) = match input.get("subWorkflowDefinition") {
            Some(value @ Value::Object(_)) => match WorkflowDef::from_json(value) {
                Ok(definition) => (Ok(Arc::new(definition)), true),
                Err(message) => (
                    Err(format!(
                        "the inline workflowDefinition is invalid: {message}"
                    )),
                    true,
                ),
            },
            _ => {
                let name = match input.get("subWorkflowName") {
                    Some(Value::Null) | None => None,
                    Some(value) => Some(java_string(value)),
                };
                let definition = match name {
                    None => Err(
                        "SubWorkflow name is null and no workflowDefinition supplied".to_owned(),
                    ),
                    Some(name) => self
                        .definitions
                        .workflow(&name, version)
                        .cloned()
                        .ok_or_else(|| {
                            format!(
                                "No such workflow defined. name={name}, version={}",
                                version.map_or_else(
                                    || "null".to_owned(),
                                    |version| version.to_string()
                                )
                            )
                        }),
                };
                (definition, false)
            }
        };
        let definition = definition.and_then(|definition| {
            if depth > MAXIMUM_SUB_WORKFLOW_DEPTH {
                Err(format!(
                    "sub-workflows nest deeper than {MAXIMUM_SUB_WORKFLOW_DEPTH} levels (does {} start itself?)",
                    definition.name
                ))
            } else {
                super::decider::sub_workflow_versions_available(&self.definitions, &definition)
                    .map(|()| definition)
            }
        });
        let definition = match definition {
            Ok(definition) => definition,
            Err(reason) => {
                self.finish_task(execution, index, TaskStatus::Failed, Some(reason));
                return;
            }
        };
        let mut child_input = match input.get("workflowInput") {
            Some(Value::Object(map)) if !map.is_empty() => map.clone(),
            _ => input.clone(),
        };
        if inline {
            let mut metadata = match child_input.get("_systemMetadata") {
                Some(Value::Object(map)) => map.clone(),
                _ => Map::new(),
            };
            metadata.insert("dynamic".into(), true.into());
            child_input.insert("_systemMetadata".into(), Value::Object(metadata));
        }
        let child = self.create_execution(
            definition,
            child_input,
            correlation_id,
            Some((execution, index)),
            format!("{parent_path}/{segment}"),
            Origin::SubWorkflow,
            depth,
        );
        let child_id = self
            .executions
            .get(child)
            .map(|state| state.workflow.workflow_id.clone())
            .unwrap_or_default();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        if let Some(extra) = state.extras.get_mut(index) {
            extra.child = Some(child);
        }
        if let Some(task) = state.workflow.tasks.get_mut(index) {
            task.sub_workflow_id = Some(child_id.clone());
            task.reason_for_incompletion = None;
            task.output_data
                .insert("subWorkflowId".into(), child_id.into());
        }
        state.set_status(index, TaskStatus::InProgress);
    }

    /// `StartWorkflow.start`: an independent workflow starts; the task completes with its id.
    pub(super) fn start_workflow_task(&mut self, execution: ExecutionId, index: usize) {
        if self.fail_if_injected(execution, index) {
            return;
        }
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let depth = state.depth + 1;
        let parent_path = state.path.clone();
        let parent_correlation = state.workflow.correlation_id.clone();
        let workflow_id = state.workflow.workflow_id.clone();
        let Some(task) = state.workflow.tasks.get_mut(index) else {
            return;
        };
        task.poll_count += 1;
        task.update_time = now;
        let task_id = task.task_id.clone();
        let segment = if task.retry_count > 0 {
            format!("{}#{}", task.reference_task_name, task.retry_count)
        } else {
            task.reference_task_name.clone()
        };
        let request = task.input_data.get("startWorkflow").cloned();
        self.record(&Event::TaskStarted {
            workflow_id,
            task_id,
            at: now,
        });
        let request = match request {
            None | Some(Value::Null) => Err("Missing 'startWorkflow' in input data.".to_owned()),
            Some(Value::Object(request)) => Ok(request),
            Some(other) => Err(format!(
                "Error reading StartWorkflowRequest. {} is not an object",
                java_string(&other)
            )),
        };
        let started = request.and_then(|request| {
            let name = request
                .get("name")
                .and_then(Value::as_str)
                .filter(|name| !name.trim().is_empty())
                .ok_or_else(|| {
                    "startWorkflow validation failed. 'name' -> Workflow name cannot be null or empty. "
                        .to_owned()
                })?
                .to_owned();
            let version = match request.get("version") {
                Some(Value::Number(number)) => number.as_i64(),
                Some(Value::String(text)) => text.trim().parse().ok(),
                _ => None,
            };
            let definition = match request.get("workflowDef") {
                Some(inline @ Value::Object(_)) => Arc::new(
                    WorkflowDef::from_json(inline)
                        .map_err(|message| format!("Error reading StartWorkflowRequest. {message}"))?,
                ),
                _ => self.definitions.workflow(&name, version).cloned().ok_or_else(|| {
                    format!(
                        "No such workflow defined. name={name}, version={}",
                        version.map_or_else(|| "null".to_owned(), |version| version.to_string())
                    )
                })?,
            };
            if depth > MAXIMUM_SUB_WORKFLOW_DEPTH {
                return Err(format!(
                    "started workflows nest deeper than {MAXIMUM_SUB_WORKFLOW_DEPTH} levels (does {name} start itself?)"
                ));
            }
            super::decider::sub_workflow_versions_available(&self.definitions, &definition)?;
            let input = match request.get("input") {
                Some(Value::Object(input)) => input.clone(),
                _ => Map::new(),
            };
            let correlation_id = request
                .get("correlationId")
                .and_then(Value::as_str)
                .filter(|id| !id.trim().is_empty())
                .map(str::to_owned)
                .or(parent_correlation);
            let started = self.create_execution(
                definition,
                input,
                correlation_id,
                None,
                format!("{parent_path}/{segment}"),
                Origin::StartedByTask,
                depth,
            );
            Ok(self
                .executions
                .get(started)
                .map(|state| state.workflow.workflow_id.clone())
                .unwrap_or_default())
        });
        match started {
            Ok(started_id) => {
                if let Some(task) = self
                    .executions
                    .get_mut(execution)
                    .and_then(|state| state.workflow.tasks.get_mut(index))
                {
                    task.output_data
                        .insert("workflowId".into(), started_id.into());
                }
                self.finish_task(execution, index, TaskStatus::Completed, None);
            }
            Err(reason) => self.finish_task(execution, index, TaskStatus::Failed, Some(reason)),
        }
    }
}

/// Runs an INLINE, LAMBDA or JSON_JQ_TRANSFORM task on its (secret-substituted) input.
fn evaluate(kind: Kind, input: &Map<String, Value>, limits: &script::ScriptLimits) -> WorkResult {
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_owned);
    let failed = |status: WorkStatus, message: String| {
        let mut result = WorkResult::with_status(
            status,
            Map::from_iter([("error".to_owned(), Value::from(message.clone()))]),
            Some(message),
        );
        result.logs = Vec::new();
        result
    };
    let as_input = Value::Object(input.clone());
    match kind {
        Kind::Inline => {
            let evaluator = match input.get("evaluatorType") {
                None | Some(Value::Null) => "javascript".to_owned(),
                Some(value) => java_string(value),
            };
            if evaluator.trim().is_empty() {
                return failed(
                    WorkStatus::FailedWithTerminalError,
                    "Empty 'evaluatorType' in INLINE task's input parameters. A non-empty String value must be provided.".to_owned(),
                );
            }
            if !matches!(evaluator.as_str(), "javascript" | "graaljs") {
                return failed(
                    WorkStatus::FailedWithTerminalError,
                    format!("Unknown evaluator '{evaluator}' in INLINE task."),
                );
            }
            let Some(expression) = text("expression").filter(|text| !text.trim().is_empty()) else {
                return failed(
                    WorkStatus::FailedWithTerminalError,
                    "Empty 'expression' in Inline task's input parameters. A non-empty String value must be provided.".to_owned(),
                );
            };
            match script::evaluate(&expression, &as_input, limits) {
                Ok(value) => WorkResult::completed(Map::from_iter([("result".to_owned(), value)])),
                Err(error) => {
                    let status = if error.is_terminal() {
                        WorkStatus::FailedWithTerminalError
                    } else {
                        WorkStatus::Failed
                    };
                    failed(status, error.to_string())
                }
            }
        }
        Kind::Lambda => {
            let Some(expression) = text("scriptExpression").filter(|text| !text.trim().is_empty())
            else {
                return WorkResult::failed(
                    "Empty 'scriptExpression' in Lambda task's input parameters. A non-empty String value must be provided.",
                );
            };
            match script::evaluate_lambda(&expression, &as_input, limits) {
                Ok(value) => WorkResult::completed(Map::from_iter([("result".to_owned(), value)])),
                Err(error) => failed(WorkStatus::Failed, error.to_string()),
            }
        }
        _ => {
            let Some(query) = text("queryExpression") else {
                return WorkResult::failed("Missing 'queryExpression' in input parameters");
            };
            match jq::transform(&query, &as_input) {
                Ok(output) => WorkResult::completed(output.to_output()),
                Err(message) => WorkResult::with_status(
                    WorkStatus::Failed,
                    jq::error_output(&message),
                    Some(message),
                ),
            }
        }
    }
}

/// `keepLastN`: the tasks of iterations `1..=drop_until` leave the execution.
fn remove_old_iterations(state: &mut super::state::Execution, loop_index: usize, drop_until: u64) {
    let loop_reference = state
        .extras
        .get(loop_index)
        .map(|extra| extra.workflow_task.task_reference_name.clone())
        .unwrap_or_default();
    for (index, (task, extra)) in state
        .workflow
        .tasks
        .iter()
        .zip(state.extras.iter_mut())
        .enumerate()
    {
        if index != loop_index
            && task.iteration > 0
            && u64::from(task.iteration) <= drop_until
            && task.status.is_terminal()
            && state.navigation.is_inside_loop(
                without_iteration(&task.reference_task_name),
                &loop_reference,
            )
        {
            extra.removed = true;
        }
    }
}

/// Conductor's WAIT `duration` grammar (`DateTimeUtils.parseDuration`): `N days N hours N
/// minutes N seconds`, each optional, with their short forms, any case. Whole seconds.
pub(super) fn parse_duration(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.trim_start();
    let units: [(&[&str], u64); 4] = [
        (&["days", "day", "d"], 86_400),
        (&["hours", "hour", "hrs", "hr", "h"], 3_600),
        (&["minutes", "minute", "mins", "min", "m"], 60),
        (&["seconds", "second", "secs", "sec", "s"], 1),
    ];
    let mut total: u64 = 0;
    for (names, seconds) in units {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            continue;
        }
        let after_digits = rest[digits..].trim_start();
        let Some(name) = names.iter().find(|name| after_digits.starts_with(**name)) else {
            continue;
        };
        let amount: u64 = rest[..digits].parse().ok()?;
        total = total.saturating_add(amount.saturating_mul(seconds));
        rest = after_digits[name.len()..].trim_start();
    }
    rest.trim().is_empty().then_some(total)
}

/// WAIT `until` (`DateTimeUtils.parseDate`): `yyyy-MM-dd HH:mm`, `yyyy-MM-dd HH:mm z` or
/// `yyyy-MM-dd`, as epoch milliseconds. Without a zone the time is UTC (Conductor uses the
/// server's zone); zones: `UTC`, `GMT`, `Z`, `±HH:MM`, `±HHMM`.
pub(super) fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = text.split_at_checked(10)?;
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let rest = rest.trim();
    let (minutes_of_day, zone) = if rest.is_empty() {
        (0, "")
    } else {
        let (time, zone) = rest.split_once(' ').unwrap_or((rest, ""));
        let (hours, minutes) = time.split_once(':')?;
        let hours: i64 = hours.parse().ok()?;
        let minutes: i64 = minutes.parse().ok()?;
        if !(0..24).contains(&hours) || !(0..60).contains(&minutes) {
            return None;
        }
        (hours * 60 + minutes, zone.trim())
    };
    let offset_minutes = match zone {
        "" | "UTC" | "GMT" | "Z" => 0,
        zone => {
            let sign = match zone.chars().next()? {
                '+' => 1,
                '-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 4 {
                return None;
            }
            let hours: i64 = digits[..2].parse().ok()?;
            let minutes: i64 = digits[2..].parse().ok()?;
            sign * (hours * 60 + minutes)
        }
    };
    let days = days_from_civil(year, month, day);
    Some((days * 1440 + minutes_of_day - offset_minutes) * 60_000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_conductors_grammar() {
        let cases = [
            ("10s", Some(10)),
            ("1 day 2 hours", Some(93_600)),
            ("5m", Some(300)),
            ("2 mins 3 secs", Some(123)),
            ("1d1h1m1s", Some(90_061)),
            ("  3 Hours ", Some(10_800)),
            ("", Some(0)),
            ("soon", None),
            ("5 weeks", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), expected, "{text:?}");
        }
    }

    #[test]
    fn dates_follow_conductors_patterns() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("2024-02-29 12:30"), Some(1_709_209_800_000));
        assert_eq!(
            parse_date("2024-02-29 12:30 +0100"),
            Some(1_709_206_200_000)
        );
        assert_eq!(parse_date("2024-02-29 12:30 UTC"), Some(1_709_209_800_000));
        assert_eq!(parse_date("tomorrow"), None);
        assert_eq!(parse_date("2024-13-01"), None);
    }
}
