//! The decider loop (being built: this first version only fixes the shapes the rest of the
//! runtime codes against, and fails every run with a reason saying so).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::{Definitions, Engine, RunOutcome, StartRequest, WaitingTask};
use crate::event::Event;
use crate::execution::{Workflow, WorkflowStatus};
use crate::worker::{WorkStatus, Workers};

/// What reaches the decider from outside its loop.
#[derive(Debug)]
pub(super) enum Message {
    /// `RunHandle::complete_task`.
    Complete {
        workflow_id: String,
        task_id: String,
        status: WorkStatus,
        output: Map<String, Value>,
    },
}

pub(super) struct Run {
    engine: Engine,
    started: Instant,
    receiver: mpsc::UnboundedReceiver<Message>,
}

impl Run {
    pub(super) fn new(
        engine: Engine,
        _sender: mpsc::UnboundedSender<Message>,
        receiver: mpsc::UnboundedReceiver<Message>,
        _waiting: Arc<Mutex<Vec<WaitingTask>>>,
    ) -> Run {
        Run {
            engine,
            started: Instant::now(),
            receiver,
        }
    }

    pub(super) async fn execute(mut self, request: StartRequest) -> RunOutcome {
        let definitions = &self.engine.definitions;
        let mut sources: Vec<Value> = Vec::new();
        if let Some(root) = definitions.workflow(&request.name, request.version)
            && let Some(source) = definitions.workflow_source(&root.name, root.version)
        {
            sources.push(source.clone());
        }
        sources.extend(
            definitions
                .workflow_sources()
                .into_iter()
                .filter(|(name, version, _)| {
                    !(*name == request.name && Some(*version) == request.version)
                })
                .map(|(_, _, source)| source.clone()),
        );
        self.engine.recorder.record(&Event::RunStarted {
            run_id: self.engine.options.run_id.clone(),
            definitions: sources,
            task_defs: definitions.task_def_sources(),
            input: Value::Object(request.input.clone()),
            at: 0,
            options: self.engine.options.recorded_form(),
        });
        while let Ok(Message::Complete {
            workflow_id,
            task_id,
            status,
            output,
        }) = self.receiver.try_recv()
        {
            drop((workflow_id, task_id, status, output));
        }
        let version = self
            .engine
            .definitions
            .workflow(&request.name, request.version)
            .map_or(request.version.unwrap_or(1), |definition| {
                definition.version
            });
        RunOutcome {
            workflow: Workflow {
                workflow_id: self.engine.options.run_id.clone(),
                workflow_name: request.name,
                workflow_version: version,
                status: WorkflowStatus::Failed,
                input: request.input,
                output: Map::new(),
                tasks: Vec::new(),
                reason_for_incompletion: Some("the engine's decider is not built yet".to_owned()),
                create_time: 0,
                update_time: 0,
                start_time: 0,
                end_time: 0,
                variables: Map::new(),
                correlation_id: request.correlation_id,
                parent_workflow_id: None,
                parent_workflow_task_id: None,
                failed_reference_task_names: Vec::new(),
                failed_task_names: Vec::new(),
                priority: 0,
                last_retried_time: 0,
            },
            other_workflows: Vec::new(),
            simulated_elapsed: std::time::Duration::ZERO,
            real_elapsed: self.started.elapsed(),
            stalled: None,
        }
    }
}

pub(super) fn missing_workers(
    _definitions: &Definitions,
    _workers: &dyn Workers,
    _request: &StartRequest,
) -> Vec<String> {
    Vec::new()
}
