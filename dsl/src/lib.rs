//! The `.pxy` language front end: source text in, [`ParsedProgram`] out.
//!
//! The syntax lives in one file, `grammar/pxy.pest`, compiled into [`parser::PxyParser`]. The
//! tree in [`ast`] keeps a [`Span`] on every node so that every later pass can point into the
//! source; [`visit`] walks it for analyses that need only some of its nodes. Nothing here knows
//! about types or names; that is `pxy-compiler`'s job.

#![deny(missing_docs)]

pub mod ast;
mod comments;
pub mod error;
pub mod format;
pub mod parser;
mod span;
pub mod visit;

pub use ast::ParsedProgram;
pub use error::{ParseError, ParseErrorKind};
pub use parser::{parse, parse_at};
pub use span::Span;
