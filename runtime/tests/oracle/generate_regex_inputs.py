"""Writes the inputs for RegexMatches.java: generated strings over the characters that matter to
Conductor's pattern, plus hand-picked realistic templates. Deterministic (fixed seed)."""
import json
import random

random.seed(20260821)
alphabet = ["$", "{", "}", "a", ".", "\n", "\r", "\u2028", "\U0001F600"]
weights = [4, 4, 4, 2, 1, 0.3, 0.3, 0.1, 0.2]
cases = set()
for length in range(1, 15):
    for _ in range(400):
        cases.add("".join(random.choices(alphabet, weights, k=length)))
cases.update([
    "${workflow.input.a}", "x ${a} y ${b.c[0]} z", "${workflow.input.${workflow.input.key}}",
    "${map.b[${map.${mapValue}[${index}]}]}", "$${escaped} ${real}", "$$${x}", "${a}\n", "${a}\r\n",
    "function f() { return ${x.output.y}; } f();", "if ($.a > 1) { true } else { false }",
    "{\"k\": \"${t.output.v}\"}", "${a} ${b", "${a ${b}", "${{}}", "${{a}}b}", "}${a}{",
])
for case in sorted(cases):
    print(json.dumps(case))
