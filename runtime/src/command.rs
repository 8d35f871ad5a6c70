//! Workers that run a command per task: the developer's own worker code, without a Conductor
//! client library, in any language.
//!
//! For each attempt the command is started in the project directory with the task's input as a
//! JSON object on stdin (the stdin is then closed), and these environment variables:
//! `WFC_WORKFLOW_ID`, `WFC_TASK_ID`, `WFC_TASK_NAME` (the task definition name),
//! `WFC_REFERENCE_TASK_NAME`, `WFC_RETRY_COUNT`, `WFC_POLL_COUNT`, `WFC_ITERATION`.
//!
//! What it answers ([`parse_answer`]):
//!
//! - exit status 0 and a JSON object on stdout: the task's output, COMPLETED; nothing on stdout
//!   is an empty output;
//! - exit status 0 and an object in the shape of Conductor's `TaskResult` — only the keys
//!   `status`, `output` (or `outputData`), `reasonForIncompletion`, `logs`,
//!   `callbackAfterSeconds`, with `status` one of COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR,
//!   IN_PROGRESS — that result (IN_PROGRESS: the command runs again after
//!   `callbackAfterSeconds`);
//! - any other exit status: FAILED (retried as the task definition says), with the end of stderr
//!   as the reason;
//! - stdout that is not a JSON object, or a command that cannot be started: FAILED;
//! - no answer within the timeout: the command is killed and the attempt FAILED.
//!
//! On success the lines of stderr become the task's logs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::worker::{WorkFuture, WorkItem, WorkResult, WorkStatus, Workers};

/// The timeout of a command that configures none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The most of stderr kept as a failure's reason.
const REASON_LIMIT: usize = 4_000;

/// How a command is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// A command line run by `sh -c` (`cmd /C` on Windows).
    Shell(String),
    /// A program and its arguments, run without a shell.
    Arguments(Vec<String>),
}

impl CommandLine {
    /// The command as a user wrote it, for messages.
    pub fn display(&self) -> String {
        match self {
            CommandLine::Shell(line) => line.clone(),
            CommandLine::Arguments(arguments) => arguments.join(" "),
        }
    }
}

/// One worker's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub command: CommandLine,
    pub timeout: Duration,
    /// Where the command runs (the project directory).
    pub directory: PathBuf,
}

/// Workers running a command per task, by task definition name.
#[derive(Debug, Clone, Default)]
pub struct CommandWorkers {
    by_task_name: HashMap<String, Arc<CommandSpec>>,
}

impl CommandWorkers {
    pub fn new(commands: impl IntoIterator<Item = (String, CommandSpec)>) -> CommandWorkers {
        CommandWorkers {
            by_task_name: commands
                .into_iter()
                .map(|(name, spec)| (name, Arc::new(spec)))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_task_name.is_empty()
    }
}

impl Workers for CommandWorkers {
    fn can_execute(&self, task_def_name: &str, _reference_task_name: &str) -> bool {
        self.by_task_name.contains_key(task_def_name)
    }

    fn execute(&self, item: WorkItem) -> WorkFuture {
        let spec = self.by_task_name.get(&item.task_def_name).cloned();
        Box::pin(async move {
            match spec {
                Some(spec) => run_command(&spec, &item).await,
                None => WorkResult::failed(format!(
                    "no command is configured for `{}`",
                    item.task_def_name
                )),
            }
        })
    }
}

/// Runs one attempt of a task with a command.
pub async fn run_command(spec: &CommandSpec, item: &WorkItem) -> WorkResult {
    let mut command = match &spec.command {
        CommandLine::Shell(line) => {
            let mut command = if cfg!(windows) {
                let mut command = tokio::process::Command::new("cmd");
                command.arg("/C");
                command
            } else {
                let mut command = tokio::process::Command::new("sh");
                command.arg("-c");
                command
            };
            command.arg(line);
            command
        }
        CommandLine::Arguments(arguments) => {
            let Some((program, rest)) = arguments.split_first() else {
                return WorkResult::failed("the configured command is empty");
            };
            let mut command = tokio::process::Command::new(program);
            command.args(rest);
            command
        }
    };
    command
        .current_dir(&spec.directory)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .env("WFC_WORKFLOW_ID", &item.workflow_id)
        .env("WFC_TASK_ID", &item.task_id)
        .env("WFC_TASK_NAME", &item.task_def_name)
        .env("WFC_REFERENCE_TASK_NAME", &item.reference_task_name)
        .env("WFC_RETRY_COUNT", item.retry_count.to_string())
        .env("WFC_POLL_COUNT", item.poll_count.to_string())
        .env("WFC_ITERATION", item.iteration.to_string());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return WorkResult::failed(format!(
                "cannot start `{}`: {error}",
                spec.command.display()
            ));
        }
    };
    let input = Value::Object(item.input.clone()).to_string();
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let work = async {
        // A command that does not read its input closes the pipe: not an error.
        if let Some(mut stdin) = stdin {
            let _ = stdin.write_all(input.as_bytes()).await;
            drop(stdin);
        }
        let read_stdout = async {
            let mut bytes = Vec::new();
            if let Some(mut stdout) = stdout {
                let _ = stdout.read_to_end(&mut bytes).await;
            }
            bytes
        };
        let read_stderr = async {
            let mut bytes = Vec::new();
            if let Some(mut stderr) = stderr {
                let _ = stderr.read_to_end(&mut bytes).await;
            }
            bytes
        };
        let (out, err) = tokio::join!(read_stdout, read_stderr);
        let status = child.wait().await;
        (status, out, err)
    };
    match tokio::time::timeout(spec.timeout, work).await {
        Ok((Ok(status), stdout, stderr)) => {
            let stdout = String::from_utf8_lossy(&stdout);
            let stderr = String::from_utf8_lossy(&stderr);
            if status.success() {
                parse_answer(&stdout, &stderr)
            } else {
                let code = status
                    .code()
                    .map_or_else(|| "a signal".to_string(), |code| code.to_string());
                let tail = tail(stderr.trim(), REASON_LIMIT);
                WorkResult::failed(if tail.is_empty() {
                    format!("`{}` exited with status {code}", spec.command.display())
                } else {
                    tail.to_string()
                })
            }
        }
        Ok((Err(error), _, _)) => WorkResult::failed(format!(
            "`{}` could not be waited for: {error}",
            spec.command.display()
        )),
        // Dropping the work future drops the child, which `kill_on_drop` kills.
        Err(_) => WorkResult::failed(format!(
            "`{}` did not answer within {}",
            spec.command.display(),
            describe_duration(spec.timeout)
        )),
    }
}

/// The last `limit` bytes of `text` (at a character boundary).
fn tail(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

fn describe_duration(duration: Duration) -> String {
    let milliseconds = duration.as_millis();
    if milliseconds.is_multiple_of(1000) {
        format!("{}s", milliseconds / 1000)
    } else {
        format!("{milliseconds}ms")
    }
}

/// The keys of Conductor's `TaskResult` a command may answer with.
const RESULT_KEYS: [&str; 6] = [
    "status",
    "output",
    "outputData",
    "reasonForIncompletion",
    "logs",
    "callbackAfterSeconds",
];

/// Reads what a command that exited with status 0 printed (see the module documentation).
pub fn parse_answer(stdout: &str, stderr: &str) -> WorkResult {
    let logs: Vec<String> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect();
    let text = stdout.trim();
    if text.is_empty() {
        let mut result = WorkResult::completed(Map::new());
        result.logs = logs;
        return result;
    }
    let object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => object,
        Ok(other) => {
            return WorkResult::failed(format!(
                "the command printed {}, not a JSON object",
                kind(&other)
            ));
        }
        Err(error) => {
            return WorkResult::failed(format!(
                "the command's output is not JSON ({error}): {}",
                tail(text, 200)
            ));
        }
    };
    let status = object
        .get("status")
        .and_then(Value::as_str)
        .and_then(WorkStatus::parse);
    let is_result =
        status.is_some() && object.keys().all(|key| RESULT_KEYS.contains(&key.as_str()));
    let mut result = match (status, is_result) {
        (Some(status), true) => {
            let output = match object.get("output").or_else(|| object.get("outputData")) {
                Some(Value::Object(output)) => output.clone(),
                _ => Map::new(),
            };
            let reason = object
                .get("reasonForIncompletion")
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut result = WorkResult::with_status(status, output, reason);
            result.callback_after = object
                .get("callbackAfterSeconds")
                .and_then(Value::as_f64)
                .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                .map(Duration::from_secs_f64);
            if let Some(Value::Array(lines)) = object.get("logs") {
                result.logs = lines
                    .iter()
                    .map(|line| match line {
                        Value::String(text) => text.clone(),
                        Value::Object(entry) => entry
                            .get("log")
                            .and_then(Value::as_str)
                            .map_or_else(|| line.to_string(), str::to_string),
                        other => other.to_string(),
                    })
                    .collect();
            }
            result
        }
        _ => WorkResult::completed(object),
    };
    result.logs.extend(logs);
    result
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event::ResultKey;

    #[test]
    fn answers_are_outputs_or_task_results() {
        let plain = parse_answer(r#"{"status": "shipped", "id": 3}"#, "note\n");
        assert_eq!(plain.status, WorkStatus::Completed);
        assert_eq!(
            Value::Object(plain.output),
            json!({"status": "shipped", "id": 3})
        );
        assert_eq!(plain.logs, ["note"]);

        let result = parse_answer(
            r#"{"status": "IN_PROGRESS", "output": {"done": 1}, "callbackAfterSeconds": 30, "logs": ["a", {"log": "b"}]}"#,
            "",
        );
        assert_eq!(result.status, WorkStatus::InProgress);
        assert_eq!(result.callback_after, Some(Duration::from_secs(30)));
        assert_eq!(result.logs, ["a", "b"]);
        assert_eq!(Value::Object(result.output), json!({"done": 1}));

        let failed = parse_answer(
            r#"{"status": "FAILED_WITH_TERMINAL_ERROR", "reasonForIncompletion": "bad card"}"#,
            "",
        );
        assert_eq!(failed.status, WorkStatus::FailedWithTerminalError);
        assert_eq!(failed.reason.as_deref(), Some("bad card"));

        assert_eq!(parse_answer("", "").status, WorkStatus::Completed);
        let not_json = parse_answer("done!", "");
        assert_eq!(not_json.status, WorkStatus::Failed);
        assert!(
            not_json
                .reason
                .unwrap_or_default()
                .starts_with("the command's output is not JSON")
        );
        assert_eq!(
            parse_answer("[1]", "").reason.as_deref(),
            Some("the command printed a list, not a JSON object")
        );
    }

    fn item(input: Value) -> WorkItem {
        WorkItem {
            workflow_id: "w-1".into(),
            task_id: "t-1".into(),
            task_type: "resize".into(),
            task_def_name: "resize".into(),
            reference_task_name: "small".into(),
            input: match input {
                Value::Object(input) => input,
                _ => Map::new(),
            },
            retry_count: 2,
            poll_count: 1,
            iteration: 0,
            key: ResultKey::new("", "small", 2),
        }
    }

    fn run(command: CommandLine, timeout: Duration, input: Value) -> WorkResult {
        let spec = CommandSpec {
            command,
            timeout,
            directory: std::env::temp_dir(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match runtime {
            Ok(runtime) => runtime.block_on(run_command(&spec, &item(input))),
            Err(error) => WorkResult::failed(error.to_string()),
        }
    }

    #[cfg(unix)]
    #[test]
    fn commands_read_the_input_and_answer_on_stdout() {
        let echo = run(
            CommandLine::Shell(
                r#"read input; printf '{"got": %s, "retry": %s, "ref": "%s"}' "$input" "$WFC_RETRY_COUNT" "$WFC_REFERENCE_TASK_NAME""#
                    .into(),
            ),
            Duration::from_secs(10),
            json!({"width": 10}),
        );
        assert_eq!(echo.status, WorkStatus::Completed, "{:?}", echo.reason);
        assert_eq!(
            Value::Object(echo.output),
            json!({"got": {"width": 10}, "retry": 2, "ref": "small"})
        );

        let failing = run(
            CommandLine::Shell("echo 'disk full' >&2; exit 3".into()),
            Duration::from_secs(10),
            json!({}),
        );
        assert_eq!(failing.status, WorkStatus::Failed);
        assert_eq!(failing.reason.as_deref(), Some("disk full"));

        let silent = run(
            CommandLine::Arguments(vec!["false".into()]),
            Duration::from_secs(10),
            json!({}),
        );
        assert_eq!(
            silent.reason.as_deref(),
            Some("`false` exited with status 1")
        );

        let slow = run(
            CommandLine::Arguments(vec!["sleep".into(), "5".into()]),
            Duration::from_millis(200),
            json!({}),
        );
        assert_eq!(
            slow.reason.as_deref(),
            Some("`sleep 5` did not answer within 200ms")
        );

        let missing = run(
            CommandLine::Arguments(vec!["/nonexistent/worker".into()]),
            Duration::from_secs(1),
            json!({}),
        );
        assert!(
            missing
                .reason
                .unwrap_or_default()
                .starts_with("cannot start `/nonexistent/worker`")
        );
    }
}
