//! Workers that answer from a mock file, and the stubs of `wfc run --stub`.
//!
//! The mock file is Conductor's own test fixture (`POST /api/workflow/test`): a
//! `taskRefToMockOutput` map from task reference to a list of results, or the whole
//! `WorkflowTestRequest` holding it, whose `subWorkflowTestRequest` maps the reference of a
//! SUB_WORKFLOW task to the request of the child workflow. How the results are used follows
//! Conductor's `WorkflowTestService`, with two conveniences for local runs:
//!
//! - **In order.** Each poll of a task takes the next result of its reference's list: retries
//!   (a new attempt of the same reference), IN_PROGRESS answers (the same attempt polled again)
//!   and loop iterations all move along the list. Unlike the server, which leaves a task without
//!   results waiting, an exhausted list keeps answering with its last result, so one result
//!   answers every iteration of a loop.
//! - **References.** Inside a DO_WHILE Conductor's references carry the iteration (`check__2`);
//!   a list under `check__2` answers that iteration only (as on the server), a list under
//!   `check` every iteration that has none of its own. The results of a sub-workflow's tasks are
//!   looked up in its `subWorkflowTestRequest` first, then in the requests around it, so a flat
//!   `taskRefToMockOutput` also mocks sub-workflows, failure and compensation workflows.
//!
//! `executionTime` (plus `queueWaitTime`) becomes the result's simulated duration on the run's
//! clock. `reasonForIncompletion` (a wfc addition a server ignores) is the reason of a failed
//! result.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::engine::InjectedFailure;
use crate::event::ResultKey;
use crate::worker::{WorkFuture, WorkItem, WorkResult, WorkStatus, Workers};

/// One mocked result.
#[derive(Debug, Clone, PartialEq)]
struct MockedResult {
    result: WorkResult,
}

/// The results of one reference, and how many were used.
#[derive(Debug, Default)]
struct ResultList {
    results: Vec<MockedResult>,
    used: usize,
}

impl ResultList {
    fn next(&mut self) -> Option<WorkResult> {
        let index = self.used.min(self.results.len().checked_sub(1)?);
        self.used += 1;
        self.results.get(index).map(|mocked| mocked.result.clone())
    }
}

/// One `WorkflowTestRequest` (the root, or a sub-workflow's).
#[derive(Debug, Default)]
struct MockRequest {
    tasks: HashMap<String, Mutex<ResultList>>,
    sub_requests: HashMap<String, MockRequest>,
}

impl MockRequest {
    fn parse(value: &Value, path: &str, depth: usize) -> Result<MockRequest, String> {
        if depth > 32 {
            return Err(format!(
                "{path}: sub-workflow requests are nested too deeply"
            ));
        }
        let Value::Object(object) = value else {
            return Err(format!("{path}: expected a mapping of task references"));
        };
        let is_request = [
            "taskRefToMockOutput",
            "subWorkflowTestRequest",
            "workflowDef",
        ]
        .iter()
        .any(|key| object.contains_key(*key))
            || object.get("name").is_some_and(|name| !name.is_array());
        let mut request = MockRequest::default();
        if !is_request {
            request.tasks = parse_mock_map(object, path)?;
            return Ok(request);
        }
        if let Some(mocks) = object.get("taskRefToMockOutput") {
            match mocks {
                Value::Object(mocks) => {
                    request.tasks = parse_mock_map(mocks, &format!("{path}taskRefToMockOutput."))?;
                }
                Value::Null => {}
                _ => return Err(format!("{path}taskRefToMockOutput: expected a mapping")),
            }
        }
        if let Some(children) = object.get("subWorkflowTestRequest") {
            match children {
                Value::Object(children) => {
                    for (reference, child) in children {
                        let child_path = format!("{path}subWorkflowTestRequest.{reference}.");
                        request.sub_requests.insert(
                            reference.clone(),
                            MockRequest::parse(child, &child_path, depth + 1)?,
                        );
                    }
                }
                Value::Null => {}
                _ => return Err(format!("{path}subWorkflowTestRequest: expected a mapping")),
            }
        }
        Ok(request)
    }

    /// The list answering `reference` in this request: its own, else the one of its loop base.
    fn list(&self, reference: &str) -> Option<&Mutex<ResultList>> {
        self.tasks.get(reference).or_else(|| {
            let (base, _) = split_iteration(reference)?;
            self.tasks.get(base)
        })
    }

    fn has_reference(&self, reference: &str) -> bool {
        self.list(reference).is_some()
            || self
                .sub_requests
                .values()
                .any(|child| child.has_reference(reference))
    }
}

fn parse_mock_map(
    object: &Map<String, Value>,
    path: &str,
) -> Result<HashMap<String, Mutex<ResultList>>, String> {
    let mut tasks = HashMap::new();
    for (reference, results) in object {
        let Value::Array(results) = results else {
            return Err(format!("{path}{reference}: expected a list of results"));
        };
        let mut list = Vec::with_capacity(results.len());
        for (index, result) in results.iter().enumerate() {
            list.push(
                parse_result(result)
                    .map_err(|message| format!("{path}{reference}[{index}]: {message}"))?,
            );
        }
        tasks.insert(
            reference.clone(),
            Mutex::new(ResultList {
                results: list,
                used: 0,
            }),
        );
    }
    Ok(tasks)
}

fn parse_result(value: &Value) -> Result<MockedResult, String> {
    let Value::Object(object) = value else {
        return Err("expected a mapping".to_string());
    };
    let status = match object.get("status") {
        None | Some(Value::Null) => WorkStatus::Completed,
        Some(Value::String(text)) => WorkStatus::parse(text).ok_or_else(|| {
            if text == "CANCELED" {
                "`CANCELED` is set by the engine only; a worker's result is COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS".to_string()
            } else {
                format!("`{text}` is not a task result status")
            }
        })?,
        Some(other) => return Err(format!("status `{other}` is not a string")),
    };
    let output = match object.get("output") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(output)) => output.clone(),
        Some(_) => return Err("`output` must be a mapping".to_string()),
    };
    let milliseconds = |key: &str| -> Result<u64, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(0),
            Some(value) => value
                .as_u64()
                .ok_or_else(|| format!("`{key}` must be a whole number of milliseconds")),
        }
    };
    let total = milliseconds("executionTime")?.saturating_add(milliseconds("queueWaitTime")?);
    let reason = object
        .get("reasonForIncompletion")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut result = WorkResult::with_status(status, output, reason);
    if total > 0 {
        result.execution_time = Some(Duration::from_millis(total));
    }
    Ok(MockedResult { result })
}

/// Whether `--fail` failed this attempt: REF names the reference (every `REF__N` inside
/// loops) or its sub-workflow path (`/pay/charge`).
fn failure_matches(
    failure: &InjectedFailure,
    path_and_reference: &str,
    reference: &str,
    attempt: u32,
) -> bool {
    let base = split_iteration(reference).map_or(reference, |(base, _)| base);
    let named = failure.reference == reference
        || failure.reference == base
        || failure.reference == path_and_reference
        || path_and_reference
            .rsplit_once('/')
            .is_some_and(|(path, _)| failure.reference == format!("{path}/{base}"));
    named && failure.attempt.is_none_or(|wanted| wanted == attempt)
}

/// Removes Conductor's loop suffix: `poll__3` → (`poll`, 3).
pub fn split_iteration(reference: &str) -> Option<(&str, u32)> {
    let (base, iteration) = reference.rsplit_once("__")?;
    if base.is_empty() || iteration.is_empty() || !iteration.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((base, iteration.parse().ok()?))
}

/// The sub-workflow path of a result key (`/pay#1/charge#0` → [`pay`]).
fn path_segments(key: &str) -> Vec<&str> {
    let path = key.rsplit_once('/').map_or("", |(path, _)| path);
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| segment.split_once('#').map_or(segment, |(name, _)| name))
        .collect()
}

/// Workers answering from a mock file.
#[derive(Debug)]
pub struct Mocks {
    root: MockRequest,
    /// The request's `input`, when the file is a whole `WorkflowTestRequest`.
    input: Option<Map<String, Value>>,
    /// The request's `name`.
    name: Option<String>,
}

impl Mocks {
    /// Reads a mock file's JSON (the compiler reads YAML files into JSON and checks them first).
    pub fn from_json(value: &Value) -> Result<Mocks, String> {
        let root = MockRequest::parse(value, "", 0)?;
        let input = match value.get("input") {
            Some(Value::Object(input))
                if value.get("taskRefToMockOutput").is_some() || value.get("name").is_some() =>
            {
                Some(input.clone())
            }
            _ => None,
        };
        let name = value
            .get("taskRefToMockOutput")
            .and(value.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(Mocks { root, input, name })
    }

    /// The workflow input the test request gives.
    pub fn input(&self) -> Option<&Map<String, Value>> {
        self.input.as_ref()
    }

    /// The workflow the test request names.
    pub fn workflow_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The list answering `reference` in the workflow at the sub-workflow path of `key`: the
    /// innermost request on the path that mocks the reference, else the requests around it.
    fn list_for(&self, key: &str, reference: &str) -> Option<&Mutex<ResultList>> {
        let mut chain = vec![&self.root];
        for segment in path_segments(key) {
            match chain
                .last()
                .and_then(|request| request.sub_requests.get(segment))
            {
                Some(child) => chain.push(child),
                None => break,
            }
        }
        chain
            .iter()
            .rev()
            .find_map(|request| request.list(reference))
    }

    fn next_result(&self, item: &WorkItem) -> Option<WorkResult> {
        let list = self.list_for(&item.key.0, &item.reference_task_name)?;
        let mut list = match list.lock() {
            Ok(list) => list,
            Err(poisoned) => poisoned.into_inner(),
        };
        list.next()
    }

    /// Resuming a run: moves past the results its history already received from the mocks,
    /// so that the next attempt of a task gets the result after them. Results of attempts that
    /// `--fail` failed did not come from the mocks and are skipped.
    pub fn advance_past<'a>(
        &self,
        recorded: impl IntoIterator<Item = &'a ResultKey>,
        failures: &[InjectedFailure],
    ) {
        for key in recorded {
            let Some((path_and_reference, retry)) = key.0.rsplit_once('#') else {
                continue;
            };
            let reference = path_and_reference
                .rsplit_once('/')
                .map_or(path_and_reference, |(_, reference)| reference);
            let attempt = retry.parse::<u32>().map_or(1, |retry| retry + 1);
            if failures
                .iter()
                .any(|failure| failure_matches(failure, path_and_reference, reference, attempt))
            {
                continue;
            }
            if let Some(list) = self.list_for(&key.0, reference) {
                let mut list = match list.lock() {
                    Ok(list) => list,
                    Err(poisoned) => poisoned.into_inner(),
                };
                list.used += 1;
            }
        }
    }
}

impl Workers for Mocks {
    fn can_execute(&self, _task_def_name: &str, reference_task_name: &str) -> bool {
        self.root.has_reference(reference_task_name)
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        let result = self.next_result(&item).unwrap_or_else(|| {
            WorkResult::failed(format!(
                "no mocked result for `{}`",
                item.reference_task_name
            ))
        });
        Box::pin(async move { result })
    }
}

/// Workers of `wfc run --stub`: every worker task, HUMAN task and WAIT without a deadline
/// completes at once with a sample of its declared output (an empty output when nothing is
/// declared). HTTP calls and WAITs with a duration or deadline are left to the engine.
#[derive(Debug, Default, Clone)]
pub struct Stubs {
    /// Samples by task reference (tasks with their own declared output).
    pub by_reference: BTreeMap<String, Value>,
    /// Samples by task definition name (worker contracts, TaskDef `outputSchema`).
    pub by_task_name: BTreeMap<String, Value>,
    /// References the engine runs itself (HTTP, WAIT with a duration or deadline).
    pub left_to_engine: HashSet<String>,
}

impl Stubs {
    /// Stubs for the tasks of these WorkflowDefs: the references to leave to the engine, and a
    /// sample of each TaskDef's `outputSchema` (JSON Schema) by name; `samples_by_reference`
    /// and `samples_by_task_name` (from declared wfc types) take precedence.
    pub fn new(
        definitions: &[Value],
        task_defs: &[Value],
        samples_by_reference: BTreeMap<String, Value>,
        samples_by_task_name: BTreeMap<String, Value>,
    ) -> Stubs {
        let mut stubs = Stubs {
            by_reference: samples_by_reference,
            by_task_name: samples_by_task_name,
            left_to_engine: HashSet::new(),
        };
        for task_def in task_defs.iter().flat_map(|value| match value {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        }) {
            let (Some(name), Some(schema)) = (
                task_def.get("name").and_then(Value::as_str),
                task_def
                    .get("outputSchema")
                    .and_then(|schema| schema.get("data")),
            ) else {
                continue;
            };
            stubs
                .by_task_name
                .entry(name.to_string())
                .or_insert_with(|| sample_from_schema(schema, schema, name, 0));
        }
        for definition in definitions {
            if let Some(tasks) = definition.get("tasks").and_then(Value::as_array) {
                stubs.collect_engine_tasks(tasks, 0);
            }
        }
        stubs
    }

    fn collect_engine_tasks(&mut self, tasks: &[Value], depth: usize) {
        if depth > 64 {
            return;
        }
        for task in tasks {
            let task_type = task.get("type").and_then(Value::as_str).unwrap_or("SIMPLE");
            let input = task.get("inputParameters");
            let has = |key: &str| {
                input
                    .and_then(|input| input.get(key))
                    .is_some_and(|value| value.as_str().is_some_and(|text| !text.trim().is_empty()))
            };
            let engine_runs = match task_type {
                "HTTP" => true,
                "WAIT" => has("duration") || has("until"),
                _ => false,
            };
            if engine_runs
                && let Some(reference) = task.get("taskReferenceName").and_then(Value::as_str)
            {
                self.left_to_engine.insert(reference.to_string());
            }
            if let Some(cases) = task.get("decisionCases").and_then(Value::as_object) {
                for case in cases.values().filter_map(Value::as_array) {
                    self.collect_engine_tasks(case, depth + 1);
                }
            }
            for key in ["defaultCase", "loopOver"] {
                if let Some(list) = task.get(key).and_then(Value::as_array) {
                    self.collect_engine_tasks(list, depth + 1);
                }
            }
            if let Some(branches) = task.get("forkTasks").and_then(Value::as_array) {
                for branch in branches.iter().filter_map(Value::as_array) {
                    self.collect_engine_tasks(branch, depth + 1);
                }
            }
        }
    }

    fn base(reference: &str) -> &str {
        split_iteration(reference).map_or(reference, |(base, _)| base)
    }
}

impl Workers for Stubs {
    fn can_execute(&self, _task_def_name: &str, reference_task_name: &str) -> bool {
        !self
            .left_to_engine
            .contains(Stubs::base(reference_task_name))
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        let sample = self
            .by_reference
            .get(Stubs::base(&item.reference_task_name))
            .or_else(|| self.by_task_name.get(&item.task_def_name))
            .cloned();
        let output = match sample {
            Some(Value::Object(output)) => output,
            _ => Map::new(),
        };
        Box::pin(async move { WorkResult::completed(output) })
    }
}

/// Several kinds of workers asked in order, the first that can execute a task running it:
/// `wfc run` asks the mocks, then the command workers, then the stubs.
#[derive(Default)]
pub struct Layered {
    layers: Vec<std::sync::Arc<dyn Workers>>,
}

impl std::fmt::Debug for Layered {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Layered")
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl Layered {
    pub fn new(layers: Vec<std::sync::Arc<dyn Workers>>) -> Layered {
        Layered { layers }
    }
}

impl Workers for Layered {
    fn can_execute(&self, task_def_name: &str, reference_task_name: &str) -> bool {
        self.layers
            .iter()
            .any(|layer| layer.can_execute(task_def_name, reference_task_name))
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        match self
            .layers
            .iter()
            .find(|layer| layer.can_execute(&item.task_def_name, &item.reference_task_name))
        {
            Some(layer) => layer.execute(item),
            None => {
                let reason = format!(
                    "no mock, command or stub answers `{}` ({})",
                    item.reference_task_name, item.task_def_name
                );
                Box::pin(async move { WorkResult::failed(reason) })
            }
        }
    }
}

/// A sample value of a JSON Schema (the `outputSchema` wfc emits in TaskDefs, or any other):
/// every property, one item per array, the first enum value, `0`, `false`, and for a string the
/// name of the property.
pub fn sample_from_schema(schema: &Value, root: &Value, name: &str, depth: usize) -> Value {
    if depth > 16 {
        return Value::Null;
    }
    let Some(object) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/")
            .map(|pointer| format!("/{pointer}"))
            .and_then(|pointer| root.pointer(&pointer));
        return target.map_or(Value::Null, |target| {
            sample_from_schema(target, root, name, depth + 1)
        });
    }
    if let Some(first) = object
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.iter().find(|value| !value.is_null()))
    {
        return first.clone();
    }
    if let Some(value) = object.get("const") {
        return value.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = object
            .get(key)
            .and_then(Value::as_array)
            .and_then(|options| {
                options
                    .iter()
                    .find(|option| option.get("type").and_then(Value::as_str) != Some("null"))
            })
        {
            return sample_from_schema(first, root, name, depth + 1);
        }
    }
    let type_name = match object.get("type") {
        Some(Value::String(name)) => name.as_str(),
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .find(|name| *name != "null")
            .unwrap_or("null"),
        _ if object.contains_key("properties") => "object",
        _ => "",
    };
    match type_name {
        "object" => Value::Object(
            object
                .get("properties")
                .and_then(Value::as_object)
                .map(|properties| {
                    properties
                        .iter()
                        .map(|(key, property)| {
                            (
                                key.clone(),
                                sample_from_schema(property, root, key, depth + 1),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
        "array" => Value::Array(vec![object.get("items").map_or(Value::Null, |items| {
            sample_from_schema(items, root, name, depth + 1)
        })]),
        "string" => Value::String(name.to_string()),
        "integer" | "number" => Value::from(0),
        "boolean" => Value::Bool(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event::ResultKey;

    fn item(path: &str, reference: &str, retry: u32) -> WorkItem {
        WorkItem {
            workflow_id: "w".into(),
            task_id: "t".into(),
            task_type: "SIMPLE".into(),
            task_def_name: "worker".into(),
            reference_task_name: reference.into(),
            input: Map::new(),
            retry_count: retry,
            poll_count: 1,
            iteration: 0,
            key: ResultKey::new(path, reference, retry),
        }
    }

    fn answer(workers: &dyn Workers, item: WorkItem) -> WorkResult {
        let runtime = tokio::runtime::Builder::new_current_thread().build();
        match runtime {
            Ok(runtime) => runtime.block_on(workers.execute(item)),
            Err(error) => WorkResult::failed(error.to_string()),
        }
    }

    #[test]
    fn results_are_used_in_order_and_the_last_one_repeats() {
        let mocks = Mocks::from_json(&json!({
            "charge": [
                {"status": "FAILED", "reasonForIncompletion": "declined"},
                {"status": "COMPLETED", "output": {"id": "ch_1"}, "executionTime": 1500, "queueWaitTime": 500}
            ],
            "check": [{"output": {"ok": true}}],
            "check__2": [{"status": "FAILED_WITH_TERMINAL_ERROR"}]
        }));
        let Ok(mocks) = mocks else {
            panic!("{mocks:?}")
        };
        assert!(mocks.can_execute("charge_card", "charge"));
        assert!(mocks.can_execute("x", "check__7"));
        assert!(!mocks.can_execute("charge", "refund"));
        let first = answer(&mocks, item("", "charge", 0));
        assert_eq!(first.status, WorkStatus::Failed);
        assert_eq!(first.reason.as_deref(), Some("declined"));
        let second = answer(&mocks, item("", "charge", 1));
        assert_eq!(second.output.get("id"), Some(&json!("ch_1")));
        assert_eq!(second.execution_time, Some(Duration::from_millis(2000)));
        let third = answer(&mocks, item("", "charge", 2));
        assert_eq!(third.status, WorkStatus::Completed);
        assert_eq!(
            answer(&mocks, item("", "check__1", 0)).status,
            WorkStatus::Completed
        );
        assert_eq!(
            answer(&mocks, item("", "check__2", 0)).status,
            WorkStatus::FailedWithTerminalError
        );
        assert_eq!(
            answer(&mocks, item("", "check__3", 0)).status,
            WorkStatus::Completed
        );
        assert_eq!(mocks.input(), None);
        let missing = answer(&mocks, item("", "refund", 0));
        assert_eq!(missing.status, WorkStatus::Failed);
    }

    #[test]
    fn a_resumed_run_continues_the_lists_where_its_history_left_them() {
        let mocks = Mocks::from_json(&json!({
            "charge": [
                {"status": "FAILED"},
                {"status": "FAILED"},
                {"output": {"id": "third"}},
                {"output": {"id": "fourth"}}
            ]
        }));
        let Ok(mocks) = mocks else {
            panic!("{mocks:?}")
        };
        // Attempt 1 came from the mocks, attempt 2 from `--fail charge:2`.
        mocks.advance_past(
            &[
                ResultKey::new("", "charge", 0),
                ResultKey::new("", "charge", 1),
            ],
            &[InjectedFailure {
                reference: "charge".into(),
                attempt: Some(2),
            }],
        );
        let next = answer(&mocks, item("", "charge", 2));
        assert_eq!(next.status, WorkStatus::Failed);
        let after = answer(&mocks, item("", "charge", 3));
        assert_eq!(after.output.get("id"), Some(&json!("third")));
    }

    #[test]
    fn sub_workflow_requests_come_first_then_the_requests_around_them() {
        let mocks = Mocks::from_json(&json!({
            "name": "order",
            "input": {"id": 7},
            "taskRefToMockOutput": {
                "charge": [{"output": {"from": "root"}}],
                "notify": [{"output": {"from": "root"}}]
            },
            "subWorkflowTestRequest": {
                "pay": {"taskRefToMockOutput": {"charge": [{"output": {"from": "pay"}}]}}
            }
        }));
        let Ok(mocks) = mocks else {
            panic!("{mocks:?}")
        };
        assert_eq!(mocks.workflow_name(), Some("order"));
        assert_eq!(
            mocks.input().and_then(|input| input.get("id")),
            Some(&json!(7))
        );
        let from = |result: WorkResult| result.output.get("from").cloned();
        assert_eq!(
            from(answer(&mocks, item("/pay#1", "charge", 0))),
            Some(json!("pay"))
        );
        assert_eq!(
            from(answer(&mocks, item("/pay/inner", "notify", 0))),
            Some(json!("root"))
        );
        assert_eq!(
            from(answer(&mocks, item("", "charge", 0))),
            Some(json!("root"))
        );
        assert_eq!(
            from(answer(&mocks, item("/!failure", "charge", 0))),
            Some(json!("root"))
        );
    }

    #[test]
    fn bad_files_are_refused_with_a_location() {
        let error = |value: Value| Mocks::from_json(&value).err().unwrap_or_default();
        assert_eq!(
            error(json!({"a": {"status": "COMPLETED"}})),
            "a: expected a list of results"
        );
        assert_eq!(
            error(json!({"taskRefToMockOutput": {"a": [{"status": "DONE"}]}})),
            "taskRefToMockOutput.a[0]: `DONE` is not a task result status"
        );
        assert!(error(json!({"a": [{"status": "CANCELED"}]})).contains("set by the engine"));
        assert_eq!(
            error(json!({"a": [{"executionTime": -1}]})),
            "a[0]: `executionTime` must be a whole number of milliseconds"
        );
    }

    #[test]
    fn stubs_fill_declared_outputs_and_leave_http_to_the_engine() {
        let definitions = [json!({"name": "w", "tasks": [
            {"name": "fetch", "taskReferenceName": "fetch", "type": "HTTP", "inputParameters": {"http_request": {}}},
            {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopOver": [
                {"name": "pause", "taskReferenceName": "pause", "type": "WAIT", "inputParameters": {"duration": "1 s"}}
            ]},
            {"name": "gate", "taskReferenceName": "gate", "type": "WAIT", "inputParameters": {}},
            {"name": "score", "taskReferenceName": "score", "type": "SIMPLE"}
        ]})];
        let task_defs = [json!([{"name": "score", "outputSchema": {"data": {
            "type": "object",
            "properties": {
                "value": {"type": "number"},
                "label": {"type": ["string", "null"]},
                "kind": {"$ref": "#/$defs/Kind"},
                "tags": {"type": "array", "items": {"type": "string"}}
            },
            "$defs": {"Kind": {"type": "string", "enum": ["a", "b"]}}
        }}}])];
        let stubs = Stubs::new(
            &definitions,
            &task_defs,
            BTreeMap::from([("gate".to_string(), json!({"opened": false}))]),
            BTreeMap::new(),
        );
        assert!(!stubs.can_execute("fetch", "fetch"));
        assert!(!stubs.can_execute("pause", "pause__3"));
        assert!(stubs.can_execute("gate", "gate"));
        assert!(stubs.can_execute("anything", "dynamic_task"));
        let mut score = item("", "score", 0);
        score.task_def_name = "score".into();
        assert_eq!(
            Value::Object(answer(&stubs, score).output),
            json!({"value": 0, "label": "label", "kind": "a", "tags": ["tags"]})
        );
        assert_eq!(
            Value::Object(answer(&stubs, item("", "gate", 0)).output),
            json!({"opened": false})
        );
        assert!(answer(&stubs, item("", "other", 0)).output.is_empty());

        // Mocks first, stubs for the rest.
        let mocks = Mocks::from_json(&json!({"gate": [{"output": {"opened": true}}]}));
        let Ok(mocks) = mocks else {
            panic!("{mocks:?}")
        };
        let layered = Layered::new(vec![std::sync::Arc::new(mocks), std::sync::Arc::new(stubs)]);
        assert!(!layered.can_execute("fetch", "fetch"));
        assert_eq!(
            Value::Object(answer(&layered, item("", "gate", 0)).output),
            json!({"opened": true})
        );
        assert_eq!(
            Value::Object(answer(&layered, item("", "gate__2", 0)).output),
            json!({"opened": true})
        );
        assert!(answer(&layered, item("", "other", 0)).output.is_empty());
    }
}
