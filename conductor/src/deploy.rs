//! `wfc deploy`'s plan and its application, independent of the command line: what the server
//! has for each definition, what would change, what is refused, and the calls that register the
//! rest (task definitions first, then workflows: API.md §2's recommended sequence).
//!
//! # Policy
//!
//! - A definition the server does not have is **new**; one whose comparable form
//!   ([`crate::normalize`]) equals the server's is **unchanged** and not sent again, so deploying
//!   twice is a no-op.
//! - Different content under an existing workflow name and version is **refused**: running
//!   executions and callers pinned to that version would silently get another definition. With
//!   [`Mode::Bump`] it is deployed as the next version after the server's latest (unless that
//!   latest already has this content); with [`Mode::Force`] the version is overwritten.
//! - Task definitions have no versions: a changed one is refused unless [`Mode::Force`].
//! - Contract breaks ([`crate::diff::contract_breaks`]) are reported against the version being
//!   replaced, or, for a new version, against the server's latest: they never block by
//!   themselves (a new version is the way to ship one), but they are always shown.
//!
//! Server validation failures come back as [`Rejection`]s naming the definition and, where the
//! server's path or message identifies one, the task reference name, so that the command line
//! can point at the task in the YAML.

use serde_json::Value;

use crate::client::{Client, ClientError};
use crate::diff::{self, ContractBreak, Difference};
use crate::normalize;

/// How to treat different content under an existing name (and version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refuse it.
    Refuse,
    /// Deploy a changed workflow as the next version.
    Bump,
    /// Overwrite.
    Force,
}

/// What a definition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    TaskDef,
    Workflow,
}

/// What happens to one definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The server does not have it: registered.
    Create,
    /// The server has the same: nothing is sent.
    Unchanged,
    /// The server's latest version already has this content (an earlier `--bump`).
    AlreadyDeployedAs { version: i64 },
    /// Different content: overwritten (`--force`).
    Overwrite,
    /// Different content: deployed as a new version (`--bump`).
    Bump { from: i64, to: i64 },
    /// Different content, refused.
    Refused { reason: String },
}

/// One definition's plan.
#[derive(Debug, Clone)]
pub struct Planned {
    pub kind: Kind,
    pub name: String,
    /// The version deployed (workflows; after `--bump`, the new one).
    pub version: Option<i64>,
    /// Where the definition came from among the inputs (index into `task_defs` or `workflows`).
    pub index: usize,
    pub action: Action,
    /// Against the server's definition of the same name (and version).
    pub differences: Vec<Difference>,
    pub breaks: Vec<ContractBreak>,
    /// The version the contract breaks are against.
    pub breaks_against: Option<i64>,
    /// What is sent.
    pub definition: Value,
}

impl Planned {
    /// Whether the definition is sent to the server.
    pub fn is_sent(&self) -> bool {
        matches!(
            self.action,
            Action::Create | Action::Overwrite | Action::Bump { .. }
        )
    }
}

/// The plan of a deploy.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Task definitions, then workflows, each in input order.
    pub definitions: Vec<Planned>,
}

impl Plan {
    pub fn refused(&self) -> impl Iterator<Item = &Planned> {
        self.definitions
            .iter()
            .filter(|planned| matches!(planned.action, Action::Refused { .. }))
    }
}

fn name_of(definition: &Value) -> String {
    definition
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn version_of(definition: &Value) -> i64 {
    definition
        .get("version")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn with_version(definition: &Value, version: i64) -> Value {
    let mut definition = definition.clone();
    if let Value::Object(object) = &mut definition {
        object.insert("version".to_string(), version.into());
    }
    definition
}

/// Compares the definitions with what the server has and decides what to do with each.
pub async fn plan(
    client: &Client,
    task_defs: &[Value],
    workflows: &[Value],
    mode: Mode,
) -> Result<Plan, ClientError> {
    let mut plan = Plan::default();
    for (index, definition) in task_defs.iter().enumerate() {
        let name = name_of(definition);
        let deployed = client.task_def(&name).await?;
        let new = normalize::comparable_task_def(definition);
        let (action, differences, breaks) = match &deployed {
            None => (Action::Create, Vec::new(), Vec::new()),
            Some(deployed) => {
                let old = normalize::comparable_task_def(deployed);
                if old == new {
                    (Action::Unchanged, Vec::new(), Vec::new())
                } else {
                    let action = if mode == Mode::Force {
                        Action::Overwrite
                    } else {
                        Action::Refused {
                            reason: "the server's task definition differs; task definitions have no versions, pass --force to overwrite it".to_string(),
                        }
                    };
                    (
                        action,
                        diff::diff(&old, &new),
                        diff::contract_breaks(&old, &new),
                    )
                }
            }
        };
        plan.definitions.push(Planned {
            kind: Kind::TaskDef,
            name,
            version: None,
            index,
            action,
            differences,
            breaks,
            breaks_against: None,
            definition: definition.clone(),
        });
    }
    for (index, definition) in workflows.iter().enumerate() {
        plan.definitions
            .push(plan_workflow(client, index, definition, mode).await?);
    }
    Ok(plan)
}

async fn plan_workflow(
    client: &Client,
    index: usize,
    definition: &Value,
    mode: Mode,
) -> Result<Planned, ClientError> {
    let name = name_of(definition);
    let version = version_of(definition);
    let same_version = client.workflow_def(&name, Some(version)).await?;
    let latest = client.workflow_def(&name, None).await?;
    let latest_version = latest.as_ref().map(version_of);
    let new = normalize::comparable_workflow_def(definition);
    let mut planned = Planned {
        kind: Kind::Workflow,
        name,
        version: Some(version),
        index,
        action: Action::Create,
        differences: Vec::new(),
        breaks: Vec::new(),
        breaks_against: None,
        definition: definition.clone(),
    };
    let Some(deployed) = same_version else {
        // A new version: its contract is compared with the latest deployed one.
        if let Some(latest) = &latest {
            planned.breaks =
                diff::contract_breaks(&normalize::comparable_workflow_def(latest), &new);
            planned.breaks_against = latest_version;
        }
        return Ok(planned);
    };
    let old = normalize::comparable_workflow_def(&deployed);
    if old == new {
        planned.action = Action::Unchanged;
        return Ok(planned);
    }
    planned.differences = diff::diff(&old, &new);
    planned.breaks = diff::contract_breaks(&old, &new);
    planned.breaks_against = Some(version);
    match mode {
        Mode::Force => planned.action = Action::Overwrite,
        Mode::Refuse => {
            let next = latest_version.unwrap_or(version).max(version) + 1;
            planned.action = Action::Refused {
                reason: format!(
                    "version {version} is deployed with different content; pass --bump to deploy it as version {next}, or --force to overwrite version {version}"
                ),
            };
        }
        Mode::Bump => {
            let latest_version = latest_version.unwrap_or(version).max(version);
            let at_latest = with_version(definition, latest_version);
            let latest_same = latest.as_ref().is_some_and(|latest| {
                normalize::comparable_workflow_def(latest)
                    == normalize::comparable_workflow_def(&at_latest)
            });
            if latest_same && latest_version != version {
                planned.action = Action::AlreadyDeployedAs {
                    version: latest_version,
                };
                planned.version = Some(latest_version);
                planned.differences.clear();
                planned.breaks.clear();
                planned.breaks_against = None;
            } else {
                let to = latest_version + 1;
                if let Some(latest) = &latest {
                    planned.breaks =
                        diff::contract_breaks(&normalize::comparable_workflow_def(latest), &new);
                    planned.breaks_against = Some(latest_version);
                }
                planned.action = Action::Bump { from: version, to };
                planned.version = Some(to);
                planned.definition = with_version(definition, to);
            }
        }
    }
    Ok(planned)
}

/// A definition the server refused, located as precisely as its answer allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub kind: Kind,
    /// The index among the plan's definitions.
    pub planned: usize,
    /// The task the server's path or message names.
    pub reference: Option<String>,
    pub message: String,
}

/// Why applying a plan failed.
#[derive(Debug)]
pub enum ApplyError {
    /// The server refused definitions (validation errors, bulk errors).
    Rejected(Vec<Rejection>),
    Client(ClientError),
}

impl From<ClientError> for ApplyError {
    fn from(error: ClientError) -> ApplyError {
        ApplyError::Client(error)
    }
}

/// What was registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub task_defs: usize,
    pub workflows: usize,
}

/// Registers what the plan sends: task definitions in one call, then workflows in one call.
/// Call only with a plan that has nothing refused.
pub async fn apply(client: &Client, plan: &Plan) -> Result<Applied, ApplyError> {
    let sent = |kind: Kind| -> Vec<(usize, &Planned)> {
        plan.definitions
            .iter()
            .enumerate()
            .filter(|(_, planned)| planned.kind == kind && planned.is_sent())
            .collect()
    };
    let task_defs = sent(Kind::TaskDef);
    let workflows = sent(Kind::Workflow);
    if !task_defs.is_empty() {
        let bodies: Vec<Value> = task_defs
            .iter()
            .map(|(_, planned)| planned.definition.clone())
            .collect();
        client
            .register_task_defs(&bodies)
            .await
            .map_err(|error| rejections(error, Kind::TaskDef, &task_defs))?;
    }
    if !workflows.is_empty() {
        let bodies: Vec<Value> = workflows
            .iter()
            .map(|(_, planned)| planned.definition.clone())
            .collect();
        let answer = client
            .update_workflow_defs(&bodies)
            .await
            .map_err(|error| rejections(error, Kind::Workflow, &workflows))?;
        if !answer.errors.is_empty() {
            let refused = answer
                .errors
                .iter()
                .map(|(name, message)| Rejection {
                    kind: Kind::Workflow,
                    planned: workflows
                        .iter()
                        .find(|(_, planned)| &planned.name == name)
                        .map_or(0, |(index, _)| *index),
                    reference: None,
                    message: message.clone(),
                })
                .collect();
            return Err(ApplyError::Rejected(refused));
        }
    }
    Ok(Applied {
        task_defs: task_defs.len(),
        workflows: workflows.len(),
    })
}

/// Validation errors of a refused call as rejections of the definitions sent; other errors
/// stay errors.
fn rejections(error: ClientError, kind: Kind, sent: &[(usize, &Planned)]) -> ApplyError {
    let ClientError::Status {
        status: 400,
        validation_errors,
        message,
        ..
    } = &error
    else {
        return ApplyError::Client(error);
    };
    if validation_errors.is_empty() {
        // A 400 without details (an `IllegalArgumentException`): about the whole request.
        return ApplyError::Rejected(
            sent.iter()
                .map(|(index, _)| Rejection {
                    kind,
                    planned: *index,
                    reference: None,
                    message: message.clone(),
                })
                .collect(),
        );
    }
    let refused = validation_errors
        .iter()
        .map(|validation| {
            let (position, rest) = list_position(&validation.path);
            let planned = position.and_then(|position| sent.get(position));
            let reference = planned.and_then(|(_, planned)| {
                task_at(&planned.definition, rest).or_else(|| reference_in(&validation.message))
            });
            Rejection {
                kind,
                planned: planned.map_or_else(
                    || sent.first().map_or(0, |(index, _)| *index),
                    |(index, _)| *index,
                ),
                reference,
                message: validation.message.clone(),
            }
        })
        .collect();
    ApplyError::Rejected(refused)
}

/// The list position and the rest of a violation path: `updateWorkflowDef.workflowDefList[1].
/// tasks[0]` → `(Some(1), ".tasks[0]")`. A path without a list position (`…workflowDef.tasks[0]`)
/// is about the only definition sent.
fn list_position(path: &str) -> (Option<usize>, &str) {
    for marker in [
        "workflowDefList[",
        "taskDefinitions[",
        "workflowDef",
        "taskDefinition",
    ] {
        if let Some(start) = path.find(marker) {
            let after = &path[start + marker.len()..];
            if marker.ends_with('[') {
                let Some(end) = after.find(']') else {
                    return (None, "");
                };
                return (after[..end].parse().ok(), &after[end + 1..]);
            }
            return (Some(0), after);
        }
    }
    (None, "")
}

/// The reference name of the innermost task on a property path (`.tasks[2].decisionCases[a][0]`)
/// in a definition.
fn task_at(definition: &Value, path: &str) -> Option<String> {
    let mut current = definition;
    let mut found = None;
    let mut rest = path;
    while !rest.is_empty() {
        let segment;
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            segment = &after[..end];
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            segment = &after[..end];
            rest = &after[end + 1..];
        } else {
            return found;
        }
        current = match current {
            Value::Object(object) => object.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return found,
        };
        if let Some(reference) = current.get("taskReferenceName").and_then(Value::as_str) {
            found = Some(reference.to_string());
        }
    }
    found
}

/// The task a class-level message names (`taskReferenceName: X …`, `… taskName: X`).
fn reference_in(message: &str) -> Option<String> {
    for marker in ["taskReferenceName: ", "taskName: "] {
        if let Some(start) = message.find(marker) {
            let name: String = message[start + marker.len()..]
                .chars()
                .take_while(|character| !character.is_whitespace())
                .collect();
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn violation_paths_locate_tasks() {
        let definition = json!({"name": "flow", "tasks": [
            {"name": "a", "taskReferenceName": "a"},
            {"name": "route", "taskReferenceName": "route", "type": "SWITCH",
             "decisionCases": {"x": [{"name": "inner", "taskReferenceName": "inner"}]}}
        ]});
        let (position, rest) =
            list_position("updateWorkflowDef.workflowDefList[3].tasks[1].decisionCases[x][0]");
        assert_eq!(position, Some(3));
        assert_eq!(task_at(&definition, rest), Some("inner".to_string()));
        let (position, rest) = list_position("registerWorkflowDef.workflowDef.tasks[1]");
        assert_eq!(position, Some(0));
        assert_eq!(task_at(&definition, rest), Some("route".to_string()));
        assert_eq!(task_at(&definition, ""), None);
        assert_eq!(
            reference_in("taskReferenceName: w should be unique across tasks"),
            Some("w".to_string())
        );
        assert_eq!(
            reference_in("evaluatorType field is required for taskType: SWITCH taskName: route"),
            Some("route".to_string())
        );
    }
}
