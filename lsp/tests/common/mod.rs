//! An in-process LSP client for the protocol tests: the server runs on one end of an in-memory
//! pipe, framed exactly as over stdio, and the test speaks JSON-RPC on the other end.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf,
};

/// How long any single wait may take before the test fails (a hung server must not hang CI).
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Client {
    reader: BufReader<ReadHalf<DuplexStream>>,
    writer: WriteHalf<DuplexStream>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    pub notifications: Vec<Value>,
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    /// Starts a server and initializes it with `root` as the workspace folder.
    pub async fn start(root: &Path, position_encodings: Option<&[&str]>) -> (Client, Value) {
        let (client_side, server_side) = tokio::io::duplex(1 << 22);
        let (server_read, server_write) = tokio::io::split(server_side);
        tokio::spawn(wfc_lsp::serve(server_read, server_write));
        let (reader, writer) = tokio::io::split(client_side);
        let mut client = Client {
            reader: BufReader::new(reader),
            writer,
            next_id: 1,
            notifications: Vec::new(),
        };
        let mut general = json!({});
        if let Some(encodings) = position_encodings {
            general = json!({ "positionEncodings": encodings });
        }
        let result = client
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": uri(root),
                    "workspaceFolders": [{ "uri": uri(root), "name": "root" }],
                    "capabilities": { "general": general },
                }),
            )
            .await;
        client.notify("initialized", json!({})).await;
        (client, result)
    }

    async fn send(&mut self, message: Value) {
        let body = message.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.writer
            .write_all(framed.as_bytes())
            .await
            .expect("the server reads");
        self.writer.flush().await.expect("the server reads");
    }

    async fn receive(&mut self) -> Value {
        let read = async {
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                let count = self
                    .reader
                    .read_line(&mut line)
                    .await
                    .expect("the server writes");
                assert!(count > 0, "the server closed its output");
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(value) = line.strip_prefix("Content-Length: ") {
                    length = value.parse().expect("a length");
                }
            }
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body).await.expect("a body");
            serde_json::from_slice::<Value>(&body).expect("JSON")
        };
        tokio::time::timeout(TIMEOUT, read)
            .await
            .expect("the server answers in time")
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }))
            .await;
    }

    /// Sends a request and returns its whole response (`result` or `error`).
    pub async fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await;
        loop {
            let message = self.receive().await;
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.handle(message).await;
        }
    }

    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// Answers the server's requests (capability registration); keeps notifications.
    async fn handle(&mut self, message: Value) {
        if let Some(id) = message.get("id").cloned() {
            self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }))
                .await;
        } else {
            self.notifications.push(message);
        }
    }

    /// Waits for the diagnostics of `uri` at `version` (earlier publications are skipped).
    pub async fn diagnostics(&mut self, uri: &str, version: i64) -> Value {
        loop {
            if let Some(index) = self.notifications.iter().position(|message| {
                message["method"] == "textDocument/publishDiagnostics"
                    && message["params"]["uri"] == uri
                    && message["params"]["version"] == version
            }) {
                let message = self.notifications.remove(index);
                return message["params"].clone();
            }
            let message = self.receive().await;
            self.handle(message).await;
        }
    }

    pub async fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri(path), "languageId": "yaml", "version": 1, "text": text
            }}),
        )
        .await;
    }

    pub async fn change(&mut self, path: &Path, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri(path), "version": version },
                "contentChanges": [{ "text": text }]
            }),
        )
        .await;
    }
}

/// Removes the `<|>` marker and returns the text and the marker's (line, UTF-16 column).
pub fn cursor(text: &str) -> (String, u32, u32) {
    let offset = text.find("<|>").expect("a `<|>` marker");
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .encode_utf16()
        .count() as u32;
    (text.replacen("<|>", "", 1), line, column)
}

/// Replaces the fixture directory's URI and path in a response so snapshots do not depend on
/// where the repository is.
pub fn portable(value: &Value, root: &Path) -> Value {
    let text = value.to_string();
    let text = text
        .replace(&uri(root), "file:///ROOT")
        .replace(&root.display().to_string(), "/ROOT");
    serde_json::from_str(&text).expect("JSON")
}
