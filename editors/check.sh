#!/usr/bin/env bash
# Checks every editor integration in editors/: the VS Code extension (build, tests, .vsix), the
# Neovim configuration (headless), the Emacs package (ERT, batch) and the Helix languages.toml.
# Needs node 20+ and npm (registry reachable for `npm ci`), nvim 0.7+, emacs with the Debian
# packages elpa-eglot and elpa-yaml-mode, and python3 3.11+. A missing tool is an error, not a skip.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm nvim emacs python3; do
  command -v "$tool" > /dev/null || { echo "error: $tool is not installed" >&2; exit 1; }
done

echo "== vscode"
vscode/build.sh

# Editors get a throwaway home so that no user configuration is read.
scratch_home=$(mktemp -d)
trap 'rm -rf "$scratch_home"' EXIT

echo "== neovim"
HOME="$scratch_home" XDG_CONFIG_HOME="$scratch_home/config" XDG_DATA_HOME="$scratch_home/data" \
  XDG_STATE_HOME="$scratch_home/state" XDG_CACHE_HOME="$scratch_home/cache" \
  timeout 60 nvim --headless -n -i NONE -u neovim/test/check.lua

echo "== emacs"
HOME="$scratch_home" timeout 120 emacs --batch -q -L emacs -l wfc-tests -f ert-run-tests-batch-and-exit

echo "== helix"
python3 - <<'PY'
import tomllib
with open("helix/languages.toml", "rb") as file:
    config = tomllib.load(file)
server = config["language-server"]["wfc"]
assert [server["command"], *server["args"]] == ["wfc", "lsp"], server
[language] = config["language"]
assert language["file-types"] == [{"glob": "*.wf.yaml"}, {"glob": "*.workers.yaml"}], language
assert language["language-servers"] == ["wfc"] and language["grammar"] == "yaml", language
print("helix/languages.toml: ok")
PY
