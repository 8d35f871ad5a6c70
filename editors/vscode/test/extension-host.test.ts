// The bundled extension (out/extension.js, exactly what the .vsix carries) run under Node against a
// fake `vscode` module and a fake `wfc` on PATH: it must find the executable, start `wfc lsp` with
// the extra arguments, send initialize and didOpen for the open workflow, turn the server's
// diagnostics into VS Code diagnostics, and shut the server down on deactivate; with no executable
// it must say so instead of spawning anything.

import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createFakeVscode, textDocument } from "./fake-vscode";

const extensionRoot = path.join(__dirname, "..", "..");
const bundlePath = path.join(extensionRoot, "out", "extension.js");
const fakeServer = path.join(extensionRoot, "test", "fixtures", "fake-wfc-lsp.js");
const exampleFolder = path.join(extensionRoot, "..", "..", "examples", "firmware-release");
const exampleWorkflow = path.join(exampleFolder, "release_firmware.wf.yaml");

interface Extension {
  activate(context: { subscriptions: { dispose(): unknown }[] }): void;
  deactivate(): Thenable<void> | undefined;
}

/** Loads a fresh copy of the bundle with `require("vscode")` answered by `fake`. */
function loadExtension(fake: unknown): Extension {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeModule = require("node:module") as { _load: (request: string, ...rest: unknown[]) => unknown };
  const originalLoad = nodeModule._load;
  nodeModule._load = function (request: string, ...rest: unknown[]) {
    return request === "vscode" ? fake : originalLoad.call(this, request, ...rest);
  };
  try {
    delete require.cache[require.resolve(bundlePath)];
    return require(bundlePath) as Extension;
  } finally {
    nodeModule._load = originalLoad;
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `condition` every 10 ms until it holds, failing after ten seconds. */
async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface LoggedMessage {
  readonly argv?: string[];
  readonly cwd?: string;
  readonly method?: string;
  readonly params?: Record<string, any>;
}

test("starts wfc lsp from PATH, syncs the open workflow, shows diagnostics, shuts down", async () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "wfc-vscode-host-"));
  const logFile = path.join(scratch, "server.log");
  const bin = path.join(scratch, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "wfc"), `#!/bin/sh\nexec "${process.execPath}" "${fakeServer}" "$@"\n`, { mode: 0o755 });

  const { module, recorded } = createFakeVscode({
    workspaceFolder: exampleFolder,
    openDocuments: [textDocument(exampleWorkflow)],
    settings: { "wfc.server.extraArgs": ["--fake-flag"] },
  });
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ""}`;
  process.env.WFC_FAKE_LSP_LOG = logFile;
  const extension = loadExtension(module);
  const subscriptions: { dispose(): unknown }[] = [];
  try {
    extension.activate({ subscriptions });
    await withTimeout(recorded.diagnosticsArrived, "diagnostics");
  } finally {
    await withTimeout(Promise.resolve(extension.deactivate()), "deactivate");
    subscriptions.forEach((subscription) => subscription.dispose());
    process.env.PATH = savedPath;
    delete process.env.WFC_FAKE_LSP_LOG;
  }

  assert.deepEqual(recorded.commands, ["wfc.restartServer", "wfc.showOutput"]);
  assert.deepEqual(recorded.errorMessages, []);
  assert.ok(recorded.output.join("").includes(`starting ${path.join(bin, "wfc")} lsp --fake-flag`));

  const diagnostics = recorded.diagnostics.get(`file://${exampleWorkflow}`);
  assert.ok(diagnostics, `diagnostics for the workflow, got ${[...recorded.diagnostics.keys()]}`);
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0].message, "`firmware.output` has no field `artifcat`");
  assert.equal(diagnostics[0].range.end.character, 8);

  // `exit` is a notification: deactivate resolves once it is sent, not once the server has read it.
  const readLog = (): LoggedMessage[] =>
    fs
      .readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
  await waitUntil(() => readLog().some((message) => message.method === "exit"), "the server to receive exit");
  const log = readLog();
  fs.rmSync(scratch, { recursive: true, force: true });
  assert.deepEqual(log[0], { argv: ["lsp", "--fake-flag"], cwd: exampleFolder });
  assert.deepEqual(
    log.slice(1).map((message) => message.method),
    ["initialize", "initialized", "textDocument/didOpen", "shutdown", "exit"],
  );
  const initialize = log[1].params!;
  assert.equal(initialize.rootUri, `file://${exampleFolder}`);
  assert.equal(initialize.clientInfo.name, "fake");
  const opened = log[3].params!.textDocument;
  assert.equal(opened.uri, `file://${exampleWorkflow}`);
  assert.equal(opened.languageId, "yaml");
  assert.equal(opened.text, fs.readFileSync(exampleWorkflow, "utf8"));
});

test("without an executable it reports the setting and starts nothing", async () => {
  const { module, recorded } = createFakeVscode({
    workspaceFolder: exampleFolder,
    openDocuments: [textDocument(exampleWorkflow)],
    settings: { "wfc.server.path": "./no/such/wfc" },
  });
  const extension = loadExtension(module);
  const subscriptions: { dispose(): unknown }[] = [];
  extension.activate({ subscriptions });
  await withTimeout(Promise.resolve(extension.deactivate()), "deactivate");
  subscriptions.forEach((subscription) => subscription.dispose());

  assert.equal(recorded.errorMessages.length, 1);
  assert.match(recorded.errorMessages[0], /cannot find the wfc executable `\.\/no\/such\/wfc`/);
  assert.match(recorded.errorMessages[0], /wfc\.server\.path/);
  assert.ok(!recorded.output.join("").includes("starting"));
});
