//! Orkes-style authentication for `wfc serve --auth KEY:SECRET` (API.md §5): `POST /api/token`
//! trades the access key for a token, and every other API call must carry it in
//! `X-Authorization`. Refusals are 401 with Orkes' `error` codes, `INVALID_TOKEN` (missing or
//! unknown) and `EXPIRED_TOKEN`, which is what the SDKs and `wfc deploy` refresh on.
//!
//! Tokens are random (256 bits from the operating system), stored with their expiry in the state
//! file so that they outlive a restart like everything else, and compared in constant time with
//! the key and secret they were traded for.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, json_response};
use crate::client::Secret;

/// The access key `wfc serve` accepts.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub key_id: String,
    pub secret: Secret,
    /// How long a token lives unless the token request asks for less (or for no expiry).
    pub token_lifetime: Duration,
}

/// Paths anyone may call: the token exchange and the probes.
const OPEN_PATHS: [&str; 4] = ["/api/token", "/health", "/api/health", "/api/version"];

/// Milliseconds since the epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Equality of two strings without an early exit on the first difference.
fn same(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    let mut difference = left.len() ^ right.len();
    for (index, byte) in left.iter().enumerate() {
        difference |= usize::from(byte ^ right.get(index).copied().unwrap_or(0));
    }
    difference == 0
}

/// `count` random bytes as lowercase hex.
pub fn random_hex(count: usize) -> Result<String, String> {
    let mut bytes = vec![0_u8; count];
    getrandom::fill(&mut bytes).map_err(|error| error.to_string())?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// `POST /api/token` with `{keyId, keySecret[, expiration]}` (expiration in milliseconds,
/// negative for a token that never expires) → `{token}`.
pub async fn token(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let Some(access) = &state.access else {
        return ApiError::not_found("No static resource api/token.").into_response();
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return ApiError::unreadable(error).into_response(),
    };
    let field = |key: &str| request.get(key).and_then(Value::as_str).unwrap_or_default();
    if !(same(field("keyId"), &access.key_id) && same(field("keySecret"), access.secret.expose())) {
        return ApiError::bad_credentials().into_response();
    }
    let lifetime = i64::try_from(access.token_lifetime.as_millis()).unwrap_or(i64::MAX);
    let now = now_millis();
    let expires_at = match request.get("expiration").and_then(Value::as_i64) {
        Some(asked) if asked < 0 => i64::MAX,
        Some(asked) if asked > 0 => now.saturating_add(asked.min(lifetime)),
        _ => now.saturating_add(lifetime),
    };
    let token = match random_hex(32) {
        Ok(token) => token,
        Err(error) => return ApiError::storage(error).into_response(),
    };
    let stored = state
        .store
        .forget_tokens(now)
        .and_then(|()| state.store.add_token(&token, expires_at));
    if let Err(error) = stored {
        return ApiError::storage(error).into_response();
    }
    json_response(axum::http::StatusCode::OK, &json!({ "token": token }))
}

/// Refuses API calls without a valid `X-Authorization` token when an access key is configured.
pub async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if state.access.is_none() || OPEN_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get("X-Authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return ApiError::unauthorized("INVALID_TOKEN", "Token cannot be empty").into_response();
    }
    match state.store.token_expiry(token) {
        Err(error) => ApiError::storage(error).into_response(),
        Ok(None) => ApiError::unauthorized("INVALID_TOKEN", "Invalid token").into_response(),
        Ok(Some(expires_at)) if expires_at <= now_millis() => {
            ApiError::unauthorized("EXPIRED_TOKEN", "Token expired").into_response()
        }
        Ok(Some(_)) => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_equality() {
        assert!(same("secret", "secret"));
        assert!(!same("secret", "secreT"));
        assert!(!same("secret", "secrets"));
        assert!(!same("", "x"));
        assert!(same("", ""));
    }

    #[test]
    fn tokens_are_random() -> Result<(), String> {
        let first = random_hex(32)?;
        assert_eq!(first.len(), 64);
        assert_ne!(first, random_hex(32)?);
        Ok(())
    }
}
