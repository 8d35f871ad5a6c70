//! Tests of the HTTP task against a small HTTP/1.1 server on 127.0.0.1 (no network beyond the
//! loopback): the cases of Conductor's `HttpTaskTest`, body extraction, request building, error
//! wording and time-outs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// One request as the server received it.
#[derive(Debug, Clone, Default)]
struct Received {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
            .collect()
    }
}

struct Server {
    base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    async fn start() -> Server {
        let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else {
            panic!("cannot bind 127.0.0.1");
        };
        let Ok(address) = listener.local_addr() else {
            panic!("no local address");
        };
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = Arc::clone(&log);
                tokio::spawn(async move { serve(stream, log).await });
            }
        });
        Server {
            base: format!("http://{address}"),
            received,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn last(&self) -> Received {
        self.received
            .lock()
            .ok()
            .and_then(|received| received.last().cloned())
            .unwrap_or_default()
    }
}

async fn serve(mut stream: TcpStream, log: Arc<Mutex<Vec<Received>>>) {
    loop {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        if let Ok(mut log) = log.lock() {
            log.push(request.clone());
        }
        let (status, content_type, body): (&str, &str, Vec<u8>) = match request.path.as_str() {
            "/json" => (
                "200 OK",
                "application/json",
                br#"{"key":"value1","num":42,"SomeKey":null}"#.to_vec(),
            ),
            "/text" => ("200 OK", "text/plain", b"Text Response".to_vec()),
            "/numeric" => ("200 OK", "text/plain", b"42.42".to_vec()),
            "/integer" => ("200 OK", "application/json", b"42".to_vec()),
            "/true" => ("200 OK", "application/json", b"true".to_vec()),
            "/null" => ("200 OK", "application/json", b"null".to_vec()),
            "/quoted" => ("200 OK", "application/json", br#""abc""#.to_vec()),
            "/list" => (
                "200 OK",
                "application/json",
                br#"[1, 2.5, "x"] trailing"#.to_vec(),
            ),
            "/empty" => ("200 OK", "text/plain", Vec::new()),
            "/post" => {
                let keys: Map<String, Value> =
                    serde_json::from_slice::<Map<String, Value>>(&request.body)
                        .unwrap_or_default()
                        .keys()
                        .map(|key| (key.clone(), Value::String(key.clone())))
                        .collect();
                (
                    "200 OK",
                    "application/json",
                    serde_json::to_vec(&keys).unwrap_or_default(),
                )
            }
            "/post2" => ("204 No Content", "", Vec::new()),
            "/failure" => (
                "500 Internal Server Error",
                "text/plain",
                b"Something went wrong!".to_vec(),
            ),
            "/multiline" => (
                "400 Bad Request",
                "text/plain",
                b"line one\nline two".to_vec(),
            ),
            "/notfound" => ("404 Not Found", "", Vec::new()),
            "/redirect" => {
                let response = "HTTP/1.1 302 Found\r\nLocation: /json\r\nContent-Length: 0\r\n\r\n";
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
                continue;
            }
            "/not-modified" => ("304 Not Modified", "", Vec::new()),
            "/unusual" => ("299 Unusual", "text/plain", b"odd".to_vec()),
            "/slow" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                ("200 OK", "text/plain", b"late".to_vec())
            }
            "/slow-body" => {
                let head =
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhalf";
                let _ = stream.write_all(head.as_bytes()).await;
                tokio::time::sleep(Duration::from_secs(3)).await;
                return;
            }
            _ => ("200 OK", "application/json", b"{}".to_vec()),
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nX-Custom: a\r\nX-Custom: b\r\n",
            body.len()
        );
        if !content_type.is_empty() {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str("\r\n");
        if stream.write_all(head.as_bytes()).await.is_err()
            || stream.write_all(&body).await.is_err()
        {
            return;
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(chunk.get(..read)?);
    };
    let head = String::from_utf8_lossy(buffer.get(..header_end)?).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer.get(header_end + 4..)?.to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(chunk.get(..read)?);
    }
    Some(Received {
        method,
        path,
        headers,
        body,
    })
}

fn input(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn http_client() -> reqwest::Client {
    match client() {
        Ok(client) => client,
        Err(error) => panic!("{error}"),
    }
}

async fn run(server: &Server, request: Value) -> WorkResult {
    let mut request = request;
    if let Some(Value::String(uri)) = request.get_mut("uri")
        && uri.starts_with('/')
    {
        *uri = server.url(uri);
    }
    execute(&input(json!({"http_request": request})), &http_client()).await
}

fn response_field(result: &WorkResult, field: &str) -> Value {
    result
        .output
        .get("response")
        .and_then(|response| response.get(field))
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn conductor_http_task_test_cases() {
    let server = Server::start().await;
    // testPost
    let result = run(
        &server,
        json!({"uri": "/post", "method": "POST", "readTimeOut": 1000,
        "body": {"input_key1": "value1", "input_key2": 45.3, "someKey": null}}),
    )
    .await;
    assert_eq!(result.status, WorkStatus::Completed, "{:?}", result.reason);
    assert_eq!(
        response_field(&result, "body"),
        json!({"input_key1": "input_key1", "input_key2": "input_key2", "someKey": "someKey"})
    );
    assert_eq!(
        server.last().body,
        br#"{"input_key1":"value1","input_key2":45.3,"someKey":null}"#.to_vec()
    );
    // testPostNoContent
    let result = run(
        &server,
        json!({"uri": "/post2", "method": "POST", "body": {"a": 1}}),
    )
    .await;
    assert_eq!(result.status, WorkStatus::Completed);
    assert_eq!(response_field(&result, "body"), json!(null));
    assert_eq!(response_field(&result, "statusCode"), json!(204));
    assert_eq!(response_field(&result, "reasonPhrase"), json!("No Content"));
    // testFailure
    let result = run(&server, json!({"uri": "/failure", "method": "GET"})).await;
    assert_eq!(result.status, WorkStatus::Failed);
    assert_eq!(
        result.reason.as_deref(),
        Some(
            "Failed to invoke HTTP task due to: java.lang.Exception: 500 Internal Server Error: \"Something went wrong!\""
        )
    );
    assert_eq!(
        result.output.get("response"),
        Some(&json!(
            "java.lang.Exception: 500 Internal Server Error: \"Something went wrong!\""
        ))
    );
    let result = execute(&input(json!({"uri": null})), &http_client()).await;
    assert_eq!(
        result.reason.as_deref(),
        Some("Missing HTTP URI.  See documentation for HttpTask for required input parameters")
    );
    assert!(result.output.is_empty());
    // testPostAsyncComplete
    let async_input = input(
        json!({"http_request": {"uri": server.url("/post"), "method": "POST", "body": {"k": 1}}, "asyncComplete": true}),
    );
    let result = execute(&async_input, &http_client()).await;
    assert_eq!(result.status, WorkStatus::InProgress);
    assert_eq!(response_field(&result, "body"), json!({"k": "k"}));
    // testTextGET, testNumberGET, testJsonGET
    assert_eq!(
        response_field(
            &run(&server, json!({"uri": "/text", "method": "GET"})).await,
            "body"
        ),
        json!("Text Response")
    );
    assert_eq!(
        response_field(
            &run(&server, json!({"uri": "/numeric", "method": "GET"})).await,
            "body"
        ),
        json!(42.42)
    );
    let result = run(&server, json!({"uri": "/json", "method": "GET"})).await;
    assert_eq!(result.status, WorkStatus::Completed);
    assert_eq!(
        response_field(&result, "body"),
        json!({"key": "value1", "num": 42, "SomeKey": null})
    );
    assert_eq!(response_field(&result, "statusCode"), json!(200));
    assert_eq!(response_field(&result, "reasonPhrase"), json!("OK"));
    // testHTTPGETReadTimeOut: a negative time-out fails the task.
    let result = run(
        &server,
        json!({"uri": "/json", "method": "GET", "readTimeOut": -1}),
    )
    .await;
    assert_eq!(result.status, WorkStatus::Failed);
}

#[tokio::test]
async fn bodies_are_extracted_like_extract_body() {
    let server = Server::start().await;
    let cases = vec![
        ("/integer", json!(42.0)),
        ("/true", json!("true")),
        ("/null", json!("null")),
        ("/quoted", json!("abc")),
        ("/list", json!([1, 2.5, "x"])),
        ("/empty", json!(null)),
    ];
    for (path, expected) in cases {
        let result = run(&server, json!({"uri": path, "method": "GET"})).await;
        assert_eq!(result.status, WorkStatus::Completed, "{path}");
        assert_eq!(response_field(&result, "body"), expected, "{path}");
    }
    let result = run(&server, json!({"uri": "/json", "method": "GET"})).await;
    assert_eq!(
        response_field(&result, "headers").get("x-custom"),
        Some(&json!(["a", "b"]))
    );
    assert_eq!(
        response_field(&result, "headers").get("content-type"),
        Some(&json!(["application/json"]))
    );
}

#[tokio::test]
async fn requests_are_built_like_rest_template() {
    let server = Server::start().await;
    // Top-level form, custom headers (Java toString of values), accept list, string body as is.
    let top_level = input(json!({
        "uri": server.url("/echo"), "method": "PUT", "accept": ["text/plain", "application/xml"],
        "contentType": "text/plain", "headers": {"X-Number": 5, "X-List": [1, "a"], "X-Skipped": null, "Content-Type": "text/csv"},
        "body": "héllo ✓"
    }));
    let result = execute(&top_level, &http_client()).await;
    assert_eq!(result.status, WorkStatus::Completed, "{:?}", result.reason);
    let received = server.last();
    assert_eq!(received.method, "PUT");
    assert_eq!(
        received.header("accept"),
        vec!["text/plain, application/xml"]
    );
    assert_eq!(
        received.header("content-type"),
        vec!["text/plain", "text/csv"]
    );
    assert_eq!(received.header("x-number"), vec!["5"]);
    assert_eq!(received.header("x-list"), vec!["[1, a]"]);
    assert!(received.header("x-skipped").is_empty());
    // ISO-8859-1 for a text body without charset: `✓` cannot be encoded.
    assert_eq!(
        received.body,
        vec![b'h', 0xE9, b'l', b'l', b'o', b' ', b'?']
    );
    // Defaults: JSON content type and accept; a JSON string body is sent raw in UTF-8.
    let result = run(
        &server,
        json!({"uri": "/echo", "method": "POST", "body": "plain ✓"}),
    )
    .await;
    assert_eq!(result.status, WorkStatus::Completed);
    let received = server.last();
    assert_eq!(received.header("content-type"), vec!["application/json"]);
    assert_eq!(received.header("accept"), vec!["application/json"]);
    assert_eq!(received.body, "plain ✓".as_bytes().to_vec());
    // Numbers and lists as JSON.
    let _ = run(
        &server,
        json!({"uri": "/echo", "method": "POST", "body": [1, {"a": 2.0}]}),
    )
    .await;
    assert_eq!(server.last().body, br#"[1,{"a":2.0}]"#.to_vec());
    // GET without body.
    let _ = run(&server, json!({"uri": "/echo", "method": "GET"})).await;
    assert!(server.last().body.is_empty());
    // `http_request: null` falls back to the top-level form.
    let result = execute(
        &input(json!({"http_request": null, "uri": server.url("/json"), "method": "GET"})),
        &http_client(),
    )
    .await;
    assert_eq!(result.status, WorkStatus::Completed);
    // Redirects are followed.
    let result = run(&server, json!({"uri": "/redirect", "method": "GET"})).await;
    assert_eq!(
        response_field(&result, "body"),
        json!({"key": "value1", "num": 42, "SomeKey": null})
    );
}

#[tokio::test]
async fn failures_read_like_conductor() {
    let server = Server::start().await;
    let failure = |result: &WorkResult| (result.status, result.reason.clone().unwrap_or_default());
    let cases: Vec<(Value, &str)> = vec![
        (json!({"uri": "/x"}), "No HTTP method specified"),
        (
            json!({"method": "GET"}),
            "Missing HTTP URI.  See documentation for HttpTask for required input parameters",
        ),
        (
            json!({"uri": "/notfound", "method": "GET"}),
            "Failed to invoke HTTP task due to: java.lang.Exception: 404 Not Found: [no body]",
        ),
        (
            json!({"uri": "/multiline", "method": "GET"}),
            "Failed to invoke HTTP task due to: java.lang.Exception: 400 Bad Request: \"line one<EOL>line two\"",
        ),
        (
            json!({"uri": "/items/{id}", "method": "GET"}),
            "Failed to invoke HTTP task due to: java.lang.IllegalArgumentException: Not enough variable values available to expand 'id'",
        ),
        (
            json!({"uri": "example.com/x", "method": "GET"}),
            "Failed to invoke HTTP task due to: java.lang.IllegalArgumentException: URI is not absolute",
        ),
        (
            json!({"uri": "/echo", "method": "POST", "contentType": "text/plain", "body": {"a": 1}}),
            "Failed to invoke HTTP task due to: java.lang.Exception: No HttpMessageConverter for java.util.LinkedHashMap and content type \"text/plain\"",
        ),
        (
            json!({"uri": "/echo", "method": "GET", "accept": "json"}),
            "Failed to invoke HTTP task due to: org.springframework.http.InvalidMediaTypeException: Invalid mime type \"json\": does not contain '/'",
        ),
        (
            json!({"uri": "/unusual", "method": "GET"}),
            "Failed to invoke HTTP task due to: java.lang.IllegalArgumentException: No matching constant for [299]",
        ),
        (
            json!({"uri": "/not-modified", "method": "GET"}),
            "No response from the remote service",
        ),
    ];
    for (request, expected) in cases {
        let result = run(&server, request.clone()).await;
        assert_eq!(
            failure(&result),
            (WorkStatus::Failed, expected.to_string()),
            "{request}"
        );
    }
    let result = run(&server, json!({"uri": "/not-modified", "method": "GET"})).await;
    assert_eq!(response_field(&result, "statusCode"), json!(304));
    let result = execute(&input(json!({"http_request": "not a map"})), &http_client()).await;
    assert_eq!(result.status, WorkStatus::Failed);
    assert!(
        result
            .reason
            .unwrap_or_default()
            .contains("Cannot construct instance")
    );
}

#[tokio::test]
async fn connection_errors_and_time_outs_fail_the_task() {
    let server = Server::start().await;
    // A port nobody listens on.
    let closed = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener
            .local_addr()
            .map(|address| address.to_string())
            .unwrap_or_default(),
        Err(_) => panic!("cannot bind"),
    };
    let uri = format!("http://{closed}/x");
    let result = execute(&input(json!({"uri": uri, "method": "GET"})), &http_client()).await;
    assert_eq!(result.status, WorkStatus::Failed);
    let reason = result.reason.clone().unwrap_or_default();
    assert!(reason.starts_with(&format!("Failed to invoke HTTP task due to: java.lang.Exception: I/O error on GET request for \"{uri}\": Connect failed")), "{reason}");
    assert!(result.output.get("response").is_some_and(Value::is_string));

    let started = Instant::now();
    let result = run(
        &server,
        json!({"uri": "/slow", "method": "GET", "connectionTimeOut": 100, "readTimeOut": 200}),
    )
    .await;
    assert_eq!(result.status, WorkStatus::Failed);
    assert!(result.reason.unwrap_or_default().contains("Read timed out"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let result = run(
        &server,
        json!({"uri": "/slow-body", "method": "GET", "readTimeOut": 200}),
    )
    .await;
    assert_eq!(result.status, WorkStatus::Failed);
    assert!(result.reason.unwrap_or_default().contains("Read timed out"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
