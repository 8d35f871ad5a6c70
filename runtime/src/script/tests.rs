//! Tests of script evaluation: conversions as Conductor's `getObject` does them, the sandbox,
//! the limits and the error messages.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

fn run(script: &str) -> Result<Value, ScriptError> {
    evaluate(
        script,
        &json!({"a": 1, "list": [1, 2, 3], "text": "héllo", "nested": {"x": {"y": true}}}),
        &ScriptLimits::default(),
    )
}

fn value(script: &str) -> Value {
    match run(script) {
        Ok(value) => value,
        Err(error) => panic!("{script}: {error}"),
    }
}

#[test]
fn values_convert_like_get_object() {
    let cases: Vec<(&str, Value)> = vec![
        ("1 + 1", json!(2)),
        ("4 / 2", json!(2)),
        ("2.5", json!(2.5)),
        ("-0", json!(-0.0)),
        ("2 ** 53", json!(9007199254740992_i64)),
        ("2 ** 64", json!(18446744073709551616.0)),
        ("NaN", json!("NaN")),
        ("1 / 0", json!("Infinity")),
        ("-1 / 0", json!("-Infinity")),
        ("undefined", json!(null)),
        ("null", json!(null)),
        ("true", json!(true)),
        ("'text'", json!("text")),
        ("[1, , 3]", json!([1, null, 3])),
        ("[[1], {a: [2]}]", json!([[1], {"a": [2]}])),
        (
            "({a: 1, b: undefined, f: function () {}})",
            json!({"a": 1, "b": null, "f": {}}),
        ),
        ("(function () {})", json!({})),
        ("(() => 1)", json!({})),
        ("new Date(0)", json!({})),
        ("/x/g", json!({})),
        ("new Error('e')", json!({})),
        ("Promise.resolve(1)", json!({})),
        ("Symbol('s')", json!({})),
        ("new Set([1, 2])", json!({})),
        (
            "new Map([[1, 'a'], ['k', 2], [true, null]])",
            json!({"1": "a", "k": 2, "true": null}),
        ),
        ("new Uint8Array([1, 2, 300])", json!([1, 2, 44])),
        ("new Float64Array([0.5])", json!([0.5])),
        ("10n", json!(10)),
        (
            "var o = Object.create({inherited: 1}); o.own = 2; o",
            json!({"own": 2}),
        ),
        (
            "var o = {}; Object.defineProperty(o, 'hidden', {value: 1}); o.shown = 2; o",
            json!({"shown": 2}),
        ),
        ("'😀'.length", json!(2)),
        (
            "var x = 1; if (x) { 'then' } else { 'else' }",
            json!("then"),
        ),
        ("for (var i = 0; i < 3; i++) { i * 10 }", json!(20)),
    ];
    for (script, expected) in cases {
        assert_eq!(value(script), expected, "{script}");
    }
}

#[test]
fn the_input_is_bound_to_dollar_as_a_copy() {
    assert_eq!(value("$.a + 1"), json!(2));
    assert_eq!(
        value("$.list.map(function (x) { return x * 2 })"),
        json!([2, 4, 6])
    );
    assert_eq!(value("$.nested.x.y"), json!(true));
    assert_eq!(value("$.text.toUpperCase()"), json!("HÉLLO"));
    assert_eq!(value("Object.keys($).length"), json!(4));
    assert_eq!(
        value("$.a = 5; $.list.push(4); $"),
        json!({"a": 5, "list": [1, 2, 3, 4], "text": "héllo", "nested": {"x": {"y": true}}})
    );
    let input = json!({"a": 1});
    let _ = evaluate("$.a = 2; delete $.b", &input, &ScriptLimits::default());
    assert_eq!(input, json!({"a": 1}));
    assert_eq!(
        evaluate("$", &json!(null), &ScriptLimits::default()),
        Ok(json!(null))
    );
}

#[test]
fn scripts_run_in_sloppy_mode_and_in_fresh_contexts() {
    assert_eq!(value("undeclared = 5; undeclared"), json!(5));
    assert_eq!(value("var kept = 1; kept"), json!(1));
    assert_eq!(value("typeof kept"), json!("undefined"));
    assert_eq!(value("let x = 1; const y = 2; x + y"), json!(3));
    assert_eq!(value("let x = 1; const y = 2; x + y"), json!(3));
    assert_eq!(value("Array.prototype.evil = 1; [].evil"), json!(1));
    assert_eq!(value("[].evil"), json!(null));
}

#[test]
fn only_ecmascript_is_available() {
    for name in [
        "require",
        "fetch",
        "std",
        "os",
        "console",
        "setTimeout",
        "setInterval",
        "process",
        "performance",
        "print",
        "XMLHttpRequest",
        "WebAssembly",
        "Deno",
        "Java",
        "Polyglot",
        "scriptArgs",
    ] {
        assert_eq!(
            value(&format!("typeof {name}")),
            json!("undefined"),
            "{name}"
        );
    }
    for name in [
        "JSON",
        "Math",
        "Date",
        "RegExp",
        "Map",
        "Set",
        "Promise",
        "Proxy",
        "Reflect",
        "Uint8Array",
        "BigInt",
        "WeakRef",
        "eval",
    ] {
        assert_ne!(
            value(&format!("typeof {name}")),
            json!("undefined"),
            "{name}"
        );
    }
    assert_eq!(
        value("new Date(0).toISOString()"),
        json!("1970-01-01T00:00:00.000Z")
    );
    assert_eq!(value("typeof Date.now()"), json!("number"));
    assert_eq!(value("Date.now() > 1700000000000"), json!(true));
    assert_eq!(
        value("new Date('2024-02-29T12:00:00Z').getUTCDate()"),
        json!(29)
    );
    assert_eq!(
        value("JSON.stringify({b: [1, 'x']})"),
        json!("{\"b\":[1,\"x\"]}")
    );
    assert_eq!(value("/a(b+)/.exec('xabbb')[1]"), json!("bbb"));
    assert_eq!(value("eval('1 + 2')"), json!(3));
}

#[test]
fn lambda_wraps_the_body_in_a_function() {
    let input = json!({"input": {"a": 1}});
    let limits = ScriptLimits::default();
    assert_eq!(
        evaluate_lambda(
            "if ($.input.a == 1) { return {testvalue: true} } else { return {testvalue: false} }",
            &input,
            &limits
        ),
        Ok(json!({"testvalue": true}))
    );
    assert_eq!(
        evaluate_lambda("$.input.a + 1", &input, &limits),
        Ok(json!(null))
    );
    assert!(matches!(
        evaluate("return 1", &input, &limits),
        Err(ScriptError::Syntax(_))
    ));
}

#[test]
fn truthiness_follows_to_boolean() {
    let cases = vec![
        (json!(true), true),
        (json!(false), false),
        (json!(1), true),
        (json!(0.5), true),
        (json!(0), false),
        (json!(-1), false),
        (json!("true"), false),
        (json!("1"), false),
        (json!(null), false),
        (json!([1]), false),
        (json!({"a": 1}), false),
        (json!("NaN"), false),
    ];
    for (input, expected) in cases {
        assert_eq!(truthy(&input), expected, "{input}");
    }
}

#[test]
fn errors_read_like_conductor() {
    assert_eq!(
        run("missing + 1"),
        Err(ScriptError::Thrown(
            "Error evaluating the script `ReferenceError: missing is not defined` at line 1".into()
        ))
    );
    assert_eq!(
        run("1;\n2;\nnull.x"),
        Err(ScriptError::Thrown(
            "Error evaluating the script `TypeError: cannot read property 'x' of null` at line 3"
                .into()
        ))
    );
    assert_eq!(
        run("throw 'boom'"),
        Err(ScriptError::Thrown(
            "Error evaluating the script `boom`".into()
        ))
    );
    assert_eq!(
        run("throw 42"),
        Err(ScriptError::Thrown(
            "Error evaluating the script `42`".into()
        ))
    );
    assert_eq!(
        run("throw {a: 1}"),
        Err(ScriptError::Thrown(
            "Error evaluating the script `[object Object]`".into()
        ))
    );
    let Err(ScriptError::Syntax(message)) = run("let x y") else {
        panic!("not a syntax error");
    };
    assert!(
        message.starts_with("Error evaluating the script `SyntaxError: "),
        "{message}"
    );
    assert!(message.ends_with("at line 1"), "{message}");
    let Err(ScriptError::Thrown(message)) = run("JSON.parse('{')") else {
        panic!("JSON.parse failure is not a thrown error");
    };
    assert!(message.contains("SyntaxError"), "{message}");
    let Err(ScriptError::Thrown(message)) = run("function f() { return f() } f()") else {
        panic!("stack overflow is not a thrown error");
    };
    assert!(
        message.contains("Maximum call stack size exceeded"),
        "{message}"
    );
    let Err(ScriptError::Thrown(message)) = run("var a = {}; a.self = a; a") else {
        panic!("a cyclic value is not an error");
    };
    assert!(message.contains("nested too deeply"), "{message}");
    let deep = value("var d = 1; for (var i = 0; i < 200; i++) { d = [d] } d");
    let mut depth = 0;
    let mut current = &deep;
    while let Value::Array(items) = current {
        depth += 1;
        current = items.first().unwrap_or(&Value::Null);
    }
    assert_eq!((depth, current), (200, &json!(1)));
    assert!(ScriptError::Thrown(String::new()).is_terminal());
    assert!(!ScriptError::TimedOut(Duration::from_secs(4)).is_terminal());
    assert_eq!(
        ScriptError::TimedOut(Duration::from_secs(4)).to_string(),
        "Script not evaluated within 4 seconds, interrupted."
    );
}

#[test]
fn an_infinite_loop_stops_at_the_time_limit() {
    let limits = ScriptLimits {
        time: Duration::from_millis(200),
        ..ScriptLimits::default()
    };
    for script in [
        "while (true) {}",
        "for (;;) { Math.random() }",
        "function f() { while (true) { try { for (;;) {} } catch (e) {} } } f()",
    ] {
        let started = Instant::now();
        let outcome = evaluate(script, &json!({}), &limits);
        let elapsed = started.elapsed();
        assert_eq!(
            outcome,
            Err(ScriptError::TimedOut(Duration::from_millis(200))),
            "{script}"
        );
        assert!(
            elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(3),
            "{script}: {elapsed:?}"
        );
    }
}

#[test]
fn a_memory_bomb_stops_at_the_memory_limit() {
    let limits = ScriptLimits {
        memory_bytes: 16 * 1024 * 1024,
        ..ScriptLimits::default()
    };
    for script in [
        "var a = []; while (true) { a.push(new Array(100000).fill(1)) }",
        "var s = 'x'; while (true) { s = s + s }",
        "var o = {}; for (var i = 0; ; i++) { o['k' + i] = i }",
        "new ArrayBuffer(1024 * 1024 * 1024)",
        "var deep = []; for (var i = 0; i < 1e7; i++) { deep = [deep] } deep",
    ] {
        let started = Instant::now();
        let outcome = evaluate(script, &json!({}), &limits);
        assert!(
            matches!(
                outcome,
                Err(ScriptError::OutOfMemory) | Err(ScriptError::Thrown(_))
            ),
            "{script}: {outcome:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{script}: {:?}",
            started.elapsed()
        );
    }
    for script in [
        "var a = []; while (true) { a.push({k: [1, 2, 3]}) }",
        "(function () { var a = []; while (true) { a.push({k: [1, 2, 3]}) } })()",
        "(function () { var a = []; while (true) { a.push(new Array(100000).fill(1)) } })()",
        "var s = []; for (var i = 0; ; i++) s.push('x' + i)",
    ] {
        assert_eq!(
            evaluate(script, &json!({}), &limits),
            Err(ScriptError::OutOfMemory),
            "{script}"
        );
    }
    assert_eq!(
        evaluate("throw null", &json!({}), &limits),
        Err(ScriptError::Thrown(
            "Error evaluating the script `null`".into()
        ))
    );
}

#[test]
fn large_inputs_and_results_round_trip() {
    let items: Vec<Value> = (0..10_000)
        .map(|index| json!({"id": index, "name": format!("item {index}")}))
        .collect();
    let input = json!({"items": items});
    let outcome = evaluate(
        "$.items.filter(function (item) { return item.id % 1000 == 0 }).map(function (item) { return item.name })",
        &input,
        &ScriptLimits::default(),
    );
    assert_eq!(
        outcome.map(|value| value.as_array().map(Vec::len)),
        Ok(Some(10))
    );
}

#[test]
fn java_collection_methods_work_on_the_input_like_host_objects() {
    let cases: Vec<(&str, Value)> = vec![
        ("$.list.get(1)", json!(2)),
        ("$.list.size()", json!(3)),
        ("$.list.isEmpty()", json!(false)),
        ("$.list.contains(3)", json!(true)),
        ("$.nested.get('x').get('y')", json!(true)),
        ("$.nested.get('missing')", Value::Null),
        ("$.nested.containsKey('x')", json!(true)),
        ("$.nested.x.size()", json!(1)),
        ("$.size()", json!(4)),
        ("$.keySet().length", json!(4)),
        ("$.nested.x.values()", json!([true])),
        ("$.getOrDefault('b', 7)", json!(7)),
        // The methods are invisible to the data: enumeration and the result keep only the input.
        ("Object.keys($.nested).length", json!(1)),
        ("$.nested", json!({"x": {"y": true}})),
        ("JSON.stringify($.list)", json!("[1,2,3]")),
    ];
    for (script, expected) in cases {
        assert_eq!(value(script), expected, "{script}");
    }
    // A key of the data with a method's name wins.
    let input = json!({"map": {"size": "large"}});
    assert_eq!(
        evaluate("$.map.size", &input, &ScriptLimits::default()).ok(),
        Some(json!("large"))
    );
}
