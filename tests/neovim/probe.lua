-- Drives Neovim's built-in LSP client (0.7 API) against `wfc lsp`, headless:
--   nvim --headless -n -i NONE -u probe.lua FILE
-- Environment: WFC (the binary), RESULT (where to write the JSON result), EDIT_LINE (0-based
-- line after which a line ending in `${` is inserted to ask for completion).
-- Writes {diagnostics = [...], completion = [labels], log = path} and exits 0, or exits 2.

vim.cmd("filetype on")

local result = { log = vim.lsp.get_log_path() }
local finished = false

local function finish(ok, reason)
  if finished then
    return
  end
  finished = true
  result.ok = ok
  result.reason = reason
  local file = io.open(os.getenv("RESULT"), "w")
  file:write(vim.json.encode(result))
  file:close()
  if ok then
    vim.cmd("qall!")
  else
    vim.cmd("cquit 2")
  end
end

-- Whatever happens, never wait forever (the test also runs nvim under `timeout`).
vim.defer_fn(function()
  finish(false, "no diagnostics or completion within 30 s")
end, 30000)

local function ask_for_completion(bufnr, client_id)
  local after = tonumber(os.getenv("EDIT_LINE"))
  local text = "      report: ${"
  vim.api.nvim_buf_set_lines(bufnr, after + 1, after + 1, false, { text })
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = after + 1, character = #text },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/completion", params, 10000)
  local labels = {}
  local response = responses and responses[client_id]
  if response and response.result then
    local items = response.result.items or response.result
    for _, item in ipairs(items) do
      table.insert(labels, item.label)
    end
  end
  result.completion = labels
  finish(#labels > 0, response and response.err and vim.inspect(response.err) or nil)
end

vim.api.nvim_create_autocmd("VimEnter", {
  nested = true,
  callback = function()
    local bufnr = vim.api.nvim_get_current_buf()
    local client_id = vim.lsp.start_client({
      name = "wfc",
      cmd = { os.getenv("WFC"), "lsp" },
      root_dir = vim.fn.getcwd(),
      flags = { debounce_text_changes = 0 },
    })
    if not client_id then
      finish(false, "the client did not start")
      return
    end
    local publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
    vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, params, ctx, config)
      publish(err, params, ctx, config)
      if result.diagnostics == nil and params.uri == vim.uri_from_bufnr(bufnr) then
        result.diagnostics = {}
        for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
          table.insert(result.diagnostics, {
            code = diagnostic.code,
            line = diagnostic.lnum,
            col = diagnostic.col,
            message = diagnostic.message,
          })
        end
        vim.schedule(function()
          ask_for_completion(bufnr, client_id)
        end)
      end
    end
    vim.lsp.buf_attach_client(bufnr, client_id)
  end,
})
