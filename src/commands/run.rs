//! `wfc run FILE`: run a workflow locally with the bundled runtime (docs/run.md).
//!
//! 1. The definitions: a `.wf.yaml` is analysed with its project and compiled in memory (its
//!    errors render like `wfc check`'s, exit 2); Conductor JSON is read as WorkflowDefs and
//!    TaskDefs (with `--defs`). With `--resume RUN`, the definitions, input and options are the
//!    ones the run's history recorded.
//! 2. The workers, asked in this order: the mock file (checked against the definitions and the
//!    declared types first, errors exit 2), the command workers (`[run.workers]` of wfc.toml and
//!    `--workers FILE`), the stubs (`--stub`). Every worker task none of them answers is named
//!    in one error before anything runs (exit 2).
//! 3. The run is recorded in the store (`--runs-dir`), drawn by [`crate::progress`] while it
//!    goes, and completions asked for by `wfc complete` are applied as they come.
//! 4. A summary (status, simulated time, run id), the execution as JSON with `--json`; exit 0
//!    when the workflow COMPLETED, 1 when it FAILED, TERMINATED or TIMED_OUT (or stopped
//!    waiting), 2 for usage and compile errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use wfc_compiler::config::{CommandWorker, Config, WorkerCommand};
use wfc_compiler::diagnostic::{Diagnostic, Severity};
use wfc_compiler::project::Analysis;
use wfc_compiler::render;
use wfc_compiler::source::SourceDb;
use wfc_runtime::clock::{ClockMode, epoch_milliseconds_now};
use wfc_runtime::command::{CommandLine, CommandSpec, CommandWorkers, DEFAULT_TIMEOUT};
use wfc_runtime::engine::{Definitions, Engine, InjectedFailure, RunOptions, StartRequest};
use wfc_runtime::event::{Event, Recorder};
use wfc_runtime::execution::WorkflowStatus;
use wfc_runtime::mocks::{Layered, Mocks, Stubs};
use wfc_runtime::store::{NewRun, RecordedRun, RunRecorder, Store};
use wfc_runtime::worker::Workers;

use crate::cli::RunArgs;
use crate::commands::runs;
use crate::files::{describe, display};
use crate::load;
use crate::output::{self, Terminal};
use crate::progress::{self, Progress};
use crate::{Exit, Failure};

/// How often a running `wfc run` looks for completions asked for by `wfc complete`.
pub const COMPLETION_POLL: Duration = Duration::from_millis(150);

/// The workflows and task definitions of a run, and what they were read from.
struct Prepared {
    /// The root workflow first.
    definitions: Vec<Value>,
    task_defs: Vec<Value>,
    request: StartRequest,
    /// The analysed project of a `.wf.yaml` run (declared types for the mock check and stubs).
    analysis: Option<Analysis>,
    config: Config,
    /// The configuration file, when there is one.
    config_path: Option<PathBuf>,
    /// The directory of wfc.toml (else the current directory): commands run there, and
    /// `runs_dir` is relative to it.
    root: PathBuf,
    source: String,
}

/// What a run needs to be continued, kept with it in the store.
#[derive(Debug, Default)]
struct Settings {
    mocks: Option<PathBuf>,
    workers: Option<PathBuf>,
    config: Option<PathBuf>,
    root: PathBuf,
    stub: bool,
    stub_samples: (BTreeMap<String, Value>, BTreeMap<String, Value>),
}

impl Settings {
    fn to_json(&self) -> Value {
        let path = |path: &Option<PathBuf>| {
            path.as_ref().map_or(Value::Null, |path| {
                Value::String(path.to_string_lossy().into_owned())
            })
        };
        json!({
            "mocks": path(&self.mocks),
            "workers": path(&self.workers),
            "config": path(&self.config),
            "root": self.root.to_string_lossy(),
            "stub": self.stub,
            "stub_by_reference": self.stub_samples.0,
            "stub_by_task_name": self.stub_samples.1,
        })
    }

    fn from_json(value: &Value) -> Settings {
        let path = |key: &str| value.get(key).and_then(Value::as_str).map(PathBuf::from);
        let samples = |key: &str| -> BTreeMap<String, Value> {
            value
                .get(key)
                .and_then(Value::as_object)
                .map(|object| object.clone().into_iter().collect())
                .unwrap_or_default()
        };
        Settings {
            mocks: path("mocks"),
            workers: path("workers"),
            config: path("config"),
            root: path("root").unwrap_or_else(|| PathBuf::from(".")),
            stub: value.get("stub").and_then(Value::as_bool).unwrap_or(false),
            stub_samples: (samples("stub_by_reference"), samples("stub_by_task_name")),
        }
    }
}

pub fn run(args: &RunArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    if let Some(run_id) = &args.resume {
        return resume(args, run_id, terminal);
    }
    let Some(file) = &args.file else {
        return Err(Failure::new(
            "give the workflow file to run (or `--resume RUN`)",
        ));
    };
    let failures = parse_failures(&args.failures)?;
    let prepared = if is_json(file) {
        prepare_json(file, args)?
    } else {
        match prepare_yaml(file, args, terminal)? {
            Some(prepared) => prepared,
            None => return Ok(Exit::Failure),
        }
    };
    let mut prepared = prepared;
    let options = load::render_options(terminal, false);

    // Workers: mocks, commands, stubs.
    let mut settings = Settings {
        mocks: args.mocks.as_deref().map(absolute),
        workers: args.workers.as_deref().map(absolute),
        config: prepared.config_path.clone(),
        root: prepared.root.clone(),
        stub: args.stub,
        ..Settings::default()
    };
    let mocks = match &args.mocks {
        Some(path) => match check_mocks(path, &mut prepared, &options, terminal)? {
            Some(mocks) => Some(mocks),
            None => return Ok(Exit::Failure),
        },
        None => None,
    };
    let Some(commands) = command_workers(
        &prepared.config,
        args.workers.as_deref(),
        &prepared.root,
        &options,
    )?
    else {
        return Ok(Exit::Failure);
    };
    if args.stub {
        settings.stub_samples = match &prepared.analysis {
            Some(analysis) => {
                let stubs = wfc_compiler::mocks::stub_outputs(analysis);
                (stubs.by_reference, stubs.by_task_name)
            }
            None => Default::default(),
        };
    }
    let stubs = args.stub.then(|| {
        Stubs::new(
            &prepared.definitions,
            &prepared.task_defs,
            settings.stub_samples.0.clone(),
            settings.stub_samples.1.clone(),
        )
    });

    // The input: --input, --input-file, the test request's, or none.
    let input = match (&args.input, &args.input_file) {
        (Some(text), _) => parse_input(text, "--input")?,
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                Failure::new(format!(
                    "cannot read `{}`: {}",
                    display(path),
                    describe(&error)
                ))
            })?;
            parse_input(&text, &display(path))?
        }
        (None, None) => mocks
            .as_ref()
            .and_then(|mocks| mocks.input().cloned())
            .unwrap_or_default(),
    };
    prepared.request.input = input;

    let clock = if args.real_time {
        ClockMode::RealTime
    } else {
        ClockMode::Virtual
    };
    let started_at = epoch_milliseconds_now();
    let run_options = RunOptions {
        clock,
        failures,
        seed: args.seed,
        start_time: Some(started_at),
        ..RunOptions::default()
    };
    let workers = layered(mocks, commands, stubs);
    let definitions = definitions_of(&prepared.definitions, &prepared.task_defs)?;
    let missing = Engine::new(
        Arc::clone(&definitions),
        Arc::clone(&workers),
        Arc::new(wfc_runtime::event::DiscardingRecorder),
        RunOptions::default(),
    )
    .missing_workers(&prepared.request);
    if !missing.is_empty() {
        report_missing_workers(&missing, terminal);
        return Ok(Exit::Failure);
    }

    let store = open_store(args.runs_dir.as_deref(), &prepared.config, &prepared.root)?;
    let new_run = NewRun {
        workflow: prepared.request.name.clone(),
        version: prepared.request.version,
        started_at,
        source: Some(prepared.source.clone()),
        clock: clock_name(clock).to_string(),
        settings: settings.to_json(),
    };
    let (record, recorder) = store.create_run(&new_run).map_err(store_failure)?;
    let run_options = RunOptions {
        run_id: record.id.clone(),
        ..run_options
    };
    if !args.quiet {
        output::note(&format!(
            "run {}: {}{} ({} clock)",
            record.id,
            prepared.request.name,
            prepared
                .request
                .version
                .map_or_else(String::new, |version| format!(" v{version}")),
            clock_label(clock)
        ));
    }
    execute(
        Execution {
            store,
            run_id: record.id,
            recorder,
            definitions,
            workers,
            options: run_options,
            request: prepared.request,
            started_at,
            json: args.json,
            quiet: args.quiet,
        },
        terminal,
    )
}

/// Everything one execution needs.
struct Execution {
    store: Store,
    run_id: String,
    recorder: RunRecorder,
    definitions: Arc<Definitions>,
    workers: Arc<dyn Workers>,
    options: RunOptions,
    request: StartRequest,
    started_at: i64,
    json: bool,
    quiet: bool,
}

/// Records every event, and shows it.
struct Observed {
    recorder: RunRecorder,
    progress: progress::Sender,
}

impl Recorder for Observed {
    fn record(&self, event: &Event) {
        self.recorder.record(event);
        self.progress.send(event);
    }
}

/// Runs the engine with the view and the completion poller, then reports.
fn execute(execution: Execution, terminal: &Terminal) -> Result<Exit, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::new(format!("cannot start the runtime: {error}")))?;
    let Execution {
        store,
        run_id,
        recorder,
        definitions,
        workers,
        options,
        request,
        started_at,
        json,
        quiet,
    } = execution;
    let store = Arc::new(store);
    let mode = progress::Mode::detect(quiet, terminal.stderr_color);
    let mut view = Progress::start(mode, &run_id, started_at);
    let observed = Arc::new(Observed {
        recorder,
        progress: view.sender(),
    });
    let engine = Engine::new(
        definitions,
        workers,
        Arc::clone(&observed) as Arc<dyn Recorder>,
        options,
    );
    let outcome = runtime.block_on(async {
        let (handle, join) = engine.start(request);
        view.set_handle(handle.clone());
        let poller_store = Arc::clone(&store);
        let poller_run = run_id.clone();
        let poller = tokio::spawn(async move {
            loop {
                tokio::time::sleep(COMPLETION_POLL).await;
                let Ok(requests) = poller_store.take_completions(&poller_run) else {
                    continue;
                };
                for request in requests {
                    let outcome =
                        handle.complete_task(&request.reference, request.status, request.output);
                    let _ = poller_store.settle_completion(request.id, outcome);
                }
            }
        });
        let outcome = join.await;
        poller.abort();
        outcome
    });
    view.finish();
    let outcome =
        outcome.map_err(|error| Failure::new(format!("the run failed unexpectedly: {error}")))?;
    if let Some(problem) = observed.recorder.failure() {
        terminal.warning(&format!("the run's history is incomplete: {problem}"));
    }
    let workflow = &outcome.workflow;
    let reason = match (&outcome.stalled, &workflow.reason_for_incompletion) {
        (Some(stalled), _) => Some(stalled.clone()),
        (None, reason) => reason.clone(),
    };
    store
        .finish_run(
            &run_id,
            workflow.status,
            reason.as_deref(),
            outcome.simulated_elapsed,
            outcome.real_elapsed,
        )
        .map_err(store_failure)?;
    if json {
        output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(workflow).unwrap_or_default()
        ));
    }
    let elapsed = progress::human_duration(
        i64::try_from(outcome.simulated_elapsed.as_millis()).unwrap_or(i64::MAX),
    );
    let time = match store.run(&run_id).map(|record| record.clock) {
        Ok(clock) if clock == clock_name(ClockMode::RealTime) => format!("in {elapsed}"),
        _ => format!("in {elapsed} of simulated time"),
    };
    output::note(&format!(
        "{} {time} · run {run_id}",
        workflow.status.as_str()
    ));
    if let Some(reason) = &reason {
        if outcome.stalled.is_some() {
            terminal.error(&format!("the run stopped: {reason}"));
        } else if !workflow.status.is_successful() {
            output::note(&format!("reason: {reason}"));
        }
    }
    Ok(
        if workflow.status == WorkflowStatus::Completed && outcome.stalled.is_none() {
            Exit::Clean
        } else {
            Exit::Problems
        },
    )
}

/// `--resume RUN`: continues an interrupted run from its history.
fn resume(args: &RunArgs, run_id: &str, terminal: &Terminal) -> Result<Exit, Failure> {
    if args.file.is_some()
        || args.input.is_some()
        || args.input_file.is_some()
        || !args.failures.is_empty()
        || args.real_time
        || !args.defs.is_empty()
        || args.workflow.is_some()
    {
        return Err(Failure::new(
            "`--resume` continues a run as it was started: give only the run (and, to replace the recorded ones, --mocks, --workers or --stub)",
        ));
    }
    let (config, config_path, root) = runs::load_config(args.config.as_deref(), terminal)?;
    let store = open_store(args.runs_dir.as_deref(), &config, &root)?;
    let record = runs::find_run(&store, run_id)?;
    if record.status != WorkflowStatus::Running.as_str() {
        return Err(Failure::new(format!(
            "run {run_id} has already ended ({}); nothing to resume",
            record.status
        )));
    }
    if record.interrupted() == Some(false) {
        return Err(Failure::new(format!(
            "run {run_id} is still running (process {})",
            record.pid.unwrap_or_default()
        )));
    }
    let (record, history, recorder) = store.resume_run(run_id).map_err(store_failure)?;
    if history.torn_tail.is_some() && !args.quiet {
        output::note(
            "the history's last line was cut off when the run was interrupted; it is dropped",
        );
    }
    let recorded = RecordedRun::from_history(&history)
        .map_err(|problem| Failure::new(format!("cannot resume run {run_id}: {problem}")))?;
    let mut settings = Settings::from_json(&record.settings);
    if args.mocks.is_some() {
        settings.mocks = args.mocks.as_deref().map(absolute);
    }
    if args.workers.is_some() {
        settings.workers = args.workers.as_deref().map(absolute);
    }
    settings.stub |= args.stub;
    let options = load::render_options(terminal, false);

    let mut prepared = Prepared {
        definitions: recorded.definitions.clone(),
        task_defs: recorded.task_defs.clone(),
        request: recorded.request.clone(),
        analysis: None,
        config: config.clone(),
        config_path: config_path.clone(),
        root: settings.root.clone(),
        source: record.source.clone().unwrap_or_default(),
    };
    let mocks = match &settings.mocks {
        Some(path) => match check_mocks(path, &mut prepared, &options, terminal)? {
            Some(mocks) => {
                let merged = wfc_runtime::store::merged_results(&history);
                let keys = merged
                    .iter()
                    .flat_map(|(key, results)| std::iter::repeat_n(key, results.len()));
                mocks.advance_past(keys, &recorded.options.failures);
                Some(mocks)
            }
            None => return Ok(Exit::Failure),
        },
        None => None,
    };
    // The commands of the configuration the run was started with.
    let run_config = match &settings.config {
        Some(path) if Some(path) != config_path.as_ref() => {
            runs::load_config(Some(path), terminal)?.0
        }
        _ => config,
    };
    let Some(commands) = command_workers(
        &run_config,
        settings.workers.as_deref(),
        &settings.root,
        &options,
    )?
    else {
        return Ok(Exit::Failure);
    };
    let stubs = settings.stub.then(|| {
        Stubs::new(
            &prepared.definitions,
            &prepared.task_defs,
            settings.stub_samples.0.clone(),
            settings.stub_samples.1.clone(),
        )
    });
    let workers = layered(mocks, commands, stubs);
    let definitions = definitions_of(&prepared.definitions, &prepared.task_defs)?;
    let results = wfc_runtime::store::recorded_results(&history);
    if !args.quiet {
        output::note(&format!(
            "resuming run {run_id}: {} ({} recorded results)",
            recorded.request.name,
            results.len()
        ));
    }
    let started_at = recorded.options.start_time.unwrap_or(record.started_at);
    let options = RunOptions {
        recorded: results,
        ..recorded.options
    };
    execute(
        Execution {
            store,
            run_id: run_id.to_string(),
            recorder,
            definitions,
            workers,
            options,
            request: recorded.request,
            started_at,
            json: args.json,
            quiet: args.quiet,
        },
        terminal,
    )
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"))
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn clock_name(clock: ClockMode) -> &'static str {
    match clock {
        ClockMode::Virtual => "virtual",
        ClockMode::RealTime => "real_time",
    }
}

fn clock_label(clock: ClockMode) -> &'static str {
    match clock {
        ClockMode::Virtual => "virtual",
        ClockMode::RealTime => "real",
    }
}

pub fn store_failure(error: wfc_runtime::store::StoreError) -> Failure {
    Failure::new(error.to_string())
}

/// Opens the runs directory: `--runs-dir`, else `runs_dir` of wfc.toml (relative to it), else
/// `.wfc/runs` beside wfc.toml (or in the current directory).
pub fn open_store(runs_dir: Option<&Path>, config: &Config, root: &Path) -> Result<Store, Failure> {
    let directory = match (runs_dir, &config.run.runs_dir) {
        (Some(directory), _) => directory.to_path_buf(),
        (None, Some(directory)) => root.join(directory),
        (None, None) => root.join(wfc_runtime::store::DEFAULT_RUNS_DIR),
    };
    Store::open(&directory).map_err(|error| {
        Failure::new(format!(
            "cannot open the runs directory `{}`: {error}",
            display(&directory)
        ))
    })
}

/// `--fail REF[:N]`.
fn parse_failures(values: &[String]) -> Result<Vec<InjectedFailure>, Failure> {
    values
        .iter()
        .map(|value| {
            let (reference, attempt) = match value.rsplit_once(':') {
                Some((reference, attempt)) => match attempt.parse::<u32>() {
                    Ok(attempt) if attempt >= 1 => (reference, Some(attempt)),
                    _ => {
                        return Err(Failure::new(format!(
                            "--fail {value}: the attempt is a number from 1 (`--fail {reference}:1` fails the first attempt)"
                        )));
                    }
                },
                None => (value.as_str(), None),
            };
            if reference.trim().is_empty() {
                return Err(Failure::new(format!("--fail {value}: name a task reference")));
            }
            Ok(InjectedFailure {
                reference: reference.to_string(),
                attempt,
            })
        })
        .collect()
}

fn parse_input(text: &str, origin: &str) -> Result<Map<String, Value>, Failure> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(input)) => Ok(input),
        Ok(_) => Err(Failure::new(format!(
            "{origin}: the workflow input is a JSON object, e.g. '{{\"order_id\": \"A-1\"}}'"
        ))),
        Err(error) => Err(Failure::new(format!("{origin}: invalid JSON: {error}"))),
    }
}

/// Analyses and compiles a `.wf.yaml` with its project. `None`: it has errors (rendered).
fn prepare_yaml(
    file: &Path,
    args: &RunArgs,
    terminal: &Terminal,
) -> Result<Option<Prepared>, Failure> {
    let one = match load::load_one_workflow(file, args.config.as_deref(), terminal)? {
        Ok(one) => one,
        Err(_) => return Ok(None),
    };
    if !args.defs.is_empty() {
        return Err(Failure::new(
            "`--defs` adds Conductor JSON to a JSON run; a `.wf.yaml` finds its sub-workflows in its project",
        ));
    }
    let workflow = &one.analysis.workflows[one.index];
    let name = workflow
        .name
        .as_ref()
        .map(|name| name.value.clone())
        .unwrap_or_default();
    if let Some(wanted) = &args.workflow
        && *wanted != name
    {
        return Err(Failure::new(format!(
            "`{}` defines the workflow `{name}`, not `{wanted}`",
            display(file)
        )));
    }
    let compiled = wfc_compiler::emit::compile(&one.analysis)
        .map_err(|problems| Failure::new(problems.join("\n")))?;
    let file_id = workflow.file;
    let mut definitions: Vec<Value> = Vec::with_capacity(compiled.workflows.len());
    let mut root_version = None;
    if let Some(root) = compiled
        .workflows
        .iter()
        .find(|compiled| compiled.file == file_id && compiled.name == name)
    {
        root_version = Some(root.version);
        definitions.push(root.definition.clone());
    }
    definitions.extend(
        compiled
            .workflows
            .iter()
            .filter(|compiled| !(compiled.file == file_id && compiled.name == name))
            .map(|compiled| compiled.definition.clone()),
    );
    let config_path = match &args.config {
        Some(path) => Some(absolute(path)),
        None => crate::files::find_config(file),
    };
    let request = StartRequest {
        name,
        version: root_version,
        input: Map::new(),
        correlation_id: None,
    };
    Ok(Some(Prepared {
        definitions,
        task_defs: compiled.task_defs,
        request,
        analysis: Some(one.analysis),
        config: one.config,
        config_path,
        root: absolute(&one.root),
        source: display(file),
    }))
}

/// Reads Conductor JSON: FILE and `--defs`.
fn prepare_json(file: &Path, args: &RunArgs) -> Result<Prepared, Failure> {
    let mut workflows = Vec::new();
    let mut task_defs = Vec::new();
    let value = read_json(file)?;
    collect_definitions(&value, &mut workflows, &mut task_defs);
    let own_workflows = workflows.len();
    for path in &args.defs {
        let files = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|error| {
                    Failure::new(format!(
                        "cannot read `{}`: {}",
                        display(path),
                        describe(&error)
                    ))
                })?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| is_json(path))
                .collect();
            files.sort();
            files
        } else {
            vec![path.clone()]
        };
        for defs_file in files {
            collect_definitions(&read_json(&defs_file)?, &mut workflows, &mut task_defs);
        }
    }
    let name_of = |definition: &Value| {
        definition
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let root_index = match &args.workflow {
        Some(wanted) => workflows
            .iter()
            .position(|definition| name_of(definition) == *wanted)
            .ok_or_else(|| {
                let names: Vec<String> = workflows.iter().map(name_of).collect();
                Failure::new(format!(
                    "no workflow `{wanted}` in `{}` or --defs; found {}",
                    display(file),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ))
            })?,
        None if own_workflows == 1 => 0,
        None if own_workflows == 0 => {
            return Err(Failure::new(format!(
                "`{}` holds no WorkflowDef (an object with `name` and `tasks`)",
                display(file)
            )));
        }
        None => {
            let names: Vec<String> = workflows[..own_workflows].iter().map(name_of).collect();
            return Err(Failure::new(format!(
                "`{}` holds several workflows ({}); choose one with --workflow NAME",
                display(file),
                names.join(", ")
            )));
        }
    };
    let root = workflows.remove(root_index);
    let request = StartRequest {
        name: name_of(&root),
        version: root.get("version").and_then(Value::as_i64),
        input: Map::new(),
        correlation_id: None,
    };
    let mut definitions = vec![root];
    definitions.extend(workflows);
    let config_path = match &args.config {
        Some(path) => Some(absolute(path)),
        None => crate::files::find_config(file),
    };
    let (config, root_directory) = match &config_path {
        Some(path) => {
            let (config, _) = runs::parse_config_file(path)?;
            (
                config,
                path.parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            )
        }
        None => (
            Config::default(),
            std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        ),
    };
    Ok(Prepared {
        definitions,
        task_defs,
        request,
        analysis: None,
        config,
        config_path,
        root: root_directory,
        source: display(file),
    })
}

fn read_json(path: &Path) -> Result<Value, Failure> {
    let bytes = std::fs::read(path).map_err(|error| {
        Failure::new(format!(
            "cannot read `{}`: {}",
            display(path),
            describe(&error)
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|error| {
        let message = error.to_string();
        let reason = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(reason, _)| reason);
        Failure::new(format!(
            "{}:{}:{}: invalid JSON: {reason}",
            display(path),
            error.line(),
            error.column()
        ))
    })
}

/// Sorts Conductor JSON into WorkflowDefs (objects with `tasks`) and TaskDefs (other named
/// objects), through lists and a test request's `workflowDef`.
fn collect_definitions(value: &Value, workflows: &mut Vec<Value>, task_defs: &mut Vec<Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                collect_definitions(item, workflows, task_defs);
            }
        }
        Value::Object(object) => {
            if let Some(definition) = object.get("workflowDef") {
                collect_definitions(definition, workflows, task_defs);
            } else if object.get("tasks").is_some_and(Value::is_array) {
                workflows.push(value.clone());
            } else if object.get("name").is_some_and(Value::is_string) {
                task_defs.push(value.clone());
            }
        }
        _ => {}
    }
}

fn definitions_of(workflows: &[Value], task_defs: &[Value]) -> Result<Arc<Definitions>, Failure> {
    let mut definitions = Definitions::new();
    for workflow in workflows {
        definitions.add_workflow(workflow).map_err(|problem| {
            let name = workflow.get("name").and_then(Value::as_str).unwrap_or("?");
            Failure::new(format!("workflow `{name}`: {problem}"))
        })?;
    }
    for task_def in task_defs {
        definitions.add_task_def(task_def).map_err(|problem| {
            let name = task_def.get("name").and_then(Value::as_str).unwrap_or("?");
            Failure::new(format!("task definition `{name}`: {problem}"))
        })?;
    }
    Ok(Arc::new(definitions))
}

/// Reads and checks the mock file; its problems render like `wfc check`'s. `None` when it has
/// errors.
fn check_mocks(
    path: &Path,
    prepared: &mut Prepared,
    options: &render::Options,
    terminal: &Terminal,
) -> Result<Option<Mocks>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Failure::new(format!(
            "cannot read `{}`: {}",
            display(path),
            describe(&error)
        ))
    })?;
    let mut own_sources = SourceDb::new();
    let (sources, file) = match &mut prepared.analysis {
        Some(analysis) => {
            let file = analysis.sources.add(display(path), text.as_str());
            (None, file)
        }
        None => {
            let file = own_sources.add(display(path), text.as_str());
            (Some(&own_sources), file)
        }
    };
    let project = wfc_compiler::mocks::Project {
        definitions: &prepared.definitions,
        analysis: prepared.analysis.as_ref(),
    };
    let checked = wfc_compiler::mocks::check(file, &text, &project, &prepared.config);
    let sources = sources.unwrap_or_else(|| {
        prepared
            .analysis
            .as_ref()
            .map_or(&own_sources, |analysis| &analysis.sources)
    });
    let errors = checked
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .count();
    if !checked.diagnostics.is_empty() {
        let shown: Vec<Diagnostic> = checked.diagnostics.clone();
        eprint_rendered(&render::render(
            render::Format::Human,
            sources,
            &shown,
            options,
        ));
    }
    if errors > 0 {
        terminal.error(&format!("`{}` has errors; nothing was run", display(path)));
        return Ok(None);
    }
    let Some(document) = checked.document else {
        return Ok(None);
    };
    Mocks::from_json(&document)
        .map(Some)
        .map_err(|problem| Failure::new(format!("{}: {problem}", display(path))))
}

/// Diagnostics go to stderr in `wfc run`: stdout is the execution's JSON.
fn eprint_rendered(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The command workers of `[run.workers]` and `--workers FILE` (which wins by name). `None`
/// when the file has mistakes (rendered).
fn command_workers(
    config: &Config,
    workers_file: Option<&Path>,
    root: &Path,
    options: &render::Options,
) -> Result<Option<CommandWorkers>, Failure> {
    let mut entries: Vec<(CommandWorker, PathBuf)> = config
        .run
        .workers
        .iter()
        .map(|worker| (worker.clone(), root.to_path_buf()))
        .collect();
    if let Some(path) = workers_file {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Failure::new(format!(
                "cannot read `{}`: {}",
                display(path),
                describe(&error)
            ))
        })?;
        let mut sources = SourceDb::new();
        let file = sources.add(display(path), text.as_str());
        let (workers, problems) = Config::parse_workers(file, &text);
        if !problems.is_empty() {
            eprint_rendered(&render::render(
                render::Format::Human,
                &sources,
                &problems,
                options,
            ));
            return Ok(None);
        }
        let directory = absolute(path)
            .parent()
            .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
        for worker in workers {
            entries.retain(|(existing, _)| existing.name != worker.name);
            entries.push((worker, directory.clone()));
        }
    }
    Ok(Some(CommandWorkers::new(entries.into_iter().map(
        |(worker, directory)| {
            let command = match worker.command {
                WorkerCommand::Shell(line) => CommandLine::Shell(line),
                WorkerCommand::Arguments(arguments) => CommandLine::Arguments(arguments),
            };
            (
                worker.name,
                CommandSpec {
                    command,
                    timeout: worker
                        .timeout_ms
                        .map_or(DEFAULT_TIMEOUT, Duration::from_millis),
                    directory,
                },
            )
        },
    ))))
}

fn layered(
    mocks: Option<Mocks>,
    commands: CommandWorkers,
    stubs: Option<Stubs>,
) -> Arc<dyn Workers> {
    let mut layers: Vec<Arc<dyn Workers>> = Vec::new();
    if let Some(mocks) = mocks {
        layers.push(Arc::new(mocks));
    }
    if !commands.is_empty() {
        layers.push(Arc::new(commands));
    }
    if let Some(stubs) = stubs {
        layers.push(Arc::new(stubs));
    }
    Arc::new(Layered::new(layers))
}

fn report_missing_workers(missing: &[String], terminal: &Terminal) {
    let count = missing.len();
    let mut message = if count == 1 {
        "1 task needs a worker and has no mock, command or stub:".to_string()
    } else {
        format!("{count} tasks need a worker and have no mock, command or stub:")
    };
    for task in missing {
        message.push_str("\n  ");
        message.push_str(task);
    }
    terminal.error(&message);
    output::note(
        "help: give them results with --mocks FILE, commands in [run.workers] of wfc.toml (or --workers FILE), or fill them from their declared types with --stub; a sub-workflow or START_WORKFLOW of another project takes a mock",
    );
}
