//! Command-line arguments (clap derive). Each subcommand's behaviour lives in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Typed workflow language, linter and compiler for Conductor.
#[derive(Debug, Parser)]
#[command(
    name = "wfc",
    version,
    about,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// When to use colors: `auto` colors when the output is a terminal and NO_COLOR is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check workflow (`*.wf.yaml`) and worker contract (`*.workers.yaml`) files.
    Check(CheckArgs),
    /// Compile workflows to Conductor JSON: one WorkflowDef per workflow and their TaskDefs.
    Compile(CompileArgs),
    /// Show the plan of one workflow: waves and branches, the critical path, the estimated
    /// makespan, and why two tasks do or do not run in parallel.
    Explain(ExplainArgs),
    /// Draw one workflow as a Mermaid or Graphviz graph, as written or as compiled.
    Graph(GraphArgs),
    /// Convert Conductor WorkflowDef/TaskDef JSON into wfc YAML.
    Import(ImportArgs),
    /// List every rule, or print the rule reference as Markdown.
    Rules(RulesArgs),
    /// Print the documentation of one rule.
    #[command(visible_alias = "rule")]
    ExplainRule(ExplainRuleArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Run a workflow locally with Conductor's semantics: a `.wf.yaml` (compiled first) or
    /// Conductor JSON, with mocked, command or stub workers (see docs/run.md).
    Run(RunArgs),
    /// List the recorded runs.
    Runs(RunsArgs),
    /// Re-execute a recorded run from its recorded worker results and check that it reaches
    /// the same final state.
    Replay(ReplayArgs),
    /// Complete a HUMAN or WAIT task that a running `wfc run` waits on.
    Complete(CompleteArgs),
    /// Run the language server on stdin/stdout (editors start it; see docs/lsp.md).
    Lsp(LspArgs),
    /// Compile and register workflows and their task definitions with a Conductor server.
    Deploy(DeployArgs),
    /// Run a local Conductor-compatible server (the REST API on 127.0.0.1, state in SQLite).
    Serve(ServeArgs),
    /// Print the help of every command as Markdown (docs/cli-reference.md).
    #[command(hide = true)]
    CliReference,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check. Directories are searched recursively for the files
    /// selected by `include`/`exclude` in wfc.toml (default `*.wf.yaml` and `*.workers.yaml`);
    /// files named explicitly are always checked.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,

    /// Exit with status 1 when there are warnings, not only errors.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print diagnostics only: no summary line and no notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The workflow file (`*.wf.yaml`); the files it imports are read too.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Explain why these two tasks do or do not run in parallel (reference names).
    #[arg(long, num_args = 2, value_names = ["TASK", "TASK"])]
    pub why: Vec<String>,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The workflow file (`*.wf.yaml`); the files it imports are read too.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The graph language.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,

    /// Draw the compiled Conductor definition (forks, joins, switch cases, loops) instead of the
    /// tasks as written.
    #[arg(long)]
    pub plan: bool,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The languages `wfc graph` draws in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Mermaid `flowchart` (renders in GitHub and GitLab Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Files or directories to compile, found like `wfc check` finds them. Every workflow among
    /// them is compiled; nothing is written when any of them has an error.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// The directory to write `<workflow>.json` and `taskdefs.json` into (created if missing).
    #[arg(short, long = "out-dir", value_name = "DIR")]
    pub out_dir: PathBuf,

    /// Output format of the diagnostics.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,

    /// Treat warnings as errors: write nothing and exit with status 1 when there are any.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print diagnostics only: no summary lines and no notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Files or directories to deploy, found like `wfc check` finds them. Every workflow among
    /// them is compiled and registered with the task definitions it uses; nothing is sent when
    /// any of them has an error.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// The Conductor server (`http://localhost:8080`, `https://example.orkes.io/api`); `/api`
    /// is added when missing. Default: `CONDUCTOR_SERVER_URL`. With `CONDUCTOR_AUTH_KEY` and
    /// `CONDUCTOR_AUTH_SECRET` set, an Orkes token is sent.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// Show, per definition, what would change on the server, and change nothing. Exits with
    /// status 1 when the deploy would be refused.
    #[arg(long)]
    pub dry_run: bool,

    /// Deploy a workflow whose content differs from the server's same version as the next
    /// version after the server's latest.
    #[arg(long, conflicts_with = "force")]
    pub bump: bool,

    /// Overwrite definitions whose content differs from the server's (same workflow version,
    /// same task definition name).
    #[arg(long)]
    pub force: bool,

    /// Treat warnings as errors: send nothing and exit with status 1 when there are any.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the plan and errors only: no summary lines.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on, on 127.0.0.1; 0 picks a free one (the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// The SQLite file holding the server's definitions (created with its directory if
    /// missing); the histories of its runs go in the directory next to it (`FILE` without its
    /// extension, plus `.runs`).
    #[arg(long, value_name = "FILE", default_value = ".wfc/serve.sqlite3")]
    pub state: PathBuf,

    /// Require Orkes-style authentication: clients trade this access key for a token at
    /// `POST /api/token` and send it in `X-Authorization`.
    #[arg(long, value_name = "KEY:SECRET")]
    pub auth: Option<String>,

    /// How long the tokens of `--auth` live (`45m`, `2h`, `30s`).
    #[arg(long, value_name = "DURATION", default_value = "45m")]
    pub token_lifetime: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Conductor JSON files: a WorkflowDef, a TaskDef, or a list of either.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// The directory to write `<workflow>.wf.yaml` and `contracts.workers.yaml` into (created
    /// if missing). Without it, the files are printed to stdout.
    #[arg(short, long = "out-dir", value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Replace files that already exist in DIR.
    #[arg(long)]
    pub force: bool,

    /// Print no notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the full rule reference as Markdown (the content of docs/rules.md).
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct ExplainRuleArgs {
    /// A rule code (`WF010`) or name (`unknown-key`).
    #[arg(value_name = "RULE")]
    pub rule: String,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The workflow: a `*.wf.yaml` file (compiled in memory with its project), or Conductor
    /// JSON (a WorkflowDef, a list of definitions, TaskDefs). Not needed with `--resume`.
    #[arg(value_name = "FILE", required_unless_present = "resume")]
    pub file: Option<PathBuf>,

    /// The workflow to run when FILE holds several (a JSON list).
    #[arg(long, value_name = "NAME")]
    pub workflow: Option<String>,

    /// The workflow input, a JSON object.
    #[arg(long, value_name = "JSON", conflicts_with = "input_file")]
    pub input: Option<String>,

    /// Read the workflow input from a JSON file.
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,

    /// Mocked task results: Conductor's `taskRefToMockOutput` (or a whole WorkflowTestRequest),
    /// JSON or YAML. Checked against the workflow before the run.
    #[arg(long, value_name = "FILE")]
    pub mocks: Option<PathBuf>,

    /// Command workers (TOML: `worker_name = "command"` entries, like `[run.workers]` in
    /// wfc.toml, which they extend).
    #[arg(long, value_name = "FILE")]
    pub workers: Option<PathBuf>,

    /// Complete every worker, HUMAN and WAIT task that has no mock and no command at once,
    /// with a sample of its declared output type.
    #[arg(long)]
    pub stub: bool,

    /// Fail attempt N (1-based) of the task REF, or every attempt without `:N`; repeatable.
    #[arg(long = "fail", value_name = "REF[:N]")]
    pub failures: Vec<String>,

    /// Really wait for retry delays, WAIT tasks and timeouts instead of simulating them.
    #[arg(long)]
    pub real_time: bool,

    /// Print the final execution (Conductor's Workflow JSON) on stdout.
    #[arg(long)]
    pub json: bool,

    /// Continue a run that was interrupted: recorded results are fed back, nothing completed
    /// runs again, the history is appended to.
    #[arg(long, value_name = "RUN")]
    pub resume: Option<String>,

    /// More Conductor JSON for a JSON run: sub-workflow definitions, `taskdefs.json`
    /// (files, or directories of `*.json`); repeatable.
    #[arg(long, value_name = "PATH")]
    pub defs: Vec<PathBuf>,

    /// Where runs are recorded (default: `runs_dir` of wfc.toml, else `.wfc/runs`).
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Seed of the retry jitter and of the generated ids.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// No task lines: only problems and the final summary.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Print the runs as JSON.
    #[arg(long)]
    pub json: bool,

    /// Where runs are recorded (default: `runs_dir` of wfc.toml, else `.wfc/runs`).
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The run id (`wfc runs` lists them).
    #[arg(value_name = "RUN")]
    pub run: String,

    /// Print the replayed execution (Conductor's Workflow JSON) on stdout.
    #[arg(long)]
    pub json: bool,

    /// Where runs are recorded (default: `runs_dir` of wfc.toml, else `.wfc/runs`).
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The run id (`wfc runs` lists them).
    #[arg(value_name = "RUN")]
    pub run: String,

    /// The waiting task's reference name (`ref__N` inside loops, `/path/ref` inside
    /// sub-workflows).
    #[arg(value_name = "REF")]
    pub reference: String,

    /// The task's output, a JSON object.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    pub output: String,

    /// The task's status.
    #[arg(long, value_enum, default_value_t = CompletionStatus::Completed)]
    pub status: CompletionStatus,

    /// How long to wait for the running `wfc run` to take the completion.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub wait: u64,

    /// Where runs are recorded (default: `runs_dir` of wfc.toml, else `.wfc/runs`).
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,

    /// Use this configuration file instead of looking for wfc.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The statuses `wfc complete` sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompletionStatus {
    Completed,
    Failed,
    FailedWithTerminalError,
}

#[derive(Debug, Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it; stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Annotated source snippets and a summary line.
    Human,
    /// A versioned JSON document (see docs/cli.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands, shown as annotations on pull requests.
    Github,
}

impl OutputFormat {
    pub fn render_format(self) -> wfc_compiler::render::Format {
        use wfc_compiler::render::Format;
        match self {
            OutputFormat::Human => Format::Human,
            OutputFormat::Json => Format::Json,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Github => Format::Github,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
