//! `WF025` `duplicate-declaration`: a workflow, worker or type is declared twice.
//!
//! Two workflows with the same name and version in one project would overwrite each other when
//! deployed, and a worker or type declared twice (in two imported contract files, or in an import
//! and the workflow itself) makes it a matter of chance which declaration a task is checked
//! against.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF025",
    name: "duplicate-declaration",
    default_severity: Severity::Error,
    summary: "a workflow, worker or type is declared twice",
    explanation: r#"Workflow names (with their version) are unique in a project, because Conductor stores definitions by `name` and `version`. Worker contracts and named types visible to one workflow (its own `workers:`/`types:` and those of its imports) are unique too: a task must be checked against exactly one contract."#,
    example: r#"imports: [billing.workers.yaml, shipping.workers.yaml]   # both declare `notify`
workers:
  notify: {input: {message: string}}"#,
    remedy: r#"Rename one of the declarations, or remove the duplicate import."#,
};
