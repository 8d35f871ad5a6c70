//! Whole-file formatting: the compiler's meaning-preserving `format` as one edit (none when the
//! text is already formatted or is not valid YAML).

use tower_lsp_server::ls_types::*;

use super::Context;

pub fn format(context: &Context) -> Option<Vec<TextEdit>> {
    let text = context.text();
    let formatted = wfc_compiler::format::format(text.text)?;
    if formatted == text.text {
        return Some(Vec::new());
    }
    let whole = Range::new(Position::new(0, 0), text.position(text.text.len()));
    Some(vec![TextEdit::new(whole, formatted)])
}
