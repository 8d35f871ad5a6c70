//! Tests of JSON_JQ_TRANSFORM: Conductor's `JsonJqTransformTest` cases, numbers, outputs, errors
//! and limits.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

/// The task input as Conductor passes it to the program: the input parameters with
/// `queryExpression` among them.
fn task_input(query: &str, mut input: Value) -> Value {
    if let Value::Object(map) = &mut input {
        map.insert(
            "queryExpression".to_string(),
            Value::String(query.to_string()),
        );
    }
    input
}

fn apply(query: &str, input: Value) -> Result<JqOutput, String> {
    transform(query, &task_input(query, input))
}

fn result(query: &str, input: Value) -> Value {
    match apply(query, input) {
        Ok(output) => output.result,
        Err(error) => panic!("{query}: {error}"),
    }
}

#[test]
fn conductor_json_jq_transform_test_cases() {
    // dataShouldBeCorrectlySelected
    let output = apply(
        ".inputJson.key[0]",
        json!({"inputJson": {"key": ["VALUE"]}}),
    );
    assert_eq!(
        output,
        Ok(JqOutput {
            result: json!("VALUE"),
            result_list: vec![json!("VALUE")]
        })
    );
    // mapResultShouldBeCorrectlyExtracted
    let query = "{ requestTransform: .input.requestTransform // \".body\"  , responseTransform: .input.responseTransform // \".response.body\", method: .input.method // \"GET\", document: .input.document // \"rgt_results\", successExpression: .input.successExpression // \"true\"   }";
    let input = json!({"input": {
        "method": "POST", "successExpression": null,
        "requestTransform": "{name: (.body.name + \" you are a \" + .body.title) }",
        "responseTransform": "{result: \"reply: \" + .response.body.message}"
    }});
    assert_eq!(
        result(query, input),
        json!({
            "requestTransform": "{name: (.body.name + \" you are a \" + .body.title) }",
            "responseTransform": "{result: \"reply: \" + .response.body.message}",
            "method": "POST", "document": "rgt_results", "successExpression": "true"
        })
    );
    // stringResultShouldBeCorrectlyExtracted
    assert_eq!(
        result(
            "if(.data | length >0) then \"EXISTS\" else \"CREATE\" end",
            json!({"data": []})
        ),
        json!("CREATE")
    );
    // listResultShouldBeCorrectlyExtracted
    let input = json!({"inputData": {"request": {"transitions": [
        {"name": "redeliver"}, {"name": "redeliver_from_validation_error"}, {"name": "redelivery"}
    ]}}});
    assert_eq!(
        result(".inputData.request.transitions | map(.name)", input),
        json!(["redeliver", "redeliver_from_validation_error", "redelivery"])
    );
    // nullResultShouldBeCorrectlyExtracted
    assert_eq!(
        apply("null", json!({})),
        Ok(JqOutput {
            result: json!(null),
            result_list: vec![json!(null)]
        })
    );
    // simpleErrorShouldBeDisplayed (jackson-jq words it "Encountered \"<EOF>\" at line 1, column 1.")
    let Err(message) = apply("{", json!({})) else {
        panic!("`{{` compiled");
    };
    assert!(message.starts_with("jq syntax error: "), "{message}");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn the_program_sees_the_whole_input_including_the_query() {
    assert_eq!(
        result(".queryExpression", json!({"a": 1})),
        json!(".queryExpression")
    );
    assert_eq!(
        result("keys", json!({"b": 1, "a": 2})),
        json!(["a", "b", "queryExpression"])
    );
}

#[test]
fn outputs_fill_result_and_result_list() {
    assert_eq!(
        apply(".items[]", json!({"items": [1, "two", {"three": 3}]})),
        Ok(JqOutput {
            result: json!(1),
            result_list: vec![json!(1), json!("two"), json!({"three": 3})]
        })
    );
    assert_eq!(
        apply("empty", json!({})),
        Ok(JqOutput {
            result: json!(null),
            result_list: vec![]
        })
    );
    let output = apply(".a, .b", json!({"a": 1, "b": 2})).map(|output| output.to_output());
    assert_eq!(
        output.map(Value::Object),
        Ok(json!({"result": 1, "resultList": [1, 2]}))
    );
    assert_eq!(
        Value::Object(error_output("boom")),
        json!({"error": "boom"})
    );
}

#[test]
fn numbers_follow_jackson_jq() {
    let input = json!({"whole": 1.0, "half": 2.5, "int": 7, "big": 12345678901234_i64});
    let cases = vec![
        ("4 / 2", json!(2)),
        ("1 / 4", json!(0.25)),
        ("1.5 + 1.5", json!(3)),
        (".half * 2", json!(5)),
        (".int + 1", json!(8)),
        (".whole", json!(1.0)),
        (".half", json!(2.5)),
        (".big", json!(12345678901234_i64)),
        ("[.int, .whole, .half]", json!([7, 1.0, 2.5])),
        ("{r: (10 / 4)}", json!({"r": 2.5})),
        ("nan", json!("NaN")),
        ("infinite", json!("Infinity")),
        ("-infinite", json!("-Infinity")),
        ("[1, 2, 3] | add / length", json!(2)),
        (".int | tostring", json!("7")),
    ];
    for (query, expected) in cases {
        assert_eq!(result(query, input.clone()), expected, "{query}");
    }
}

#[test]
fn common_transformations_work() {
    let input = json!({"orders": [
        {"id": "a", "total": 10, "items": [{"sku": "x"}, {"sku": "y"}]},
        {"id": "b", "total": 25, "items": []}
    ], "name": "Ada Lovelace"});
    let cases = vec![
        (
            ".orders | map(select(.total > 15)) | map(.id)",
            json!(["b"]),
        ),
        ("[.orders[].items[].sku] | join(\",\")", json!("x,y")),
        (
            ".orders | map({(.id): .total}) | add",
            json!({"a": 10, "b": 25}),
        ),
        (".name | split(\" \") | .[0] | ascii_downcase", json!("ada")),
        (".orders | length", json!(2)),
        ("[.orders[] | .total] | max", json!(25)),
        (
            ".orders | group_by(.total > 15) | map(length)",
            json!([1, 1]),
        ),
        (
            ".orders[0] | to_entries | map(.key)",
            json!(["id", "total", "items"]),
        ),
        (
            "reduce .orders[] as $order (0; . + $order.total)",
            json!(35),
        ),
        (".missing.deeper", json!(null)),
        (".name | test(\"Love\")", json!(true)),
        ("$ENV | length", json!(0)),
    ];
    for (query, expected) in cases {
        assert_eq!(result(query, input.clone()), expected, "{query}");
    }
}

#[test]
fn failures_are_messages() {
    let Err(message) = apply("error(\"boom\")", json!({})) else {
        panic!("error/1 did not fail");
    };
    assert!(message.contains("boom"), "{message}");
    let Err(message) = apply(".a.b", json!({"a": 5})) else {
        panic!("indexing a number did not fail");
    };
    assert!(!message.is_empty());
    let Err(message) = apply("nosuchfunction(1)", json!({})) else {
        panic!("an undefined function compiled");
    };
    assert!(message.contains("nosuchfunction/1"), "{message}");
    let Err(message) = apply(".a |", json!({})) else {
        panic!("a truncated program compiled");
    };
    assert!(
        message.starts_with("jq syntax error: expected"),
        "{message}"
    );
    // The same failing program fails the same way from the cache.
    assert_eq!(apply(".a |", json!({})), Err(message));
}

#[test]
fn runaway_programs_stop_at_the_limits() {
    let started = Instant::now();
    let outcome = transform_with_limit("last(range(1e15))", &json!({}), Duration::from_millis(300));
    let Err(message) = outcome else {
        panic!("an endless program finished");
    };
    assert!(message.contains("did not finish"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // The stuck worker is abandoned; the next program gets another one.
    assert_eq!(
        transform_with_limit("last(range(3))", &json!({}), Duration::from_secs(5))
            .map(|output| output.result),
        Ok(json!(2))
    );
    let Err(message) = transform("range(200000)", &json!({})) else {
        panic!("too many outputs were accepted");
    };
    assert!(message.contains("more than 100000 outputs"), "{message}");
}

#[test]
fn concurrent_transforms_agree() {
    let handles: Vec<_> = (0..8)
        .map(|index| {
            std::thread::spawn(move || {
                transform(".n * 2", &json!({"n": index})).map(|output| output.result)
            })
        })
        .collect();
    for (index, handle) in handles.into_iter().enumerate() {
        let outcome = handle
            .join()
            .unwrap_or_else(|_| Err("panicked".to_string()));
        assert_eq!(outcome, Ok(json!(index * 2)));
    }
}

#[test]
fn indexing_errors_read_like_jackson_jq() {
    let cases = [
        (
            ".a",
            serde_json::json!("text"),
            "Cannot index string with string \"a\"",
        ),
        (
            ".[0]",
            serde_json::json!("text"),
            "Cannot index string with number",
        ),
        (
            ".a.b",
            serde_json::json!({"a": [1]}),
            "Cannot index array with string \"b\"",
        ),
        (
            ".[\"x with y\"]",
            serde_json::json!(true),
            "Cannot index boolean with string \"x with y\"",
        ),
    ];
    for (query, input, expected) in cases {
        assert_eq!(
            transform(query, &input).err().as_deref(),
            Some(expected),
            "{query}"
        );
    }
}
