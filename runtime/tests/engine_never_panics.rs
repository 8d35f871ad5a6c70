//! Whatever definition JSON the engine is given, it never panics and every run ends: a
//! definition it cannot read is refused with a reason, one it can read runs to a final state (or
//! stops, saying why).

mod support;

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use support::*;
use wfc_runtime::engine::{Definitions, Engine, RunOptions, StartRequest};
use wfc_runtime::event::DiscardingRecorder;

const REFERENCES: &[&str] = &["a", "b", "c", "d", "e", "f"];
const TYPES: &[&str] = &[
    "SIMPLE",
    "HTTP",
    "SWITCH",
    "DECISION",
    "FORK_JOIN",
    "JOIN",
    "FORK_JOIN_DYNAMIC",
    "DO_WHILE",
    "DYNAMIC",
    "SUB_WORKFLOW",
    "START_WORKFLOW",
    "WAIT",
    "HUMAN",
    "INLINE",
    "LAMBDA",
    "JSON_JQ_TRANSFORM",
    "SET_VARIABLE",
    "TERMINATE",
    "EVENT",
    "NOOP",
    "EXCLUSIVE_JOIN",
    "KAFKA_PUBLISH",
    "SOMETHING_ELSE",
];

/// Any JSON value, small.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z${}.\\[\\]0-9 ]{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("${workflow.input.x}"),
            Just("${a.output}"),
            Just("${b.output.result}"),
            Just("${workflow.variables}"),
            Just("true"),
            Just("COMPLETED"),
            Just("1 s"),
            Just("2030-01-01"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A task that is plausible enough to get past parsing most of the time.
fn any_task(depth: u32) -> BoxedStrategy<Value> {
    let nested = if depth == 0 {
        Just(Vec::<Value>::new()).boxed()
    } else {
        prop::collection::vec(any_task(depth - 1), 0..3).boxed()
    };
    (
        prop::sample::select(REFERENCES),
        prop::sample::select(TYPES),
        prop::collection::btree_map(
            prop::sample::select(&[
                "x", "expression", "evaluatorType", "scriptExpression", "queryExpression",
                "duration", "until", "terminationStatus", "forkTaskName", "forkTaskInputs",
                "startWorkflow", "which", "uri", "method", "_items", "keepLastN",
            ][..]),
            any_json(),
            0..4,
        ),
        nested.clone(),
        nested,
        any_json(),
        prop::collection::vec(prop::sample::select(REFERENCES), 0..3),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(any_task_definition()),
    )
        .prop_map(
            |(reference, task_type, parameters, first, second, extra, join_on, optional, flag, definition)| {
                let mut task = Map::new();
                task.insert("name".into(), reference.into());
                task.insert("taskReferenceName".into(), format!("{reference}{}", first.len()).into());
                task.insert("type".into(), task_type.into());
                task.insert(
                    "inputParameters".into(),
                    Value::Object(parameters.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
                );
                task.insert("optional".into(), optional.into());
                task.insert("permissive".into(), flag.into());
                if let Some(definition) = definition {
                    task.insert("startDelay".into(), definition["startDelay"].clone());
                    task.insert("taskDefinition".into(), definition);
                }
                match task_type {
                    "SWITCH" | "DECISION" => {
                        task.insert("evaluatorType".into(), if flag { "value-param" } else { "javascript" }.into());
                        task.insert("expression".into(), if flag { "x" } else { "$.x" }.into());
                        task.insert("caseValueParam".into(), "x".into());
                        task.insert("decisionCases".into(), json!({"true": first, "1": []}));
                        task.insert("defaultCase".into(), Value::Array(second));
                        task.insert("extra".into(), extra);
                    }
                    "FORK_JOIN" => {
                        task.insert("forkTasks".into(), json!([first, second]));
                    }
                    "DO_WHILE" => {
                        task.insert("loopOver".into(), Value::Array(first));
                        task.insert(
                            "loopCondition".into(),
                            if flag { "$.x < 3" } else { "true" }.into(),
                        );
                        if let Value::String(items) = extra {
                            task.insert("items".into(), items.into());
                        }
                    }
                    "JOIN" | "EXCLUSIVE_JOIN" => {
                        task.insert("joinOn".into(), json!(join_on));
                    }
                    "FORK_JOIN_DYNAMIC" => {
                        task.insert("dynamicForkTasksParam".into(), "x".into());
                        task.insert("dynamicForkTasksInputParamName".into(), "which".into());
                    }
                    "DYNAMIC" => {
                        task.insert("dynamicTaskNameParam".into(), "which".into());
                    }
                    "SUB_WORKFLOW" => {
                        task.insert(
                            "subWorkflowParam".into(),
                            if flag {
                                json!({"name": "any", "version": 1})
                            } else {
                                json!({"name": "inline", "workflowDefinition": {"name": "inline", "tasks": first}})
                            },
                        );
                    }
                    "EVENT" => {
                        task.insert("sink".into(), if flag { "conductor" } else { "sqs:q" }.into());
                    }
                    _ => {
                        task.insert("extra".into(), extra);
                    }
                }
                Value::Object(task)
            },
        )
        .boxed()
}

/// An inline task definition with any numbers (retries, delays, timeouts, jitter).
fn any_task_definition() -> impl Strategy<Value = Value> {
    let seconds = prop_oneof![0_i64..5, 0_i64..100_000, any::<i64>()];
    (
        0_u32..3,
        prop::sample::select(&["FIXED", "LINEAR_BACKOFF", "EXPONENTIAL_BACKOFF"][..]),
        prop::sample::select(&["RETRY", "TIME_OUT_WF", "ALERT_ONLY"][..]),
        prop::collection::vec(seconds, 7),
    )
        .prop_map(|(retries, logic, policy, numbers)| {
            json!({"name": "inline_definition", "retryCount": retries, "retryLogic": logic, "timeoutPolicy": policy,
                   "retryDelaySeconds": numbers[0], "timeoutSeconds": numbers[1],
                   "responseTimeoutSeconds": numbers[2], "totalTimeoutSeconds": numbers[3],
                   "backoffJitterMs": numbers[4], "maxRetryDelaySeconds": numbers[5], "startDelay": numbers[6]})
        })
}

fn any_definition() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => any_json(),
        6 => (
            prop::collection::vec(any_task(2), 0..6),
            prop::collection::btree_map("[a-z]{1,3}", any_json(), 0..3),
            any::<bool>(),
        ).prop_map(|(tasks, output, timeout)| {
            let output: Map<String, Value> = output.into_iter().collect();
            json!({"name": "any", "version": 1, "tasks": tasks, "outputParameters": output,
                   "timeoutSeconds": if timeout { 30 } else { 0 }, "timeoutPolicy": "TIME_OUT_WF",
                   "failureWorkflow": if timeout { "any" } else { "missing" }})
        }),
    ]
}

fn run_definition(definition: &Value, input: &Value) -> Result<(), String> {
    let mut definitions = Definitions::new();
    if definitions.add_workflow(definition).is_err() {
        // Refused with a reason: nothing to run.
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(async {
        let options = RunOptions {
            task_limit: 300,
            ..options()
        };
        let engine = Engine::new(
            Arc::new(definitions),
            Arc::new(ScriptedWorkers::new().without("e0").without("f0")),
            Arc::new(DiscardingRecorder),
            options,
        );
        let (handle, join) = engine.start(StartRequest {
            name: "any".to_owned(),
            input: object(input.clone()),
            ..StartRequest::default()
        });
        drop(handle);
        match tokio::time::timeout(Duration::from_secs(30), join).await {
            Ok(Ok(outcome)) => {
                serde_json::to_string(&outcome.workflow).map_err(|error| error.to_string())?;
                Ok(())
            }
            Ok(Err(error)) => Err(format!("the run panicked: {error}")),
            Err(_) => Err("the run did not end".to_owned()),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn any_definition_runs_or_is_refused_without_panicking(
        definition in any_definition(),
        input in prop::collection::btree_map("[a-z]{1,3}", any_json(), 0..3),
    ) {
        let input = Value::Object(input.into_iter().collect());
        prop_assert_eq!(run_definition(&definition, &input), Ok(()));
    }
}
