// Finding the server: the setting's forms (bare name on PATH, relative and absolute paths, Windows
// extensions) against real files in a temporary directory.

import { after, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isWfcFileName, resolveServerCommand } from "../src/server";

const temporaryDirectories: string[] = [];
after(() => temporaryDirectories.forEach((directory) => fs.rmSync(directory, { recursive: true, force: true })));

function temporaryDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "wfc-vscode-test-"));
  temporaryDirectories.push(directory);
  return directory;
}

function writeExecutable(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "#!/bin/sh\n");
  fs.chmodSync(file, 0o755);
  return file;
}

const posix = { pathExtVariable: undefined, platform: "linux" as const };

test("a bare name is looked up on PATH, first directory wins", () => {
  const root = temporaryDirectory();
  const first = path.join(root, "first");
  const second = path.join(root, "second");
  fs.mkdirSync(first);
  const expected = writeExecutable(path.join(second, "wfc"));
  writeExecutable(path.join(root, "third", "wfc"));
  const resolved = resolveServerCommand(
    { path: "wfc", extraArgs: [] },
    { ...posix, pathVariable: [first, "", second, path.join(root, "third")].join(":"), workspaceFolder: undefined },
  );
  assert.deepEqual(resolved, { command: expected, args: ["lsp"] });
});

test("extra arguments follow `lsp`", () => {
  const root = temporaryDirectory();
  writeExecutable(path.join(root, "wfc"));
  const resolved = resolveServerCommand(
    { path: "wfc", extraArgs: ["--log", "debug"] },
    { ...posix, pathVariable: root, workspaceFolder: undefined },
  );
  assert.deepEqual(resolved?.args, ["lsp", "--log", "debug"]);
});

test("an empty setting means `wfc`", () => {
  const root = temporaryDirectory();
  const expected = writeExecutable(path.join(root, "wfc"));
  const resolved = resolveServerCommand({ path: "  ", extraArgs: [] }, { ...posix, pathVariable: root, workspaceFolder: undefined });
  assert.equal(resolved?.command, expected);
});

test("missing, non-executable and directory candidates are not servers", () => {
  const root = temporaryDirectory();
  fs.writeFileSync(path.join(root, "wfc"), "not executable");
  fs.chmodSync(path.join(root, "wfc"), 0o644);
  fs.mkdirSync(path.join(root, "dir", "wfc"), { recursive: true });
  const environment = { ...posix, pathVariable: `${root}:${path.join(root, "dir")}`, workspaceFolder: root };
  assert.equal(resolveServerCommand({ path: "wfc", extraArgs: [] }, environment), undefined);
  assert.equal(resolveServerCommand({ path: "./nowhere/wfc", extraArgs: [] }, environment), undefined);
  assert.equal(resolveServerCommand({ path: "wfc", extraArgs: [] }, { ...posix, pathVariable: undefined, workspaceFolder: root }), undefined);
});

test("a relative path is resolved against the workspace folder, an absolute one is kept", () => {
  const root = temporaryDirectory();
  const built = writeExecutable(path.join(root, "target", "debug", "wfc"));
  const environment = { ...posix, pathVariable: "", workspaceFolder: root };
  assert.equal(resolveServerCommand({ path: "./target/debug/wfc", extraArgs: [] }, environment)?.command, built);
  assert.equal(resolveServerCommand({ path: "target/debug/wfc", extraArgs: [] }, environment)?.command, built);
  assert.equal(resolveServerCommand({ path: built, extraArgs: [] }, { ...environment, workspaceFolder: undefined })?.command, built);
});

test("on Windows, PATHEXT extensions are tried", () => {
  const root = temporaryDirectory();
  const expected = writeExecutable(path.join(root, "wfc.EXE"));
  const resolved = resolveServerCommand(
    { path: "wfc", extraArgs: [] },
    { pathVariable: `C:\\nowhere;${root}`, pathExtVariable: ".COM;.EXE", workspaceFolder: undefined, platform: "win32" },
  );
  assert.deepEqual(resolved, { command: expected, args: ["lsp"] });
  const explicit = resolveServerCommand(
    { path: "wfc.EXE", extraArgs: [] },
    { pathVariable: root, pathExtVariable: ".COM;.EXE", workspaceFolder: undefined, platform: "win32" },
  );
  assert.equal(explicit?.command, expected, "a name with an extension is taken as written");
});

test("which file names the server handles", () => {
  for (const name of ["release.wf.yaml", "/work/flows/build.workers.yaml", "a b.wf.yaml"]) {
    assert.ok(isWfcFileName(name), name);
  }
  for (const name of ["release.yaml", "wf.yaml.bak", "/x/wf.yaml/other.yml", "release.wf.yml", "workers.yaml.txt"]) {
    assert.ok(!isWfcFileName(name), name);
  }
});
