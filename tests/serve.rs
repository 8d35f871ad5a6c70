//! `wfc serve` as a process: a worker drives workflows through the REST API while the server is
//! killed with SIGKILL (each time with a task polled and not answered) and started again on its
//! state file; every workflow completes, the abandoned tasks are handed out again, and no task
//! whose completion the server acknowledged is handed out or completed again.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::ServeProcess as Server;

/// The REST calls of the test, over a raw HTTP/1.1 connection.
trait Api {
    /// One HTTP/1.1 exchange: (status, body as JSON, or as a string when it is not JSON).
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value);
}

impl Api for Server {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let address = self.url.trim_start_matches("http://");
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect(address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        write!(
            stream,
            "{method} /api{path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            address,
            body.len()
        )
        .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let (head, text) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .unwrap_or(0);
        let value = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()));
        (status, value)
    }
}

/// Registers a two-step workflow: `charge` then `receipt`.
fn register(server: &Server) {
    let (status, body) = server.call(
        "POST",
        "/metadata/taskdefs",
        Some(&json!([
            {"name": "charge_card", "retryCount": 0, "responseTimeoutSeconds": 600},
            {"name": "send_receipt", "retryCount": 0, "responseTimeoutSeconds": 600}
        ])),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.call(
        "POST",
        "/metadata/workflow",
        Some(&json!({
            "name": "checkout", "version": 1, "ownerEmail": "team@example.com",
            "tasks": [
                {"name": "charge_card", "taskReferenceName": "charge",
                 "inputParameters": {"order": "${workflow.input.order}"}},
                {"name": "send_receipt", "taskReferenceName": "receipt",
                 "inputParameters": {"charge": "${charge.output.id}"}}
            ],
            "outputParameters": {"charge": "${charge.output.id}", "receipt": "${receipt.output.id}"}
        })),
    );
    assert_eq!(status, 200, "{body}");
}

/// Polls every task type once and completes what it got; returns the acknowledged completions
/// as (workflow id, reference).
fn work_once(server: &Server) -> Vec<(String, String)> {
    let mut acknowledged = Vec::new();
    for task_type in ["charge_card", "send_receipt"] {
        let (status, tasks) = server.call(
            "GET",
            &format!("/tasks/poll/batch/{task_type}?workerid=test&count=3&timeout=100"),
            None,
        );
        assert_eq!(status, 200, "{tasks}");
        for task in tasks.as_array().cloned().unwrap_or_default() {
            let workflow = task["workflowInstanceId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let reference = task["referenceTaskName"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (status, _) = server.call(
                "POST",
                "/tasks",
                Some(&json!({
                    "workflowInstanceId": workflow,
                    "taskId": task["taskId"],
                    "status": "COMPLETED",
                    "outputData": {"id": format!("{reference}-of-{workflow}")},
                })),
            );
            if status == 200 {
                acknowledged.push((workflow, reference));
            }
        }
    }
    acknowledged
}

#[test]
fn a_server_killed_mid_run_loses_no_task_and_repeats_none() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let state = directory.path().join("state/serve.sqlite3");
    let mut server = Server::start(&state, &[]);
    register(&server);
    let mut workflows = Vec::new();
    for order in 0..12 {
        let (status, id) = server.call(
            "POST",
            "/workflow",
            Some(&json!({"name": "checkout", "input": {"order": order}})),
        );
        assert_eq!(status, 200, "{id}");
        workflows.push(id.as_str().unwrap_or_default().to_string());
    }
    let mut completions: HashMap<(String, String), usize> = HashMap::new();
    let mut kills = 0;
    let mut abandoned = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        for done in work_once(&server) {
            *completions.entry(done).or_default() += 1;
        }
        // Killed twice mid-run: after a third and after two thirds of the work.
        let done = completions.len();
        if (kills == 0 && done >= 8) || (kills == 1 && done >= 16) {
            // A task polled and never answered when the server dies: handed out again later.
            for task_type in ["send_receipt", "charge_card"] {
                let (_, leased) = server.call(
                    "GET",
                    &format!("/tasks/poll/batch/{task_type}?workerid=lost&count=1&timeout=200"),
                    None,
                );
                if leased.as_array().is_some_and(|tasks| !tasks.is_empty()) {
                    abandoned += 1;
                    break;
                }
            }
            server.kill();
            server = Server::start(&state, &[]);
            kills += 1;
        }
        let finished = workflows.iter().all(|id| {
            let (_, workflow) = server.call("GET", &format!("/workflow/{id}"), None);
            workflow["status"] == json!("COMPLETED")
        });
        if finished {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the workflows did not complete: {completions:?}"
        );
    }
    assert_eq!(kills, 2);
    assert_eq!(abandoned, 2, "a polled task was pending at each kill");
    let repeated: Vec<_> = completions
        .iter()
        .filter(|(_, count)| **count > 1)
        .collect();
    assert_eq!(
        repeated,
        Vec::<(&(String, String), &usize)>::new(),
        "completed twice"
    );
    assert_eq!(
        completions.len(),
        workflows.len() * 2,
        "every task completed once"
    );
    for id in &workflows {
        let (_, workflow) = server.call("GET", &format!("/workflow/{id}"), None);
        assert_eq!(
            workflow["output"]["charge"],
            json!(format!("charge-of-{id}"))
        );
        assert_eq!(
            workflow["output"]["receipt"],
            json!(format!("receipt-of-{id}"))
        );
        let statuses: Vec<&Value> = workflow["tasks"]
            .as_array()
            .map(|tasks| tasks.iter().map(|task| &task["status"]).collect())
            .unwrap_or_default();
        assert_eq!(
            statuses,
            vec![&json!("COMPLETED"), &json!("COMPLETED")],
            "{workflow}"
        );
    }
}
