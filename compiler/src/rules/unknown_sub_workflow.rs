//! `WF023` `unknown-sub-workflow`: a sub-workflow cannot be found.
//!
//! `sub_workflow:`, `start_workflow:` and `for_each` sub-workflows name another workflow of the project (by its `workflow:` name, or a `./path.wf.yaml`) so that its input and output are type-checked. A workflow registered on the server by other means is declared with `external: true` and a `version`.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF023",
    name: "unknown-sub-workflow",
    default_severity: Severity::Error,
    summary: "a sub-workflow cannot be found",
    explanation: r#"`sub_workflow:`, `start_workflow:` and `for_each` sub-workflows name another workflow of the project (by its `workflow:` name, or a `./path.wf.yaml`) so that its input and output are type-checked. A workflow registered on the server by other means is declared with `external: true` and a `version`."#,
    example: r#"tasks:
  child: {sub_workflow: shiping}"#,
    remedy: r#"Fix the name, check the file, or mark it `external: true`."#,
};
