-- wfc for Neovim's built-in LSP client: detects *.wf.yaml and *.workers.yaml as the filetype
-- `yaml.wfc` (YAML syntax, indent and ftplugin still apply to a dotted filetype) and starts
-- `wfc lsp` for them, one client per project root. Works on Neovim 0.7 and later:
-- `vim.lsp.start` (0.8+) when it exists, `vim.lsp.start_client` + `buf_attach_client` otherwise.
--
--   require('wfc').setup()                                   -- defaults
--   require('wfc').setup({ cmd = { '/path/to/wfc', 'lsp' } }) -- another executable
--
-- Users of nvim-lspconfig or of `vim.lsp.config` (0.11+) only need `require('wfc').filetype()`
-- and the server definition in ../../lsp/wfc.lua; see ../../README.md.

local M = {}

--- The filetype given to workflow and contract files.
M.filetype_name = 'yaml.wfc'

--- Defaults for setup(); every field can be overridden.
M.defaults = {
  -- The server command line: `wfc lsp` over stdio.
  cmd = { 'wfc', 'lsp' },
  -- A project root is the nearest directory upwards holding one of these; otherwise the file's own
  -- directory.
  root_markers = { 'wfc.toml', '.git' },
  -- Passed to the client as is (for example `on_attach`, `capabilities`, `flags`).
  client = {},
}

local uv = vim.loop

local function is_directory_with(directory, marker)
  return uv.fs_stat(directory .. '/' .. marker) ~= nil
end

--- The nearest ancestor of `path` (a file) containing one of `markers`, or the file's directory.
function M.find_root(path, markers)
  local start = vim.fn.fnamemodify(path, ':p:h')
  local directory = start
  while true do
    for _, marker in ipairs(markers) do
      if is_directory_with(directory, marker) then
        return directory
      end
    end
    local parent = vim.fn.fnamemodify(directory, ':h')
    if parent == directory then
      return start
    end
    directory = parent
  end
end

local function has_wfc_name(path)
  return path:match('%.wf%.yaml$') ~= nil or path:match('%.workers%.yaml$') ~= nil
end

local filetype_registered = false

--- Makes *.wf.yaml and *.workers.yaml files `yaml.wfc`.
function M.filetype()
  if filetype_registered then
    return
  end
  filetype_registered = true
  if vim.fn.has('nvim-0.8') == 1 then
    -- Patterns (priority 0) are tried before extensions, so this wins over `*.yaml` → yaml.
    vim.filetype.add({
      pattern = {
        ['.*%.wf%.yaml'] = M.filetype_name,
        ['.*%.workers%.yaml'] = M.filetype_name,
      },
    })
  else
    -- 0.7 detects with filetype.vim, whose `setf yaml` runs first: force the filetype afterwards.
    vim.cmd([[
      augroup wfc_filetype
        autocmd!
        autocmd BufNewFile,BufRead *.wf.yaml,*.workers.yaml set filetype=yaml.wfc
      augroup END
    ]])
  end
end

--- The client configuration for a buffer, for `vim.lsp.start` or `vim.lsp.start_client`.
function M.client_config(options, bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local config = vim.tbl_deep_extend('force', {
    name = 'wfc',
    cmd = options.cmd,
    root_dir = M.find_root(path, options.root_markers),
    -- The server decides by file name; say `yaml` rather than the filetype `yaml.wfc`.
    get_language_id = function()
      return 'yaml'
    end,
  }, options.client)
  return config
end

-- Clients started through start_client (0.7), by root directory.
local clients_by_root = {}

local function attach(options, bufnr)
  if not has_wfc_name(vim.api.nvim_buf_get_name(bufnr)) then
    return
  end
  local config = M.client_config(options, bufnr)
  if vim.lsp.start ~= nil then
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  local client_id = clients_by_root[config.root_dir]
  if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
    client_id = vim.lsp.start_client(config)
    if client_id == nil then
      vim.notify('wfc: could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR)
      return
    end
    clients_by_root[config.root_dir] = client_id
  end
  vim.lsp.buf_attach_client(bufnr, client_id)
end

--- Filetype detection plus a FileType autocmd that starts (or reuses) the client.
function M.setup(user_options)
  local options = vim.tbl_deep_extend('force', M.defaults, user_options or {})
  M.filetype()
  local group = vim.api.nvim_create_augroup('wfc_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.filetype_name,
    callback = function(event)
      attach(options, event.buf)
    end,
  })
  -- Buffers opened before setup() ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype == M.filetype_name then
      attach(options, bufnr)
    end
  end
end

return M
