//! Deciding one execution: Conductor's `DeciderService.decide` and the loop of
//! `WorkflowExecutorOps.decide` around it, retries (`DeciderService.retry`), timeouts, and how a
//! workflow ends (`endExecution`, `completeWorkflow`, `terminateWorkflow` with its failure
//! workflow).
//!
//! A decide pass looks only at the tasks that changed since the last one (the execution's
//! `attention` set) instead of the whole task list, in task-list order, and otherwise follows
//! Conductor step by step: a failed task is retried or ends the workflow; a terminal task is
//! marked executed and what follows it is mapped; the new tasks are de-duplicated, added and
//! started; synchronous system tasks run; and the pass repeats while they change something.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::decider::{Action, MAXIMUM_SUB_WORKFLOW_DEPTH, Run, splitmix};
use super::mapping::{Terminate, seconds_to_milliseconds};
use super::navigation::{with_iteration, without_iteration};
use super::state::{ExecutionId, Kind, Origin, Planned, TaskExtra};
use crate::definition::{RetryLogic, TimeoutPolicy, WorkflowTimeoutPolicy};
use crate::event::Event;
use crate::execution::{TaskStatus, WorkflowStatus};
use crate::worker::{WorkResult, WorkStatus};

/// A decide call runs at most this many passes before it yields to the rest of the loop (a
/// DO_WHILE of synchronous tasks only would otherwise hold the loop for its whole run).
const MAXIMUM_PASSES: usize = 1_000;

/// The tasks a decide pass will schedule, keyed by reference like Conductor's
/// `LinkedHashMap` (first insertion decides the position, `put` replaces the value).
#[derive(Default)]
struct SchedulePlan {
    entries: Vec<(String, Entry)>,
    positions: HashMap<String, usize>,
    /// References taken out of the executed set for this pass (retries, running system tasks).
    unexecuted: HashSet<String>,
}

enum Entry {
    Existing(usize),
    New(Box<Planned>),
}

impl SchedulePlan {
    fn put(&mut self, planned: Planned) {
        let reference = planned.task.reference_task_name.clone();
        match self.positions.get(&reference) {
            Some(position) => {
                if let Some(entry) = self.entries.get_mut(*position) {
                    entry.1 = Entry::New(Box::new(planned));
                }
            }
            None => {
                self.positions.insert(reference.clone(), self.entries.len());
                self.entries
                    .push((reference, Entry::New(Box::new(planned))));
            }
        }
    }

    fn put_if_absent(&mut self, reference: &str, entry: Entry) {
        if !self.positions.contains_key(reference) {
            self.positions
                .insert(reference.to_owned(), self.entries.len());
            self.entries.push((reference.to_owned(), entry));
        }
    }
}

impl Run {
    /// Conductor's `decide(workflowId)`: passes until nothing changes.
    pub(super) fn decide(&mut self, execution: ExecutionId) {
        for _ in 0..MAXIMUM_PASSES {
            if !self.decide_pass(execution) {
                return;
            }
        }
        self.queue_decide(execution);
    }

    /// One pass; whether a synchronous system task changed state (so another pass is due).
    fn decide_pass(&mut self, execution: ExecutionId) -> bool {
        let Some(state) = self.executions.get_mut(execution) else {
            return false;
        };
        if state.is_terminal() {
            return false;
        }
        let mut plan = SchedulePlan::default();
        if !state.started {
            state.started = true;
            let Some(first) = state.definition.tasks.first().cloned() else {
                self.terminate(
                    execution,
                    Terminate {
                        reason: "No tasks found to be executed".to_owned(),
                        status: WorkflowStatus::Completed,
                        task: None,
                    },
                );
                return false;
            };
            match self.tasks_to_schedule(execution, &first, 0, None) {
                Ok(planned) => planned.into_iter().for_each(|planned| plan.put(planned)),
                Err(terminate) => {
                    self.terminate(execution, terminate);
                    return false;
                }
            }
        }
        let attention: Vec<usize> = self
            .executions
            .get(execution)
            .map(|state| state.attention.iter().copied().collect())
            .unwrap_or_default();
        let mut newly_executed = Vec::new();
        for index in attention {
            if !self.look_at(execution, index, &mut plan, &mut newly_executed) {
                return false;
            }
        }
        let Some(state) = self.executions.get_mut(execution) else {
            return false;
        };
        let unexecuted = std::mem::take(&mut plan.unexecuted);
        let unscheduled: Vec<Entry> = plan
            .entries
            .into_iter()
            .filter(|(reference, _)| {
                !state.executed_references.contains(reference) || unexecuted.contains(reference)
            })
            .map(|(_, entry)| entry)
            .collect();
        state.executed_references.extend(newly_executed);
        let terminate_task = state.successful_terminate;
        if terminate_task.is_some()
            || (unscheduled.is_empty() && self.check_for_workflow_completion(execution))
        {
            if let Some(reason) = self.permissive_failures(execution) {
                self.terminate(execution, Terminate::failed(reason));
            } else {
                self.end_execution(execution, terminate_task);
            }
            return false;
        }
        let mut changed = false;
        let mut to_execute = Vec::new();
        let mut added = Vec::new();
        if let Some(state) = self.executions.get_mut(execution) {
            state.reserve(unscheduled.len());
        }
        for entry in unscheduled {
            match entry {
                Entry::Existing(index) => to_execute.push(index),
                Entry::New(planned) => {
                    let duplicate = self.executions.get(execution).is_some_and(|state| {
                        state
                            .latest(&planned.task.reference_task_name)
                            .and_then(|index| state.task(index))
                            .is_some_and(|task| task.retry_count >= planned.task.retry_count)
                    });
                    if duplicate {
                        continue;
                    }
                    let index = self.add_scheduled(execution, *planned);
                    changed |= self
                        .executions
                        .get(execution)
                        .and_then(|state| state.task(index))
                        .is_some_and(|task| task.status.is_terminal());
                    added.push(index);
                    to_execute.push(index);
                }
            }
        }
        for index in added {
            self.after_scheduling(execution, index);
        }
        if self.tasks_added > self.options.task_limit {
            let limit = self.options.task_limit;
            self.abort_run(format!(
                "the run scheduled more than {limit} tasks; a loop that never ends? (the limit is RunOptions::task_limit)"
            ));
            return false;
        }
        for index in to_execute {
            let runs = self.executions.get(execution).is_some_and(|state| {
                !state.is_terminal()
                    && state
                        .task(index)
                        .is_some_and(|task| !task.status.is_terminal())
                    && state
                        .extras
                        .get(index)
                        .is_some_and(|extra| extra.kind.is_system() && extra.kind.is_synchronous())
            });
            if runs {
                changed |= self.execute_system(execution, index);
                self.settle_attention(execution, index);
            }
        }
        changed
    }

    /// The body of `decide`'s loop over pending tasks for one task; `false` when the workflow
    /// ended.
    fn look_at(
        &mut self,
        execution: ExecutionId,
        index: usize,
        plan: &mut SchedulePlan,
        newly_executed: &mut Vec<String>,
    ) -> bool {
        let Some(state) = self.executions.get_mut(execution) else {
            return false;
        };
        let (Some(task), Some(extra)) = (state.workflow.tasks.get(index), state.extras.get(index))
        else {
            state.attention.remove(&index);
            return true;
        };
        if task.retried || task.executed || task.status == TaskStatus::Skipped {
            state.attention.remove(&index);
            return true;
        }
        let reference = task.reference_task_name.clone();
        let status = task.status;
        let kind = extra.kind;
        let optional = extra.workflow_task.optional;
        let permissive = extra.workflow_task.permissive;
        if kind.is_system() && !status.is_terminal() {
            plan.put_if_absent(&reference, Entry::Existing(index));
            plan.unexecuted.insert(reference.clone());
        }
        if status.is_terminal() && !status.is_successful() {
            match self.retry(execution, index) {
                Ok(Some(planned)) => {
                    plan.put(planned);
                    plan.unexecuted.insert(reference.clone());
                }
                Ok(None) => {
                    if !permissive || optional {
                        self.change_terminal_status(
                            execution,
                            index,
                            TaskStatus::CompletedWithErrors,
                        );
                    }
                }
                Err(terminate) => {
                    self.terminate(execution, terminate);
                    return false;
                }
            }
        }
        let Some(state) = self.executions.get_mut(execution) else {
            return false;
        };
        let Some(task) = state.workflow.tasks.get_mut(index) else {
            return true;
        };
        if !task.executed && !task.retried && task.status.is_terminal() {
            task.executed = true;
            newly_executed.push(reference);
            match self.next_tasks(execution, index) {
                Ok(next) => {
                    for planned in next {
                        let reference = planned.task.reference_task_name.clone();
                        plan.put_if_absent(&reference, Entry::New(Box::new(planned)));
                    }
                }
                Err(terminate) => {
                    self.terminate(execution, terminate);
                    return false;
                }
            }
        }
        if let Some(state) = self.executions.get_mut(execution)
            && state
                .task(index)
                .is_some_and(|task| task.executed || task.retried)
        {
            state.attention.remove(&index);
        }
        true
    }

    /// Keeps a running system task in the attention set only if every pass must run it again
    /// (DO_WHILE, EXCLUSIVE_JOIN); the others come back when they end.
    fn settle_attention(&mut self, execution: ExecutionId, index: usize) {
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let still_running = state
            .task(index)
            .is_some_and(|task| !task.status.is_terminal());
        let repeats = state
            .extras
            .get(index)
            .is_some_and(|extra| matches!(extra.kind, Kind::DoWhile | Kind::ExclusiveJoin));
        if still_running && !repeats {
            state.attention.remove(&index);
        }
    }

    /// `DeciderService.getNextTask`: the tasks that follow a terminal task.
    fn next_tasks(
        &mut self,
        execution: ExecutionId,
        index: usize,
    ) -> Result<Vec<Planned>, Terminate> {
        let Some(state) = self.executions.get(execution) else {
            return Ok(Vec::new());
        };
        let (Some(task), Some(extra)) = (state.task(index), state.extras.get(index)) else {
            return Ok(Vec::new());
        };
        if matches!(extra.kind, Kind::Switch | Kind::Decision)
            && task.input_data.contains_key("hasChildren")
        {
            return Ok(Vec::new());
        }
        let iteration = task.iteration;
        let reference = if iteration > 0 {
            without_iteration(&task.reference_task_name)
        } else {
            task.reference_task_name.as_str()
        };
        let Some(next) = state.navigation.next(reference).cloned() else {
            return Ok(Vec::new());
        };
        if next.task_type == "DO_WHILE" && state.latest(&next.task_reference_name).is_some() {
            return Ok(Vec::new());
        }
        let is_loop = extra.kind == Kind::DoWhile;
        let mut planned = self.tasks_to_schedule(execution, &next, 0, None)?;
        if iteration > 0 && !is_loop && !planned.is_empty() {
            for each in &mut planned {
                each.task.reference_task_name =
                    with_iteration(&each.task.reference_task_name, iteration);
                each.task.iteration = iteration;
                each.task.loop_over_task = true;
            }
            if let Some(state) = self.executions.get(execution) {
                planned
                    .retain(|each| !state.has_started_or_finished(&each.task.reference_task_name));
            }
        }
        Ok(planned)
    }

    /// Adds a planned task to its workflow (`scheduleTask`): sequence number, first schedule
    /// time, history, indexes, timers.
    pub(super) fn add_scheduled(&mut self, execution: ExecutionId, planned: Planned) -> usize {
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get_mut(execution) else {
            return usize::MAX;
        };
        let mut planned = planned;
        if planned.task.seq == 0 {
            state.highest_seq += 1;
            planned.task.seq = state.highest_seq;
        }
        if planned.extra.first_scheduled_time == 0 {
            planned.extra.first_scheduled_time = now;
        }
        planned.task.update_time = now;
        let kind = planned.extra.kind;
        if kind.is_system() && !planned.task.status.is_terminal() && planned.task.start_time == 0 {
            planned.task.start_time = now;
        }
        if kind == Kind::Join {
            let iteration = planned.task.iteration;
            planned.extra.join_on = match planned.task.input_data.get("joinOn") {
                Some(Value::Array(references)) => references
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|reference| {
                        if iteration > 0 {
                            with_iteration(reference, iteration)
                        } else {
                            reference.to_owned()
                        }
                    })
                    .collect(),
                _ => Vec::new(),
            };
        }
        planned.task.loop_over_task = planned.task.iteration > 0;
        let terminal = planned.task.status.is_terminal();
        let sync_system = kind.is_system() && kind.is_synchronous();
        let started = planned.task.start_time > 0;
        let workflow_id = state.workflow.workflow_id.clone();
        self.recorder_event_scheduled(&workflow_id, &planned, now);
        let Some(state) = self.executions.get_mut(execution) else {
            return usize::MAX;
        };
        let index = state.add_task(planned);
        if terminal || sync_system {
            state.attention.insert(index);
        }
        if kind == Kind::Join {
            state.watch_join(index);
        }
        state.register_loop_member(index);
        self.tasks_added += 1;
        if terminal {
            self.record_finished(execution, index);
        } else {
            self.arm_total_timer(execution, index);
            if started {
                self.arm_started_timers(execution, index);
            }
        }
        index
    }

    fn recorder_event_scheduled(&self, workflow_id: &str, planned: &Planned, now: i64) {
        self.record(&Event::TaskScheduled {
            workflow_id: workflow_id.to_owned(),
            task_id: planned.task.task_id.clone(),
            reference_task_name: planned.task.reference_task_name.clone(),
            task_type: planned.task.task_type.clone(),
            retry_count: planned.task.retry_count,
            input: Value::Object(planned.task.input_data.clone()),
            at: now,
        });
    }

    /// Records `TaskFinished` for a task that is terminal now.
    pub(super) fn record_finished(&self, execution: ExecutionId, index: usize) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        let Some(task) = state.task(index) else {
            return;
        };
        self.record(&Event::TaskFinished {
            workflow_id: state.workflow.workflow_id.clone(),
            task_id: task.task_id.clone(),
            reference_task_name: task.reference_task_name.clone(),
            status: task.status,
            output: Value::Object(task.output_data.clone()),
            reason: task.reason_for_incompletion.clone(),
            at: self.clock.now_milliseconds(),
        });
    }

    /// What happens to a task right after it is added: worker tasks and the asynchronous
    /// system tasks are queued (after their delay), a JOIN is evaluated, a WAIT, HUMAN or EVENT
    /// starts.
    pub(super) fn after_scheduling(&mut self, execution: ExecutionId, index: usize) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        let (Some(task), Some(extra)) = (state.task(index), state.extras.get(index)) else {
            return;
        };
        if task.status.is_terminal() {
            return;
        }
        let kind = extra.kind;
        let delay = Duration::from_millis(extra.queue_delay_milliseconds);
        let answered_by_workers =
            matches!(kind, Kind::Http | Kind::Human | Kind::Wait | Kind::Event)
                && self
                    .workers
                    .can_execute(&task.task_def_name, &task.reference_task_name);
        if let Some(extra) = self
            .executions
            .get_mut(execution)
            .and_then(|state| state.extras.get_mut(index))
        {
            extra.answered_by_workers = answered_by_workers;
        }
        match kind {
            Kind::Worker | Kind::Http | Kind::SubWorkflow | Kind::StartWorkflow => {
                self.queue_dispatch(execution, index, delay);
            }
            Kind::Join => self
                .actions
                .push_back(Action::EvaluateJoin(execution, index)),
            Kind::Wait => self.start_wait(execution, index),
            Kind::Human => self.ask_for_result(execution, index),
            Kind::Event => self.start_event(execution, index),
            _ => {}
        }
    }

    /// Rewrites the status of a terminal task (optional failure → COMPLETED_WITH_ERRORS).
    fn change_terminal_status(&mut self, execution: ExecutionId, index: usize, status: TaskStatus) {
        if let Some(state) = self.executions.get_mut(execution) {
            state.set_status(index, status);
        }
        self.record_finished(execution, index);
        self.notify_watchers(execution, index);
    }

    /// Ends a task: status, reason, end time, history; aborts what runs for it and wakes the
    /// decider and the JOINs waiting on it.
    pub(super) fn finish_task(
        &mut self,
        execution: ExecutionId,
        index: usize,
        status: TaskStatus,
        reason: Option<String>,
    ) {
        let now = self.clock.now_milliseconds();
        self.abort_in_flight(execution, index);
        self.unmark_waiting(execution, index);
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let Some(task) = state.workflow.tasks.get_mut(index) else {
            return;
        };
        if task.status.is_terminal() {
            return;
        }
        if reason.is_some() {
            task.reason_for_incompletion = reason;
        }
        task.end_time = now;
        task.update_time = now;
        let is_terminate = state
            .extras
            .get(index)
            .is_some_and(|extra| extra.kind == Kind::Terminate);
        state.set_status(index, status);
        if is_terminate && status == TaskStatus::Completed && state.successful_terminate.is_none() {
            state.successful_terminate = Some(index);
        }
        self.record_finished(execution, index);
        self.queue_decide(execution);
        self.notify_watchers(execution, index);
    }

    /// Queues the JOINs that wait on a task's reference.
    fn notify_watchers(&mut self, execution: ExecutionId, index: usize) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        let Some(task) = state.task(index) else {
            return;
        };
        for join in state.joins_watching(&task.reference_task_name) {
            self.actions
                .push_back(Action::EvaluateJoin(execution, join));
        }
    }

    /// `WorkflowExecutorOps.updateTask`: a result takes effect, unless it is stale (the task
    /// ended or was retried meanwhile, or the workflow ended).
    pub(super) fn apply_result(
        &mut self,
        execution: ExecutionId,
        index: usize,
        token: u64,
        result: WorkResult,
    ) {
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        if state.is_terminal() {
            return;
        }
        let (Some(task), Some(extra)) = (
            state.workflow.tasks.get_mut(index),
            state.extras.get_mut(index),
        ) else {
            return;
        };
        if task.status.is_terminal() || extra.token != token {
            return;
        }
        extra.in_flight = None;
        let kind = extra.kind;
        let by_workers = extra.answered_by_workers;
        task.reason_for_incompletion = result.reason.clone();
        task.callback_after_seconds = result.callback_after.map_or(0, |after| {
            i64::try_from(after.as_secs()).unwrap_or(i64::MAX)
        });
        task.output_data = result.output;
        task.logs.extend(result.logs);
        task.update_time = now;
        let status = match result.status {
            WorkStatus::InProgress => None,
            WorkStatus::Completed => Some(TaskStatus::Completed),
            WorkStatus::Failed => Some(TaskStatus::Failed),
            WorkStatus::FailedWithTerminalError => Some(TaskStatus::FailedWithTerminalError),
        };
        if let Some(status) = status {
            let reason = task.reason_for_incompletion.clone();
            self.finish_task(execution, index, status, reason);
            return;
        }
        // IN_PROGRESS: a worker task goes back to SCHEDULED and is polled again after its
        // callback; a system task stays IN_PROGRESS (HTTP with asyncComplete waits for an
        // external completion, a mock standing in is asked again).
        let callback = result
            .callback_after
            .unwrap_or_default()
            .max(super::decider::MINIMUM_POLL_INTERVAL);
        if kind == Kind::Worker {
            state.set_status(index, TaskStatus::Scheduled);
            self.queue_dispatch(execution, index, callback);
        } else {
            state.refresh_task_entry(index);
            self.arm_response_timer(execution, index);
            if by_workers {
                self.queue_dispatch(execution, index, callback);
            } else {
                self.mark_waiting(execution, index);
            }
        }
    }

    /// `DeciderService.retry`: a new attempt after the retry delay, `None` for an optional or
    /// permissive task that has no retries left, or the end of the workflow.
    fn retry(
        &mut self,
        execution: ExecutionId,
        index: usize,
    ) -> Result<Option<Planned>, Terminate> {
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get(execution) else {
            return Ok(None);
        };
        let (Some(task), Some(extra)) = (state.task(index), state.extras.get(index)) else {
            return Ok(None);
        };
        let task_def = extra
            .task_def
            .clone()
            .or_else(|| self.definitions.task_def(&task.task_def_name).cloned());
        let expected = task_def.as_ref().map_or(0, |definition| {
            extra
                .workflow_task
                .retry_count
                .unwrap_or(definition.retry_count)
        });
        let definition = match task_def {
            Some(definition)
                if task.status.is_retriable()
                    && !extra.kind.is_built_in()
                    && expected > task.retry_count =>
            {
                definition
            }
            _ => {
                if extra.workflow_task.optional || extra.workflow_task.permissive {
                    return Ok(None);
                }
                let status = match task.status {
                    TaskStatus::Canceled => WorkflowStatus::Terminated,
                    TaskStatus::TimedOut => WorkflowStatus::TimedOut,
                    _ => WorkflowStatus::Failed,
                };
                let reason = format!(
                    "Task {} failed with status: {} and reason: '{}'",
                    task.task_id,
                    status,
                    task.reason_for_incompletion.as_deref().unwrap_or("null")
                );
                self.update_workflow_output(execution, Some(index));
                return Err(Terminate {
                    reason,
                    status,
                    task: Some(index),
                });
            }
        };
        if definition.total_timeout_seconds > 0 && extra.first_scheduled_time > 0 {
            let elapsed = (now - extra.first_scheduled_time) / 1000;
            if elapsed >= definition.total_timeout_seconds {
                let reason = format!(
                    "Task {}/{} exceeded total timeout of {} seconds (elapsed {} seconds across all attempts). No further retries will be attempted.",
                    task.task_id, task.task_def_name, definition.total_timeout_seconds, elapsed
                );
                let status = if task.status == TaskStatus::TimedOut {
                    WorkflowStatus::TimedOut
                } else {
                    WorkflowStatus::Failed
                };
                self.update_workflow_output(execution, Some(index));
                return Err(Terminate {
                    reason,
                    status,
                    task: Some(index),
                });
            }
        }
        let delay_seconds = retry_delay_seconds(
            definition.retry_logic,
            definition.retry_delay_seconds,
            definition.backoff_scale_factor,
            definition.max_retry_delay_seconds,
            task.retry_count,
        );
        let jitter_milliseconds = if definition.backoff_jitter_ms > 0 {
            let bound = u64::try_from(definition.backoff_jitter_ms).unwrap_or(0) + 1;
            let mut hash = self.options.seed;
            for byte in state.path.bytes().chain(task.reference_task_name.bytes()) {
                hash = splitmix(hash ^ u64::from(byte));
            }
            splitmix(hash ^ u64::from(task.retry_count)) % bound
        } else {
            0
        };
        let workflow_task = Arc::clone(&extra.workflow_task);
        let kind = extra.kind;
        let first_scheduled_time = extra.first_scheduled_time;
        let mut retried = task.clone();
        let old_input = task.input_data.clone();
        let old_task_id = task.task_id.clone();
        let new_task_id = self.ids.next_id();
        retried.task_id.clone_from(&new_task_id);
        retried.retried_task_id = Some(old_task_id);
        retried.retry_count = task.retry_count + 1;
        retried.status = TaskStatus::Scheduled;
        retried.poll_count = 0;
        retried.seq = 0;
        retried.scheduled_time = now;
        retried.start_time = 0;
        retried.end_time = 0;
        retried.update_time = 0;
        retried.worker_id = None;
        retried.sub_workflow_id = None;
        retried.output_data = Map::new();
        retried.executed = false;
        retried.retried = false;
        retried.logs = Vec::new();
        retried.start_delay_in_seconds = delay_seconds;
        retried.callback_after_seconds = delay_seconds;
        let mut input = old_input;
        input.remove("subWorkflowId");
        let recomputed = self.resolve_input(
            execution,
            &workflow_task.input_parameters,
            Some(&new_task_id),
            Some(&definition),
        );
        input.extend(recomputed);
        retried.input_data = input;
        let mut retried_extra = TaskExtra::new(kind, workflow_task, Some(definition));
        retried_extra.first_scheduled_time = first_scheduled_time;
        retried_extra.queue_delay_milliseconds =
            seconds_to_milliseconds(delay_seconds).saturating_add(jitter_milliseconds);
        if let Some(state) = self.executions.get_mut(execution) {
            if let Some(old) = state.workflow.tasks.get_mut(index) {
                old.retried = true;
            }
            state.attention.remove(&index);
        }
        Ok(Some(Planned {
            task: retried,
            extra: retried_extra,
        }))
    }

    /// `checkForWorkflowCompletion`.
    fn check_for_workflow_completion(&self, execution: ExecutionId) -> bool {
        let Some(state) = self.executions.get(execution) else {
            return false;
        };
        if state.non_terminal > 0 {
            return false;
        }
        if state.successful_terminate.is_some() {
            return true;
        }
        if state.workflow.tasks.is_empty() {
            return false;
        }
        let top_level_done = state.navigation.top_level().iter().all(|reference| {
            state
                .latest(reference)
                .and_then(|index| state.task(index))
                .is_some_and(|task| task.status.is_terminal())
        });
        if !top_level_done {
            return false;
        }
        state.workflow.tasks.iter().all(|task| {
            state
                .navigation
                .next(&task.reference_task_name)
                .is_none_or(|next| state.latest(&next.task_reference_name).is_some())
        })
    }

    /// The reason a workflow that would complete fails instead: permissive tasks that failed
    /// (the latest attempt of each).
    fn permissive_failures(&self, execution: ExecutionId) -> Option<String> {
        let state = self.executions.get(execution)?;
        let mut latest: HashMap<&str, usize> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (index, (task, extra)) in state.workflow.tasks.iter().zip(&state.extras).enumerate() {
            if !extra.workflow_task.permissive || extra.workflow_task.optional {
                continue;
            }
            let reference = task.reference_task_name.as_str();
            match latest.get(reference) {
                Some(previous)
                    if state
                        .task(*previous)
                        .is_some_and(|previous| previous.retry_count > task.retry_count) => {}
                Some(_) => {
                    latest.insert(reference, index);
                }
                None => {
                    latest.insert(reference, index);
                    order.push(reference);
                }
            }
        }
        let reasons: Vec<String> = order
            .iter()
            .filter_map(|reference| latest.get(reference))
            .filter_map(|index| state.task(*index))
            .filter(|task| task.status.is_terminal() && !task.status.is_successful())
            .map(|task| {
                format!(
                    "Task {} failed with status: {} and reason: '{}'",
                    task.task_id,
                    task.status,
                    task.reason_for_incompletion.as_deref().unwrap_or("null")
                )
            })
            .collect();
        if reasons.is_empty() {
            None
        } else {
            Some(reasons.join(". "))
        }
    }

    /// `endExecution`: a workflow whose tasks are all done, or which ran a TERMINATE.
    fn end_execution(&mut self, execution: ExecutionId, terminate_task: Option<usize>) {
        match terminate_task.and_then(|index| {
            let state = self.executions.get(execution)?;
            let task = state.task(index)?;
            let status = task
                .input_data
                .get("terminationStatus")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let reason = task
                .input_data
                .get("terminationReason")
                .and_then(Value::as_str)
                .filter(|reason| !reason.trim().is_empty())
                .map_or_else(
                    || format!("Workflow is {status} by TERMINATE task: {}", task.task_id),
                    str::to_owned,
                );
            Some((index, status, reason))
        }) {
            Some((index, status, reason)) => match status.as_str() {
                "FAILED" | "TERMINATED" => {
                    let status = if status == "FAILED" {
                        WorkflowStatus::Failed
                    } else {
                        WorkflowStatus::Terminated
                    };
                    if let Some(state) = self.executions.get_mut(execution) {
                        state.workflow.status = status;
                    }
                    self.terminate(
                        execution,
                        Terminate {
                            reason,
                            status,
                            task: Some(index),
                        },
                    );
                }
                _ => {
                    if let Some(state) = self.executions.get_mut(execution) {
                        state.workflow.reason_for_incompletion = Some(reason);
                    }
                    self.complete_workflow(execution);
                }
            },
            None => self.complete_workflow(execution),
        }
        self.cancel_non_terminal_tasks(execution);
    }

    /// `completeWorkflow`.
    fn complete_workflow(&mut self, execution: ExecutionId) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        if state.workflow.status.is_terminal() {
            return;
        }
        self.update_workflow_output(execution, None);
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        state.workflow.status = WorkflowStatus::Completed;
        state.workflow.end_time = now;
        state.workflow.update_time = now;
        collect_failed_names(state);
        state.refresh_workflow_entry();
        self.finish_workflow(execution);
    }

    /// Records the end of a workflow and tells its parent.
    fn finish_workflow(&mut self, execution: ExecutionId) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        self.record(&Event::WorkflowFinished {
            workflow_id: state.workflow.workflow_id.clone(),
            status: state.workflow.status,
            output: Value::Object(state.workflow.output.clone()),
            reason: state.workflow.reason_for_incompletion.clone(),
            at: self.clock.now_milliseconds(),
        });
        if state.parent.is_some() {
            self.actions.push_back(Action::ChildFinished(execution));
        }
    }

    /// `WorkflowExecutorOps.terminate`: the workflow ends with the status of `terminate`, and
    /// its failure workflow starts.
    pub(super) fn terminate(&mut self, execution: ExecutionId, terminate: Terminate) {
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        if state.workflow.status.is_terminal() && state.workflow.end_time > 0 {
            return;
        }
        if !state.workflow.status.is_terminal() {
            state.workflow.status = terminate.status;
        }
        if let Some(index) = terminate.task
            && state.failed_task_id.is_none()
        {
            state.failed_task_id = state.task(index).map(|task| task.task_id.clone());
        }
        let failure_workflow = state
            .definition
            .failure_workflow
            .clone()
            .and_then(|name| {
                if name.starts_with('$') {
                    let parameter = name.split('.').nth(2)?;
                    state
                        .workflow
                        .input
                        .get(parameter)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                } else {
                    Some(name)
                }
            })
            .filter(|name| !name.trim().is_empty());
        let failure_version = state.definition.failure_workflow_version;
        self.terminate_workflow(
            execution,
            terminate.reason,
            failure_workflow,
            failure_version,
        );
    }

    /// Stops the whole run (a safety limit was hit): every running execution FAILS with the
    /// reason, and no failure workflow starts.
    fn abort_run(&mut self, reason: String) {
        self.aborted = true;
        for execution in 0..self.executions.len() {
            let running = self
                .executions
                .get(execution)
                .is_some_and(|state| !state.is_terminal());
            if running {
                if let Some(state) = self.executions.get_mut(execution) {
                    state.workflow.status = WorkflowStatus::Failed;
                }
                self.terminate_workflow(execution, reason.clone(), None, None);
            }
        }
    }

    /// `terminateWorkflow(workflow, reason, failureWorkflow, version)`.
    fn terminate_workflow(
        &mut self,
        execution: ExecutionId,
        reason: String,
        failure_workflow: Option<String>,
        failure_version: Option<i64>,
    ) {
        if let Some(state) = self.executions.get_mut(execution)
            && !state.workflow.status.is_terminal()
        {
            state.workflow.status = WorkflowStatus::Terminated;
        }
        self.update_workflow_output(execution, None);
        let now = self.clock.now_milliseconds();
        if let Some(state) = self.executions.get_mut(execution) {
            collect_failed_names(state);
            state.workflow.reason_for_incompletion = Some(reason.clone());
            state.workflow.end_time = now;
            state.workflow.update_time = now;
        }
        self.cancel_non_terminal_tasks(execution);
        if let Some(name) = failure_workflow.filter(|_| !self.aborted) {
            let output =
                match self.start_failure_workflow(execution, &name, failure_version, &reason) {
                    Ok(workflow_id) => Value::from(workflow_id),
                    Err(message) => Value::from(format!(
                        "Error workflow {name} failed to start.  reason: {message}"
                    )),
                };
            if let Some(state) = self.executions.get_mut(execution) {
                state
                    .workflow
                    .output
                    .insert("conductor.failure_workflow".into(), output);
            }
        }
        if let Some(state) = self.executions.get_mut(execution) {
            state.refresh_workflow_entry();
        }
        self.finish_workflow(execution);
    }

    /// Starts the failure workflow with Conductor's input: the failed workflow's input plus
    /// `workflowId`, `reason`, `failureStatus`, `failureTaskId` and `failedWorkflow`.
    fn start_failure_workflow(
        &mut self,
        execution: ExecutionId,
        name: &str,
        version: Option<i64>,
        reason: &str,
    ) -> Result<String, String> {
        let Some(state) = self.executions.get(execution) else {
            return Err("the failed workflow is gone".to_owned());
        };
        if state.depth >= MAXIMUM_SUB_WORKFLOW_DEPTH {
            return Err(format!(
                "failure workflows nest deeper than {MAXIMUM_SUB_WORKFLOW_DEPTH} levels"
            ));
        }
        let definition = self
            .definitions
            .workflow(name, version)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "No such workflow defined. name={name}, version={}",
                    version.map_or_else(|| "null".to_owned(), |version| version.to_string())
                )
            })?;
        let mut input = state.workflow.input.clone();
        input.insert(
            "workflowId".into(),
            state.workflow.workflow_id.clone().into(),
        );
        input.insert("reason".into(), reason.into());
        input.insert(
            "failureStatus".into(),
            state.workflow.status.as_str().into(),
        );
        if let Some(task_id) = &state.failed_task_id {
            input.insert("failureTaskId".into(), task_id.clone().into());
        }
        input.insert(
            "failedWorkflow".into(),
            serde_json::to_value(&state.workflow).unwrap_or(Value::Null),
        );
        let path = format!("{}/!failure", state.path);
        let correlation_id = state.workflow.correlation_id.clone();
        let depth = state.depth + 1;
        let failure = self.create_execution(
            definition,
            input,
            correlation_id,
            None,
            path,
            Origin::FailureWorkflow,
            depth,
        );
        if let Err(reason) = self.check_sub_workflow_versions(failure) {
            self.terminate(failure, Terminate::failed(reason));
        }
        Ok(self
            .executions
            .get(failure)
            .map(|state| state.workflow.workflow_id.clone())
            .unwrap_or_default())
    }

    /// `cancelNonTerminalTasks`: every open task is CANCELED; a running sub-workflow is
    /// terminated with it.
    fn cancel_non_terminal_tasks(&mut self, execution: ExecutionId) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        if state.non_terminal == 0 {
            return;
        }
        let open: Vec<usize> = state
            .workflow
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, task)| !task.status.is_terminal())
            .map(|(index, _)| index)
            .collect();
        let parent_reason = match &state.workflow.reason_for_incompletion {
            Some(reason) if !reason.is_empty() => {
                format!("Parent workflow has been terminated with reason: {reason}")
            }
            _ => format!(
                "Parent workflow has been terminated with status {}",
                state.workflow.status
            ),
        };
        for index in open {
            let child = self
                .executions
                .get(execution)
                .and_then(|state| state.extras.get(index))
                .and_then(|extra| extra.child);
            self.finish_task(execution, index, TaskStatus::Canceled, None);
            if let Some(child) = child
                && self
                    .executions
                    .get(child)
                    .is_some_and(|state| !state.is_terminal())
            {
                if let Some(state) = self.executions.get_mut(child) {
                    state.workflow.status = WorkflowStatus::Terminated;
                }
                self.terminate_workflow(child, parent_reason.clone(), None, None);
            }
        }
    }

    /// `DeciderService.updateWorkflowOutput`.
    pub(super) fn update_workflow_output(&mut self, execution: ExecutionId, task: Option<usize>) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        if state.workflow.tasks.is_empty() {
            return;
        }
        let terminate = state
            .workflow
            .tasks
            .iter()
            .zip(&state.extras)
            .find(|(record, extra)| {
                extra.kind == Kind::Terminate
                    && record.status.is_terminal()
                    && record.status.is_successful()
            })
            .map(|(record, _)| record.output_data.clone());
        let output = match terminate {
            Some(output) => output,
            None => {
                if state.definition.output_parameters.is_empty() {
                    let last = task.unwrap_or(state.workflow.tasks.len() - 1);
                    state
                        .task(last)
                        .map(|record| record.output_data.clone())
                        .unwrap_or_default()
                } else {
                    let parameters = state.definition.output_parameters.clone();
                    self.resolve_input(execution, &parameters, None, None)
                }
            }
        };
        if let Some(state) = self.executions.get_mut(execution) {
            state.workflow.output = output;
            state.refresh_workflow_entry();
        }
    }

    /// A child workflow ended: `SubWorkflow.execute` maps its status and output onto the task
    /// that started it.
    pub(super) fn child_finished(&mut self, child: ExecutionId) {
        let Some(state) = self.executions.get(child) else {
            return;
        };
        let Some((parent, index)) = state.parent else {
            return;
        };
        let status = match state.workflow.status {
            WorkflowStatus::Completed => TaskStatus::Completed,
            WorkflowStatus::Failed => TaskStatus::Failed,
            WorkflowStatus::Terminated => TaskStatus::Canceled,
            WorkflowStatus::TimedOut => TaskStatus::TimedOut,
            WorkflowStatus::Running | WorkflowStatus::Paused => return,
        };
        let output = state.workflow.output.clone();
        let reason = (!status.is_successful()).then(|| {
            format!(
                "Sub workflow {}.{}/{} failure reason: {}",
                state.workflow.workflow_name,
                state.workflow.workflow_version,
                state.workflow.workflow_id,
                state
                    .workflow
                    .reason_for_incompletion
                    .as_deref()
                    .unwrap_or("null")
            )
        });
        let Some(parent_state) = self.executions.get_mut(parent) else {
            return;
        };
        let Some(task) = parent_state.workflow.tasks.get_mut(index) else {
            return;
        };
        if task.status.is_terminal() {
            return;
        }
        task.output_data.extend(output);
        self.finish_task(parent, index, status, reason);
    }

    /// `timeoutSeconds` of a task definition passed (`checkTaskTimeout`).
    pub(super) fn task_timed_out(&mut self, execution: ExecutionId, index: usize) {
        let now = self.clock.now_milliseconds();
        let Some((task, definition)) = self.open_task_and_definition(execution, index) else {
            return;
        };
        let elapsed = (now - (task.0 + task.1 * 1000)) / 1000;
        let reason = format!(
            "Task timed out after {elapsed} seconds. Timeout configured as {} seconds. Timeout policy configured to {}",
            definition.timeout_seconds,
            definition.timeout_policy.as_str()
        );
        self.timeout_with_policy(execution, index, definition.timeout_policy, reason);
    }

    /// `totalTimeoutSeconds` passed (`checkTotalTimeout`).
    pub(super) fn total_timeout_reached(&mut self, execution: ExecutionId, index: usize) {
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        let (Some(task), Some(extra)) = (state.task(index), state.extras.get(index)) else {
            return;
        };
        let Some(definition) = extra.task_def.clone() else {
            return;
        };
        if task.status.is_terminal() || extra.first_scheduled_time <= 0 {
            return;
        }
        let elapsed = (now - extra.first_scheduled_time) / 1000;
        let reason = format!(
            "Task {}/{} exceeded total timeout of {} seconds (elapsed {elapsed} seconds across all attempts including retry delays). Timeout policy: {}",
            task.task_def_name,
            task.task_id,
            definition.total_timeout_seconds,
            definition.timeout_policy.as_str()
        );
        self.timeout_with_policy(execution, index, definition.timeout_policy, reason);
    }

    /// The start time and start delay of an open task, and its definition.
    fn open_task_and_definition(
        &self,
        execution: ExecutionId,
        index: usize,
    ) -> Option<((i64, i64), Arc<crate::definition::TaskDef>)> {
        let state = self.executions.get(execution)?;
        if state.is_terminal() {
            return None;
        }
        let task = state.task(index)?;
        if task.status.is_terminal() || task.start_time <= 0 {
            return None;
        }
        let definition = state.extras.get(index)?.task_def.clone()?;
        Some(((task.start_time, task.start_delay_in_seconds), definition))
    }

    /// `timeoutTaskWithTimeoutPolicy`.
    fn timeout_with_policy(
        &mut self,
        execution: ExecutionId,
        index: usize,
        policy: TimeoutPolicy,
        reason: String,
    ) {
        match policy {
            TimeoutPolicy::AlertOnly => {}
            TimeoutPolicy::Retry => {
                self.finish_task(execution, index, TaskStatus::TimedOut, Some(reason));
            }
            TimeoutPolicy::TimeOutWf => {
                self.finish_task(execution, index, TaskStatus::TimedOut, Some(reason.clone()));
                self.terminate(
                    execution,
                    Terminate {
                        reason,
                        status: WorkflowStatus::TimedOut,
                        task: Some(index),
                    },
                );
            }
        }
    }

    /// `responseTimeoutSeconds` passed without an update (`isResponseTimedOut`).
    pub(super) fn response_timed_out(&mut self, execution: ExecutionId, index: usize) {
        if !self.response_deadline_reached(execution, index) {
            return;
        }
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        if state.is_terminal() {
            return;
        }
        let (Some(task), Some(extra)) = (state.task(index), state.extras.get(index)) else {
            return;
        };
        if task.status != TaskStatus::InProgress {
            return;
        }
        let Some(definition) = extra.task_def.as_ref() else {
            return;
        };
        let reason = format!(
            "responseTimeout: {} exceeded for the taskId: {} with Task Definition: {}",
            definition.response_timeout_seconds, task.task_id, task.task_def_name
        );
        self.finish_task(execution, index, TaskStatus::TimedOut, Some(reason));
    }

    /// The workflow's `timeoutSeconds` passed (`checkWorkflowTimeout`).
    pub(super) fn workflow_timed_out(&mut self, execution: ExecutionId) {
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        if state.is_terminal() {
            return;
        }
        let definition = &state.definition;
        let elapsed = (now - state.workflow.create_time) / 1000;
        let reason = format!(
            "Workflow timed out after {elapsed} seconds. Timeout configured as {} seconds. Timeout policy configured to {}",
            definition.timeout_seconds,
            definition.timeout_policy.as_str()
        );
        if definition.timeout_policy == WorkflowTimeoutPolicy::TimeOutWf {
            self.terminate(
                execution,
                Terminate {
                    reason,
                    status: WorkflowStatus::TimedOut,
                    task: None,
                },
            );
        }
    }
}

/// `failedReferenceTaskNames` / `failedTaskNames`: the tasks that ended FAILED or
/// FAILED_WITH_TERMINAL_ERROR.
fn collect_failed_names(state: &mut super::state::Execution) {
    let mut references = Vec::new();
    let mut names = Vec::new();
    for task in &state.workflow.tasks {
        if matches!(
            task.status,
            TaskStatus::Failed | TaskStatus::FailedWithTerminalError
        ) {
            if !references.contains(&task.reference_task_name) {
                references.push(task.reference_task_name.clone());
            }
            if !names.contains(&task.task_def_name) {
                names.push(task.task_def_name.clone());
            }
        }
    }
    state.workflow.failed_reference_task_names = references;
    state.workflow.failed_task_names = names;
}

/// The retry delay of `DeciderService.retry`, in whole seconds (Java `int` arithmetic that
/// saturates at `Integer.MAX_VALUE`), capped by `maxRetryDelaySeconds`.
pub(super) fn retry_delay_seconds(
    logic: RetryLogic,
    retry_delay_seconds: i64,
    backoff_scale_factor: i64,
    max_retry_delay_seconds: i64,
    retry_count: u32,
) -> i64 {
    let maximum = i64::from(i32::MAX);
    let delay = match logic {
        RetryLogic::Fixed => retry_delay_seconds,
        RetryLogic::LinearBackoff => retry_delay_seconds
            .saturating_mul(backoff_scale_factor)
            .saturating_mul(i64::from(retry_count) + 1),
        RetryLogic::ExponentialBackoff => {
            let factor = 1_i64
                .checked_shl(retry_count)
                .filter(|factor| *factor > 0)
                .unwrap_or(maximum)
                .min(maximum);
            retry_delay_seconds.saturating_mul(factor)
        }
    };
    let delay = if delay < 0 || delay > maximum {
        maximum
    } else {
        delay
    };
    if max_retry_delay_seconds > 0 && delay > max_retry_delay_seconds {
        max_retry_delay_seconds
    } else {
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_follow_the_table_of_format_md() {
        let cases = [
            (RetryLogic::Fixed, 60, 1, 0, 3, 60),
            (RetryLogic::LinearBackoff, 10, 2, 0, 0, 20),
            (RetryLogic::LinearBackoff, 10, 2, 0, 2, 60),
            (RetryLogic::ExponentialBackoff, 5, 1, 0, 0, 5),
            (RetryLogic::ExponentialBackoff, 5, 1, 0, 3, 40),
            (RetryLogic::ExponentialBackoff, 5, 1, 30, 3, 30),
            (
                RetryLogic::ExponentialBackoff,
                5,
                1,
                0,
                40,
                i64::from(i32::MAX),
            ),
            (
                RetryLogic::LinearBackoff,
                i64::from(i32::MAX),
                2,
                0,
                1,
                i64::from(i32::MAX),
            ),
        ];
        for (logic, delay, scale, maximum, retry_count, expected) in cases {
            assert_eq!(
                retry_delay_seconds(logic, delay, scale, maximum, retry_count),
                expected,
                "{logic:?} {delay} {scale} {maximum} {retry_count}"
            );
        }
    }
}
