// A fake of the `vscode` module, enough to run the bundled extension under plain Node (the real
// extension host needs a VS Code download, which CI cannot do). The parts the extension and
// vscode-languageclient rely on for starting a server, syncing documents and showing diagnostics
// are real small implementations that record what happens; anything else resolves to an inert
// function returning a disposable, so that registering an unused feature does not throw.

import * as fs from "node:fs";
import * as path from "node:path";

export class Disposable {
  constructor(private readonly onDispose?: () => void) {}
  static from(...disposables: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => disposables.forEach((disposable) => disposable.dispose()));
  }
  dispose(): void {
    this.onDispose?.();
  }
}

type Listener<T> = (event: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((candidate) => candidate !== listener);
    });
  };
  fire(event: T): void {
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  readonly authority = "";
  readonly query = "";
  readonly fragment = "";
  get fsPath(): string {
    return this.path;
  }
  static file(filePath: string): Uri {
    return new Uri("file", filePath);
  }
  static parse(value: string): Uri {
    const match = /^([a-z-]+):\/\/(.*)$/.exec(value);
    return match === null ? new Uri("untitled", value) : new Uri(match[1], decodeURIComponent(match[2]));
  }
  with(): Uri {
    return this;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(start: Position | number, end: Position | number, endLine?: number, endCharacter?: number) {
    if (typeof start === "number" && typeof end === "number") {
      this.start = new Position(start, end);
      this.end = new Position(endLine ?? start, endCharacter ?? end);
    } else {
      this.start = start as Position;
      this.end = end as Position;
    }
  }
}

export class Diagnostic {
  code: unknown;
  source: string | undefined;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: number,
  ) {}
}

export const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}

/** A text document opened in the fake editor. */
export function textDocument(filePath: string): unknown {
  const text = fs.readFileSync(filePath, "utf8");
  return {
    uri: Uri.file(filePath),
    fileName: filePath,
    languageId: "yaml",
    version: 1,
    isClosed: false,
    isUntitled: false,
    isDirty: false,
    lineCount: text.split("\n").length,
    eol: 1,
    getText: () => text,
  };
}

/** What the extension did through the fake API. */
export interface Recorded {
  readonly commands: string[];
  readonly errorMessages: string[];
  readonly output: string[];
  /** Diagnostics set by the language client, by document URI. */
  readonly diagnostics: Map<string, Diagnostic[]>;
  readonly diagnosticsArrived: Promise<void>;
}

function inert(name: string): unknown {
  return new Proxy(function () {}, {
    get: (_target, property) => (property === "then" ? undefined : inert(`${name}.${String(property)}`)),
    apply: () => new Disposable(),
    construct: () => inert(`new ${name}`) as object,
  });
}

function withInertFallback<T extends object>(name: string, known: T): T {
  return new Proxy(known, {
    get: (target, property) =>
      property in target ? (target as Record<string | symbol, unknown>)[property] : property === "then" ? undefined : inert(`${name}.${String(property)}`),
  });
}

/** Builds the fake module for one workspace folder and the documents open in it. */
export function createFakeVscode(options: {
  readonly workspaceFolder: string;
  readonly openDocuments: readonly unknown[];
  readonly settings: Record<string, unknown>;
}): { readonly module: unknown; readonly recorded: Recorded } {
  let diagnosticsArrived: () => void = () => {};
  const recorded: Recorded = {
    commands: [],
    errorMessages: [],
    output: [],
    diagnostics: new Map(),
    diagnosticsArrived: new Promise((resolve) => {
      diagnosticsArrived = resolve;
    }),
  };
  const noEvent = (): Disposable => new Disposable();
  const folder = { uri: Uri.file(options.workspaceFolder), name: path.basename(options.workspaceFolder), index: 0 };
  const outputChannel = (name: string): unknown => ({
    name,
    append: (text: string) => recorded.output.push(text),
    appendLine: (text: string) => recorded.output.push(`${text}\n`),
    show: () => {},
    hide: () => {},
    clear: () => {},
    replace: () => {},
    dispose: () => {},
  });

  const window = withInertFallback("window", {
    createOutputChannel: outputChannel,
    showErrorMessage: async (message: string) => {
      recorded.errorMessages.push(message);
      return undefined;
    },
    showWarningMessage: async () => undefined,
    showInformationMessage: async () => undefined,
    activeTextEditor: undefined,
    visibleTextEditors: [],
    onDidChangeActiveTextEditor: noEvent,
    onDidChangeVisibleTextEditors: noEvent,
  });
  const workspace = withInertFallback("workspace", {
    workspaceFolders: [folder],
    textDocuments: options.openDocuments,
    notebookDocuments: [],
    getWorkspaceFolder: () => folder,
    getConfiguration: (section: string) => ({
      get: (key: string, fallback: unknown) => options.settings[`${section}.${key}`] ?? fallback,
      has: (key: string) => `${section}.${key}` in options.settings,
      inspect: () => undefined,
      update: async () => {},
    }),
    findFiles: async () => [],
    createFileSystemWatcher: () => ({ onDidCreate: noEvent, onDidChange: noEvent, onDidDelete: noEvent, dispose: () => {} }),
    onDidChangeConfiguration: noEvent,
    onDidOpenTextDocument: noEvent,
    onDidCloseTextDocument: noEvent,
    onDidChangeTextDocument: noEvent,
    onDidSaveTextDocument: noEvent,
    onWillSaveTextDocument: noEvent,
    onDidChangeWorkspaceFolders: noEvent,
  });
  const languages = withInertFallback("languages", {
    match: (selector: { scheme?: string; pattern?: string }[], document: { uri: Uri; fileName: string }) =>
      selector.some(
        (filter) =>
          (filter.scheme === undefined || filter.scheme === document.uri.scheme) &&
          (filter.pattern === undefined || globSuffixMatches(filter.pattern, document.fileName)),
      )
        ? 10
        : 0,
    createDiagnosticCollection: () => ({
      set: (uri: Uri, diagnostics: Diagnostic[]) => {
        recorded.diagnostics.set(uri.toString(), diagnostics);
        diagnosticsArrived();
      },
      delete: () => {},
      clear: () => {},
      forEach: () => {},
      get: () => [],
      has: () => false,
      dispose: () => {},
    }),
  });
  const commands = withInertFallback("commands", {
    registerCommand: (id: string) => {
      recorded.commands.push(id);
      return new Disposable();
    },
    executeCommand: async () => undefined,
  });

  const module = withInertFallback("vscode", {
    version: "1.90.0",
    env: withInertFallback("env", { appName: "fake", language: "en", uiKind: 1 }),
    Disposable,
    EventEmitter,
    Uri,
    Position,
    Range,
    Diagnostic,
    DiagnosticSeverity,
    CancellationTokenSource,
    window,
    workspace,
    languages,
    commands,
    extensions: withInertFallback("extensions", { all: [], getExtension: () => undefined, onDidChange: noEvent }),
  });
  return { module, recorded };
}

/** `**\/*.wf.yaml`-style patterns, the only kind the extension uses. */
function globSuffixMatches(pattern: string, fileName: string): boolean {
  const suffix = /^\*\*\/\*(\.[\w.]+)$/.exec(pattern);
  if (suffix === null) {
    throw new Error(`the fake only knows **/*.suffix patterns, not ${pattern}`);
  }
  return fileName.endsWith(suffix[1]);
}
