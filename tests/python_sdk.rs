//! Interop with the official Python SDK (`conductor-python`): `wfc deploy` registers a workflow
//! on a real `wfc serve` (loopback, random port); a worker written with the SDK's `@worker_task`
//! polls the server and completes the workflow's `greet` task; the SDK's workflow client starts
//! the workflow and sees it COMPLETED with the worker's output; the SDK's metadata client reads
//! back the definition `wfc deploy` registered (`tests/fixtures/python_sdk/sdk_worker.py`).
//!
//! The SDK is installed with pip into a virtual environment under Cargo's target directory
//! (kept between runs). The test skips, saying so, only when the package registry cannot be
//! reached; any other failure fails it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insta_cmd::get_cargo_bin;

mod common;
use common::ServeProcess;

/// The SDK version the test is written against.
const SDK: &str = "conductor-python==2.0.0";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python_sdk")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// What pip prints when it cannot reach the package index.
fn registry_unreachable(pip_output: &str) -> bool {
    [
        "NewConnectionError",
        "Max retries exceeded",
        "Temporary failure in name resolution",
        "Network is unreachable",
        "Connection refused",
        "No matching distribution found",
    ]
    .iter()
    .any(|sign| pip_output.contains(sign))
}

/// The virtual environment's Python with the SDK installed, or `None` (after saying why) when
/// the registry cannot be reached.
fn python_with_sdk() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-sdk-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let created = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .expect("python3 runs (the CI image has CPython 3.11)");
        assert!(
            created.status.success(),
            "python3 -m venv: {}",
            text(&created)
        );
    }
    let installed = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", SDK])
        .output()
        .expect("pip runs");
    if installed.status.success() {
        return Some(python);
    }
    let output = text(&installed);
    assert!(
        registry_unreachable(&output),
        "pip install {SDK} failed:\n{output}"
    );
    eprintln!(
        "skipped: the package registry is unreachable, so {SDK} cannot be installed:\n{output}"
    );
    None
}

#[test]
fn an_sdk_worker_completes_a_workflow_deployed_by_wfc() {
    let Some(python) = python_with_sdk() else {
        return;
    };
    let directory = tempfile::tempdir().expect("temporary directory");
    let project = directory.path().join("project");
    std::fs::create_dir_all(&project).expect("project directory");
    for file in ["greet.workers.yaml", "hello.wf.yaml"] {
        std::fs::copy(fixture().join(file), project.join(file)).expect("copy fixture");
    }
    let server = ServeProcess::start(&directory.path().join("state/serve.sqlite3"), &[]);

    let deployed = Command::new(get_cargo_bin("wfc"))
        .current_dir(&project)
        .args(["deploy", "--server", &server.url])
        .env_remove("CONDUCTOR_SERVER_URL")
        .env_remove("CONDUCTOR_AUTH_KEY")
        .env_remove("CONDUCTOR_AUTH_SECRET")
        .output()
        .expect("wfc deploy runs");
    assert!(deployed.status.success(), "wfc deploy: {}", text(&deployed));

    let worker = Command::new(&python)
        .arg(fixture().join("sdk_worker.py"))
        .arg(format!("{}/api", server.url))
        .env_remove("CONDUCTOR_AUTH_KEY")
        .env_remove("CONDUCTOR_AUTH_SECRET")
        .output()
        .expect("the SDK script runs");
    let output = text(&worker);
    assert!(worker.status.success(), "the SDK worker failed:\n{output}");
    assert!(
        output.contains("completed by SDK worker") && output.contains("hello, sdk"),
        "{output}"
    );
    // Still alive after serving the SDK: killing it succeeds.
    server.kill();
}
