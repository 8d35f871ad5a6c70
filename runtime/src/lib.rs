//! The bundled runtime: executes compiled Conductor WorkflowDef JSON (never YAML) locally with
//! Conductor's semantics. Built in the runtime issue.
