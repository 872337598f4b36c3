//! proxyc's compiler: a parsed `.pxy` program in, a proxy's Rust source (and binary) out.
//!
//! The passes, each in its own module and each consuming the previous one's output:
//!
//! ```text
//! include (pxy_dsl::parse_at per file) ─▶ check (names, types, phases, routes) ─▶ TypedProgram
//!     ─▶ codegen ─▶ Rust
//! ```
//!
//! Only [`driver`] sequences them. Each pass reports its mistakes as data in its own error type, gathered by the driver
//! as [`problem::Problem`];
//! [`diagnostic`] is the one place that words them.

#![deny(missing_docs)]

pub mod cargo_run;
pub mod catalog;
pub mod check;
pub mod codegen;
pub mod diagnostic;
pub mod diff;
pub mod driver;
pub mod explain;
pub mod files;
pub mod identity;
pub mod include;
pub mod problem;
pub mod routing;
pub mod sources;
pub mod typed;
pub mod types;
