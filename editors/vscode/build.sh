#!/usr/bin/env bash
# Builds, tests and packages the VS Code extension: what CI runs (.ci/run), and what a developer runs
# to get a .vsix. Needs Node.js 20+ and the npm registry (npm ci); nothing else goes online.
# Output: editors/vscode/dist/wfc-VERSION.vsix (gitignored, like node_modules/, out/ and schemas/).
set -euo pipefail
cd "$(dirname "$0")"

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js 20 or later is needed (@vscode/vsce), found $(node --version)" >&2
  exit 1
fi

echo "== npm ci"
npm ci --no-audit --no-fund

echo "== build (copy ../../schemas, tsc, esbuild)"
npm run --silent build

echo "== test"
npm test

echo "== package"
rm -rf dist
mkdir -p dist
# vsce runs `vscode:prepublish` (the build again, a second or two) before packaging.
npx --no-install vsce package --no-dependencies --out dist/
echo "packaged: $(ls dist/*.vsix)"
