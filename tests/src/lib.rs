//! Shared helpers for proxyc end-to-end tests.
