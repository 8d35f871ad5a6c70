//! `WF070` `plaintext-secret`: a secret is written in plain text.
//!
//! A header or input whose name suggests a credential (password, token, secret, api key, authorization) has a literal value. It ends up in the workflow definition, visible to anyone who can read metadata.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF070",
    name: "plaintext-secret",
    default_severity: Severity::Warning,
    summary: "a secret is written in plain text",
    explanation: r#"A header or input whose name suggests a credential (password, token, secret, api key, authorization) has a literal value. It ends up in the workflow definition, visible to anyone who can read metadata."#,
    example: r#"http: {url: https://x, headers: {Authorization: Bearer abc123}}"#,
    remedy: r#"Use `${workflow.secrets.NAME}` (Orkes) or a workflow input."#,
};
