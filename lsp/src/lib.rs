//! The wfc language server. It is the only crate that knows the Language Server Protocol; all
//! analysis comes from `wfc-compiler`. The server itself is built in the language-server issue.
