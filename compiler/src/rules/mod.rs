//! The registry of every diagnostic rule.
//!
//! Each rule lives in its own module holding its stable code, name, default severity and the
//! user documentation from which `docs/rules.md` is generated (`wfc rules --markdown`; a test
//! fails when the committed file is stale). The checks that emit a rule refer to its `RULE`.

use crate::diagnostic::{Diagnostic, Severity};

/// Static description of one diagnostic rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable code such as `WF010`; never reused.
    pub code: &'static str,
    /// Stable kebab-case name such as `unknown-key`.
    pub name: &'static str,
    pub default_severity: Severity,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// Why it matters.
    pub explanation: &'static str,
    /// A snippet that triggers it.
    pub example: &'static str,
    /// How to fix it.
    pub remedy: &'static str,
}

pub mod conductor_registration;
pub mod cycle;
pub mod duplicate_declaration;
pub mod duplicate_key;
pub mod duplicate_task_ref;
pub mod empty_tasks;
pub mod import_error;
pub mod insecure_endpoint;
pub mod invalid_config;
pub mod invalid_date;
pub mod invalid_default;
pub mod invalid_duration;
pub mod invalid_expression;
pub mod invalid_mock_file;
pub mod invalid_mock_status;
pub mod invalid_name;
pub mod invalid_suppression;
pub mod invalid_task_reference_name;
pub mod invalid_type;
pub mod javascript_syntax;
pub mod jq_syntax;
pub mod missing_contract_input;
pub mod missing_key;
pub mod missing_owner;
pub mod mock_output_mismatch;
pub mod not_a_workflow;
pub mod not_upstream;
pub mod optional_value;
pub mod plaintext_secret;
pub mod switch_without_default;
pub mod task_timeouts;
pub mod terminate_status;
pub mod type_mismatch;
pub mod unknown_contract_input;
pub mod unknown_field;
pub mod unknown_input;
pub mod unknown_key;
pub mod unknown_mock_reference;
pub mod unknown_sub_workflow;
pub mod unknown_task_kind;
pub mod unknown_task_reference;
pub mod unknown_type;
pub mod unknown_variable;
pub mod unknown_worker;
pub mod unreachable_task;
pub mod unused_input;
pub mod unused_mock;
pub mod unused_output;
pub mod value_out_of_range;
pub mod wrong_value_type;
pub mod yaml_limits;
pub mod yaml_syntax;

/// Every rule, in code order.
pub const ALL: &[&Rule] = &[
    &yaml_syntax::RULE,
    &duplicate_key::RULE,
    &yaml_limits::RULE,
    &not_a_workflow::RULE,
    &invalid_config::RULE,
    &unknown_key::RULE,
    &missing_key::RULE,
    &wrong_value_type::RULE,
    &invalid_duration::RULE,
    &invalid_date::RULE,
    &invalid_type::RULE,
    &unknown_type::RULE,
    &invalid_default::RULE,
    &duplicate_task_ref::RULE,
    &unknown_worker::RULE,
    &unknown_task_kind::RULE,
    &unknown_sub_workflow::RULE,
    &import_error::RULE,
    &duplicate_declaration::RULE,
    &unknown_task_reference::RULE,
    &unknown_input::RULE,
    &unknown_variable::RULE,
    &unknown_field::RULE,
    &not_upstream::RULE,
    &optional_value::RULE,
    &type_mismatch::RULE,
    &missing_contract_input::RULE,
    &unknown_contract_input::RULE,
    &cycle::RULE,
    &unreachable_task::RULE,
    &unused_input::RULE,
    &unused_output::RULE,
    &switch_without_default::RULE,
    &terminate_status::RULE,
    &javascript_syntax::RULE,
    &jq_syntax::RULE,
    &invalid_expression::RULE,
    &plaintext_secret::RULE,
    &insecure_endpoint::RULE,
    &empty_tasks::RULE,
    &missing_owner::RULE,
    &invalid_name::RULE,
    &invalid_task_reference_name::RULE,
    &task_timeouts::RULE,
    &value_out_of_range::RULE,
    &conductor_registration::RULE,
    &invalid_suppression::RULE,
    &invalid_mock_file::RULE,
    &unknown_mock_reference::RULE,
    &invalid_mock_status::RULE,
    &mock_output_mismatch::RULE,
    &unused_mock::RULE,
];

/// Finds a rule by code (`WF010`) or name (`unknown-key`), case-insensitively.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    let wanted = code_or_name.trim();
    ALL.iter().copied().find(|rule| {
        rule.code.eq_ignore_ascii_case(wanted) || rule.name.eq_ignore_ascii_case(wanted)
    })
}

/// The rule closest to a misspelled code or name, if one is plausibly meant.
pub fn suggest(name: &str) -> Option<&'static Rule> {
    let candidates = ALL.iter().flat_map(|rule| [rule.code, rule.name]);
    crate::suggest::closest(name.trim(), candidates).and_then(find)
}

/// Adds to a diagnostic about an unknown rule `name` a did-you-mean help and fix (a misspelled
/// code is replaced by a code, a misspelled name by a name).
pub fn with_suggestion(diagnostic: Diagnostic, name: &str) -> Diagnostic {
    match suggest(name) {
        Some(rule) => {
            let looks_like_code = name.trim().len() <= 6
                && name
                    .trim()
                    .get(..2)
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case("WF"));
            let replacement = if looks_like_code {
                rule.code
            } else {
                rule.name
            };
            diagnostic
                .with_help(format!(
                    "did you mean `{replacement}` ({} {})?",
                    rule.code, rule.name
                ))
                .with_replacement(format!("replace with `{replacement}`"), replacement)
        }
        None => diagnostic.with_help("`wfc rules` lists every rule code and name"),
    }
}

impl Rule {
    /// The summary as a sentence: capitalised, with a full stop.
    pub fn sentence(&self) -> String {
        let mut characters = self.summary.chars();
        match characters.next() {
            Some(first) => format!(
                "{}.",
                first.to_uppercase().chain(characters).collect::<String>()
            ),
            None => String::new(),
        }
    }
}

/// The rule documentation as Markdown (the content of `docs/rules.md`).
pub fn markdown_reference() -> String {
    let mut out = String::from(
        "# wfc rules\n\nGenerated by `wfc rules --markdown`; do not edit by hand.\n\n",
    );
    out.push_str("| code | name | default | summary |\n|---|---|---|---|\n");
    for rule in ALL {
        out.push_str(&format!(
            "| [{}](#{}) | `{}` | {} | {} |\n",
            rule.code,
            rule.code.to_lowercase(),
            rule.name,
            rule.default_severity.as_str(),
            rule.summary
        ));
    }
    for rule in ALL {
        out.push_str(&format!(
            "\n## {}\n\n`{}` · default severity: {}\n\n**{}** {}\n\n```yaml\n{}\n```\n\n{}\n",
            rule.code,
            rule.name,
            rule.default_severity.as_str(),
            rule.sentence(),
            rule.explanation,
            rule.example,
            rule.remedy
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for rule in ALL {
            assert!(seen.insert(rule.code), "duplicate code {}", rule.code);
            assert!(seen.insert(rule.name), "duplicate name {}", rule.name);
            assert!(
                rule.code.starts_with("WF") && rule.code.len() == 5,
                "{}",
                rule.code
            );
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                rule.name
            );
            assert!(
                !rule.summary.ends_with('.'),
                "summaries are phrases: {}",
                rule.code
            );
        }
        assert_eq!(find("unknown-key").map(|rule| rule.code), Some("WF010"));
        assert_eq!(find("wf010").map(|rule| rule.name), Some("unknown-key"));
    }
}
