//! One test per task type: the exact task sequence, statuses and outputs a run produces.

mod support;

use serde_json::json;
use support::*;
use wfc_runtime::execution::TaskStatus::*;
use wfc_runtime::execution::WorkflowStatus;

#[tokio::test]
async fn simple_tasks_run_in_order_and_pass_outputs_on() {
    let definition = workflow(
        "simple",
        json!([
            simple("a"),
            {"name": "b", "taskReferenceName": "b", "inputParameters": {"x": "${a.output.value}", "y": "${workflow.input.y}"}}
        ]),
    );
    let workers = ScriptedWorkers::new().answers("a", vec![ok(json!({"value": 41}))]);
    let ran = run(definition, &[], json!({"y": "why"}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("a", Completed), ("b", Completed)])
    );
    assert_eq!(ran.input("b"), json!({"x": 41, "y": "why"}));
    assert_eq!(ran.workflow().status, WorkflowStatus::Completed);
    assert_eq!(ran.workflow().output, support::object(json!({})));
}

fn switch(
    reference: &str,
    evaluator: &str,
    expression: &str,
    parameters: serde_json::Value,
    cases: serde_json::Value,
    default: serde_json::Value,
) -> serde_json::Value {
    json!({"name": reference, "taskReferenceName": reference, "type": "SWITCH",
           "evaluatorType": evaluator, "expression": expression, "inputParameters": parameters,
           "decisionCases": cases, "defaultCase": default})
}

#[tokio::test]
async fn switch_value_param_runs_the_matching_case_then_what_follows() {
    let definition = workflow(
        "switch",
        json!([
            switch(
                "s",
                "value-param",
                "kind",
                json!({"kind": "${workflow.input.kind}"}),
                json!({"a": [simple("a1")], "b": [simple("b1"), simple("b2")]}),
                json!([simple("d1")])
            ),
            simple("z")
        ]),
    );
    let ran = run(
        definition.clone(),
        &[],
        json!({"kind": "b"}),
        ScriptedWorkers::new(),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("s", Completed),
            ("b1", Completed),
            ("b2", Completed),
            ("z", Completed)
        ])
    );
    assert_eq!(
        ran.output("s"),
        json!({"evaluationResult": ["b"], "selectedCase": "b"})
    );
    assert_eq!(
        ran.input("s"),
        json!({"kind": "b", "case": "b", "hasChildren": "true"})
    );

    let ran = run(
        definition,
        &[],
        json!({"kind": "other"}),
        ScriptedWorkers::new(),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("s", Completed), ("d1", Completed), ("z", Completed)])
    );
}

#[tokio::test]
async fn switch_case_with_no_tasks_runs_nothing_not_even_the_default() {
    let definition = workflow(
        "switch_empty",
        json!([
            switch(
                "s",
                "value-param",
                "kind",
                json!({"kind": "e"}),
                json!({"e": []}),
                json!([simple("d1")])
            ),
            simple("z")
        ]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("s", Completed), ("z", Completed)])
    );
}

#[tokio::test]
async fn switch_javascript_stringifies_the_result_like_java() {
    let definition = workflow(
        "switch_js",
        json!([switch(
            "s",
            "javascript",
            "$.n > 1 ? 'big' : $.n",
            json!({"n": "${workflow.input.n}"}),
            json!({"big": [simple("big")], "1": [simple("one")], "true": [simple("yes")]}),
            json!([])
        ),]),
    );
    let ran = run(
        definition.clone(),
        &[],
        json!({"n": 5}),
        ScriptedWorkers::new(),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("s", Completed), ("big", Completed)])
    );
    let ran = run(definition, &[], json!({"n": 1}), ScriptedWorkers::new()).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("s", Completed), ("one", Completed)])
    );
    assert_eq!(ran.output("s")["selectedCase"], json!("1"));
}

#[tokio::test]
async fn switch_script_error_fails_the_switch_and_the_workflow() {
    let definition = workflow(
        "switch_error",
        json!([switch(
            "s",
            "javascript",
            "$.missing.field",
            json!({}),
            json!({"x": [simple("x")]}),
            json!([])
        )]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[("s", Failed)]));
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    let reason = ran
        .workflow()
        .reason_for_incompletion
        .clone()
        .unwrap_or_default();
    assert!(reason.contains("failed with status: FAILED"), "{reason}");
}

#[tokio::test]
async fn unknown_switch_evaluator_fails_the_workflow_with_conductors_message() {
    let definition = workflow(
        "switch_unknown",
        json!([switch(
            "s",
            "python",
            "x",
            json!({}),
            json!({"x": [simple("x")]}),
            json!([])
        )]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[]));
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some("No evaluator registered for type: python")
    );
}

#[tokio::test]
async fn decision_falls_back_to_the_default_for_an_empty_case() {
    let definition = workflow(
        "decision",
        json!([{"name": "d", "taskReferenceName": "d", "type": "DECISION", "caseValueParam": "k",
                "inputParameters": {"k": "${workflow.input.k}"},
                "decisionCases": {"x": [], "y": [simple("y1")]}, "defaultCase": [simple("fallback")]}]),
    );
    let ran = run(
        definition.clone(),
        &[],
        json!({"k": "x"}),
        ScriptedWorkers::new(),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("d", Completed), ("fallback", Completed)])
    );
    assert_eq!(ran.output("d"), json!({"caseOutput": ["x"]}));
    let ran = run(definition, &[], json!({"k": "y"}), ScriptedWorkers::new()).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("d", Completed), ("y1", Completed)])
    );
}

fn fork(reference: &str, branches: serde_json::Value) -> serde_json::Value {
    json!({"name": reference, "taskReferenceName": reference, "type": "FORK_JOIN", "forkTasks": branches})
}

fn join(reference: &str, join_on: &[&str]) -> serde_json::Value {
    json!({"name": reference, "taskReferenceName": reference, "type": "JOIN", "joinOn": join_on})
}

#[tokio::test]
async fn fork_join_runs_branches_and_joins_their_outputs() {
    let definition = workflow(
        "fork",
        json!([
            fork(
                "fork",
                json!([[simple("a1"), simple("a2")], [simple("b1")]])
            ),
            join("join", &["a2", "b1"]),
            simple("z")
        ]),
    );
    let workers = ScriptedWorkers::new()
        .answers("a2", vec![ok(json!({"from": "a2"}))])
        .answers("b1", vec![ok(json!({"from": "b1"}))]);
    let ran = run(definition, &[], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("fork", Completed),
            ("a1", Completed),
            ("b1", Completed),
            ("join", Completed),
            ("a2", Completed),
            ("z", Completed)
        ])
    );
    assert_eq!(ran.workflow().tasks[0].task_type, "FORK");
    assert_eq!(
        ran.output("join"),
        json!({"a2": {"from": "a2"}, "b1": {"from": "b1"}})
    );
    assert_eq!(ran.input("join"), json!({"joinOn": ["a2", "b1"]}));
}

#[tokio::test]
async fn fork_not_followed_by_a_join_fails_the_workflow() {
    let definition = workflow(
        "fork_no_join",
        json!([fork("fork", json!([[simple("a1")]])), simple("z")]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some("Fork task definition is not followed by a join task.  Check the blueprint")
    );
}

#[tokio::test]
async fn an_optional_failed_branch_completes_the_join_with_errors() {
    let mut optional = simple("a1");
    optional["optional"] = json!(true);
    let definition = workflow(
        "fork_optional",
        json!([
            fork("fork", json!([[optional], [simple("b1")]])),
            join("join", &["a1", "b1"]),
            simple("z")
        ]),
    );
    let workers = ScriptedWorkers::new().answers("a1", vec![fail("boom")]);
    let ran = run(definition, &[no_retries("a1")], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("fork", Completed),
            ("a1", CompletedWithErrors),
            ("b1", Completed),
            ("join", CompletedWithErrors),
            ("z", Completed)
        ])
    );
    let join = ran.workflow().task_by_reference("join").cloned();
    let reason = join
        .and_then(|join| join.reason_for_incompletion)
        .unwrap_or_default();
    assert!(
        reason.starts_with("a1/") && reason.ends_with(" completed with errors"),
        "{reason}"
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Completed);
}

#[tokio::test]
async fn a_permissive_failed_branch_fails_the_join_once_every_branch_ended() {
    let mut permissive = simple("a1");
    permissive["permissive"] = json!(true);
    let definition = workflow(
        "fork_permissive",
        json!([
            fork("fork", json!([[permissive], [simple("b1"), simple("b2")]])),
            join("join", &["a1", "b2"]),
            simple("z")
        ]),
    );
    let workers = ScriptedWorkers::new().answers("a1", vec![fail("boom")]);
    let ran = run(definition, &[no_retries("a1")], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("fork", Completed),
            ("a1", Failed),
            ("b1", Completed),
            ("join", Failed),
            ("b2", Completed)
        ])
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
}

#[tokio::test]
async fn a_permissive_failure_outside_a_fork_fails_the_workflow_at_the_end() {
    let mut permissive = simple("a");
    permissive["permissive"] = json!(true);
    let definition = workflow("permissive", json!([permissive, simple("b")]));
    let workers = ScriptedWorkers::new().answers("a", vec![fail("boom")]);
    let ran = run(definition, &[no_retries("a")], json!({}), workers).await;
    assert_eq!(ran.sequence(), expect(&[("a", Failed), ("b", Completed)]));
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    let a_id = ran.workflow().tasks[0].task_id.clone();
    assert_eq!(
        ran.workflow().reason_for_incompletion.clone(),
        Some(format!(
            "Task {a_id} failed with status: FAILED and reason: 'boom'"
        ))
    );
}

#[tokio::test]
async fn dynamic_fork_of_fork_task_inputs_forks_one_task_per_input() {
    let definition = workflow(
        "dynamic_fork",
        json!([
            {"name": "dyn", "taskReferenceName": "dyn", "type": "FORK_JOIN_DYNAMIC",
             "inputParameters": {"forkTaskName": "work", "forkTaskInputs": "${workflow.input.items}"}},
            join("join", &[]),
            simple("z")
        ]),
    );
    let workers = ScriptedWorkers::new()
        .answers("_work_0", vec![ok(json!({"r": 0}))])
        .answers("_work_1", vec![ok(json!({"r": 1}))]);
    let ran = run(
        definition,
        &[],
        json!({"items": [{"n": 1}, "two"]}),
        workers,
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("dyn", Completed),
            ("_work_0", Completed),
            ("_work_1", Completed),
            ("join", Completed),
            ("z", Completed)
        ])
    );
    assert_eq!(ran.input("_work_0"), json!({"n": 1, "__index": 0}));
    assert_eq!(ran.input("_work_1"), json!({"input": "two", "__index": 1}));
    assert_eq!(ran.input("join")["joinOn"], json!(["_work_0", "_work_1"]));
    assert_eq!(
        ran.output("join"),
        json!({"_work_0": {"r": 0}, "_work_1": {"r": 1}})
    );
    assert_eq!(
        ran.input("dyn")["forkedTasks"],
        json!(["_work_0", "_work_1"])
    );
}

#[tokio::test]
async fn dynamic_fork_of_task_definitions_and_an_input_map() {
    let definition = workflow(
        "dynamic_fork_tasks",
        json!([
            {"name": "dyn", "taskReferenceName": "dyn", "type": "FORK_JOIN_DYNAMIC",
             "dynamicForkTasksParam": "tasks", "dynamicForkTasksInputParamName": "inputs",
             "inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"}},
            join("join", &[])
        ]),
    );
    let input = json!({
        "tasks": [{"name": "x", "taskReferenceName": "x1"}, {"name": "y", "taskReferenceName": "y1", "type": "NOOP"}],
        "inputs": {"x1": {"a": 1}, "y1": {"b": 2}}
    });
    let ran = run(definition.clone(), &[], input, ScriptedWorkers::new()).await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("dyn", Completed),
            ("x1", Completed),
            ("y1", Completed),
            ("join", Completed)
        ])
    );
    assert_eq!(ran.input("x1"), json!({"a": 1}));
    assert_eq!(
        ran.workflow()
            .task_by_reference("y1")
            .map(|task| task.task_type.clone()),
        Some("NOOP".to_owned())
    );

    let ran = run(
        definition,
        &[],
        json!({"tasks": [], "inputs": "nope"}),
        ScriptedWorkers::new(),
    )
    .await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some(
            "Input to the dynamically forked tasks is not a map -> expecting a map of K,V  but found nope"
        )
    );
}

fn do_while(reference: &str, condition: &str, body: serde_json::Value) -> serde_json::Value {
    json!({"name": reference, "taskReferenceName": reference, "type": "DO_WHILE",
           "loopCondition": condition, "loopOver": body})
}

#[tokio::test]
async fn do_while_runs_the_body_until_the_condition_is_false() {
    let definition = workflow(
        "loop",
        json!([
            do_while("loop", "if ($.loop['iteration'] < 3) { true; } else { false; }", json!([simple("a"), simple("b")])),
            {"name": "z", "taskReferenceName": "z", "inputParameters": {"last": "${b.output.n}"}}
        ]),
    );
    let workers = ScriptedWorkers::new().answers(
        "b",
        vec![
            ok(json!({"n": 1})),
            ok(json!({"n": 2})),
            ok(json!({"n": 3})),
        ],
    );
    let ran = run(definition, &[], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("loop", Completed),
            ("a__1", Completed),
            ("b__1", Completed),
            ("a__2", Completed),
            ("b__2", Completed),
            ("a__3", Completed),
            ("b__3", Completed),
            ("z", Completed)
        ])
    );
    assert_eq!(
        ran.output("loop"),
        json!({
            "iteration": 3,
            "1": {"a": {}, "b": {"n": 1}},
            "2": {"a": {}, "b": {"n": 2}},
            "3": {"a": {}, "b": {"n": 3}}
        })
    );
    assert_eq!(ran.input("z"), json!({"last": 3}));
    let iterations: Vec<u32> = ran
        .workflow()
        .tasks
        .iter()
        .map(|task| task.iteration)
        .collect();
    assert_eq!(iterations, [3, 1, 1, 2, 2, 3, 3, 0]);
}

#[tokio::test]
async fn do_while_condition_sees_the_body_outputs() {
    let definition = workflow(
        "loop_outputs",
        json!([do_while(
            "loop",
            "$.step.more == true",
            json!([simple("step")])
        )]),
    );
    let workers = ScriptedWorkers::new().answers(
        "step",
        vec![ok(json!({"more": true})), ok(json!({"more": false}))],
    );
    let ran = run(definition, &[], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("loop", Completed),
            ("step__1", Completed),
            ("step__2", Completed)
        ])
    );
}

#[tokio::test]
async fn do_while_over_items_gives_each_iteration_its_item() {
    let mut definition = workflow(
        "loop_items",
        json!([do_while(
            "loop",
            "true",
            json!([
                {"name": "each", "taskReferenceName": "each", "inputParameters": {"item": "${loop.output.loopItem}", "index": "${loop.output.loopIndex}"}}
            ])
        )]),
    );
    definition["tasks"][0]["items"] = json!("${workflow.input.list}");
    let ran = run(
        definition.clone(),
        &[],
        json!({"list": ["x", "y"]}),
        ScriptedWorkers::new(),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("loop", Completed),
            ("each__1", Completed),
            ("each__2", Completed)
        ])
    );
    assert_eq!(ran.input("each__1"), json!({"item": "x", "index": 0}));
    assert_eq!(ran.input("each__2"), json!({"item": "y", "index": 1}));
    assert_eq!(ran.output("loop")["iteration"], json!(2));

    let ran = run(definition, &[], json!({"list": []}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[("loop", Completed)]));
    assert_eq!(ran.output("loop"), json!({"iteration": 0}));
}

#[tokio::test]
async fn do_while_keep_last_n_drops_old_iterations() {
    let mut definition = workflow(
        "loop_keep",
        json!([do_while(
            "loop",
            "$.loop.iteration < 4",
            json!([simple("a")])
        )]),
    );
    definition["tasks"][0]["inputParameters"] = json!({"keepLastN": 2});
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("loop", Completed),
            ("a__3", Completed),
            ("a__4", Completed)
        ])
    );
    let output = ran.output("loop");
    assert_eq!(
        output,
        json!({"iteration": 4, "3": {"a": {}}, "4": {"a": {}}})
    );
}

#[tokio::test]
async fn a_failed_body_task_ends_the_workflow_and_cancels_the_loop() {
    // The decider handles the failed task (no retries left: the workflow fails) before the
    // DO_WHILE looks at its iteration, as in Conductor.
    let definition = workflow(
        "loop_fail",
        json!([do_while("loop", "true", json!([simple("a")]))]),
    );
    let workers = ScriptedWorkers::new().answers("a", vec![ok(json!({})), fail("broken")]);
    let ran = run(definition, &[no_retries("a")], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("loop", Canceled), ("a__1", Completed), ("a__2", Failed)])
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
}

#[tokio::test]
async fn a_permissive_failed_body_task_fails_the_loop() {
    let mut permissive = simple("a");
    permissive["permissive"] = json!(true);
    let definition = workflow(
        "loop_permissive",
        json!([do_while("loop", "true", json!([permissive]))]),
    );
    let workers = ScriptedWorkers::new().answers("a", vec![ok(json!({})), fail("broken")]);
    let ran = run(definition, &[no_retries("a")], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("loop", Failed), ("a__1", Completed), ("a__2", Failed)])
    );
    let loop_task = &ran.workflow().tasks[0];
    assert_eq!(
        loop_task.reason_for_incompletion.as_deref(),
        Some("broken ")
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    assert_eq!(
        ran.workflow().reason_for_incompletion.clone(),
        Some(format!(
            "Task {} failed with status: FAILED and reason: 'broken '",
            loop_task.task_id
        ))
    );
}

#[tokio::test]
async fn dynamic_task_takes_its_name_from_the_input() {
    let definition = workflow(
        "dynamic",
        json!([{"name": "dyn", "taskReferenceName": "dyn", "type": "DYNAMIC", "dynamicTaskNameParam": "which",
                "inputParameters": {"which": "${workflow.input.which}", "x": 1}}]),
    );
    let workers = ScriptedWorkers::new();
    let workers = std::sync::Arc::new(workers);
    let ran = run_with(
        definitions(&[definition], &[]),
        "dynamic",
        json!({"which": "charge_card"}),
        workers.clone(),
        options(),
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("dyn", Completed)]));
    let task = &ran.workflow().tasks[0];
    assert_eq!(
        (task.task_type.as_str(), task.task_def_name.as_str()),
        ("charge_card", "charge_card")
    );
    assert_eq!(workers.items()[0].task_type, "charge_card");
}

#[tokio::test]
async fn sub_workflow_runs_the_child_and_takes_its_output() {
    let child = json!({"name": "child", "version": 2, "tasks": [
        {"name": "c1", "taskReferenceName": "c1", "inputParameters": {"got": "${workflow.input.x}"}}
    ], "outputParameters": {"result": "${c1.output.v}"}});
    let parent = workflow(
        "parent",
        json!([{"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": "child"}, "inputParameters": {"x": "${workflow.input.x}"}},
               simple("z")]),
    );
    let workers =
        std::sync::Arc::new(ScriptedWorkers::new().answers("c1", vec![ok(json!({"v": 7}))]));
    let ran = run_with(
        definitions(&[parent, child], &[]),
        "parent",
        json!({"x": 5}),
        workers.clone(),
        options(),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("sub", Completed), ("z", Completed)])
    );
    let child_run = ran.other("child");
    assert_eq!(support::sequence(child_run), expect(&[("c1", Completed)]));
    assert_eq!(child_run.input, support::object(json!({"x": 5})));
    assert_eq!(
        child_run.parent_workflow_id.as_deref(),
        Some(ran.workflow().workflow_id.as_str())
    );
    assert_eq!(
        ran.output("sub"),
        json!({"subWorkflowId": child_run.workflow_id, "result": 7})
    );
    assert_eq!(ran.input("sub")["subWorkflowVersion"], json!(2));
    assert_eq!(workers.items()[0].key.0, "/sub/c1#0");
}

#[tokio::test]
async fn a_failed_child_fails_the_sub_workflow_task_with_the_childs_reason() {
    let child = workflow("child", json!([simple("c1")]));
    let parent = workflow(
        "parent",
        json!([{"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child", "version": 1}}]),
    );
    let workers = std::sync::Arc::new(ScriptedWorkers::new().answers("c1", vec![fail("broken")]));
    let ran = run_with(
        definitions(&[parent, child], &[no_retries("c1")]),
        "parent",
        json!({}),
        workers,
        options(),
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("sub", Failed)]));
    let child_run = ran.other("child");
    assert_eq!(child_run.status, WorkflowStatus::Failed);
    let reason = ran.workflow().tasks[0]
        .reason_for_incompletion
        .clone()
        .unwrap_or_default();
    assert!(
        reason.starts_with(&format!(
            "Sub workflow child.1/{} failure reason: Task ",
            child_run.workflow_id
        )) && reason.ends_with("failed with status: FAILED and reason: 'broken'"),
        "{reason}"
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
}

#[tokio::test]
async fn sub_workflow_from_an_inline_definition() {
    let parent = workflow(
        "parent",
        json!([{"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": "inline_child", "workflowDefinition": {
                    "name": "inline_child", "version": 1, "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}}}]),
    );
    let ran = run(parent, &[], json!({"k": 1}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[("sub", Completed)]));
    let child = ran.other("inline_child");
    assert_eq!(support::sequence(child), expect(&[("n", Completed)]));
    assert_eq!(
        child.input.get("_systemMetadata"),
        Some(&json!({"dynamic": true}))
    );
}

#[tokio::test]
async fn a_missing_sub_workflow_definition_fails_the_start() {
    let parent = workflow(
        "parent",
        json!([{"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "nowhere"}}]),
    );
    let ran = run(parent, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some("The Task nowhere defined as a sub-workflow has no workflow definition available ")
    );
}

#[tokio::test]
async fn start_workflow_starts_an_independent_run() {
    let other = workflow(
        "other",
        json!([{"name": "o", "taskReferenceName": "o", "inputParameters": {"v": "${workflow.input.v}"}}]),
    );
    let parent = workflow(
        "starter",
        json!([{"name": "start", "taskReferenceName": "start", "type": "START_WORKFLOW",
                "inputParameters": {"startWorkflow": {"name": "other", "input": {"v": "${workflow.input.v}"}}}}]),
    );
    let ran = run_with(
        definitions(&[parent, other], &[]),
        "starter",
        json!({"v": 3}),
        std::sync::Arc::new(ScriptedWorkers::new()),
        options(),
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("start", Completed)]));
    let started = ran.other("other");
    assert_eq!(
        ran.output("start"),
        json!({"workflowId": started.workflow_id})
    );
    assert_eq!(started.parent_workflow_id, None);
    assert_eq!(started.status, WorkflowStatus::Completed);
    assert_eq!(
        started.tasks[0].input_data,
        support::object(json!({"v": 3}))
    );
}

#[tokio::test]
async fn start_workflow_without_a_request_fails() {
    let parent = workflow(
        "starter",
        json!([{"name": "start", "taskReferenceName": "start", "type": "START_WORKFLOW"}]),
    );
    let ran = run(parent, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[("start", Failed)]));
    assert_eq!(
        ran.workflow().tasks[0].reason_for_incompletion.as_deref(),
        Some("Missing 'startWorkflow' in input data.")
    );
}

#[tokio::test]
async fn wait_with_a_duration_completes_on_the_virtual_clock() {
    let definition = workflow(
        "wait",
        json!([{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "1 hour 5 seconds"}}, simple("z")]),
    );
    let ran = run(
        definition,
        &[],
        json!({}),
        ScriptedWorkers::new().without("w"),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("w", Completed), ("z", Completed)])
    );
    let wait = &ran.workflow().tasks[0];
    assert_eq!(wait.end_time - wait.start_time, 3_605_000);
    assert_eq!(wait.callback_after_seconds, 3605);
    assert_eq!(
        ran.outcome.simulated_elapsed,
        std::time::Duration::from_secs(3605)
    );
    assert!(ran.outcome.real_elapsed < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn wait_until_a_date_completes_then() {
    // The test clock starts at 2023-11-14 22:13:20 UTC.
    let definition = workflow(
        "wait_until",
        json!([{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"until": "2023-11-14 22:30 UTC"}}]),
    );
    let ran = run(
        definition,
        &[],
        json!({}),
        ScriptedWorkers::new().without("w"),
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("w", Completed)]));
    assert_eq!(ran.workflow().tasks[0].end_time, 1_700_001_000_000);
}

#[tokio::test]
async fn wait_with_both_duration_and_until_fails_terminally() {
    let definition = workflow(
        "wait_both",
        json!([{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "1s", "until": "2030-01-01"}}]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[("w", FailedWithTerminalError)]));
    assert_eq!(
        ran.workflow().tasks[0].reason_for_incompletion.as_deref(),
        Some("Both 'duration' and 'until' specified. Please provide only one input")
    );
}

#[tokio::test]
async fn inline_evaluates_javascript_with_the_input_as_dollar() {
    let definition = workflow(
        "inline",
        json!([{"name": "i", "taskReferenceName": "i", "type": "INLINE",
                "inputParameters": {"evaluatorType": "javascript", "expression": "$.a + 1", "a": "${workflow.input.a}"}},
               {"name": "z", "taskReferenceName": "z", "inputParameters": {"r": "${i.output.result}"}}]),
    );
    let ran = run(definition, &[], json!({"a": 41}), ScriptedWorkers::new()).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("i", Completed), ("z", Completed)])
    );
    assert_eq!(ran.output("i"), json!({"result": 42}));
    assert_eq!(ran.input("z"), json!({"r": 42}));
}

#[tokio::test]
async fn inline_script_errors_fail_terminally_with_the_error_in_the_output() {
    let definition = workflow(
        "inline_error",
        json!([{"name": "i", "taskReferenceName": "i", "type": "INLINE",
                "inputParameters": {"expression": "throw new Error('no')"}}]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[("i", FailedWithTerminalError)]));
    let output = ran.output("i");
    assert!(
        output["error"]
            .as_str()
            .is_some_and(|error| error.contains("no")),
        "{output}"
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
}

#[tokio::test]
async fn lambda_wraps_the_script_in_a_function() {
    let definition = workflow(
        "lambda",
        json!([{"name": "l", "taskReferenceName": "l", "type": "LAMBDA",
                "inputParameters": {"scriptExpression": "return {double: $.n * 2};", "n": 4}}]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[("l", Completed)]));
    assert_eq!(ran.output("l"), json!({"result": {"double": 8}}));
}

#[tokio::test]
async fn set_variable_writes_workflow_variables() {
    let mut definition = workflow(
        "variables",
        json!([{"name": "set", "taskReferenceName": "set", "type": "SET_VARIABLE", "inputParameters": {"count": "${workflow.input.n}"}},
               {"name": "z", "taskReferenceName": "z", "inputParameters": {"seen": "${workflow.variables.count}", "kept": "${workflow.variables.initial}"}}]),
    );
    definition["variables"] = json!({"initial": "yes"});
    let ran = run(definition, &[], json!({"n": 9}), ScriptedWorkers::new()).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("set", Completed), ("z", Completed)])
    );
    assert_eq!(ran.input("z"), json!({"seen": 9, "kept": "yes"}));
    assert_eq!(
        ran.workflow().variables,
        support::object(json!({"initial": "yes", "count": 9}))
    );
}

#[tokio::test]
async fn terminate_ends_the_workflow_with_its_status_reason_and_output() {
    let definition = workflow(
        "terminate",
        json!([simple("a"),
               {"name": "t", "taskReferenceName": "t", "type": "TERMINATE",
                "inputParameters": {"terminationStatus": "FAILED", "terminationReason": "stop here", "workflowOutput": {"x": "${a.output.v}"}}},
               simple("never")]),
    );
    let workers = ScriptedWorkers::new().answers("a", vec![ok(json!({"v": 1}))]);
    let ran = run(definition, &[], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("a", Completed), ("t", Completed)])
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some("stop here")
    );
    assert_eq!(ran.workflow().output, support::object(json!({"x": 1})));
}

#[tokio::test]
async fn terminate_in_a_branch_completes_the_workflow_and_cancels_the_rest() {
    let definition = workflow(
        "terminate_branch",
        json!([
            fork(
                "fork",
                json!([
                    [{"name": "t", "taskReferenceName": "t", "type": "TERMINATE", "inputParameters": {"terminationStatus": "COMPLETED"}}],
                    [{"name": "h", "taskReferenceName": "h", "type": "HUMAN"}]
                ])
            ),
            join("join", &["t", "h"])
        ]),
    );
    let ran = run(
        definition,
        &[],
        json!({}),
        ScriptedWorkers::new().without("h"),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("fork", Completed),
            ("t", Completed),
            ("h", Canceled),
            ("join", Canceled)
        ])
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Completed);
    let terminate_id = ran.workflow().tasks[1].task_id.clone();
    assert_eq!(
        ran.workflow().reason_for_incompletion.clone(),
        Some(format!(
            "Workflow is COMPLETED by TERMINATE task: {terminate_id}"
        ))
    );
}

#[tokio::test]
async fn event_is_recorded_not_sent() {
    let definition = workflow(
        "event",
        json!([{"name": "e", "taskReferenceName": "e", "type": "EVENT", "sink": "conductor", "inputParameters": {"k": "v"}}]),
    );
    let ran = run(
        definition,
        &[],
        json!({}),
        ScriptedWorkers::new().without("e"),
    )
    .await;
    assert_eq!(ran.sequence(), expect(&[("e", Completed)]));
    let output = ran.output("e");
    assert_eq!(output["event_produced"], json!("conductor:event:e"));
    assert_eq!(output["k"], json!("v"));
    assert_eq!(output["workflowType"], json!("event"));
}

#[tokio::test]
async fn noop_completes() {
    let definition = workflow(
        "noop",
        json!([{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]),
    );
    let ran = run(definition, &[], json!({}), ScriptedWorkers::new()).await;
    assert_eq!(ran.sequence(), expect(&[("n", Completed)]));
}

#[tokio::test]
async fn exclusive_join_takes_the_output_of_the_branch_that_ran() {
    let definition = workflow(
        "exclusive",
        json!([
            switch("s", "value-param", "k", json!({"k": "${workflow.input.k}"}), json!({"a": [simple("a1")], "b": [simple("b1")]}), json!([])),
            {"name": "x", "taskReferenceName": "x", "type": "EXCLUSIVE_JOIN", "joinOn": ["a1", "b1"]}
        ]),
    );
    let workers = ScriptedWorkers::new().answers("b1", vec![ok(json!({"from": "b"}))]);
    let ran = run(definition, &[], json!({"k": "b"}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("s", Completed), ("b1", Completed), ("x", Completed)])
    );
    assert_eq!(ran.output("x"), json!({"from": "b"}));
}

#[tokio::test]
async fn a_workflow_without_tasks_completes_at_once() {
    let mut definitions = wfc_runtime::engine::Definitions::new();
    let added = definitions.add_workflow(&json!({"name": "empty", "tasks": []}));
    assert_eq!(added, Ok(()));
    let ran = run_with(
        std::sync::Arc::new(definitions),
        "empty",
        json!({}),
        std::sync::Arc::new(ScriptedWorkers::new()),
        options(),
    )
    .await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Completed);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some("No tasks found to be executed")
    );
}

#[tokio::test]
async fn an_unknown_workflow_fails_with_conductors_message() {
    let ran = run_with(
        definitions(&[], &[]),
        "nowhere",
        json!({}),
        std::sync::Arc::new(ScriptedWorkers::new()),
        options(),
    )
    .await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    assert_eq!(
        ran.workflow().reason_for_incompletion.as_deref(),
        Some("No such workflow defined. name=nowhere, version=null")
    );
}

#[tokio::test]
async fn workflow_output_parameters_are_resolved_at_the_end() {
    let mut definition = workflow("outputs", json!([simple("a")]));
    definition["outputParameters"] = json!({"value": "${a.output.v}", "text": "v=${a.output.v}"});
    let workers = ScriptedWorkers::new().answers("a", vec![ok(json!({"v": 3}))]);
    let ran = run(definition, &[], json!({}), workers).await;
    assert_eq!(
        ran.workflow().output,
        support::object(json!({"value": 3, "text": "v=3"}))
    );
}

#[tokio::test]
async fn missing_workers_names_every_worker_task_without_one() {
    let child = workflow("child", json!([simple("c1"), simple("c2")]));
    let parent = workflow(
        "parent",
        json!([simple("a"), {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child"}},
               {"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {"uri": "http://x"}}]),
    );
    let engine = wfc_runtime::engine::Engine::new(
        definitions(&[parent, child], &[]),
        std::sync::Arc::new(ScriptedWorkers::new().without("a").without("c2")),
        std::sync::Arc::new(wfc_runtime::event::DiscardingRecorder),
        options(),
    );
    let missing = engine.missing_workers(&wfc_runtime::engine::StartRequest {
        name: "parent".to_owned(),
        ..Default::default()
    });
    assert_eq!(missing, ["/a (a)", "/sub/c2 (c2)"]);
}

#[tokio::test]
async fn json_jq_transform_gives_result_and_result_list() {
    let definition = workflow(
        "jq",
        json!([{"name": "q", "taskReferenceName": "q", "type": "JSON_JQ_TRANSFORM",
                "inputParameters": {"queryExpression": ".items[] | . * 2", "items": "${workflow.input.items}"}},
               {"name": "bad", "taskReferenceName": "bad", "type": "JSON_JQ_TRANSFORM",
                "inputParameters": {"queryExpression": ".a |||"}, "optional": true}]),
    );
    let ran = run(
        definition,
        &[],
        json!({"items": [1, 2]}),
        ScriptedWorkers::new(),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("q", Completed), ("bad", CompletedWithErrors)])
    );
    assert_eq!(ran.output("q"), json!({"result": 2, "resultList": [2, 4]}));
    let bad = ran.output("bad");
    assert!(bad["error"].is_string(), "{bad}");
}

#[tokio::test]
async fn workers_stand_in_for_workflows_of_other_projects() {
    let parent = workflow(
        "caller",
        json!([{"name": "start", "taskReferenceName": "start", "type": "START_WORKFLOW",
                "inputParameters": {"startWorkflow": {"name": "elsewhere", "version": 4}}},
               {"name": "sub", "taskReferenceName": "sub", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "elsewhere", "version": 4}}]),
    );
    let workers = ScriptedWorkers::new()
        .answers("start", vec![ok(json!({"workflowId": "w-1"}))])
        .answers("sub", vec![ok(json!({"answer": 42}))]);
    let ran = run(parent.clone(), &[], json!({}), workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[("start", Completed), ("sub", Completed)])
    );
    assert_eq!(ran.output("start"), json!({"workflowId": "w-1"}));
    assert_eq!(ran.output("sub"), json!({"answer": 42}));
    assert!(ran.outcome.other_workflows.is_empty());

    let engine = wfc_runtime::engine::Engine::new(
        definitions(&[parent], &[]),
        std::sync::Arc::new(ScriptedWorkers::new().without("start").without("sub")),
        std::sync::Arc::new(wfc_runtime::event::DiscardingRecorder),
        options(),
    );
    let missing = engine.missing_workers(&wfc_runtime::engine::StartRequest {
        name: "caller".to_owned(),
        ..Default::default()
    });
    assert_eq!(missing, ["/start (elsewhere)", "/sub (elsewhere)"]);
}

/// A loopback server answering `/ok` with 200 and a JSON body, anything else with 500.
async fn loopback_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
        panic!("no loopback port");
    };
    let address = listener
        .local_addr()
        .map(|address| address.to_string())
        .unwrap_or_default();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0_u8; 4096];
                let read = stream.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..read]).to_string();
                let (status, body) = if request.starts_with("GET /ok ") {
                    ("200 OK", r#"{"hello":"world"}"#)
                } else {
                    ("500 Internal Server Error", "broken")
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    address
}

#[tokio::test]
async fn http_calls_the_server_and_fails_on_an_error_status() {
    let address = loopback_server().await;
    let definition = workflow(
        "http",
        json!([{"name": "h", "taskReferenceName": "h", "type": "HTTP",
                "inputParameters": {"http_request": {"uri": format!("http://{address}/ok"), "method": "GET"}}},
               {"name": "broken", "taskReferenceName": "broken", "type": "HTTP",
                "inputParameters": {"uri": format!("http://{address}/nope"), "method": "GET"}}]),
    );
    let ran = run(
        definition,
        &[],
        json!({}),
        ScriptedWorkers::new().without("h").without("broken"),
    )
    .await;
    assert_eq!(
        ran.sequence(),
        expect(&[("h", Completed), ("broken", Failed)])
    );
    let response = &ran.output("h")["response"];
    assert_eq!(response["statusCode"], json!(200));
    assert_eq!(response["body"], json!({"hello": "world"}));
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    let recorded = ran.events.iter().any(|event| {
        matches!(event, wfc_runtime::event::Event::ResultReceived { key, .. } if key.0 == "/h#0")
    });
    assert!(recorded, "the HTTP answer is recorded for replay");
}

#[tokio::test]
async fn a_mock_stands_in_for_an_http_task() {
    let definition = workflow(
        "http_mocked",
        json!([{"name": "h", "taskReferenceName": "h", "type": "HTTP", "inputParameters": {"uri": "http://nowhere.invalid/", "method": "GET"}}]),
    );
    let workers =
        ScriptedWorkers::new().answers("h", vec![ok(json!({"response": {"statusCode": 201}}))]);
    let ran = run(definition, &[], json!({}), workers).await;
    assert_eq!(ran.sequence(), expect(&[("h", Completed)]));
    assert_eq!(ran.output("h"), json!({"response": {"statusCode": 201}}));
}
