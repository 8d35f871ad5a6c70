//! What `wfc run` shows while a run goes: the tasks as they end, with the time on the run's
//! clock, indented by sub-workflow.
//!
//! The view is fed the run's events by the recorder (after they are written to the history) on
//! a channel and draws on its own thread, so drawing never holds the decider up. Three modes:
//!
//! - **live** (stderr is a terminal): an indicatif view, ended tasks scrolling above and the
//!   running ones as spinners below (at most [`MAX_SPINNERS`], then a count). A HUMAN or WAIT task
//!   that waits for a completion is offered as a prompt when stdin is a terminal too;
//! - **plain** (otherwise): one line per ended task, stable enough to compare in tests;
//! - **quiet** (`--quiet`): nothing.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value};
use wfc_runtime::engine::RunHandle;
use wfc_runtime::event::Event;
use wfc_runtime::execution::TaskStatus;
use wfc_runtime::worker::WorkStatus;

/// Running tasks drawn as spinners at most; more are counted.
pub const MAX_SPINNERS: usize = 12;

/// How the view draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live { color: bool, prompt: bool },
    Plain,
    Quiet,
}

impl Mode {
    /// Live on a terminal, plain otherwise, quiet when asked.
    pub fn detect(quiet: bool, color: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Live {
                color,
                prompt: std::io::stdin().is_terminal(),
            }
        } else {
            Mode::Plain
        }
    }
}

/// What reaches the view's thread.
enum Message {
    Event(Box<Event>),
    /// The run's handle, once it started: prompts complete tasks through it.
    Handle(RunHandle),
    End,
}

/// The view of one run, drawing on its own thread.
#[derive(Debug)]
pub struct Progress {
    sender: Option<mpsc::Sender<Message>>,
    thread: Option<JoinHandle<()>>,
}

/// Where the recorder sends events for the view.
#[derive(Debug, Clone)]
pub struct Sender {
    sender: Option<mpsc::Sender<Message>>,
}

impl Sender {
    /// Hands an event to the view (events it does not draw are dropped here).
    pub fn send(&self, event: &Event) {
        let Some(sender) = &self.sender else {
            return;
        };
        if matches!(
            event,
            Event::WorkflowStarted { .. }
                | Event::TaskScheduled { .. }
                | Event::TaskFinished { .. }
                | Event::TaskWaiting { .. }
                | Event::WorkflowFinished { .. }
        ) {
            let _ = sender.send(Message::Event(Box::new(event.clone())));
        }
    }
}

impl Progress {
    /// Starts the view of run `run_id`, whose clock starts at `started_at` (epoch
    /// milliseconds).
    pub fn start(mode: Mode, run_id: &str, started_at: i64) -> Progress {
        if mode == Mode::Quiet {
            return Progress {
                sender: None,
                thread: None,
            };
        }
        let (sender, receiver) = mpsc::channel::<Message>();
        let mut view = View::new(mode, run_id, started_at);
        let thread = std::thread::spawn(move || {
            while let Ok(mut message) = receiver.recv() {
                // Draw everything that is there, then flush: lines appear as the run goes
                // without a write per line on runs of many tasks.
                loop {
                    match message {
                        Message::Event(event) => view.show(&event),
                        Message::Handle(handle) => view.handle = Some(handle),
                        Message::End => {
                            view.finish();
                            return;
                        }
                    }
                    match receiver.try_recv() {
                        Ok(next) => message = next,
                        Err(_) => break,
                    }
                }
                view.flush();
            }
            view.finish();
        });
        Progress {
            sender: Some(sender),
            thread: Some(thread),
        }
    }

    /// A sender for the recorder.
    pub fn sender(&self) -> Sender {
        Sender {
            sender: self.sender.clone(),
        }
    }

    /// Gives the view the run's handle, for prompts.
    pub fn set_handle(&self, handle: RunHandle) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(Message::Handle(handle));
        }
    }

    /// Stops the view once it has drawn every event sent before.
    pub fn finish(&mut self) {
        if let Some(sender) = self.sender.take() {
            let _ = sender.send(Message::End);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A duration in the shortest readable form: `250ms`, `1.5s`, `2m 5s`, `3h 10m`, `2d 4h`.
pub fn human_duration(milliseconds: i64) -> String {
    let milliseconds = milliseconds.max(0);
    if milliseconds < 1_000 {
        return format!("{milliseconds}ms");
    }
    let seconds = milliseconds / 1_000;
    if seconds < 60 {
        let tenths = (milliseconds % 1_000) / 100;
        return if tenths == 0 {
            format!("{seconds}s")
        } else {
            format!("{seconds}.{tenths}s")
        };
    }
    let (minutes, seconds) = (seconds / 60, seconds % 60);
    if minutes < 60 {
        return join_units(minutes, "m", seconds, "s");
    }
    let (hours, minutes) = (minutes / 60, minutes % 60);
    if hours < 24 {
        return join_units(hours, "h", minutes, "m");
    }
    join_units(hours / 24, "d", hours % 24, "h")
}

fn join_units(major: i64, major_unit: &str, minor: i64, minor_unit: &str) -> String {
    if minor == 0 {
        format!("{major}{major_unit}")
    } else {
        format!("{major}{major_unit} {minor}{minor_unit}")
    }
}

/// What the view remembers of a task.
struct TaskLine {
    reference: String,
    retry_count: u32,
    depth: usize,
    input: Value,
    bar: Option<ProgressBar>,
}

struct View {
    mode: Mode,
    run_id: String,
    started_at: i64,
    handle: Option<RunHandle>,
    /// Workflow id → its depth and how its lines name it.
    workflows: HashMap<String, (usize, String)>,
    root: Option<String>,
    tasks: HashMap<String, TaskLine>,
    multi: Option<MultiProgress>,
    spinners: usize,
    hidden_running: usize,
    overflow: Option<ProgressBar>,
    out: std::io::BufWriter<std::io::Stderr>,
}

impl View {
    fn new(mode: Mode, run_id: &str, started_at: i64) -> View {
        let multi = matches!(mode, Mode::Live { .. })
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        View {
            mode,
            run_id: run_id.to_string(),
            started_at,
            handle: None,
            workflows: HashMap::new(),
            root: None,
            tasks: HashMap::new(),
            multi,
            spinners: 0,
            hidden_running: 0,
            overflow: None,
            out: std::io::BufWriter::new(std::io::stderr()),
        }
    }

    fn color(&self) -> bool {
        matches!(self.mode, Mode::Live { color: true, .. })
    }

    fn line(&mut self, text: String) {
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(text);
            }
            None => {
                let _ = writeln!(self.out, "{text}");
            }
        }
    }

    fn elapsed(&self, at: i64) -> String {
        format!("{:>8}", human_duration(at - self.started_at))
    }

    fn status_label(&self, status: &str) -> String {
        let padded = format!("{status:<9}");
        if !self.color() {
            return padded;
        }
        let style = match status {
            "COMPLETED" | "SKIPPED" => "\u{1b}[32m",
            "COMPLETED_WITH_ERRORS" | "WAITING" | "STARTED" => "\u{1b}[33m",
            _ => "\u{1b}[31m",
        };
        format!("{style}{padded}\u{1b}[0m")
    }

    fn show(&mut self, event: &Event) {
        match event {
            Event::WorkflowStarted {
                workflow_id,
                parent_workflow_id,
                parent_task_id,
                name,
                version,
                at,
                ..
            } => {
                let Some(parent) = parent_workflow_id else {
                    if self.root.is_none() {
                        self.root = Some(workflow_id.clone());
                        self.workflows
                            .insert(workflow_id.clone(), (0, String::new()));
                    } else {
                        let label = format!("failure workflow {name} v{version}");
                        let text = format!(
                            "{}  {}  {label}",
                            self.elapsed(*at),
                            self.status_label("STARTED")
                        );
                        self.workflows.insert(workflow_id.clone(), (1, label));
                        self.line(text);
                    }
                    return;
                };
                let depth = self.workflows.get(parent).map_or(0, |(depth, _)| *depth) + 1;
                let from = parent_task_id
                    .as_ref()
                    .and_then(|task| self.tasks.get(task))
                    .map(|task| format!("{}: ", task.reference))
                    .unwrap_or_default();
                let label = format!("{from}workflow {name} v{version}");
                let text = format!(
                    "{}  {}  {}{label}",
                    self.elapsed(*at),
                    self.status_label("STARTED"),
                    "  ".repeat(depth - 1)
                );
                self.workflows.insert(workflow_id.clone(), (depth, label));
                self.line(text);
            }
            Event::TaskScheduled {
                workflow_id,
                task_id,
                reference_task_name,
                task_type,
                retry_count,
                input,
                ..
            } => {
                let depth = self
                    .workflows
                    .get(workflow_id)
                    .map_or(0, |(depth, _)| *depth);
                let bar = self.spinner(depth, reference_task_name, task_type);
                self.tasks.insert(
                    task_id.clone(),
                    TaskLine {
                        reference: reference_task_name.clone(),
                        retry_count: *retry_count,
                        depth,
                        input: input.clone(),
                        bar,
                    },
                );
            }
            Event::TaskFinished {
                task_id,
                status,
                reason,
                at,
                ..
            } => {
                let Some(task) = self.tasks.remove(task_id) else {
                    return;
                };
                self.drop_spinner(task.bar.as_ref());
                let retry = if task.retry_count > 0 {
                    format!(" (retry {})", task.retry_count)
                } else {
                    String::new()
                };
                let reason = match (status, reason) {
                    (TaskStatus::Completed, _) | (_, None) => String::new(),
                    (_, Some(reason)) => format!("  {}", one_line(reason)),
                };
                let text = format!(
                    "{}  {}  {}{}{retry}{reason}",
                    self.elapsed(*at),
                    self.status_label(status.as_str()),
                    "  ".repeat(task.depth),
                    task.reference
                );
                self.line(text);
            }
            Event::TaskWaiting {
                task_id,
                reference_task_name,
                task_type,
                at,
                ..
            } => {
                let depth = self.tasks.get(task_id).map_or(0, |task| task.depth);
                let hint = format!(
                    "wfc complete {} {reference_task_name} --output '{{...}}'",
                    self.run_id
                );
                if let Some(bar) = self.tasks.get(task_id).and_then(|task| task.bar.as_ref()) {
                    bar.set_message(format!(
                        "{}{reference_task_name} ({task_type}) waits: {hint}",
                        "  ".repeat(depth)
                    ));
                }
                let text = format!(
                    "{}  {}  {}{reference_task_name}  {task_type} task waits: {hint}",
                    self.elapsed(*at),
                    self.status_label("WAITING"),
                    "  ".repeat(depth)
                );
                self.line(text);
                if matches!(self.mode, Mode::Live { prompt: true, .. }) {
                    self.prompt(task_id, reference_task_name, task_type);
                }
            }
            Event::WorkflowFinished {
                workflow_id,
                status,
                reason,
                at,
                ..
            } => {
                if self.root.as_ref() == Some(workflow_id) {
                    return;
                }
                let (depth, label) = self
                    .workflows
                    .get(workflow_id)
                    .cloned()
                    .unwrap_or((1, "workflow".to_string()));
                let reason = reason
                    .as_ref()
                    .filter(|_| !status.is_successful())
                    .map(|reason| format!("  {}", one_line(reason)))
                    .unwrap_or_default();
                let text = format!(
                    "{}  {}  {}{label} ended{reason}",
                    self.elapsed(*at),
                    self.status_label(status.as_str()),
                    "  ".repeat(depth.saturating_sub(1))
                );
                self.line(text);
            }
            _ => {}
        }
    }

    fn spinner(&mut self, depth: usize, reference: &str, task_type: &str) -> Option<ProgressBar> {
        let multi = self.multi.as_ref()?;
        if self.spinners >= MAX_SPINNERS {
            self.hidden_running += 1;
            let overflow = self.overflow.get_or_insert_with(|| {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar
            });
            overflow.set_message(format!("… and {} more running", self.hidden_running));
            return None;
        }
        self.spinners += 1;
        let bar = match &self.overflow {
            Some(overflow) => multi.insert_before(overflow, ProgressBar::new_spinner()),
            None => multi.add(ProgressBar::new_spinner()),
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!("{}{reference} ({task_type})", "  ".repeat(depth)));
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    }

    fn drop_spinner(&mut self, bar: Option<&ProgressBar>) {
        match bar {
            Some(bar) => {
                bar.finish_and_clear();
                if let Some(multi) = &self.multi {
                    multi.remove(bar);
                }
                self.spinners = self.spinners.saturating_sub(1);
            }
            None if self.multi.is_some() => {
                self.hidden_running = self.hidden_running.saturating_sub(1);
                if let Some(overflow) = &self.overflow {
                    if self.hidden_running == 0 {
                        overflow.set_message("");
                    } else {
                        overflow.set_message(format!("… and {} more running", self.hidden_running));
                    }
                }
            }
            None => {}
        }
    }

    /// Asks on the terminal for the output of a waiting task and completes it.
    fn prompt(&mut self, task_id: &str, reference: &str, task_type: &str) {
        let Some(handle) = self.handle.clone() else {
            return;
        };
        let question = self
            .tasks
            .get(task_id)
            .and_then(|task| task.input.get("prompt"))
            .and_then(Value::as_str)
            .map(|prompt| format!(": {prompt}"))
            .unwrap_or_default();
        let ask = || -> Option<(WorkStatus, Map<String, Value>)> {
            let mut stderr = std::io::stderr();
            let _ = writeln!(stderr, "{reference} ({task_type}) is waiting{question}");
            loop {
                let _ = write!(
                    stderr,
                    "  output as JSON (Enter for {{}}), `fail`, or `later` for `wfc complete`: "
                );
                let _ = stderr.flush();
                let mut answer = String::new();
                if std::io::stdin().lock().read_line(&mut answer).ok()? == 0 {
                    return None;
                }
                let answer = answer.trim();
                match answer {
                    "" => return Some((WorkStatus::Completed, Map::new())),
                    "later" => return None,
                    "fail" => return Some((WorkStatus::Failed, Map::new())),
                    text => match serde_json::from_str::<Value>(text) {
                        Ok(Value::Object(output)) => return Some((WorkStatus::Completed, output)),
                        Ok(_) => {
                            let _ = writeln!(
                                stderr,
                                "  the output is a JSON object, e.g. {{\"approved\": true}}"
                            );
                        }
                        Err(error) => {
                            let _ = writeln!(stderr, "  not JSON: {error}");
                        }
                    },
                }
            }
        };
        let answer = match &self.multi {
            Some(multi) => multi.suspend(ask),
            None => ask(),
        };
        if let Some((status, output)) = answer
            && let Err(reason) = handle.complete_task(reference, status, output)
        {
            self.line(format!("  {reference}: {reason}"));
        }
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
    }

    fn finish(&mut self) {
        for task in self.tasks.values() {
            if let Some(bar) = &task.bar {
                bar.finish_and_clear();
            }
        }
        if let Some(overflow) = &self.overflow {
            overflow.finish_and_clear();
        }
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
        let _ = self.out.flush();
    }
}

/// The first line of a reason, shortened.
fn one_line(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    if first.chars().count() > 160 {
        let cut: String = first.chars().take(157).collect();
        format!("{cut}...")
    } else if text.lines().nth(1).is_some() {
        format!("{first} ...")
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(0), "0ms");
        assert_eq!(human_duration(250), "250ms");
        assert_eq!(human_duration(1_500), "1.5s");
        assert_eq!(human_duration(12_000), "12s");
        assert_eq!(human_duration(125_000), "2m 5s");
        assert_eq!(human_duration(3_600_000), "1h");
        assert_eq!(human_duration(11_400_000), "3h 10m");
        assert_eq!(human_duration(187_200_000), "2d 4h");
    }
}
