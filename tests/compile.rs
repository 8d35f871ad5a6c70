//! End-to-end tests of `wfc compile` over the fixture projects in `tests/fixtures/compile/`:
//! what is written, exit codes, and that nothing is written when the project has errors.
//! The emitted JSON itself is snapshot-tested in `compiler/tests/emit.rs`.
//!
//! Snapshots live in `tests/snapshots/compile__*.snap`; review changes with `cargo insta review`.

use std::path::{Path, PathBuf};
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compile")
        .join(name)
}

/// A temporary directory holding a copy of the fixture project `name` (as `name/`), so that
/// commands run in it have short, stable paths: `wfc compile NAME -o out`.
fn workspace(name: &str) -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("temporary directory");
    let copy = directory.path().join(name);
    std::fs::create_dir_all(&copy).expect("create copy");
    for entry in std::fs::read_dir(fixture(name)).expect("read fixture") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, copy.join(path.file_name().expect("file name"))).expect("copy");
        }
    }
    directory
}

/// `wfc` run in `directory`.
fn wfc_at(directory: &Path) -> Command {
    let mut command = Command::new(get_cargo_bin("wfc"));
    command.current_dir(directory);
    command
}

/// The names of the files in `directory` (sorted), or `None` when it does not exist.
fn listing(directory: &Path) -> Option<Vec<String>> {
    let entries = std::fs::read_dir(directory).ok()?;
    let mut names: Vec<String> = entries
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    Some(names)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read output")).expect("JSON")
}

#[test]
fn compile_writes_one_file_per_workflow_and_the_task_definitions() {
    let directory = workspace("ok");
    assert_cmd_snapshot!(wfc_at(directory.path()).args(["compile", "ok", "-o", "out"]));
    let out = directory.path().join("out");
    assert_eq!(
        listing(&out),
        Some(vec![
            "greet_user.json".to_string(),
            "nightly_greetings.json".to_string(),
            "taskdefs.json".to_string(),
        ])
    );
    let greet = read_json(&out.join("greet_user.json"));
    assert_eq!(greet["name"], "greet_user");
    assert_eq!(greet["schemaVersion"], 2);
    let nightly = read_json(&out.join("nightly_greetings.json"));
    assert_eq!(nightly["version"], 2);
    let task_defs = read_json(&out.join("taskdefs.json"));
    let names: Vec<&str> = task_defs
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|def| def["name"].as_str())
        .collect();
    assert_eq!(names, ["lookup_user", "send_greeting"]);
    // The contract's owner, else the owner of the workflow using it.
    assert_eq!(task_defs[0]["ownerEmail"], "accounts@example.com");
    assert_eq!(task_defs[1]["ownerEmail"], "growth@example.com");
    assert_eq!(task_defs[1]["inputTemplate"]["language"], "en");
}

#[test]
fn compiling_twice_gives_the_same_bytes_and_leaves_no_temporary_files() {
    let directory = workspace("ok");
    let out = directory.path().join("out");
    let read_all = |out: &Path| -> Vec<(String, Vec<u8>)> {
        listing(out)
            .unwrap_or_default()
            .into_iter()
            .map(|name| {
                let bytes = std::fs::read(out.join(&name)).expect("read");
                (name, bytes)
            })
            .collect()
    };
    for _ in 0..2 {
        let status = wfc_at(directory.path())
            .args(["compile", "-q", "ok", "-o", "out"])
            .status()
            .expect("wfc runs");
        assert!(status.success());
    }
    let first = read_all(&out);
    assert_eq!(first.len(), 3);
    // The same project given as files, in another order, compiles to the same bytes.
    let status = wfc_at(directory.path())
        .args([
            "compile",
            "-q",
            "ok/nightly.wf.yaml",
            "ok/greet.wf.yaml",
            "ok/greet.workers.yaml",
            "-o",
            "out",
        ])
        .status()
        .expect("wfc runs");
    assert!(status.success());
    assert_eq!(first, read_all(&out));
}

/// A second compile leaves outputs that already hold the new bytes alone (same file, same
/// modification time) and replaces only those that change.
#[cfg(unix)]
#[test]
fn outputs_that_did_not_change_are_left_alone() {
    use std::os::unix::fs::MetadataExt;
    let directory = workspace("ok");
    let out = directory.path().join("out");
    let inode = |name: &str| {
        std::fs::metadata(out.join(name))
            .expect("output exists")
            .ino()
    };
    let compile = || {
        let output = wfc_at(directory.path())
            .args(["compile", "ok", "-o", "out"])
            .output()
            .expect("wfc runs");
        assert!(output.status.success());
        String::from_utf8(output.stderr).expect("UTF-8")
    };
    let first = compile();
    assert!(!first.contains("unchanged"), "{first}");
    let before = [
        inode("greet_user.json"),
        inode("nightly_greetings.json"),
        inode("taskdefs.json"),
    ];
    let second = compile();
    assert!(second.contains("(3 files unchanged)"), "{second}");
    assert_eq!(
        before,
        [
            inode("greet_user.json"),
            inode("nightly_greetings.json"),
            inode("taskdefs.json"),
        ]
    );
    // A new description changes one workflow's JSON only.
    let source = directory.path().join("ok/greet.wf.yaml");
    let text = std::fs::read_to_string(&source).expect("read source");
    std::fs::write(
        &source,
        text.replacen("owner:", "description: Says hello\nowner:", 1),
    )
    .expect("write source");
    let third = compile();
    assert!(third.contains("(2 files unchanged)"), "{third}");
    assert_ne!(inode("greet_user.json"), before[0]);
    assert_eq!(
        read_json(&out.join("greet_user.json"))["description"],
        "Says hello"
    );
    assert_eq!(inode("nightly_greetings.json"), before[1]);
    assert_eq!(inode("taskdefs.json"), before[2]);
    assert_eq!(listing(&out).map(|names| names.len()), Some(3));
}

#[test]
fn nothing_is_written_when_there_is_an_error() {
    let directory = workspace("broken");
    assert_cmd_snapshot!(wfc_at(directory.path()).args(["compile", "broken", "-o", "out"]));
    assert_eq!(
        listing(&directory.path().join("out")),
        None,
        "the output directory was created"
    );
}

#[test]
fn an_error_leaves_earlier_output_untouched() {
    let directory = workspace("broken");
    let out = directory.path().join("out");
    std::fs::create_dir_all(&out).expect("create out");
    std::fs::write(out.join("greet_user.json"), "earlier\n").expect("write");
    let output = wfc_at(directory.path())
        .args(["compile", "-q", "broken", "-o", "out"])
        .output()
        .expect("wfc runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(listing(&out), Some(vec!["greet_user.json".to_string()]));
    assert_eq!(
        std::fs::read_to_string(out.join("greet_user.json")).expect("read"),
        "earlier\n"
    );
}

#[test]
fn warnings_are_printed_and_compiled_unless_denied() {
    let directory = workspace("warning");
    assert_cmd_snapshot!(
        "warnings_are_printed",
        wfc_at(directory.path()).args(["compile", "warning", "-o", "out"])
    );
    assert_eq!(
        listing(&directory.path().join("out")),
        Some(vec![
            "greet_user.json".to_string(),
            "taskdefs.json".to_string()
        ])
    );
    assert_cmd_snapshot!(
        "warnings_denied",
        wfc_at(directory.path()).args(["compile", "--deny-warnings", "warning", "-o", "denied"])
    );
    assert_eq!(listing(&directory.path().join("denied")), None);
}

#[test]
fn two_contracts_of_one_name_are_refused() {
    let directory = workspace("conflict");
    assert_cmd_snapshot!(wfc_at(directory.path()).args(["compile", "conflict", "-o", "out"]));
    assert_eq!(listing(&directory.path().join("out")), None);
}

#[test]
fn an_unreadable_path_exits_two_and_writes_nothing() {
    let directory = workspace("ok");
    assert_cmd_snapshot!(wfc_at(directory.path()).args([
        "compile",
        "ok",
        "missing.wf.yaml",
        "-o",
        "out"
    ]));
    assert_eq!(listing(&directory.path().join("out")), None);
}

#[test]
fn machine_formats_always_print_a_document() {
    let directory = workspace("ok");
    let output = wfc_at(directory.path())
        .args(["compile", "--format", "json", "-q", "ok", "-o", "out"])
        .output()
        .expect("wfc runs");
    assert_eq!(output.status.code(), Some(0));
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(document["version"], 1);
    assert!(output.stderr.is_empty());
}

#[test]
fn the_output_directory_is_required() {
    let output = wfc_at(&fixture("ok"))
        .arg("compile")
        .output()
        .expect("wfc runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--out-dir"));
}
