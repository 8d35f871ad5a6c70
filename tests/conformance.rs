//! Conductor conformance: the outcomes Conductor's own test suite asserts, reproduced with the
//! bundled runtime.
//!
//! Why: `wfc run` promises that a local dry run behaves as Conductor will. The strongest evidence
//! we can give is Conductor's own tests. Every file under `tests/conformance/` (the format is
//! documented in `docs/conformance.md`) reproduces one test of conductor-oss's test harness on a
//! workflow of the shared corpus (`../shared/conductor/corpus`, see its `INDEX.md`): the task
//! definitions the harness registers, the start input, what the spec's workers answer (in the
//! `taskRefToMockOutput` shape of `POST /api/workflow/test`), the HUMAN/WAIT completions it makes,
//! and what it asserts — task sequence, statuses, outputs, final status. This runner registers the
//! definitions into `wfc_runtime::engine::Definitions`, runs each scenario on the engine with the
//! virtual clock and in-memory workers built from the scenario, compares, prints which scenarios
//! pass and the first difference of each one that does not, and fails when fewer than
//! [`EXPECTED_PASSES`] pass, so that a regression cannot go unnoticed.
//!
//! The corpus lives outside the repository; without it the test says so and passes (there is
//! nothing to compare against).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde::Deserialize;
use serde_json::{Map, Number, Value};
use tokio::sync::watch;
use wfc_runtime::engine::{Definitions, Engine, RunHandle, RunOptions, RunOutcome, StartRequest};
use wfc_runtime::event::{Event, Recorder};
use wfc_runtime::worker::{WorkFuture, WorkItem, WorkResult, WorkStatus, Workers};

/// How many scenarios pass with the current engine. Raise it when the engine gets better; a run
/// with fewer passes fails.
const EXPECTED_PASSES: usize = 107;

/// A run that records no event for this long (real time) while a worker task waits for an answer
/// the scenario does not have (the spec stops polling there), or while a completion the scenario
/// makes waits for its task, has stopped.
const QUIET_PERIOD: Duration = Duration::from_millis(1000);

/// No scenario may take longer than this (real time), whatever the engine does.
const SCENARIO_TIME_LIMIT: Duration = Duration::from_secs(60);

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenario_directory() -> PathBuf {
    repository_root().join("tests").join("conformance")
}

fn corpus_directory() -> PathBuf {
    repository_root()
        .join("..")
        .join("shared")
        .join("conductor")
        .join("corpus")
}

// ------------------------------------------------------------------------------------------------
// Scenario files
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    source: Source,
    /// What part of the spec a local run cannot do (server operations such as retry or rerun),
    /// and so what the scenario leaves out.
    #[serde(default)]
    partial: Option<String>,
    /// Why the expected final state is the one the scenario asserts, when the spec stops before
    /// the workflow ends.
    #[serde(default)]
    final_state_note: Option<String>,
    /// The corpus file (relative to the corpus root) whose workflow the spec runs.
    corpus: String,
    /// Other corpus files whose workflows the run needs (sub-workflows, failure workflows).
    #[serde(default)]
    also: Vec<String>,
    workflow: WorkflowReference,
    /// Task definitions registered after the harness's (replacing them by name).
    #[serde(default)]
    task_defs: Vec<Value>,
    /// Changes the spec makes to a workflow definition before starting it.
    #[serde(default)]
    patches: Vec<Patch>,
    /// Server configuration the spec depends on.
    #[serde(default)]
    server_settings: Map<String, Value>,
    #[serde(default)]
    correlation_id: Option<String>,
    #[serde(default)]
    input: Map<String, Value>,
    /// Worker results by task reference (`ref`, or `subWorkflowRef/ref` for a task of a
    /// sub-workflow), used in order across retries, polls and loop iterations.
    #[serde(default)]
    workers: BTreeMap<String, Vec<MockResult>>,
    /// External completions of HUMAN/WAIT (and async-complete) tasks, in order.
    #[serde(default)]
    completions: Vec<Completion>,
    expect: WorkflowExpectation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    spec: String,
    test: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkflowReference {
    name: String,
    #[serde(default)]
    version: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    workflow: String,
    pointer: String,
    value: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MockResult {
    #[serde(default = "completed")]
    status: String,
    #[serde(default)]
    output: Map<String, Value>,
    #[serde(default)]
    reason: Option<String>,
    /// Milliseconds the worker takes (Conductor's `TaskMock.executionTime`).
    #[serde(default, rename = "executionTime")]
    execution_time: Option<u64>,
    /// With IN_PROGRESS: poll again after this many seconds.
    #[serde(default, rename = "callbackAfterSeconds")]
    callback_after_seconds: Option<u64>,
}

fn completed() -> String {
    "COMPLETED".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Completion {
    #[serde(rename = "ref")]
    reference: String,
    /// Complete the attempt with this retry count (default: the first waiting one).
    #[serde(default)]
    retry: Option<u32>,
    #[serde(default = "completed")]
    status: String,
    #[serde(default)]
    output: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkflowExpectation {
    /// Workflow name (for started workflows, which are found by it).
    #[serde(default)]
    name: Option<String>,
    status: String,
    #[serde(default)]
    reason: Option<Value>,
    #[serde(default)]
    reason_contains: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
    /// The whole output.
    #[serde(default)]
    output: Option<Value>,
    #[serde(default)]
    output_contains: Option<Map<String, Value>>,
    #[serde(default)]
    input_contains: Option<Map<String, Value>>,
    #[serde(default)]
    variables: Option<Value>,
    /// Other fields of Conductor's Workflow JSON.
    #[serde(default)]
    fields: Option<Map<String, Value>>,
    /// Every task, in scheduling order.
    #[serde(default)]
    tasks: Option<Vec<TaskExpectation>>,
    #[serde(default)]
    task_count: Option<usize>,
    /// Some tasks by position (when the spec asserts only those).
    #[serde(default)]
    tasks_at: BTreeMap<String, TaskExpectation>,
    /// Child workflows by the reference of the SUB_WORKFLOW task that started them.
    #[serde(default)]
    sub_workflows: BTreeMap<String, WorkflowExpectation>,
    #[serde(default)]
    failure_workflow: Option<Box<WorkflowExpectation>>,
    #[serde(default)]
    started_workflows: Vec<WorkflowExpectation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskExpectation {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(default, rename = "type")]
    task_type: Option<String>,
    status: String,
    #[serde(default)]
    input: Option<Map<String, Value>>,
    #[serde(default)]
    output: Option<Map<String, Value>>,
    #[serde(default)]
    output_exact: Option<Value>,
    #[serde(default)]
    reason: Option<Value>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    iteration: Option<u64>,
    #[serde(default)]
    retry_count: Option<u64>,
    /// Other fields of Conductor's Task JSON.
    #[serde(default)]
    fields: Option<Map<String, Value>>,
}

/// A scenario file read and checked.
struct LoadedScenario {
    name: String,
    scenario: Scenario,
}

fn load_scenarios() -> (Vec<LoadedScenario>, Vec<String>) {
    let directory = scenario_directory();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", directory.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .collect();
    paths.sort();
    let mut scenarios = Vec::new();
    let mut malformed = Vec::new();
    for path in paths {
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default()
            .to_owned();
        match read_yaml_file(&path).and_then(|value| {
            serde_json::from_value::<Scenario>(value).map_err(|error| error.to_string())
        }) {
            Ok(scenario) => scenarios.push(LoadedScenario { name, scenario }),
            Err(error) => malformed.push(format!("{name}: {error}")),
        }
    }
    (scenarios, malformed)
}

fn read_yaml_file(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let documents = Yaml::load_from_str(&text).map_err(|error| format!("not YAML: {error}"))?;
    match documents.as_slice() {
        [document] => yaml_to_json(document),
        _ => Err("must hold exactly one YAML document".to_owned()),
    }
}

/// YAML (1.2 core schema) to JSON; a mapping `{$include: FILE}` is replaced by the JSON of FILE
/// (relative to `tests/conformance/`), so that large payloads the specs use stay in one file.
fn yaml_to_json(node: &Yaml) -> Result<Value, String> {
    Ok(match node {
        Yaml::Value(scalar) => match scalar {
            Scalar::Null => Value::Null,
            Scalar::Boolean(flag) => Value::Bool(*flag),
            Scalar::Integer(number) => Value::Number((*number).into()),
            Scalar::FloatingPoint(number) => {
                Number::from_f64(number.into_inner()).map_or(Value::Null, Value::Number)
            }
            Scalar::String(text) => Value::String(text.to_string()),
        },
        Yaml::Representation(text, ..) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(
            items
                .iter()
                .map(yaml_to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Yaml::Mapping(entries) => {
            let mut object = Map::new();
            for (key, value) in entries {
                let key = match yaml_to_json(key)? {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                object.insert(key, yaml_to_json(value)?);
            }
            if object.len() == 1
                && let Some(Value::String(file)) = object.get("$include")
            {
                let path = scenario_directory().join(file);
                let text = std::fs::read_to_string(&path)
                    .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
                return serde_json::from_str(&text)
                    .map_err(|error| format!("{} is not JSON: {error}", path.display()));
            }
            Value::Object(object)
        }
        Yaml::Tagged(_, inner) => yaml_to_json(inner)?,
        Yaml::Alias(_) | Yaml::BadValue => return Err(format!("unsupported YAML node {node:?}")),
    })
}

// ------------------------------------------------------------------------------------------------
// Definitions
// ------------------------------------------------------------------------------------------------

/// The workflow definitions of a corpus file (a WorkflowDef or a list of them).
fn corpus_workflows(file: &str) -> Result<Vec<Value>, String> {
    let path = corpus_directory().join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read corpus file {file}: {error}"))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|error| format!("{file} is not JSON: {error}"))?;
    Ok(match value {
        Value::Array(definitions) => definitions,
        definition => vec![definition],
    })
}

fn harness_task_defs() -> Result<Vec<Value>, String> {
    let path = scenario_directory().join("_harness").join("task-defs.yaml");
    match read_yaml_file(&path)?.get("task_defs") {
        Some(Value::Array(definitions)) => Ok(definitions.clone()),
        _ => Err(format!("{} has no task_defs list", path.display())),
    }
}

fn build_definitions(scenario: &Scenario) -> Result<Definitions, String> {
    let mut workflows = Vec::new();
    for file in std::iter::once(&scenario.corpus).chain(&scenario.also) {
        workflows.extend(corpus_workflows(file)?);
    }
    for patch in &scenario.patches {
        let definition = workflows
            .iter_mut()
            .find(|definition| {
                definition.get("name").and_then(Value::as_str) == Some(patch.workflow.as_str())
            })
            .ok_or_else(|| format!("patch: no workflow called {}", patch.workflow))?;
        set_pointer(definition, &patch.pointer, patch.value.clone())?;
    }
    let mut definitions = Definitions::new();
    for task_def in harness_task_defs()?.iter().chain(&scenario.task_defs) {
        definitions
            .add_task_def(task_def)
            .map_err(|error| format!("task definition refused: {error}"))?;
    }
    for workflow in &workflows {
        definitions.add_workflow(workflow).map_err(|error| {
            let name = workflow.get("name").and_then(Value::as_str).unwrap_or("?");
            format!("workflow definition {name} refused: {error}")
        })?;
    }
    Ok(definitions)
}

/// Sets the value at a JSON pointer, creating the last key of an object if absent.
fn set_pointer(document: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .ok_or_else(|| format!("patch: `{pointer}` is not a JSON pointer"))?;
    let container = if parent.is_empty() {
        document
    } else {
        document
            .pointer_mut(parent)
            .ok_or_else(|| format!("patch: nothing at `{parent}`"))?
    };
    match container {
        Value::Object(object) => {
            object.insert(last.to_owned(), value);
            Ok(())
        }
        Value::Array(items) => {
            let index: usize = last
                .parse()
                .map_err(|_| format!("patch: `{last}` is not an index"))?;
            let slot = items
                .get_mut(index)
                .ok_or_else(|| format!("patch: no element {index} at `{parent}`"))?;
            *slot = value;
            Ok(())
        }
        _ => Err(format!("patch: `{parent}` is not an object or a list")),
    }
}

// ------------------------------------------------------------------------------------------------
// The run: recorder, workers, completions
// ------------------------------------------------------------------------------------------------

/// Keeps the history and wakes whoever waits for an event (completions, the quiet-period
/// watch).
struct History {
    events: Mutex<Vec<Event>>,
    count: watch::Sender<usize>,
}

impl History {
    fn new() -> History {
        History {
            events: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
        }
    }

    fn events(&self) -> Vec<Event> {
        self.inspect(<[Event]>::to_vec)
    }

    /// Evaluates `check` on the history recorded so far.
    fn inspect<T>(&self, check: impl FnOnce(&[Event]) -> T) -> T {
        match self.events.lock() {
            Ok(events) => check(&events),
            Err(poisoned) => check(&poisoned.into_inner()),
        }
    }

    /// Waits until `check` finds something in the history (already recorded or still to come).
    async fn wait_for<T>(&self, check: impl Fn(&[Event]) -> Option<T>) -> T {
        let mut receiver = self.count.subscribe();
        loop {
            if let Some(found) = self.inspect(&check) {
                return found;
            }
            if receiver.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

impl Recorder for History {
    fn record(&self, event: &Event) {
        match self.events.lock() {
            Ok(mut events) => events.push(event.clone()),
            Err(poisoned) => poisoned.into_inner().push(event.clone()),
        }
        self.count.send_modify(|count| *count += 1);
    }
}

/// Answers worker tasks from the scenario's results. A task whose results are used up is never
/// answered, as the spec never polls it again.
struct ScenarioWorkers {
    results: Mutex<HashMap<String, VecDeque<MockResult>>>,
    withheld: Mutex<HashSet<String>>,
}

/// The scenario key of a result key: `/pay#1/charge__2#0` → `pay/charge__2` (exact) and
/// `pay/charge` (iterations and attempts ignored).
fn worker_keys(key: &str) -> (String, String) {
    let segments: Vec<&str> = key
        .trim_start_matches('/')
        .split('/')
        .map(|segment| segment.split('#').next().unwrap_or(segment))
        .collect();
    let exact = segments.join("/");
    let general = segments
        .iter()
        .map(|segment| without_iteration(segment))
        .collect::<Vec<_>>()
        .join("/");
    (exact, general)
}

/// `ref__3` → `ref` (Conductor's `TaskUtils.removeIterationFromTaskRefName`).
fn without_iteration(reference: &str) -> &str {
    match reference.rsplit_once("__") {
        Some((base, suffix))
            if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => reference,
    }
}

impl ScenarioWorkers {
    fn next_result(&self, key: &str) -> Option<MockResult> {
        let (exact, general) = worker_keys(key);
        let mut results = match self.results.lock() {
            Ok(results) => results,
            Err(poisoned) => poisoned.into_inner(),
        };
        for candidate in [exact, general] {
            if let Some(queue) = results.get_mut(&candidate)
                && let Some(result) = queue.pop_front()
            {
                return Some(result);
            }
        }
        None
    }

    fn withheld(&self) -> HashSet<String> {
        match self.withheld.lock() {
            Ok(withheld) => withheld.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

fn to_work_result(mock: &MockResult) -> WorkResult {
    let status = WorkStatus::parse(&mock.status).unwrap_or(WorkStatus::Failed);
    let mut result = WorkResult::with_status(status, mock.output.clone(), mock.reason.clone());
    result.execution_time = mock.execution_time.map(Duration::from_millis);
    result.callback_after = mock.callback_after_seconds.map(Duration::from_secs);
    result
}

impl Workers for ScenarioWorkers {
    /// Worker tasks are always executed here (a task without results is withheld). For the task
    /// types the runtime runs itself (HTTP, HUMAN, WAIT, EVENT, SUB_WORKFLOW, START_WORKFLOW)
    /// this decides whether the scenario's results stand in for the runtime: only when it lists
    /// results under that very reference (keys of sub-workflow tasks, `child/ref`, never do: the
    /// engine does not say which workflow asks).
    fn can_execute(&self, _task_def_name: &str, reference_task_name: &str) -> bool {
        let results = match self.results.lock() {
            Ok(results) => results,
            Err(poisoned) => poisoned.into_inner(),
        };
        results.contains_key(reference_task_name)
            || results.contains_key(without_iteration(reference_task_name))
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        match self.next_result(&item.key.0) {
            None => {
                match self.withheld.lock() {
                    Ok(mut withheld) => withheld.insert(item.task_id.clone()),
                    Err(poisoned) => poisoned.into_inner().insert(item.task_id.clone()),
                };
                Box::pin(std::future::pending())
            }
            Some(mock) => {
                let result = to_work_result(&mock);
                Box::pin(async move { result })
            }
        }
    }
}

/// Makes the scenario's completions once the task each one names waits for it.
async fn drive_completions(
    completions: Vec<Completion>,
    handle: RunHandle,
    history: Arc<History>,
    problems: Arc<Mutex<Vec<String>>>,
) {
    let mut done: HashSet<String> = HashSet::new();
    for completion in completions {
        let reference = completion.reference.clone();
        let retry = completion.retry;
        let task_id = history
            .wait_for(|events| waiting_task(events, &reference, retry, &done))
            .await;
        let status = WorkStatus::parse(&completion.status).unwrap_or(WorkStatus::Completed);
        let mut attempts = 0;
        loop {
            match handle.complete_task(&reference, status, completion.output.clone()) {
                Ok(()) => break,
                Err(error) => {
                    attempts += 1;
                    if attempts > 100 {
                        if let Ok(mut problems) = problems.lock() {
                            problems.push(format!("completing {reference} was refused: {error}"));
                        }
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        done.insert(task_id);
    }
}

/// The task id of a task with this reference that waits for a completion and has not been
/// completed by the scenario yet (with `retry`, only that attempt).
fn waiting_task(
    events: &[Event],
    reference: &str,
    retry: Option<u32>,
    done: &HashSet<String>,
) -> Option<String> {
    let retry_counts: HashMap<&str, u32> = events
        .iter()
        .filter_map(|event| match event {
            Event::TaskScheduled {
                task_id,
                retry_count,
                ..
            } => Some((task_id.as_str(), *retry_count)),
            _ => None,
        })
        .collect();
    let finished: HashSet<&str> = events
        .iter()
        .filter_map(|event| match event {
            Event::TaskFinished { task_id, .. } => Some(task_id.as_str()),
            _ => None,
        })
        .collect();
    events.iter().find_map(|event| match event {
        Event::TaskWaiting {
            task_id,
            reference_task_name,
            ..
        } if (reference_task_name == reference
            || reference.ends_with(&format!("/{reference_task_name}")))
            && !done.contains(task_id)
            && !finished.contains(task_id.as_str())
            && retry.is_none_or(|retry| retry_counts.get(task_id.as_str()) == Some(&retry)) =>
        {
            Some(task_id.clone())
        }
        _ => None,
    })
}

/// What a run came to: the root workflow and every other workflow, in Conductor's Workflow JSON.
struct Observed {
    root: Value,
    others: Vec<Value>,
    /// Set when the run did not finish: why the runner stopped waiting.
    stopped: Option<String>,
}

async fn run_scenario(scenario: &Scenario, name: &str) -> Result<Observed, String> {
    if let Some(setting) = scenario.server_settings.keys().next() {
        return Err(format!(
            "needs the server setting `{setting}`, which the runtime does not have"
        ));
    }
    let definitions = Arc::new(build_definitions(scenario)?);
    let history = Arc::new(History::new());
    let mut results = HashMap::new();
    for (key, list) in &scenario.workers {
        for mock in list {
            if WorkStatus::parse(&mock.status).is_none() {
                return Err(format!(
                    "worker {key}: `{}` is not a worker status",
                    mock.status
                ));
            }
        }
        results.insert(key.clone(), list.iter().cloned().collect::<VecDeque<_>>());
    }
    for completion in &scenario.completions {
        if WorkStatus::parse(&completion.status).is_none() {
            return Err(format!(
                "completion of {}: `{}` is not a task result status",
                completion.reference, completion.status
            ));
        }
    }
    let workers = Arc::new(ScenarioWorkers {
        results: Mutex::new(results),
        withheld: Mutex::new(HashSet::new()),
    });
    let options = RunOptions {
        run_id: name.to_owned(),
        ..RunOptions::default()
    };
    let engine = Engine::new(
        definitions,
        Arc::clone(&workers) as Arc<dyn Workers>,
        Arc::clone(&history) as Arc<dyn Recorder>,
        options,
    );
    let request = StartRequest {
        name: scenario.workflow.name.clone(),
        version: scenario.workflow.version,
        input: scenario.input.clone(),
        correlation_id: scenario.correlation_id.clone(),
    };
    let (handle, mut join) = engine.start(request);
    let problems = Arc::new(Mutex::new(Vec::new()));
    let completions = tokio::spawn(drive_completions(
        scenario.completions.clone(),
        handle,
        Arc::clone(&history),
        Arc::clone(&problems),
    ));
    let started = Instant::now();
    let mut count = history.count.subscribe();
    let mut last_change = Instant::now();
    let outcome: Option<RunOutcome> = loop {
        tokio::select! {
            joined = &mut join => {
                break match joined {
                    Ok(outcome) => Some(outcome),
                    Err(error) => {
                        completions.abort();
                        return Err(format!("the engine's run task failed: {error}"));
                    }
                };
            }
            _ = count.changed() => { last_change = Instant::now(); }
            () = tokio::time::sleep(Duration::from_millis(50)) => {
                // Quiet is only taken for stopped when something is known to hold the run: a
                // worker task the scenario does not answer, or a completion still to make.
                let held = !workers.withheld().is_empty() || !completions.is_finished();
                if (held && last_change.elapsed() >= QUIET_PERIOD)
                    || started.elapsed() >= SCENARIO_TIME_LIMIT
                {
                    join.abort();
                    break None;
                }
            }
        }
    };
    completions.abort();
    let problems = match problems.lock() {
        Ok(problems) => problems.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    match outcome {
        Some(outcome) => {
            let root = serde_json::to_value(&outcome.workflow)
                .map_err(|error| format!("the outcome does not serialize: {error}"))?;
            let others = outcome
                .other_workflows
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| format!("the outcome does not serialize: {error}"))?;
            let stopped = outcome
                .stalled
                .clone()
                .map(|reason| format!("stalled: {reason}"));
            Ok(Observed {
                root,
                others,
                stopped: stopped.or_else(|| problems.first().cloned()),
            })
        }
        None => {
            let (root, others) = snapshot(&history.events(), &workers.withheld());
            let mut reason = if started.elapsed() >= SCENARIO_TIME_LIMIT {
                format!("still running after {}s", SCENARIO_TIME_LIMIT.as_secs())
            } else {
                format!(
                    "no progress for {} ms; state taken from the event history",
                    QUIET_PERIOD.as_millis()
                )
            };
            if let Some(problem) = problems.first() {
                reason = format!("{reason}; {problem}");
            }
            Ok(Observed {
                root,
                others,
                stopped: Some(reason),
            })
        }
    }
}

/// Task types Conductor puts IN_PROGRESS as soon as they are scheduled (they wait for other
/// tasks, a child workflow, a timer or a person), as opposed to worker tasks, which stay
/// SCHEDULED until polled.
const WAITING_SYSTEM_TYPES: &[&str] = &[
    "JOIN",
    "EXCLUSIVE_JOIN",
    "DO_WHILE",
    "SUB_WORKFLOW",
    "WAIT",
    "HUMAN",
];

/// Conductor's Workflow JSON of every workflow of a run that has not finished, rebuilt from its
/// history: tasks in scheduling order, a worker task the scenario never answered SCHEDULED (the
/// spec never polled it), other started tasks IN_PROGRESS.
fn snapshot(events: &[Event], withheld: &HashSet<String>) -> (Value, Vec<Value>) {
    let mut order: Vec<String> = Vec::new();
    let mut workflows: HashMap<String, Map<String, Value>> = HashMap::new();
    let mut task_owner: HashMap<String, (String, usize)> = HashMap::new();
    for event in events {
        match event {
            Event::WorkflowStarted {
                workflow_id,
                parent_workflow_id,
                parent_task_id,
                name,
                version,
                input,
                correlation_id,
                ..
            } => {
                let mut workflow = Map::new();
                workflow.insert("workflowId".into(), Value::from(workflow_id.clone()));
                if let Some(correlation_id) = correlation_id {
                    workflow.insert("correlationId".into(), Value::from(correlation_id.clone()));
                }
                workflow.insert("workflowName".into(), Value::from(name.clone()));
                workflow.insert("workflowVersion".into(), Value::from(*version));
                workflow.insert("status".into(), Value::from("RUNNING"));
                workflow.insert("input".into(), input.clone());
                workflow.insert("output".into(), Value::Object(Map::new()));
                workflow.insert("tasks".into(), Value::Array(Vec::new()));
                if let Some(parent) = parent_workflow_id {
                    workflow.insert("parentWorkflowId".into(), Value::from(parent.clone()));
                }
                if let Some(parent_task) = parent_task_id {
                    workflow.insert(
                        "parentWorkflowTaskId".into(),
                        Value::from(parent_task.clone()),
                    );
                    if let Some((owner, index)) = task_owner.get(parent_task)
                        && let Some(task) = workflows
                            .get_mut(owner)
                            .and_then(|workflow| workflow.get_mut("tasks"))
                            .and_then(|tasks| tasks.get_mut(*index))
                            .and_then(Value::as_object_mut)
                    {
                        task.insert("subWorkflowId".into(), Value::from(workflow_id.clone()));
                    }
                }
                order.push(workflow_id.clone());
                workflows.insert(workflow_id.clone(), workflow);
            }
            Event::TaskScheduled {
                workflow_id,
                task_id,
                reference_task_name,
                task_type,
                retry_count,
                input,
                ..
            } => {
                if let Some(Value::Array(tasks)) = workflows
                    .get_mut(workflow_id)
                    .and_then(|workflow| workflow.get_mut("tasks"))
                {
                    let mut task = Map::new();
                    task.insert("taskId".into(), Value::from(task_id.clone()));
                    task.insert(
                        "referenceTaskName".into(),
                        Value::from(reference_task_name.clone()),
                    );
                    task.insert("taskType".into(), Value::from(task_type.clone()));
                    task.insert("retryCount".into(), Value::from(*retry_count));
                    task.insert("inputData".into(), input.clone());
                    task.insert("outputData".into(), Value::Object(Map::new()));
                    let status = if WAITING_SYSTEM_TYPES.contains(&task_type.as_str()) {
                        "IN_PROGRESS"
                    } else {
                        "SCHEDULED"
                    };
                    task.insert("status".into(), Value::from(status));
                    task.insert("seq".into(), Value::from(tasks.len() + 1));
                    task_owner.insert(task_id.clone(), (workflow_id.clone(), tasks.len()));
                    tasks.push(Value::Object(task));
                }
            }
            Event::TaskStarted { task_id, .. } | Event::TaskWaiting { task_id, .. } => {
                if !withheld.contains(task_id) {
                    set_task_field(
                        &mut workflows,
                        &task_owner,
                        task_id,
                        "status",
                        "IN_PROGRESS".into(),
                    );
                }
            }
            Event::TaskFinished {
                task_id,
                status,
                output,
                reason,
                ..
            } => {
                set_task_field(
                    &mut workflows,
                    &task_owner,
                    task_id,
                    "status",
                    status.as_str().into(),
                );
                set_task_field(
                    &mut workflows,
                    &task_owner,
                    task_id,
                    "outputData",
                    output.clone(),
                );
                if let Some(reason) = reason {
                    set_task_field(
                        &mut workflows,
                        &task_owner,
                        task_id,
                        "reasonForIncompletion",
                        reason.clone().into(),
                    );
                }
            }
            Event::WorkflowFinished {
                workflow_id,
                status,
                output,
                reason,
                ..
            } => {
                if let Some(workflow) = workflows.get_mut(workflow_id) {
                    workflow.insert("status".into(), Value::from(status.as_str()));
                    workflow.insert("output".into(), output.clone());
                    if let Some(reason) = reason {
                        workflow.insert("reasonForIncompletion".into(), reason.clone().into());
                    }
                }
            }
            Event::RunStarted { .. } | Event::ResultReceived { .. } => {}
        }
    }
    let mut all: Vec<Value> = order
        .iter()
        .filter_map(|id| workflows.remove(id).map(Value::Object))
        .collect();
    let root = if all.is_empty() {
        Value::Object(Map::new())
    } else {
        all.remove(0)
    };
    (root, all)
}

fn set_task_field(
    workflows: &mut HashMap<String, Map<String, Value>>,
    owners: &HashMap<String, (String, usize)>,
    task_id: &str,
    field: &str,
    value: Value,
) {
    if let Some((owner, index)) = owners.get(task_id)
        && let Some(task) = workflows
            .get_mut(owner)
            .and_then(|workflow| workflow.get_mut("tasks"))
            .and_then(|tasks| tasks.get_mut(*index))
            .and_then(Value::as_object_mut)
    {
        task.insert(field.to_owned(), value);
    }
}

// ------------------------------------------------------------------------------------------------
// Comparison
// ------------------------------------------------------------------------------------------------

/// What placeholders in expectations refer to.
struct Context<'a> {
    root: &'a Value,
    own_task: Option<&'a Value>,
}

impl Context<'_> {
    fn tasks(&self) -> &[Value] {
        self.root
            .get("tasks")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Replaces `<root workflow id>`, `<task id of REF>`, `<task id at N>` and `<own task id>`.
    fn expand(&self, text: &str) -> String {
        let mut result = text.replace(
            "<root workflow id>",
            self.root
                .get("workflowId")
                .and_then(Value::as_str)
                .unwrap_or("?"),
        );
        if let Some(task) = self.own_task {
            result = result.replace(
                "<own task id>",
                task.get("taskId").and_then(Value::as_str).unwrap_or("?"),
            );
        }
        while let Some(start) = result.find("<task id ") {
            let Some(length) = result[start..].find('>') else {
                break;
            };
            let inner = &result[start + "<task id ".len()..start + length];
            let id = if let Some(reference) = inner.strip_prefix("of ") {
                self.tasks()
                    .iter()
                    .rev()
                    .find(|task| {
                        task.get("referenceTaskName").and_then(Value::as_str) == Some(reference)
                    })
                    .and_then(|task| task.get("taskId"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned()
            } else if let Some(index) = inner.strip_prefix("at ") {
                index
                    .parse::<usize>()
                    .ok()
                    .and_then(|index| self.tasks().get(index))
                    .and_then(|task| task.get("taskId"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned()
            } else {
                "?".to_owned()
            };
            result.replace_range(start..=start + length, &id);
        }
        result
    }
}

/// Compares an expected value with the actual one. Maps are compared as subsets (every expected
/// key must match) unless `exact`; `<present>` matches any non-null value, `<null or absent>`
/// null or nothing; `{$length: N, $contains: [...]}` matches a list by size and members.
fn matches(
    expected: &Value,
    actual: Option<&Value>,
    exact: bool,
    context: &Context,
) -> Result<(), String> {
    match expected {
        Value::String(text) if text == "<present>" => match actual {
            Some(value) if !value.is_null() => Ok(()),
            _ => Err(format!("expected a value, got {}", show(actual))),
        },
        Value::String(text) if text == "<null or absent>" => match actual {
            None | Some(Value::Null) => Ok(()),
            Some(value) => Err(format!("expected null or nothing, got {value}")),
        },
        Value::String(text) => {
            let expected = context.expand(text);
            match actual {
                Some(Value::String(actual)) if *actual == expected => Ok(()),
                _ => Err(format!("expected {:?}, got {}", expected, show(actual))),
            }
        }
        Value::Object(map) if map.keys().all(|key| key.starts_with('$')) && !map.is_empty() => {
            let Some(Value::Array(items)) = actual else {
                return Err(format!("expected a list, got {}", show(actual)));
            };
            if let Some(length) = map.get("$length").and_then(Value::as_u64)
                && items.len() as u64 != length
            {
                return Err(format!("expected {length} items, got {}", items.len()));
            }
            if let Some(Value::Array(members)) = map.get("$contains") {
                for member in members {
                    if !items.iter().any(|item| same(member, item)) {
                        return Err(format!(
                            "expected the list to contain {member}, got {}",
                            Value::Array(items.clone())
                        ));
                    }
                }
            }
            Ok(())
        }
        Value::Object(map) => {
            let Some(Value::Object(actual_map)) = actual else {
                return Err(format!("expected an object, got {}", show(actual)));
            };
            if exact {
                let extra: Vec<&String> = actual_map
                    .keys()
                    .filter(|key| !map.contains_key(*key))
                    .collect();
                if !extra.is_empty() {
                    return Err(format!(
                        "unexpected keys {extra:?} in {}",
                        Value::Object(actual_map.clone())
                    ));
                }
            }
            for (key, value) in map {
                let actual_value = actual_map.get(key);
                if value.is_null() && actual_value.is_none() {
                    return Err(format!("{key}: expected null, the key is absent"));
                }
                matches(value, actual_value, exact, context)
                    .map_err(|error| format!("{key}: {error}"))?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let Some(Value::Array(actual_items)) = actual else {
                return Err(format!("expected a list, got {}", show(actual)));
            };
            if items.len() != actual_items.len() {
                return Err(format!(
                    "expected {}, got {}",
                    expected,
                    Value::Array(actual_items.clone())
                ));
            }
            for (index, (item, actual_item)) in items.iter().zip(actual_items).enumerate() {
                matches(item, Some(actual_item), exact, context)
                    .map_err(|error| format!("[{index}]: {error}"))?;
            }
            Ok(())
        }
        Value::Null => match actual {
            None | Some(Value::Null) => Ok(()),
            Some(value) => Err(format!("expected null, got {value}")),
        },
        scalar => match actual {
            Some(value) if same(scalar, value) => Ok(()),
            _ => Err(format!("expected {scalar}, got {}", show(actual))),
        },
    }
}

/// Equality with numbers compared by value (1 == 1.0).
fn same(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => left.as_f64() == right.as_f64(),
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .zip(right)
                    .all(|(left, right)| same(left, right))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, value)| right.get(key).is_some_and(|other| same(value, other)))
        }
        _ => left == right,
    }
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "nothing".to_owned(),
        Some(value) => {
            let text = value.to_string();
            if text.len() > 300 {
                format!("{}…", text.chars().take(300).collect::<String>())
            } else {
                text
            }
        }
    }
}

/// `ref TYPE STATUS` of each task, for messages.
fn task_sequence(workflow: &Value) -> String {
    let tasks = workflow
        .get("tasks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let items: Vec<String> = tasks
        .iter()
        .map(|task| {
            format!(
                "{} {} {}",
                task.get("referenceTaskName")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                task.get("taskType").and_then(Value::as_str).unwrap_or("?"),
                task.get("status").and_then(Value::as_str).unwrap_or("?"),
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn compare_task(expected: &TaskExpectation, actual: &Value, root: &Value) -> Result<(), String> {
    let context = Context {
        root,
        own_task: Some(actual),
    };
    let field = |name: &str| actual.get(name);
    matches(
        &Value::from(expected.reference.clone()),
        field("referenceTaskName"),
        false,
        &context,
    )
    .map_err(|error| format!("reference: {error}"))?;
    if let Some(task_type) = &expected.task_type {
        matches(
            &Value::from(task_type.clone()),
            field("taskType"),
            false,
            &context,
        )
        .map_err(|error| format!("type: {error}"))?;
    }
    matches(
        &Value::from(expected.status.clone()),
        field("status"),
        false,
        &context,
    )
    .map_err(|error| {
        let reason = field("reasonForIncompletion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if reason.is_empty() {
            format!("status: {error}")
        } else {
            format!("status: {error} (reason: {reason})")
        }
    })?;
    for (name, expected_value, actual_name) in [
        ("seq", expected.seq, "seq"),
        ("iteration", expected.iteration, "iteration"),
        ("retry_count", expected.retry_count, "retryCount"),
    ] {
        if let Some(value) = expected_value {
            matches(&Value::from(value), field(actual_name), false, &context)
                .map_err(|error| format!("{name}: {error}"))?;
        }
    }
    if let Some(input) = &expected.input {
        matches(
            &Value::Object(input.clone()),
            field("inputData"),
            false,
            &context,
        )
        .map_err(|error| format!("input: {error}"))?;
    }
    if let Some(output) = &expected.output {
        matches(
            &Value::Object(output.clone()),
            field("outputData"),
            false,
            &context,
        )
        .map_err(|error| format!("output: {error}"))?;
    }
    if let Some(output) = &expected.output_exact {
        matches(output, field("outputData"), true, &context)
            .map_err(|error| format!("output: {error}"))?;
    }
    if let Some(reason) = &expected.reason {
        matches(reason, field("reasonForIncompletion"), false, &context)
            .map_err(|error| format!("reason: {error}"))?;
    }
    if let Some(fields) = &expected.fields {
        matches(
            &Value::Object(fields.clone()),
            Some(actual),
            false,
            &context,
        )?;
    }
    Ok(())
}

fn compare_workflow(
    expected: &WorkflowExpectation,
    actual: &Value,
    root: &Value,
    others: &[Value],
) -> Result<(), String> {
    let context = Context {
        root,
        own_task: None,
    };
    let field = |name: &str| actual.get(name);
    let tasks = field("tasks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    matches(
        &Value::from(expected.status.clone()),
        field("status"),
        false,
        &context,
    )
    .map_err(|error| {
        let reason = field("reasonForIncompletion")
            .and_then(Value::as_str)
            .unwrap_or("");
        format!(
            "status: {error}; reason: {reason:?}; tasks: {}",
            task_sequence(actual)
        )
    })?;
    if let Some(expected_tasks) = &expected.tasks {
        for (index, expected_task) in expected_tasks.iter().enumerate() {
            let Some(actual_task) = tasks.get(index) else {
                return Err(format!(
                    "tasks: expected {} tasks, got {}: {}",
                    expected_tasks.len(),
                    tasks.len(),
                    task_sequence(actual)
                ));
            };
            compare_task(expected_task, actual_task, root).map_err(|error| {
                format!(
                    "tasks[{index}] ({}): {error}; tasks: {}",
                    expected_task.reference,
                    task_sequence(actual)
                )
            })?;
        }
        if tasks.len() != expected_tasks.len() {
            return Err(format!(
                "tasks: expected {} tasks, got {}: {}",
                expected_tasks.len(),
                tasks.len(),
                task_sequence(actual)
            ));
        }
    }
    if let Some(count) = expected.task_count
        && tasks.len() != count
    {
        return Err(format!(
            "tasks: expected {count} tasks, got {}",
            tasks.len()
        ));
    }
    for (index, expected_task) in &expected.tasks_at {
        let position: usize = index
            .parse()
            .map_err(|_| format!("tasks_at: `{index}` is not a position"))?;
        let actual_task = tasks
            .get(position)
            .ok_or_else(|| format!("tasks[{position}]: there are only {} tasks", tasks.len()))?;
        compare_task(expected_task, actual_task, root)
            .map_err(|error| format!("tasks[{position}]: {error}"))?;
    }
    if let Some(reason) = &expected.reason {
        matches(reason, field("reasonForIncompletion"), false, &context)
            .map_err(|error| format!("reason: {error}"))?;
    }
    if let Some(fragment) = &expected.reason_contains {
        let reason = field("reasonForIncompletion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let fragment = context.expand(fragment);
        if !reason.contains(&fragment) {
            return Err(format!(
                "reason: expected it to contain {fragment:?}, got {reason:?}"
            ));
        }
    }
    if let Some(correlation_id) = &expected.correlation_id {
        matches(
            &Value::from(correlation_id.clone()),
            field("correlationId"),
            false,
            &context,
        )
        .map_err(|error| format!("correlation id: {error}"))?;
    }
    if let Some(output) = &expected.output {
        matches(output, field("output"), true, &context)
            .map_err(|error| format!("output: {error}"))?;
    }
    if let Some(output) = &expected.output_contains {
        matches(
            &Value::Object(output.clone()),
            field("output"),
            false,
            &context,
        )
        .map_err(|error| format!("output: {error}"))?;
    }
    if let Some(input) = &expected.input_contains {
        matches(
            &Value::Object(input.clone()),
            field("input"),
            false,
            &context,
        )
        .map_err(|error| format!("input: {error}"))?;
    }
    if let Some(variables) = &expected.variables {
        matches(variables, field("variables"), true, &context)
            .map_err(|error| format!("variables: {error}"))?;
    }
    if let Some(fields) = &expected.fields {
        matches(
            &Value::Object(fields.clone()),
            Some(actual),
            false,
            &context,
        )?;
    }
    for (reference, child) in &expected.sub_workflows {
        let task = tasks
            .iter()
            .rev()
            .find(|task| task.get("referenceTaskName").and_then(Value::as_str) == Some(reference))
            .ok_or_else(|| format!("sub-workflow {reference}: no task {reference}"))?;
        let child_id = task
            .get("subWorkflowId")
            .and_then(Value::as_str)
            .or_else(|| {
                task.get("outputData")
                    .and_then(|output| output.get("subWorkflowId"))
                    .and_then(Value::as_str)
            });
        let workflow = child_id
            .and_then(|id| find_workflow(others, id))
            .ok_or_else(|| {
                format!(
                    "sub-workflow {reference}: its child workflow is not among the run's workflows"
                )
            })?;
        compare_workflow(child, workflow, root, others)
            .map_err(|error| format!("sub-workflow {reference}: {error}"))?;
    }
    if let Some(failure) = &expected.failure_workflow {
        let id = field("output")
            .and_then(|output| output.get("conductor.failure_workflow"))
            .and_then(Value::as_str);
        let workflow = id
            .and_then(|id| find_workflow(others, id))
            .ok_or_else(|| "failure workflow: none was started".to_owned())?;
        compare_workflow(failure, workflow, root, others)
            .map_err(|error| format!("failure workflow: {error}"))?;
    }
    for started in &expected.started_workflows {
        let name = started.name.as_deref().unwrap_or("");
        let workflow = others
            .iter()
            .find(|workflow| {
                workflow.get("workflowName").and_then(Value::as_str) == Some(name)
                    && workflow.get("parentWorkflowId").is_none()
            })
            .ok_or_else(|| format!("started workflow {name}: not among the run's workflows"))?;
        compare_workflow(started, workflow, root, others)
            .map_err(|error| format!("started workflow {name}: {error}"))?;
    }
    Ok(())
}

fn find_workflow<'a>(workflows: &'a [Value], id: &str) -> Option<&'a Value> {
    workflows
        .iter()
        .find(|workflow| workflow.get("workflowId").and_then(Value::as_str) == Some(id))
}

// ------------------------------------------------------------------------------------------------
// The test
// ------------------------------------------------------------------------------------------------

#[test]
fn conductor_conformance_scenarios() {
    let corpus = corpus_directory();
    if !corpus.join("INDEX.md").exists() {
        eprintln!(
            "skipping the Conductor conformance scenarios: the shared corpus is not at {}",
            corpus.display()
        );
        return;
    }
    let (scenarios, malformed) = load_scenarios();
    assert!(
        malformed.is_empty(),
        "malformed scenario files:\n{}",
        malformed.join("\n")
    );
    assert!(
        !scenarios.is_empty(),
        "no scenarios under tests/conformance/"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut passes = 0;
    let mut lines = Vec::new();
    for LoadedScenario { name, scenario } in &scenarios {
        let result = runtime
            .block_on(run_scenario(scenario, name))
            .and_then(|observed| {
                compare_workflow(
                    &scenario.expect,
                    &observed.root,
                    &observed.root,
                    &observed.others,
                )
                .map_err(|error| match &observed.stopped {
                    Some(stopped) => format!("{error} [run stopped: {stopped}]"),
                    None => error,
                })
            });
        match result {
            Ok(()) => {
                passes += 1;
                let scope = if scenario.partial.is_some() {
                    " (the part a local run can do)"
                } else {
                    ""
                };
                lines.push(format!("PASS {name}{scope}"));
            }
            Err(difference) => lines.push(format!("FAIL {name}: {difference}")),
        }
    }
    println!(
        "Conductor conformance: {passes} of {} scenarios pass",
        scenarios.len()
    );
    for line in &lines {
        println!("{line}");
    }
    assert!(
        passes >= EXPECTED_PASSES,
        "only {passes} conformance scenarios pass, {EXPECTED_PASSES} did before (see the list above)"
    );
}

/// The scenario files themselves: every one names the spec and test it reproduces, a corpus file
/// that exists, and says why when it expects a workflow that has not finished.
#[test]
fn conformance_scenarios_are_consistent() {
    let corpus = corpus_directory();
    if !corpus.join("INDEX.md").exists() {
        eprintln!("skipping: the shared corpus is not at {}", corpus.display());
        return;
    }
    let (scenarios, malformed) = load_scenarios();
    let mut problems = malformed;
    for LoadedScenario { name, scenario } in &scenarios {
        if !(scenario.source.spec.starts_with("test-harness/")
            || scenario.source.spec.starts_with("e2e/"))
            || scenario.source.test.trim().is_empty()
        {
            problems.push(format!(
                "{name}: `source` must name a spec file of conductor-oss and a test"
            ));
        }
        for file in std::iter::once(&scenario.corpus).chain(&scenario.also) {
            if !corpus.join(file).is_file() {
                problems.push(format!("{name}: no corpus file {file}"));
            }
        }
        if let Err(error) = build_definitions(scenario) {
            problems.push(format!("{name}: {error}"));
        }
        let unfinished = !matches!(
            scenario.expect.status.as_str(),
            "COMPLETED" | "FAILED" | "TIMED_OUT" | "TERMINATED"
        );
        if unfinished && scenario.final_state_note.is_none() {
            problems.push(format!(
                "{name}: expects a {} workflow without a final_state_note saying why",
                scenario.expect.status
            ));
        }
        if let Some(note) = &scenario.partial
            && note.trim().is_empty()
        {
            problems.push(format!("{name}: an empty `partial` note"));
        }
    }
    assert!(
        problems.is_empty(),
        "inconsistent scenarios:\n{}",
        problems.join("\n")
    );
}

/// The comparison rules the scenarios rely on (so that a passing scenario means what it says).
#[test]
fn expectations_compare_as_documented() {
    let root = serde_json::json!({
        "workflowId": "w1",
        "tasks": [
            {"taskId": "a", "referenceTaskName": "t1"},
            {"taskId": "b", "referenceTaskName": "t1"}
        ]
    });
    let context = Context {
        root: &root,
        own_task: root.get("tasks").and_then(|tasks| tasks.get(0)),
    };
    let actual = serde_json::json!({"a": 1, "b": {"c": null, "d": [1, 2]}, "e": "x"});
    let check = |expected: Value, exact: bool| matches(&expected, Some(&actual), exact, &context);
    assert!(
        check(serde_json::json!({"a": 1.0}), false).is_ok(),
        "numbers compare by value"
    );
    assert!(
        check(serde_json::json!({"a": 1}), true).is_err(),
        "exact objects refuse extra keys"
    );
    assert!(
        check(serde_json::json!({"b": {"c": null}}), false).is_ok(),
        "a present null matches null"
    );
    assert!(
        check(serde_json::json!({"z": null}), false).is_err(),
        "an absent key does not match null"
    );
    assert!(check(serde_json::json!({"z": "<null or absent>"}), false).is_ok());
    assert!(
        check(
            serde_json::json!({"e": "<present>", "z": "<present>"}),
            false
        )
        .is_err()
    );
    assert!(
        check(
            serde_json::json!({"b": {"d": {"$length": 2, "$contains": [2]}}}),
            false
        )
        .is_ok()
    );
    assert!(
        check(serde_json::json!({"b": {"d": [1]}}), false).is_err(),
        "lists compare whole"
    );
    assert_eq!(
        context.expand("<task id of t1>/<task id at 0>/<own task id>/<root workflow id>"),
        "b/a/a/w1"
    );
    assert_eq!(
        worker_keys("/pay#1/charge__2#0"),
        ("pay/charge__2".to_owned(), "pay/charge".to_owned())
    );
    assert_eq!(worker_keys("/t1#0"), ("t1".to_owned(), "t1".to_owned()));
}
