// The ${...} injection grammar, tokenized with the same engine VS Code uses (vscode-textmate on
// vscode-oniguruma), over two YAML host grammars: the TextMate YAML bundle (from the tm-grammars
// package) and a fixture in the style of VS Code's current YAML grammar. What is checked is what a
// user sees: which characters end up inside an expression, and the scopes of its parts.

import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const extensionRoot = path.join(__dirname, "..", "..");
const injectionPath = path.join(extensionRoot, "syntaxes", "wfc-expression.injection.tmLanguage.json");
const wrapperPath = path.join(extensionRoot, "syntaxes", "wfc-yaml.tmLanguage.json");
const bundleYamlPath = require.resolve("tm-grammars/grammars/yaml.json");
const lookaheadYamlPath = path.join(extensionRoot, "test", "fixtures", "lookahead-yaml.tmLanguage.json");

const EXPRESSION_SCOPE = "meta.template.expression.wfc";

interface Host {
  readonly name: string;
  /** The grammar the document is tokenized with (source.yaml, or the wfc-yaml wrapper). */
  readonly rootScope: string;
  readonly yamlGrammarPath: string;
  /** The bundle's plain-scalar rule consumes the scalar's first character, `$` included. */
  readonly consumesFirstCharacterOfPlainScalar: boolean;
}

const HOSTS: readonly Host[] = [
  { name: "textmate yaml bundle", rootScope: "source.yaml", yamlGrammarPath: bundleYamlPath, consumesFirstCharacterOfPlainScalar: true },
  { name: "lookahead-style yaml", rootScope: "source.yaml", yamlGrammarPath: lookaheadYamlPath, consumesFirstCharacterOfPlainScalar: false },
  { name: "wfc-yaml wrapper over lookahead-style yaml", rootScope: "source.wfc.yaml", yamlGrammarPath: lookaheadYamlPath, consumesFirstCharacterOfPlainScalar: false },
];

const onigLibrary: Promise<textmate.IOnigLib> = (async () => {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  return {
    createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
    createOnigString: (text: string) => new oniguruma.OnigString(text),
  };
})();

async function loadGrammar(host: Host): Promise<textmate.IGrammar> {
  const grammarFiles: Record<string, string> = {
    "source.yaml": host.yamlGrammarPath,
    "source.wfc.yaml": wrapperPath,
    "wfc.expression.injection": injectionPath,
  };
  const injectTo = JSON.parse(fs.readFileSync(path.join(extensionRoot, "package.json"), "utf8")).contributes.grammars.find(
    (grammar: { scopeName: string }) => grammar.scopeName === "wfc.expression.injection",
  ).injectTo as string[];
  const registry = new textmate.Registry({
    onigLib: onigLibrary,
    loadGrammar: async (scopeName) => {
      const file = grammarFiles[scopeName];
      return file === undefined ? null : textmate.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
    getInjections: (scopeName) => (injectTo.includes(scopeName) ? ["wfc.expression.injection"] : undefined),
  });
  const grammar = await registry.loadGrammar(host.rootScope);
  assert.ok(grammar, `grammar ${host.rootScope} loads`);
  return grammar;
}

interface Token {
  readonly text: string;
  readonly scopes: readonly string[];
}

/** Tokenizes a document (lines joined by \n), returning the tokens of each line. */
function tokenize(grammar: textmate.IGrammar, document: string): Token[][] {
  let state = textmate.INITIAL;
  return document.split("\n").map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((token) => ({ text: line.slice(token.startIndex, token.endIndex), scopes: token.scopes }));
  });
}

/** The maximal runs of characters of a line that lie inside an expression. */
function expressionRuns(tokens: readonly Token[]): string[] {
  const runs: string[] = [];
  let current = "";
  for (const token of tokens) {
    if (token.scopes.includes(EXPRESSION_SCOPE)) {
      current += token.text;
    } else if (current !== "") {
      runs.push(current);
      current = "";
    }
  }
  if (current !== "") {
    runs.push(current);
  }
  return runs;
}

/** The scopes at the first character of the first occurrence of `text` in the line. */
function scopesOf(tokens: readonly Token[], text: string): readonly string[] {
  const line = tokens.map((token) => token.text).join("");
  const column = line.indexOf(text);
  assert.ok(column >= 0, `${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  let start = 0;
  for (const token of tokens) {
    if (column < start + token.text.length) {
      return token.scopes;
    }
    start += token.text.length;
  }
  assert.fail(`no token covers column ${column} of ${JSON.stringify(line)}`);
}

interface Case {
  readonly name: string;
  readonly line: string;
  /** The expressions the line should show, as written (with their `${`). */
  readonly expressions: readonly string[];
  /** The line's scalar starts with the expression (the bundle then leaves its `$` uncoloured). */
  readonly expressionStartsPlainScalar?: boolean;
}

const CASES: readonly Case[] = [
  { name: "whole plain scalar", line: "  version: ${workflow.input.version}", expressions: ["${workflow.input.version}"], expressionStartsPlainScalar: true },
  { name: "mixed plain scalar", line: "  human: Approve the rollout of ${workflow.input.version} now", expressions: ["${workflow.input.version}"] },
  { name: "two in one scalar", line: "  id: ${a.output.x}-${b.output.y}", expressions: ["${a.output.x}", "${b.output.y}"], expressionStartsPlainScalar: true },
  { name: "double-quoted", line: '  body: "id-${x.output.id}"', expressions: ["${x.output.id}"] },
  { name: "single-quoted", line: "  body: '${x.output.id}'", expressions: ["${x.output.id}"] },
  { name: "sequence item", line: "  - ${workflow.input.devices}", expressions: ["${workflow.input.devices}"], expressionStartsPlainScalar: true },
  { name: "flow mapping, quoted", line: '  store: { url: "${check.output.response.body.download_url}" }', expressions: ["${check.output.response.body.download_url}"] },
  { name: "nested expression", line: "  value: ${workflow.input.${workflow.input.key}}", expressions: ["${workflow.input.${workflow.input.key}}"], expressionStartsPlainScalar: true },
  { name: "jsonpath brackets and filters", line: "  rows: ${ref.output.items[?(@.x > 1)]['a b'][0]}", expressions: ["${ref.output.items[?(@.x > 1)]['a b'][0]}"], expressionStartsPlainScalar: true },
  { name: "escaped start stays text", line: "  literal: $${not.an.expression}", expressions: [] },
  { name: "escape beside a real expression", line: "  mixed: say $${x} to ${y.output.z}", expressions: ["${y.output.z}"] },
  { name: "escaped start in quotes", line: '  literal: "$${workflow.input.x}"', expressions: [] },
  { name: "comment", line: "  # uses ${workflow.input.version}", expressions: [] },
  { name: "trailing comment", line: "  version: v1 # ${workflow.input.version}", expressions: [] },
  { name: "github actions syntax is not ours", line: "  run: echo ${{ github.sha }}", expressions: [] },
  { name: "unclosed while typing", line: "  version: ${workflow.inp", expressions: [] },
  { name: "a plain dollar", line: "  price: 5$ or {braces}", expressions: [] },
];

for (const host of HOSTS) {
  test(`${host.name}: which characters are expressions`, async () => {
    const grammar = await loadGrammar(host);
    for (const testCase of CASES) {
      const [tokens] = tokenize(grammar, testCase.line);
      const expected =
        host.consumesFirstCharacterOfPlainScalar && testCase.expressionStartsPlainScalar === true
          ? [testCase.expressions[0].slice(1), ...testCase.expressions.slice(1)]
          : testCase.expressions;
      assert.deepEqual(expressionRuns(tokens), expected, `${testCase.name}: ${testCase.line}`);
    }
  });

  test(`${host.name}: the parts of an expression`, async () => {
    const grammar = await loadGrammar(host);
    const [tokens] = tokenize(grammar, '  artifact: "${firmware.output.artifact[0]}"');
    assert.ok(scopesOf(tokens, "${").includes("punctuation.definition.template-expression.begin.wfc"));
    assert.ok(scopesOf(tokens, "}").includes("punctuation.definition.template-expression.end.wfc"));
    assert.ok(scopesOf(tokens, "firmware").includes("variable.other.object.task-reference.wfc"));
    assert.ok(scopesOf(tokens, "output").includes("variable.other.property.wfc"));
    assert.ok(scopesOf(tokens, "0").includes("constant.numeric.wfc"));
    assert.ok(scopesOf(tokens, "firmware").includes("string.quoted.double.yaml"), "inside the host string");

    const [workflowTokens] = tokenize(grammar, '  version: "${workflow.input.version}"');
    assert.ok(scopesOf(workflowTokens, "workflow").includes("variable.language.workflow.wfc"));
  });

  test(`${host.name}: keys and following lines are untouched`, async () => {
    const grammar = await loadGrammar(host);
    const lines = tokenize(grammar, ["tasks:", "  build:", "    input:", "      version: ${workflow.inp", "      other: plain"].join("\n"));
    assert.ok(scopesOf(lines[1], "build").some((scope) => scope.startsWith("entity.name.tag")));
    assert.ok(scopesOf(lines[4], "other").some((scope) => scope.startsWith("entity.name.tag")), "an unclosed ${ does not swallow the next line");
    for (const line of lines) {
      assert.deepEqual(expressionRuns(line), []);
    }
  });

  test(`${host.name}: block scalars`, async () => {
    const grammar = await loadGrammar(host);
    const lines = tokenize(grammar, ["tasks:", "  notify:", "    human: |", "      Please approve ${workflow.input.version}.", "      Literal $${x}."].join("\n"));
    assert.deepEqual(expressionRuns(lines[3]), ["${workflow.input.version}"]);
    assert.deepEqual(expressionRuns(lines[4]), []);
  });
}

test("textmate yaml bundle: at the start of a plain scalar only the `$` stays uncoloured", async () => {
  const [host] = HOSTS;
  const grammar = await loadGrammar(host);
  const [tokens] = tokenize(grammar, "  version: ${workflow.input.version}");
  const dollar = tokens.find((token) => token.text === "$");
  assert.ok(dollar, "the bundle tokenizes the `$` alone");
  assert.ok(dollar.scopes.includes("string.unquoted.plain.out.yaml"));
  assert.ok(scopesOf(tokens, "{").includes("punctuation.definition.template-expression.begin.wfc"));
});
