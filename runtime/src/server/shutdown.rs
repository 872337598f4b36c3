//! Waiting for the signal to stop: SIGTERM or SIGINT.

use tokio::signal::unix::{signal, SignalKind};

/// Completes at the first SIGTERM or SIGINT. If the handlers cannot be installed, logs why
/// and falls back to Ctrl-C only.
pub(crate) async fn signal_received() {
    let (term, int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => (term, int),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot install signal handlers; only Ctrl-C stops");
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "cannot wait for Ctrl-C either");
                std::future::pending::<()>().await;
            }
            return;
        }
    };
    let (mut term, mut int) = (term, int);
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received; shutting down gracefully"),
        _ = int.recv() => tracing::info!("SIGINT received; shutting down gracefully"),
    }
}
