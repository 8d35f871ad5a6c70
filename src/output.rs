//! Terminal detection and writing to stdout/stderr without panicking on closed pipes.

use std::io::{IsTerminal, Write};

use crate::cli::ColorChoice;

/// What the terminal supports, decided once from `--color`, `NO_COLOR` and whether the streams
/// are terminals.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    /// Color (and Unicode drawing) on stdout.
    pub color: bool,
    /// Color on stderr.
    pub stderr_color: bool,
    /// The width human output is wrapped to.
    pub width: usize,
}

impl Terminal {
    pub fn detect(choice: ColorChoice) -> Terminal {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let stdout_terminal = std::io::stdout().is_terminal();
        let decide = |is_terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        };
        // Without a syscall for the terminal size, trust COLUMNS when it is set (shells export
        // it for interactive sessions) and otherwise use a comfortable fixed width.
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|columns| columns.trim().parse::<usize>().ok())
            .filter(|columns| stdout_terminal && (40..=1000).contains(columns))
            .unwrap_or(100);
        Terminal {
            color: decide(stdout_terminal),
            stderr_color: decide(std::io::stderr().is_terminal()),
            width,
        }
    }

    /// Prints `error: {message}` on stderr.
    pub fn error(&self, message: &str) {
        self.note("error", "\u{1b}[1;31m", message);
    }

    /// Prints `warning: {message}` on stderr.
    pub fn warning(&self, message: &str) {
        self.note("warning", "\u{1b}[1;33m", message);
    }

    fn note(&self, kind: &str, style: &str, message: &str) {
        let text = if self.stderr_color {
            format!("{style}{kind}\u{1b}[0m: {message}\n")
        } else {
            format!("{kind}: {message}\n")
        };
        // Nothing sensible is left to do when stderr is gone.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

/// Writes `text` to stdout. A closed pipe (`wfc check | head`) is not an error worth reporting.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Writes a line to stderr (progress notes such as `compiled 3 workflows …`).
pub fn note(message: &str) {
    let _ = std::io::stderr()
        .lock()
        .write_all(format!("{message}\n").as_bytes());
}
