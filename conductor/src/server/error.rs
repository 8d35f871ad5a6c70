//! Conductor's error answers (API.md §1): the `ErrorResponse` body and the status each kind of
//! failure gets, so that clients written against a real server (SDKs, `wfc deploy`) read
//! `wfc serve`'s errors the same way.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use wfc_compiler::registration::Violation;

/// The `instance` of non-validation errors (Conductor puts its host id there).
const INSTANCE: &str = "wfc-serve";

/// The message of every validation failure.
pub const VALIDATION_FAILED: &str = "Validation failed, check below errors for detail.";

/// One `validationErrors` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub path: String,
    pub message: String,
}

impl ValidationError {
    /// A violation of the compiler's checks under `prefix` (`registerWorkflowDef.workflowDef`).
    pub fn of(prefix: &str, violation: Violation) -> ValidationError {
        let path = if violation.path.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", violation.path)
        };
        ValidationError {
            path,
            message: violation.message,
        }
    }
}

/// An error answer: a status and Conductor's `ErrorResponse`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retryable: bool,
    pub validation_errors: Vec<ValidationError>,
    /// Orkes' authentication failures carry `error` (`EXPIRED_TOKEN`, `INVALID_TOKEN`).
    pub error: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retryable: false,
            validation_errors: Vec::new(),
            error: None,
        }
    }

    /// 400 with `validationErrors` (a `ConstraintViolationException`).
    pub fn validation(errors: Vec<ValidationError>) -> ApiError {
        ApiError {
            validation_errors: errors,
            ..ApiError::new(StatusCode::BAD_REQUEST, VALIDATION_FAILED)
        }
    }

    /// 400 (an `IllegalArgumentException`).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 (a `NotFoundException`).
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 409 (a `ConflictException`).
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    /// 500 for a body that is not the JSON the endpoint takes (Spring's
    /// `HttpMessageNotReadableException` falls through to the catch-all mapper).
    pub fn unreadable(detail: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("JSON parse error: {detail}"),
        )
    }

    /// 500 for an exception Conductor does not map (`IllegalStateException`, …).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// 500 from an error value.
    pub fn internal_from(error: impl std::fmt::Display) -> ApiError {
        ApiError::internal(error.to_string())
    }

    /// 500, retryable: the state database failed.
    pub fn storage(detail: impl std::fmt::Display) -> ApiError {
        ApiError {
            retryable: true,
            ..ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("state database: {detail}"),
            )
        }
    }

    /// 401 with Orkes' `error` code.
    pub fn unauthorized(error: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            error: Some(error),
            ..ApiError::new(StatusCode::UNAUTHORIZED, message)
        }
    }

    /// 401 for refused credentials on `POST /api/token` (no token `error`: nothing to refresh).
    pub fn bad_credentials() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid access key id or secret")
    }

    /// The body, with Conductor's field order and `NON_NULL` inclusion.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("status".into(), self.status.as_u16().into());
        if let Some(error) = self.error {
            body.insert("error".into(), error.into());
        }
        body.insert("message".into(), self.message.clone().into());
        if self.validation_errors.is_empty() {
            body.insert("instance".into(), INSTANCE.into());
        }
        body.insert("retryable".into(), self.retryable.into());
        if !self.validation_errors.is_empty() {
            body.insert(
                "validationErrors".into(),
                self.validation_errors
                    .iter()
                    .map(|error| json!({"path": error.path, "message": error.message}))
                    .collect(),
            );
        }
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body())
    }
}

/// A JSON answer.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A `text/plain` answer (workflow ids, task ids, versions).
pub fn text_response(status: StatusCode, text: impl Into<String>) -> Response {
    let mut response = Response::new(Body::from(text.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    response
}

/// 200 with no body (Conductor's `void` endpoints).
pub fn empty_response() -> Response {
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_conductors_shape() {
        let error = ApiError::validation(vec![ValidationError::of(
            "registerWorkflowDef.workflowDef",
            Violation {
                path: "tasks[0]".to_string(),
                message: "bad".to_string(),
            },
        )]);
        assert_eq!(
            error.body().to_string(),
            r#"{"status":400,"message":"Validation failed, check below errors for detail.","retryable":false,"validationErrors":[{"path":"registerWorkflowDef.workflowDef.tasks[0]","message":"bad"}]}"#
        );
        assert_eq!(
            ApiError::not_found("No such taskType found by name: x")
                .body()
                .to_string(),
            r#"{"status":404,"message":"No such taskType found by name: x","instance":"wfc-serve","retryable":false}"#
        );
        assert_eq!(
            ApiError::unauthorized("EXPIRED_TOKEN", "Token expired")
                .body()
                .to_string(),
            r#"{"status":401,"error":"EXPIRED_TOKEN","message":"Token expired","instance":"wfc-serve","retryable":false}"#
        );
    }
}
