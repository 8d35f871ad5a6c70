//! SARIF 2.1.0 (`--format sarif`), as accepted by GitHub code scanning.
//!
//! One run whose `tool.driver.rules` lists every rule of [`rules::ALL`] (so `ruleIndex` is the
//! rule's position there). Locations are relative to `%SRCROOT%` (the directory `wfc` ran in)
//! with forward slashes, or `file://` URIs for paths outside it; columns count Unicode code points
//! (`columnKind: unicodeCodePoints`) and `endColumn` is exclusive. Each result carries a
//! `partialFingerprints` entry (`wfc/v1`) hashing its code, path, message and the text of its
//! line, so alerts survive unrelated edits that move them.

use serde_json::{Value, json};

use super::{Options, display_path, line_text, message_with_label, region};
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::rules::{self, Rule};
use crate::source::{FileId, SourceDb};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders the SARIF log, pretty-printed, with a trailing newline.
pub fn render(sources: &SourceDb, diagnostics: &[Diagnostic], options: &Options) -> String {
    let rules: Vec<Value> = rules::ALL.iter().map(|rule| rule_value(rule)).collect();
    let mut seen_fingerprints: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let hash = fingerprint(sources, diagnostic);
            let occurrence = seen_fingerprints.entry(hash.clone()).or_insert(0);
            *occurrence += 1;
            result_value(sources, diagnostic, format!("{hash}:{occurrence}"))
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "wfc",
                    "version": options.tool_version,
                    "semanticVersion": options.tool_version,
                    "informationUri": options.information_uri,
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_else(|_| String::from("{}"));
    out.push('\n');
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule_value(rule: &Rule) -> Value {
    let markdown = format!(
        "{}\n\n```yaml\n{}\n```\n\n{}",
        rule.explanation, rule.example, rule.remedy
    );
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.explanation },
        "help": { "text": format!("{}\n\nExample:\n{}\n\n{}", rule.explanation, rule.example, rule.remedy), "markdown": markdown },
        "defaultConfiguration": { "level": level(rule.default_severity) },
    })
}

fn physical_location(sources: &SourceDb, file: FileId, span: Span) -> Value {
    let position = region(sources, file, span);
    json!({
        "artifactLocation": artifact_location(&display_path(sources, file)),
        "region": {
            "startLine": position.line,
            "startColumn": position.column,
            "endLine": position.end_line,
            "endColumn": position.end_column,
        },
    })
}

fn artifact_location(path: &str) -> Value {
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", encode_uri_path(path)) })
    } else if path.as_bytes().get(1) == Some(&b':') {
        // A Windows drive path such as C:/flows/a.wf.yaml.
        json!({ "uri": format!("file:///{}", encode_uri_path(path)) })
    } else {
        let relative = path.strip_prefix("./").unwrap_or(path);
        json!({ "uri": encode_uri_path(relative), "uriBaseId": "%SRCROOT%" })
    }
}

/// Percent-encodes everything but unreserved characters, `/` and a drive letter's `:`.
fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (index, byte) in path.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/')
            || (byte == b':' && index == 1);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn result_value(sources: &SourceDb, diagnostic: &Diagnostic, fingerprint: String) -> Value {
    let mut text = message_with_label(diagnostic);
    if let Some(help) = &diagnostic.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut result = json!({
        "ruleId": diagnostic.code,
        "level": level(diagnostic.severity),
        "message": { "text": text },
        "locations": [{ "physicalLocation": physical_location(sources, diagnostic.file, diagnostic.span) }],
        "partialFingerprints": { "wfc/v1": fingerprint },
    });
    if let Some(index) = rules::ALL
        .iter()
        .position(|rule| rule.code == diagnostic.code)
    {
        result["ruleIndex"] = index.into();
    }
    if !diagnostic.labels.is_empty() {
        let related: Vec<Value> = diagnostic
            .labels
            .iter()
            .enumerate()
            .map(|(id, label)| {
                json!({
                    "id": id,
                    "physicalLocation": physical_location(sources, label.file, label.span),
                    "message": { "text": label.message },
                })
            })
            .collect();
        result["relatedLocations"] = related.into();
    }
    if let Some(fix) = &diagnostic.fix {
        let mut changes: Vec<(FileId, Vec<Value>)> = Vec::new();
        for edit in &fix.edits {
            let position = region(sources, edit.file, edit.span);
            let replacement = json!({
                "deletedRegion": {
                    "startLine": position.line,
                    "startColumn": position.column,
                    "endLine": position.end_line,
                    "endColumn": position.end_column,
                },
                "insertedContent": { "text": edit.replacement },
            });
            match changes.iter_mut().find(|(file, _)| *file == edit.file) {
                Some((_, replacements)) => replacements.push(replacement),
                None => changes.push((edit.file, vec![replacement])),
            }
        }
        let changes: Vec<Value> = changes
            .into_iter()
            .map(|(file, replacements)| {
                json!({ "artifactLocation": artifact_location(&display_path(sources, file)), "replacements": replacements })
            })
            .collect();
        result["fixes"] =
            json!([{ "description": { "text": fix.message }, "artifactChanges": changes }]);
    }
    result
}

/// A stable 64-bit FNV-1a hash of the code, path, message and trimmed line text, in hex.
fn fingerprint(sources: &SourceDb, diagnostic: &Diagnostic) -> String {
    let line = line_text(sources, diagnostic.file, diagnostic.span.start).trim();
    let path = display_path(sources, diagnostic.file);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        diagnostic.code,
        path.as_str(),
        diagnostic.message.as_str(),
        line,
    ] {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::sample;

    fn rendered() -> Value {
        let (sources, diagnostics) = sample();
        let out = render(
            &sources,
            &diagnostics,
            &Options {
                tool_version: "0.0.0-test".into(),
                ..Options::default()
            },
        );
        serde_json::from_str(&out).expect("valid JSON")
    }

    #[test]
    fn has_the_structure_github_requires() {
        let log = rendered();
        assert_eq!(log["version"], "2.1.0");
        assert!(
            log["$schema"]
                .as_str()
                .is_some_and(|schema| schema.contains("sarif-2.1.0"))
        );
        let run = &log["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "wfc");
        let rules = driver["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), rules::ALL.len());
        for rule in rules {
            assert!(rule["id"].as_str().is_some_and(|id| id.starts_with("WF")));
            assert!(rule["shortDescription"]["text"].is_string());
            assert!(rule["fullDescription"]["text"].is_string());
            assert!(rule["help"]["text"].is_string() && rule["help"]["markdown"].is_string());
            assert!(
                ["error", "warning", "note"]
                    .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap_or(""))
            );
        }
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), 3);
        for result in results {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            let location = &result["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            for key in ["startLine", "startColumn", "endLine", "endColumn"] {
                assert!(
                    location["region"][key]
                        .as_u64()
                        .is_some_and(|value| value >= 1),
                    "{key}"
                );
            }
            assert!(result["partialFingerprints"]["wfc/v1"].is_string());
        }
        assert_eq!(
            results[0]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        assert_eq!(
            results[1]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "workers/build.workers.yaml"
        );
        assert_eq!(
            results[1]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
            "build"
        );
        assert_eq!(results[2]["level"], "warning");
    }

    #[test]
    fn snapshot() {
        let (sources, diagnostics) = sample();
        let out = render(
            &sources,
            &diagnostics[..1],
            &Options {
                tool_version: "0.0.0-test".into(),
                ..Options::default()
            },
        );
        let log: Value = serde_json::from_str(&out).expect("valid JSON");
        insta::assert_json_snapshot!(log["runs"][0]["results"]);
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let (sources, diagnostics) = sample();
        let first = fingerprint(&sources, &diagnostics[0]);
        assert_eq!(first, fingerprint(&sources, &diagnostics[0]));
        assert_ne!(first, fingerprint(&sources, &diagnostics[1]));
        assert_eq!(first.len(), 16);
    }

    #[test]
    fn encodes_uris() {
        assert_eq!(
            artifact_location("flows/a b#1.wf.yaml")["uri"],
            "flows/a%20b%231.wf.yaml"
        );
        assert_eq!(artifact_location("./a.wf.yaml")["uri"], "a.wf.yaml");
        assert_eq!(
            artifact_location("/abs/é.wf.yaml"),
            json!({ "uri": "file:///abs/%C3%A9.wf.yaml" })
        );
        assert_eq!(
            artifact_location("C:/x/a.wf.yaml"),
            json!({ "uri": "file:///C:/x/a.wf.yaml" })
        );
    }
}
