//! End-to-end tests of the `wfc` binary: every output format over the fixture projects in
//! `tests/fixtures/cli/`, exit codes, configuration, and the generated docs/rules.md.
//!
//! Snapshots live in `tests/snapshots/`; after an intended change run `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test --test cli`) and read the diff before committing.

use std::path::{Path, PathBuf};
use std::process::Command;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cli")
        .join(name)
}

/// `wfc` run inside a fixture directory, so that paths in the output are short and stable.
fn wfc_in(name: &str) -> Command {
    let mut command = Command::new(get_cargo_bin("wfc"));
    command.current_dir(fixture(name));
    command
}

fn wfc() -> Command {
    wfc_in("")
}

/// Runs `command` and returns (exit code, stdout, stderr).
fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().expect("wfc runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Replaces the tool version, which changes with every release, in snapshots.
fn version_filters() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(env!("CARGO_PKG_VERSION")), "[VERSION]");
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn check_human() {
    assert_cmd_snapshot!(wfc_in("broken").arg("check"));
}

#[test]
fn check_human_color() {
    assert_cmd_snapshot!(wfc_in("broken").args([
        "check",
        "--color",
        "always",
        "duplicate.wf.yaml"
    ]));
}

#[test]
fn check_quiet() {
    assert_cmd_snapshot!(wfc_in("broken").args(["check", "-q", "duplicate.wf.yaml"]));
}

#[test]
fn check_json() {
    let (code, stdout, stderr) = run(wfc_in("broken").args(["check", "--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let document: Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert_eq!(document["version"], 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn check_github() {
    assert_cmd_snapshot!(wfc_in("broken").args(["check", "--format", "github"]));
}

#[test]
fn check_sarif() {
    let (code, stdout, stderr) = run(wfc_in("broken").args(["check", "--format", "sarif"]));
    assert_eq!(code, 1, "{stderr}");
    let mut log: Value = serde_json::from_str(&stdout).expect("valid JSON");
    validate_sarif(&log);
    let rules = &mut log["runs"][0]["tool"]["driver"]["rules"];
    let count = rules.as_array().map_or(0, Vec::len);
    assert!(count > 40);
    // The rule metadata is the rule reference, tested by `rules_markdown_is_up_to_date`.
    *rules = Value::String(format!("[{count} rules]"));
    version_filters().bind(|| insta::assert_json_snapshot!(log));
}

/// Validates against the official SARIF 2.1.0 JSON schema (from Microsoft's SARIF SDK, shipped
/// in the npm package @microsoft/sarif-multitool-linux 5.7.0), with formats such as `uri` checked.
fn validate_sarif(log: &Value) {
    let schema: Value = serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json"))
        .expect("schema is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF output is not valid:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_sarif_schema_check_rejects_invalid_logs() {
    let (_, stdout, _) =
        run(wfc_in("broken").args(["check", "--format", "sarif", "duplicate.wf.yaml"]));
    let mut log: Value = serde_json::from_str(&stdout).expect("valid JSON");
    log["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    let outcome = std::panic::catch_unwind(|| validate_sarif(&log));
    assert!(outcome.is_err(), "an invalid level must fail validation");
}

#[test]
fn sarif_with_fixes_is_valid() {
    let (code, stdout, _) = run(wfc_in("bad-config").args(["check", "--format", "sarif"]));
    assert_eq!(code, 2);
    let log: Value = serde_json::from_str(&stdout).expect("valid JSON");
    validate_sarif(&log);
    assert!(log["runs"][0]["results"][0]["fixes"].is_array());
}

#[test]
fn sarif_without_results_is_valid() {
    let (code, stdout, _) = run(wfc_in("broken").args(["check", "--format", "sarif", "nested"]));
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&stdout).expect("valid JSON");
    validate_sarif(&log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn explicit_files_are_checked_whatever_their_name() {
    assert_cmd_snapshot!(wfc_in("broken").args(["check", "notes.yaml", ".hidden/skipped.wf.yaml"]));
}

#[test]
fn hidden_and_unselected_files_are_skipped_in_directories() {
    let (_, stdout, _) = run(wfc_in("broken").args(["check", "--format", "json"]));
    let document: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let files: Vec<&str> = document["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["file"].as_str())
        .collect();
    assert!(
        !files
            .iter()
            .any(|file| file.contains("hidden") || file.contains("notes")),
        "{files:?}"
    );
}

#[test]
fn the_same_file_twice_is_checked_once() {
    let (_, stdout, _) = run(wfc_in("broken").args([
        "check",
        "--format",
        "json",
        "duplicate.wf.yaml",
        ".",
        "./duplicate.wf.yaml",
    ]));
    let document: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let count = document["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["file"] == "duplicate.wf.yaml")
        .count();
    assert_eq!(count, 1);
}

#[test]
fn clean_project_exits_zero() {
    assert_cmd_snapshot!(wfc_in("clean").arg("check"));
}

#[test]
fn missing_path_exits_two() {
    assert_cmd_snapshot!(wfc_in("clean").args(["check", "does-not-exist.wf.yaml", "."]));
}

#[test]
fn usage_errors_exit_two() {
    let (code, _, stderr) = run(wfc().args(["check", "--format", "xml"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid value 'xml'"), "{stderr}");
}

#[test]
fn configuration_changes_severities_and_excludes_files() {
    assert_cmd_snapshot!(wfc_in("configured").arg("check"));
}

#[test]
fn deny_warnings_fails_on_warnings() {
    let (code, _, _) = run(wfc_in("configured").args(["check", "--deny-warnings"]));
    assert_eq!(code, 1);
}

#[test]
fn configuration_is_found_from_the_first_path() {
    // Run from the fixtures root: wfc.toml is found by walking up from `configured/flows`.
    let (code, stdout, stderr) = run(wfc().args(["check", "configured/flows"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("1 warning in 2 files"), "{stdout}");
}

#[test]
fn explicit_config_file() {
    let config = fixture("configured/wfc.toml");
    let (code, stdout, _) = run(wfc_in("broken")
        .args(["check", "--config"])
        .arg(&config)
        .arg("duplicate.wf.yaml"));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("1 warning in 1 file"), "{stdout}");
}

#[test]
fn bad_configuration_exits_two() {
    assert_cmd_snapshot!(wfc_in("bad-config").arg("check"));
}

#[test]
fn bad_configuration_in_json() {
    let (code, stdout, _) = run(wfc_in("bad-config").args(["check", "--format", "json"]));
    assert_eq!(code, 2);
    let document: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let codes: Vec<&str> = document["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["WF005", "WF005", "WF005"]);
}

#[test]
fn rules_list() {
    let (code, stdout, _) = run(wfc().arg("rules"));
    assert_eq!(code, 0);
    assert!(stdout.starts_with("CODE "));
    assert!(stdout.contains("WF002  duplicate-key"));
}

#[test]
fn rules_markdown_is_up_to_date() {
    let (code, stdout, _) = run(wfc().args(["rules", "--markdown"]));
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
            .unwrap_or_default();
    assert!(
        committed == stdout,
        "docs/rules.md is stale; regenerate it with `cargo run -- rules --markdown > docs/rules.md`"
    );
}

#[test]
fn cli_reference_is_up_to_date() {
    let (code, stdout, _) = run(wfc().args(["cli-reference"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("\n## `wfc check`\n"));
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli-reference.md"),
    )
    .unwrap_or_default();
    assert!(
        committed == stdout,
        "docs/cli-reference.md is stale; regenerate it with \
         `cargo run -q -- cli-reference > docs/cli-reference.md`"
    );
}

#[test]
fn explain_rule() {
    assert_cmd_snapshot!(wfc().args(["explain-rule", "WF002"]));
}

#[test]
fn explain_rule_by_name_with_the_short_alias() {
    let (code, stdout, _) = run(wfc().args(["rule", "duplicate-key"]));
    assert_eq!(code, 0);
    assert!(stdout.starts_with("WF002 duplicate-key"));
}

#[test]
fn explain_unknown_rule() {
    assert_cmd_snapshot!(wfc().args(["explain-rule", "duplicat-key"]));
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, stderr) = run(wfc().args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(stdout.contains("check"), "{shell}");
    }
}
