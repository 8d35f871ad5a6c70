//! Generates realistic wfc projects of any size for benchmarks and robustness tests.
//!
//! A generated workflow mixes the common constructs: worker tasks reading upstream outputs,
//! switches with nested tasks, for_each fan-outs, HTTP calls, inline JavaScript, jq and set
//! variables, typed outputs. Generated projects check clean, so the numbers measure the checker
//! as real (correct) files exercise it, not the rendering of thousands of diagnostics.

/// The shared contract file every generated workflow imports.
pub fn contracts() -> String {
    let mut text = String::from(
        "# Generated worker contracts.\ntypes:\n  Item:\n    id: string\n    weight: int\n    tags?: list<string>\nworkers:\n",
    );
    for index in 0..20 {
        text.push_str(&format!(
            "  step_{index}:\n    description: Generated worker {index}\n    input:\n      id: string\n      count: int\n      items?: list<Item>\n      notes?: map<any>\n    output:\n      id: string\n      total: int\n      ok: bool\n      items: list<Item>\n    retry: {{count: 3, logic: exponential, delay: 5s}}\n    timeout: 10m\n    response_timeout: 2m\n"
        ));
    }
    text.push_str("  per_item:\n    input: {id: string, weight: int, tags?: list<string>}\n    output: {done: bool}\n    timeout: 5m\n    response_timeout: 1m\n");
    text
}

/// A workflow with about `tasks` tasks (about 6 lines per task).
pub fn workflow(index: usize, tasks: usize) -> String {
    let mut text = format!(
        "# Generated workflow {index}.\nworkflow: generated_{index}\nversion: 1\ndescription: A generated workflow for benchmarks\nowner: bench@example.com\ntimeout: 1h\nimports: [contracts.workers.yaml]\ninputs:\n  id: string\n  count: {{type: int, default: 1}}\n  items: list<Item>\ntasks:\n"
    );
    text.push_str("  start:\n    worker: step_0\n    input:\n      id: ${workflow.input.id}\n      count: ${workflow.input.count}\n      items: ${workflow.input.items}\n");
    let mut previous = String::from("start");
    // Outputs of special tasks not yet read; the next worker task reads them.
    let mut notes: Vec<String> = Vec::new();
    let mut made = 1;
    while made < tasks {
        let worker = made % 20;
        let name = format!("task_{made}");
        match made % 10 {
            3 => {
                text.push_str(&format!(
                    "  {name}:\n    switch: ${{{previous}.output.ok}}\n    cases:\n      \"true\":\n        {name}_yes:\n          worker: step_{worker}\n          input: {{id: \"${{{previous}.output.id}}\", count: 1}}\n    default:\n      {name}_no:\n        set: {{last_{made}: \"${{{previous}.output.total}}\"}}\n"
                ));
                notes.push(format!("{name}_yes: \"${{{name}_yes.output.total}}\"\n        {name}_variable: ${{workflow.variables.last_{made}}}"));
                made += 3;
                continue;
            }
            5 => {
                text.push_str(&format!(
                    "  {name}:\n    http:\n      url: https://api.example.com/items/${{{previous}.output.id}}\n      method: POST\n      body: {{total: \"${{{previous}.output.total}}\"}}\n    returns: {{accepted: bool}}\n"
                ));
                notes.push(format!("{name}: ${{{name}.output.response.body.accepted}}"));
            }
            6 => {
                text.push_str(&format!(
                    "  {name}:\n    inline: |\n      (function () {{\n        return $.values.reduce(function (sum, item) {{ return sum + item.weight; }}, 0);\n      }})()\n    input: {{values: \"${{{previous}.output.items}}\"}}\n    returns: int\n"
                ));
                notes.push(format!("{name}: ${{{name}.output.result}}"));
            }
            7 => {
                text.push_str(&format!("  {name}:\n    jq: '[.items[] | select(.weight > 1) | .id]'\n    input: {{items: \"${{workflow.input.items}}\"}}\n    returns: list<string>\n"));
                notes.push(format!("{name}: ${{{name}.output.result}}"));
            }
            9 => {
                text.push_str(&format!("  {name}:\n    for_each: ${{{previous}.output.items}}\n    worker: per_item\n    after: [{previous}]\n"));
                notes.push(format!("{name}: ${{{name}.output}}"));
            }
            _ => {
                text.push_str(&format!(
                    "  {name}:\n    worker: step_{worker}\n    description: Step {made} of the pipeline\n    input:\n      id: \"order-${{{previous}.output.id}}\"\n      count: ${{{previous}.output.total}}\n      items: ${{start.output.items}}\n"
                ));
                if !notes.is_empty() {
                    text.push_str("      notes:\n");
                    for note in notes.drain(..) {
                        text.push_str(&format!("        {note}\n"));
                    }
                }
                previous = name;
            }
        }
        made += 1;
    }
    text.push_str(&format!("outputs:\n  total: ${{{previous}.output.total}}\n  id: {{type: string, value: \"${{{previous}.output.id}}\"}}\n"));
    if !notes.is_empty() {
        text.push_str("  notes:\n    value:\n");
        for note in notes {
            text.push_str(&format!(
                "      {}\n",
                note.replace("\n        ", "\n      ")
            ));
        }
    }
    text
}

/// A project of `files` workflows of `tasks` tasks each, plus the contract file: (path, text).
pub fn project(files: usize, tasks: usize) -> Vec<(String, String)> {
    let mut project = vec![("contracts.workers.yaml".to_string(), contracts())];
    for index in 0..files {
        project.push((format!("generated_{index}.wf.yaml"), workflow(index, tasks)));
    }
    project
}

/// A workflow of `tasks` worker tasks whose reads form a random sparse DAG that is *not*
/// series-parallel: task `i` reads one or two of the 40 tasks before it (chosen by a generator
/// seeded with `index`), and every fifth task has an `estimate:`. This is what makes the planner
/// work; [`workflow`] is mostly a chain.
pub fn dag_workflow(index: usize, tasks: usize) -> String {
    let mut state = (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |bound: usize| -> usize {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound.max(1)
    };
    let mut text = format!(
        "# Generated DAG workflow {index}.\nworkflow: generated_dag_{index}\nversion: 1\nowner: bench@example.com\nimports: [contracts.workers.yaml]\ninputs:\n  id: string\ntasks:\n"
    );
    for made in 0..tasks.max(1) {
        let worker = made % 20;
        text.push_str(&format!("  t{made}:\n    worker: step_{worker}\n"));
        if made % 5 == 0 {
            text.push_str(&format!("    estimate: {}s\n", 1 + next(120)));
        }
        if made == 0 {
            text.push_str("    input: {id: \"${workflow.input.id}\", count: 1}\n");
            continue;
        }
        let window = made.min(40);
        let first = made - 1 - next(window);
        let second = made - 1 - next(window);
        text.push_str(&format!(
            "    input: {{id: \"${{t{first}.output.id}}\", count: \"${{t{second}.output.total}}\"}}\n"
        ));
    }
    let last = tasks.max(1) - 1;
    text.push_str(&format!("outputs:\n  id: ${{t{last}.output.id}}\n"));
    text
}

/// A project of one [`dag_workflow`] of `tasks` tasks, plus the contract file: (path, text).
pub fn dag_project(tasks: usize) -> Vec<(String, String)> {
    vec![
        ("contracts.workers.yaml".to_string(), contracts()),
        (
            "generated_dag_0.wf.yaml".to_string(),
            dag_workflow(0, tasks),
        ),
    ]
}
