//! `wfc serve`: a local server that speaks enough of Conductor's REST API (API.md) that
//! `wfc deploy`, the official SDKs and curl scripts work against it — what `temporal server
//! start-dev` is for Temporal.
//!
//! ```text
//!  HTTP ──▶ auth::require_token ──▶ metadata::*  ──▶ store::Store (SQLite, WAL)
//!            (X-Authorization,        (judged by wfc_compiler::registration,
//!             --auth only)             stored as normalize::stored_*)
//!                              ──▶ workflows::*, tasks::* ──▶ executions::Executions
//!                                   (engine runs, queue::TaskQueue for workers,
//!                                    projection::Projection for reads,
//!                                    histories in wfc_runtime::store next to the state file)
//! ```
//!
//! - **Answers like Conductor.** Paths, status codes, `ErrorResponse` bodies and messages follow
//!   the conductor-oss controllers ([`error`], [`metadata`]); an unknown path is a 404 and a wrong
//!   method a 405 with the same body shape.
//! - **One validator.** Registration runs the compiler's checks of the imported definition
//!   (`wfc_compiler::registration`), so `wfc serve` refuses what `wfc check` says Conductor would.
//! - **Durable.** Every acknowledged write is committed to the state file first ([`store`]).

pub mod auth;
pub mod error;
pub mod executions;
pub mod metadata;
pub mod projection;
pub mod queue;
pub mod store;
pub mod tasks;
pub mod workflows;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;
use tokio::net::TcpListener;

use self::auth::AccessKey;
use self::error::{ApiError, json_response, text_response};
use self::executions::Executions;
use self::store::Store;

/// The default state file, relative to the directory `wfc serve` runs in.
pub const DEFAULT_STATE_FILE: &str = ".wfc/serve.sqlite3";

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    /// `--auth KEY:SECRET`; `None`: every call is allowed, `/api/token` does not exist (OSS).
    pub access: Option<AccessKey>,
    pub executions: Arc<Executions>,
}

/// The directory of the run histories next to a state file (`.wfc/serve.sqlite3` →
/// `.wfc/serve.runs/`).
pub fn runs_directory(state_file: &Path) -> PathBuf {
    state_file.with_extension("runs")
}

impl AppState {
    /// Opens the state file and the run store next to it. Call [`Executions::resume_interrupted`]
    /// on a tokio runtime afterwards to resume what was running.
    pub fn open(state_file: &Path, access: Option<AccessKey>) -> Result<AppState, String> {
        let store = Store::open(state_file).map_err(|error| error.to_string())?;
        let executions = Executions::open(&runs_directory(state_file))?;
        Ok(AppState {
            store,
            access,
            executions: Arc::new(executions),
        })
    }
}

/// The routes of the API.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/health", get(health))
        .route("/api/version", get(version))
        .route("/api/token", post(auth::token))
        .route(
            "/api/metadata/taskdefs",
            get(metadata::task_defs)
                .post(metadata::register_task_defs)
                .put(metadata::update_task_def),
        )
        .route(
            "/api/metadata/taskdefs/{tasktype}",
            get(metadata::task_def).delete(metadata::delete_task_def),
        )
        .route(
            "/api/metadata/workflow",
            get(metadata::workflow_defs)
                .post(metadata::create_workflow_def)
                .put(metadata::update_workflow_defs),
        )
        .route(
            "/api/metadata/workflow/validate",
            post(metadata::validate_workflow_def),
        )
        .route(
            "/api/metadata/workflow/names",
            get(metadata::workflow_names),
        )
        .route(
            "/api/metadata/workflow/names-and-versions",
            get(metadata::workflow_names_and_versions),
        )
        .route(
            "/api/metadata/workflow/latest-versions",
            get(metadata::latest_workflow_defs),
        )
        .route("/api/metadata/workflow/{name}", get(metadata::workflow_def))
        .route(
            "/api/metadata/workflow/{name}/versions",
            get(metadata::workflow_versions),
        )
        .route(
            "/api/metadata/workflow/{name}/{version}",
            axum::routing::delete(metadata::delete_workflow_def),
        )
        .route("/api/workflow", post(workflows::start))
        .route("/api/workflow/test", post(workflows::test))
        .route(
            "/api/workflow/{id}",
            get(workflows::workflow)
                .delete(workflows::terminate)
                .post(workflows::start_by_name),
        )
        .route("/api/workflow/{id}/pause", put(workflows::pause))
        .route("/api/workflow/{id}/resume", put(workflows::resume))
        .route("/api/workflow/{id}/retry", post(workflows::retry))
        .route("/api/tasks", post(tasks::update))
        .route("/api/tasks/poll/{tasktype}", get(tasks::poll))
        .route("/api/tasks/poll/batch/{tasktype}", get(tasks::batch_poll))
        .route("/api/tasks/queue/size", get(tasks::queue_size))
        .route("/api/tasks/{taskid}", get(tasks::task))
        .route(
            "/api/tasks/{workflowid}/{reference}/{status}",
            post(tasks::complete_by_reference),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn health() -> Response {
    json_response(StatusCode::OK, &json!({"healthy": true, "status": "UP"}))
}

async fn version() -> Response {
    text_response(
        StatusCode::OK,
        concat!("wfc-serve ", env!("CARGO_PKG_VERSION")),
    )
}

/// Spring's answer to an unknown path (`NoResourceFoundException` → 404).
async fn not_found(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    ApiError::not_found(format!("No static resource {path}.")).into_response()
}

/// Spring's answer to a known path with another method (405).
async fn method_not_allowed(method: Method) -> Response {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!("Request method '{method}' is not supported"),
        retryable: false,
        validation_errors: Vec::new(),
        error: None,
    }
    .into_response()
}
