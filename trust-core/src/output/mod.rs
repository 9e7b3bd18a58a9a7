//! What the front ends print, made in one place so the CLI, the engine hook and the
//! bindings write the same thing: docker's tables and the audit report's renderings.
//!
//! Nothing here fetches or verifies; it formats values the rest of the crate already
//! verified.
//!
//! - [`inspect`]: `docker trust inspect`'s JSON and `--pretty` tables.
//! - [`table`]: Go's text/tabwriter as docker's table formatter configures it.
//! - [`audit`]: an [`crate::audit::Report`] as text, JSON, Markdown or SARIF 2.1.0.

pub mod audit;
pub mod inspect;
pub mod table;
