#!/usr/bin/env bash
# Builds, tests and packages the VS Code extension: what CI runs (.ci/run), and what a developer runs
# to get a .vsix. Needs Node.js 20+ and the npm registry (npm ci); nothing else goes online.
# Output: editors/vscode/dist/wfc-VERSION.vsix (gitignored, like node_modules/, out/ and schemas/).
set -euo pipefail
cd "$(dirname "$0")"

echo "== npm ci"
npm ci --no-audit --no-fund

echo "== build (copy ../../schemas, tsc)"
npm run --silent build

echo "== test"
npm test

echo "== package"
rm -rf dist
mkdir -p dist
# vsce runs `vscode:prepublish` (the build again, a second or two) before packaging.
npx --no-install vsce package --out dist/
echo "packaged: $(ls dist/*.vsix)"
