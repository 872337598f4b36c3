//! Every problem a program can have, whichever pass found it: the union the driver hands to
//! [`crate::diagnostic`] and to callers.
//!
//! Each pass has its own error type (syntax: [`pxy_dsl::ParseError`], includes:
//! [`IncludeError`], checks: [`CheckError`]) and knows nothing of the others or of wording;
//! this module depends on the passes, and `diagnostic` on this module, never the reverse.

use pxy_dsl::{ParseError, Span};

use crate::check::CheckError;
use crate::include::IncludeError;

/// A problem found in a program: an error (the program is rejected) or a warning.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A syntax error. `route { respond }`
    Syntax(ParseError),
    /// A file that cannot be included. `include "missing.pxy"`
    Include(IncludeError),
    /// A mistake found by name resolution and type checking. `proxy apj`
    Check(CheckError),
}

impl Problem {
    /// Warnings do not stop a build (unless denied); errors do.
    pub fn is_warning(&self) -> bool {
        match self {
            Problem::Syntax(_) => false,
            Problem::Include(e) => e.is_warning(),
            Problem::Check(e) => e.is_warning(),
        }
    }

    /// The place the problem is about; `None` for a problem of the whole program.
    pub fn span(&self) -> Option<Span> {
        match self {
            Problem::Syntax(e) => Some(e.span),
            Problem::Include(e) => Some(e.span()),
            Problem::Check(e) => e.span(),
        }
    }
}

impl From<ParseError> for Problem {
    fn from(e: ParseError) -> Self {
        Problem::Syntax(e)
    }
}

impl From<IncludeError> for Problem {
    fn from(e: IncludeError) -> Self {
        Problem::Include(e)
    }
}

impl From<CheckError> for Problem {
    fn from(e: CheckError) -> Self {
        Problem::Check(e)
    }
}
