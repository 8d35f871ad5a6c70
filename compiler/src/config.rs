//! Project configuration (`wfc.toml`): rule severity overrides and include/exclude globs.
//!
//! The compiler only parses the text; finding and reading the file is the caller's job.
//!
//! ```toml
//! include = ["**/*.wf.yaml", "**/*.workers.yaml"]
//! exclude = ["vendor/**"]
//!
//! [rules]
//! switch-without-default = "error"   # by name or code; "error" | "warning" | "info" | "off"
//! WF071 = "off"
//!
//! [run]                                # `wfc run` (docs/run.md)
//! runs_dir = ".wfc/runs"
//!
//! [run.workers]                        # command workers, by worker name
//! resize_image = "python3 workers/resize.py"         # a shell command line
//! send_email = ["node", "workers/email.js"]          # a program and its arguments
//! transcode = { command = "bin/transcode", timeout = "10m" }
//! ```
//!
//! Mistakes in the file are reported as [`Diagnostic`]s located in it, all under
//! [`invalid_config`](crate::rules::invalid_config): TOML syntax errors, a key wfc does not know,
//! an unknown rule (with a did-you-mean), a value of the wrong kind, an invalid severity or glob,
//! a rule configured twice.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::rules::{self, Rule};
use crate::source::FileId;

/// The file name the command line looks for.
pub const FILE_NAME: &str = "wfc.toml";

/// The globs used when `include` is not configured.
pub const DEFAULT_INCLUDE: &[&str] = &["**/*.wf.yaml", "**/*.workers.yaml"];

/// The top-level keys of `wfc.toml`.
const TOP_LEVEL_KEYS: &[&str] = &["include", "exclude", "rules", "run"];

/// The keys of `[run]`.
const RUN_KEYS: &[&str] = &["runs_dir", "workers"];

/// The keys of a command worker written as a table.
const WORKER_KEYS: &[&str] = &["command", "timeout"];

/// The severity values accepted in `[rules]`.
const SEVERITY_VALUES: &[&str] = &["error", "warning", "info", "off"];

/// Parsed `wfc.toml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Severity overrides; `None` turns the rule off.
    pub rule_severities: Vec<(&'static Rule, Option<Severity>)>,
    /// Globs selecting the files checked when a directory is given; empty means
    /// [`DEFAULT_INCLUDE`].
    pub include: Vec<String>,
    /// Globs of files and directories skipped when walking a directory.
    pub exclude: Vec<String>,
    /// `[run]`: the settings of `wfc run`.
    pub run: RunConfig,
}

/// `[run]` of `wfc.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunConfig {
    /// `runs_dir`: where runs are recorded, relative to `wfc.toml`.
    pub runs_dir: Option<String>,
    /// `[run.workers]`: the command of each worker that `wfc run` runs as a process.
    pub workers: Vec<CommandWorker>,
}

/// A worker that `wfc run` runs as a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandWorker {
    /// The worker (task definition) name.
    pub name: String,
    pub command: WorkerCommand,
    /// `timeout`, in milliseconds.
    pub timeout_ms: Option<u64>,
}

/// How a command worker's command is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerCommand {
    /// A string: a command line for the shell.
    Shell(String),
    /// A list: a program and its arguments, no shell.
    Arguments(Vec<String>),
}

impl Config {
    /// Parses the text of a `wfc.toml` whose [`FileId`] is `file`.
    ///
    /// Returns the configuration with every valid setting applied, plus a diagnostic for each
    /// mistake; a caller should refuse to run when there are any (they are all errors).
    pub fn parse(file: FileId, text: &str) -> (Config, Vec<Diagnostic>) {
        let mut parser = ConfigParser {
            file,
            diagnostics: Vec::new(),
        };
        let config = parser.parse(text);
        let mut diagnostics = parser.diagnostics;
        crate::diagnostic::sort_diagnostics(&mut diagnostics);
        (config, diagnostics)
    }

    /// Parses a file of command workers (`wfc run --workers FILE`): the entries of
    /// `[run.workers]`, at the top level of a TOML file.
    pub fn parse_workers(file: FileId, text: &str) -> (Vec<CommandWorker>, Vec<Diagnostic>) {
        let mut parser = ConfigParser {
            file,
            diagnostics: Vec::new(),
        };
        let workers = match parser.table(text) {
            Some(table) => parser.worker_entries(table.get_ref()),
            None => Vec::new(),
        };
        let mut diagnostics = parser.diagnostics;
        crate::diagnostic::sort_diagnostics(&mut diagnostics);
        (workers, diagnostics)
    }

    /// The severity `rule` is reported with: its configured override, else its default.
    /// `None` means the rule is turned off.
    pub fn severity_for(&self, rule: &Rule) -> Option<Severity> {
        self.override_for(rule.code)
            .unwrap_or(Some(rule.default_severity))
    }

    /// The override configured for the rule with `code`: `None` when there is none,
    /// `Some(None)` when the rule is turned off.
    pub fn override_for(&self, code: &str) -> Option<Option<Severity>> {
        self.rule_severities
            .iter()
            .find(|(rule, _)| rule.code == code)
            .map(|(_, severity)| *severity)
    }

    /// The include globs in effect: the configured ones, or [`DEFAULT_INCLUDE`].
    pub fn effective_include(&self) -> Vec<String> {
        if self.include.is_empty() {
            DEFAULT_INCLUDE
                .iter()
                .map(|glob| (*glob).to_string())
                .collect()
        } else {
            self.include.clone()
        }
    }

    /// Compiles the include/exclude globs. Invalid globs (which [`Config::parse`] reports) are
    /// skipped.
    pub fn file_filter(&self) -> FileFilter {
        FileFilter {
            include: glob_set(&self.effective_include()),
            exclude: glob_set(&self.exclude),
        }
    }
}

/// Compiled include/exclude globs, matched against `/`-separated paths relative to the directory
/// holding `wfc.toml`. `*` and `?` do not cross `/`; `**` does.
#[derive(Debug, Clone, Default)]
pub struct FileFilter {
    include: GlobSet,
    exclude: GlobSet,
}

impl FileFilter {
    /// Whether a file found while walking a directory should be checked.
    pub fn is_included(&self, relative_path: &str) -> bool {
        self.include.is_match(relative_path) && !self.exclude.is_match(relative_path)
    }

    /// Whether a file or directory is excluded.
    pub fn is_excluded(&self, relative_path: &str) -> bool {
        self.exclude.is_match(relative_path)
    }
}

fn compile_glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

fn glob_set(patterns: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = compile_glob(pattern) {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_default()
}

/// The closest of `candidates` to `name`, if it is plausibly a typo or an abbreviation of it.
fn suggest<'candidate>(name: &str, candidates: &[&'candidate str]) -> Option<&'candidate str> {
    let name = name.trim().to_ascii_lowercase();
    if let Some(prefixed) = candidates
        .iter()
        .find(|candidate| name.len() >= 3 && candidate.starts_with(&name))
    {
        return Some(prefixed);
    }
    candidates
        .iter()
        .map(|candidate| (*candidate, strsim::damerau_levenshtein(&name, candidate)))
        .filter(|(candidate, distance)| {
            *distance <= (name.chars().count().max(candidate.len()) / 3).max(1)
        })
        .min_by_key(|(_, distance)| *distance)
        .map(|(candidate, _)| candidate)
}

fn span_of(range: std::ops::Range<usize>) -> Span {
    Span::new(range.start, range.end)
}

struct ConfigParser {
    file: FileId,
    diagnostics: Vec<Diagnostic>,
}

impl ConfigParser {
    /// The TOML document, or `None` (reported) on syntax errors.
    fn table<'text>(&mut self, text: &'text str) -> Option<Spanned<DeTable<'text>>> {
        let (table, errors) = DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            for error in errors {
                let span = error.span().map_or(Span::empty_at(0), |range| {
                    // Point at something visible even when the error is at the end of a line.
                    let start = crate::source::clamp_to_char_boundary(text, range.start);
                    let end = crate::source::clamp_to_char_boundary(text, range.end.max(start));
                    Span::new(start, end)
                });
                let message = error.message().trim().to_string();
                let mut diagnostic = Diagnostic::new(
                    &rules::invalid_config::RULE,
                    self.file,
                    span,
                    "invalid TOML",
                );
                if !message.is_empty() {
                    diagnostic = diagnostic.with_label(message);
                }
                self.diagnostics.push(diagnostic);
            }
            return None;
        }
        Some(table)
    }

    fn parse(&mut self, text: &str) -> Config {
        let mut config = Config::default();
        let Some(table) = self.table(text) else {
            return config;
        };
        for (key, value) in table.get_ref().iter() {
            match key.get_ref().as_ref() {
                "include" => config.include = self.globs(key, value),
                "exclude" => config.exclude = self.globs(key, value),
                "rules" => config.rule_severities = self.rules(value),
                "run" => config.run = self.run(value),
                other => {
                    let mut diagnostic = Diagnostic::new(
                        &rules::invalid_config::RULE,
                        self.file,
                        span_of(key.span()),
                        format!("unknown key `{other}`"),
                    )
                    .with_label("not a wfc.toml setting");
                    diagnostic = match suggest(other, TOP_LEVEL_KEYS) {
                        Some(known) => diagnostic
                            .with_help(format!("did you mean `{known}`?"))
                            .with_replacement(format!("replace with `{known}`"), known),
                        None => diagnostic.with_help(
                            "wfc.toml knows `include`, `exclude`, `[rules]` and `[run]`",
                        ),
                    };
                    self.diagnostics.push(diagnostic);
                }
            }
        }
        config
    }

    fn wrong_type(&mut self, span: std::ops::Range<usize>, message: String, label: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                &rules::invalid_config::RULE,
                self.file,
                span_of(span),
                message,
            )
            .with_label(label),
        );
    }

    fn globs(
        &mut self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        value: &Spanned<DeValue<'_>>,
    ) -> Vec<String> {
        let name = key.get_ref().as_ref();
        let Some(items) = value.get_ref().as_array() else {
            self.wrong_type(
                value.span(),
                format!("`{name}` must be a list of globs"),
                "expected an array of strings",
            );
            return Vec::new();
        };
        let mut globs = Vec::new();
        for item in items.iter() {
            let Some(pattern) = item.get_ref().as_str() else {
                self.wrong_type(
                    item.span(),
                    format!("`{name}` must be a list of globs"),
                    "expected a string",
                );
                continue;
            };
            match compile_glob(pattern) {
                Ok(_) => globs.push(pattern.to_string()),
                Err(error) => {
                    self.diagnostics.push(
                        Diagnostic::new(&rules::invalid_config::RULE, self.file, span_of(item.span()), "invalid glob")
                            .with_label(error.kind().to_string())
                            .with_help("`*` matches within a directory, `**` across directories, `{a,b}` either"),
                    );
                }
            }
        }
        globs
    }

    fn unknown_key(
        &mut self,
        span: std::ops::Range<usize>,
        name: &str,
        known: &[&str],
        what: &str,
    ) {
        let mut diagnostic = Diagnostic::new(
            &rules::invalid_config::RULE,
            self.file,
            span_of(span),
            format!("unknown key `{name}`"),
        )
        .with_label(format!("not a setting of {what}"));
        diagnostic = match suggest(name, known) {
            Some(candidate) => diagnostic
                .with_help(format!("did you mean `{candidate}`?"))
                .with_replacement(format!("replace with `{candidate}`"), candidate),
            None => diagnostic.with_help(format!(
                "{what} knows {}",
                crate::suggest::quoted_list(known)
            )),
        };
        self.diagnostics.push(diagnostic);
    }

    fn run(&mut self, value: &Spanned<DeValue<'_>>) -> RunConfig {
        let mut run = RunConfig::default();
        let Some(table) = value.get_ref().as_table() else {
            self.wrong_type(
                value.span(),
                "`run` must be a table".to_string(),
                "expected `[run]`",
            );
            return run;
        };
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "runs_dir" => match value.get_ref().as_str() {
                    Some(directory) if !directory.trim().is_empty() => {
                        run.runs_dir = Some(directory.to_string());
                    }
                    _ => self.wrong_type(
                        value.span(),
                        "`runs_dir` must be a directory path".to_string(),
                        "expected a non-empty string",
                    ),
                },
                "workers" => match value.get_ref().as_table() {
                    Some(workers) => run.workers = self.worker_entries(workers),
                    None => self.wrong_type(
                        value.span(),
                        "`workers` must be a table".to_string(),
                        "expected `[run.workers]` with `worker_name = \"command\"` entries",
                    ),
                },
                other => self.unknown_key(key.span(), other, RUN_KEYS, "`[run]`"),
            }
        }
        run
    }

    fn worker_entries(&mut self, table: &DeTable<'_>) -> Vec<CommandWorker> {
        let mut workers = Vec::new();
        for (key, value) in table.iter() {
            let name = key.get_ref().to_string();
            let (command, timeout_ms) = match value.get_ref() {
                DeValue::Table(entry) => {
                    let mut command = None;
                    let mut timeout_ms = None;
                    for (entry_key, entry_value) in entry.iter() {
                        match entry_key.get_ref().as_ref() {
                            "command" => command = self.command(&name, entry_value),
                            "timeout" => timeout_ms = self.timeout(&name, entry_value),
                            other => self.unknown_key(
                                entry_key.span(),
                                other,
                                WORKER_KEYS,
                                "a command worker",
                            ),
                        }
                    }
                    if command.is_none()
                        && !entry
                            .iter()
                            .any(|(entry_key, _)| entry_key.get_ref() == "command")
                    {
                        self.wrong_type(
                            value.span(),
                            format!("worker `{name}` has no `command`"),
                            "expected `{ command = \"...\" }`",
                        );
                    }
                    (command, timeout_ms)
                }
                _ => (self.command(&name, value), None),
            };
            if let Some(command) = command {
                workers.push(CommandWorker {
                    name,
                    command,
                    timeout_ms,
                });
            }
        }
        workers
    }

    fn command(&mut self, name: &str, value: &Spanned<DeValue<'_>>) -> Option<WorkerCommand> {
        match value.get_ref() {
            DeValue::String(line) if !line.trim().is_empty() => {
                Some(WorkerCommand::Shell(line.to_string()))
            }
            DeValue::Array(items) if !items.is_empty() => {
                let arguments: Option<Vec<String>> = items
                    .iter()
                    .map(|item| item.get_ref().as_str().map(str::to_string))
                    .collect();
                if arguments.is_none() {
                    self.wrong_type(
                        value.span(),
                        format!("the command of `{name}` must be a list of strings"),
                        "expected `[\"program\", \"argument\", ...]`",
                    );
                }
                arguments.map(WorkerCommand::Arguments)
            }
            _ => {
                self.wrong_type(
                    value.span(),
                    format!("the command of `{name}` must be a command line or a list"),
                    "expected `\"command line\"` or `[\"program\", \"argument\", ...]`",
                );
                None
            }
        }
    }

    fn timeout(&mut self, name: &str, value: &Spanned<DeValue<'_>>) -> Option<u64> {
        let parsed = value
            .get_ref()
            .as_str()
            .and_then(crate::lower::parse_duration_ms)
            .filter(|milliseconds| *milliseconds > 0);
        if parsed.is_none() {
            self.wrong_type(
                value.span(),
                format!("the timeout of `{name}` must be a duration"),
                "expected a duration such as \"30s\", \"10m\" or \"1h\"",
            );
        }
        parsed
    }

    fn rules(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<(&'static Rule, Option<Severity>)> {
        let Some(table) = value.get_ref().as_table() else {
            self.wrong_type(
                value.span(),
                "`rules` must be a table".to_string(),
                "expected a table of rule = \"severity\"",
            );
            return Vec::new();
        };
        let mut severities: Vec<(&'static Rule, Option<Severity>)> = Vec::new();
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let key_span = span_of(key.span());
            let Some(rule) = rules::find(name) else {
                let mut diagnostic = Diagnostic::new(
                    &rules::invalid_config::RULE,
                    self.file,
                    key_span,
                    format!("unknown rule `{name}`"),
                )
                .with_label("no rule has this code or name");
                diagnostic = rules::with_suggestion(diagnostic, name);
                self.diagnostics.push(diagnostic);
                continue;
            };
            let Some(severity_text) = value.get_ref().as_str() else {
                self.wrong_type(
                    value.span(),
                    format!("the severity of `{name}` must be a string"),
                    "expected \"error\", \"warning\", \"info\" or \"off\"",
                );
                continue;
            };
            let severity = match severity_text {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "info" => Some(Severity::Info),
                "off" => None,
                other => {
                    let mut diagnostic = Diagnostic::new(
                        &rules::invalid_config::RULE,
                        self.file,
                        span_of(value.span()),
                        format!("invalid severity `{other}`"),
                    )
                    .with_label("expected \"error\", \"warning\", \"info\" or \"off\"");
                    if let Some(known) = suggest(other, SEVERITY_VALUES) {
                        diagnostic = diagnostic
                            .with_help(format!("did you mean `{known}`?"))
                            .with_replacement(
                                format!("replace with \"{known}\""),
                                format!("\"{known}\""),
                            );
                    }
                    self.diagnostics.push(diagnostic);
                    continue;
                }
            };
            if let Some((_, first)) = seen.iter().find(|(code, _)| *code == rule.code) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::invalid_config::RULE,
                        self.file,
                        key_span,
                        format!("rule {} configured twice", rule.code),
                    )
                    .with_label(format!("`{name}` is {} {}", rule.code, rule.name))
                    .with_secondary(self.file, *first, "first configured here")
                    .with_help("remove one of the two entries"),
                );
                continue;
            }
            seen.push((rule.code, key_span));
            severities.push((rule, severity));
        }
        severities
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Config, Vec<Diagnostic>) {
        Config::parse(FileId(0), text)
    }

    fn at<'text>(text: &'text str, diagnostic: &Diagnostic) -> &'text str {
        &text[diagnostic.span.range()]
    }

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
include = ["**/*.wf.yaml", "**/*.workers.yaml"]
exclude = ["vendor/**"]

[rules]
switch-without-default = "error"   # by name or code
WF071 = "off"
unused-input = "info"
"#;
        let (config, diagnostics) = parse(text);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(config.include, ["**/*.wf.yaml", "**/*.workers.yaml"]);
        assert_eq!(config.exclude, ["vendor/**"]);
        let switch = rules::find("switch-without-default").expect("rule exists");
        let insecure = rules::find("WF071").expect("rule exists");
        let unused = rules::find("WF050").expect("rule exists");
        let cycle = rules::find("cycle").expect("rule exists");
        assert_eq!(config.severity_for(switch), Some(Severity::Error));
        assert_eq!(config.severity_for(insecure), None);
        assert_eq!(config.severity_for(unused), Some(Severity::Info));
        assert_eq!(config.severity_for(cycle), Some(Severity::Error));
        assert_eq!(config.override_for("WF040"), None);
        assert_eq!(config.override_for("WF071"), Some(None));
    }

    #[test]
    fn empty_config_uses_defaults() {
        let (config, diagnostics) = parse("");
        assert!(diagnostics.is_empty());
        assert!(config.rule_severities.is_empty());
        let filter = config.file_filter();
        assert!(filter.is_included("a.wf.yaml"));
        assert!(filter.is_included("deep/dir/b.workers.yaml"));
        assert!(!filter.is_included("c.yaml"));
    }

    #[test]
    fn filters_by_include_and_exclude() {
        let (config, diagnostics) =
            parse("include = [\"flows/*.wf.yaml\"]\nexclude = [\"flows/old-*\", \"vendor\"]\n");
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        let filter = config.file_filter();
        assert!(filter.is_included("flows/a.wf.yaml"));
        assert!(
            !filter.is_included("flows/sub/a.wf.yaml"),
            "`*` does not cross directories"
        );
        assert!(!filter.is_included("flows/old-a.wf.yaml"));
        assert!(filter.is_excluded("vendor"));
        assert!(!filter.is_included("a.wf.yaml"));
    }

    #[test]
    fn reports_unknown_rules_with_did_you_mean() {
        let text = "[rules]\nunused-inptu = \"off\"\nWF999 = \"off\"\nwf05O = \"off\"\n";
        let (config, diagnostics) = parse(text);
        assert!(config.rule_severities.is_empty());
        assert_eq!(diagnostics.len(), 3, "{diagnostics:#?}");
        assert_eq!(diagnostics[0].code, "WF005");
        assert_eq!(at(text, &diagnostics[0]), "unused-inptu");
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `unused-input` (WF050 unused-input)?")
        );
        assert_eq!(
            diagnostics[0]
                .fix
                .as_ref()
                .map(|fix| fix.edits[0].replacement.as_str()),
            Some("unused-input")
        );
        assert_eq!(at(text, &diagnostics[1]), "WF999");
        assert!(diagnostics[1].fix.is_none());
        assert_eq!(
            diagnostics[2]
                .fix
                .as_ref()
                .map(|fix| fix.edits[0].replacement.as_str()),
            Some("WF050")
        );
    }

    #[test]
    fn reports_bad_severities() {
        let text = "[rules]\ncycle = \"warn\"\nWF050 = \"fatal\"\nWF051 = 1\n";
        let (config, diagnostics) = parse(text);
        assert!(config.rule_severities.is_empty());
        assert_eq!(diagnostics.len(), 3, "{diagnostics:#?}");
        assert!(
            diagnostics
                .iter()
                .all(|diagnostic| diagnostic.code == "WF005")
        );
        assert_eq!(at(text, &diagnostics[0]), "\"warn\"");
        assert_eq!(diagnostics[0].message, "invalid severity `warn`");
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `warning`?")
        );
        assert_eq!(diagnostics[1].message, "invalid severity `fatal`");
        assert!(diagnostics[1].help.is_none());
        assert_eq!(at(text, &diagnostics[2]), "1");
    }

    #[test]
    fn reports_unknown_top_level_keys_and_wrong_types() {
        let text = "inclde = [\"a\"]\nexclude = \"vendor/**\"\nrules = 3\nfoo = 1\n";
        let (_, diagnostics) = parse(text);
        let summary: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|diagnostic| (diagnostic.code, at(text, diagnostic)))
            .collect();
        assert_eq!(
            summary,
            [
                ("WF005", "inclde"),
                ("WF005", "\"vendor/**\""),
                ("WF005", "3"),
                ("WF005", "foo")
            ]
        );
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `include`?")
        );
    }

    #[test]
    fn reports_invalid_globs_and_non_string_items() {
        let text = "include = [\"a/{b\", 3, \"ok/**\"]\n";
        let (config, diagnostics) = parse(text);
        assert_eq!(config.include, ["ok/**"]);
        assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
        assert_eq!(diagnostics[0].message, "invalid glob");
        assert_eq!(at(text, &diagnostics[0]), "\"a/{b\"");
        assert_eq!(at(text, &diagnostics[1]), "3");
    }

    #[test]
    fn reports_a_rule_configured_twice() {
        let text = "[rules]\nWF071 = \"off\"\ninsecure-endpoint = \"error\"\n";
        let (config, diagnostics) = parse(text);
        assert_eq!(config.override_for("WF071"), Some(None));
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, "WF005");
        assert_eq!(at(text, &diagnostics[0]), "insecure-endpoint");
        assert_eq!(&text[diagnostics[0].labels[0].span.range()], "WF071");
    }

    #[test]
    fn reports_toml_syntax_errors() {
        let text = "include = [\"a\"\n[rules\n";
        let (config, diagnostics) = parse(text);
        assert!(config.include.is_empty());
        assert!(!diagnostics.is_empty());
        assert!(
            diagnostics.iter().all(
                |diagnostic| diagnostic.code == "WF005" && diagnostic.message == "invalid TOML"
            )
        );
        assert!(
            diagnostics
                .iter()
                .all(|diagnostic| diagnostic.span.end as usize <= text.len())
        );
    }

    #[test]
    fn parses_run_settings_and_command_workers() {
        let text = r#"
[run]
runs_dir = "tmp/runs"

[run.workers]
resize_image = "python3 workers/resize.py"
send_email = ["node", "workers/email.js"]
transcode = { command = "bin/transcode", timeout = "10m" }
"#;
        let (config, diagnostics) = parse(text);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(config.run.runs_dir.as_deref(), Some("tmp/runs"));
        assert_eq!(
            config.run.workers,
            [
                CommandWorker {
                    name: "resize_image".into(),
                    command: WorkerCommand::Shell("python3 workers/resize.py".into()),
                    timeout_ms: None,
                },
                CommandWorker {
                    name: "send_email".into(),
                    command: WorkerCommand::Arguments(vec![
                        "node".into(),
                        "workers/email.js".into()
                    ]),
                    timeout_ms: None,
                },
                CommandWorker {
                    name: "transcode".into(),
                    command: WorkerCommand::Shell("bin/transcode".into()),
                    timeout_ms: Some(600_000),
                },
            ]
        );
        let (workers, diagnostics) =
            Config::parse_workers(FileId(0), "a = \"./a.sh\"\nb = { command = [\"b\"] }\n");
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(workers.len(), 2);
    }

    #[test]
    fn reports_mistakes_in_run_settings() {
        let text = "[run]\nrun_dir = \"x\"\n[run.workers]\na = 3\nb = { comand = \"b\" }\nc = { command = [\"c\", 1] }\nd = { command = \"d\", timeout = \"soon\" }\n";
        let (config, diagnostics) = parse(text);
        let found: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|diagnostic| (at(text, diagnostic), diagnostic.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("run_dir", "unknown key `run_dir`"),
                ("3", "the command of `a` must be a command line or a list"),
                ("{ comand = \"b\" }", "worker `b` has no `command`"),
                ("comand", "unknown key `comand`"),
                ("[\"c\", 1]", "the command of `c` must be a list of strings"),
                ("\"soon\"", "the timeout of `d` must be a duration"),
            ]
        );
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `runs_dir`?")
        );
        assert_eq!(config.run.workers.len(), 1);
        assert_eq!(config.run.workers[0].name, "d");
    }

    #[test]
    fn suggests_rules() {
        assert_eq!(
            rules::suggest("unused-inputs").map(|rule| rule.code),
            Some("WF050")
        );
        assert!(rules::suggest("WF01").is_some());
        assert_eq!(rules::suggest("completely-different"), None);
    }
}
