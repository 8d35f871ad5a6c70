//! Tests of `${...}` resolution: Conductor's own `ParametersUtilsTest` cases, then the
//! cases whose expected values come from Conductor's code running on the JVM
//! (`tests/data/parameters_oracle.jsonl`, see `tests/oracle/README.md`).

use serde_json::{Value, json};

use super::*;

fn no_environment(_: &str) -> Option<String> {
    None
}

fn resolve_against(template: &Value, document: &Value) -> Value {
    let context = ResolutionContext {
        document,
        current_task_id: None,
    };
    resolve_with_environment(template, &context, &no_environment)
}

/// `ParametersUtilsTest.testReplace`, `testReplaceInputWithMapAndList`, `testNestedPathExpressions`,
/// `testReplaceWithLineTerminators`, `testReplaceWithEscapedTags` (conductor-oss
/// core/src/test/java/com/netflix/conductor/core/utils/ParametersUtilsTest.java).
#[test]
fn conductor_parameters_utils_test_cases() {
    let document = json!({
        "name": "conductor", "version": 2,
        "externalId": "{\"taskRefName\":\"t001\",\"workflowId\":\"w002\"}",
        "index": 1, "mapValue": "a", "recordIds": [1, 2, 3],
        "map": {"a": [1, 2, 3], "b": [2, 4, 5], "c": [3, 7, 8]},
        "someString": "conductor", "someNumber": 2
    });
    let cases: Vec<(Value, Value)> = vec![
        (
            json!("${$.externalId}"),
            json!("{\"taskRefName\":\"t001\",\"workflowId\":\"w002\"}"),
        ),
        (json!("${name}"), json!("conductor")),
        (json!("${version}"), json!(2)),
        (json!("${}"), json!("")),
        (json!("${    }"), json!("")),
        (
            json!({"name": "${name}", "version": "${version}"}),
            json!({"name": "conductor", "version": 2}),
        ),
        (json!(["${name}", "${version}"]), json!(["conductor", 2])),
        (json!("${recordIds[${index}]}"), json!(2)),
        (json!("${map.${mapValue}[${index}]}"), json!(2)),
        (json!("${map.b[${map.${mapValue}[${index}]}]}"), json!(5)),
        (
            json!("Name: ${name}; Version: ${version};"),
            json!("Name: conductor; Version: 2;"),
        ),
        (
            json!("Name: ${name};\nVersion: ${version};"),
            json!("Name: conductor;\nVersion: 2;"),
        ),
        (
            json!("Name: ${name};\rVersion: ${version};"),
            json!("Name: conductor;\rVersion: 2;"),
        ),
        (
            json!("Name: ${name};\r\nVersion: ${version};"),
            json!("Name: conductor;\r\nVersion: 2;"),
        ),
        (
            json!(
                "${$.someString} $${$.someNumber}${$.someNumber} ${$.someNumber}$${$.someString}"
            ),
            json!("conductor ${$.someNumber}2 2${$.someString}"),
        ),
        (
            json!("$${$.someString}afterText"),
            json!("${$.someString}afterText"),
        ),
        (
            json!("beforeText$${$.someString}"),
            json!("beforeText${$.someString}"),
        ),
        (
            json!("$${$.someString} afterText"),
            json!("${$.someString} afterText"),
        ),
        (
            json!("beforeText $${$.someString}"),
            json!("beforeText ${$.someString}"),
        ),
        (
            json!({"a": "${someString}", "b": "${someNumber}", "c": "$${someString} ${someNumber}"}),
            json!({"a": "conductor", "b": 2, "c": "${someString} 2"}),
        ),
        (
            json!([
                "${someString}",
                "${someNumber}",
                "${someString} $${someNumber}"
            ]),
            json!(["conductor", 2, "conductor ${someNumber}"]),
        ),
    ];
    for (template, expected) in cases {
        assert_eq!(
            resolve_against(&template, &document),
            expected,
            "template {template}"
        );
    }
}

/// `testReplaceWithArrayExpand` / `testReplaceWithMapExpand`: paths into lists and into maps that
/// `JsonUtils.expand` parsed from JSON strings.
#[test]
fn conductor_expanded_documents() {
    let list = json!([{"externalId": [{"taskRefName": "t001", "workflowId": "w002"}], "name": "conductor", "version": 2}]);
    assert_eq!(
        resolve_against(&json!("${$[0].externalId[0].taskRefName}"), &list),
        json!("t001")
    );
    assert_eq!(
        resolve_against(&json!("${__json_externalId.taskRefName}"), &list),
        json!(null)
    );
    assert_eq!(
        resolve_against(&json!("${$[0].name}"), &list),
        json!("conductor")
    );
    assert_eq!(resolve_against(&json!("${$[0].version}"), &list), json!(2));
    let map = json!({"externalId": {"taskRefName": "t001", "workflowId": "w002"}, "name": "conductor", "version": 2});
    assert_eq!(
        resolve_against(&json!("${externalId.taskRefName}"), &map),
        json!("t001")
    );
    assert_eq!(resolve_against(&json!("${version}"), &map), json!(2));
}

#[test]
fn task_id_and_environment_names() {
    let document = json!({"workflow": {"input": {}}});
    let environment = |name: &str| match name {
        "CONDUCTOR_ENV_REGION" => Some("us-east-1".to_string()),
        "CONDUCTOR_ENV_CONFIG" => Some(r#"{"host":"db.example.com","port":5432}"#.to_string()),
        "NETFLIX_STACK" => Some("test".to_string()),
        "HOME" => Some("/home/user".to_string()),
        _ => None,
    };
    let with_task = ResolutionContext {
        document: &document,
        current_task_id: Some("t1"),
    };
    let without_task = ResolutionContext {
        document: &document,
        current_task_id: None,
    };
    let cases: Vec<(&ResolutionContext, Value, Value)> = vec![
        (&with_task, json!("${CPEWF_TASK_ID}"), json!("t1")),
        (&with_task, json!("id-${CPEWF_TASK_ID}"), json!("id-t1")),
        // No task id: Conductor adds no replacement and leaves the text.
        (
            &without_task,
            json!("${CPEWF_TASK_ID}"),
            json!("${CPEWF_TASK_ID}"),
        ),
        (&with_task, json!("${NETFLIX_ENV}"), json!("${NETFLIX_ENV}")),
        (&with_task, json!("${NETFLIX_STACK}"), json!("test")),
        (&with_task, json!("${HOME}"), json!("/home/user")),
        (&with_task, json!("${ HOME}"), json!(null)),
        // testWorkflowEnvResolvesEagerly / testWorkflowEnvResolvesJsonPath
        (
            &with_task,
            json!("${workflow.env.REGION}"),
            json!("us-east-1"),
        ),
        (
            &with_task,
            json!("${workflow.env.CONFIG.host}"),
            json!("db.example.com"),
        ),
        (
            &with_task,
            json!("${workflow.env.CONFIG.port}"),
            json!(5432),
        ),
        (&with_task, json!("${workflow.env.MISSING}"), json!(null)),
        (
            &with_task,
            json!("at ${workflow.env.MISSING}"),
            json!("at null"),
        ),
        // testWorkflowSecretsLeftLiteralDuringNormalResolution
        (
            &with_task,
            json!("${workflow.secrets.DB_PASSWORD}"),
            json!("${workflow.secrets.DB_PASSWORD}"),
        ),
        (
            &with_task,
            json!("Bearer ${workflow.secrets.T}"),
            json!("Bearer ${workflow.secrets.T}"),
        ),
    ];
    for (context, template, expected) in cases {
        assert_eq!(
            resolve_with_environment(&template, context, &environment),
            expected,
            "template {template}"
        );
    }
}

/// `testSubstituteSecretsResolvesPlainAndJsonPath`, `…InsideList`, `…MalformedJsonResolvesToNull`.
#[test]
fn secrets_are_substituted_at_hand_off() {
    let environment = |name: &str| match name {
        "CONDUCTOR_SECRET_DB_PASSWORD" => Some("s3cr3t".to_string()),
        "CONDUCTOR_SECRET_CREDS" => Some(r#"{"user":"neo","pass":"zion"}"#.to_string()),
        "CONDUCTOR_SECRET_TOKEN" => Some("tkn".to_string()),
        "CONDUCTOR_SECRET_BAD" => Some("not-json".to_string()),
        _ => None,
    };
    let input = json!({
        "pwd": "${workflow.secrets.DB_PASSWORD}",
        "user": "${workflow.secrets.CREDS.user}",
        "header": "Bearer ${workflow.secrets.DB_PASSWORD}",
        "headers": ["Bearer ${workflow.secrets.TOKEN}", "static"],
        "bad": "${workflow.secrets.BAD.field}",
        "missing": "${workflow.secrets.NOPE}",
        "missing_inside": "a${workflow.secrets.NOPE}b",
        "nested": {"n": 1, "s": "${workflow.secrets.TOKEN}"}
    });
    let Value::Object(input) = input else {
        panic!("not a map");
    };
    let substituted = substitute_secrets_with(&input, &environment);
    assert_eq!(
        Value::Object(substituted),
        json!({
            "pwd": "s3cr3t",
            "user": "neo",
            "header": "Bearer s3cr3t",
            "headers": ["Bearer tkn", "static"],
            "bad": null,
            "missing": null,
            "missing_inside": "ab",
            "nested": {"n": 1, "s": "tkn"}
        })
    );
}

#[test]
fn non_string_values_and_keys_are_kept() {
    let document = json!({"a": 1});
    let template = json!({"${a}": [1, 2.5, true, null, {"k": "${a}"}]});
    assert_eq!(
        resolve_against(&template, &document),
        json!({"${a}": [1, 2.5, true, null, {"k": 1}]})
    );
}

#[test]
fn interpolation_prints_like_java() {
    let document = json!({"workflow": {"input": {
        "map": {"a": 1, "b": "x"}, "list": [1, "x", null], "double": 2.0, "big": 1e10,
        "items": [{"id": 1}, {"id": 2}], "text": "a/b", "none": null
    }}});
    let cases = vec![
        ("m=${workflow.input.map}", "m={a=1, b=x}"),
        ("l=${workflow.input.list}", "l=[1, x, null]"),
        (
            "d=${workflow.input.double} b=${workflow.input.big}",
            "d=2.0 b=1.0E10",
        ),
        ("ids=${workflow.input.items[*].id}", "ids=[1,2]"),
        ("t=${workflow.input..text}", "t=[\"a\\/b\"]"),
        (
            "n=${workflow.input.none} m=${workflow.input.missing}",
            "n=null m=null",
        ),
        ("e=${workflow.input.items[?(@.id > 5)]}", "e=[]"),
    ];
    for (template, expected) in cases {
        assert_eq!(
            resolve_against(&json!(template), &document),
            json!(expected),
            "{template}"
        );
    }
}

/// Expected values computed by Conductor's `replaceVariables` with Jayway JsonPath 2.4.0 and
/// json-smart on the JVM.
#[test]
fn agrees_with_conductor_on_the_jvm() {
    let data = include_str!("../../tests/data/parameters_oracle.jsonl");
    let mut compared = 0;
    let mut failures = Vec::new();
    for line in data.lines().filter(|line| !line.trim().is_empty()) {
        let Ok(case) = serde_json::from_str::<Value>(line) else {
            panic!("malformed line {line}");
        };
        let document = case.get("document").cloned().unwrap_or(Value::Null);
        let template = case.get("template").cloned().unwrap_or(Value::Null);
        let expected = case.get("expected").cloned().unwrap_or(Value::Null);
        let task_id = case.get("taskId").and_then(Value::as_str);
        let context = ResolutionContext {
            document: &document,
            current_task_id: task_id,
        };
        let actual = resolve_with_environment(&template, &context, &no_environment);
        if actual != expected {
            failures.push(format!(
                "template {template}\n  expected {expected}\n  actual   {actual}"
            ));
        }
        compared += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compared > 500, "only {compared} cases");
}

mod properties {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::super::*;

    fn document() -> Value {
        json!({
            "workflow": {"input": {"a": [1, {"b": "x", "c": [true, null]}], "m": {"k": 2.5}, "s": "t"}},
            "task": {"output": {"list": [{"id": 1}, {"id": 2}], "n": null}}
        })
    }

    /// Text heavy in the characters that matter to templates, paths and filters.
    fn template_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("${".to_string()),
                Just("}".to_string()),
                Just("$".to_string()),
                Just("{".to_string()),
                Just("workflow".to_string()),
                Just(".input".to_string()),
                Just("task.output".to_string()),
                Just("[0]".to_string()),
                Just("[-1]".to_string()),
                Just("[".to_string()),
                Just("]".to_string()),
                Just("(".to_string()),
                Just(")".to_string()),
                Just("..".to_string()),
                Just(".".to_string()),
                Just("*".to_string()),
                Just("[?(@.id > 1)]".to_string()),
                Just("[?(".to_string()),
                Just("@".to_string()),
                Just("'".to_string()),
                Just("\"".to_string()),
                Just(",".to_string()),
                Just(":".to_string()),
                Just(" ".to_string()),
                Just("\\".to_string()),
                Just(".length()".to_string()),
                Just("sum(".to_string()),
                Just("==".to_string()),
                Just("&&".to_string()),
                Just("!".to_string()),
                "[a-z0-9]{1,3}",
                any::<char>().prop_map(|character| character.to_string()),
            ],
            0..24,
        )
        .prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn arbitrary_templates_never_panic(text in template_text()) {
            let document = document();
            let context = ResolutionContext { document: &document, current_task_id: Some("t") };
            let resolved = resolve_with_environment(&Value::String(text.clone()), &context, &|_| None);
            if !text.contains("${") {
                prop_assert_eq!(resolved, Value::String(text));
            }
        }

        #[test]
        fn arbitrary_paths_never_panic(path in template_text()) {
            let document = document();
            let context = ResolutionContext { document: &document, current_task_id: None };
            let template = Value::String(format!("${{{path}}}"));
            let _ = resolve_with_environment(&template, &context, &|_| None);
            let interpolated = Value::String(format!("x ${{{path}}} y"));
            let _ = resolve_with_environment(&interpolated, &context, &|_| None);
        }
    }
}

/// Long strings (an INLINE script with many expressions and braces) resolve in linear-ish time:
/// Conductor's regex is emulated without backtracking.
#[test]
fn long_templates_resolve_quickly() {
    let document = json!({"workflow": {"input": {"x": 1}}});
    let mut script = String::new();
    for index in 0..2000 {
        script.push_str(&format!(
            "function f{index}() {{ if (a) {{ return ${{workflow.input.x}}; }} }}\n"
        ));
    }
    script.push_str("{{{{ ${ ${ }}}} $${x} {");
    let started = std::time::Instant::now();
    let resolved = resolve_against(&Value::String(script), &document);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let Value::String(resolved) = resolved else {
        panic!("not a string");
    };
    assert!(resolved.contains("function f1999() { if (a) { return 1; } }"));
}
