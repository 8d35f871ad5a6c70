//! `wfc serve [--port N] [--state FILE] [--auth KEY:SECRET]`: run the local Conductor-compatible
//! server of `wfc_conductor::server` on 127.0.0.1 until Ctrl-C or SIGTERM.
//!
//! State: the definitions in the SQLite file `--state`, the run histories in the directory next
//! to it (`.wfc/serve.runs/`); runs that were going when the server stopped are resumed before
//! it listens.
//!
//! The address goes to stderr as `listening on http://127.0.0.1:PORT` once the port is bound, so
//! that scripts and tests starting it with `--port 0` can read where it is. The secret of
//! `--auth` is never printed.

use std::sync::Arc;
use std::time::Duration;

use wfc_compiler::lower::parse_duration_ms;
use wfc_conductor::client::Secret;
use wfc_conductor::server::auth::AccessKey;
use wfc_conductor::server::{self, AppState};

use crate::cli::ServeArgs;
use crate::files::display;
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

pub fn run(args: &ServeArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let access = match &args.auth {
        None => None,
        Some(auth) => Some(access_key(auth, &args.token_lifetime)?),
    };
    let state = Arc::new(AppState::open(&args.state, access).map_err(|error| {
        Failure::new(format!(
            "cannot use the state file `{}`: {error}",
            display(&args.state)
        ))
    })?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::new(format!("cannot start the server: {error}")))?;
    runtime.block_on(async {
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| Failure::new(format!("cannot listen on {address}: {error}")))?;
        let bound = listener
            .local_addr()
            .map_err(|error| Failure::new(format!("cannot listen on {address}: {error}")))?;
        // Runs that were going when the server last stopped go on, before anyone can poll.
        for problem in state.executions.resume_interrupted().await {
            terminal.warning(&format!("not resumed: {problem}"));
        }
        output::note(&format!(
            "listening on http://{bound} (Conductor API at http://{bound}/api; state in `{}`{})",
            display(&args.state),
            if state.access.is_some() {
                "; tokens required"
            } else {
                ""
            }
        ));
        let served = server::serve(listener, Arc::clone(&state), shutdown_signal())
            .await
            .map_err(|error| Failure::new(format!("the server stopped: {error}")));
        // Running workflows stay RUNNING in the store; the next `wfc serve` resumes them.
        state.executions.stop_all().await;
        served
    })?;
    output::note("stopped");
    Ok(Exit::Clean)
}

/// `KEY:SECRET` (split at the first `:`) and the token lifetime.
fn access_key(auth: &str, lifetime: &str) -> Result<AccessKey, Failure> {
    let Some((key_id, secret)) = auth.split_once(':') else {
        return Err(Failure::new(
            "`--auth` takes KEY:SECRET (an access key id and its secret, separated by `:`)",
        ));
    };
    if key_id.is_empty() || secret.is_empty() {
        return Err(Failure::new(
            "`--auth` takes KEY:SECRET with neither part empty",
        ));
    }
    let Some(milliseconds) = parse_duration_ms(lifetime).filter(|milliseconds| *milliseconds > 0)
    else {
        return Err(Failure::new(format!(
            "`--token-lifetime {lifetime}` is not a duration such as `45m`, `2h` or `30s`"
        )));
    };
    Ok(AccessKey {
        key_id: key_id.to_string(),
        secret: Secret::new(secret),
        token_lifetime: Duration::from_millis(milliseconds),
    })
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
