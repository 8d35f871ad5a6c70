//! End to end with a real editor: headless Neovim (0.7, the Debian package) starts `wfc lsp`
//! through its built-in LSP client, opens an example with a mistake, shows the expected
//! diagnostic, and gets completion items after `${`. The script is `tests/neovim/probe.lua`.
//!
//! Neovim runs under `timeout`, so a server that hangs fails the test instead of hanging it.
//! Without `nvim` on the PATH the test says so and passes (CI installs it, see `.ci/run`).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const MISTAKE: (&str, &str) = (
    "artifact: ${firmware.output.artifact}\n    # Never",
    "artifact: ${firmware.output.artifcat}\n    # Never",
);

#[test]
fn neovim_shows_diagnostics_and_completes_after_dollar_brace() {
    if Command::new("nvim").arg("--version").output().is_err() {
        eprintln!("skipped: `nvim` is not installed (apt-get install -y neovim)");
        return;
    }
    let directory = tempfile::tempdir().expect("a temporary directory");
    let root = directory.path().canonicalize().expect("a path");
    let project = root.join("project");
    std::fs::create_dir_all(&project).expect("created");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware-release");
    std::fs::copy(
        examples.join("build.workers.yaml"),
        project.join("build.workers.yaml"),
    )
    .expect("copied");
    let text = std::fs::read_to_string(examples.join("release_firmware.wf.yaml"))
        .expect("readable")
        .replace(MISTAKE.0, MISTAKE.1);
    assert!(
        text.contains("artifcat"),
        "the example still has the line to break"
    );
    std::fs::write(project.join("release_firmware.wf.yaml"), &text).expect("written");
    let mistake_line = text
        .lines()
        .position(|line| line.contains("artifcat"))
        .expect("the mistake");

    let home = root.join("home");
    for sub in ["config", "data", "state", "cache"] {
        std::fs::create_dir_all(home.join(sub)).expect("created");
    }
    let result_path = root.join("result.json");
    let output = Command::new("timeout")
        .args(["60", "nvim", "--headless", "-n", "-i", "NONE", "-u"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/neovim/probe.lua"))
        .arg("release_firmware.wf.yaml")
        .current_dir(&project)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("WFC", env!("CARGO_BIN_EXE_wfc"))
        .env("RESULT", &result_path)
        .env("EDIT_LINE", mistake_line.to_string())
        .output()
        .expect("nvim runs");
    let result: Option<Value> = std::fs::read_to_string(&result_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let log_tail = {
        let log = result
            .as_ref()
            .and_then(|result| result["log"].as_str().map(str::to_string))
            .unwrap_or_else(|| home.join("cache/nvim/lsp.log").display().to_string());
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    assert!(
        output.status.success(),
        "nvim failed ({}; 124 is a timeout)\nresult: {result:?}\nstderr: {}\nLSP log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        log_tail
    );
    let result = result.expect("a result file");
    let diagnostics = result["diagnostics"].as_array().expect("diagnostics");
    assert!(
        diagnostics
            .iter()
            .any(|diagnostic| diagnostic["code"] == "WF033"
                && diagnostic["line"] == mistake_line
                && diagnostic["message"]
                    .as_str()
                    .is_some_and(|message| message.contains("did you mean `artifact`?"))),
        "the misspelled field is reported: {diagnostics:?}\nLSP log:\n{}",
        log_tail
    );
    let labels: Vec<&str> = result["completion"]
        .as_array()
        .expect("completion labels")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // Inside `tests`, only what runs before it is offered: not `tests` itself, nor `gate`.
    assert_eq!(labels, ["workflow", "firmware", "webapp", "changelog"]);
}
