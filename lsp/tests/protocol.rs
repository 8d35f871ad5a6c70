//! In-process protocol tests: a real client conversation with the server over an in-memory
//! pipe. Cursor requests come from the fixtures in `fixtures/cursor/` (the file name says which
//! request; `<|>` marks the position); whole-document features run on `fixtures/project/`.
//! Every answer is snapshotted (`snapshots/`), with the fixture directory written as `/ROOT`.

mod common;

use std::path::{Path, PathBuf};

use common::{Client, cursor, portable, uri};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .canonicalize()
        .expect("the fixtures exist")
}

fn position_params(path: &Path, line: u32, column: u32) -> Value {
    json!({
        "textDocument": { "uri": uri(path) },
        "position": { "line": line, "character": column },
    })
}

/// Keeps what a user sees of completion items (label, kind, detail, edit, tags), in order.
fn completion_summary(result: &Value) -> Value {
    let items = result.as_array().cloned().unwrap_or_default();
    Value::Array(
        items
            .iter()
            .map(|item| {
                json!({
                    "label": item["label"],
                    "kind": item["kind"],
                    "detail": item["detail"],
                    "newText": item["textEdit"]["newText"],
                    "range": item["textEdit"]["range"],
                    "documentation": item["documentation"],
                    "tags": item["tags"],
                })
            })
            .collect(),
    )
}

#[tokio::test]
async fn cursor_fixtures() {
    let root = fixtures();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root.join("cursor"))
        .expect("cursor fixtures")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    cases.sort();
    for path in cases {
        // A server per case: answers must not depend on which other fixtures are open.
        let (mut client, _) = Client::start(&root, None).await;
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".wf.yaml"))
            .expect("a workflow fixture")
            .to_string();
        let (text, line, column) = cursor(&std::fs::read_to_string(&path).expect("readable"));
        client.open(&path, &text).await;
        client.diagnostics(&uri(&path), 1).await;
        let params = position_params(&path, line, column);
        let result = if name.starts_with("completion_") {
            completion_summary(&client.request("textDocument/completion", params).await)
        } else if name.starts_with("hover_") {
            client.request("textDocument/hover", params).await
        } else if name.starts_with("definition_") {
            client.request("textDocument/definition", params).await
        } else if name.starts_with("references_") {
            let mut params = params;
            params["context"] = json!({ "includeDeclaration": true });
            client.request("textDocument/references", params).await
        } else if name.starts_with("rename_") {
            let prepared = client
                .request("textDocument/prepareRename", params.clone())
                .await;
            let mut params = params;
            params["newName"] = json!("renamed");
            json!({
                "prepare": prepared,
                "edit": client.request("textDocument/rename", params).await,
            })
        } else {
            panic!("no request for fixture {name}");
        };
        let mut result = portable(&result, &root);
        if name.starts_with("references_") || name.starts_with("rename_") {
            sort_locations(&mut result);
        }
        insta::assert_json_snapshot!(name, result);
    }
}

/// Reference lists, edit lists and the documents of a workspace edit in a stable order.
fn sort_locations(value: &mut Value) {
    match value {
        Value::Array(items) => {
            items.iter_mut().for_each(sort_locations);
            items.sort_by_key(|item| item.to_string());
        }
        Value::Object(fields) => {
            let mut sorted: Vec<(String, Value)> = std::mem::take(fields).into_iter().collect();
            sorted.sort_by(|left, right| left.0.cmp(&right.0));
            for (key, mut field) in sorted {
                sort_locations(&mut field);
                fields.insert(key, field);
            }
        }
        _ => {}
    }
}

async fn open_project_file(client: &mut Client, name: &str) -> (PathBuf, String, Value) {
    let path = fixtures().join("project").join(name);
    let text = std::fs::read_to_string(&path).expect("readable");
    client.open(&path, &text).await;
    let diagnostics = client.diagnostics(&uri(&path), 1).await;
    (path, text, diagnostics)
}

#[tokio::test]
async fn diagnostics_carry_codes_related_locations_tags_fixes_and_the_version() {
    let root = fixtures();
    let (mut client, _) = Client::start(&root, None).await;
    let (_, _, diagnostics) = open_project_file(&mut client, "mistakes.wf.yaml").await;
    insta::assert_json_snapshot!(portable(&diagnostics, &root));
}

#[tokio::test]
async fn code_actions_apply_fixes_and_add_ignore_comments() {
    let root = fixtures();
    let (mut client, _) = Client::start(&root, None).await;
    let (path, _, diagnostics) = open_project_file(&mut client, "mistakes.wf.yaml").await;
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri(&path) },
                "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 20, "character": 0 } },
                "context": { "diagnostics": diagnostics["diagnostics"] },
            }),
        )
        .await;
    // The diagnostics are in the snapshot above; keep the actions' titles and edits.
    let summary: Vec<Value> = actions
        .as_array()
        .expect("actions")
        .iter()
        .map(|action| {
            json!({
                "title": action["title"],
                "preferred": action["isPreferred"],
                "edit": action["edit"],
            })
        })
        .collect();
    insta::assert_json_snapshot!(portable(&Value::Array(summary), &root));
}

#[tokio::test]
async fn whole_document_features() {
    let root = fixtures();
    let (mut client, _) = Client::start(&root, None).await;
    let (path, text, diagnostics) = open_project_file(&mut client, "release.wf.yaml").await;
    assert_eq!(
        diagnostics["diagnostics"],
        json!([]),
        "the fixture is clean"
    );
    let document = json!({ "textDocument": { "uri": uri(&path) } });
    let symbols = client
        .request("textDocument/documentSymbol", document.clone())
        .await;
    insta::assert_json_snapshot!("document_symbols", symbols);
    let folding = client
        .request("textDocument/foldingRange", document.clone())
        .await;
    insta::assert_json_snapshot!("folding_ranges", folding);
    let tokens = client
        .request("textDocument/semanticTokens/full", document.clone())
        .await;
    insta::assert_json_snapshot!("semantic_tokens", decode_tokens(&text, &tokens));
    let lines = text.lines().count() as u32;
    let mut params = document.clone();
    params["range"] =
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": lines, "character": 0 } });
    let hints = client.request("textDocument/inlayHint", params).await;
    insta::assert_json_snapshot!("inlay_hints", hints);
}

/// Semantic tokens as (text, type index) pairs, readable in a snapshot.
fn decode_tokens(text: &str, tokens: &Value) -> Vec<(String, u64)> {
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .expect("token data")
        .iter()
        .map(|number| number.as_u64().expect("a number"))
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let (mut line, mut column) = (0usize, 0usize);
    data.chunks(5)
        .map(|token| {
            if token[0] > 0 {
                line += token[0] as usize;
                column = token[1] as usize;
            } else {
                column += token[1] as usize;
            }
            let content = &lines[line][column..column + token[2] as usize];
            (content.to_string(), token[3])
        })
        .collect()
}

#[tokio::test]
async fn utf8_positions_are_used_when_the_client_offers_them() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let root = directory.path().canonicalize().expect("a path");
    let path = root.join("accents.wf.yaml");
    let text = "workflow: accents\nowner: a@example.com\ninputs: {é: string}\ntasks:\n  t:\n    set: {x: \"ééé ${workflow.input.ë}\"}\n";
    for (offered, expected_encoding, expected_column) in [
        (None, "utf-16", 35),
        (Some(&["utf-8", "utf-16"][..]), "utf-8", 38),
    ] {
        let (mut client, initialized) = Client::start(&root, offered).await;
        assert_eq!(
            initialized["capabilities"]["positionEncoding"],
            expected_encoding
        );
        client.open(&path, text).await;
        let published = client.diagnostics(&uri(&path), 1).await;
        let unknown = published["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .find(|diagnostic| diagnostic["code"] == "WF031")
            .cloned()
            .expect("the unknown input is reported");
        assert_eq!(unknown["range"]["start"]["line"], 5);
        assert_eq!(unknown["range"]["start"]["character"], expected_column);
    }
}

#[tokio::test]
async fn stale_versions_are_dropped() {
    let root = fixtures();
    let (mut client, _) = Client::start(&root, None).await;
    let (path, text, _) = open_project_file(&mut client, "release.wf.yaml").await;
    let broken = text.replace("worker: run_tests", "worker: run_testz");
    client.change(&path, 3, &broken).await;
    let third = client.diagnostics(&uri(&path), 3).await;
    assert_eq!(third["diagnostics"][0]["code"], "WF021");
    // An older version arriving late changes nothing: the next answers still see version 3.
    client.change(&path, 2, &text).await;
    let hover = client
        .request("textDocument/hover", position_params(&path, 16, 14))
        .await;
    assert!(
        hover.is_null(),
        "the unknown worker of version 3 has no contract to show: {hover}"
    );
    client.change(&path, 4, &text).await;
    let fourth = client.diagnostics(&uri(&path), 4).await;
    assert_eq!(fourth["diagnostics"], json!([]));
    assert!(
        !client
            .notifications
            .iter()
            .any(|message| message["params"]["version"] == 2),
        "nothing is published for a stale version"
    );
}

#[tokio::test]
async fn broken_yaml_keeps_completion_and_hover_from_the_last_analysis() {
    let root = fixtures();
    let (mut client, _) = Client::start(&root, None).await;
    let (path, text, _) = open_project_file(&mut client, "release.wf.yaml").await;
    // An unclosed quote breaks the YAML of the whole file.
    let broken = text.replace(
        "      artifact: ${firmware.output.artifact}\n  gate:",
        "      artifact: \"${firmware.output.\n  gate:",
    );
    client.change(&path, 2, &broken).await;
    let published = client.diagnostics(&uri(&path), 2).await;
    assert_eq!(published["diagnostics"][0]["code"], "WF001");
    let line = broken
        .lines()
        .position(|line| line.contains("\"${firmware.output."))
        .expect("the edited line") as u32;
    let column = broken.lines().nth(line as usize).expect("a line").len() as u32;
    let items = client
        .request(
            "textDocument/completion",
            position_params(&path, line, column),
        )
        .await;
    let labels: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["label"].as_str())
        .collect();
    assert_eq!(labels, ["artifact", "size_bytes"]);
    let hover = client
        .request("textDocument/hover", position_params(&path, 8, 14))
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|value| value.contains("worker `build_firmware`")),
        "{hover}"
    );
}

#[tokio::test]
async fn a_contract_change_rechecks_the_workflows_that_import_it() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let root = directory.path().canonicalize().expect("a path");
    let project = fixtures().join("project");
    for name in ["build.workers.yaml", "release.wf.yaml"] {
        std::fs::copy(project.join(name), root.join(name)).expect("copied");
    }
    let (mut client, _) = Client::start(&root, None).await;
    let workflow = root.join("release.wf.yaml");
    let contract = root.join("build.workers.yaml");
    let workflow_text = std::fs::read_to_string(&workflow).expect("readable");
    let contract_text = std::fs::read_to_string(&contract).expect("readable");
    client.open(&workflow, &workflow_text).await;
    assert_eq!(
        client.diagnostics(&uri(&workflow), 1).await["diagnostics"],
        json!([])
    );
    client.open(&contract, &contract_text).await;
    client.diagnostics(&uri(&contract), 1).await;
    // Opening the contract re-checks its importer (nothing changed yet).
    assert_eq!(
        client.diagnostics(&uri(&workflow), 1).await["diagnostics"],
        json!([])
    );
    // An unsaved edit of the open contract: `report_url` is renamed.
    client
        .change(&contract, 2, &contract_text.replace("report_url", "report"))
        .await;
    let rechecked = client.diagnostics(&uri(&workflow), 1).await;
    assert_eq!(rechecked["diagnostics"][0]["code"], "WF033", "{rechecked}");
    // The contract is closed without saving: the workflow sees the disk again.
    client
        .notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri(&contract) } }),
        )
        .await;
    assert_eq!(
        client.diagnostics(&uri(&workflow), 1).await["diagnostics"],
        json!([])
    );
    // A change on disk, announced by the editor's file watcher.
    std::fs::write(
        &contract,
        contract_text.replace("      report_url: string\n", ""),
    )
    .expect("written");
    client
        .notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": [{ "uri": uri(&contract), "type": 2 }] }),
        )
        .await;
    let from_disk = client.diagnostics(&uri(&workflow), 1).await;
    assert_eq!(from_disk["diagnostics"][0]["code"], "WF033", "{from_disk}");
}

#[tokio::test]
async fn sub_workflows_in_other_files_resolve_by_name() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let root = directory.path().canonicalize().expect("a path");
    std::fs::write(
        root.join("child.wf.yaml"),
        "workflow: child\nowner: a@example.com\ninputs: {count: int}\ntasks:\n  nothing: {noop: true, input: {count: \"${workflow.input.count}\"}}\noutputs:\n  total: ${workflow.input.count}\n",
    )
    .expect("written");
    let parent = root.join("parent.wf.yaml");
    let text = "workflow: parent\nowner: a@example.com\ntasks:\n  call:\n    sub_workflow: child\n    input: {count: 3}\noutputs:\n  total: ${call.output.totl}\n";
    let (mut client, _) = Client::start(&root, None).await;
    client.open(&parent, text).await;
    let published = client.diagnostics(&uri(&parent), 1).await;
    let codes: Vec<&str> = published["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["code"].as_str())
        .collect();
    assert_eq!(codes, ["WF033"], "{published}");
    let definition = client
        .request("textDocument/definition", position_params(&parent, 4, 20))
        .await;
    assert_eq!(definition["uri"], uri(&root.join("child.wf.yaml")));
}

#[tokio::test]
async fn formatting_trims_trailing_blanks_outside_multi_line_scalars() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let root = directory.path().canonicalize().expect("a path");
    let path = root.join("messy.wf.yaml");
    let text = "workflow: messy   \nowner: a@example.com\t\n\n\n\n\ntasks:\n  run:\n    inline: |\n      return 1;   \n    returns: int  \n";
    let (mut client, _) = Client::start(&root, None).await;
    client.open(&path, text).await;
    client.diagnostics(&uri(&path), 1).await;
    let params = json!({
        "textDocument": { "uri": uri(&path) },
        "options": { "tabSize": 2, "insertSpaces": true },
    });
    let edits = client
        .request("textDocument/formatting", params.clone())
        .await;
    assert_eq!(
        edits[0]["newText"],
        "workflow: messy\nowner: a@example.com\n\n\ntasks:\n  run:\n    inline: |\n      return 1;   \n    returns: int\n"
    );
    assert_eq!(
        edits[0]["range"]["end"],
        json!({ "line": 11, "character": 0 })
    );
    // Broken YAML is left alone.
    client.change(&path, 2, "tasks: [  \n").await;
    client.diagnostics(&uri(&path), 2).await;
    assert_eq!(
        client.request("textDocument/formatting", params).await,
        Value::Null
    );
}

#[tokio::test]
async fn worker_and_type_renames_reach_files_that_are_not_open() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let root = directory.path().canonicalize().expect("a path");
    let project = fixtures().join("project");
    std::fs::copy(
        project.join("build.workers.yaml"),
        root.join("build.workers.yaml"),
    )
    .expect("copied");
    let release = std::fs::read_to_string(project.join("release.wf.yaml")).expect("readable");
    std::fs::write(root.join("release.wf.yaml"), &release).expect("written");
    // A second workflow, never opened, using the same worker and type.
    std::fs::write(
        root.join("nightly.wf.yaml"),
        "workflow: nightly\nowner: a@example.com\nimports: [build.workers.yaml]\ninputs:\n  devices: list<Device>\ntasks:\n  flash:\n    for_each: ${workflow.input.devices}\n    worker: flash_device\n",
    )
    .expect("written");
    let (mut client, _) = Client::start(&root, None).await;
    let path = root.join("release.wf.yaml");
    client.open(&path, &release).await;
    client.diagnostics(&uri(&path), 1).await;
    let at = |needle: &str| {
        let offset = release.find(needle).expect("present") + 2;
        let line = release[..offset].matches('\n').count();
        let column = offset - release[..offset].rfind('\n').map_or(0, |index| index + 1);
        position_params(&path, line as u32, column as u32)
    };
    let mut summary = Vec::new();
    for needle in ["flash_device", "Device>"] {
        let mut params = at(needle);
        params["newName"] = json!("renamed");
        let edit = client.request("textDocument/rename", params).await;
        let mut files: Vec<(String, usize)> = edit["changes"]
            .as_object()
            .expect("changes")
            .iter()
            .map(|(file, edits)| {
                let name = file.rsplit('/').next().unwrap_or_default().to_string();
                (name, edits.as_array().map_or(0, Vec::len))
            })
            .collect();
        files.sort();
        summary.push((needle, files));
    }
    assert_eq!(
        summary,
        [
            (
                "flash_device",
                vec![
                    ("build.workers.yaml".to_string(), 1),
                    ("nightly.wf.yaml".to_string(), 1),
                    ("release.wf.yaml".to_string(), 1)
                ]
            ),
            (
                "Device>",
                vec![
                    ("build.workers.yaml".to_string(), 1),
                    ("nightly.wf.yaml".to_string(), 1),
                    ("release.wf.yaml".to_string(), 1)
                ]
            ),
        ]
    );
}
