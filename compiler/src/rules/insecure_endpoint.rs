//! `WF071` `insecure-endpoint`: an endpoint does not use TLS.
//!
//! An `http://` URL (other than localhost) or a Kafka bootstrap server without TLS sends data in clear text.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF071",
    name: "insecure-endpoint",
    default_severity: Severity::Warning,
    summary: "an endpoint does not use TLS",
    explanation: r#"An `http://` URL (other than localhost) or a Kafka bootstrap server without TLS sends data in clear text."#,
    example: r#"http: {url: http://api.example.com}"#,
    remedy: r#"Use `https://`."#,
};
