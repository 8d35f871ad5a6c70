//! Helpers shared by the end-to-end tests that run `wfc serve` as a real process (`deploy.rs`,
//! `serve.rs`, `python_sdk.rs`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use insta_cmd::get_cargo_bin;

/// A running `wfc serve` on a free loopback port, killed when dropped.
pub struct ServeProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, as the server prints it.
    pub url: String,
}

impl ServeProcess {
    /// Starts `wfc serve --port 0 --state STATE EXTRA…` and waits for the address it prints.
    pub fn start(state: &Path, extra: &[&str]) -> ServeProcess {
        let mut child = Command::new(get_cargo_bin("wfc"))
            .args(["serve", "--port", "0", "--state"])
            .arg(state)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wfc serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut line = String::new();
        BufReader::new(stderr)
            .read_line(&mut line)
            .expect("wfc serve prints its address");
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in `{line}`"))
            .to_string();
        ServeProcess { child, url }
    }

    /// SIGKILL: the process gets no chance to flush or finish anything.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
