//! The client of a Conductor server's REST API (API.md), as `wfc deploy` needs it: metadata reads
//! and writes over HTTPS or HTTP, on OSS Conductor, Orkes, or `wfc serve`.
//!
//! - **TLS** is rustls with certificate verification always on (the bundled Mozilla roots and
//!   the system's); there is no switch to turn it off.
//! - **Transient failures are retried** with exponential backoff: connection errors, timeouts,
//!   502/503/504/429, and 500 answers the server marks `retryable`. Every call the deploy makes
//!   is idempotent (upserts and reads), so a retried call cannot do a thing twice.
//! - **Orkes authentication**: with credentials, a token from `POST /api/token` goes in
//!   `X-Authorization` on every call; it is fetched again after 40 minutes (the SDKs assume 45)
//!   and once more when the server answers 401/403 with `EXPIRED_TOKEN` or `INVALID_TOKEN`. A
//!   server without `/api/token` (404, OSS) is used without a token, as the SDKs do.
//! - **Secrets never leak**: the key secret and the token are [`Secret`]s, whose `Debug` and
//!   `Display` print `***`; no error message quotes a request header or the token request.
//! - **An unreachable server is one clear error** ([`ClientError::Unreachable`]) naming the URL
//!   and the underlying reason (connection refused, DNS, TLS, timeout).

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// A value that must never be printed: a key secret or a token.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("***")
    }
}

/// An Orkes application access key.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub key_id: String,
    pub secret: Secret,
}

/// How to reach a server.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The server URL, with or without the `/api` suffix (`http://localhost:8080`,
    /// `https://play.orkes.io/api`).
    pub server: String,
    pub credentials: Option<Credentials>,
    /// The limit of one request, answer included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// How many times a request is sent at most (1 = no retries).
    pub attempts: u32,
    /// The wait before the first retry; doubled for each further one.
    pub first_backoff: Duration,
}

impl ClientOptions {
    pub fn new(server: impl Into<String>) -> ClientOptions {
        ClientOptions {
            server: server.into(),
            credentials: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            attempts: 4,
            first_backoff: Duration::from_millis(250),
        }
    }
}

/// One entry of an `ErrorResponse`'s `validationErrors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// `updateWorkflowDef.workflowDefList[0].tasks[2]`: the service method, its parameter and the
    /// property path.
    pub path: String,
    pub message: String,
}

/// Why a call failed.
#[derive(Debug)]
pub enum ClientError {
    /// The server URL cannot be used.
    InvalidUrl { url: String, reason: String },
    /// The server could not be reached (connection refused, DNS, TLS, timeout) after every
    /// attempt.
    Unreachable { url: String, reason: String },
    /// The key id and secret were refused.
    Authentication { url: String, message: String },
    /// The server wants a token and no credentials were given.
    TokenRequired { url: String },
    /// The server answered with an error status.
    Status {
        method: String,
        url: String,
        status: u16,
        /// The `message` of the `ErrorResponse`, or the start of the body.
        message: String,
        validation_errors: Vec<ValidationError>,
    },
    /// The answer is not what the API promises.
    Protocol { url: String, message: String },
}

impl fmt::Display for ClientError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidUrl { url, reason } => {
                write!(formatter, "`{url}` is not a usable server URL: {reason}")
            }
            ClientError::Unreachable { url, reason } => write!(
                formatter,
                "cannot reach the Conductor server at {url}: {reason} (is it running, and is the URL right? it comes from --server or CONDUCTOR_SERVER_URL)"
            ),
            ClientError::Authentication { url, message } => write!(
                formatter,
                "the Conductor server at {url} refused the access key: {message} (check CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET)"
            ),
            ClientError::TokenRequired { url } => write!(
                formatter,
                "the Conductor server at {url} requires an access token: set CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET to an application's access key"
            ),
            ClientError::Status {
                method,
                url,
                status,
                message,
                validation_errors,
            } => {
                write!(formatter, "{method} {url} answered {status}")?;
                if !message.is_empty() {
                    write!(formatter, ": {message}")?;
                }
                for error in validation_errors {
                    write!(formatter, "\n  {}: {}", error.path, error.message)?;
                }
                Ok(())
            }
            ClientError::Protocol { url, message } => {
                write!(formatter, "unexpected answer from {url}: {message}")
            }
        }
    }
}

impl std::error::Error for ClientError {}

/// The answer of `PUT /api/metadata/workflow`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkResponse {
    pub successful: Vec<String>,
    /// Name → error message.
    pub errors: Vec<(String, String)>,
}

/// A token and when it was fetched.
#[derive(Debug)]
struct Token {
    value: Secret,
    fetched: Instant,
}

/// Whether the server wants tokens, as far as the client knows.
#[derive(Debug)]
enum TokenState {
    Unknown,
    /// The server has no `/api/token`: no token is sent.
    Open,
    Have(Token),
}

/// A token is fetched again after this long.
const TOKEN_REFRESH: Duration = Duration::from_secs(40 * 60);

/// The longest part of an error body quoted in a message.
const MAXIMUM_QUOTED_BODY: usize = 300;

/// A Conductor API client. Cheap to share between tasks (`&Client`).
pub struct Client {
    http: reqwest::Client,
    /// `…/api`, without a trailing slash.
    base: Url,
    credentials: Option<Credentials>,
    token: Mutex<TokenState>,
    attempts: u32,
    first_backoff: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// An answer: status and body text.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    text: String,
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Client, ClientError> {
        let base = api_base(&options.server)?;
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("wfc/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ClientError::InvalidUrl {
                url: options.server.clone(),
                reason: reasons(&error),
            })?;
        Ok(Client {
            http,
            base,
            credentials: options.credentials,
            token: Mutex::new(TokenState::Unknown),
            attempts: options.attempts.max(1),
            first_backoff: options.first_backoff,
        })
    }

    /// The API base URL (`…/api`).
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `GET /api/metadata/taskdefs/{name}`; `None` when the server has none.
    pub async fn task_def(&self, name: &str) -> Result<Option<Value>, ClientError> {
        let url = self.url(&["metadata", "taskdefs", name], &[]);
        self.optional_json(Method::GET, url).await
    }

    /// `POST /api/metadata/taskdefs` (an upsert on every server).
    pub async fn register_task_defs(&self, definitions: &[Value]) -> Result<(), ClientError> {
        let url = self.url(&["metadata", "taskdefs"], &[]);
        let body = Value::Array(definitions.to_vec());
        self.expect_success(Method::POST, url, Some(&body)).await
    }

    /// `GET /api/metadata/workflow/{name}?version=N` (the latest without a version); `None` when
    /// the server has none.
    pub async fn workflow_def(
        &self,
        name: &str,
        version: Option<i64>,
    ) -> Result<Option<Value>, ClientError> {
        let query: Vec<(&str, String)> = version
            .map(|version| vec![("version", version.to_string())])
            .unwrap_or_default();
        let url = self.url(&["metadata", "workflow", name], &query);
        self.optional_json(Method::GET, url).await
    }

    /// `PUT /api/metadata/workflow` (create or update each, by name and version).
    pub async fn update_workflow_defs(
        &self,
        definitions: &[Value],
    ) -> Result<BulkResponse, ClientError> {
        let url = self.url(&["metadata", "workflow"], &[]);
        let body = Value::Array(definitions.to_vec());
        let answer = self.send(Method::PUT, url.clone(), Some(&body)).await?;
        let answer = self.success(Method::PUT, &url, answer)?;
        // Older servers answer with an empty body.
        if answer.text.trim().is_empty() {
            return Ok(BulkResponse {
                successful: definitions
                    .iter()
                    .filter_map(|definition| definition.get("name")?.as_str().map(String::from))
                    .collect(),
                errors: Vec::new(),
            });
        }
        let value: Value = parse(&url, &answer.text)?;
        let successful = value
            .get("bulkSuccessfulResults")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .map(|name| name.as_str().map_or_else(|| name.to_string(), String::from))
                    .collect()
            })
            .unwrap_or_default();
        let errors = value
            .get("bulkErrorResults")
            .and_then(Value::as_object)
            .map(|errors| {
                errors
                    .iter()
                    .map(|(name, message)| {
                        let message = message
                            .as_str()
                            .map_or_else(|| message.to_string(), String::from);
                        (name.clone(), message)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(BulkResponse { successful, errors })
    }

    /// `POST /api/metadata/workflow/validate`: the server's validation errors, empty when valid.
    pub async fn validate_workflow_def(
        &self,
        definition: &Value,
    ) -> Result<Vec<ValidationError>, ClientError> {
        let url = self.url(&["metadata", "workflow", "validate"], &[]);
        match self
            .expect_success(Method::POST, url, Some(definition))
            .await
        {
            Ok(()) => Ok(Vec::new()),
            Err(ClientError::Status {
                status: 400,
                validation_errors,
                ..
            }) if !validation_errors.is_empty() => Ok(validation_errors),
            Err(error) => Err(error),
        }
    }

    /// `{base}/{segments…}?{query}`, each segment escaped.
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(key, value)| (*key, value.as_str())));
        }
        url
    }

    async fn optional_json(&self, method: Method, url: Url) -> Result<Option<Value>, ClientError> {
        let answer = self.send(method.clone(), url.clone(), None).await?;
        if answer.status == StatusCode::NOT_FOUND || answer.status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let answer = self.success(method, &url, answer)?;
        if answer.text.trim().is_empty() {
            return Ok(None);
        }
        parse(&url, &answer.text).map(Some)
    }

    async fn expect_success(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<(), ClientError> {
        let answer = self.send(method.clone(), url.clone(), body).await?;
        self.success(method, &url, answer).map(|_| ())
    }

    /// The answer when its status is a success, else the error it describes.
    fn success(&self, method: Method, url: &Url, answer: Answer) -> Result<Answer, ClientError> {
        if answer.status.is_success() {
            return Ok(answer);
        }
        let (message, validation_errors) = error_body(&answer.text);
        Err(ClientError::Status {
            method: method.to_string(),
            url: display_url(url),
            status: answer.status.as_u16(),
            message,
            validation_errors,
        })
    }

    /// Sends a request with the token, retrying transient failures and refreshing a token the
    /// server calls expired or invalid once.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Answer, ClientError> {
        let mut refreshed = false;
        loop {
            let token = self.token(false).await?;
            let answer = self
                .send_with_retries(method.clone(), url.clone(), body, token.as_ref())
                .await?;
            let token_refused = matches!(
                answer.status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
            ) && token_error(&answer.text).is_some();
            if token_refused && token.is_some() && !refreshed {
                refreshed = true;
                self.token(true).await?;
                continue;
            }
            if token_refused && token.is_none() {
                return Err(ClientError::TokenRequired {
                    url: self.base_url().to_string(),
                });
            }
            return Ok(answer);
        }
    }

    async fn send_with_retries(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        token: Option<&Secret>,
    ) -> Result<Answer, ClientError> {
        let mut attempt = 1;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header("Accept", "application/json, text/plain");
            if let Some(token) = token {
                request = request.header("X-Authorization", token.expose());
            }
            if let Some(body) = body {
                request = request
                    .header("Content-Type", "application/json")
                    .body(body.to_string());
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    match response.text().await {
                        Ok(text) => Ok(Answer { status, text }),
                        Err(error) => Err(error),
                    }
                }
                Err(error) => Err(error),
            };
            let retry = match &outcome {
                Ok(answer) => transient_status(answer),
                Err(_) => true,
            };
            if !retry || attempt >= self.attempts {
                return outcome.map_err(|error| ClientError::Unreachable {
                    url: display_url(&url),
                    reason: reasons(&error),
                });
            }
            let backoff = self
                .first_backoff
                .saturating_mul(1 << (attempt - 1).min(16));
            tokio::time::sleep(backoff).await;
            attempt += 1;
        }
    }

    /// The token to send: `None` without credentials or on a server without tokens. `renew`
    /// fetches a new one whatever the age of the one held.
    async fn token(&self, renew: bool) -> Result<Option<Secret>, ClientError> {
        let Some(credentials) = &self.credentials else {
            return Ok(None);
        };
        let mut state = self.token.lock().await;
        match &*state {
            TokenState::Open => return Ok(None),
            TokenState::Have(token) if !renew && token.fetched.elapsed() < TOKEN_REFRESH => {
                return Ok(Some(token.value.clone()));
            }
            _ => {}
        }
        let url = self.url(&["token"], &[]);
        let body = json!({
            "keyId": credentials.key_id,
            "keySecret": credentials.secret.expose(),
        });
        let answer = self
            .send_with_retries(Method::POST, url.clone(), Some(&body), None)
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            *state = TokenState::Open;
            return Ok(None);
        }
        if matches!(
            answer.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            let (message, _) = error_body(&answer.text);
            return Err(ClientError::Authentication {
                url: self.base_url().to_string(),
                message: if message.is_empty() {
                    format!("{} from POST /token", answer.status.as_u16())
                } else {
                    message
                },
            });
        }
        let answer = self.success(Method::POST, &url, answer)?;
        let value: Value = parse(&url, &answer.text)?;
        let Some(token) = value.get("token").and_then(Value::as_str) else {
            return Err(ClientError::Protocol {
                url: display_url(&url),
                message: "the answer has no `token`".to_string(),
            });
        };
        let token = Secret::new(token);
        *state = TokenState::Have(Token {
            value: token.clone(),
            fetched: Instant::now(),
        });
        Ok(Some(token))
    }
}

/// `…/api` from what the user gave: the URL as is when its path ends with `/api`, else with
/// `/api` appended.
fn api_base(server: &str) -> Result<Url, ClientError> {
    let invalid = |reason: String| ClientError::InvalidUrl {
        url: server.to_string(),
        reason,
    };
    let mut url = Url::parse(server.trim()).map_err(|error| invalid(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            "the URL must start with http:// or https://".to_string(),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the URL has no host".to_string()));
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_string();
    if path.ends_with("/api") {
        url.set_path(&path);
    } else {
        url.set_path(&format!("{path}/api"));
    }
    Ok(url)
}

/// A URL for messages: without query and credentials.
fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.set_query(None);
    shown.to_string()
}

/// Whether an answer says "try again": a gateway or overload status, or a 500 the server marks
/// `retryable`.
fn transient_status(answer: &Answer) -> bool {
    match answer.status.as_u16() {
        429 | 502 | 503 | 504 => true,
        500 => serde_json::from_str::<Value>(&answer.text)
            .ok()
            .and_then(|body| body.get("retryable")?.as_bool())
            .unwrap_or(false),
        _ => false,
    }
}

/// `EXPIRED_TOKEN` or `INVALID_TOKEN` when an error body says so.
fn token_error(text: &str) -> Option<String> {
    let body: Value = serde_json::from_str(text).ok()?;
    let error = body.get("error")?.as_str()?;
    matches!(error, "EXPIRED_TOKEN" | "INVALID_TOKEN").then(|| error.to_string())
}

/// The message and validation errors of an `ErrorResponse` body, or the start of a body that
/// is not one.
fn error_body(text: &str) -> (String, Vec<ValidationError>) {
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(text) else {
        let trimmed = text.trim();
        let quoted: String = trimmed.chars().take(MAXIMUM_QUOTED_BODY).collect();
        return (quoted, Vec::new());
    };
    let message = body
        .get("message")
        .or_else(|| body.get("error"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let validation_errors = body
        .get("validationErrors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|error| ValidationError {
                    path: error
                        .get("path")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    message: error
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    (message, validation_errors)
}

fn parse(url: &Url, text: &str) -> Result<Value, ClientError> {
    serde_json::from_str(text).map_err(|error| ClientError::Protocol {
        url: display_url(url),
        message: format!("the body is not JSON: {error}"),
    })
}

/// The messages of an error and its sources, without repeats ("error sending request for url
/// (…): client error (Connect): tcp connect error: Connection refused (os error 111)").
fn reasons(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    // The innermost cause is what the user can act on; the outer ones add the context.
    parts
        .last()
        .cloned()
        .map(|last| {
            if error_is_timeout(error) {
                format!("timed out ({last})")
            } else {
                last
            }
        })
        .unwrap_or_default()
}

fn error_is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(reqwest_error) = error.downcast_ref::<reqwest::Error>()
            && reqwest_error.is_timeout()
        {
            return true;
        }
        current = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_urls() {
        let base = |server: &str| api_base(server).map(|url| url.to_string()).ok();
        assert_eq!(
            base("http://localhost:8080"),
            Some("http://localhost:8080/api".to_string())
        );
        assert_eq!(
            base("http://localhost:8080/api/"),
            Some("http://localhost:8080/api".to_string())
        );
        assert_eq!(
            base("https://example.com/conductor?x=1"),
            Some("https://example.com/conductor/api".to_string())
        );
        assert_eq!(base("localhost:8080"), None);
        assert_eq!(base("ftp://example.com"), None);
    }

    #[test]
    fn secrets_are_never_printed() {
        let options = ClientOptions {
            credentials: Some(Credentials {
                key_id: "key".to_string(),
                secret: Secret::new("hunter2"),
            }),
            ..ClientOptions::new("http://localhost:1")
        };
        assert!(!format!("{options:?}").contains("hunter2"));
        let client = Client::new(options);
        assert!(!format!("{client:?}").contains("hunter2"));
        assert_eq!(Secret::new("hunter2").to_string(), "***");
    }

    #[test]
    fn urls_escape_names() {
        let Ok(client) = Client::new(ClientOptions::new("http://localhost:8080")) else {
            panic!("a valid URL")
        };
        let url = client.url(
            &["metadata", "workflow", "a b/c#d"],
            &[("version", "2".into())],
        );
        assert_eq!(
            url.as_str(),
            "http://localhost:8080/api/metadata/workflow/a%20b%2Fc%23d?version=2"
        );
    }

    #[test]
    fn error_bodies() {
        let (message, errors) = error_body(
            r#"{"status":400,"message":"Validation failed, check below errors for detail.","retryable":false,
                "validationErrors":[{"path":"updateWorkflowDef.workflowDefList[0].tasks[1]","message":"bad"}]}"#,
        );
        assert_eq!(message, "Validation failed, check below errors for detail.");
        assert_eq!(
            errors,
            vec![ValidationError {
                path: "updateWorkflowDef.workflowDefList[0].tasks[1]".to_string(),
                message: "bad".to_string()
            }]
        );
        assert_eq!(
            token_error(r#"{"error":"EXPIRED_TOKEN","message":"expired"}"#),
            Some("EXPIRED_TOKEN".to_string())
        );
        assert_eq!(error_body("<html>oops</html>").0, "<html>oops</html>");
    }
}
