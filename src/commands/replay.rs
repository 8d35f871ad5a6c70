//! `wfc replay RUN`: re-executes a recorded run from the worker results its history recorded
//! (no worker, mock or command is asked; a result the history lacks is a divergence) and
//! reports whether every task and workflow ended as recorded: exit 0 when they did, 1 with the
//! first difference when not. Nothing is recorded.

use std::sync::Arc;

use wfc_runtime::engine::{Definitions, Engine, RunOptions};
use wfc_runtime::event::{MemoryRecorder, Recorder};
use wfc_runtime::mocks::Layered;
use wfc_runtime::store::{Comparison, RecordedRun, compare_final_states, read_history};

use crate::cli::ReplayArgs;
use crate::commands::run::{open_store, store_failure};
use crate::commands::runs;
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

pub fn run(args: &ReplayArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let (config, _, root) = runs::load_config(args.config.as_deref(), terminal)?;
    let store = open_store(args.runs_dir.as_deref(), &config, &root)?;
    let record = runs::find_run(&store, &args.run)?;
    let history = read_history(&record.history).map_err(store_failure)?;
    let recorded = RecordedRun::from_history(&history)
        .map_err(|problem| Failure::new(format!("cannot replay run {}: {problem}", args.run)))?;
    let mut definitions = Definitions::new();
    for workflow in &recorded.definitions {
        definitions
            .add_workflow(workflow)
            .map_err(|problem| Failure::new(format!("a recorded definition: {problem}")))?;
    }
    for task_def in &recorded.task_defs {
        definitions
            .add_task_def(task_def)
            .map_err(|problem| Failure::new(format!("a recorded task definition: {problem}")))?;
    }
    let options = RunOptions {
        recorded: wfc_runtime::store::recorded_results(&history),
        replay_only: true,
        ..recorded.options
    };
    let memory = Arc::new(MemoryRecorder::new());
    let engine = Engine::new(
        Arc::new(definitions),
        Arc::new(Layered::new(Vec::new())),
        Arc::clone(&memory) as Arc<dyn Recorder>,
        options,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::new(format!("cannot start the runtime: {error}")))?;
    let outcome = runtime
        .block_on(async {
            let (_handle, join) = engine.start(recorded.request);
            join.await
        })
        .map_err(|error| Failure::new(format!("the replay failed unexpectedly: {error}")))?;
    if args.json {
        output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&outcome.workflow).unwrap_or_default()
        ));
    }
    let status = outcome.workflow.status.as_str();
    match compare_final_states(&history.events, &memory.events()) {
        Comparison::Same { tasks } => {
            output::note(&format!(
                "replayed run {}: the same final state ({status}, {tasks} task attempts)",
                args.run
            ));
            Ok(Exit::Clean)
        }
        Comparison::SameAsFarAsRecorded { tasks } => {
            output::note(&format!(
                "replayed run {}: its {tasks} recorded task attempts ended the same; the run was interrupted there (the replay stopped {status})",
                args.run
            ));
            Ok(Exit::Clean)
        }
        Comparison::Different(difference) => {
            terminal.error(&format!(
                "the replay of run {} did not reach the recorded final state; first difference at {}:\n  recorded: {}\n  replayed: {}",
                args.run,
                difference.what,
                difference.recorded.as_deref().unwrap_or("(did not end)"),
                difference.replayed.as_deref().unwrap_or("(did not end)")
            ));
            Ok(Exit::Problems)
        }
    }
}
