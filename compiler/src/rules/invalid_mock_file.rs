//! `WF100` `invalid-mock-file`: a mock file of `wfc run` is not in the shape of Conductor's test request.
//!
//! `wfc run --mocks FILE` reads the `taskRefToMockOutput` of Conductor's `POST /api/workflow/test` (or the whole request), so that one fixture serves both wfc and a server. A key the shape does not have, a value of the wrong kind, or a request for another workflow would otherwise be ignored and leave tasks without their results.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF100",
    name: "invalid-mock-file",
    default_severity: Severity::Error,
    summary: "a mock file of `wfc run` is not in the shape of Conductor's test request",
    explanation: r#"`wfc run --mocks FILE` reads the `taskRefToMockOutput` of Conductor's `POST /api/workflow/test` (or the whole request), so that one fixture serves both wfc and a server. A key the shape does not have, a value of the wrong kind, or a request for another workflow would otherwise be ignored and leave tasks without their results."#,
    example: r#"charge:
  - status: COMPLETED
    ouput: {id: ch_1}"#,
    remedy: r#"Give each task reference a list of results with `status`, `output`, `executionTime` (see docs/run.md)."#,
};
