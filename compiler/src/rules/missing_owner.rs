//! `WF082` `missing-owner`: the workflow has no owner email.
//!
//! Servers running with `conductor.app.ownerEmailMandatory=true` (the Java default, and Orkes) reject a definition without `ownerEmail` ("ownerEmail cannot be empty").

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF082",
    name: "missing-owner",
    default_severity: Severity::Error,
    summary: "the workflow has no owner email",
    explanation: r#"Servers running with `conductor.app.ownerEmailMandatory=true` (the Java default, and Orkes) reject a definition without `ownerEmail` ("ownerEmail cannot be empty")."#,
    example: r#"workflow: w"#,
    remedy: r#"Add `owner: team@example.com`."#,
};
