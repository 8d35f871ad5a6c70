//! End-to-end tests of `wfc import` over `tests/fixtures/import/`: stdout and `-o DIR` output,
//! that the written project checks and compiles, refusal to overwrite without `--force`, and
//! located errors (exit status 2) for invalid JSON and for documents that are not definitions.
//! The conversion itself is tested in `compiler/tests/import_roundtrip.rs`.
//!
//! Snapshots live in `tests/snapshots/import__*.snap`; review changes with `cargo insta review`.

use std::path::{Path, PathBuf};
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

/// A temporary directory holding a copy of `tests/fixtures/import/`, so that commands run in
/// it have short, stable paths.
fn workspace() -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("temporary directory");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    for entry in std::fs::read_dir(fixtures).expect("read fixtures") {
        let path = entry.expect("entry").path();
        std::fs::copy(
            &path,
            directory.path().join(path.file_name().expect("name")),
        )
        .expect("copy");
    }
    directory
}

fn wfc_at(directory: &Path) -> Command {
    let mut command = Command::new(get_cargo_bin("wfc"));
    command.current_dir(directory);
    command
}

fn listing(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .map(|entries| {
            entries
                .map(|entry| {
                    entry
                        .expect("entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn import_prints_to_stdout_without_out_dir() {
    let directory = workspace();
    assert_cmd_snapshot!(wfc_at(directory.path()).args(["import", "order.json", "taskdefs.json"]));
}

#[test]
fn imported_files_check_and_compile() {
    let directory = workspace();
    assert_cmd_snapshot!(wfc_at(directory.path()).args([
        "import",
        "order.json",
        "taskdefs.json",
        "-o",
        "flows"
    ]));
    let flows: PathBuf = directory.path().join("flows");
    assert_eq!(
        listing(&flows),
        ["contracts.workers.yaml", "ship_order.wf.yaml"]
    );
    let check = wfc_at(directory.path())
        .args(["check", "-q", "flows"])
        .output()
        .expect("run wfc check");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let compile = wfc_at(directory.path())
        .args(["compile", "-q", "flows", "-o", "out"])
        .output()
        .expect("run wfc compile");
    assert!(compile.status.success());
    let compiled: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(directory.path().join("out/ship_order.json")).expect("read"),
    )
    .expect("JSON");
    let references: Vec<&str> = compiled["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|task| task["taskReferenceName"].as_str())
        .collect();
    // Conductor's order is kept: `charge` ran after `reserve`.
    assert_eq!(references, ["reserve", "charge"]);
}

#[test]
fn existing_files_are_not_overwritten_without_force() {
    let directory = workspace();
    let flows = directory.path().join("flows");
    std::fs::create_dir_all(&flows).expect("create");
    std::fs::write(flows.join("ship_order.wf.yaml"), "mine\n").expect("write");
    assert_cmd_snapshot!(wfc_at(directory.path()).args(["import", "order.json", "-o", "flows"]));
    assert_eq!(
        std::fs::read_to_string(flows.join("ship_order.wf.yaml")).expect("read"),
        "mine\n"
    );
    assert_eq!(listing(&flows), ["ship_order.wf.yaml"]);
    let forced = wfc_at(directory.path())
        .args(["import", "-q", "order.json", "-o", "flows", "--force"])
        .output()
        .expect("run wfc import");
    assert!(forced.status.success());
    assert!(
        std::fs::read_to_string(flows.join("ship_order.wf.yaml"))
            .expect("read")
            .starts_with("workflow: ship_order")
    );
}

#[test]
fn invalid_json_is_located_and_exits_two() {
    let directory = workspace();
    assert_cmd_snapshot!(wfc_at(directory.path()).args(["import", "invalid.json", "-o", "flows"]));
    assert!(!directory.path().join("flows").exists());
}

#[test]
fn a_document_that_is_not_a_definition_is_located_and_exits_two() {
    let directory = workspace();
    assert_cmd_snapshot!(wfc_at(directory.path()).args([
        "import",
        "not_a_workflow.json",
        "-o",
        "flows"
    ]));
    assert!(!directory.path().join("flows").exists());
}

#[test]
fn a_missing_file_exits_two() {
    let directory = workspace();
    assert_cmd_snapshot!(wfc_at(directory.path()).args(["import", "missing.json"]));
}
