-- The wfc language server for Neovim 0.11+ (`vim.lsp.config` / `vim.lsp.enable`): with
-- editors/neovim on 'runtimepath', `vim.lsp.enable('wfc')` reads this file. Filetype detection
-- comes from `require('wfc').filetype()`.
return {
  cmd = { 'wfc', 'lsp' },
  filetypes = { 'yaml.wfc' },
  root_markers = { 'wfc.toml', '.git' },
  -- The server decides by file name; say `yaml` rather than the filetype `yaml.wfc`.
  get_language_id = function()
    return 'yaml'
  end,
}
