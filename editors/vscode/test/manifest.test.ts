// package.json is the extension's real interface with VS Code, and nothing checks it until a user
// installs the .vsix: every file it names must exist (the schemas once copied by the build, and
// identical to the repository's), and every command and setting the code uses must be declared.

import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { WORKFLOW_FILE_PATTERNS } from "../src/server";

const extensionRoot = path.join(__dirname, "..", "..");
const repositoryRoot = path.join(extensionRoot, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(extensionRoot, "package.json"), "utf8"));
const contributes = manifest.contributes;
const extensionSource = fs.readFileSync(path.join(extensionRoot, "src", "extension.ts"), "utf8");

function assertFileInExtension(relative: string, what: string): void {
  assert.ok(relative.startsWith("./"), `${what}: ${relative} is relative to the extension`);
  assert.ok(fs.statSync(path.join(extensionRoot, relative)).isFile(), `${what}: ${relative} exists`);
}

test("the entry point is the bundle, which needs nothing but vscode and Node", () => {
  assert.equal(manifest.main, "./out/extension.js");
  assertFileInExtension(manifest.main, "main");
  // The .vsix carries no node_modules (.vscodeignore, --no-dependencies): every require left in the
  // bundle must be resolvable inside the extension host.
  const bundle = fs.readFileSync(path.join(extensionRoot, manifest.main), "utf8");
  const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]));
  assert.ok(required.has("vscode"));
  for (const name of required) {
    assert.ok(name === "vscode" || builtinModules.includes(name.replace(/^node:/, "")), `the bundle requires ${name}`);
  }
  assert.doesNotMatch(bundle, /require\("vscode-languageclient/);
  const ignored = fs.readFileSync(path.join(extensionRoot, ".vscodeignore"), "utf8").split("\n");
  assert.ok(ignored.includes("node_modules/**"));
});

test("grammars and the language configuration exist and parse", () => {
  for (const grammar of contributes.grammars) {
    assertFileInExtension(grammar.path, `grammar ${grammar.scopeName}`);
    const parsed = JSON.parse(fs.readFileSync(path.join(extensionRoot, grammar.path), "utf8"));
    assert.equal(parsed.scopeName, grammar.scopeName, `${grammar.path} declares the scope package.json names`);
  }
  const injection = contributes.grammars.find((grammar: { injectTo?: string[] }) => grammar.injectTo !== undefined);
  assert.deepEqual(injection.injectTo, ["source.yaml", "source.wfc.yaml"]);
  for (const language of contributes.languages) {
    if (language.configuration !== undefined) {
      assertFileInExtension(language.configuration, `language ${language.id}`);
      JSON.parse(fs.readFileSync(path.join(extensionRoot, language.configuration), "utf8"));
    }
  }
});

test("yaml files named like workflows stay yaml, so yaml-language-server keeps serving them", () => {
  const yaml = contributes.languages.find((language: { id: string }) => language.id === "yaml");
  assert.deepEqual(yaml.filenamePatterns, ["*.wf.yaml", "*.workers.yaml"]);
  assert.deepEqual(
    WORKFLOW_FILE_PATTERNS,
    yaml.filenamePatterns.map((pattern: string) => `**/${pattern}`),
    "the client's document selector covers the same files",
  );
  const optIn = contributes.languages.find((language: { id: string }) => language.id === "wfc-yaml");
  assert.equal(optIn.filenamePatterns, undefined, "wfc-yaml is opt-in through files.associations");
  assert.ok(manifest.activationEvents.includes("onLanguage:wfc-yaml"));
  // YAML forbids tabs in indentation; VS Code only sets this for `[yaml]` itself.
  assert.deepEqual(contributes.configurationDefaults["[wfc-yaml]"]["editor.insertSpaces"], true);
  assert.ok(manifest.activationEvents.includes("onLanguage:yaml"));
});

test("the bundled schemas are the repository's schemas", () => {
  const matches = contributes.yamlValidation.map((entry: { fileMatch: string }) => entry.fileMatch);
  assert.deepEqual(matches, ["*.wf.yaml", "*.workers.yaml"]);
  for (const entry of contributes.yamlValidation) {
    assertFileInExtension(entry.url, `yamlValidation for ${entry.fileMatch}`);
    const bundled = fs.readFileSync(path.join(extensionRoot, entry.url), "utf8");
    const original = fs.readFileSync(path.join(repositoryRoot, "schemas", path.basename(entry.url)), "utf8");
    assert.equal(bundled, original, `${entry.url} is a copy of schemas/${path.basename(entry.url)}`);
    JSON.parse(bundled);
  }
});

test("every command the code registers is contributed, and the other way round", () => {
  const registered = [...extensionSource.matchAll(/registerCommand\("([^"]+)"/g)].map((match) => match[1]).sort();
  const contributed = contributes.commands.map((command: { command: string }) => command.command).sort();
  assert.deepEqual(registered, contributed);
  assert.ok(registered.includes("wfc.restartServer"));
});

test("every setting the code reads is declared", () => {
  const declared = Object.keys(contributes.configuration.properties).sort();
  assert.deepEqual(declared, ["wfc.server.extraArgs", "wfc.server.path", "wfc.trace.server"]);
  assert.match(extensionSource, /getConfiguration\("wfc\.server"\)/);
  for (const key of ["path", "extraArgs"]) {
    assert.match(extensionSource, new RegExp(`configuration\\.get<[^>]+>\\("${key}"`), `reads wfc.server.${key}`);
  }
  // vscode-languageclient reads `<client id>.trace.server` by itself.
  assert.match(extensionSource, /const CLIENT_ID = "wfc";/);
  assert.equal(contributes.configuration.properties["wfc.server.path"].default, "wfc");
});

test("vsce requirements: publisher, engine no newer than the typings, license and readme", () => {
  assert.ok(manifest.publisher);
  const engine = manifest.engines.vscode.replace(/^\^/, "");
  assert.equal(manifest.devDependencies["@types/vscode"], engine, "@types/vscode matches engines.vscode");
  for (const file of ["README.md", "LICENSE", ".vscodeignore"]) {
    assert.ok(fs.statSync(path.join(extensionRoot, file)).isFile(), `${file} exists`);
  }
});
