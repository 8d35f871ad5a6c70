//! End-to-end tests of `wfc run`, `wfc runs`, `wfc replay` and `wfc complete`: every example
//! runs to COMPLETED with its mock file, what users see (progress lines, `--json`, errors),
//! exit codes, injected failures and the saga's compensation, replay, kill-and-resume, and
//! completing a human task from another process.
//!
//! Each test records its runs in a fresh temporary directory (`--runs-dir`), so run ids
//! (`<workflow>-1`) are stable. Snapshots live in `tests/snapshots/run__*.snap`; after an
//! intended change run `INSTA_UPDATE=always cargo test --test run` and read the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use serde_json::Value;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    repository().join("tests/fixtures/run").join(name)
}

/// `wfc` run in `directory` (tests pass `--runs-dir` themselves).
fn wfc(directory: &Path) -> Command {
    let mut command = Command::new(get_cargo_bin("wfc"));
    command.current_dir(directory);
    command
}

/// Runs `command` and returns (exit code, stdout, stderr).
fn output(command: &mut Command) -> (i32, String, String) {
    let output = command.output().expect("wfc runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn runs_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Epoch-millisecond timestamps change with every run; ids and everything else do not.
fn time_filters() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\b1[0-9]{12}\b", "[TIME]");
    settings.add_filter(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "[DATE]");
    settings
}

/// Copies a fixture directory into a temporary one (commands write next to their files).
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("temporary directory");
    for entry in std::fs::read_dir(fixture(name)).expect("fixture") {
        let path = entry.expect("entry").path();
        std::fs::copy(
            &path,
            directory.path().join(path.file_name().expect("name")),
        )
        .expect("copy");
    }
    directory
}

#[test]
fn every_example_runs_to_completed_with_its_mock_file() {
    let examples = repository().join("examples");
    let mut workflows: Vec<PathBuf> = std::fs::read_dir(&examples)
        .expect("examples")
        .flat_map(|entry| std::fs::read_dir(entry.expect("entry").path()).expect("example"))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".wf.yaml"))
        .collect();
    workflows.sort();
    assert!(workflows.len() >= 10, "{workflows:?}");
    let runs = runs_dir();
    let mut failures = Vec::new();
    for workflow in &workflows {
        let name = workflow
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        let mocks = workflow.with_file_name(name.replace(".wf.yaml", ".mocks.yaml"));
        if !mocks.is_file() {
            failures.push(format!("{name}: no mock file {}", mocks.display()));
            continue;
        }
        let directory = workflow.parent().expect("directory");
        let (code, stdout, stderr) = output(
            wfc(directory)
                .args(["run", name, "--mocks"])
                .arg(&mocks)
                .arg("--runs-dir")
                .arg(runs.path())
                .arg("--json"),
        );
        let status = serde_json::from_str::<Value>(&stdout)
            .ok()
            .and_then(|execution| execution["status"].as_str().map(str::to_string));
        if code != 0 || status.as_deref() != Some("COMPLETED") {
            failures.push(format!("{name}: exit {code}, status {status:?}\n{stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn plain_progress_lines_of_the_order_saga() {
    let runs = runs_dir();
    let directory = repository().join("examples/order-saga");
    assert_cmd_snapshot!(
        wfc(&directory)
            .args([
                "run",
                "fulfil_order.wf.yaml",
                "--mocks",
                "fulfil_order.mocks.yaml",
                "--runs-dir"
            ])
            .arg(runs.path())
    );
}

#[test]
fn json_prints_the_final_execution_in_conductor_shape() {
    let runs = runs_dir();
    let directory = fixture("json");
    let (code, stdout, stderr) = output(
        wfc(&directory)
            .args([
                "run",
                "greet.json",
                "--defs",
                "send_welcome.json",
                "--mocks",
                "mocks.json",
                "--json",
                "--quiet",
                "--runs-dir",
            ])
            .arg(runs.path()),
    );
    assert_eq!(code, 0, "{stderr}");
    let execution: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(execution["status"], "COMPLETED");
    assert_eq!(execution["output"]["greeting"], "Hello, Ada!");
    assert_eq!(execution["output"]["sent"], "m-7");
    let tasks: Vec<(&str, &str)> = execution["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|task| {
            (
                task["referenceTaskName"].as_str().unwrap_or_default(),
                task["taskType"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        tasks,
        [
            ("user", "lookup_user"),
            ("compose", "INLINE"),
            ("welcome", "SUB_WORKFLOW")
        ]
    );
    time_filters().bind(|| insta::assert_snapshot!(stdout));
}

#[test]
fn every_worker_task_without_a_worker_is_named_before_the_run() {
    let runs = runs_dir();
    let directory = repository().join("examples/order-saga");
    assert_cmd_snapshot!(
        wfc(&directory)
            .args(["run", "fulfil_order.wf.yaml", "--runs-dir"])
            .arg(runs.path())
    );
    assert_eq!(
        std::fs::read_dir(runs.path())
            .map(|entries| entries.count())
            .unwrap_or(0),
        0,
        "nothing is recorded"
    );
}

#[test]
fn mock_files_are_checked_against_the_declared_types_with_locations() {
    let runs = runs_dir();
    assert_cmd_snapshot!(
        wfc(&fixture("typed"))
            .args([
                "run",
                "shipping.wf.yaml",
                "--mocks",
                "bad.mocks.yaml",
                "--runs-dir"
            ])
            .arg(runs.path())
    );
}

#[test]
fn stub_fills_outputs_from_the_declared_types() {
    let runs = runs_dir();
    let (code, stdout, stderr) = output(
        wfc(&fixture("typed"))
            .args([
                "run",
                "shipping.wf.yaml",
                "--stub",
                "--input",
                r#"{"parcel_id": "P-9"}"#,
                "--json",
                "--runs-dir",
            ])
            .arg(runs.path()),
    );
    assert_eq!(code, 0, "{stderr}");
    let execution: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        execution["output"],
        serde_json::json!({"carrier": "dhl", "pickup_at": "pickup_at"})
    );
    assert_eq!(
        execution["tasks"][0]["outputData"],
        serde_json::json!({"label_id": "label_id", "pages": 0})
    );
}

#[test]
fn injected_failures_exercise_retries() {
    let runs = runs_dir();
    assert_cmd_snapshot!(
        wfc(&fixture("typed"))
            .args([
                "run",
                "shipping.wf.yaml",
                "--mocks",
                "good.mocks.yaml",
                "--fail",
                "pickup:1",
                "--fail",
                "pickup:2",
                "--runs-dir"
            ])
            .arg(runs.path())
    );
    // Every attempt fails: the retries run out and the workflow FAILS (exit 1).
    let (code, _, stderr) = output(
        wfc(&fixture("typed"))
            .args([
                "run",
                "shipping.wf.yaml",
                "--mocks",
                "good.mocks.yaml",
                "--fail",
                "pickup",
                "--runs-dir",
            ])
            .arg(runs.path()),
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.matches("FAILED     pickup").count(), 3, "{stderr}");
}

#[test]
fn a_failed_step_of_the_saga_runs_the_compensations() {
    let runs = runs_dir();
    let directory = repository().join("examples/order-saga");
    assert_cmd_snapshot!(
        wfc(&directory)
            .args([
                "run",
                "fulfil_order.wf.yaml",
                "--mocks",
                "fulfil_order.mocks.yaml",
                "--fail",
                "ship",
                "--runs-dir"
            ])
            .arg(runs.path())
    );
}

#[test]
fn exit_codes() {
    let runs = runs_dir();
    let typed = fixture("typed");
    let run = |arguments: &[&str]| {
        output(
            wfc(&typed)
                .arg("run")
                .args(arguments)
                .arg("--runs-dir")
                .arg(runs.path()),
        )
    };
    assert_eq!(
        run(&["shipping.wf.yaml", "--mocks", "good.mocks.yaml"]).0,
        0
    );
    assert_eq!(
        run(&[
            "shipping.wf.yaml",
            "--mocks",
            "good.mocks.yaml",
            "--fail",
            "label"
        ])
        .0,
        1
    );
    let (code, _, stderr) = run(&["shipping.wf.yaml", "--fail", "label:0"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the attempt is a number from 1"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["shipping.wf.yaml", "--stub", "--input", "[1]"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the workflow input is a JSON object"),
        "{stderr}"
    );
    assert_eq!(run(&["missing.wf.yaml"]).0, 2);

    // A workflow with errors is not run: its problems render like `wfc check`'s.
    let broken = tempfile::tempdir().expect("temporary directory");
    std::fs::write(
        broken.path().join("broken.wf.yaml"),
        "workflow: broken\nowner: a@example.com\ntasks:\n  a: { noop: true }\n  b: { after: c, noop: true }\n",
    )
    .expect("write");
    let (code, _, stderr) = output(
        wfc(broken.path())
            .args(["run", "broken.wf.yaml", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`broken.wf.yaml` has errors"), "{stderr}");
}

#[test]
fn runs_are_listed_and_replay_reaches_the_same_final_state() {
    let runs = runs_dir();
    let directory = repository().join("examples/order-saga");
    let run = |extra: &[&str]| {
        output(
            wfc(&directory)
                .args([
                    "run",
                    "fulfil_order.wf.yaml",
                    "--mocks",
                    "fulfil_order.mocks.yaml",
                    "--quiet",
                ])
                .args(extra)
                .arg("--runs-dir")
                .arg(runs.path()),
        )
    };
    assert_eq!(run(&[]).0, 0);
    assert_eq!(run(&["--fail", "ship"]).0, 1);
    let settings = time_filters();
    settings.bind(|| {
        assert_cmd_snapshot!(
            "runs_table",
            wfc(&directory)
                .args(["runs", "--runs-dir"])
                .arg(runs.path())
        );
    });
    let (code, stdout, _) = output(
        wfc(&directory)
            .args(["runs", "--json", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(listed[0]["id"], "fulfil_order-2");
    assert_eq!(listed[0]["status"], "FAILED");
    assert_eq!(listed[1]["status"], "COMPLETED");

    for run_id in ["fulfil_order-1", "fulfil_order-2"] {
        let (code, _, stderr) = output(
            wfc(&directory)
                .args(["replay", run_id, "--runs-dir"])
                .arg(runs.path()),
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("the same final state"), "{stderr}");
    }

    // A history whose recorded worker result was changed replays to another state.
    let history = runs.path().join("fulfil_order-1.jsonl");
    let text: String = std::fs::read_to_string(&history)
        .expect("history")
        .lines()
        .map(|line| {
            if line.contains("\"result_received\"") {
                format!("{}\n", line.replace("S-5521", "S-0000"))
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    std::fs::write(&history, text).expect("write");
    let (code, _, stderr) = output(
        wfc(&directory)
            .args(["replay", "fulfil_order-1", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("first difference at /ship#0"), "{stderr}");

    let (code, _, stderr) = output(
        wfc(&directory)
            .args(["replay", "fulfil_order-9", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `fulfil_order-"), "{stderr}");
}

/// Waits until `condition` holds, polling; panics after `limit`.
fn wait_for(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(unix)]
#[test]
fn a_killed_run_resumes_without_running_completed_tasks_again() {
    let project = copy_fixture("resume");
    let runs = runs_dir();
    let log = project.path().join("ran.log");
    let lines = |path: &Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let mut child = wfc(project.path())
        .args(["run", "steps.wf.yaml", "--real-time", "--runs-dir"])
        .arg(runs.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("wfc starts");
    // Kill it (SIGKILL) while the third task runs.
    wait_for(Duration::from_secs(30), "the third task", || {
        lines(&log).len() >= 3
    });
    child.kill().expect("kill");
    child.wait().expect("reaped");

    // What the killed run recorded as done.
    let history = std::fs::read_to_string(runs.path().join("five_steps-1.jsonl")).expect("history");
    let completed_before: Vec<String> = history
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["event"] == "task_finished" && event["status"] == "COMPLETED")
        .filter_map(|event| event["reference_task_name"].as_str().map(str::to_string))
        .collect();
    assert!(completed_before.len() >= 2, "{completed_before:?}");
    assert!(!completed_before.contains(&"five".to_string()));

    let (code, _, stderr) = output(
        wfc(project.path())
            .args(["runs", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 0);
    let (code, _, stderr_resume) = output(
        wfc(project.path())
            .args(["run", "--resume", "five_steps-1", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 0, "{stderr}\n{stderr_resume}");
    assert!(stderr_resume.contains("COMPLETED"), "{stderr_resume}");
    let ran = lines(&log);
    for step in ["one", "two", "three", "four", "five"] {
        let count = ran.iter().filter(|line| *line == step).count();
        if completed_before.iter().any(|done| done == step) {
            assert_eq!(
                count, 1,
                "{step} completed before the kill and ran again: {ran:?}"
            );
        } else {
            assert!(count >= 1, "{step} never ran: {ran:?}");
        }
    }
    // The history was appended to: it ends with the root workflow's end.
    let history = std::fs::read_to_string(runs.path().join("five_steps-1.jsonl")).expect("history");
    let last: Value =
        serde_json::from_str(history.lines().last().unwrap_or_default()).expect("event");
    assert_eq!(last["event"], "workflow_finished");
    assert_eq!(last["status"], "COMPLETED");
    // And the resumed run replays to the same state.
    let (code, _, stderr) = output(
        wfc(project.path())
            .args(["replay", "five_steps-1", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn complete_finishes_a_human_task_of_a_running_run() {
    let runs = runs_dir();
    let directory = fixture("approval");
    let child = wfc(&directory)
        .args([
            "run",
            "approval.wf.yaml",
            "--mocks",
            "book.mocks.yaml",
            "--input",
            r#"{"amount": 120}"#,
            "--json",
            "--runs-dir",
        ])
        .arg(runs.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wfc starts");
    // The run shows its waiting task in `wfc runs --json` once it gets there.
    wait_for(Duration::from_secs(30), "the human task", || {
        let (_, stdout, _) = output(
            wfc(&directory)
                .args(["runs", "--json", "--runs-dir"])
                .arg(runs.path()),
        );
        serde_json::from_str::<Value>(&stdout)
            .is_ok_and(|listed| listed[0]["waitingTasks"][0]["reference"] == "approve")
    });
    let (code, _, stderr) = output(
        wfc(&directory)
            .args([
                "complete",
                "approve_expense-1",
                "aprove",
                "--output",
                "{}",
                "--runs-dir",
            ])
            .arg(runs.path()),
    );
    assert_eq!(code, 1);
    assert!(
        stderr
            .contains("no task `aprove` waits in run approve_expense-1; waiting: approve (HUMAN)"),
        "{stderr}"
    );
    let (code, _, stderr) = output(
        wfc(&directory)
            .args([
                "complete",
                "approve_expense-1",
                "approve",
                "--output",
                r#"{"approved": true, "approver": "kim"}"#,
                "--runs-dir",
            ])
            .arg(runs.path()),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("completed `approve` of run approve_expense-1"),
        "{stderr}"
    );
    let finished = child.wait_with_output().expect("run ends");
    assert_eq!(
        finished.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    let execution: Value = serde_json::from_slice(&finished.stdout).expect("JSON");
    assert_eq!(
        execution["output"],
        serde_json::json!({"approver": "kim", "entry": "E-1"})
    );
    let (code, _, stderr) = output(
        wfc(&directory)
            .args(["complete", "approve_expense-1", "approve", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("has ended (COMPLETED)"), "{stderr}");
    // The completion is in the history: a replay answers the human task with it.
    let (code, _, stderr) = output(
        wfc(&directory)
            .args(["replay", "approve_expense-1", "--runs-dir"])
            .arg(runs.path()),
    );
    assert_eq!(code, 0, "{stderr}");
}
