//! The saga the compiler emits (`examples/order-saga`): when a step fails for good, the
//! generated compensation workflow — the failure workflow — undoes the steps that completed,
//! newest first, reading them from `failedWorkflow`.

mod support;

use std::sync::Arc;

use serde_json::{Value, json};
use support::*;
use wfc_runtime::execution::TaskStatus::*;
use wfc_runtime::execution::WorkflowStatus;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/order_saga/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn order() -> Value {
    json!({"order": {
        "id": "o-1", "customer_id": "c-9", "email": "a@example.com", "total_cents": 1250,
        "currency": "EUR", "express": false, "items": [{"sku": "s", "quantity": 1}],
        "shipping": {"name": "A", "line1": "x", "postcode": "1", "city": "c", "country": "NL"}
    }})
}

fn saga_workers() -> ScriptedWorkers {
    ScriptedWorkers::new()
        .answers("reserve", vec![ok(json!({"reservation_id": "r-1", "warehouse": "w-1"}))])
        .answers("charge", vec![ok(json!({"response": {"statusCode": 200, "body": {"id": "ch-1", "receipt_url": "u"}}}))])
        .answers("pick", vec![ok(json!({"parcels": 2, "packed_at": "now"}))])
}

async fn run_saga(workers: ScriptedWorkers) -> Ran {
    let definitions = definitions(
        &[
            fixture("fulfil_order.json"),
            fixture("fulfil_order_compensation.json"),
        ],
        &[fixture("taskdefs.json")],
    );
    run_with(
        definitions,
        "fulfil_order",
        order(),
        Arc::new(workers),
        options(),
    )
    .await
}

#[tokio::test]
async fn a_step_that_fails_for_good_runs_the_compensations_of_the_completed_steps() {
    let workers = saga_workers().answers(
        "ship",
        vec![
            fail("no carrier"),
            fail("no carrier"),
            fail("no carrier"),
            fail("no carrier"),
        ],
    );
    let ran = run_saga(workers).await;
    assert_eq!(
        ran.sequence(),
        expect(&[
            ("reserve", Completed),
            ("charge", Completed),
            ("pick", Completed),
            ("ship", Failed),
            ("ship", Failed),
            ("ship", Failed),
            ("ship", Failed)
        ])
    );
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    let compensation = ran.other("fulfil_order_compensation");
    assert_eq!(
        sequence(compensation),
        expect(&[
            ("compensation_state", Completed),
            ("ship_if_completed", Completed),
            ("pick_if_completed", Completed),
            ("pick_compensation", Completed),
            ("charge_if_completed", Completed),
            ("charge_compensation", Completed),
            ("reserve_if_completed", Completed),
            ("reserve_compensation", Completed)
        ])
    );
    assert_eq!(compensation.status, WorkflowStatus::Completed);
    assert_eq!(
        ran.workflow().output["conductor.failure_workflow"],
        json!(compensation.workflow_id)
    );
    let task = |reference: &str| {
        compensation
            .task_by_reference(reference)
            .map(|task| Value::Object(task.input_data.clone()))
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        task("reserve_compensation"),
        json!({"reservation_id": "r-1", "reason": "order o-1 could not be fulfilled"})
    );
    assert_eq!(
        task("charge_compensation")["http_request"]["body"]["charge"],
        json!("ch-1")
    );
    assert_eq!(task("pick_compensation")["reservation_id"], json!("r-1"));
    assert_eq!(task("ship_if_completed")["case"], json!("false"));
    assert_eq!(compensation.input["failureStatus"], json!("FAILED"));
    assert_eq!(compensation.input["order"]["id"], json!("o-1"));
}

#[tokio::test]
async fn a_failure_before_any_step_completed_compensates_nothing() {
    let workers = ScriptedWorkers::new().answers(
        "reserve",
        vec![
            fail("out of stock"),
            fail("out of stock"),
            fail("out of stock"),
            fail("out of stock"),
        ],
    );
    let ran = run_saga(workers).await;
    assert_eq!(ran.workflow().status, WorkflowStatus::Failed);
    let compensation = ran.other("fulfil_order_compensation");
    assert_eq!(
        sequence(compensation),
        expect(&[
            ("compensation_state", Completed),
            ("ship_if_completed", Completed),
            ("pick_if_completed", Completed),
            ("charge_if_completed", Completed),
            ("reserve_if_completed", Completed)
        ])
    );
}

#[tokio::test]
async fn the_saga_completes_when_every_step_does() {
    let ran = run_saga(saga_workers()).await;
    assert_eq!(
        ran.workflow().status,
        WorkflowStatus::Completed,
        "{:?} {:#?}",
        ran.workflow().reason_for_incompletion,
        ran.sequence()
    );
    assert!(
        ran.outcome
            .other_workflows
            .iter()
            .all(|workflow| workflow.workflow_name != "fulfil_order_compensation")
    );
}
