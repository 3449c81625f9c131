//! A local Fast.io-compatible server.
