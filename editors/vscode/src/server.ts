// How the extension finds and starts `wfc lsp`, kept free of the `vscode` module so that the tests
// run under plain Node: the settings are read in extension.ts and passed in as plain values.

import * as fs from "node:fs";
import * as path from "node:path";

/** The settings under `wfc.server`, as the user wrote them. */
export interface ServerSettings {
  /** `wfc.server.path`: a bare command name looked up on PATH, or a path to the executable. */
  readonly path: string;
  /** `wfc.server.extraArgs`: arguments appended after `lsp`. */
  readonly extraArgs: readonly string[];
}

/** A resolved server command line. */
export interface ServerCommand {
  readonly command: string;
  readonly args: string[];
}

/** The files the language server handles; every client in editors/ uses the same two patterns. */
export const WORKFLOW_FILE_PATTERNS: readonly string[] = ["**/*.wf.yaml", "**/*.workers.yaml"];

/** True when `fileName` (a path or a bare name) is a workflow or a worker contract file. */
export function isWfcFileName(fileName: string): boolean {
  const base = path.basename(fileName);
  return base.endsWith(".wf.yaml") || base.endsWith(".workers.yaml");
}

/** The default when the setting is empty or missing. */
const DEFAULT_SERVER_PATH = "wfc";

/**
 * Resolves the settings to an executable and its arguments.
 *
 * A bare name (`wfc`) is searched on `PATH` (with `PATHEXT` on Windows); anything containing a path
 * separator is taken as a path, relative ones against `workspaceFolder` (so `./target/debug/wfc`
 * works for people developing wfc itself). Returns `undefined` when no executable file is found, so
 * the caller can say so instead of letting the spawn fail with `ENOENT`.
 */
export function resolveServerCommand(
  settings: ServerSettings,
  environment: {
    readonly pathVariable: string | undefined;
    readonly pathExtVariable?: string | undefined;
    readonly workspaceFolder: string | undefined;
    readonly platform: NodeJS.Platform;
  },
): ServerCommand | undefined {
  const requested = settings.path.trim() === "" ? DEFAULT_SERVER_PATH : expandHome(settings.path.trim());
  const args = ["lsp", ...settings.extraArgs];
  // `platform` decides the PATH syntax and executable extensions; paths use the running platform's
  // rules (they are the same thing in VS Code, and the tests can then exercise both syntaxes).
  const isWindows = environment.platform === "win32";
  const hasSeparator = requested.includes("/") || requested.includes(path.sep);

  if (hasSeparator) {
    const absolute = path.isAbsolute(requested)
      ? requested
      : path.resolve(environment.workspaceFolder ?? process.cwd(), requested);
    const found = executableCandidates(absolute, environment, isWindows).find(isExecutableFile);
    return found === undefined ? undefined : { command: found, args };
  }

  const directories = (environment.pathVariable ?? "")
    .split(isWindows ? ";" : ":")
    .filter((directory) => directory !== "");
  for (const directory of directories) {
    const candidates = executableCandidates(path.join(directory, requested), environment, isWindows);
    const found = candidates.find(isExecutableFile);
    if (found !== undefined) {
      return { command: found, args };
    }
  }
  return undefined;
}

/** `~/bin/wfc` → `$HOME/bin/wfc`; settings files do not go through a shell. */
function expandHome(requested: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  if (home !== undefined && (requested === "~" || requested.startsWith("~/"))) {
    return path.join(home, requested.slice(1));
  }
  return requested;
}

function executableCandidates(
  base: string,
  environment: { readonly pathExtVariable?: string | undefined },
  isWindows: boolean,
): string[] {
  if (!isWindows) {
    return [base];
  }
  const extensions = (environment.pathExtVariable ?? ".COM;.EXE;.BAT;.CMD")
    .split(";")
    .filter((extension) => extension !== "");
  const hasExtension = extensions.some((extension) => base.toLowerCase().endsWith(extension.toLowerCase()));
  return hasExtension ? [base] : [base, ...extensions.map((extension) => base + extension)];
}

function isExecutableFile(candidate: string): boolean {
  try {
    const stat = fs.statSync(candidate);
    if (!stat.isFile()) {
      return false;
    }
    if (process.platform !== "win32") {
      fs.accessSync(candidate, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}
