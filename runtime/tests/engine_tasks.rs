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
