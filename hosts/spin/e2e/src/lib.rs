//! End-to-end tests of the gateway live in `tests/`; this crate has no library code.
