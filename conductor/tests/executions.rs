//! Executions in `wfc serve` over loopback HTTP: start, the worker protocol (poll, batch poll,
//! update), terminate, pause and resume, retry, `POST /api/workflow/test` with mocks, and a
//! server opened again on its state file resuming what was running.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use wfc_conductor::server::{self, AppState};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A running server: its API base URL, and what stops it.
struct Running {
    base: String,
    state: Arc<AppState>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Running {
    /// Stops serving and every engine, as a killed process would (no run's end is recorded).
    async fn kill(self) {
        self.state.executions.stop_all().await;
        let _ = self.stop.send(());
    }
}

/// A server on a random port over the state file in `directory`, having resumed its runs.
async fn start_server(directory: &Path) -> Result<Running, Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let state = Arc::new(AppState::open(&directory.join("serve.sqlite3"), None)?);
    let problems = state.executions.resume_interrupted().await;
    assert_eq!(problems, Vec::<String>::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, Arc::clone(&state), async {
        let _ = stopped.await;
    }));
    Ok(Running {
        base: format!("http://{address}/api"),
        state,
        stop,
    })
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), Box<dyn std::error::Error>> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    /// Starts `checkout` and answers its id.
    async fn start_checkout(&self, order: &str) -> Result<String, Box<dyn std::error::Error>> {
        let (status, id) = self
            .call(
                "POST",
                "/workflow",
                Some(json!({"name": "checkout", "input": {"order": order}})),
            )
            .await?;
        assert_eq!(status, 200, "{id}");
        Ok(id.as_str().unwrap_or_default().to_string())
    }

    /// Polls tasks of a type (waiting up to a second).
    async fn poll(
        &self,
        task_type: &str,
        count: usize,
    ) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
        let (status, tasks) = self
            .call(
                "GET",
                &format!("/tasks/poll/batch/{task_type}?workerid=test&count={count}&timeout=1000"),
                None,
            )
            .await?;
        assert_eq!(status, 200);
        Ok(tasks.as_array().cloned().unwrap_or_default())
    }

    /// Polls until `count` tasks of a type were handed out (or five polls of a second passed).
    async fn poll_exactly(
        &self,
        task_type: &str,
        count: usize,
    ) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
        let mut tasks = Vec::new();
        for _ in 0..5 {
            tasks.extend(self.poll(task_type, count - tasks.len()).await?);
            if tasks.len() >= count {
                break;
            }
        }
        Ok(tasks)
    }

    /// Waits until the workflow has scheduled `count` tasks.
    async fn wait_for_tasks(
        &self,
        id: &str,
        count: usize,
    ) -> Result<(), Box<dyn std::error::Error>> {
        for _ in 0..100 {
            let (_, workflow) = self.call("GET", &format!("/workflow/{id}"), None).await?;
            if workflow["tasks"].as_array().map_or(0, Vec::len) >= count {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("workflow {id} did not schedule {count} tasks").into())
    }

    async fn complete(
        &self,
        task: &Value,
        status: &str,
        output: Value,
    ) -> Result<u16, Box<dyn std::error::Error>> {
        let (code, _) = self
            .call(
                "POST",
                "/tasks",
                Some(json!({
                    "workflowInstanceId": task["workflowInstanceId"],
                    "taskId": task["taskId"],
                    "status": status,
                    "outputData": output,
                    "reasonForIncompletion": if status == "COMPLETED" { Value::Null } else { json!("card declined") },
                })),
            )
            .await?;
        Ok(code)
    }

    /// The workflow, once its status is `status` (waiting up to five seconds).
    async fn workflow_when(
        &self,
        id: &str,
        status: &str,
    ) -> Result<Value, Box<dyn std::error::Error>> {
        for _ in 0..100 {
            let (_, workflow) = self.call("GET", &format!("/workflow/{id}"), None).await?;
            if workflow["status"] == json!(status) {
                return Ok(workflow);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, workflow) = self.call("GET", &format!("/workflow/{id}"), None).await?;
        Err(format!("workflow {id} did not become {status}: {workflow}").into())
    }
}

/// Registers `checkout`: charge (no retries) then ship, and its output.
async fn register(api: &Api) -> TestResult {
    let (status, _) = api
        .call(
            "POST",
            "/metadata/taskdefs",
            Some(json!([
                {"name": "charge_card", "retryCount": 0, "responseTimeoutSeconds": 60},
                {"name": "ship", "retryCount": 0, "responseTimeoutSeconds": 60}
            ])),
        )
        .await?;
    assert_eq!(status, 200);
    let (status, body) = api
        .call(
            "POST",
            "/metadata/workflow",
            Some(json!({
                "name": "checkout", "version": 1, "ownerEmail": "team@example.com",
                "tasks": [
                    {"name": "charge_card", "taskReferenceName": "charge",
                     "inputParameters": {"order": "${workflow.input.order}"}},
                    {"name": "ship", "taskReferenceName": "ship",
                     "inputParameters": {"charge": "${charge.output.id}"}}
                ],
                "outputParameters": {"charge": "${charge.output.id}", "tracking": "${ship.output.tracking}"}
            })),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_runs_with_remote_workers() -> TestResult {
    let directory = tempfile::tempdir()?;
    let server = start_server(directory.path()).await?;
    let api = Api {
        http: reqwest::Client::new(),
        base: server.base.clone(),
    };
    register(&api).await?;
    let id = api.start_checkout("o-1").await?;
    let charges = api.poll("charge_card", 5).await?;
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0]["inputData"], json!({"order": "o-1"}));
    assert_eq!(charges[0]["status"], json!("IN_PROGRESS"));
    assert_eq!(charges[0]["workerId"], json!("test"));
    // Handed out once.
    assert!(api.poll("charge_card", 5).await?.is_empty());
    assert_eq!(
        api.complete(&charges[0], "COMPLETED", json!({"id": "ch-1"}))
            .await?,
        200
    );
    let ships = api.poll("ship", 1).await?;
    assert_eq!(ships[0]["inputData"], json!({"charge": "ch-1"}));
    let (_, task) = api
        .call(
            "GET",
            &format!("/tasks/{}", ships[0]["taskId"].as_str().unwrap_or("")),
            None,
        )
        .await?;
    assert_eq!(task["referenceTaskName"], json!("ship"));
    assert_eq!(
        api.complete(&ships[0], "COMPLETED", json!({"tracking": "T-1"}))
            .await?,
        200
    );
    let workflow = api.workflow_when(&id, "COMPLETED").await?;
    assert_eq!(
        workflow["output"],
        json!({"charge": "ch-1", "tracking": "T-1"})
    );
    assert_eq!(
        workflow["tasks"].as_array().map(|tasks| tasks
            .iter()
            .map(|task| task["status"].clone())
            .collect::<Vec<_>>()),
        Some(vec![json!("COMPLETED"), json!("COMPLETED")])
    );
    // An update of a finished task is ignored; an unknown one is a 404; ids are required.
    assert_eq!(api.complete(&ships[0], "FAILED", json!({})).await?, 200);
    let (status, body) = api
        .call(
            "POST",
            "/tasks",
            Some(json!({"workflowInstanceId": id, "taskId": "nope", "status": "COMPLETED"})),
        )
        .await?;
    assert_eq!(
        (status, body["message"].clone()),
        (404, json!("No such task found by id: nope"))
    );
    let (status, body) = api
        .call("POST", "/tasks", Some(json!({"status": "COMPLETED"})))
        .await?;
    assert_eq!(status, 400);
    assert_eq!(body["validationErrors"].as_array().map(Vec::len), Some(2));
    let (status, body) = api.call("GET", "/workflow/unknown-id", None).await?;
    assert_eq!(
        (status, body["message"].clone()),
        (404, json!("No such workflow found by id: unknown-id"))
    );
    let (status, body) = api
        .call(
            "POST",
            "/workflow",
            Some(json!({"name": "nothing", "input": {}})),
        )
        .await?;
    assert_eq!(
        (status, body["message"].clone()),
        (
            404,
            json!("No such workflow defined. name=nothing, version=null")
        )
    );
    let (status, _) = api
        .call("GET", "/tasks/poll/batch/ship?timeout=6000", None)
        .await?;
    assert_eq!(status, 400);
    let (status, _) = api.call("GET", "/tasks/poll/ship", None).await?;
    assert_eq!(status, 204);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_pause_resume_and_retry() -> TestResult {
    let directory = tempfile::tempdir()?;
    let server = start_server(directory.path()).await?;
    let api = Api {
        http: reqwest::Client::new(),
        base: server.base.clone(),
    };
    register(&api).await?;

    let terminated = api.start_checkout("o-t").await?;
    api.wait_for_tasks(&terminated, 1).await?;
    let (status, _) = api
        .call(
            "DELETE",
            &format!("/workflow/{terminated}?reason=customer%20cancelled"),
            None,
        )
        .await?;
    assert_eq!(status, 200);
    let workflow = api.workflow_when(&terminated, "TERMINATED").await?;
    assert_eq!(
        workflow["reasonForIncompletion"],
        json!("customer cancelled")
    );
    assert_eq!(workflow["tasks"][0]["status"], json!("CANCELED"));
    assert!(
        api.poll("charge_card", 5).await?.is_empty(),
        "a terminated run's task is withdrawn"
    );

    let paused = api.start_checkout("o-p").await?;
    let (status, _) = api
        .call("PUT", &format!("/workflow/{paused}/pause"), None)
        .await?;
    assert_eq!(status, 200);
    assert_eq!(
        api.workflow_when(&paused, "PAUSED").await?["status"],
        json!("PAUSED")
    );
    assert!(
        api.poll("charge_card", 5).await?.is_empty(),
        "a paused run's tasks are withheld"
    );
    let (status, _) = api
        .call("PUT", &format!("/workflow/{paused}/resume"), None)
        .await?;
    assert_eq!(status, 200);
    let charges = api.poll("charge_card", 5).await?;
    assert_eq!(charges.len(), 1);

    // The charge fails for good (no retries): the workflow FAILS; a retry asks again.
    assert_eq!(api.complete(&charges[0], "FAILED", json!({})).await?, 200);
    let failed = api.workflow_when(&paused, "FAILED").await?;
    assert_eq!(failed["tasks"][0]["status"], json!("FAILED"));
    let (status, body) = api
        .call("DELETE", &format!("/workflow/{paused}"), None)
        .await?;
    assert_eq!(
        (status, body["message"].clone()),
        (
            409,
            json!("Workflow is already in terminal state. Current status: FAILED")
        )
    );
    let (status, _) = api
        .call("POST", &format!("/workflow/{paused}/retry"), None)
        .await?;
    assert_eq!(status, 200);
    let again = api.poll("charge_card", 5).await?;
    assert_eq!(again.len(), 1, "the failed task is handed out again");
    assert_eq!(
        api.complete(&again[0], "COMPLETED", json!({"id": "ch-2"}))
            .await?,
        200
    );
    let ships = api.poll("ship", 1).await?;
    assert_eq!(
        api.complete(&ships[0], "COMPLETED", json!({"tracking": "T-2"}))
            .await?,
        200
    );
    let completed = api.workflow_when(&paused, "COMPLETED").await?;
    assert_eq!(completed["output"]["charge"], json!("ch-2"));
    let (status, body) = api
        .call("DELETE", &format!("/workflow/{paused}"), None)
        .await?;
    assert_eq!(
        (status, body["message"].clone()),
        (409, json!("Cannot terminate a COMPLETED workflow."))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_test_runs_on_mocks() -> TestResult {
    let directory = tempfile::tempdir()?;
    let server = start_server(directory.path()).await?;
    let api = Api {
        http: reqwest::Client::new(),
        base: server.base.clone(),
    };
    register(&api).await?;
    let (status, workflow) = api
        .call(
            "POST",
            "/workflow/test",
            Some(json!({
                "name": "checkout", "input": {"order": "o-m"},
                "taskRefToMockOutput": {
                    "charge": [{"status": "FAILED"}, {"status": "COMPLETED", "output": {"id": "ch-m"}}],
                    "ship": [{"status": "COMPLETED", "output": {"tracking": "T-m"}}]
                }
            })),
        )
        .await?;
    assert_eq!(status, 200, "{workflow}");
    // No retries in the TaskDef: the first (failed) mock ends the run.
    assert_eq!(workflow["status"], json!("FAILED"));
    let (status, workflow) = api
        .call(
            "POST",
            "/workflow/test",
            Some(json!({
                "name": "checkout", "input": {"order": "o-m"},
                "taskRefToMockOutput": {
                    "charge": [{"status": "COMPLETED", "output": {"id": "ch-m"}}]
                }
            })),
        )
        .await?;
    assert_eq!(status, 200);
    // `ship` has no mock: the run stops there, RUNNING, as on Conductor.
    assert_eq!(workflow["status"], json!("RUNNING"));
    assert_eq!(workflow["tasks"][0]["status"], json!("COMPLETED"));
    assert_eq!(workflow["tasks"][1]["referenceTaskName"], json!("ship"));
    // Nothing of a test run reaches the real workers.
    assert!(api.poll("ship", 5).await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopened_server_resumes_its_runs() -> TestResult {
    let directory = tempfile::tempdir()?;
    let http = reqwest::Client::new();
    let server = start_server(directory.path()).await?;
    let api = Api {
        http: http.clone(),
        base: server.base.clone(),
    };
    register(&api).await?;
    let first = api.start_checkout("o-a").await?;
    let second = api.start_checkout("o-b").await?;
    let charges = api.poll_exactly("charge_card", 2).await?;
    assert_eq!(charges.len(), 2);
    // One charge answered (acknowledged, so recorded), one polled and left unanswered.
    let answered = charges
        .iter()
        .find(|task| task["workflowInstanceId"] == json!(first))
        .ok_or("no charge of the first run")?;
    assert_eq!(
        api.complete(answered, "COMPLETED", json!({"id": "ch-a"}))
            .await?,
        200
    );
    server.kill().await;

    let server = start_server(directory.path()).await?;
    let api = Api {
        http,
        base: server.base.clone(),
    };
    // The unanswered charge is handed out again, the answered one is not.
    let charges = api.poll("charge_card", 5).await?;
    assert_eq!(
        charges
            .iter()
            .map(|task| task["workflowInstanceId"].clone())
            .collect::<Vec<_>>(),
        vec![json!(second)]
    );
    assert_eq!(
        api.complete(&charges[0], "COMPLETED", json!({"id": "ch-b"}))
            .await?,
        200
    );
    let ships = api.poll_exactly("ship", 2).await?;
    assert_eq!(ships.len(), 2);
    for ship in &ships {
        assert_eq!(
            api.complete(ship, "COMPLETED", json!({"tracking": "T"}))
                .await?,
            200
        );
    }
    for (id, charge) in [(&first, "ch-a"), (&second, "ch-b")] {
        let workflow = api.workflow_when(id, "COMPLETED").await?;
        assert_eq!(workflow["output"]["charge"], json!(charge));
        assert_eq!(workflow["tasks"].as_array().map(Vec::len), Some(2));
    }
    Ok(())
}
