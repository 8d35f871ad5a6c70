"""Generates the inputs of ParametersOracle.java: templates over a realistic expression document
(FORMAT.md §D.2), covering Jayway's path syntax (names, brackets, indexes, slices, wildcards, deep
scans, filters, functions), its leniencies and its errors, interpolation, nesting and escapes.
Deterministic (fixed seed). Regular-expression filters (`=~`) and `append()` are left out: the
runtime does not reproduce them (see runtime/src/parameters.rs)."""
import json
import random

random.seed(5)

DOCUMENT = {
    "workflow": {
        "input": {
            "name": "conductor", "count": 3, "negative": -7, "ratio": 2.5, "whole": 2.0,
            "big": 1e10, "tiny": 0.0001, "huge": 12345678901234, "flag": True, "nothing": None,
            "text": "a/b \"quoted\" é\n", "key": "count", "index": 1, "empty": "", "blank": "  ",
            "numbers": [1, 2, 3, 4.5], "strings": ["x", "y", "x"], "empty_list": [], "empty_map": {},
            "items": [
                {"id": 1, "price": 8.5, "name": "apple", "tags": ["red", "fruit"], "stock": None},
                {"id": 2, "price": 12, "name": "bread", "tags": []},
                {"id": 3, "price": 30.25, "name": "cheese", "tags": ["dairy"], "meta": {"aged": True}},
            ],
            "matrix": [[1, 2], [3, 4]],
            "nested": {"deep": {"deeper": {"value": 42, "list": [{"v": 1}, {"v": 2}]}}},
            "key with space": "spaced", "dotted.key": "dotted", "quote'key": "q",
            "escaped": "$${not.an.expression}", "dollar": "${literal}",
        },
        "output": {}, "status": "RUNNING", "workflowId": "wf-1", "parentWorkflowId": None,
        "workflowType": "demo", "version": 1, "correlationId": "c-9", "schemaVersion": 2,
        "variables": {"counter": 3, "flags": {"on": True}},
    },
    "fetch": {
        "input": {"url": "http://x/y"},
        "output": {"response": {"statusCode": 200, "body": {"data": [{"workflowId": "a", "status": "DONE"}, {"workflowId": "b", "status": "FAILED"}]}}},
        "taskType": "HTTP", "status": "COMPLETED", "referenceTaskName": "fetch", "retryCount": 0,
        "taskId": "t-fetch", "iteration": 0, "pollCount": 1,
    },
    "loop": {"input": {}, "output": {"iteration": 2, "1": {"inner": {"x": 1}}, "2": {"inner": {"x": 2}}}, "status": "IN_PROGRESS"},
    "step with space": {"output": {"ok": True}},
}

NAMES = ["workflow", "fetch", "loop", "input", "output", "items", "numbers", "name", "id", "price", "tags",
         "nested", "deep", "deeper", "value", "missing", "status", "response", "body", "data", "count",
         "workflowId", "1", "2", "iteration", "variables", "counter", "flags", "on", "matrix", "inner", "x"]


def walk(value, depth=0):
    """A random existing path (as a list of keys/indexes) from a value."""
    steps = []
    while depth < 8 and isinstance(value, (dict, list)) and value and random.random() < 0.85:
        if isinstance(value, dict):
            key = random.choice(list(value.keys()))
            steps.append(key)
            value = value[key]
        else:
            index = random.randrange(len(value))
            steps.append(index)
            value = value[index]
        depth += 1
    return steps


def render(steps, style):
    text = ""
    for step in steps:
        if isinstance(step, int):
            choice = random.random()
            if choice < 0.7:
                text += f"[{step}]"
            elif choice < 0.85:
                text += f"[{step - 3}]"
            else:
                text += f"[ {step} ]"
        elif style == "bracket" or " " in step or "." in step or "'" in step or random.random() < 0.1:
            quote = '"' if "'" in step or random.random() < 0.3 else "'"
            inner = step.replace("'", "\\'") if quote == "'" else step
            text += f"[{quote}{inner}{quote}]"
        else:
            text += "." + step
    return text


FILTERS = [
    "?(@.price > 10)", "?(@.price >= 12)", "?(@.price < 10 || @.id == 3)", "?(@.id == 2)", "?(@.id == '2')",
    "?(@.name == 'apple')", "?(@.name != \"bread\")", "?(@.id in [1,3])", "?(@.id nin [1,3])",
    "?(@.name in ['apple','cheese'])", "?(@.tags size 2)", "?(@.tags empty true)", "?(@.tags empty false)",
    "?(@.meta)", "?(!@.meta)", "?(@.stock)", "?(@.stock == null)", "?(@.price > 5 && @.price < 20)",
    "?(@.tags contains 'red')", "?(@.name contains 'ee')", "?(@.tags subsetof ['red','fruit','dairy'])",
    "?(@.meta.aged == true)", "?(@.price > $.workflow.input.count)", "?((@.id == 1 || @.id == 2) && @.price > 9)",
    "?(@.id === 2)", "?(@.id !== '2')", "?(@ > 2)", "?(@ == 'x')", "?(@.id >= 2.0)", "?(@.name > 'b')",
    "?(@.id == 1.0)", "?(@.missing == null)", "?(@.price == 12)", "?(@.id)", "?(@.id <)", "?(@.id ==)", "?(@.id = 1)",
    "?(@.price > 'a')", "?(@.id all [1])", "?(@..v)", "?(@.status == 'DONE')", "?(@.workflowId)",
]

FUNCTIONS = ["length()", "size()", "sum()", "avg()", "min()", "max()", "stddev()", "concat()", "concat('-', 'x')",
             "sum(10)", "max(1, 2)", "length(", "nope()", "length().x"]


def random_path():
    roll = random.random()
    root = random.choice([["workflow"], ["workflow", "input"], ["fetch"], ["loop"], ["workflow", "input", "items"], []])
    value = DOCUMENT
    for key in root:
        value = value[key]
    steps = root + walk(value)
    style = "bracket" if random.random() < 0.2 else "dot"
    path = render(steps, style).lstrip(".")
    if path.startswith("["):
        path = "$" + path
    elif random.random() < 0.2:
        path = "$." + path
    if roll < 0.08:
        path += "." + random.choice(NAMES)
    elif roll < 0.16:
        path += random.choice(["[*]", ".*", "[*].id", ".*.id"])
    elif roll < 0.26:
        path += random.choice(["..", "..*", "..id", "..[0]", "..['id','name']", "..value", "..status", "...status"])
        if path.endswith(".."):
            path += random.choice(NAMES)
    elif roll < 0.36:
        path += "[" + random.choice(["0:2", "1:", ":2", "-2:", ":-1", "0,2", "0, 1", "-1", "5", "1:1", "2:1", "-5:", ":", "0,", "a"]) + "]"
    elif roll < 0.50:
        path = random.choice(["workflow.input.items", "$.workflow.input.items", "workflow.input", "fetch.output.response.body.data", "workflow.input.numbers", "workflow.input.strings"])
        path += "[" + random.choice(FILTERS) + "]" + random.choice(["", "", ".name", ".id", "[0]", "..name", ".tags[0]"])
    elif roll < 0.60:
        path = random.choice(["workflow.input.items", "workflow.input.numbers", "workflow.input.strings", "workflow.input", "workflow.input.name", "workflow.input.empty_list", "workflow.input.items[*].price", "workflow.input..price", "fetch.output.response.body"])
        path += "." + random.choice(FUNCTIONS)
    elif roll < 0.66:
        path += "['" + random.choice(NAMES) + "','" + random.choice(NAMES) + "']" + random.choice(["", "", ".x", "[0]"])
    elif roll < 0.76:
        path += random.choice(["x", "]", "[", ".", " ", "  ", " x", "[0]x", "[0]xy", "['a'", "[?]", "[?(@.a)", "()", "[0", "['a',]", "[,'a']", "['a''b']", "\\", "['a\\'b']"])
    elif roll < 0.82:
        path = random.choice(["@", "$", "@.workflow", "$[0]", "$.*", "$..*", "@..id", " workflow.input.name", "workflow .input", "$ .workflow", "$['workflow']['input']['name']", "$[\"workflow\"]", "$.['workflow']", "$..workflowId", "fetch.output..workflowId", "fetch.output.workflowId[0]", "fetch.output...status", "step with space.output", "$['step with space'].output.ok", "workflow.input.dotted.key", "workflow.input['dotted.key']", "workflow.input['key with space']", "workflow.input.quote'key", "workflow.input['quote\\'key']", "loop.output.1.inner.x", "loop.output['2'].inner", "workflow.input.matrix[1][0]", "workflow.input.matrix[*][1]", "workflow.input.matrix..[1]", "$..[0].id", "$..inner.x", "workflow.input.items[-1].name", "workflow.input.items[1,2].name", "workflow.input.items[0]['name','price']", "workflow.input.items[*]['id','name']", "workflow.input.tags", "workflow.variables.flags.on", "workflow.status"])
    return path


def random_template():
    roll = random.random()
    if roll < 0.45:
        return "${" + random_path() + "}"
    if roll < 0.75:
        parts = []
        for _ in range(random.randint(1, 3)):
            parts.append(random.choice(["", "a ", " / ", "x=", "[", "}", "{", "$", "$$", "\n"]))
            parts.append("${" + random_path() + "}")
        parts.append(random.choice(["", " z", "$${workflow.input.name}", "}", "$"]))
        return "".join(parts)
    if roll < 0.85:
        return random.choice([
            "${workflow.input.${workflow.input.key}}", "${workflow.input.numbers[${workflow.input.index}]}",
            "${workflow.input.items[${workflow.input.index}].name} and ${workflow.input.${workflow.input.key}}",
            "${workflow.input.${workflow.input.missing}}", "${${workflow.input.key}}", "${workflow.${}input.name}",
            "${workflow.input.items[${workflow.input.numbers[0]}].tags[${workflow.input.index}]}",
            "${workflow.input.${workflow.input.${workflow.input.key}}}", "$${workflow.input.${workflow.input.key}}",
            "${workflow.input.numbers[${workflow.input.ratio}]}", "${workflow.input.${workflow.input.items}}",
        ])
    if roll < 0.95:
        return random.choice([
            "${}", "${ }", "${\t}", "x${}y", "${CPEWF_TASK_ID}", "id=${CPEWF_TASK_ID}", "${NETFLIX_ENV}",
            "${workflow.secrets.TOKEN}", "Bearer ${workflow.secrets.TOKEN} for ${workflow.input.name}",
            "$${workflow.input.name}", "$$${workflow.input.name}", "$$$${workflow.input.name}", "${workflow.input.name",
            "${workflow.input.name}}", "{${workflow.input.name}}", "${${workflow.input.name}", "${{workflow.input.name}}",
            "plain text", "", "$", "${", "}", "${workflow.input.escaped}", "${workflow.input.dollar}",
            "x ${workflow.input.escaped}", "x ${workflow.input.dollar}", "${workflow.input.text} and ${workflow.input.text}",
            "${workflow.input.name}\n", "${workflow.input.name}\r\n", "${workflow.input.name}\r", "${workflow.input.name}\u2028",
            "${workflow.input.name}\n\n", "${workflow.input.blank}", "${workflow.input.empty}x",
        ])
    return {"k": "${" + random_path() + "}", "list": ["${" + random_path() + "}", 1, None, {"n": "a ${" + random_path() + "}"}]}


cases = []
for _ in range(2400):
    template = random_template()
    case = {"document": DOCUMENT, "template": template}
    if random.random() < 0.5:
        case["taskId"] = "task-7"
    cases.append(case)
# Every filter on the lists of maps, with and without a following step, whole and interpolated.
for base in ["workflow.input.items", "$.workflow.input.items", "fetch.output.response.body.data", "workflow.input..items"]:
    for predicate in FILTERS:
        for suffix in ["", ".name", "[0].id", "..tags", ".length()"]:
            path = base + "[" + predicate + "]" + suffix
            cases.append({"document": DOCUMENT, "template": "${" + path + "}"})
            if suffix == "":
                cases.append({"document": DOCUMENT, "template": "found ${" + path + "}"})
seen = set()
for case in cases:
    line = json.dumps(case, ensure_ascii=False)
    if line in seen:
        continue
    seen.add(line)
    print(line)
