//! The decider loop: one async task that owns every execution of a run and everything that
//! changes them.
//!
//! Work that leaves the engine — worker calls, HTTP requests, script and jq evaluations — runs
//! on tokio tasks that send their answer back over a channel, so independent branches run at
//! once. Everything that waits is a deadline in the engine's timer queue (retry delays, WAIT,
//! timeouts, a mock's `executionTime`, polling again after `callbackAfterSeconds`).
//!
//! With the virtual clock the loop is a discrete-event simulation: it lets everything in flight
//! answer, applies the answers in a fixed order (workflow, then task sequence), and only when
//! nothing is in flight jumps the clock to the next deadline. The outcome therefore depends only
//! on the definitions, the input and the results, never on thread timing. With the real clock
//! answers are applied as they arrive and the loop sleeps until the next deadline.
//!
//! Every change is first written to the [`Recorder`]; results from outside are taken from
//! [`RecordedResults`] first (replay, resume), and under `replay_only` a result that is not
//! there fails the run with a reason naming it.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::mapping::{Terminate, kind_of_type};
use super::navigation::{Navigation, without_iteration};
use super::state::{Execution, ExecutionId, Kind, Origin};
use super::{Definitions, Engine, RunOptions, RunOutcome, StartRequest, WaitingTask};
use crate::clock::{Clock, ClockMode, epoch_milliseconds_now};
use crate::definition::{WorkflowDef, WorkflowTask};
use crate::event::{Event, RecordedResults, Recorder, ResultKey};
use crate::execution::{TaskStatus, Workflow, WorkflowStatus};
use crate::worker::{WorkItem, WorkResult, WorkStatus, Workers};

/// The shortest delay before a task answered IN_PROGRESS without `callbackAfterSeconds` is
/// polled again (a worker that always answers IN_PROGRESS must not spin the loop).
pub(super) const MINIMUM_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Sub-workflows nest at most this deep (a workflow that starts itself would otherwise run
/// until memory runs out).
pub(super) const MAXIMUM_SUB_WORKFLOW_DEPTH: usize = 64;

/// What reaches the decider from outside its loop.
#[derive(Debug)]
pub(super) enum Message {
    /// `RunHandle::complete_task`.
    Complete {
        workflow_id: String,
        task_id: String,
        status: WorkStatus,
        output: Map<String, Value>,
    },
    /// A worker's or an HTTP call's answer (recorded in the history).
    Worked { token: u64, result: WorkResult },
    /// A script or jq evaluation's answer (computed by the engine, not recorded).
    Evaluated { token: u64, result: WorkResult },
    /// The last `RunHandle` is gone: nobody can complete a waiting task any more.
    HandlesDropped,
}

/// Work the decider queues for itself; processed in order until none is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Conductor's `decide(workflowId)`.
    Decide(ExecutionId),
    /// Evaluate a JOIN.
    EvaluateJoin(ExecutionId, usize),
    /// A child workflow ended: update the task that started it.
    ChildFinished(ExecutionId),
}

/// A deadline in the timer queue.
#[derive(Debug)]
struct Timer {
    due: Duration,
    sequence: u64,
    kind: TimerKind,
}

#[derive(Debug)]
enum TimerKind {
    /// A queued task becomes due (start delay, retry delay, poll again).
    Dispatch {
        execution: ExecutionId,
        task: usize,
        token: u64,
    },
    /// A result takes effect after its `executionTime`.
    Deliver {
        execution: ExecutionId,
        task: usize,
        token: u64,
        result: Box<WorkResult>,
    },
    TaskTimeout {
        execution: ExecutionId,
        task: usize,
    },
    ResponseTimeout {
        execution: ExecutionId,
        task: usize,
    },
    TotalTimeout {
        execution: ExecutionId,
        task: usize,
    },
    WaitOver {
        execution: ExecutionId,
        task: usize,
    },
    WorkflowTimeout {
        execution: ExecutionId,
    },
}

impl PartialEq for Timer {
    fn eq(&self, other: &Timer) -> bool {
        (self.due, self.sequence) == (other.due, other.sequence)
    }
}

impl Eq for Timer {}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Timer) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timer {
    fn cmp(&self, other: &Timer) -> Ordering {
        (self.due, self.sequence).cmp(&(other.due, other.sequence))
    }
}

/// Work running outside the loop.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    execution: ExecutionId,
    task: usize,
    dispatched_at: Duration,
    recorded: bool,
}

/// Deterministic ids shaped like Conductor's UUIDs (from the seed and the run id), so a replay
/// gives every task and workflow the id it had.
#[derive(Debug)]
pub(super) struct Ids {
    state: u64,
}

impl Ids {
    fn new(seed: u64, run_id: &str) -> Ids {
        let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
        for byte in run_id.bytes() {
            state = splitmix(state ^ u64::from(byte));
        }
        Ids { state }
    }

    pub(super) fn next_id(&mut self) -> String {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let high = splitmix(self.state);
        let low = splitmix(high ^ self.state);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0x0fff,
            ((low >> 48) & 0x3fff) | 0x8000,
            low & 0xffff_ffff_ffff
        )
    }
}

/// SplitMix64, the mixing step of the ids and of the retry jitter.
pub(super) fn splitmix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One run: the decider's whole state.
pub(super) struct Run {
    pub(super) definitions: Arc<Definitions>,
    pub(super) workers: Arc<dyn Workers>,
    recorder: Arc<dyn Recorder>,
    pub(super) options: RunOptions,
    pub(super) recorded: RecordedResults,
    pub(super) clock: Clock,
    pub(super) executions: Vec<Execution>,
    pub(super) by_workflow_id: HashMap<String, ExecutionId>,
    navigations: HashMap<usize, (Arc<WorkflowDef>, Arc<Navigation>)>,
    pub(super) actions: VecDeque<Action>,
    timers: BinaryHeap<Reverse<Timer>>,
    timer_sequence: u64,
    in_flight: HashMap<u64, InFlight>,
    /// Results already known when asked for (recorded, injected): in flight like any other, so
    /// that a replay applies them in the order the original run did.
    ready: Vec<(u64, WorkResult)>,
    next_token: u64,
    sender: mpsc::UnboundedSender<Message>,
    receiver: mpsc::UnboundedReceiver<Message>,
    waiting: Arc<Mutex<Vec<WaitingTask>>>,
    handles_alive: bool,
    pub(super) ids: Ids,
    pub(super) tasks_added: usize,
    /// One HTTP client per run (connection reuse), made on the first HTTP task.
    http_client: Option<reqwest::Client>,
    /// Conductor's ad-hoc task definitions by (name, SIMPLE or not), made once.
    pub(super) ad_hoc_task_defs: HashMap<(String, bool), Arc<crate::definition::TaskDef>>,
    /// A safety limit stopped the run: nothing new starts.
    pub(super) aborted: bool,
    started: Instant,
}

impl Run {
    pub(super) fn new(
        engine: Engine,
        sender: mpsc::UnboundedSender<Message>,
        receiver: mpsc::UnboundedReceiver<Message>,
        waiting: Arc<Mutex<Vec<WaitingTask>>>,
    ) -> Run {
        let Engine {
            definitions,
            workers,
            recorder,
            mut options,
        } = engine;
        let recorded = std::mem::take(&mut options.recorded);
        let start = options.start_time.unwrap_or_else(epoch_milliseconds_now);
        let ids = Ids::new(options.seed, &options.run_id);
        Run {
            definitions,
            workers,
            recorder,
            clock: Clock::new(options.clock, start),
            options,
            recorded,
            executions: Vec::new(),
            by_workflow_id: HashMap::new(),
            navigations: HashMap::new(),
            actions: VecDeque::new(),
            timers: BinaryHeap::new(),
            timer_sequence: 0,
            in_flight: HashMap::new(),
            ready: Vec::new(),
            next_token: 0,
            sender,
            receiver,
            waiting,
            handles_alive: true,
            ids,
            tasks_added: 0,
            http_client: None,
            ad_hoc_task_defs: HashMap::new(),
            aborted: false,
            started: Instant::now(),
        }
    }

    /// Runs the workflow of `request` to its end (or until nothing can make progress).
    pub(super) async fn execute(mut self, request: StartRequest) -> RunOutcome {
        self.record_run_started(&request);
        let root = self.start_root(&request);
        loop {
            self.process_actions();
            if self.finished(root) {
                break;
            }
            if !self.in_flight.is_empty() {
                match self.clock.mode() {
                    ClockMode::Virtual => self.collect_in_flight().await,
                    ClockMode::RealTime => self.wait_real_time().await,
                }
                continue;
            }
            let root_running = root.is_some_and(|root| {
                self.executions
                    .get(root)
                    .is_some_and(|execution| !execution.is_terminal())
            });
            // Simulated time does not pass while a person (or a test) can still answer a waiting
            // task of the running workflow: they answer at once, in virtual time, and a timeout
            // cannot overtake them. With nobody left to answer, time moves on.
            let awaiting_answer = root_running && self.handles_alive && self.has_waiting_tasks();
            if let Some(due) = self.next_due() {
                match self.clock.mode() {
                    ClockMode::Virtual if awaiting_answer => match self.receiver.recv().await {
                        Some(message) => self.handle_message(message),
                        None => break,
                    },
                    ClockMode::Virtual => {
                        self.drain_messages();
                        if self.actions.is_empty() {
                            self.clock.advance_to(due);
                            self.fire_due_timers();
                        }
                    }
                    ClockMode::RealTime => self.wait_real_time().await,
                }
                continue;
            }
            if awaiting_answer {
                match self.receiver.recv().await {
                    Some(message) => self.handle_message(message),
                    None => break,
                }
                continue;
            }
            break;
        }
        self.outcome(root, &request)
    }

    fn record_run_started(&self, request: &StartRequest) {
        let definitions = &self.definitions;
        let mut sources: Vec<Value> = Vec::new();
        let root = definitions.workflow(&request.name, request.version);
        if let Some(root) = root
            && let Some(source) = definitions.workflow_source(&root.name, root.version)
        {
            sources.push(source.clone());
        }
        sources.extend(
            definitions
                .workflow_sources()
                .into_iter()
                .filter(|(name, version, _)| {
                    root.is_none_or(|root| !(root.name == *name && root.version == *version))
                })
                .map(|(_, _, source)| source.clone()),
        );
        self.recorder.record(&Event::RunStarted {
            run_id: self.options.run_id.clone(),
            definitions: sources,
            task_defs: definitions.task_def_sources(),
            input: Value::Object(request.input.clone()),
            at: self.clock.now_milliseconds(),
            options: self.options.recorded_form(),
        });
    }

    /// Starts the root workflow; `None` when its definition does not exist.
    fn start_root(&mut self, request: &StartRequest) -> Option<ExecutionId> {
        let definition = self
            .definitions
            .workflow(&request.name, request.version)
            .cloned()?;
        let execution = self.create_execution(
            definition,
            request.input.clone(),
            request.correlation_id.clone(),
            None,
            String::new(),
            Origin::Root,
            0,
        );
        if let Err(reason) = self.check_sub_workflow_versions(execution) {
            self.terminate(execution, Terminate::failed(reason));
        }
        Some(execution)
    }

    /// Conductor's `MetadataMapperService.populateVersionForSubWorkflow` for an execution that
    /// has just been created.
    pub(super) fn check_sub_workflow_versions(&self, execution: ExecutionId) -> Result<(), String> {
        match self.executions.get(execution) {
            Some(state) => sub_workflow_versions_available(&self.definitions, &state.definition),
            None => Ok(()),
        }
    }

    /// Creates an execution, records its start and queues its first decision.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn create_execution(
        &mut self,
        definition: Arc<WorkflowDef>,
        input: Map<String, Value>,
        correlation_id: Option<String>,
        parent: Option<(ExecutionId, usize)>,
        path: String,
        origin: Origin,
        depth: usize,
    ) -> ExecutionId {
        let workflow_id = self.ids.next_id();
        let now = self.clock.now_milliseconds();
        let parent_ids = parent.and_then(|(execution, task)| {
            let state = self.executions.get(execution)?;
            let task = state.task(task)?;
            Some((state.workflow.workflow_id.clone(), task.task_id.clone()))
        });
        let workflow = super::state::new_workflow(
            &definition,
            workflow_id.clone(),
            input,
            correlation_id,
            parent_ids.clone(),
            now,
        );
        self.recorder.record(&Event::WorkflowStarted {
            workflow_id: workflow_id.clone(),
            parent_workflow_id: parent_ids.as_ref().map(|(id, _)| id.clone()),
            parent_task_id: parent_ids.map(|(_, id)| id),
            name: definition.name.clone(),
            version: definition.version,
            input: Value::Object(workflow.input.clone()),
            correlation_id: workflow.correlation_id.clone(),
            at: now,
        });
        let navigation = self.navigation(&definition);
        let timeout_seconds = definition.timeout_seconds;
        let execution = self.executions.len();
        self.executions.push(Execution::new(
            workflow, definition, navigation, path, origin, parent, depth,
        ));
        self.by_workflow_id.insert(workflow_id, execution);
        if timeout_seconds > 0 {
            let due = self.clock.elapsed()
                + Duration::from_secs(u64::try_from(timeout_seconds).unwrap_or(u64::MAX));
            self.add_timer(due, TimerKind::WorkflowTimeout { execution });
        }
        self.queue_decide(execution);
        execution
    }

    /// The navigation of a definition, computed once per definition.
    fn navigation(&mut self, definition: &Arc<WorkflowDef>) -> Arc<Navigation> {
        let key = Arc::as_ptr(definition) as usize;
        if let Some((_, navigation)) = self.navigations.get(&key) {
            return Arc::clone(navigation);
        }
        let navigation = Arc::new(Navigation::of(definition));
        self.navigations
            .insert(key, (Arc::clone(definition), Arc::clone(&navigation)));
        navigation
    }

    pub(super) fn record(&self, event: &Event) {
        self.recorder.record(event);
    }

    pub(super) fn queue_decide(&mut self, execution: ExecutionId) {
        if let Some(state) = self.executions.get_mut(execution)
            && !state.decide_queued
        {
            state.decide_queued = true;
            self.actions.push_back(Action::Decide(execution));
        }
    }

    fn process_actions(&mut self) {
        while let Some(action) = self.actions.pop_front() {
            match action {
                Action::Decide(execution) => {
                    if let Some(state) = self.executions.get_mut(execution) {
                        state.decide_queued = false;
                    }
                    self.decide(execution);
                }
                Action::EvaluateJoin(execution, task) => self.evaluate_join(execution, task),
                Action::ChildFinished(child) => self.child_finished(child),
            }
        }
    }

    /// Whether the run is over: every execution ended, or the root ended and nothing else can
    /// move without an external completion.
    fn finished(&self, root: Option<ExecutionId>) -> bool {
        if self.executions.iter().all(Execution::is_terminal) {
            return true;
        }
        let root_terminal = root
            .and_then(|root| self.executions.get(root))
            .is_none_or(Execution::is_terminal);
        root_terminal
            && self.in_flight.is_empty()
            && self.timers.is_empty()
            && self.actions.is_empty()
    }

    fn has_waiting_tasks(&self) -> bool {
        match self.waiting.lock() {
            Ok(waiting) => !waiting.is_empty(),
            Err(poisoned) => !poisoned.into_inner().is_empty(),
        }
    }

    /// Virtual clock: waits until everything in flight has answered, then applies the answers
    /// in a fixed order.
    async fn collect_in_flight(&mut self) {
        let mut batch = Vec::new();
        for (token, result) in std::mem::take(&mut self.ready) {
            if let Some(in_flight) = self.in_flight.remove(&token) {
                batch.push((in_flight, Message::Worked { token, result }));
            }
        }
        while !self.in_flight.is_empty() {
            let Some(message) = self.receiver.recv().await else {
                break;
            };
            if let Message::Worked { token, .. } | Message::Evaluated { token, .. } = &message
                && let Some(in_flight) = self.in_flight.remove(token)
            {
                batch.push((in_flight, message));
                continue;
            }
            self.handle_message(message);
        }
        batch.sort_by_key(|(in_flight, _)| {
            let seq = self
                .executions
                .get(in_flight.execution)
                .and_then(|state| state.task(in_flight.task))
                .map_or(0, |task| task.seq);
            (in_flight.execution, seq, in_flight.task)
        });
        for (in_flight, message) in batch {
            self.receive(in_flight, message);
        }
    }

    /// Real clock: applies the next answer, or fires the timers that are due.
    async fn wait_real_time(&mut self) {
        if !self.ready.is_empty() {
            for (token, result) in std::mem::take(&mut self.ready) {
                if let Some(in_flight) = self.in_flight.remove(&token) {
                    self.receive(in_flight, Message::Worked { token, result });
                }
            }
            return;
        }
        let wait = self.next_due().map(|due| self.clock.real_wait_until(due));
        let message = match wait {
            Some(wait) => tokio::select! {
                message = self.receiver.recv() => message,
                () = tokio::time::sleep(wait) => None,
            },
            None => self.receiver.recv().await,
        };
        match message {
            Some(message) => self.handle_message(message),
            None => self.fire_due_timers(),
        }
    }

    /// Handles the messages that have already arrived.
    fn drain_messages(&mut self) {
        while let Ok(message) = self.receiver.try_recv() {
            self.handle_message(message);
        }
    }

    fn handle_message(&mut self, message: Message) {
        match message {
            Message::Worked { token, .. } | Message::Evaluated { token, .. } => {
                if let Some(in_flight) = self.in_flight.remove(&token) {
                    self.receive(in_flight, message);
                }
            }
            Message::Complete {
                workflow_id,
                task_id,
                status,
                output,
            } => self.complete_externally(&workflow_id, &task_id, status, output),
            Message::HandlesDropped => self.handles_alive = false,
        }
    }

    /// An answer of work that was in flight.
    fn receive(&mut self, in_flight: InFlight, message: Message) {
        let (token, result) = match message {
            Message::Worked { token, result } | Message::Evaluated { token, result } => {
                (token, result)
            }
            Message::Complete { .. } | Message::HandlesDropped => return,
        };
        if let Some(extra) = self
            .executions
            .get_mut(in_flight.execution)
            .and_then(|state| state.extras.get_mut(in_flight.task))
        {
            extra.in_flight = None;
        }
        if in_flight.recorded {
            self.result_arrived(
                in_flight.execution,
                in_flight.task,
                token,
                result,
                in_flight.dispatched_at,
            );
        } else {
            self.apply_result(in_flight.execution, in_flight.task, token, result);
        }
    }

    /// A result from outside the engine: recorded, then applied after its `executionTime`.
    pub(super) fn result_arrived(
        &mut self,
        execution: ExecutionId,
        task: usize,
        token: u64,
        result: WorkResult,
        dispatched_at: Duration,
    ) {
        let Some((workflow_id, task_id, key)) = self.task_identity(execution, task) else {
            return;
        };
        self.record(&Event::ResultReceived {
            workflow_id,
            task_id,
            key,
            result: result.clone(),
            at: self.clock.now_milliseconds(),
        });
        match result.execution_time.filter(|time| !time.is_zero()) {
            Some(time) => {
                let due = (dispatched_at + time).max(self.clock.elapsed());
                self.add_timer(
                    due,
                    TimerKind::Deliver {
                        execution,
                        task,
                        token,
                        result: Box::new(result),
                    },
                );
            }
            None => self.apply_result(execution, task, token, result),
        }
    }

    /// The workflow id, task id and result key of a task.
    pub(super) fn task_identity(
        &self,
        execution: ExecutionId,
        task: usize,
    ) -> Option<(String, String, ResultKey)> {
        let state = self.executions.get(execution)?;
        let record = state.task(task)?;
        Some((
            state.workflow.workflow_id.clone(),
            record.task_id.clone(),
            ResultKey::new(&state.path, &record.reference_task_name, record.retry_count),
        ))
    }

    /// `RunHandle::complete_task`: a HUMAN/WAIT (or asynchronously completed) task finishes.
    fn complete_externally(
        &mut self,
        workflow_id: &str,
        task_id: &str,
        status: WorkStatus,
        output: Map<String, Value>,
    ) {
        let Some(&execution) = self.by_workflow_id.get(workflow_id) else {
            return;
        };
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        let Some(task) = state
            .workflow
            .tasks
            .iter()
            .rposition(|task| task.task_id == task_id)
        else {
            return;
        };
        let waiting = state
            .extras
            .get(task)
            .is_some_and(|extra| extra.waiting_external);
        if !waiting {
            return;
        }
        let token = state.extras.get(task).map_or(0, |extra| extra.token);
        let result = WorkResult::with_status(status, output, None);
        let now = self.clock.elapsed();
        self.result_arrived(execution, task, token, result, now);
    }

    pub(super) fn new_token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    fn next_due(&self) -> Option<Duration> {
        self.timers.peek().map(|Reverse(timer)| timer.due)
    }

    fn add_timer(&mut self, due: Duration, kind: TimerKind) {
        self.timer_sequence += 1;
        self.timers.push(Reverse(Timer {
            due,
            sequence: self.timer_sequence,
            kind,
        }));
    }

    /// Fires every timer that is due on the clock.
    fn fire_due_timers(&mut self) {
        let now = self.clock.elapsed();
        while self.next_due().is_some_and(|due| due <= now) {
            let Some(Reverse(timer)) = self.timers.pop() else {
                break;
            };
            self.fire(timer.kind);
        }
    }

    fn fire(&mut self, kind: TimerKind) {
        match kind {
            TimerKind::Dispatch {
                execution,
                task,
                token,
            } => {
                let current = self
                    .executions
                    .get(execution)
                    .and_then(|state| state.extras.get(task))
                    .is_some_and(|extra| extra.token == token);
                if current {
                    self.dispatch(execution, task);
                }
            }
            TimerKind::Deliver {
                execution,
                task,
                token,
                result,
            } => self.apply_result(execution, task, token, *result),
            TimerKind::TaskTimeout { execution, task } => self.task_timed_out(execution, task),
            TimerKind::ResponseTimeout { execution, task } => {
                self.response_timed_out(execution, task);
            }
            TimerKind::TotalTimeout { execution, task } => {
                self.total_timeout_reached(execution, task);
            }
            TimerKind::WaitOver { execution, task } => self.wait_over(execution, task),
            TimerKind::WorkflowTimeout { execution } => self.workflow_timed_out(execution),
        }
    }

    /// Queues a task to be handed out after `delay` (now when zero).
    pub(super) fn queue_dispatch(&mut self, execution: ExecutionId, task: usize, delay: Duration) {
        let token = self.new_token();
        if let Some(extra) = self
            .executions
            .get_mut(execution)
            .and_then(|state| state.extras.get_mut(task))
        {
            extra.token = token;
        }
        if delay.is_zero() {
            self.dispatch(execution, task);
        } else {
            let due = self.clock.elapsed() + delay;
            self.add_timer(
                due,
                TimerKind::Dispatch {
                    execution,
                    task,
                    token,
                },
            );
        }
    }

    /// Arms the timers of a task that has just started: `timeoutSeconds` (from
    /// `startTime + startDelay`) and the response timeout.
    pub(super) fn arm_started_timers(&mut self, execution: ExecutionId, task: usize) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        let (Some(record), Some(extra)) = (state.task(task), state.extras.get(task)) else {
            return;
        };
        let Some(definition) = extra.task_def.clone() else {
            return;
        };
        if definition.timeout_seconds > 0 && record.start_time > 0 {
            let start = self.clock.elapsed_at_epoch_milliseconds(record.start_time)
                + Duration::from_secs(u64::try_from(record.start_delay_in_seconds).unwrap_or(0));
            let due =
                start + Duration::from_secs(u64::try_from(definition.timeout_seconds).unwrap_or(0));
            self.add_timer(due, TimerKind::TaskTimeout { execution, task });
        }
        self.arm_response_timer(execution, task);
    }

    /// (Re)arms the response timeout of an IN_PROGRESS task, from its last update.
    pub(super) fn arm_response_timer(&mut self, execution: ExecutionId, task: usize) {
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let (Some(record), Some(extra)) =
            (state.workflow.tasks.get(task), state.extras.get_mut(task))
        else {
            return;
        };
        let Some(definition) = extra.task_def.as_ref() else {
            return;
        };
        let asynchronously_completed = match extra.kind {
            Kind::SubWorkflow => true,
            Kind::Http | Kind::Event => record
                .input_data
                .get("asyncComplete")
                .and_then(Value::as_bool)
                .unwrap_or(extra.workflow_task.async_complete),
            _ => extra.workflow_task.async_complete && extra.kind.is_system(),
        };
        if definition.response_timeout_seconds <= 0
            || record.status != TaskStatus::InProgress
            || asynchronously_completed
        {
            extra.response_deadline = None;
            return;
        }
        let seconds = definition
            .response_timeout_seconds
            .saturating_add(record.callback_after_seconds.max(0));
        let due = self.clock.elapsed_at_epoch_milliseconds(record.update_time)
            + Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
        extra.response_deadline = Some(due);
        self.add_timer(due, TimerKind::ResponseTimeout { execution, task });
    }

    /// Arms `totalTimeoutSeconds` (from the first attempt's schedule time).
    pub(super) fn arm_total_timer(&mut self, execution: ExecutionId, task: usize) {
        let Some(extra) = self
            .executions
            .get(execution)
            .and_then(|state| state.extras.get(task))
        else {
            return;
        };
        let Some(definition) = extra.task_def.as_ref() else {
            return;
        };
        if definition.total_timeout_seconds <= 0 || extra.first_scheduled_time <= 0 {
            return;
        }
        let due = self
            .clock
            .elapsed_at_epoch_milliseconds(extra.first_scheduled_time)
            + Duration::from_secs(u64::try_from(definition.total_timeout_seconds).unwrap_or(0));
        self.add_timer(due, TimerKind::TotalTimeout { execution, task });
    }

    /// Arms the end of a WAIT with a deadline.
    pub(super) fn arm_wait(&mut self, execution: ExecutionId, task: usize, due: Duration) {
        self.add_timer(due, TimerKind::WaitOver { execution, task });
    }

    /// The response deadline a timer was armed for is still the task's current one.
    pub(super) fn response_deadline_reached(&self, execution: ExecutionId, task: usize) -> bool {
        self.executions
            .get(execution)
            .and_then(|state| state.extras.get(task))
            .and_then(|extra| extra.response_deadline)
            .is_some_and(|due| due <= self.clock.elapsed())
    }

    /// Hands a due task out: a worker task is polled and its result asked for; a system task
    /// queued like one (HTTP, SUB_WORKFLOW, START_WORKFLOW) is started.
    pub(super) fn dispatch(&mut self, execution: ExecutionId, task: usize) {
        let Some(state) = self.executions.get(execution) else {
            return;
        };
        if state.is_terminal() {
            return;
        }
        let (Some(record), Some(extra)) = (state.task(task), state.extras.get(task)) else {
            return;
        };
        if record.status != TaskStatus::Scheduled {
            return;
        }
        let kind = extra.kind;
        let stand_in = matches!(kind, Kind::SubWorkflow | Kind::StartWorkflow)
            && self
                .workers
                .can_execute(&record.task_def_name, &record.reference_task_name)
            && self.target_is_missing(record);
        if stand_in {
            if let Some(extra) = self
                .executions
                .get_mut(execution)
                .and_then(|state| state.extras.get_mut(task))
            {
                extra.answered_by_workers = true;
            }
            self.poll(execution, task);
            return;
        }
        match kind {
            Kind::SubWorkflow => self.start_sub_workflow(execution, task),
            Kind::StartWorkflow => self.start_workflow_task(execution, task),
            _ => self.poll(execution, task),
        }
    }

    /// Whether the workflow a SUB_WORKFLOW or START_WORKFLOW task would start is not among the
    /// definitions (a workflow of another project): then the workers may stand in for it.
    fn target_is_missing(&self, record: &crate::execution::Task) -> bool {
        let input = &record.input_data;
        let (name, version) = if record.task_type == "SUB_WORKFLOW" {
            if input
                .get("subWorkflowDefinition")
                .is_some_and(Value::is_object)
            {
                return false;
            }
            (
                input.get("subWorkflowName").and_then(Value::as_str),
                input
                    .get("subWorkflowVersion")
                    .and_then(Value::as_i64)
                    .filter(|version| *version != 0),
            )
        } else {
            let request = input.get("startWorkflow");
            if request
                .and_then(|request| request.get("workflowDef"))
                .is_some_and(Value::is_object)
            {
                return false;
            }
            (
                request
                    .and_then(|request| request.get("name"))
                    .and_then(Value::as_str),
                request
                    .and_then(|request| request.get("version"))
                    .and_then(Value::as_i64),
            )
        };
        name.is_some_and(|name| self.definitions.workflow(name, version).is_none())
    }

    /// Conductor's poll: the task goes IN_PROGRESS and its result is asked for — from the
    /// recorded results, the injected failures, or the workers (HTTP: the request).
    fn poll(&mut self, execution: ExecutionId, task: usize) {
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let Some(record) = state.workflow.tasks.get_mut(task) else {
            return;
        };
        let first_poll = record.start_time == 0;
        if first_poll {
            record.start_time = now;
        }
        record.update_time = now;
        record.poll_count += 1;
        let workflow_id = state.workflow.workflow_id.clone();
        let task_id = record.task_id.clone();
        state.set_status(task, TaskStatus::InProgress);
        self.record(&Event::TaskStarted {
            workflow_id,
            task_id,
            at: now,
        });
        if first_poll {
            self.arm_started_timers(execution, task);
        } else {
            self.arm_response_timer(execution, task);
        }
        self.ask_for_result(execution, task);
    }

    /// Asks for the result of a task whose result comes from outside the engine.
    pub(super) fn ask_for_result(&mut self, execution: ExecutionId, task: usize) {
        let token = self.new_token();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let Some(extra) = state.extras.get_mut(task) else {
            return;
        };
        extra.token = token;
        let kind = extra.kind;
        let by_workers = kind == Kind::Worker || extra.answered_by_workers;
        if let Some(result) = self.recorded_or_injected(execution, task) {
            let dispatched_at = self.clock.elapsed();
            self.in_flight.insert(
                token,
                InFlight {
                    execution,
                    task,
                    dispatched_at,
                    recorded: true,
                },
            );
            self.ready.push((token, result));
            return;
        }
        if self.options.replay_only {
            let key = self
                .task_identity(execution, task)
                .map(|(_, _, key)| key.0)
                .unwrap_or_default();
            self.diverged(execution, &key);
            return;
        }
        let Some(item) = self.work_item(execution, task) else {
            return;
        };
        if by_workers {
            let future = self.workers.execute(item);
            self.spawn(execution, task, token, true, future);
        } else if kind == Kind::Http {
            let client = match &self.http_client {
                Some(client) => Ok(client.clone()),
                None => crate::http::client(),
            };
            let future: crate::worker::WorkFuture = match client {
                Ok(client) => {
                    self.http_client = Some(client.clone());
                    let input = item.input;
                    Box::pin(async move { crate::http::execute(&input, &client).await })
                }
                Err(reason) => Box::pin(async move { WorkResult::failed(reason) }),
            };
            self.spawn(execution, task, token, true, future);
        } else {
            self.mark_waiting(execution, task);
        }
    }

    /// A recorded result for the task's key (replay, resume), else an injected failure
    /// (`--fail`), which is then treated like any result from outside.
    pub(super) fn recorded_or_injected(
        &mut self,
        execution: ExecutionId,
        task: usize,
    ) -> Option<WorkResult> {
        let (_, _, key) = self.task_identity(execution, task)?;
        if let Some(result) = self.recorded.take(&key) {
            return Some(result);
        }
        let state = self.executions.get(execution)?;
        let record = state.task(task)?;
        let attempt = record.retry_count + 1;
        let reference = record.reference_task_name.as_str();
        let base = without_iteration(reference);
        let path = format!("{}/{}", state.path, reference);
        let base_path = format!("{}/{}", state.path, base);
        let injected = self.options.failures.iter().find(|failure| {
            let names_task = failure.reference == reference
                || failure.reference == base
                || failure.reference == path
                || failure.reference == base_path;
            names_task && failure.attempt.is_none_or(|wanted| wanted == attempt)
        })?;
        let which = match injected.attempt {
            Some(attempt) => format!("{}:{attempt}", injected.reference),
            None => injected.reference.clone(),
        };
        Some(WorkResult::failed(format!(
            "injected failure (--fail {which}), attempt {attempt}"
        )))
    }

    /// What a worker receives for a task.
    fn work_item(&self, execution: ExecutionId, task: usize) -> Option<WorkItem> {
        let state = self.executions.get(execution)?;
        let record = state.task(task)?;
        let (_, _, key) = self.task_identity(execution, task)?;
        Some(WorkItem {
            workflow_id: state.workflow.workflow_id.clone(),
            task_id: record.task_id.clone(),
            task_type: record.task_type.clone(),
            task_def_name: record.task_def_name.clone(),
            reference_task_name: record.reference_task_name.clone(),
            input: crate::parameters::substitute_secrets(&record.input_data),
            retry_count: record.retry_count,
            poll_count: record.poll_count,
            iteration: record.iteration,
            key,
        })
    }

    /// Runs work outside the loop; its answer comes back as a message. A worker that panics or
    /// is cancelled still answers (FAILED), so the loop never waits for nothing.
    pub(super) fn spawn(
        &mut self,
        execution: ExecutionId,
        task: usize,
        token: u64,
        recorded: bool,
        future: crate::worker::WorkFuture,
    ) {
        let sender = self.sender.clone();
        let handle = tokio::spawn(async move {
            let mut guard = AnswerGuard {
                sender,
                token,
                recorded,
                answered: false,
            };
            let result = future.await;
            guard.answer(result);
        });
        self.track(execution, task, token, recorded, handle.abort_handle());
    }

    /// Runs a blocking evaluation (scripts, jq) on tokio's blocking pool.
    pub(super) fn spawn_evaluation(
        &mut self,
        execution: ExecutionId,
        task: usize,
        evaluate: impl FnOnce() -> WorkResult + Send + 'static,
    ) {
        let token = self.new_token();
        if let Some(extra) = self
            .executions
            .get_mut(execution)
            .and_then(|state| state.extras.get_mut(task))
        {
            extra.token = token;
        }
        let sender = self.sender.clone();
        let handle = tokio::task::spawn_blocking(move || {
            let mut guard = AnswerGuard {
                sender,
                token,
                recorded: false,
                answered: false,
            };
            let result = evaluate();
            guard.answer(result);
        });
        self.track(execution, task, token, false, handle.abort_handle());
    }

    fn track(
        &mut self,
        execution: ExecutionId,
        task: usize,
        token: u64,
        recorded: bool,
        abort: tokio::task::AbortHandle,
    ) {
        let dispatched_at = self.clock.elapsed();
        self.in_flight.insert(
            token,
            InFlight {
                execution,
                task,
                dispatched_at,
                recorded,
            },
        );
        if let Some(extra) = self
            .executions
            .get_mut(execution)
            .and_then(|state| state.extras.get_mut(task))
        {
            extra.in_flight = Some(abort);
        }
    }

    /// Stops the work in flight for a task (it was canceled or timed out); its answer, should
    /// it still come, is dropped.
    pub(super) fn abort_in_flight(&mut self, execution: ExecutionId, task: usize) {
        let Some(extra) = self
            .executions
            .get_mut(execution)
            .and_then(|state| state.extras.get_mut(task))
        else {
            return;
        };
        if let Some(abort) = extra.in_flight.take() {
            abort.abort();
            let token = extra.token;
            self.in_flight.remove(&token);
        }
    }

    /// A HUMAN task, a WAIT without deadline or an asynchronously completed task now waits for
    /// `RunHandle::complete_task`.
    pub(super) fn mark_waiting(&mut self, execution: ExecutionId, task: usize) {
        let now = self.clock.now_milliseconds();
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let path = state.path.clone();
        let workflow_id = state.workflow.workflow_id.clone();
        let (Some(record), Some(extra)) =
            (state.workflow.tasks.get(task), state.extras.get_mut(task))
        else {
            return;
        };
        if extra.waiting_external {
            return;
        }
        extra.waiting_external = true;
        let waiting = WaitingTask {
            workflow_id: workflow_id.clone(),
            task_id: record.task_id.clone(),
            reference_task_name: record.reference_task_name.clone(),
            task_type: record.task_type.clone(),
            path,
        };
        self.record(&Event::TaskWaiting {
            workflow_id,
            task_id: waiting.task_id.clone(),
            reference_task_name: waiting.reference_task_name.clone(),
            task_type: waiting.task_type.clone(),
            at: now,
        });
        match self.waiting.lock() {
            Ok(mut list) => list.push(waiting),
            Err(poisoned) => poisoned.into_inner().push(waiting),
        }
    }

    /// The task no longer waits for an external completion.
    pub(super) fn unmark_waiting(&mut self, execution: ExecutionId, task: usize) {
        let Some(state) = self.executions.get_mut(execution) else {
            return;
        };
        let Some(extra) = state.extras.get_mut(task) else {
            return;
        };
        if !extra.waiting_external {
            return;
        }
        extra.waiting_external = false;
        let task_id = state
            .task(task)
            .map(|record| record.task_id.clone())
            .unwrap_or_default();
        match self.waiting.lock() {
            Ok(mut list) => list.retain(|waiting| waiting.task_id != task_id),
            Err(poisoned) => poisoned
                .into_inner()
                .retain(|waiting| waiting.task_id != task_id),
        }
    }

    /// `replay_only`: the history has no result where the run needs one. The run fails here,
    /// saying where it diverged.
    fn diverged(&mut self, execution: ExecutionId, key: &str) {
        let reason = format!(
            "replay diverged: the recorded history has no result for {key} (the definitions, the input or the options differ from the recorded run)"
        );
        let root = self
            .executions
            .iter()
            .position(|state| state.origin == Origin::Root)
            .unwrap_or(execution);
        for target in [execution, root] {
            if self
                .executions
                .get(target)
                .is_some_and(|state| !state.is_terminal())
            {
                self.terminate(target, Terminate::failed(reason.clone()));
            }
        }
    }

    /// What the run ended with: the root, every other execution, the times, why it stalled.
    fn outcome(self, root: Option<ExecutionId>, request: &StartRequest) -> RunOutcome {
        let simulated_elapsed = self.clock.elapsed();
        let real_elapsed = self.started.elapsed();
        let stalled = root
            .and_then(|root| self.executions.get(root))
            .filter(|state| !state.is_terminal())
            .map(|state| stall_reason(state, self.has_waiting_tasks()));
        let mut workflows: Vec<Workflow> = self
            .executions
            .into_iter()
            .map(|state| {
                let Execution {
                    mut workflow,
                    extras,
                    ..
                } = state;
                let removed: Vec<bool> = extras.iter().map(|extra| extra.removed).collect();
                if removed.iter().any(|removed| *removed) {
                    let mut index = 0;
                    workflow.tasks.retain(|_| {
                        let keep = !removed.get(index).copied().unwrap_or(false);
                        index += 1;
                        keep
                    });
                }
                workflow
            })
            .collect();
        let workflow = match root {
            Some(root) if root < workflows.len() => workflows.remove(root),
            _ => missing_root(request, self.clock.now_milliseconds()),
        };
        RunOutcome {
            workflow,
            other_workflows: workflows,
            simulated_elapsed,
            real_elapsed,
            stalled,
        }
    }
}

/// Sends a task's answer back to the loop exactly once, even when the work panics or is
/// cancelled.
struct AnswerGuard {
    sender: mpsc::UnboundedSender<Message>,
    token: u64,
    recorded: bool,
    answered: bool,
}

impl AnswerGuard {
    fn answer(&mut self, result: WorkResult) {
        self.answered = true;
        let token = self.token;
        let message = if self.recorded {
            Message::Worked { token, result }
        } else {
            Message::Evaluated { token, result }
        };
        // The loop may have finished (a canceled task's answer): nobody to tell.
        let _ = self.sender.send(message);
    }
}

impl Drop for AnswerGuard {
    fn drop(&mut self) {
        if !self.answered {
            self.answer(WorkResult::failed(
                "the worker stopped without answering (it panicked or was cancelled)",
            ));
        }
    }
}

/// Why a run stopped while its root workflow still runs.
fn stall_reason(state: &Execution, waiting: bool) -> String {
    if waiting {
        return "the run stopped while tasks were waiting for a completion (nobody can complete them any more)".to_owned();
    }
    let open: Vec<String> = state
        .workflow
        .tasks
        .iter()
        .filter(|task| !task.status.is_terminal())
        .map(|task| format!("{} ({})", task.reference_task_name, task.status))
        .collect();
    if open.is_empty() {
        "nothing is left to run but the workflow did not complete".to_owned()
    } else {
        format!(
            "no task can make progress; still open: {} (a JOIN waiting for a task that is never scheduled?)",
            open.join(", ")
        )
    }
}

/// The outcome when the requested workflow does not exist (Conductor refuses the start).
fn missing_root(request: &StartRequest, now: i64) -> Workflow {
    Workflow {
        workflow_name: request.name.clone(),
        workflow_version: request.version.unwrap_or(0),
        status: WorkflowStatus::Failed,
        input: request.input.clone(),
        reason_for_incompletion: Some(format!(
            "No such workflow defined. name={}, version={}",
            request.name,
            request
                .version
                .map_or_else(|| "null".to_owned(), |version| version.to_string())
        )),
        create_time: now,
        start_time: now,
        end_time: now,
        update_time: now,
        correlation_id: request.correlation_id.clone(),
        ..Workflow::default()
    }
}

/// Conductor's `MetadataMapperService.populateVersionForSubWorkflow`, run when a workflow
/// starts: a SUB_WORKFLOW without a version (and without an inline definition) needs a
/// registered definition of its name.
pub(super) fn sub_workflow_versions_available(
    definitions: &Definitions,
    definition: &WorkflowDef,
) -> Result<(), String> {
    for task in definition.collect_tasks() {
        if task.task_type != "SUB_WORKFLOW" {
            continue;
        }
        let Some(parameters) = &task.sub_workflow_param else {
            continue;
        };
        if parameters.version.is_some() || parameters.workflow_definition.is_some() {
            continue;
        }
        let name = parameters.name.clone().unwrap_or_default();
        if definitions.workflow(&name, None).is_none() {
            return Err(format!(
                "The Task {name} defined as a sub-workflow has no workflow definition available "
            ));
        }
    }
    Ok(())
}

/// Worker tasks of the workflow and of the sub-workflows it names that `workers` cannot
/// execute, and the SUB_WORKFLOW and START_WORKFLOW tasks whose workflow is not among the
/// definitions and that no worker stands in for.
pub(super) fn missing_workers(
    definitions: &Definitions,
    workers: &dyn Workers,
    request: &StartRequest,
) -> Vec<String> {
    let mut missing = Vec::new();
    let Some(root) = definitions.workflow(&request.name, request.version) else {
        return missing;
    };
    let mut visited: Vec<(String, i64)> = Vec::new();
    let mut stack: Vec<(Arc<WorkflowDef>, String)> = vec![(Arc::clone(root), String::new())];
    while let Some((definition, path)) = stack.pop() {
        if visited.contains(&(definition.name.clone(), definition.version))
            || visited.len() > MAXIMUM_SUB_WORKFLOW_DEPTH * 16
        {
            continue;
        }
        visited.push((definition.name.clone(), definition.version));
        for task in definition.collect_tasks() {
            if needs_worker(task) && !workers.can_execute(&task.name, &task.task_reference_name) {
                missing.push(format!(
                    "{path}/{} ({})",
                    task.task_reference_name, task.name
                ));
            }
            if task.task_type == "SUB_WORKFLOW"
                && let Some(parameters) = &task.sub_workflow_param
            {
                let child = match &parameters.workflow_definition {
                    Some(crate::definition::SubWorkflowDefinition::Inline(inline)) => {
                        Some(Arc::clone(inline))
                    }
                    Some(crate::definition::SubWorkflowDefinition::Expression(_)) => None,
                    None => parameters
                        .name
                        .as_deref()
                        .and_then(|name| definitions.workflow(name, parameters.version))
                        .cloned(),
                };
                match child {
                    Some(child) => {
                        stack.push((child, format!("{path}/{}", task.task_reference_name)));
                    }
                    None => {
                        let literal = parameters.name.as_deref().filter(|name| {
                            !name.contains("${") && parameters.workflow_definition.is_none()
                        });
                        if let Some(name) = literal
                            && !workers.can_execute(&task.name, &task.task_reference_name)
                        {
                            missing.push(format!("{path}/{} ({name})", task.task_reference_name));
                        }
                    }
                }
            }
            if task.task_type == "START_WORKFLOW"
                && let Some(Value::String(name)) = task
                    .input_parameters
                    .get("startWorkflow")
                    .and_then(|request| request.get("name"))
                && !name.contains("${")
                && definitions.workflow(name, None).is_none()
                && !workers.can_execute(&task.name, &task.task_reference_name)
            {
                missing.push(format!("{path}/{} ({name})", task.task_reference_name));
            }
        }
    }
    missing
}

/// Tasks only workers can execute (the runtime runs every other type itself).
fn needs_worker(task: &WorkflowTask) -> bool {
    task.task_type != "DYNAMIC" && kind_of_type(&task.task_type) == Kind::Worker
}
