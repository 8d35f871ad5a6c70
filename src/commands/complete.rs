//! `wfc complete RUN REF --output JSON [--status S]`: completes a HUMAN or WAIT task that a
//! running `wfc run` waits on. The request goes through the run store: the running process
//! takes it, completes the task through its run handle, and marks it applied or refused; this
//! command waits for that (`--wait`), and withdraws the request if no process takes it.

use std::time::{Duration, Instant};

use serde_json::Value;
use wfc_runtime::execution::WorkflowStatus;
use wfc_runtime::store::CompletionState;
use wfc_runtime::worker::WorkStatus;

use crate::cli::{CompleteArgs, CompletionStatus};
use crate::commands::run::{open_store, store_failure};
use crate::commands::runs;
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

pub fn run(args: &CompleteArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let output = match serde_json::from_str::<Value>(&args.output) {
        Ok(Value::Object(output)) => output,
        Ok(_) => {
            return Err(Failure::new(
                "--output: the task's output is a JSON object, e.g. '{\"approved\": true}'",
            ));
        }
        Err(error) => return Err(Failure::new(format!("--output: invalid JSON: {error}"))),
    };
    let status = match args.status {
        CompletionStatus::Completed => WorkStatus::Completed,
        CompletionStatus::Failed => WorkStatus::Failed,
        CompletionStatus::FailedWithTerminalError => WorkStatus::FailedWithTerminalError,
    };
    let (config, _, root) = runs::load_config(args.config.as_deref(), terminal)?;
    let store = open_store(args.runs_dir.as_deref(), &config, &root)?;
    let record = runs::find_run(&store, &args.run)?;
    if record.status != WorkflowStatus::Running.as_str() {
        terminal.error(&format!(
            "run {} has ended ({}); nothing waits",
            record.id, record.status
        ));
        return Ok(Exit::Problems);
    }
    if record.interrupted() == Some(true) {
        terminal.error(&format!(
            "run {} was interrupted (its process {} is gone); continue it with `wfc run --resume {}`, then complete the task",
            record.id,
            record.pid.unwrap_or_default(),
            record.id
        ));
        return Ok(Exit::Problems);
    }
    let waiting = store.waiting_tasks(&record.id).map_err(store_failure)?;
    let reference = args
        .reference
        .rsplit_once('/')
        .map_or(args.reference.as_str(), |(_, reference)| reference);
    if !waiting.iter().any(|task| task.reference == reference) {
        let names: Vec<String> = waiting
            .iter()
            .map(|task| format!("{} ({})", task.reference, task.task_type))
            .collect();
        terminal.error(&if names.is_empty() {
            format!("no task of run {} waits for a completion", record.id)
        } else {
            format!(
                "no task `{}` waits in run {}; waiting: {}",
                args.reference,
                record.id,
                names.join(", ")
            )
        });
        return Ok(Exit::Problems);
    }
    let request = store
        .request_completion(&record.id, &args.reference, status, &output)
        .map_err(store_failure)?;
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    loop {
        match store.completion_state(request).map_err(store_failure)? {
            CompletionState::Applied => {
                output::note(&format!(
                    "completed `{}` of run {} ({})",
                    args.reference,
                    record.id,
                    status.as_str()
                ));
                return Ok(Exit::Clean);
            }
            CompletionState::Refused(reason) => {
                terminal.error(&format!(
                    "run {} refused the completion: {reason}",
                    record.id
                ));
                return Ok(Exit::Problems);
            }
            CompletionState::Withdrawn => {
                terminal.error("the completion was withdrawn");
                return Ok(Exit::Problems);
            }
            CompletionState::Pending if Instant::now() >= deadline => {
                if store.withdraw_completion(request).map_err(store_failure)?
                    == CompletionState::Withdrawn
                {
                    terminal.error(&format!(
                        "no running `wfc run` took the completion within {}s; nothing was changed",
                        args.wait
                    ));
                    return Ok(Exit::Problems);
                }
            }
            CompletionState::Pending => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
