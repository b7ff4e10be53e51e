//! Fixtures shared by the end-to-end tests and the demo.
//!
//! These live in the library rather than under `tests/` so that the generator example and the
//! "checked-in models are current" test run exactly the same code; otherwise the two could drift
//! and the freshness check would prove nothing.

pub mod anvil;
pub mod evm_fixtures;
pub mod onnx_builder;
pub mod test_models;
