//! `WF022` `unknown-task-kind`: a task has no kind, several kinds, or an unknown Conductor type.
//!
//! Each task has exactly one kind key (`worker`, `http`, `switch`, ...). A `raw:` task's `type` must be a Conductor task type; an unknown type would silently become a worker queue of that name.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF022",
    name: "unknown-task-kind",
    default_severity: Severity::Error,
    summary: "a task has no kind, several kinds, or an unknown Conductor type",
    explanation: r#"Each task has exactly one kind key (`worker`, `http`, `switch`, ...). A `raw:` task's `type` must be a Conductor task type; an unknown type would silently become a worker queue of that name."#,
    example: r#"tasks:
  a: {input: {}}"#,
    remedy: r#"Add one kind key (the help lists them), or use `raw:` with a `type`."#,
};
