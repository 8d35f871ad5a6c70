//! `wfc deploy [PATH...] --server URL [--dry-run] [--bump | --force]`: compile, then register
//! with a Conductor server.
//!
//! 1. Load, analyse and compile exactly like `wfc compile` ([`compile::load_and_compile`]); on
//!    errors nothing is sent.
//! 2. Connect (`--server` or `CONDUCTOR_SERVER_URL`; an Orkes token when `CONDUCTOR_AUTH_KEY`
//!    and `CONDUCTOR_AUTH_SECRET` are set) and plan ([`deploy::plan`]): what the server has for
//!    each definition, what changes, what is refused.
//! 3. Print the plan on stdout, one line per definition with its differences and contract
//!    breaks. With `--dry-run`, or when anything is refused, stop there.
//! 4. Register task definitions, then workflows ([`deploy::apply`]). Definitions the server
//!    refuses are reported at their task (or workflow, or worker contract) in the YAML.
//!
//! Exit status: 0 deployed (or the dry run would deploy), 1 errors in the files, refusals or
//! server validation errors, 2 the server is unreachable or refused the credentials.

use wfc_compiler::diagnostic::{Diagnostic, Span};
use wfc_compiler::emit::Compiled;
use wfc_compiler::project::Analysis;
use wfc_compiler::render::{self, Format};
use wfc_compiler::rules;
use wfc_compiler::source::FileId;
use wfc_conductor::client::{Client, ClientOptions, Credentials, Secret};
use wfc_conductor::deploy::{self, Action, ApplyError, Kind, Mode, Plan, Planned, Rejection};

use crate::cli::DeployArgs;
use crate::commands::compile::{self, Project};
use crate::load;
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

/// The environment variables of the SDKs (API.md §5).
const SERVER_VARIABLE: &str = "CONDUCTOR_SERVER_URL";
const KEY_VARIABLE: &str = "CONDUCTOR_AUTH_KEY";
const SECRET_VARIABLE: &str = "CONDUCTOR_AUTH_SECRET";

pub fn run(args: &DeployArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let server = match &args.server {
        Some(server) => server.clone(),
        None => environment(SERVER_VARIABLE).ok_or_else(|| {
            Failure::new(format!(
                "no server to deploy to: pass --server URL or set {SERVER_VARIABLE}"
            ))
        })?,
    };
    let credentials = credentials()?;
    let project = Project {
        paths: &args.paths,
        config: args.config.as_deref(),
        quiet: args.quiet,
        deny_warnings: args.deny_warnings,
        format: Format::Human,
    };
    let (loaded, compiled) =
        match compile::load_and_compile(&project, terminal, "nothing was sent to the server")? {
            Ok(built) => built,
            Err(exit) => return Ok(exit),
        };
    let client = Client::new(ClientOptions {
        credentials,
        ..ClientOptions::new(server)
    })
    .map_err(|error| Failure::new(error.to_string()))?;
    let mode = if args.force {
        Mode::Force
    } else if args.bump {
        Mode::Bump
    } else {
        Mode::Refuse
    };
    let workflows: Vec<serde_json::Value> = compiled
        .workflows
        .iter()
        .map(|workflow| workflow.definition.clone())
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::new(format!("cannot start the HTTP client: {error}")))?;
    let plan = runtime
        .block_on(deploy::plan(&client, &compiled.task_defs, &workflows, mode))
        .map_err(|error| Failure::new(error.to_string()))?;
    output::print(&render_plan(&plan));

    let target = client.base_url().to_string();
    let refused = plan.refused().count();
    if refused > 0 {
        terminal.error(&format!(
            "{} from the server's; {}",
            if refused == 1 {
                "1 definition differs".to_string()
            } else {
                format!("{refused} definitions differ")
            },
            if args.dry_run {
                "the deploy would be refused (dry run: nothing was changed)"
            } else {
                "nothing was deployed"
            }
        ));
        return Ok(Exit::Problems);
    }
    let sent = plan
        .definitions
        .iter()
        .filter(|planned| planned.is_sent())
        .count();
    if args.dry_run {
        if !args.quiet {
            output::note(&format!(
                "dry run: nothing was changed on {target} ({} would be sent, {} unchanged)",
                plural(sent, "definition"),
                plan.definitions.len() - sent
            ));
        }
        return Ok(Exit::Clean);
    }
    match runtime.block_on(deploy::apply(&client, &plan)) {
        Ok(applied) => {
            if !args.quiet {
                output::note(&format!(
                    "deployed {} and {} to {target} ({} unchanged)",
                    plural(applied.task_defs, "task definition"),
                    plural(applied.workflows, "workflow"),
                    plan.definitions.len() - sent
                ));
            }
            Ok(Exit::Clean)
        }
        Err(ApplyError::Client(error)) => Err(Failure::new(error.to_string())),
        Err(ApplyError::Rejected(rejections)) => {
            report_rejections(&rejections, &plan, &loaded, &compiled, terminal, args.quiet);
            Ok(Exit::Problems)
        }
    }
}

/// A set, non-empty environment variable.
fn environment(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Orkes credentials from the environment: both variables or neither.
fn credentials() -> Result<Option<Credentials>, Failure> {
    match (environment(KEY_VARIABLE), environment(SECRET_VARIABLE)) {
        (Some(key_id), Some(secret)) => Ok(Some(Credentials {
            key_id,
            secret: Secret::new(secret),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Failure::new(format!(
            "{KEY_VARIABLE} is set but {SECRET_VARIABLE} is not; set both for an Orkes server, or neither"
        ))),
        (None, Some(_)) => Err(Failure::new(format!(
            "{SECRET_VARIABLE} is set but {KEY_VARIABLE} is not; set both for an Orkes server, or neither"
        ))),
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `task definition charge` / `workflow fulfil_order v2`.
fn title(planned: &Planned) -> String {
    match (planned.kind, planned.version) {
        (Kind::TaskDef, _) => format!("task definition {}", planned.name),
        (Kind::Workflow, Some(version)) => format!("workflow {} v{version}", planned.name),
        (Kind::Workflow, None) => format!("workflow {}", planned.name),
    }
}

/// The plan as text: one line per definition, then its differences and contract breaks.
fn render_plan(plan: &Plan) -> String {
    let mut text = String::new();
    for planned in &plan.definitions {
        let verdict = match &planned.action {
            Action::Create => "new".to_string(),
            Action::Unchanged => "unchanged".to_string(),
            Action::AlreadyDeployedAs { .. } => {
                "unchanged (deployed by an earlier --bump)".to_string()
            }
            Action::Overwrite => match planned.version {
                Some(version) => format!("changed, overwrites v{version} (--force)"),
                None => "changed, overwrites the server's (--force)".to_string(),
            },
            Action::Bump { from, to } => {
                format!("changed, new version v{to} (--bump; v{from} stays as it is)")
            }
            Action::Refused { reason } => format!("changed, refused: {reason}"),
        };
        text.push_str(&format!("{}: {verdict}\n", title(planned)));
        for difference in &planned.differences {
            text.push_str(&format!("    {difference}\n"));
        }
        for contract_break in &planned.breaks {
            let against = planned
                .breaks_against
                .map(|version| format!(" of v{version}"))
                .unwrap_or_default();
            text.push_str(&format!(
                "    breaks the contract{against}: {contract_break}\n"
            ));
        }
    }
    text
}

/// Renders the server's refusals at the YAML that produced the refused definitions.
fn report_rejections(
    rejections: &[Rejection],
    plan: &Plan,
    loaded: &load::Loaded,
    compiled: &Compiled,
    terminal: &Terminal,
    quiet: bool,
) {
    let analysis = &loaded.analysis;
    let mut diagnostics = Vec::new();
    for rejection in rejections {
        let Some(planned) = plan.definitions.get(rejection.planned) else {
            terminal.error(&format!(
                "the server refused a definition: {}",
                rejection.message
            ));
            continue;
        };
        let location = match rejection.kind {
            Kind::Workflow => compiled
                .workflows
                .get(planned.index)
                .and_then(|workflow| workflow_location(analysis, workflow.file, rejection)),
            Kind::TaskDef => worker_location(analysis, &planned.name),
        };
        let what = format!("the server refused {}", title(planned));
        match location {
            Some((file, span)) => diagnostics.push(
                Diagnostic::new(&rules::conductor_registration::RULE, file, span, what)
                    .with_label(rejection.message.clone())
                    .with_help("the server's own validation refused it; change the definition as the message says"),
            ),
            None => terminal.error(&format!("{what}: {}", rejection.message)),
        }
    }
    if !diagnostics.is_empty() {
        let options = load::render_options(terminal, quiet);
        output::print(&render::render(
            Format::Human,
            &analysis.sources,
            &diagnostics,
            &options,
        ));
    }
    let task_defs_registered = rejections
        .iter()
        .all(|rejection| rejection.kind == Kind::Workflow)
        && plan
            .definitions
            .iter()
            .any(|planned| planned.kind == Kind::TaskDef && planned.is_sent());
    terminal.error(if task_defs_registered {
        "the server refused the workflows; the task definitions were registered before"
    } else {
        "the server refused the deploy; nothing was registered"
    });
}

/// The task a rejection names, or the workflow's name, in the workflow file.
fn workflow_location(
    analysis: &Analysis,
    file: FileId,
    rejection: &Rejection,
) -> Option<(FileId, Span)> {
    let workflow = analysis.workflow_of(file)?;
    let task = rejection
        .reference
        .as_deref()
        .and_then(|reference| workflow.find_task(reference));
    let span = match (task, &workflow.name) {
        (Some(task), _) => task.name.span,
        (None, Some(name)) => name.span,
        (None, None) => Span::new(0, 0),
    };
    Some((file, span))
}

/// The worker contract a TaskDef came from.
fn worker_location(analysis: &Analysis, name: &str) -> Option<(FileId, Span)> {
    let contracts = analysis
        .contracts
        .iter()
        .flat_map(|contract| contract.workers.iter());
    let inline = analysis
        .workflows
        .iter()
        .flat_map(|workflow| workflow.workers.iter());
    contracts
        .chain(inline)
        .find(|worker| worker.name.value == name)
        .map(|worker| (worker.file, worker.name.span))
}
