//! Task definitions at work: retry logic and delays, timeouts and their policies, optional
//! tasks, workflow timeouts, failure workflows, injected failures.

mod support;

use std::sync::Arc;

use serde_json::json;
use support::*;
use wfc_runtime::engine::{InjectedFailure, RunOptions};
use wfc_runtime::execution::TaskStatus::*;
use wfc_runtime::execution::WorkflowStatus;
use wfc_runtime::worker::WorkStatus;

fn failing_then_ok(reference: &str, failures: usize) -> ScriptedWorkers {
    let mut results: Vec<_> = (0..failures)
        .map(|attempt| fail(&format!("failure {attempt}")))
        .collect();
    results.push(ok(json!({"done": true})));
    ScriptedWorkers::new().answers(reference, results)
}

#[tokio::test]
async fn fixed_retries_wait_the_retry_delay_between_attempts() {
    let task_def =
        json!({"name": "a", "retryCount": 2, "retryLogic": "FIXED", "retryDelaySeconds": 10});
    let ran = run(
        workflow("fixed", json!([simple("a")])),
        &[task_def],
        json!({}),
        failing_then_ok("a", 2),
    )
    .await;
    assert_eq!(
        attempts(ran.workflow(), "a"),
        [(0, 0.0, Failed), (1, 10.0, Failed), (2, 20.0, Completed)]
    );
    let tasks = &ran.workflow().tasks;
    assert_eq!(
        tasks[1].retried_task_id.as_deref(),
        Some(tasks[0].task_id.as_str())
    );
    assert_eq!(
        tasks[2].retried_task_id.as_deref(),
        Some(tasks[1].task_id.as_str())
    );
    assert!(tasks[0].retried && tasks[1].retried && !tasks[2].retried);
    assert_eq!(tasks[1].start_delay_in_seconds, 10);
    assert_eq!(
        tasks[1].reason_for_incompletion.as_deref(),
        Some("failure 1")
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Completed);
}

#[tokio::test]
async fn linear_backoff_multiplies_the_delay_by_the_scale_and_the_attempt() {
    let task_def = json!({"name": "a", "retryCount": 2, "retryLogic": "LINEAR_BACKOFF", "retryDelaySeconds": 10, "backoffScaleFactor": 2});
    let ran = run(
        workflow("linear", json!([simple("a")])),
        &[task_def],
        json!({}),
        failing_then_ok("a", 2),
    )
    .await;
    assert_eq!(
        attempts(ran.workflow(), "a"),
        [(0, 0.0, Failed), (1, 20.0, Failed), (2, 60.0, Completed)]
    );
}

#[tokio::test]
async fn exponential_backoff_doubles_the_delay_up_to_the_maximum() {
    let task_def = json!({"name": "a", "retryCount": 4, "retryLogic": "EXPONENTIAL_BACKOFF", "retryDelaySeconds": 5, "maxRetryDelaySeconds": 15});
    let ran = run(
        workflow("exponential", json!([simple("a")])),
        &[task_def],
        json!({}),
        failing_then_ok("a", 4),
    )
    .await;
    assert_eq!(
        attempts(ran.workflow(), "a"),
        [
            (0, 0.0, Failed),
            (1, 5.0, Failed),
            (2, 15.0, Failed),
            (3, 30.0, Failed),
            (4, 45.0, Completed)
        ]
    );
}

#[tokio::test]
async fn jitter_is_drawn_from_the_seed() {
    let task_def =
        json!({"name": "a", "retryCount": 3, "retryDelaySeconds": 1, "backoffJitterMs": 1000});
    let run_seeded = |seed: u64| {
        let task_def = task_def.clone();
        async move {
            let options = RunOptions { seed, ..options() };
            let ran = run_with(
                definitions(&[workflow("jitter", json!([simple("a")]))], &[task_def]),
                "jitter",
                json!({}),
                Arc::new(failing_then_ok("a", 3)),
                options,
            )
            .await;
            attempts(ran.workflow(), "a")
                .into_iter()
                .map(|(_, start, _)| start)
                .collect::<Vec<f64>>()
        }
    };
    let first = run_seeded(7).await;
    assert_eq!(first, run_seeded(7).await);
    let gaps: Vec<f64> = first.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(gaps.iter().all(|gap| (1.0..=2.0).contains(gap)), "{gaps:?}");
    assert!(
        gaps.iter().any(|gap| *gap > 1.0),
        "no jitter at all: {gaps:?}"
    );
    let other_seeds = [run_seeded(8).await, run_seeded(9).await];
    assert!(other_seeds.iter().any(|starts| *starts != first));
}

#[tokio::test]
async fn exhausted_retries_fail_the_workflow_with_conductors_reason() {
    let task_def = json!({"name": "a", "retryCount": 1, "retryDelaySeconds": 0});
    let workers = ScriptedWorkers::new().answers(
        "a",
        vec![
            fail("one"),
            answer(WorkStatus::Failed, json!({"partial": 1})),
        ],
    );
    let ran = run(
        workflow("exhausted", json!([simple("a"), simple("b")])),
        &[task_def],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("a", Failed), ("a", Failed)]));
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    let last = &ran.workflow().tasks[1];
    assert_eq!(
        ran.workflow().reason_for_incompletion.clone(),
        Some(format!(
            "Task {} failed with status: FAILED and reason: 'null'",
            last.task_id
        ))
    );
    assert_eq!(ran.workflow().output, object(json!({"partial": 1})));
    assert_eq!(ran.workflow().failed_reference_task_names, ["a"]);
}

#[tokio::test]
async fn a_terminal_error_is_never_retried() {
    let task_def = json!({"name": "a", "retryCount": 3});
    let workers = ScriptedWorkers::new().answers(
        "a",
        vec![answer(WorkStatus::FailedWithTerminalError, json!({}))],
    );
    let ran = run(
        workflow("terminal", json!([simple("a")])),
        &[task_def],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("a", FailedWithTerminalError)]));
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
}

#[tokio::test]
async fn the_workflow_tasks_retry_count_overrides_the_task_definition() {
    let task_def = json!({"name": "a", "retryCount": 5, "retryDelaySeconds": 1});
    let mut task = simple("a");
    task["retryCount"] = json!(1);
    let ran = run(
        workflow("override", json!([task])),
        &[task_def],
        json!({}),
        failing_then_ok("a", 3),
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("a", Failed), ("a", Failed)]));
}

#[tokio::test]
async fn tasks_without_a_definition_get_conductors_ad_hoc_defaults() {
    // Three retries, 60 seconds apart.
    let ran = run(
        workflow("ad_hoc", json!([simple("a")])),
        &[],
        json!({}),
        failing_then_ok("a", 3),
    )
    .await;
    assert_eq!(
        attempts(ran.workflow(), "a"),
        [
            (0, 0.0, Failed),
            (1, 60.0, Failed),
            (2, 120.0, Failed),
            (3, 180.0, Completed)
        ]
    );
}

#[tokio::test]
async fn an_optional_task_that_keeps_failing_completes_with_errors() {
    let task_def = json!({"name": "a", "retryCount": 1, "retryDelaySeconds": 0});
    let mut task = simple("a");
    task["optional"] = json!(true);
    let workers = ScriptedWorkers::new().answers("a", vec![fail("x"), fail("y")]);
    let ran = run(
        workflow("optional", json!([task, simple("b")])),
        &[task_def],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("a", Failed), ("a", CompletedWithErrors), ("b", Completed)])
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Completed);
}

fn timing_out(policy: &str) -> serde_json::Value {
    json!({"name": "a", "retryCount": 1, "retryDelaySeconds": 0, "timeoutSeconds": 5,
           "responseTimeoutSeconds": 5, "timeoutPolicy": policy})
}

#[tokio::test]
async fn timeout_with_retry_policy_times_the_attempt_out_and_retries() {
    let workers = ScriptedWorkers::new().answers(
        "a",
        vec![slow(ok(json!({})), 10), ok(json!({"second": true}))],
    );
    let ran = run(
        workflow("timeout_retry", json!([simple("a")])),
        &[timing_out("RETRY")],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(
        attempts(ran.workflow(), "a"),
        [(0, 0.0, TimedOut), (1, 5.0, Completed)]
    );
    assert_eq!(
        ran.workflow().tasks[0].reason_for_incompletion.as_deref(),
        Some(
            "Task timed out after 5 seconds. Timeout configured as 5 seconds. Timeout policy configured to RETRY"
        )
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Completed);
}

#[tokio::test]
async fn timeout_with_time_out_wf_policy_times_the_workflow_out() {
    let workers = ScriptedWorkers::new().answers("a", vec![slow(ok(json!({})), 10)]);
    let ran = run(
        workflow("timeout_wf", json!([simple("a"), simple("b")])),
        &[timing_out("TIME_OUT_WF")],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("a", TimedOut)]));
    assert_eq!(ran.workflow().status, WorkflowStatus::TimedOut);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some(
            "Task timed out after 5 seconds. Timeout configured as 5 seconds. Timeout policy configured to TIME_OUT_WF"
        )
    );
}

#[tokio::test]
async fn timeout_with_alert_only_policy_lets_the_task_finish() {
    let task_def = json!({"name": "a", "timeoutSeconds": 5, "responseTimeoutSeconds": 5, "timeoutPolicy": "ALERT_ONLY"});
    let workers = ScriptedWorkers::new().answers("a", vec![slow(ok(json!({})), 4)]);
    let ran = run(
        workflow("timeout_alert", json!([simple("a")])),
        std::slice::from_ref(&task_def),
        json!({}),
        workers,
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("a", Completed)]));
    // Past the timeout, only the response timeout (which ignores the policy) ends it.
    let workers = ScriptedWorkers::new().answers("a", vec![slow(ok(json!({})), 10), ok(json!({}))]);
    let ran = run(
        workflow("timeout_alert", json!([simple("a")])),
        &[task_def],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(attempts(ran.workflow(), "a")[0].2, TimedOut);
    assert!(
        ran.workflow().tasks[0]
            .reason_for_incompletion
            .as_deref()
            .is_some_and(|reason| reason.starts_with("responseTimeout: 5 exceeded")),
    );
}

#[tokio::test]
async fn response_timeout_times_out_a_silent_worker_and_retries() {
    let task_def =
        json!({"name": "a", "retryCount": 1, "retryDelaySeconds": 0, "responseTimeoutSeconds": 3});
    let workers = ScriptedWorkers::new().answers("a", vec![slow(ok(json!({})), 60), ok(json!({}))]);
    let ran = run(
        workflow("response", json!([simple("a")])),
        &[task_def],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(
        attempts(ran.workflow(), "a"),
        [(0, 0.0, TimedOut), (1, 3.0, Completed)]
    );
    let first = &ran.workflow().tasks[0];
    assert_eq!(
        first.reason_for_incompletion.clone(),
        Some(format!(
            "responseTimeout: 3 exceeded for the taskId: {} with Task Definition: a",
            first.task_id
        ))
    );
}

#[tokio::test]
async fn in_progress_answers_are_polled_again_after_their_callback() {
    let mut in_progress = answer(WorkStatus::InProgress, json!({"step": 1}));
    in_progress.callback_after = Some(std::time::Duration::from_secs(30));
    let workers = ScriptedWorkers::new().answers("a", vec![in_progress, ok(json!({"step": 2}))]);
    let ran = run(
        workflow("callback", json!([simple("a")])),
        &[],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("a", Completed)]));
    let task = &ran.workflow().tasks[0];
    assert_eq!(task.poll_count, 2);
    assert_eq!(at(task.end_time), 30.0);
    assert_eq!(ran.output("a"), json!({"step": 2}));
}

#[tokio::test]
async fn total_timeout_stops_the_retries() {
    let task_def = json!({"name": "a", "retryCount": 5, "retryDelaySeconds": 10, "totalTimeoutSeconds": 25,
                          "timeoutSeconds": 20, "responseTimeoutSeconds": 20, "timeoutPolicy": "RETRY"});
    let workers =
        ScriptedWorkers::new().answers("a", vec![fail("1"), fail("2"), fail("3"), fail("4")]);
    let ran = run(
        workflow("total", json!([simple("a")])),
        &[task_def],
        json!({}),
        workers,
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("a", Failed), ("a", Failed), ("a", Failed), ("a", TimedOut)])
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::TimedOut);
    let reason = ran
        .workflow()
        .reason_for_incompletion
        .clone()
        .unwrap_or_default();
    assert!(
        reason.contains("exceeded total timeout of 25 seconds")
            && reason.ends_with("No further retries will be attempted."),
        "{reason}"
    );
}

#[tokio::test]
async fn workflow_timeout_times_out_the_workflow_and_cancels_its_tasks() {
    let mut definition = workflow("workflow_timeout", json!([simple("a")]));
    definition["timeoutSeconds"] = json!(30);
    definition["timeoutPolicy"] = json!("TIME_OUT_WF");
    let workers = ScriptedWorkers::new().answers("a", vec![slow(ok(json!({})), 60)]);
    let ran = run(definition.clone(), &[], json!({}), workers).await;
    assert_eq!(ran.sequence(), expect(&[("a", Canceled)]));
    assert_eq!(ran.workflow().status, WorkflowStatus::TimedOut);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some(
            "Workflow timed out after 30 seconds. Timeout configured as 30 seconds. Timeout policy configured to TIME_OUT_WF"
        )
    );
    definition["timeoutPolicy"] = json!("ALERT_ONLY");
    let workers = ScriptedWorkers::new().answers("a", vec![slow(ok(json!({})), 60)]);
    let ran = run(definition, &[], json!({}), workers).await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Completed);
}

#[tokio::test]
async fn the_failure_workflow_gets_conductors_input() {
    let mut definition = workflow("main", json!([simple("a")]));
    definition["failureWorkflow"] = json!("cleanup");
    let cleanup = workflow(
        "cleanup",
        json!([{"name": "c", "taskReferenceName": "c", "inputParameters": {
        "reason": "${workflow.input.reason}", "failed": "${workflow.input.failedWorkflow.tasks[0].referenceTaskName}"}}]),
    );
    let workers = ScriptedWorkers::new().answers("a", vec![fail("card declined")]);
    let ran = run_with(
        definitions(&[definition, cleanup], &[no_retries("a")]),
        "main",
        json!({"order": 1}),
        Arc::new(workers),
        options(),
    )
    .await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    let cleanup = ran.other("cleanup");
    assert_eq!(cleanup.status, WorkflowStatus::Completed);
    let main = ran.workflow();
    let failed_task = &main.tasks[0];
    let input = &cleanup.input;
    assert_eq!(input["order"], json!(1));
    assert_eq!(input["workflowId"], json!(main.workflow_id));
    assert_eq!(input["failureStatus"], json!("FAILED"));
    assert_eq!(input["failureTaskId"], json!(failed_task.task_id));
    assert_eq!(input["reason"], json!(main.reason_for_incompletion));
    assert_eq!(input["failedWorkflow"]["status"], json!("FAILED"));
    assert_eq!(
        main.output["conductor.failure_workflow"],
        json!(cleanup.workflow_id)
    );
    assert_eq!(cleanup.tasks[0].input_data["failed"], json!("a"));
}

#[tokio::test]
async fn a_failure_workflow_that_does_not_exist_is_reported_in_the_output() {
    let mut definition = workflow("main", json!([simple("a")]));
    definition["failureWorkflow"] = json!("nowhere");
    let workers = ScriptedWorkers::new().answers("a", vec![fail("x")]);
    let ran = run(definition, &[no_retries("a")], json!({}), workers).await;
    assert_eq!(
        ran.workflow().output["conductor.failure_workflow"],
        json!(
            "Error workflow nowhere failed to start.  reason: No such workflow defined. name=nowhere, version=null"
        )
    );
}

#[tokio::test]
async fn terminate_failed_starts_the_failure_workflow() {
    let mut definition = workflow(
        "main",
        json!([{"name": "t", "taskReferenceName": "t", "type": "TERMINATE",
        "inputParameters": {"terminationStatus": "FAILED"}}]),
    );
    definition["failureWorkflow"] = json!("cleanup");
    let cleanup = workflow(
        "cleanup",
        json!([{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]),
    );
    let ran = run_with(
        definitions(&[definition, cleanup], &[]),
        "main",
        json!({}),
        Arc::new(ScriptedWorkers::new()),
        options(),
    )
    .await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    let terminate_id = &ran.workflow().tasks[0].task_id;
    assert_eq!(
        ran.workflow().reason_for_incompletion.clone(),
        Some(format!(
            "Workflow is FAILED by TERMINATE task: {terminate_id}"
        ))
    );
    assert_eq!(
        ran.other("cleanup").input["failureTaskId"],
        json!(terminate_id)
    );
}

#[tokio::test]
async fn injected_failures_fail_the_chosen_attempt() {
    let task_def = json!({"name": "a", "retryCount": 2, "retryDelaySeconds": 1});
    let options = RunOptions {
        failures: vec![InjectedFailure {
            reference: "a".to_owned(),
            attempt: Some(1),
        }],
        ..options()
    };
    let ran = run_with(
        definitions(
            &[workflow("inject", json!([simple("a")]))],
            std::slice::from_ref(&task_def),
        ),
        "inject",
        json!({}),
        Arc::new(ScriptedWorkers::new()),
        options,
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("a", Failed), ("a", Completed)]));
    assert_eq!(
        ran.workflow().tasks[0].reason_for_incompletion.as_deref(),
        Some("injected failure (--fail a:1), attempt 1")
    );
    let options = RunOptions {
        failures: vec![InjectedFailure {
            reference: "a".to_owned(),
            attempt: None,
        }],
        ..support::options()
    };
    let ran = run_with(
        definitions(&[workflow("inject", json!([simple("a")]))], &[task_def]),
        "inject",
        json!({}),
        Arc::new(ScriptedWorkers::new()),
        options,
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("a", Failed), ("a", Failed), ("a", Failed)])
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
}

#[tokio::test]
async fn a_loop_that_never_ends_hits_the_task_limit() {
    let definition = workflow(
        "forever",
        json!([{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
        "loopCondition": "true", "loopOver": [simple("a")]}]),
    );
    let options = RunOptions {
        task_limit: 50,
        ..options()
    };
    let ran = run_with(
        definitions(&[definition], &[]),
        "forever",
        json!({}),
        Arc::new(ScriptedWorkers::new()),
        options,
    )
    .await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    assert!(
        ran.workflow()
            .reason_for_incompletion
            .as_deref()
            .is_some_and(|reason| reason.starts_with("the run scheduled more than 50 tasks")),
    );
}
