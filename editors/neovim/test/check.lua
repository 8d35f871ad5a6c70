-- Checks of lua/wfc in a headless Neovim (0.7 or later), without a server: the filetype files get,
-- the project root, and the client configuration that would be started.
--
--   nvim --headless -n -i NONE -u editors/neovim/test/check.lua
--
-- Exits 0 when every check passes, 1 otherwise (failures are printed to stderr).

vim.cmd('filetype on')
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
vim.opt.runtimepath:append(vim.fn.fnamemodify(here, ':h'))
local wfc = require('wfc')
wfc.filetype()

local failures = {}
local function check(condition, message)
  if not condition then
    table.insert(failures, message)
  end
end
local function equal(actual, expected, what)
  check(vim.deep_equal(actual, expected), what .. ': expected ' .. vim.inspect(expected) .. ', got ' .. vim.inspect(actual))
end

-- A scratch project: project/wfc.toml marks the root, flows/ holds the files.
local project = vim.fn.tempname()
vim.fn.mkdir(project .. '/flows/nested', 'p')
vim.fn.writefile({}, project .. '/wfc.toml')
local files = {
  [project .. '/flows/release.wf.yaml'] = 'yaml.wfc',
  [project .. '/flows/nested/build.workers.yaml'] = 'yaml.wfc',
  [project .. '/flows/plain.yaml'] = 'yaml',
}
for path, _ in pairs(files) do
  vim.fn.writefile({ 'workflow: x' }, path)
end

for path, expected in pairs(files) do
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  equal(vim.bo.filetype, expected, 'filetype of ' .. vim.fn.fnamemodify(path, ':t'))
end

equal(wfc.find_root(project .. '/flows/nested/build.workers.yaml', { 'wfc.toml', '.git' }), project, 'root from wfc.toml')
local lonely = vim.fn.tempname()
vim.fn.mkdir(lonely, 'p')
equal(wfc.find_root(lonely .. '/a.wf.yaml', { 'no-such-marker' }), lonely, 'root without markers')

vim.cmd('edit ' .. vim.fn.fnameescape(project .. '/flows/release.wf.yaml'))
local options = vim.tbl_deep_extend('force', wfc.defaults, { cmd = { '/opt/wfc', 'lsp' }, client = { flags = { debounce_text_changes = 0 } } })
local config = wfc.client_config(options, vim.api.nvim_get_current_buf())
equal(config.name, 'wfc', 'client name')
equal(config.cmd, { '/opt/wfc', 'lsp' }, 'command')
equal(config.root_dir, project, 'root_dir')
equal(config.get_language_id(0, 'yaml.wfc'), 'yaml', 'language id')
equal(config.flags, { debounce_text_changes = 0 }, 'client options are merged')
equal(wfc.defaults.cmd, { 'wfc', 'lsp' }, 'default command')

local server_definition = dofile(vim.fn.fnamemodify(here, ':h') .. '/lsp/wfc.lua')
equal(server_definition.cmd, wfc.defaults.cmd, 'lsp/wfc.lua command')
equal(server_definition.filetypes, { wfc.filetype_name }, 'lsp/wfc.lua filetypes')
equal(server_definition.root_markers, wfc.defaults.root_markers, 'lsp/wfc.lua root markers')
equal(server_definition.get_language_id(0, 'yaml.wfc'), 'yaml', 'lsp/wfc.lua language id')

if #failures > 0 then
  io.stderr:write(table.concat(failures, '\n') .. '\n')
  vim.cmd('cquit 1')
end
io.stdout:write('editors/neovim: all checks passed\n')
vim.cmd('qall!')
