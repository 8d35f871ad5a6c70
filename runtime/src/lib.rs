//! The bundled runtime: executes **compiled Conductor WorkflowDef JSON** (exactly what `wfc
//! deploy` would register, never YAML) locally, with Conductor's semantics (FORMAT.md §B.5, §D,
//! §E, §F). `wfc run` uses it for dry runs; `wfc serve` (a later issue) drives the same engine
//! behind Conductor's REST API.
//!
//! # Shape
//!
//! ```text
//!  WorkflowDef/TaskDef JSON ──definition──▶ Definitions (typed, Conductor defaults applied)
//!                                               │
//!  StartRequest ──▶ engine::Engine::start ─ one decider loop owning the execution state
//!                        │  ▲                    (execution::Workflow / Task, Conductor's shapes)
//!           WorkItem ────┘  └──── WorkResult     worker::Workers: mocks, commands, stubs, recorded
//!                        │                        results (replay/resume), remote pollers (serve)
//!                        └──▶ event::Recorder    every state change, in order, before it is acted on
//! ```
//!
//! - **One decider.** A single async loop owns every execution of a run (the root workflow and its
//!   sub-workflows) and decides what to schedule next, like Conductor's `DeciderService`. Work that
//!   leaves the engine (workers, HTTP calls, scripts with limits) runs as concurrent tokio tasks
//!   that send their results back over a channel, so independent branches really run at once.
//! - **Virtual time.** Timers (retry delays, WAIT, timeouts, a mock's `executionTime`) live in the
//!   engine's own timer queue. With [`clock::ClockMode::Virtual`] (the default of `wfc run`) the
//!   clock jumps to the next deadline whenever nothing is running, so a run with an hour of retry
//!   delays finishes in milliseconds and reports the simulated elapsed time;
//!   [`clock::ClockMode::RealTime`] really waits.
//! - **Deterministic given the worker results.** Everything except worker results (and external
//!   completions of HUMAN/WAIT tasks) is computed by the engine. Results are keyed by
//!   [`event::ResultKey`] (sub-workflow path, reference name with `__N`, retry count), not by
//!   arrival order, so replaying the recorded results of a run reaches the same final state, and
//!   resuming a killed run feeds its recorded results back before any live worker is asked.
//!
//! # Modules
//!
//! - [`definition`]: serde model of WorkflowDef / WorkflowTask / TaskDef with Conductor's defaults.
//! - [`execution`]: Conductor's `Workflow` and `Task` execution shapes and status enums (§F).
//! - [`engine`]: the decider, task types, retries and timeouts.
//! - [`clock`]: virtual and real time.
//! - [`worker`]: the `Workers` trait and what a worker receives and answers.
//! - [`event`]: the run's event history, the `Recorder` trait and recorded results.
//! - [`parameters`]: `${...}` resolution (§D).
//! - [`script`]: JavaScript (QuickJS) with time and memory limits, for INLINE, LAMBDA, SWITCH and
//!   DO_WHILE.
//! - [`jq`]: JSON_JQ_TRANSFORM (jaq).
//! - [`http`]: the HTTP task (reqwest).
//! - [`store`]: durable runs: JSONL event histories and the SQLite index (`wfc runs`, resume,
//!   replay, `wfc complete`).
//! - [`mocks`]: workers answering from a `taskRefToMockOutput` file.
//! - [`command`]: workers that run a command per task (JSON on stdin and stdout).

pub mod clock;
pub mod command;
pub mod definition;
pub mod engine;
pub mod event;
pub mod execution;
pub mod http;
pub mod jq;
pub mod mocks;
pub mod parameters;
pub mod script;
pub mod store;
pub mod worker;
