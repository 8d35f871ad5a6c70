//! The only crate that knows Conductor's REST API (API.md).
//!
//! wfc compiles YAML to Conductor JSON in `wfc-compiler`; everything that crosses the wire to a
//! Conductor server, or answers as one, is here, so that the rest of wfc never sees an endpoint,
//! a status code or a header:
//!
//! - [`client`]: `wfc deploy`'s HTTP client (TLS verified, retries, Orkes tokens, secrets never
//!   printed, a clear message when the server is unreachable).
//! - [`normalize`]: the server's defaults (FORMAT.md §A, §B), to store definitions as a server
//!   would and to compare what a server answers with what wfc emits.
//! - [`deploy`]: `wfc deploy`'s plan (new, unchanged, refused, bumped) and its application,
//!   with server refusals located by definition and task.
//! - [`diff`]: per-definition differences for `wfc deploy --dry-run`, and the changes that break
//!   a deployed definition's contract.
//! - [`server`]: `wfc serve`, a local Conductor-compatible server (axum, state in SQLite).
//!
//! Validation is not here: the server judges definitions with the compiler's own checks
//! (`wfc_compiler::registration`), never with a second validator.

pub mod client;
pub mod deploy;
pub mod diff;
pub mod normalize;
pub mod server;
