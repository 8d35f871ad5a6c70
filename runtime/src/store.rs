//! Durable runs: one JSONL event history per run and an SQLite index of the runs.
//!
//! `wfc run` records every run so that it can be listed (`wfc runs`), replayed from its recorded
//! worker results (`wfc replay`), resumed after the process was killed (`wfc run --resume`), and
//! have its HUMAN/WAIT tasks completed from another process (`wfc complete`). `wfc serve` will
//! keep its executions here too, which is why this module knows nothing of the command line.
//!
//! ```text
//!  <runs dir>/                       (.wfc/runs by default)
//!    index.sqlite3                   runs, waiting tasks, requested completions (WAL)
//!    <run id>.jsonl                  the history: one event::Event per line, in decider order
//! ```
//!
//! - **The history is the truth.** [`RunRecorder::record`] writes the event's line and hands it to
//!   the operating system before it returns, so a killed process loses at most the event being
//!   written, and the decider has not acted on that one yet. A torn last line is tolerated when
//!   the history is read back ([`History::torn_tail`]) and cut off before a resumed run appends.
//!   (Lines are flushed, not fsynced: a killed process loses nothing, a power cut may.)
//! - **The index is for finding runs.** It holds what `wfc runs` shows and what two processes
//!   exchange: the tasks waiting for an external completion, and the completions other processes
//!   asked for, which the running process applies and marks ([`Store::take_completions`],
//!   [`Store::settle_completion`]). Only the few events that change those touch SQLite, so
//!   recording stays cheap on runs of many tasks.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock::ClockMode;
use crate::engine::{InjectedFailure, RunOptions, StartRequest};
use crate::event::{Event, RecordedResults, Recorder, ResultKey};
use crate::execution::WorkflowStatus;
use crate::worker::WorkResult;
use crate::worker::WorkStatus;

/// The default runs directory, relative to the project.
pub const DEFAULT_RUNS_DIR: &str = ".wfc/runs";

/// The index file in the runs directory.
pub const INDEX_FILE: &str = "index.sqlite3";

/// The schema version in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    version INTEGER,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    simulated_elapsed_ms INTEGER,
    real_elapsed_ms INTEGER,
    reason TEXT,
    history TEXT NOT NULL,
    source TEXT,
    clock TEXT NOT NULL,
    pid INTEGER,
    created_at INTEGER NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS waiting_tasks (
    run_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    task_type TEXT NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (run_id, task_id)
);
CREATE TABLE IF NOT EXISTS completions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    output TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    requested_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS completions_by_run ON completions (run_id, state);
";

/// Why the store could not do something.
#[derive(Debug)]
pub enum StoreError {
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Database(rusqlite::Error),
    /// No run has this id.
    UnknownRun(String),
    /// A history line is not an event (not the torn last line of a killed process).
    CorruptHistory {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The index was written by a newer wfc.
    NewerSchema(i64),
}

impl fmt::Display for StoreError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { path, error } => write!(formatter, "{}: {error}", path.display()),
            StoreError::Database(error) => write!(formatter, "run index: {error}"),
            StoreError::UnknownRun(id) => write!(formatter, "no run `{id}` is recorded"),
            StoreError::CorruptHistory {
                path,
                line,
                message,
            } => write!(
                formatter,
                "{}:{line}: not a run event: {message}",
                path.display()
            ),
            StoreError::NewerSchema(version) => write!(
                formatter,
                "the run index has schema version {version}, newer than this wfc understands ({SCHEMA_VERSION})"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Database(error)
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// One run as the index knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub id: String,
    pub workflow: String,
    pub version: Option<i64>,
    /// The root workflow's status (`RUNNING` until it finishes, also for a killed run).
    pub status: String,
    /// Epoch milliseconds on the run's clock.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// Time on the run's clock (simulated with the virtual clock), once the run has ended.
    pub simulated_elapsed_ms: Option<i64>,
    pub real_elapsed_ms: Option<i64>,
    pub reason: Option<String>,
    /// The history file.
    pub history: PathBuf,
    /// The file the run was started from (`.wf.yaml` or Conductor JSON).
    pub source: Option<String>,
    /// `virtual` or `real_time`.
    pub clock: String,
    /// The process that last ran it.
    pub pid: Option<u32>,
    /// Wall-clock epoch milliseconds when the run was created.
    pub created_at: i64,
    /// What the caller needs to continue the run (for `wfc run`: the mock file, command
    /// workers, `--stub`), as it gave it to [`Store::create_run`].
    pub settings: Value,
}

impl RunRecord {
    /// Whether the run's status is RUNNING but the process that ran it is gone (a killed run):
    /// `None` where that cannot be told (no `/proc`).
    pub fn interrupted(&self) -> Option<bool> {
        if self.status != WorkflowStatus::Running.as_str() {
            return Some(false);
        }
        let pid = self.pid?;
        if pid == std::process::id() {
            return Some(false);
        }
        let proc = Path::new("/proc");
        if !proc.is_dir() {
            return None;
        }
        Some(!process_is_running(&proc.join(pid.to_string())))
    }
}

/// Whether the process of `/proc/<pid>` runs the same program as this one: not gone, not a
/// zombie waiting to be reaped, and not another program that was given the pid since.
fn process_is_running(directory: &Path) -> bool {
    let Ok(stat) = std::fs::read_to_string(directory.join("stat")) else {
        return false;
    };
    // `pid (comm) state ...`; comm may hold spaces and parentheses.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    if state == Some("Z") || state == Some("X") {
        return false;
    }
    let name = |path: &Path| std::fs::read_to_string(path).map(|text| text.trim().to_string());
    match (
        name(&directory.join("comm")),
        name(Path::new("/proc/self/comm")),
    ) {
        (Ok(theirs), Ok(ours)) => theirs == ours,
        _ => true,
    }
}

/// What a new run is.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub workflow: String,
    pub version: Option<i64>,
    /// Epoch milliseconds at which the run's clock starts.
    pub started_at: i64,
    pub source: Option<String>,
    /// `virtual` or `real_time`.
    pub clock: String,
    /// Kept with the run for whoever resumes it ([`RunRecord::settings`]).
    pub settings: Value,
}

/// A task waiting for an external completion, as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingTaskRecord {
    pub workflow_id: String,
    pub task_id: String,
    pub reference: String,
    pub task_type: String,
    pub since: i64,
}

/// A completion asked for by another process (`wfc complete`).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestedCompletion {
    pub id: i64,
    pub reference: String,
    pub status: WorkStatus,
    pub output: Map<String, Value>,
}

/// What became of a requested completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionState {
    /// Not picked up by a running process yet.
    Pending,
    /// Applied by the run.
    Applied,
    /// Refused by the run, with the reason.
    Refused(String),
    /// Withdrawn before anything picked it up.
    Withdrawn,
}

/// A run history read back.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub events: Vec<Event>,
    /// The last line, unfinished when the process writing it was killed (not an event).
    pub torn_tail: Option<String>,
    /// The length of the complete lines in bytes (where a resumed run appends).
    pub complete_length: u64,
}

impl History {
    /// The `RunStarted` event (the first), if the history has one.
    pub fn run_started(&self) -> Option<&Event> {
        self.events
            .first()
            .filter(|event| matches!(event, Event::RunStarted { .. }))
    }
}

/// Reads a history file. A last line without its line break that is not an event (a killed
/// process) is returned as [`History::torn_tail`]; any other line that is not an event is an
/// error.
pub fn read_history(path: &Path) -> Result<History, StoreError> {
    let file = File::open(path).map_err(io_error(path))?;
    let mut reader = BufReader::new(file);
    let mut history = History::default();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = reader.read_line(&mut line).map_err(io_error(path))?;
        if read == 0 {
            break;
        }
        number += 1;
        let complete = line.ends_with('\n');
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            if complete {
                history.complete_length += read as u64;
            }
            continue;
        }
        match serde_json::from_str::<Event>(text) {
            Ok(event) if complete => {
                history.events.push(event);
                history.complete_length += read as u64;
            }
            // A whole event whose line break was not written yet: the event is complete but
            // the decider never got past recording it; treat it like a torn line.
            Ok(_) => history.torn_tail = Some(text.to_string()),
            Err(error) => {
                if complete {
                    return Err(StoreError::CorruptHistory {
                        path: path.to_path_buf(),
                        line: number,
                        message: error.to_string(),
                    });
                }
                history.torn_tail = Some(text.to_string());
            }
        }
    }
    Ok(history)
}

/// How a recorded run was started: enough to start it again (replay, resume).
#[derive(Debug, Clone)]
pub struct RecordedRun {
    pub run_id: String,
    /// The root workflow first.
    pub definitions: Vec<Value>,
    pub task_defs: Vec<Value>,
    pub request: StartRequest,
    /// The recorded options (clock, injected failures, seed, task limit), with the recorded
    /// start time so that timestamps and deadlines come out the same.
    pub options: RunOptions,
}

impl RecordedRun {
    /// Reads the `RunStarted` event of a history.
    pub fn from_history(history: &History) -> Result<RecordedRun, String> {
        let Some(Event::RunStarted {
            run_id,
            definitions,
            task_defs,
            input,
            at,
            options,
        }) = history.run_started()
        else {
            return Err("the history does not start with the run's definitions".to_string());
        };
        let root = definitions
            .first()
            .ok_or_else(|| "the history records no workflow definition".to_string())?;
        let name = root
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| "the recorded workflow definition has no name".to_string())?;
        let version = root.get("version").and_then(Value::as_i64);
        let defaults = RunOptions::default();
        let clock = options
            .get("clock")
            .cloned()
            .and_then(|clock| serde_json::from_value::<ClockMode>(clock).ok())
            .unwrap_or_default();
        let failures = options
            .get("failures")
            .cloned()
            .and_then(|failures| serde_json::from_value::<Vec<InjectedFailure>>(failures).ok())
            .unwrap_or_default();
        let task_limit = options
            .get("task_limit")
            .and_then(Value::as_u64)
            .and_then(|limit| usize::try_from(limit).ok())
            .unwrap_or(defaults.task_limit);
        Ok(RecordedRun {
            run_id: run_id.clone(),
            definitions: definitions.clone(),
            task_defs: task_defs.clone(),
            request: StartRequest {
                name: name.to_string(),
                version,
                input: match input {
                    Value::Object(input) => input.clone(),
                    _ => Map::new(),
                },
                correlation_id: None,
            },
            options: RunOptions {
                clock,
                failures,
                seed: options.get("seed").and_then(Value::as_u64).unwrap_or(0),
                run_id: run_id.clone(),
                start_time: Some(*at),
                task_limit,
                ..defaults
            },
        })
    }
}

/// The worker results of a history by key, in the order the keys first got one. A resumed run records again
/// the results it was fed back before it records new ones, so each execution of the run (from
/// one `RunStarted` to the next) holds, for every key, the results of the executions before it
/// and then its own: the longest list of each key is the complete one.
pub fn merged_results(history: &History) -> Vec<(ResultKey, Vec<WorkResult>)> {
    let mut best: HashMap<&ResultKey, Vec<&WorkResult>> = HashMap::new();
    let mut current: HashMap<&ResultKey, Vec<&WorkResult>> = HashMap::new();
    let mut order: Vec<&ResultKey> = Vec::new();
    fn merge<'a>(
        best: &mut HashMap<&'a ResultKey, Vec<&'a WorkResult>>,
        current: &mut HashMap<&'a ResultKey, Vec<&'a WorkResult>>,
    ) {
        for (key, results) in current.drain() {
            let known = best.entry(key).or_default();
            if results.len() > known.len() {
                *known = results;
            }
        }
    }
    for event in &history.events {
        match event {
            Event::RunStarted { .. } => merge(&mut best, &mut current),
            Event::ResultReceived { key, result, .. } => {
                if !current.contains_key(key) && !order.contains(&key) {
                    order.push(key);
                }
                current.entry(key).or_default().push(result);
            }
            _ => {}
        }
    }
    merge(&mut best, &mut current);
    order
        .into_iter()
        .map(|key| {
            let results = best
                .get(key)
                .map(|results| results.iter().map(|result| (*result).clone()).collect())
                .unwrap_or_default();
            (key.clone(), results)
        })
        .collect()
}

/// The worker results of a history, for replaying or resuming it ([`merged_results`]).
pub fn recorded_results(history: &History) -> RecordedResults {
    let mut recorded = RecordedResults::new();
    for (key, results) in merged_results(history) {
        for result in results {
            recorded.push(key.clone(), result);
        }
    }
    recorded
}

/// Whether a replay reached the recorded final state ([`compare_final_states`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Every task and workflow ended as recorded.
    Same {
        tasks: usize,
    },
    /// The recorded run was interrupted; everything it recorded ended the same in the replay.
    SameAsFarAsRecorded {
        tasks: usize,
    },
    Different(Difference),
}

/// The first task or workflow that ended differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `<sub-workflow path>/<reference>#<retry>`, or `workflow <path>` for a workflow.
    pub what: String,
    /// How it ended in the recorded run (`None`: it did not end there).
    pub recorded: Option<String>,
    pub replayed: Option<String>,
}

/// The final state of every task attempt and workflow of a history, in the order they ended.
fn final_states(events: &[Event]) -> (Vec<(String, String)>, bool) {
    let mut workflow_paths: HashMap<&str, String> = HashMap::new();
    let mut tasks: HashMap<&str, (&str, &str, u32)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut states: HashMap<String, String> = HashMap::new();
    let mut root: Option<&str> = None;
    let mut finished = false;
    for event in events {
        match event {
            Event::WorkflowStarted {
                workflow_id,
                parent_workflow_id,
                parent_task_id,
                name,
                ..
            } => {
                let path = match (parent_workflow_id, parent_task_id) {
                    (Some(parent), Some(task)) => {
                        let parent_path = workflow_paths
                            .get(parent.as_str())
                            .cloned()
                            .unwrap_or_default();
                        match tasks.get(task.as_str()) {
                            Some((_, reference, 0)) => format!("{parent_path}/{reference}"),
                            Some((_, reference, retry)) => {
                                format!("{parent_path}/{reference}#{retry}")
                            }
                            None => format!("{parent_path}/{task}"),
                        }
                    }
                    // A resumed run starts its root again, under the same id.
                    _ if root.is_none() || root == Some(workflow_id.as_str()) => {
                        root = Some(workflow_id);
                        String::new()
                    }
                    _ => format!("/!{name}"),
                };
                workflow_paths.insert(workflow_id, path);
            }
            Event::TaskScheduled {
                workflow_id,
                task_id,
                reference_task_name,
                retry_count,
                ..
            } => {
                tasks.insert(task_id, (workflow_id, reference_task_name, *retry_count));
            }
            Event::TaskFinished {
                task_id,
                status,
                output,
                reason,
                ..
            } => {
                let Some((workflow_id, reference, retry)) = tasks.get(task_id.as_str()) else {
                    continue;
                };
                let path = workflow_paths.get(workflow_id).cloned().unwrap_or_default();
                let key = format!("{path}/{reference}#{retry}");
                let state = match reason {
                    Some(reason) if !reason.is_empty() => {
                        format!("{} {output} ({reason})", status.as_str())
                    }
                    _ => format!("{} {output}", status.as_str()),
                };
                if states.insert(key.clone(), state).is_none() {
                    order.push(key);
                }
            }
            Event::WorkflowFinished {
                workflow_id,
                status,
                output,
                reason,
                ..
            } => {
                if root == Some(workflow_id.as_str()) {
                    finished = true;
                }
                let path = workflow_paths
                    .get(workflow_id.as_str())
                    .cloned()
                    .unwrap_or_default();
                let key = format!("workflow {}", if path.is_empty() { "/" } else { &path });
                let state = match reason {
                    Some(reason) if !reason.is_empty() => {
                        format!("{} {output} ({reason})", status.as_str())
                    }
                    _ => format!("{} {output}", status.as_str()),
                };
                if states.insert(key.clone(), state).is_none() {
                    order.push(key);
                }
            }
            _ => {}
        }
    }
    let ordered = order
        .into_iter()
        .filter_map(|key| states.remove(&key).map(|state| (key, state)))
        .collect();
    (ordered, finished)
}

/// Compares how every task attempt and workflow ended in a recorded history and in its replay
/// (statuses, outputs, reasons; not ids or times, and not the order in which concurrent
/// branches ended).
pub fn compare_final_states(recorded: &[Event], replayed: &[Event]) -> Comparison {
    let (recorded_states, finished) = final_states(recorded);
    let (replayed_states, _) = final_states(replayed);
    let replayed_map: HashMap<&str, &str> = replayed_states
        .iter()
        .map(|(key, state)| (key.as_str(), state.as_str()))
        .collect();
    for (key, state) in &recorded_states {
        match replayed_map.get(key.as_str()) {
            Some(replayed) if *replayed == state => {}
            other => {
                return Comparison::Different(Difference {
                    what: key.clone(),
                    recorded: Some(state.clone()),
                    replayed: other.map(|replayed| (*replayed).to_string()),
                });
            }
        }
    }
    let tasks = recorded_states
        .iter()
        .filter(|(key, _)| !key.starts_with("workflow "))
        .count();
    if !finished {
        return Comparison::SameAsFarAsRecorded { tasks };
    }
    let recorded_keys: HashSet<&str> = recorded_states
        .iter()
        .map(|(key, _)| key.as_str())
        .collect();
    if let Some((key, state)) = replayed_states
        .iter()
        .find(|(key, _)| !recorded_keys.contains(key.as_str()))
    {
        return Comparison::Different(Difference {
            what: key.clone(),
            recorded: None,
            replayed: Some(state.clone()),
        });
    }
    Comparison::Same { tasks }
}

/// The runs directory: the index and the histories.
pub struct Store {
    directory: PathBuf,
    connection: Mutex<Connection>,
}

impl fmt::Debug for Store {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Store")
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating when missing) the runs directory and its index.
    pub fn open(directory: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(directory).map_err(io_error(directory))?;
        let connection = Connection::open(directory.join(INDEX_FILE))?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema(version));
        }
        connection.execute_batch(SCHEMA)?;
        connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Store {
            directory: directory.to_path_buf(),
            connection: Mutex::new(connection),
        })
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        match self.connection.lock() {
            Ok(connection) => connection,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Creates a run: a fresh id (`<workflow>-<n>`), its empty history and its index row
    /// (RUNNING, this process).
    pub fn create_run(&self, run: &NewRun) -> Result<(RunRecord, RunRecorder), StoreError> {
        let stem = id_stem(&run.workflow);
        let created_at = crate::clock::epoch_milliseconds_now();
        let connection = self.connection();
        let mut number: i64 = connection.query_row(
            "SELECT COUNT(*) FROM runs WHERE workflow = ?1",
            params![run.workflow],
            |row| row.get(0),
        )?;
        loop {
            number += 1;
            let id = format!("{stem}-{number}");
            let history_name = format!("{id}.jsonl");
            let history = self.directory.join(&history_name);
            // `create_new` keeps two processes from taking one id.
            let file = match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&history)
            {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(io_error(&history)(error)),
            };
            let inserted = connection.execute(
                "INSERT OR IGNORE INTO runs (id, workflow, version, status, started_at, history, source, clock, pid, created_at, settings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    id,
                    run.workflow,
                    run.version,
                    WorkflowStatus::Running.as_str(),
                    run.started_at,
                    history_name,
                    run.source,
                    run.clock,
                    std::process::id(),
                    created_at,
                    run.settings.to_string()
                ],
            )?;
            if inserted == 0 {
                continue;
            }
            drop(connection);
            let record = self.run(&id)?;
            let recorder = RunRecorder::new(self, &id, history, file, 0, HashSet::new())?;
            return Ok((record, recorder));
        }
    }

    /// Reopens a recorded run to continue it: its history (a torn last line is cut off, so
    /// that appended events start on a line of their own) and a recorder appending to it. The
    /// run is RUNNING again, in this process.
    pub fn resume_run(&self, id: &str) -> Result<(RunRecord, History, RunRecorder), StoreError> {
        let record = self.run(id)?;
        let history = read_history(&record.history)?;
        let mut file = OpenOptions::new()
            .write(true)
            .open(&record.history)
            .map_err(io_error(&record.history))?;
        file.set_len(history.complete_length)
            .map_err(io_error(&record.history))?;
        file.seek(SeekFrom::End(0))
            .map_err(io_error(&record.history))?;
        let waiting: HashSet<String> = self
            .waiting_tasks(id)?
            .into_iter()
            .map(|task| task.task_id)
            .collect();
        {
            let connection = self.connection();
            connection.execute(
                "UPDATE runs SET status = ?2, finished_at = NULL, reason = NULL, pid = ?3 WHERE id = ?1",
                params![id, WorkflowStatus::Running.as_str(), std::process::id()],
            )?;
        }
        let root = history.events.iter().find_map(|event| match event {
            Event::WorkflowStarted {
                workflow_id,
                parent_workflow_id: None,
                ..
            } => Some(workflow_id.clone()),
            _ => None,
        });
        let recorder = RunRecorder::new(
            self,
            id,
            record.history.clone(),
            file,
            history.events.len(),
            waiting,
        )?;
        if let Some(root) = root
            && let Ok(mut state) = recorder.state.lock()
        {
            state.root_workflow = Some(root);
        }
        Ok((self.run(id)?, history, recorder))
    }

    /// The recorded runs, newest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM runs ORDER BY created_at DESC, id DESC"
        ))?;
        let rows = statement.query_map([], |row| self.record_from_row(row))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// One recorded run.
    pub fn run(&self, id: &str) -> Result<RunRecord, StoreError> {
        let connection = self.connection();
        connection
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                params![id],
                |row| self.record_from_row(row),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownRun(id.to_string()))
    }

    /// The ids of the recorded runs (for did-you-mean messages).
    pub fn run_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.runs()?.into_iter().map(|run| run.id).collect())
    }

    fn record_from_row(&self, row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
        let history: String = row.get(9)?;
        Ok(RunRecord {
            id: row.get(0)?,
            workflow: row.get(1)?,
            version: row.get(2)?,
            status: row.get(3)?,
            started_at: row.get(4)?,
            finished_at: row.get(5)?,
            simulated_elapsed_ms: row.get(6)?,
            real_elapsed_ms: row.get(7)?,
            reason: row.get(8)?,
            history: self.directory.join(history),
            source: row.get(10)?,
            clock: row.get(11)?,
            pid: row.get(12)?,
            created_at: row.get(13)?,
            settings: serde_json::from_str(&row.get::<_, String>(14)?).unwrap_or(Value::Null),
        })
    }

    /// Records how a run ended (its status, and the elapsed times the engine reports).
    pub fn finish_run(
        &self,
        id: &str,
        status: WorkflowStatus,
        reason: Option<&str>,
        simulated_elapsed: Duration,
        real_elapsed: Duration,
    ) -> Result<(), StoreError> {
        let connection = self.connection();
        connection.execute(
            "UPDATE runs SET status = ?2, reason = ?3, simulated_elapsed_ms = ?4, real_elapsed_ms = ?5 WHERE id = ?1",
            params![
                id,
                status.as_str(),
                reason,
                i64::try_from(simulated_elapsed.as_millis()).unwrap_or(i64::MAX),
                i64::try_from(real_elapsed.as_millis()).unwrap_or(i64::MAX)
            ],
        )?;
        connection.execute("DELETE FROM waiting_tasks WHERE run_id = ?1", params![id])?;
        Ok(())
    }

    /// The tasks of a run waiting for an external completion.
    pub fn waiting_tasks(&self, id: &str) -> Result<Vec<WaitingTaskRecord>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT workflow_id, task_id, reference, task_type, since FROM waiting_tasks WHERE run_id = ?1 ORDER BY since, reference",
        )?;
        let rows = statement.query_map(params![id], |row| {
            Ok(WaitingTaskRecord {
                workflow_id: row.get(0)?,
                task_id: row.get(1)?,
                reference: row.get(2)?,
                task_type: row.get(3)?,
                since: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Asks the process running `id` to complete the waiting task `reference`; returns the
    /// request's id, to follow with [`Store::completion_state`].
    pub fn request_completion(
        &self,
        id: &str,
        reference: &str,
        status: WorkStatus,
        output: &Map<String, Value>,
    ) -> Result<i64, StoreError> {
        self.run(id)?;
        let connection = self.connection();
        connection.execute(
            "INSERT INTO completions (run_id, reference, status, output, state, requested_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
            params![
                id,
                reference,
                status.as_str(),
                Value::Object(output.clone()).to_string(),
                crate::clock::epoch_milliseconds_now()
            ],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// The completions requested for `id` that no process has taken yet; they are marked taken
    /// (so two processes never apply one twice) and must be settled with
    /// [`Store::settle_completion`].
    pub fn take_completions(&self, id: &str) -> Result<Vec<RequestedCompletion>, StoreError> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        let mut taken = Vec::new();
        {
            let mut statement = transaction.prepare(
                "SELECT id, reference, status, output FROM completions WHERE run_id = ?1 AND state = 'pending' ORDER BY id",
            )?;
            let rows = statement.query_map(params![id], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (request, reference, status, output) = row?;
                let output = match serde_json::from_str::<Value>(&output) {
                    Ok(Value::Object(output)) => output,
                    _ => Map::new(),
                };
                taken.push(RequestedCompletion {
                    id: request,
                    reference,
                    status: WorkStatus::parse(&status).unwrap_or(WorkStatus::Completed),
                    output,
                });
            }
        }
        for completion in &taken {
            transaction.execute(
                "UPDATE completions SET state = 'taken' WHERE id = ?1",
                params![completion.id],
            )?;
        }
        transaction.commit()?;
        Ok(taken)
    }

    /// Records what became of a taken completion.
    pub fn settle_completion(
        &self,
        request: i64,
        outcome: Result<(), String>,
    ) -> Result<(), StoreError> {
        let connection = self.connection();
        let (state, reason) = match outcome {
            Ok(()) => ("applied", None),
            Err(reason) => ("refused", Some(reason)),
        };
        connection.execute(
            "UPDATE completions SET state = ?2, reason = ?3 WHERE id = ?1",
            params![request, state, reason],
        )?;
        Ok(())
    }

    /// What became of a requested completion (a taken one still counts as pending).
    pub fn completion_state(&self, request: i64) -> Result<CompletionState, StoreError> {
        let connection = self.connection();
        let row: Option<(String, Option<String>)> = connection
            .query_row(
                "SELECT state, reason FROM completions WHERE id = ?1",
                params![request],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((state, _)) if state == "applied" => CompletionState::Applied,
            Some((state, reason)) if state == "refused" => {
                CompletionState::Refused(reason.unwrap_or_default())
            }
            Some((state, _)) if state == "withdrawn" => CompletionState::Withdrawn,
            _ => CompletionState::Pending,
        })
    }

    /// Withdraws a requested completion that no process has taken; returns its state (Withdrawn,
    /// or what the run made of it meanwhile).
    pub fn withdraw_completion(&self, request: i64) -> Result<CompletionState, StoreError> {
        {
            let connection = self.connection();
            connection.execute(
                "UPDATE completions SET state = 'withdrawn' WHERE id = ?1 AND state = 'pending'",
                params![request],
            )?;
        }
        self.completion_state(request)
    }
}

const RUN_COLUMNS: &str = "id, workflow, version, status, started_at, finished_at, simulated_elapsed_ms, real_elapsed_ms, reason, history, source, clock, pid, created_at, settings";

/// A run id stem from a workflow name: characters other than letters, digits, `_`, `-` and
/// `.` become `_`.
fn id_stem(workflow: &str) -> String {
    let stem: String = workflow
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | '.') {
                character
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.');
    if stem.is_empty() {
        "run".to_string()
    } else {
        stem.to_string()
    }
}

/// What the recorder tracks between events.
#[derive(Debug, Default)]
struct RecorderState {
    root_workflow: Option<String>,
    /// Tasks in the index's waiting table (few: a lookup saves a query per finished task).
    waiting: HashSet<String>,
    events: usize,
    /// The first failure to write (reported once, then the run goes on unrecorded).
    failure: Option<String>,
}

/// Records a run's events: the history line, and the index rows the event changes.
pub struct RunRecorder {
    run_id: String,
    path: PathBuf,
    file: Mutex<File>,
    state: Mutex<RecorderState>,
    connection: Mutex<Connection>,
}

impl fmt::Debug for RunRecorder {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("RunRecorder")
            .field("run_id", &self.run_id)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RunRecorder {
    fn new(
        store: &Store,
        run_id: &str,
        path: PathBuf,
        file: File,
        events: usize,
        waiting: HashSet<String>,
    ) -> Result<RunRecorder, StoreError> {
        // A connection of its own: the recorder is called from the decider while the command
        // polls the store for completions.
        let connection = Connection::open(store.directory.join(INDEX_FILE))?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(RunRecorder {
            run_id: run_id.to_string(),
            path,
            file: Mutex::new(file),
            state: Mutex::new(RecorderState {
                waiting,
                events,
                ..RecorderState::default()
            }),
            connection: Mutex::new(connection),
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The first error met while recording, if any (the run went on without its history).
    pub fn failure(&self) -> Option<String> {
        self.state
            .lock()
            .ok()
            .and_then(|state| state.failure.clone())
    }

    /// How many events the history holds.
    pub fn event_count(&self) -> usize {
        self.state.lock().map_or(0, |state| state.events)
    }

    fn write_line(&self, event: &Event) -> Result<(), String> {
        let mut line = serde_json::to_string(event).map_err(|error| error.to_string())?;
        line.push('\n');
        let mut file = match self.file.lock() {
            Ok(file) => file,
            Err(poisoned) => poisoned.into_inner(),
        };
        file.write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|error| format!("{}: {error}", self.path.display()))
    }

    fn index(&self, event: &Event, state: &mut RecorderState) -> Result<(), rusqlite::Error> {
        let connection = match self.connection.lock() {
            Ok(connection) => connection,
            Err(poisoned) => poisoned.into_inner(),
        };
        match event {
            Event::WorkflowStarted {
                workflow_id,
                parent_workflow_id: None,
                ..
            } if state.root_workflow.is_none() => {
                state.root_workflow = Some(workflow_id.clone());
            }
            Event::TaskWaiting {
                workflow_id,
                task_id,
                reference_task_name,
                task_type,
                at,
            } => {
                connection.execute(
                    "INSERT OR REPLACE INTO waiting_tasks (run_id, workflow_id, task_id, reference, task_type, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![self.run_id, workflow_id, task_id, reference_task_name, task_type, at],
                )?;
                state.waiting.insert(task_id.clone());
            }
            Event::TaskFinished { task_id, .. } if state.waiting.remove(task_id) => {
                connection.execute(
                    "DELETE FROM waiting_tasks WHERE run_id = ?1 AND task_id = ?2",
                    params![self.run_id, task_id],
                )?;
            }
            Event::WorkflowFinished {
                workflow_id,
                status,
                reason,
                at,
                ..
            } if state.root_workflow.as_ref() == Some(workflow_id) => {
                connection.execute(
                    "UPDATE runs SET status = ?2, finished_at = ?3, reason = ?4 WHERE id = ?1",
                    params![self.run_id, status.as_str(), at, reason],
                )?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl Recorder for RunRecorder {
    fn record(&self, event: &Event) {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        if state.failure.is_some() {
            return;
        }
        let outcome = self.write_line(event).and_then(|()| {
            self.index(event, &mut state)
                .map_err(|error| format!("run index: {error}"))
        });
        match outcome {
            Ok(()) => state.events += 1,
            Err(message) => state.failure = Some(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event::ResultKey;
    use crate::execution::TaskStatus;
    use crate::worker::WorkResult;

    fn new_run(workflow: &str) -> NewRun {
        NewRun {
            workflow: workflow.to_string(),
            version: Some(2),
            started_at: 1_000,
            source: Some("flows/a.wf.yaml".to_string()),
            clock: "virtual".to_string(),
            settings: json!({"mocks": "m.yaml"}),
        }
    }

    fn events() -> Vec<Event> {
        vec![
            Event::RunStarted {
                run_id: "x".into(),
                definitions: vec![json!({"name": "order"})],
                task_defs: vec![],
                input: json!({}),
                at: 1_000,
                options: json!({}),
            },
            Event::WorkflowStarted {
                workflow_id: "w1".into(),
                parent_workflow_id: None,
                parent_task_id: None,
                name: "order".into(),
                version: 2,
                input: json!({}),
                correlation_id: None,
                at: 1_000,
            },
            Event::TaskWaiting {
                workflow_id: "w1".into(),
                task_id: "t1".into(),
                reference_task_name: "approve".into(),
                task_type: "HUMAN".into(),
                at: 1_001,
            },
        ]
    }

    #[test]
    fn runs_are_indexed_and_their_histories_read_back() -> Result<(), StoreError> {
        let directory = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let store = Store::open(&directory.path().join("runs"))?;
        let (first, recorder) = store.create_run(&new_run("order"))?;
        let (second, _) = store.create_run(&new_run("order <v2>"))?;
        assert_eq!(first.id, "order-1");
        assert_eq!(second.id, "order__v2_-1");
        assert_eq!(first.status, "RUNNING");
        assert_eq!(first.settings, json!({"mocks": "m.yaml"}));
        for event in events() {
            recorder.record(&event);
        }
        let waiting = store.waiting_tasks("order-1")?;
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].reference, "approve");
        recorder.record(&Event::TaskFinished {
            workflow_id: "w1".into(),
            task_id: "t1".into(),
            reference_task_name: "approve".into(),
            status: TaskStatus::Completed,
            output: json!({"ok": true}),
            reason: None,
            at: 1_002,
        });
        recorder.record(&Event::WorkflowFinished {
            workflow_id: "w1".into(),
            status: WorkflowStatus::Completed,
            output: json!({}),
            reason: None,
            at: 61_000,
        });
        assert!(recorder.failure().is_none());
        assert_eq!(recorder.event_count(), 5);
        assert!(store.waiting_tasks("order-1")?.is_empty());
        store.finish_run(
            "order-1",
            WorkflowStatus::Completed,
            None,
            Duration::from_secs(60),
            Duration::from_millis(3),
        )?;
        let record = store.run("order-1")?;
        assert_eq!(record.status, "COMPLETED");
        assert_eq!(record.finished_at, Some(61_000));
        assert_eq!(record.simulated_elapsed_ms, Some(60_000));
        assert_eq!(record.interrupted(), Some(false));
        let ids: Vec<String> = store.runs()?.into_iter().map(|run| run.id).collect();
        assert_eq!(ids.len(), 2);
        let history = read_history(&record.history)?;
        assert_eq!(history.events.len(), 5);
        assert!(history.torn_tail.is_none());
        assert!(history.run_started().is_some());
        assert!(matches!(store.run("nope"), Err(StoreError::UnknownRun(_))));
        Ok(())
    }

    #[test]
    fn a_torn_last_line_is_tolerated_and_cut_before_resuming() -> Result<(), StoreError> {
        let directory = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let store = Store::open(directory.path())?;
        let (record, recorder) = store.create_run(&new_run("order"))?;
        for event in events() {
            recorder.record(&event);
        }
        drop(recorder);
        let mut file = OpenOptions::new()
            .append(true)
            .open(&record.history)
            .map_err(io_error(&record.history))?;
        file.write_all(br#"{"event":"result_received","workflow_id":"w1","task"#)
            .map_err(io_error(&record.history))?;
        let history = read_history(&record.history)?;
        assert_eq!(history.events.len(), 3);
        assert!(
            history
                .torn_tail
                .as_deref()
                .is_some_and(|tail| tail.starts_with("{\"event\""))
        );

        let (resumed, history, recorder) = store.resume_run("order-1")?;
        assert_eq!(resumed.status, "RUNNING");
        assert_eq!(history.events.len(), 3);
        recorder.record(&Event::ResultReceived {
            workflow_id: "w1".into(),
            task_id: "t1".into(),
            key: ResultKey::new("", "approve", 0),
            result: WorkResult::completed(Map::new()),
            at: 1_005,
        });
        let history = read_history(&record.history)?;
        assert_eq!(history.events.len(), 4);
        assert!(history.torn_tail.is_none());
        // The waiting task survived the restart in the index and is cleared when it finishes.
        assert_eq!(store.waiting_tasks("order-1")?.len(), 1);
        recorder.record(&Event::TaskFinished {
            workflow_id: "w1".into(),
            task_id: "t1".into(),
            reference_task_name: "approve".into(),
            status: TaskStatus::Completed,
            output: json!({}),
            reason: None,
            at: 1_006,
        });
        assert!(store.waiting_tasks("order-1")?.is_empty());

        // A bad line in the middle is not a torn tail.
        std::fs::write(&record.history, "{}\n{\"event\":\"task_started\"}\n")
            .map_err(io_error(&record.history))?;
        assert!(matches!(
            read_history(&record.history),
            Err(StoreError::CorruptHistory { line: 1, .. })
        ));
        Ok(())
    }

    fn finished(task_id: &str, status: TaskStatus, output: Value) -> Event {
        Event::TaskFinished {
            workflow_id: "w1".into(),
            task_id: task_id.into(),
            reference_task_name: String::new(),
            status,
            output,
            reason: None,
            at: 0,
        }
    }

    fn scheduled(task_id: &str, reference: &str, retry_count: u32) -> Event {
        Event::TaskScheduled {
            workflow_id: "w1".into(),
            task_id: task_id.into(),
            reference_task_name: reference.into(),
            task_type: "SIMPLE".into(),
            retry_count,
            input: json!({}),
            at: 0,
        }
    }

    #[test]
    fn replays_compare_final_states_not_the_order_of_branches() -> Result<(), String> {
        let mut recorded = events();
        recorded.truncate(2);
        recorded.extend([
            scheduled("a", "left", 0),
            scheduled("b", "right", 0),
            finished("a", TaskStatus::Completed, json!({"x": 1})),
            finished("b", TaskStatus::Completed, json!({"y": 2})),
        ]);
        let mut replayed = recorded.clone();
        replayed.swap(4, 5);
        assert_eq!(
            compare_final_states(&recorded, &replayed),
            Comparison::SameAsFarAsRecorded { tasks: 2 }
        );
        let end = Event::WorkflowFinished {
            workflow_id: "w1".into(),
            status: WorkflowStatus::Completed,
            output: json!({}),
            reason: None,
            at: 0,
        };
        recorded.push(end.clone());
        replayed.push(end);
        assert_eq!(
            compare_final_states(&recorded, &replayed),
            Comparison::Same { tasks: 2 }
        );
        replayed[5] = finished("a", TaskStatus::Failed, json!({}));
        assert_eq!(
            compare_final_states(&recorded, &replayed),
            Comparison::Different(Difference {
                what: "/left#0".into(),
                recorded: Some("COMPLETED {\"x\":1}".into()),
                replayed: Some("FAILED {}".into()),
            })
        );

        let history = History {
            events: recorded,
            torn_tail: None,
            complete_length: 0,
        };
        let run = RecordedRun::from_history(&history)?;
        assert_eq!(run.request.name, "order");
        assert_eq!(run.options.start_time, Some(1_000));
        assert_eq!(run.definitions.len(), 1);
        Ok(())
    }

    #[test]
    fn a_resumed_history_gives_each_result_once() {
        let received = |key: &str, id: &str| Event::ResultReceived {
            workflow_id: "w1".into(),
            task_id: "t".into(),
            key: ResultKey(key.into()),
            result: WorkResult::completed(Map::from_iter([("id".to_string(), json!(id))])),
            at: 0,
        };
        let started = events().remove(0);
        // Killed after /a (IN_PROGRESS then COMPLETED) and the first poll of /b; resumed, the
        // run was fed /a and /b's first answer back, then /b answered again and /c ran.
        let history = History {
            events: vec![
                started.clone(),
                received("/a#0", "a1"),
                received("/a#0", "a2"),
                received("/b#0", "b1"),
                started,
                received("/a#0", "a1"),
                received("/a#0", "a2"),
                received("/b#0", "b1"),
                received("/b#0", "b2"),
                received("/c#0", "c1"),
            ],
            torn_tail: None,
            complete_length: 0,
        };
        let mut recorded = recorded_results(&history);
        assert_eq!(recorded.len(), 5);
        let id =
            |result: Option<WorkResult>| result.and_then(|result| result.output.get("id").cloned());
        let b = ResultKey("/b#0".into());
        assert_eq!(id(recorded.take(&b)), Some(json!("b1")));
        assert_eq!(id(recorded.take(&b)), Some(json!("b2")));
        assert_eq!(recorded.take(&b), None);
    }

    #[test]
    fn completions_go_from_requested_to_settled_once() -> Result<(), StoreError> {
        let directory = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let store = Store::open(directory.path())?;
        store.create_run(&new_run("order"))?;
        let output = Map::from_iter([("approved".to_string(), Value::Bool(true))]);
        let first =
            store.request_completion("order-1", "approve", WorkStatus::Completed, &output)?;
        let second =
            store.request_completion("order-1", "other", WorkStatus::Failed, &Map::new())?;
        let third =
            store.request_completion("order-1", "late", WorkStatus::Completed, &Map::new())?;
        assert_eq!(
            store.withdraw_completion(third)?,
            CompletionState::Withdrawn
        );
        let taken = store.take_completions("order-1")?;
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[0].output, output);
        assert_eq!(taken[1].status, WorkStatus::Failed);
        assert!(store.take_completions("order-1")?.is_empty());
        assert_eq!(store.completion_state(first)?, CompletionState::Pending);
        // Taken: too late to withdraw.
        assert_eq!(store.withdraw_completion(first)?, CompletionState::Pending);
        store.settle_completion(first, Ok(()))?;
        store.settle_completion(second, Err("no task `other` is waiting".into()))?;
        assert_eq!(store.completion_state(first)?, CompletionState::Applied);
        assert_eq!(
            store.completion_state(second)?,
            CompletionState::Refused("no task `other` is waiting".into())
        );
        assert!(matches!(
            store.request_completion("nope", "x", WorkStatus::Completed, &Map::new()),
            Err(StoreError::UnknownRun(_))
        ));
        Ok(())
    }
}
