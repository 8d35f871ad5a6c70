//! The HTTP task: a real request, answered the way Conductor's `HttpTask` answers.
//!
//! Mirrors conductor-oss `http-task/src/main/java/com/netflix/conductor/tasks/http/HttpTask.java`
//! (`start`, `httpCall`, `extractBody`, `HttpTask.Input`), its `DefaultRestTemplateProvider`
//! (timeouts) and what Spring's `RestTemplate` does underneath (message converters, the default
//! error handler, URI templates):
//!
//! * **The request** is `inputParameters.http_request`, or the whole input when there is none:
//!   `uri`, `method`, `headers`, `body`, `accept` (a string or a list, default
//!   `application/json`), `contentType` (default `application/json`), `connectionTimeOut` and
//!   `readTimeOut` (milliseconds, default 3000; an explicit `null` falls back to the provider's
//!   100 ms / 150 ms; `0` is no limit). `vipAddress` and `appName` are ignored, as in OSS.
//! * **Missing pieces**: no `uri` → FAILED "Missing HTTP URI.  See documentation for HttpTask for
//!   required input parameters"; no `method` → FAILED "No HTTP method specified" (no output).
//! * **Headers**: `Content-Type` and `Accept` from `contentType`/`accept`, then every entry of
//!   `headers` (null values skipped, other values as Java prints them), added — so a `Content-Type`
//!   among the headers is sent in addition.
//! * **Body**: a string is sent as it is (UTF-8 for JSON content types or an explicit charset,
//!   ISO-8859-1 otherwise, like Spring's `StringHttpMessageConverter`); any other value is
//!   serialized as JSON, which Spring only does for JSON content types — another content type
//!   with a non-string body fails like `RestTemplate` ("No HttpMessageConverter for …").
//! * **URI**: must be absolute ("URI is not absolute"); `{name}` in it is a URI template variable
//!   for `RestTemplate`, and since Conductor passes none, such a URI fails ("Not enough variable
//!   values available to expand 'name'").
//! * **The answer**: for 2xx the output is `response: {body, headers, statusCode, reasonPhrase}`
//!   and the task COMPLETED (IN_PROGRESS when `asyncComplete` is true: it then waits for an
//!   external completion). The body is parsed as JSON when it can be (`extractBody`: objects and
//!   lists as they are, **every number as a double**, other scalars as text — `true` becomes
//!   `"true"`, `null` becomes `"null"`), else kept as text. A 4xx or 5xx makes `RestTemplate`
//!   throw: the task FAILED with `Failed to invoke HTTP task due to: java.lang.Exception: 404 Not
//!   Found: "<body>"` and the output `response` is that exception's text (a string), exactly as
//!   in Conductor. Any other status (a 3xx that is not followed) is FAILED with "No response from
//!   the remote service" and the `response` map.
//! * **Failures to connect** (refused, DNS, TLS, timeouts) are FAILED with `Failed to invoke HTTP
//!   task due to: java.lang.Exception: I/O error on GET request for "<uri>": <cause>`.
//!
//! Differences that remain: header names in the output are lower case (HTTP/1 names are case
//! insensitive and the HTTP stack here normalizes them; Conductor keeps the server's spelling);
//! reason phrases of 4xx/5xx are the standard ones rather than the server's own; a time-out is
//! one budget of `connectionTimeOut + readTimeOut` until the response headers arrive, then
//! `readTimeOut` between body chunks (Conductor's connect and socket-read time-outs are separate);
//! redirects follow reqwest's policy (at most 50 here, like HttpClient 5); response bodies over
//! [`MAXIMUM_BODY_BYTES`] fail the task.

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::worker::{WorkResult, WorkStatus};

/// Conductor's defaults for `connectionTimeOut` and `readTimeOut` (`HttpTask.Input`).
pub const DEFAULT_TIMEOUT_MILLISECONDS: u64 = 3000;
/// The provider's defaults when the input sets the time-outs to `null`
/// (`conductor.tasks.http.connectTimeout`, `conductor.tasks.http.readTimeout`).
const PROVIDER_CONNECT_TIMEOUT_MILLISECONDS: u64 = 100;
const PROVIDER_READ_TIMEOUT_MILLISECONDS: u64 = 150;
/// Response bodies larger than this fail the task (Conductor has no limit).
pub const MAXIMUM_BODY_BYTES: usize = 64 * 1024 * 1024;

const MISSING_URI: &str =
    "Missing HTTP URI.  See documentation for HttpTask for required input parameters";
const MISSING_METHOD: &str = "No HTTP method specified";
const JSON: &str = "application/json";

/// A client configured like Conductor's: no proxy from the environment, redirects followed (up to
/// 50), rustls with the web PKI roots.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::limited(50))
        .user_agent(concat!("wfc/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| format!("could not create the HTTP client: {error}"))
}

/// Runs the HTTP task for its resolved input (`http_request` or the top-level uri/method form),
/// with connection/read timeouts; the answer is the task's result as Conductor computes it
/// (output `response: {body, statusCode, headers, reasonPhrase}`, FAILED on non-2xx, …).
pub async fn execute(input: &Map<String, Value>, client: &reqwest::Client) -> WorkResult {
    let request = match input.get("http_request") {
        Some(value) if !value.is_null() => value.clone(),
        _ => Value::Object(input.clone()),
    };
    let request = match Request::bind(&request) {
        Ok(request) => request,
        Err(Bound::Failed(reason)) => return failed(reason, None),
        Err(Bound::Exception(exception)) => return exception_result(&exception),
    };
    let asynchronous = input.get("asyncComplete") == Some(&Value::Bool(true));
    match call(&request, client).await {
        Ok(response) => {
            let status = response.status_code;
            let output = response.into_output();
            if (200..300).contains(&status) {
                let status = if asynchronous {
                    WorkStatus::InProgress
                } else {
                    WorkStatus::Completed
                };
                WorkResult::with_status(status, output, None)
            } else {
                WorkResult::with_status(
                    WorkStatus::Failed,
                    output,
                    Some("No response from the remote service".to_string()),
                )
            }
        }
        Err(exception) => exception_result(&exception),
    }
}

fn failed(reason: String, output: Option<Map<String, Value>>) -> WorkResult {
    WorkResult::with_status(WorkStatus::Failed, output.unwrap_or_default(), Some(reason))
}

/// `catch (Exception e)` of `HttpTask.start`: the reason names the exception, and the output
/// `response` is its `toString()`.
fn exception_result(exception: &str) -> WorkResult {
    let mut output = Map::new();
    output.insert("response".to_string(), Value::String(exception.to_string()));
    failed(
        format!("Failed to invoke HTTP task due to: {exception}"),
        Some(output),
    )
}

/// Why the request could not be bound from the input.
enum Bound {
    /// FAILED with this reason and no output (missing URI or method).
    Failed(String),
    /// An exception thrown while preparing or sending: its `toString()`.
    Exception(String),
}

/// `HttpTask.Input` after Jackson's `convertValue`.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    accept: Vec<String>,
    content_type: String,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
}

impl Request {
    fn bind(value: &Value) -> Result<Request, Bound> {
        let Value::Object(fields) = value else {
            return Err(Bound::Exception(format!(
                "java.lang.IllegalArgumentException: Cannot construct instance of \
                 `HttpTask$Input` from {}",
                json_kind(value)
            )));
        };
        let text = |key: &str| -> Result<Option<String>, Bound> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(Value::Number(number)) => Ok(Some(number.to_string())),
                Some(Value::Bool(flag)) => Ok(Some(flag.to_string())),
                Some(other) => Err(Bound::Exception(format!(
                    "java.lang.IllegalArgumentException: Cannot deserialize value of type \
                     `java.lang.String` from {} (field `{key}`)",
                    json_kind(other)
                ))),
            }
        };
        let timeout = |key: &str, provider_default: u64| -> Result<Option<Duration>, Bound> {
            let milliseconds = match fields.get(key) {
                None => Some(DEFAULT_TIMEOUT_MILLISECONDS as i64),
                Some(Value::Null) => Some(provider_default as i64),
                Some(Value::Number(number)) => number
                    .as_i64()
                    .or_else(|| number.as_f64().map(|value| value as i64)),
                Some(Value::String(text)) => text.trim().parse::<i64>().ok(),
                Some(_) => None,
            };
            let Some(milliseconds) = milliseconds else {
                return Err(Bound::Exception(format!(
                    "java.lang.IllegalArgumentException: Cannot deserialize value of type \
                     `java.lang.Integer` (field `{key}`)"
                )));
            };
            if milliseconds < 0 {
                return Err(Bound::Exception(
                    "java.lang.IllegalArgumentException: Timeout must be a non-negative value"
                        .to_string(),
                ));
            }
            Ok((milliseconds > 0).then(|| Duration::from_millis(milliseconds.unsigned_abs())))
        };

        let uri = text("uri")?;
        let method = text("method")?;
        let headers = match fields.get("headers") {
            None => Vec::new(),
            Some(Value::Null) => {
                return Err(Bound::Exception(
                    "java.lang.NullPointerException".to_string(),
                ));
            }
            Some(Value::Object(map)) => map
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(name, value)| (name.clone(), crate::parameters::java_to_string(value)))
                .collect(),
            Some(other) => {
                return Err(Bound::Exception(format!(
                    "java.lang.IllegalArgumentException: Cannot deserialize value of type \
                     `java.util.Map` from {} (field `headers`)",
                    json_kind(other)
                )));
            }
        };
        let accept = match fields.get("accept") {
            Some(Value::String(single)) => vec![single.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter(|item| !item.is_null())
                .map(crate::parameters::java_to_string)
                .collect(),
            _ => vec![JSON.to_string()],
        };
        let content_type = match fields.get("contentType") {
            None => JSON.to_string(),
            Some(Value::Null) => String::new(),
            Some(_) => text("contentType")?.unwrap_or_default(),
        };
        let connect_timeout = timeout("connectionTimeOut", PROVIDER_CONNECT_TIMEOUT_MILLISECONDS)?;
        let read_timeout = timeout("readTimeOut", PROVIDER_READ_TIMEOUT_MILLISECONDS)?;

        let Some(uri) = uri else {
            return Err(Bound::Failed(MISSING_URI.to_string()));
        };
        let Some(method) = method else {
            return Err(Bound::Failed(MISSING_METHOD.to_string()));
        };
        Ok(Request {
            method,
            uri,
            headers,
            body: fields.get("body").filter(|body| !body.is_null()).cloned(),
            accept,
            content_type,
            connect_timeout,
            read_timeout,
        })
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `HttpTask.HttpResponse`.
struct Response {
    body: Value,
    headers: Map<String, Value>,
    status_code: u16,
    reason_phrase: String,
}

impl Response {
    /// `{"response": HttpResponse.asMap()}`.
    fn into_output(self) -> Map<String, Value> {
        let mut response = Map::new();
        response.insert("body".to_string(), self.body);
        response.insert("headers".to_string(), Value::Object(self.headers));
        response.insert(
            "reasonPhrase".to_string(),
            Value::String(self.reason_phrase),
        );
        response.insert("statusCode".to_string(), Value::from(self.status_code));
        let mut output = Map::new();
        output.insert("response".to_string(), Value::Object(response));
        output
    }
}

/// A media type as Spring's `MediaType.valueOf` accepts it: `type/subtype[;parameters]`.
fn check_media_type(text: &str) -> Result<(), String> {
    let invalid = |why: &str| {
        Err(format!(
            "org.springframework.http.InvalidMediaTypeException: Invalid mime type \"{text}\": {why}"
        ))
    };
    let essence = text.split(';').next().unwrap_or("").trim();
    if essence.is_empty() {
        return invalid("'mimeType' must not be empty");
    }
    let Some((kind, subtype)) = essence.split_once('/') else {
        return invalid("does not contain '/'");
    };
    if kind.is_empty() || subtype.is_empty() {
        return invalid("does not contain subtype after '/'");
    }
    Ok(())
}

fn is_json_media_type(text: &str) -> bool {
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == JSON || essence == "application/*" || essence == "*/*" || essence.ends_with("+json")
}

/// The charset `StringHttpMessageConverter` writes a string body in.
fn encode_string_body(body: &str, content_type: &str) -> Vec<u8> {
    let charset = content_type
        .split(';')
        .skip(1)
        .filter_map(|parameter| parameter.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, value)| value.trim().trim_matches('"').to_ascii_lowercase());
    let latin1 = match charset.as_deref() {
        Some("iso-8859-1" | "latin1" | "us-ascii") => true,
        Some(_) => false,
        None => !is_json_media_type(content_type),
    };
    if latin1 {
        body.chars()
            .map(|character| u8::try_from(u32::from(character)).unwrap_or(b'?'))
            .collect()
    } else {
        body.as_bytes().to_vec()
    }
}

/// The first URI template variable of `uri` (`\{([^/]+?)\}`), by its name.
fn uri_template_variable(uri: &str) -> Option<&str> {
    let open = uri.find('{')?;
    let rest = uri.get(open + 1..)?;
    let close = rest.find('}')?;
    let name = rest.get(..close)?;
    if name.is_empty() || name.contains('/') {
        // `[^/]+?` cannot match here; look for a later variable.
        return uri_template_variable(rest.get(close + 1..)?);
    }
    Some(name.split(':').next().unwrap_or(name))
}

/// `HttpTask.httpCall` through `RestTemplate.exchange`. `Err` is the `toString()` of the
/// exception `HttpTask.start` catches.
async fn call(request: &Request, client: &reqwest::Client) -> Result<Response, String> {
    if let Some(variable) = uri_template_variable(&request.uri) {
        return Err(format!(
            "java.lang.IllegalArgumentException: Not enough variable values available to expand \
             '{variable}'"
        ));
    }
    let url = match reqwest::Url::parse(&request.uri) {
        Ok(url) => url,
        // `url::ParseError::RelativeUrlWithoutBase` (the `url` crate is not a dependency here).
        Err(error) if error.to_string() == "relative URL without a base" => {
            return Err("java.lang.IllegalArgumentException: URI is not absolute".to_string());
        }
        Err(error) => {
            return Err(format!(
                "java.lang.IllegalArgumentException: Illegal character in URI: {error}"
            ));
        }
    };
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
        format!(
            "java.lang.IllegalArgumentException: Invalid HTTP method \"{}\"",
            request.method
        )
    })?;
    check_media_type(&request.content_type)?;
    for accept in &request.accept {
        check_media_type(accept)?;
    }

    let mut headers = reqwest::header::HeaderMap::new();
    let mut add = |name: &str, value: &str| -> Result<(), String> {
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            format!("java.lang.IllegalArgumentException: Invalid header name \"{name}\"")
        })?;
        let header_value = HeaderValue::from_str(value).map_err(|_| {
            format!("java.lang.IllegalArgumentException: Invalid value of header \"{name}\"")
        })?;
        headers.append(header_name, header_value);
        Ok(())
    };
    add("content-type", &request.content_type)?;
    add("accept", &request.accept.join(", "))?;
    for (name, value) in &request.headers {
        add(name, value)?;
    }

    let body = match &request.body {
        None => None,
        Some(Value::String(text)) => Some(encode_string_body(text, &request.content_type)),
        Some(other) if is_json_media_type(&request.content_type) => Some(
            serde_json::to_vec(other)
                .map_err(|error| format!("java.lang.Exception: Could not write JSON: {error}"))?,
        ),
        Some(other) => {
            return Err(format!(
                "java.lang.Exception: No HttpMessageConverter for {} and content type \"{}\"",
                java_class(other),
                request.content_type
            ));
        }
    };

    let mut builder = client.request(method.clone(), url).headers(headers);
    if let Some(body) = body {
        builder = builder.body(body);
    }
    let io_error = |cause: &str| {
        format!(
            "java.lang.Exception: I/O error on {} request for \"{}\": {cause}",
            request.method, request.uri
        )
    };
    let waiting = match (request.connect_timeout, request.read_timeout) {
        (Some(connect), Some(read)) => Some(connect + read),
        (Some(only), None) | (None, Some(only)) => Some(only),
        (None, None) => None,
    };
    let sent = match waiting {
        Some(limit) => match tokio::time::timeout(limit, builder.send()).await {
            Ok(sent) => sent,
            Err(_) => {
                return Err(io_error(&format!(
                    "Read timed out (no response within connectionTimeOut + readTimeOut = {} ms)",
                    limit.as_millis()
                )));
            }
        },
        None => builder.send().await,
    };
    let mut response = sent.map_err(|error| io_error(&describe(&error)))?;

    let status = response.status();
    let mut headers = Map::new();
    for name in response.headers().keys() {
        let values: Vec<Value> = response
            .headers()
            .get_all(name)
            .iter()
            .map(|value| Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        headers.insert(name.as_str().to_string(), Value::Array(values));
    }
    let mut bytes = Vec::new();
    loop {
        let chunk = match request.read_timeout {
            Some(limit) => match tokio::time::timeout(limit, response.chunk()).await {
                Ok(chunk) => chunk,
                Err(_) => return Err(io_error("Read timed out")),
            },
            None => response.chunk().await,
        };
        match chunk.map_err(|error| io_error(&describe(&error)))? {
            Some(chunk) => {
                if bytes.len() + chunk.len() > MAXIMUM_BODY_BYTES {
                    return Err(io_error(&format!(
                        "the response body is larger than {MAXIMUM_BODY_BYTES} bytes"
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            None => break,
        }
    }
    let code = status.as_u16();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if status.is_client_error() || status.is_server_error() {
        // `DefaultResponseErrorHandler` throws `HttpClientErrorException` /
        // `HttpServerErrorException`; `httpCall` rethrows its message as a plain `Exception`.
        let reason = status.canonical_reason().unwrap_or("");
        let body = if text.is_empty() {
            "[no body]".to_string()
        } else {
            format!("\"{}\"", log_format(&text))
        };
        return Err(format!("java.lang.Exception: {code} {reason}: {body}"));
    }
    let body = if status.is_success() && !text.is_empty() {
        extract_body(&text)
    } else {
        Value::Null
    };
    let Some(reason_phrase) = spring_reason_phrase(code) else {
        return Err(format!(
            "java.lang.IllegalArgumentException: No matching constant for [{code}]"
        ));
    };
    Ok(Response {
        body,
        headers,
        status_code: code,
        reason_phrase: reason_phrase.to_string(),
    })
}

/// The innermost cause of a request error, which is what Java's messages show ("Connection
/// refused", "Read timed out", a DNS failure…).
fn describe(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    if error.is_timeout() {
        "Read timed out".to_string()
    } else if error.is_connect() {
        format!("Connect failed: {text}")
    } else {
        text
    }
}

/// Spring's `LogFormatUtils.formatValue(body, -1, true)` without the quotes: line breaks become
/// `<EOL>`, other control characters `?`.
fn log_format(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            '\n' | '\r' => "<EOL>".to_string(),
            character if character.is_control() => "?".to_string(),
            character => character.to_string(),
        })
        .collect()
}

/// The Java class of a body Jackson made, for "No HttpMessageConverter for …".
fn java_class(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "java.util.LinkedHashMap",
        Value::Array(_) => "java.util.ArrayList",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(number) if number.is_f64() => "java.lang.Double",
        Value::Number(_) => "java.lang.Integer",
        Value::String(_) => "java.lang.String",
        Value::Null => "null",
    }
}

/// `HttpTask.extractBody`: the body read as JSON (`objectMapper.readTree`, which ignores what
/// follows the first value): lists and maps as they are, every number as a double, other values
/// as their text; a body that is not JSON stays text.
fn extract_body(text: &str) -> Value {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match values.next() {
        Some(Ok(value @ (Value::Array(_) | Value::Object(_)))) => value,
        Some(Ok(Value::Number(number))) => number
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Some(Ok(Value::String(text))) => Value::String(text),
        Some(Ok(Value::Bool(flag))) => Value::String(flag.to_string()),
        Some(Ok(Value::Null)) => Value::String("null".to_string()),
        // An empty (or blank) body reads as Jackson's `MissingNode`, whose text is "".
        None if text.trim().is_empty() => Value::String(String::new()),
        _ => Value::String(text.to_string()),
    }
}

/// Spring 6's `HttpStatus.getReasonPhrase()` for the statuses a successful exchange can end with;
/// `None` where `HttpStatus.valueOf` has no constant (it then throws).
fn spring_reason_phrase(code: u16) -> Option<&'static str> {
    Some(match code {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
