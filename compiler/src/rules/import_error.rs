//! `WF024` `import-error`: an import cannot be read.
//!
//! An entry of `imports:` must be a readable contract file (`*.workers.yaml`) relative to the importing file.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF024",
    name: "import-error",
    default_severity: Severity::Error,
    summary: "an import cannot be read",
    explanation: r#"An entry of `imports:` must be a readable contract file (`*.workers.yaml`) relative to the importing file."#,
    example: r#"imports: [missing.workers.yaml]"#,
    remedy: r#"Fix the path."#,
};
