//! zkinfer: prove that an ONNX model produced an output on an input, with halo2 (KZG on BN254),
//! and check it on Ethereum.
//!
//! The folders read like the pipeline, each using only those before it:
//! [`encoding`] (public values: scale, field elements, packing, instance layout, commitments) ->
//! [`model`] (ONNX import) -> [`quantise`] (fixed point) -> [`circuit`] (layout and chips) ->
//! [`proof`] (SRS, keys, prove, verify) -> [`artifacts`] (the build directory and proof files) ->
//! [`evm`] (ABIs, the Solidity verifier, calldata, an in-process EVM) -> [`pipeline`] (the stages
//! as library calls) -> [`chain`] (keeper, deploy, mint) -> [`cli`].

pub mod artifacts;
pub mod chain;
pub mod circuit;
pub mod cli;
pub mod encoding;
pub mod error;
pub mod evm;
pub mod model;
pub mod pipeline;
pub mod proof;
pub mod quantise;
/// Fixtures for tests, examples and the fixture generators: built only with the `testing` feature
/// (which the crate's own dev-dependency turns on), never in the shipped library.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
