//! End-to-end tests of `wfc explain` and `wfc graph`: what users see, exit codes, and refusals
//! (a workflow with errors, an unknown task, a directory). The explanations and drawings of
//! every example are tested in `compiler/tests/explain_graph.rs`.
//!
//! Snapshots live in `tests/snapshots/explain__*.snap`.

use std::path::Path;
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

/// `wfc` run at the workspace root, so paths in the output are short and stable.
fn wfc() -> Command {
    let mut command = Command::new(get_cargo_bin("wfc"));
    command.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
    command.env("NO_COLOR", "1");
    command
}

const FIRMWARE: &str = "examples/firmware-release/release_firmware.wf.yaml";

#[test]
fn explain_prints_the_plan() {
    assert_cmd_snapshot!(wfc().args(["explain", FIRMWARE]));
}

#[test]
fn explain_why_two_tasks_are_ordered() {
    assert_cmd_snapshot!(wfc().args(["explain", FIRMWARE, "--why", "tests", "promote"]));
}

#[test]
fn explain_an_unknown_task_fails_with_a_suggestion() {
    assert_cmd_snapshot!(wfc().args(["explain", FIRMWARE, "--why", "test", "promote"]));
}

#[test]
fn explain_refuses_a_workflow_with_errors() {
    assert_cmd_snapshot!(wfc().args(["explain", "tests/fixtures/explain/broken.wf.yaml"]));
}

#[test]
fn graph_refuses_a_directory() {
    assert_cmd_snapshot!(wfc().args(["graph", "examples/firmware-release"]));
}

#[test]
fn graph_of_the_compiled_plan_in_mermaid() {
    assert_cmd_snapshot!(wfc().args([
        "graph",
        "examples/order-saga/fulfil_order.wf.yaml",
        "--plan"
    ]));
}

#[test]
fn graph_as_written_in_dot() {
    assert_cmd_snapshot!(wfc().args([
        "graph",
        "examples/data-pipeline/nightly_rollup.wf.yaml",
        "--format",
        "dot"
    ]));
}
