//! `WF004` `not-a-workflow`: the file is not a wfc workflow or contract file.
//!
//! A `*.wf.yaml` file must be a mapping with a `workflow:` key; a `*.workers.yaml` file a mapping with `workers:` and/or `types:`. An empty file, a list at the top level, or a Conductor JSON file given to `check` is reported here.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF004",
    name: "not-a-workflow",
    default_severity: Severity::Error,
    summary: "the file is not a wfc workflow or contract file",
    explanation: r#"A `*.wf.yaml` file must be a mapping with a `workflow:` key; a `*.workers.yaml` file a mapping with `workers:` and/or `types:`. An empty file, a list at the top level, or a Conductor JSON file given to `check` is reported here."#,
    example: r#"- just
- a list"#,
    remedy: r#"Start the file with `workflow: NAME`, or use `wfc import` for Conductor JSON."#,
};
