//! `wfc rules [--markdown]` and `wfc explain-rule RULE`: the rule reference.

use wfc_compiler::rules::{self, Rule};

use crate::cli::{ExplainRuleArgs, RulesArgs};
use crate::{Exit, Failure, output};

/// Lists every rule as an aligned table, or prints the Markdown reference (docs/rules.md).
pub fn run(args: &RulesArgs) -> Result<Exit, Failure> {
    if args.markdown {
        output::print(&rules::markdown_reference());
    } else {
        output::print(&table());
    }
    Ok(Exit::Clean)
}

fn table() -> String {
    let name_width = rules::ALL
        .iter()
        .map(|rule| rule.name.len())
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "{:<5}  {:<name_width$}  {:<7}  SUMMARY\n",
        "CODE", "NAME", "DEFAULT"
    );
    for rule in rules::ALL {
        out.push_str(&format!(
            "{:<5}  {:<name_width$}  {:<7}  {}\n",
            rule.code,
            rule.name,
            rule.default_severity.as_str(),
            rule.summary
        ));
    }
    out
}

/// Prints the documentation of one rule, found by code or name.
pub fn explain(args: &ExplainRuleArgs) -> Result<Exit, Failure> {
    let Some(rule) = rules::find(&args.rule) else {
        let mut message = format!("unknown rule `{}`", args.rule);
        match wfc_compiler::rules::suggest(&args.rule) {
            Some(rule) if looks_like_code(&args.rule) => {
                message.push_str(&format!("; did you mean `{}` ({})?", rule.code, rule.name));
            }
            Some(rule) => {
                message.push_str(&format!("; did you mean `{}` ({})?", rule.name, rule.code))
            }
            None => message.push_str("; `wfc rules` lists every rule"),
        }
        return Err(Failure::new(message));
    };
    output::print(&explanation(rule));
    Ok(Exit::Clean)
}

fn looks_like_code(text: &str) -> bool {
    text.get(..2)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("WF"))
        && text.len() <= 6
}

fn explanation(rule: &Rule) -> String {
    let example: String = rule
        .example
        .lines()
        .map(|line| format!("    {line}\n"))
        .collect();
    format!(
        "{} {} (default severity: {})\n\n{}\n\n{}\n\nExample:\n\n{}\n{}\n\nSuppress it with `# wfc: ignore[{}]` or configure it in wfc.toml under [rules].\n",
        rule.code,
        rule.name,
        rule.default_severity.as_str(),
        rule.sentence(),
        rule.explanation,
        example,
        rule.remedy,
        rule.code
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_every_rule() {
        assert_eq!(table().lines().count(), rules::ALL.len() + 1);
    }
}
