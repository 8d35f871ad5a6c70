// The VS Code side of wfc: starts `wfc lsp` over stdio for *.wf.yaml and *.workers.yaml files and
// otherwise stays out of the way. Everything the user sees about a workflow (diagnostics, completion,
// hover, rename...) comes from the server; highlighting of ${...} comes from the injection grammar and
// the schemas from the `yamlValidation` contribution, both declared in package.json.

import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { isWfcFileName, resolveServerCommand, ServerSettings, WORKFLOW_FILE_PATTERNS } from "./server";

/** The client id: vscode-languageclient reads `wfc.trace.server` because of it. */
const CLIENT_ID = "wfc";
const CLIENT_NAME = "wfc language server";
/** Workflows and contracts anywhere in the workspace (searched for at activation). */
const WORKSPACE_FILES_GLOB = "**/*.{wf,workers}.yaml";
/** What the server is told about when it changes on disk: sources and the project configuration. */
const WATCHED_FILES_GLOB = "**/{*.wf.yaml,*.workers.yaml,wfc.toml}";

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel;
/** One watcher for the extension's lifetime: the client only disposes its listeners on it. */
let fileWatcher: vscode.FileSystemWatcher;
/** Serialises start/stop so that a restart during a start cannot leave two servers running. */
let lifecycle: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): void {
  outputChannel = vscode.window.createOutputChannel("wfc");
  fileWatcher = vscode.workspace.createFileSystemWatcher(WATCHED_FILES_GLOB);

  // The extension activates on any YAML file (onLanguage:yaml); the server only starts once a wfc
  // file is open or the workspace contains one, so unrelated YAML projects never run it.
  let serverWanted = false;
  const startOnce = (): void => {
    if (!serverWanted) {
      serverWanted = true;
      openListener.dispose();
      void enqueue(start);
    }
  };
  const openListener = vscode.workspace.onDidOpenTextDocument((document) => {
    if (isWfcDocument(document)) {
      startOnce();
    }
  });

  context.subscriptions.push(
    outputChannel,
    fileWatcher,
    openListener,
    vscode.commands.registerCommand("wfc.restartServer", () => {
      serverWanted = true;
      openListener.dispose();
      return enqueue(restart);
    }),
    vscode.commands.registerCommand("wfc.showOutput", () => outputChannel.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (serverWanted && event.affectsConfiguration("wfc.server")) {
        outputChannel.appendLine("wfc.server settings changed: restarting the language server");
        void enqueue(restart);
      }
    }),
  );

  if (vscode.workspace.textDocuments.some(isWfcDocument)) {
    startOnce();
  } else {
    void vscode.workspace.findFiles(WORKSPACE_FILES_GLOB, "**/node_modules/**", 1).then((found) => {
      if (found.length > 0) {
        startOnce();
      }
    });
  }
}

export function deactivate(): Thenable<void> | undefined {
  return lifecycle.then(stop);
}

function enqueue(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step, step).catch((error: unknown) => {
    outputChannel.appendLine(`error: ${String(error)}`);
  });
  return lifecycle;
}

function isWfcDocument(document: vscode.TextDocument): boolean {
  return (document.uri.scheme === "file" || document.uri.scheme === "untitled") && isWfcFileName(document.fileName);
}

function readSettings(): ServerSettings {
  const configuration = vscode.workspace.getConfiguration("wfc.server");
  return {
    path: configuration.get<string>("path", "wfc"),
    extraArgs: configuration.get<string[]>("extraArgs", []),
  };
}

async function start(): Promise<void> {
  const settings = readSettings();
  const workspaceFolder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const serverCommand = resolveServerCommand(settings, {
    pathVariable: process.env.PATH,
    pathExtVariable: process.env.PATHEXT,
    workspaceFolder,
    platform: process.platform,
  });
  if (serverCommand === undefined) {
    const message = `wfc: cannot find the wfc executable \`${settings.path}\`; install wfc or set wfc.server.path.`;
    outputChannel.appendLine(message);
    const openSettings = "Open Settings";
    void vscode.window.showErrorMessage(message, openSettings).then((choice) => {
      if (choice === openSettings) {
        void vscode.commands.executeCommand("workbench.action.openSettings", "wfc.server.path");
      }
    });
    return;
  }

  outputChannel.appendLine(`starting ${serverCommand.command} ${serverCommand.args.join(" ")}`);
  const serverOptions: ServerOptions = {
    command: serverCommand.command,
    args: serverCommand.args,
    options: { cwd: workspaceFolder },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: WORKFLOW_FILE_PATTERNS.flatMap((pattern) => [
      { scheme: "file", pattern },
      { scheme: "untitled", pattern },
    ]),
    synchronize: {
      fileEvents: fileWatcher,
    },
    outputChannel,
  };
  client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    outputChannel.appendLine(`the language server did not start: ${String(error)}`);
    outputChannel.show(true);
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    try {
      await running.stop();
    } catch (error) {
      outputChannel.appendLine(`stopping the language server: ${String(error)}`);
    }
    await running.dispose();
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
