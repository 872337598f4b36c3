//! The request body limit, counted as the body streams.
//!
//! [`BodyBudget`] counts a request body's bytes against the client's `max_body_bytes`
//! (`Forwarding`); the pump (`pump.rs`) asks it before each chunk goes upstream, so no byte
//! past the limit is forwarded: the origin sees an aborted request. A body read whole for
//! retries (`replay.rs`) needs no count: only bodies with a declared length are, the server
//! refused those over the limit before forwarding, and hyper and h2 hold a body to its
//! declared length.

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::downstream::rejected;

/// What is left of one request body's limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyBudget {
    max: Option<u64>,
    seen: u64,
}

impl BodyBudget {
    /// A budget of `max` bytes (`None`: unlimited).
    pub(crate) fn new(max: Option<u64>) -> Self {
        BodyBudget { max, seen: 0 }
    }

    /// Counts `n` more bytes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BodyTooLarge`] (logged on `pxy::reject` and counted) once the body is
    /// over the limit.
    pub(crate) fn take(&mut self, n: usize) -> Result<()> {
        self.seen = self.seen.saturating_add(n as u64);
        match self.max {
            Some(max) if self.seen > max => {
                let kind = ErrorKind::BodyTooLarge;
                rejected(kind.name());
                tracing::info!(
                    target: "pxy::reject",
                    reason = kind.name(),
                    limit = max,
                    "request body over the limit; not forwarded further",
                );
                Err(Error::explain(
                    kind,
                    format!("request body over {max} bytes"),
                ))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_itself_fits_and_one_byte_more_does_not() {
        let mut budget = BodyBudget::new(Some(10));
        assert!(budget.take(4).is_ok());
        assert!(budget.take(6).is_ok());
        let err = budget.take(1).expect_err("11 bytes");
        assert_eq!(err.kind(), ErrorKind::BodyTooLarge);
        let mut unlimited = BodyBudget::new(None);
        assert!(unlimited.take(usize::MAX).is_ok());
    }
}
