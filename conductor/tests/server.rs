//! `wfc serve`'s metadata API over real HTTP on loopback: what a client sees for each call
//! (status and body, snapshotted), Orkes-style authentication, and the deploy client against it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use wfc_conductor::client::{Client, ClientError, ClientOptions, Credentials, Secret};
use wfc_conductor::server::auth::AccessKey;
use wfc_conductor::server::{self, AppState};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A server on a random loopback port over a state file in `directory`; stopped when the
/// test's runtime ends.
async fn start(
    directory: &tempfile::TempDir,
    access: Option<AccessKey>,
) -> Result<String, Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let state = Arc::new(AppState::open(
        &directory.path().join("serve.sqlite3"),
        access,
    )?);
    tokio::spawn(server::serve(listener, state, std::future::pending()));
    Ok(format!("http://{address}"))
}

/// Audit times vary: shown as `<time>` when set.
fn mask_times(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, field) in object.iter_mut() {
                if matches!(key.as_str(), "createTime" | "updateTime")
                    && field.as_i64().is_some_and(|time| time > 0)
                {
                    *field = json!("<time>");
                } else {
                    mask_times(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_times),
        _ => {}
    }
}

/// Calls the API and records the exchange.
struct Transcript {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    text: String,
}

impl Transcript {
    fn new(base: String) -> Transcript {
        Transcript {
            http: reqwest::Client::new(),
            base,
            token: None,
            text: String::new(),
        }
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<(u16, Value), Box<dyn std::error::Error>> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("X-Authorization", token);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let mut value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        mask_times(&mut value);
        self.text.push_str(&format!("{method} {path}\n"));
        if let Some(body) = body {
            self.text.push_str(&format!("  {body}\n"));
        }
        let shown = match &value {
            Value::String(text) if text.is_empty() => "(empty)".to_string(),
            Value::String(text) => text.clone(),
            other => serde_json::to_string_pretty(other)?,
        };
        self.text.push_str(&format!("→ {status} {shown}\n\n"));
        Ok((status, value))
    }
}

const FLOW_V1: &str = r#"{"name":"flow","version":1,"ownerEmail":"team@example.com","tasks":[{"name":"charge","taskReferenceName":"charge","inputParameters":{"amount":"${workflow.input.amount}"}}],"unknownField":true}"#;
const FLOW_V2: &str = r#"{"name":"flow","version":2,"ownerEmail":"team@example.com","tasks":[{"name":"charge","taskReferenceName":"charge"},{"name":"ship","taskReferenceName":"ship","inputParameters":{"id":"${charge.output.id}"}}]}"#;
const INVALID: &str = r#"{"name":"broken","tasks":[{"name":"route","taskReferenceName":"route","type":"SWITCH","decisionCases":{"a":[{"name":"w","taskReferenceName":"w"}]}},{"name":"x","taskReferenceName":"x","inputParameters":{"v":"${nowhere.output}"}}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_api_answers_like_conductor() -> TestResult {
    let directory = tempfile::tempdir()?;
    let mut transcript = Transcript::new(start(&directory, None).await?);
    transcript
        .call("GET", "/api/metadata/taskdefs/charge", None)
        .await?;
    transcript
        .call("POST", "/api/metadata/taskdefs", Some("[]"))
        .await?;
    transcript
        .call(
            "POST",
            "/api/metadata/taskdefs",
            Some(r#"[{"name":"charge","retryCount":-1,"timeoutSeconds":10,"responseTimeoutSeconds":60}]"#),
        )
        .await?;
    transcript
        .call(
            "POST",
            "/api/metadata/taskdefs",
            Some(r#"[{"name":"charge","responseTimeoutSeconds":60,"ownerEmail":"team@example.com"}]"#),
        )
        .await?;
    transcript
        .call("GET", "/api/metadata/taskdefs/charge", None)
        .await?;
    transcript
        .call("PUT", "/api/metadata/taskdefs", Some(r#"{"name":"nope"}"#))
        .await?;
    transcript
        .call("POST", "/api/metadata/workflow", Some(FLOW_V1))
        .await?;
    transcript
        .call("POST", "/api/metadata/workflow", Some(FLOW_V1))
        .await?;
    transcript
        .call(
            "POST",
            "/api/metadata/workflow?overwrite=true",
            Some(FLOW_V1),
        )
        .await?;
    transcript
        .call("POST", "/api/metadata/workflow/validate", Some(INVALID))
        .await?;
    transcript
        .call("POST", "/api/metadata/workflow/validate", Some(FLOW_V2))
        .await?;
    transcript
        .call(
            "PUT",
            "/api/metadata/workflow",
            Some(&format!("[{FLOW_V2},{INVALID}]")),
        )
        .await?;
    transcript
        .call(
            "PUT",
            "/api/metadata/workflow",
            Some(&format!("[{FLOW_V2}]")),
        )
        .await?;
    transcript
        .call("GET", "/api/metadata/workflow/flow?version=1", None)
        .await?;
    transcript
        .call("GET", "/api/metadata/workflow/flow?version=9", None)
        .await?;
    transcript
        .call("GET", "/api/metadata/workflow/names-and-versions", None)
        .await?;
    transcript
        .call("GET", "/api/metadata/workflow/names", None)
        .await?;
    let (_, latest) = transcript
        .call("GET", "/api/metadata/workflow/flow", None)
        .await?;
    assert_eq!(latest["version"], json!(2));
    transcript
        .call("DELETE", "/api/metadata/workflow/flow/9", None)
        .await?;
    transcript
        .call("DELETE", "/api/metadata/workflow/flow/2", None)
        .await?;
    transcript
        .call("GET", "/api/metadata/workflow/latest-versions", None)
        .await?;
    transcript
        .call("POST", "/api/metadata/workflow", Some("{\"name\": "))
        .await?;
    transcript.call("GET", "/api/nothing/here", None).await?;
    transcript
        .call("PATCH", "/api/metadata/workflow", None)
        .await?;
    insta::assert_snapshot!(transcript.text);
    Ok(())
}

fn access_key(lifetime: Duration) -> AccessKey {
    AccessKey {
        key_id: "app-key".to_string(),
        secret: Secret::new("app-secret"),
        token_lifetime: lifetime,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_required_and_expire() -> TestResult {
    let directory = tempfile::tempdir()?;
    let mut transcript =
        Transcript::new(start(&directory, Some(access_key(Duration::from_secs(3600)))).await?);
    transcript.call("GET", "/health", None).await?;
    transcript
        .call("GET", "/api/metadata/taskdefs", None)
        .await?;
    transcript
        .call(
            "POST",
            "/api/token",
            Some(r#"{"keyId":"app-key","keySecret":"wrong"}"#),
        )
        .await?;
    transcript.token = Some("made-up".to_string());
    transcript
        .call("GET", "/api/metadata/taskdefs", None)
        .await?;
    let (_, answer) = transcript
        .call(
            "POST",
            "/api/token",
            Some(r#"{"keyId":"app-key","keySecret":"app-secret","expiration":1000}"#),
        )
        .await?;
    let token = answer["token"].as_str().unwrap_or_default().to_string();
    assert_eq!(token.len(), 64);
    transcript.token = Some(token);
    let (status, _) = transcript
        .call("GET", "/api/metadata/taskdefs", None)
        .await?;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    transcript
        .call("GET", "/api/metadata/taskdefs", None)
        .await?;
    // The token's value is random: masked before the snapshot.
    let text = transcript
        .text
        .replace(transcript.token.as_deref().unwrap_or("-"), "<token>");
    insta::assert_snapshot!(text);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deploy_client_talks_to_the_server() -> TestResult {
    let directory = tempfile::tempdir()?;
    let base = start(&directory, Some(access_key(Duration::from_secs(3600)))).await?;
    let client = Client::new(ClientOptions {
        credentials: Some(Credentials {
            key_id: "app-key".to_string(),
            secret: Secret::new("app-secret"),
        }),
        ..ClientOptions::new(format!("{base}/api/"))
    })?;
    assert_eq!(client.base_url(), format!("{base}/api"));
    assert_eq!(client.task_def("charge").await?, None);
    client
        .register_task_defs(&[json!({"name": "charge", "retryCount": 1})])
        .await?;
    let stored = client.task_def("charge").await?;
    assert_eq!(
        stored.as_ref().map(|definition| &definition["retryCount"]),
        Some(&json!(1))
    );
    let bulk = client
        .update_workflow_defs(&[serde_json::from_str(FLOW_V1)?])
        .await?;
    assert_eq!(bulk.successful, vec!["flow".to_string()]);
    assert!(client.workflow_def("flow", Some(1)).await?.is_some());
    assert_eq!(client.workflow_def("flow", Some(3)).await?, None);
    let errors = client
        .validate_workflow_def(&serde_json::from_str(INVALID)?)
        .await?;
    assert_eq!(
        errors
            .iter()
            .map(|error| error.path.as_str())
            .collect::<Vec<_>>(),
        vec![
            "validateWorkflowDef.workflowDef",
            "validateWorkflowDef.workflowDef.tasks[0]"
        ]
    );
    match client
        .update_workflow_defs(&[serde_json::from_str(INVALID)?])
        .await
    {
        Err(ClientError::Status {
            status: 400,
            validation_errors,
            ..
        }) => assert_eq!(validation_errors.len(), 2),
        other => panic!("expected a validation failure, got {other:?}"),
    }

    let refused = Client::new(ClientOptions {
        credentials: Some(Credentials {
            key_id: "app-key".to_string(),
            secret: Secret::new("wrong-secret"),
        }),
        ..ClientOptions::new(&base)
    })?;
    let error = refused
        .task_def("charge")
        .await
        .err()
        .map(|error| error.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            format!("the Conductor server at {base}/api refused the access key: invalid access key id or secret (check CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET)").as_str()
        )
    );
    assert!(!error.unwrap_or_default().contains("wrong-secret"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_renewed_once() -> TestResult {
    let directory = tempfile::tempdir()?;
    // Tokens that live 300 ms: the client's token expires between two calls, the server says
    // EXPIRED_TOKEN, and the client fetches a new one and repeats the call.
    let base = start(&directory, Some(access_key(Duration::from_millis(300)))).await?;
    let client = Client::new(ClientOptions {
        credentials: Some(Credentials {
            key_id: "app-key".to_string(),
            secret: Secret::new("app-secret"),
        }),
        ..ClientOptions::new(&base)
    })?;
    client
        .register_task_defs(&[json!({"name": "charge"})])
        .await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(client.task_def("charge").await?.is_some());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_one_clear_error() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    drop(listener);
    let client = Client::new(ClientOptions {
        attempts: 2,
        first_backoff: Duration::from_millis(10),
        ..ClientOptions::new(format!("http://{address}"))
    })?;
    let error = client.task_def("charge").await.err();
    let Some(ClientError::Unreachable { url, reason }) = &error else {
        panic!("expected Unreachable, got {error:?}");
    };
    assert_eq!(
        url,
        &format!("http://{address}/api/metadata/taskdefs/charge")
    );
    assert!(reason.contains("refused"), "{reason}");
    Ok(())
}
