//! The language server under a storm of edits: thousands of random single-character insertions
//! and deletions, anywhere in a real workflow, sent as fast as the pipe takes them, with every
//! kind of request at the last edit's position every 20 edits. The server must answer every
//! request without an internal error, and its diagnostics for the final text must be exactly
//! what `wfc check` reports for that text.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

/// Longest wait for any one message; a hung server fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(120);
const EDITS: usize = 3_000;

struct Server {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wfc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("wfc lsp starts");
        let input = child.stdin.take().expect("stdin");
        let output = child.stdout.take().expect("stdout");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length: ") {
                        length = value.parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let Ok(message) = serde_json::from_slice::<Value>(&body) else {
                    return;
                };
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let mut server = Server {
            child,
            input,
            messages,
            next_id: 1,
        };
        let root_uri = format!("file://{}", root.display());
        server.request(
            "initialize",
            json!({ "processId": null, "rootUri": root_uri, "capabilities": {} }),
        );
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len())
            .expect("the server reads");
        self.input.flush().expect("the server reads");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn receive(&mut self) -> Value {
        let message = self
            .messages
            .recv_timeout(TIMEOUT)
            .expect("the server answers in time (and is alive)");
        if message.get("method").is_some()
            && let Some(id) = message.get("id").cloned()
        {
            // A request from the server (capability registration): accept it.
            self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }));
        }
        message
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive();
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
        }
    }

    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        loop {
            let message = self.receive();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && message["params"]["version"] == version
            {
                return message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small deterministic generator (xorshift), so a failure replays identically.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

/// Characters that matter to YAML and to expressions, plus plain and non-ASCII text.
const ALPHABET: &[char] = &[
    'a', 'e', 't', '_', ' ', ' ', '\n', ':', '-', '$', '{', '}', '.', '"', '\'', '#', '[', ']',
    '|', 'é', '😀', '0',
];

/// 0-based line and UTF-16 column of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .encode_utf16()
        .count();
    (line, column)
}

/// 1-based character column of a 0-based line and UTF-16 column (the CLI's JSON unit).
fn character_column(text: &str, line: usize, utf16: usize) -> usize {
    let line_text = text.split('\n').nth(line).unwrap_or("");
    let mut units = 0;
    let mut characters = 0;
    for character in line_text.chars() {
        if units >= utf16 {
            break;
        }
        units += character.len_utf16();
        characters += 1;
    }
    characters + 1
}

#[test]
fn thousands_of_random_edits_end_with_the_diagnostics_of_wfc_check() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware-release");
    let directory = tempfile::tempdir().expect("a temporary directory");
    let root = directory.path().canonicalize().expect("a path");
    std::fs::copy(
        examples.join("build.workers.yaml"),
        root.join("build.workers.yaml"),
    )
    .expect("copied");
    let path = root.join("release_firmware.wf.yaml");
    let mut text =
        std::fs::read_to_string(examples.join("release_firmware.wf.yaml")).expect("readable");
    let uri = format!("file://{}", path.display());

    let mut server = Server::start(&root);
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } }),
    );
    let mut random = Random(0x5eed_1234_abcd_0042);
    let mut version = 1;
    for edit in 0..EDITS {
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(offset, _)| offset)
            .chain([text.len()])
            .collect();
        let at = boundaries[random.below(boundaries.len())];
        if random.below(3) == 0 && at < text.len() {
            text.remove(at);
        } else {
            text.insert(at, ALPHABET[random.below(ALPHABET.len())]);
        }
        version += 1;
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": text }],
            }),
        );
        if edit % 20 == 0 {
            let (line, character) = position(&text, at.min(text.len()));
            let document = json!({ "uri": uri });
            let position = json!({ "line": line, "character": character });
            let whole = json!({ "start": { "line": 0, "character": 0 }, "end": position });
            let requests = [
                (
                    "textDocument/completion",
                    json!({ "textDocument": document, "position": position }),
                ),
                (
                    "textDocument/hover",
                    json!({ "textDocument": document, "position": position }),
                ),
                (
                    "textDocument/definition",
                    json!({ "textDocument": document, "position": position }),
                ),
                (
                    "textDocument/references",
                    json!({ "textDocument": document, "position": position, "context": { "includeDeclaration": true } }),
                ),
                (
                    "textDocument/prepareRename",
                    json!({ "textDocument": document, "position": position }),
                ),
                (
                    "textDocument/documentSymbol",
                    json!({ "textDocument": document }),
                ),
                (
                    "textDocument/foldingRange",
                    json!({ "textDocument": document }),
                ),
                (
                    "textDocument/semanticTokens/full",
                    json!({ "textDocument": document }),
                ),
                (
                    "textDocument/inlayHint",
                    json!({ "textDocument": document, "range": whole }),
                ),
                (
                    "textDocument/formatting",
                    json!({ "textDocument": document, "options": { "tabSize": 2, "insertSpaces": true } }),
                ),
                (
                    "textDocument/codeAction",
                    json!({ "textDocument": document, "range": whole, "context": { "diagnostics": [] } }),
                ),
            ];
            for (method, params) in requests {
                let answer = server.request(method, params);
                assert!(
                    answer.get("error").is_none(),
                    "{method} after edit {edit}: {answer}"
                );
            }
        }
    }
    let published = server.diagnostics(&uri, version);

    std::fs::write(&path, &text).expect("written");
    let output = Command::new(env!("CARGO_BIN_EXE_wfc"))
        .args(["check", "--format", "json", "release_firmware.wf.yaml"])
        .current_dir(&root)
        .output()
        .expect("wfc check runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let expected: Vec<(String, usize, usize, String)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|diagnostic| {
            let mut message = diagnostic["message"].as_str().unwrap_or("").to_string();
            if let Some(label) = diagnostic["label"].as_str() {
                message.push_str(&format!(": {label}"));
            }
            if let Some(help) = diagnostic["help"].as_str() {
                message.push_str(&format!("\nhelp: {help}"));
            }
            (
                diagnostic["code"].as_str().unwrap_or("").to_string(),
                diagnostic["line"].as_u64().unwrap_or(0) as usize,
                diagnostic["column"].as_u64().unwrap_or(0) as usize,
                message,
            )
        })
        .collect();
    let actual: Vec<(String, usize, usize, String)> = published
        .iter()
        .map(|diagnostic| {
            let line = diagnostic["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
            let utf16 = diagnostic["range"]["start"]["character"]
                .as_u64()
                .unwrap_or(0) as usize;
            (
                diagnostic["code"].as_str().unwrap_or("").to_string(),
                line + 1,
                character_column(&text, line, utf16),
                diagnostic["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        !expected.is_empty(),
        "random edits leave mistakes to compare"
    );
    assert_eq!(actual, expected, "final text:\n{text}");
}
