//! `wfc deploy` against `wfc serve`, both real processes on loopback with a random port: the
//! plan and its diff, refusals, `--bump` and `--force`, contract breaks, Orkes authentication,
//! an unreachable server, a server refusal shown at the YAML task, and a server killed and
//! restarted on its state file.
//!
//! Snapshots live in `tests/snapshots/deploy__*.snap` (the server's address is `[SERVER]`).

use std::path::{Path, PathBuf};
use std::process::Command;

use insta_cmd::get_cargo_bin;

mod common;
use common::ServeProcess as Server;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/deploy")
        .join(name)
}

/// A temporary directory with a copy of the fixture project `name` (as `name/`).
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

/// Replaces `old` by `new` in a file of a workspace (the edit must apply).
fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(old), "`{old}` is not in {}", path.display());
    std::fs::write(path, text.replacen(old, new, 1)).expect("write");
}

/// `wfc deploy ARGS --server URL` in `directory`, without the developer's Conductor settings.
fn deploy(directory: &Path, server: &str, args: &[&str]) -> Command {
    let mut command = Command::new(get_cargo_bin("wfc"));
    command
        .current_dir(directory)
        .arg("deploy")
        .args(args)
        .args(["--server", server])
        .env_remove("CONDUCTOR_SERVER_URL")
        .env_remove("CONDUCTOR_AUTH_KEY")
        .env_remove("CONDUCTOR_AUTH_SECRET");
    command
}

/// The server's address, which changes with every run, as `[SERVER]` in snapshots.
fn server_filters() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"http://127\.0\.0\.1:\d+", "http://[SERVER]");
    settings
}

/// What a user sees of a command: its exit status, stdout and stderr. (Not insta-cmd's
/// snapshots, whose header records the arguments, random port included, unfiltered.)
fn transcript(command: &mut Command) -> String {
    let output = command.output().expect("wfc runs");
    format!(
        "exit status: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

macro_rules! assert_cmd_snapshot {
    ($name:expr, $command:expr) => {
        insta::assert_snapshot!($name, transcript(&mut $command))
    };
    ($command:expr) => {
        insta::assert_snapshot!(transcript(&mut $command))
    };
}

fn status(command: &mut Command) -> i32 {
    command
        .output()
        .expect("wfc runs")
        .status
        .code()
        .unwrap_or(-1)
}

#[test]
fn deploy_registers_then_finds_nothing_to_do() {
    let directory = workspace("shop");
    let server = Server::start(&directory.path().join("state.sqlite3"), &[]);
    let _filters = server_filters().bind_to_scope();
    assert_cmd_snapshot!(
        "first_deploy",
        deploy(directory.path(), &server.url, &["shop"])
    );
    assert_cmd_snapshot!(
        "second_deploy",
        deploy(directory.path(), &server.url, &["shop"])
    );
}

#[test]
fn dry_run_shows_the_diff_and_changes_nothing() {
    let directory = workspace("shop");
    let server = Server::start(&directory.path().join("state.sqlite3"), &[]);
    let _filters = server_filters().bind_to_scope();
    assert_eq!(
        status(&mut deploy(directory.path(), &server.url, &["shop"])),
        0
    );
    let workflow = directory.path().join("shop/checkout.wf.yaml");
    edit(
        &workflow,
        "    worker: send_receipt\n",
        "    worker: send_receipt\n    retries: 1\n",
    );
    edit(
        &workflow,
        "\n  receipt_url: ${charge.output.receipt_url}\n",
        "\n  message_id: ${receipt.output.message_id}\n",
    );
    assert_cmd_snapshot!(deploy(
        directory.path(),
        &server.url,
        &["shop", "--dry-run"]
    ));
    // The dry run changed nothing: the server still has the first version.
    assert_cmd_snapshot!(
        "dry_run_again",
        deploy(
            directory.path(),
            &server.url,
            &["shop", "--dry-run", "--bump"]
        )
    );
}

#[test]
fn changed_content_needs_bump_or_force() {
    let directory = workspace("shop");
    let server = Server::start(&directory.path().join("state.sqlite3"), &[]);
    let _filters = server_filters().bind_to_scope();
    assert_eq!(
        status(&mut deploy(directory.path(), &server.url, &["shop"])),
        0
    );
    let workflow = directory.path().join("shop/checkout.wf.yaml");
    edit(
        &workflow,
        "inputs:\n",
        "description: Charge and mail\ninputs:\n",
    );
    assert_cmd_snapshot!("refused", deploy(directory.path(), &server.url, &["shop"]));
    assert_cmd_snapshot!(
        "forced",
        deploy(directory.path(), &server.url, &["shop", "--force"])
    );
    edit(&workflow, "Charge and mail", "Charge, then mail");
    assert_cmd_snapshot!(
        "bumped",
        deploy(directory.path(), &server.url, &["shop", "--bump"])
    );
    // Bumping again finds the content already deployed as version 2.
    assert_cmd_snapshot!(
        "bumped_again",
        deploy(directory.path(), &server.url, &["shop", "--bump"])
    );
    // A changed task definition has no version to bump: only --force replaces it.
    edit(
        &directory.path().join("shop/payments.workers.yaml"),
        "retry: { count: 2, delay: 5s }",
        "retry: { count: 4, delay: 5s }",
    );
    assert_cmd_snapshot!(
        "task_def_refused",
        deploy(directory.path(), &server.url, &["shop", "--bump"])
    );
}

#[test]
fn contract_breaks_are_reported() {
    let directory = workspace("shop");
    let server = Server::start(&directory.path().join("state.sqlite3"), &[]);
    let _filters = server_filters().bind_to_scope();
    assert_eq!(
        status(&mut deploy(directory.path(), &server.url, &["shop"])),
        0
    );
    let workflow = directory.path().join("shop/checkout.wf.yaml");
    // A new version that needs an input callers do not send, narrows another, and drops an
    // output: three breaks of version 1's contract, reported though the version is new.
    edit(&workflow, "version: 1", "version: 2");
    edit(
        &workflow,
        "  amount_cents: int\n",
        "  amount_cents: int\n  currency: string\n",
    );
    edit(
        &workflow,
        "  order_id: string\n",
        "  order_id: enum(A1, B2)\n",
    );
    edit(
        &workflow,
        "\n  receipt_url: ${charge.output.receipt_url}\n",
        "\n  currency: ${workflow.input.currency}\n",
    );
    assert_cmd_snapshot!(deploy(
        directory.path(),
        &server.url,
        &["shop", "--dry-run"]
    ));
}

#[test]
fn authentication_with_orkes_tokens() {
    let directory = workspace("shop");
    let server = Server::start(
        &directory.path().join("state.sqlite3"),
        &["--auth", "app-key:s3cr3t-value"],
    );
    let _filters = server_filters().bind_to_scope();
    assert_cmd_snapshot!(
        "no_credentials",
        deploy(directory.path(), &server.url, &["shop"])
    );
    assert_cmd_snapshot!(
        "wrong_secret",
        deploy(directory.path(), &server.url, &["shop"])
            .env("CONDUCTOR_AUTH_KEY", "app-key")
            .env("CONDUCTOR_AUTH_SECRET", "not-the-secret")
    );
    let output = deploy(directory.path(), &server.url, &["shop"])
        .env("CONDUCTOR_AUTH_KEY", "app-key")
        .env("CONDUCTOR_AUTH_SECRET", "s3cr3t-value")
        .output()
        .expect("wfc runs");
    assert_eq!(output.status.code(), Some(0));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("deployed 2 task definitions and 1 workflow"));
    assert!(!printed.contains("s3cr3t-value"), "the secret was printed");
    assert_cmd_snapshot!(
        "half_the_credentials",
        deploy(directory.path(), &server.url, &["shop"]).env("CONDUCTOR_AUTH_KEY", "app-key")
    );
}

#[test]
fn an_unreachable_server_is_named() {
    let directory = workspace("shop");
    // A port that was free a moment ago: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let mut settings = server_filters();
    settings.add_filter(r"\(os error \d+\)", "(os error N)");
    let _filters = settings.bind_to_scope();
    assert_cmd_snapshot!(deploy(directory.path(), &url, &["shop"]));
    assert_cmd_snapshot!(
        "no_server_given",
        Command::new(get_cargo_bin("wfc"))
            .current_dir(directory.path())
            .args(["deploy", "shop"])
            .env_remove("CONDUCTOR_SERVER_URL")
    );
}

#[test]
fn a_server_refusal_points_at_the_task() {
    let directory = workspace("server-refuses");
    let server = Server::start(&directory.path().join("state.sqlite3"), &[]);
    let _filters = server_filters().bind_to_scope();
    assert_cmd_snapshot!(deploy(directory.path(), &server.url, &["server-refuses"]));
}

#[test]
fn a_refused_task_definition_points_at_the_contract() {
    let directory = workspace("taskdef-refused");
    let server = Server::start(&directory.path().join("state.sqlite3"), &[]);
    let _filters = server_filters().bind_to_scope();
    assert_cmd_snapshot!(deploy(directory.path(), &server.url, &["taskdef-refused"]));
}

#[test]
fn a_killed_server_keeps_what_it_acknowledged() {
    let directory = workspace("shop");
    let state = directory.path().join("state.sqlite3");
    let server = Server::start(&state, &[]);
    assert_eq!(
        status(&mut deploy(directory.path(), &server.url, &["shop"])),
        0
    );
    server.kill();
    let restarted = Server::start(&state, &[]);
    let output = deploy(directory.path(), &restarted.url, &["shop"])
        .output()
        .expect("wfc runs");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "task definition charge_card: unchanged\ntask definition send_receipt: unchanged\nworkflow checkout v1: unchanged\n"
    );
}
