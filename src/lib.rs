//! zkinfer: prove that an ONNX model produced an output on an input, with halo2 (KZG on BN254),
//! and check it on Ethereum.
//!
//! The pipeline reads top to bottom: [`model`] (ONNX import) -> [`quantise`] (fixed point and
//! calibration) -> [`circuit`] (layout and chips) -> [`proof`] (SRS, keys, prove, verify) and the
//! [`cli`] that drives it.

pub mod artifacts;
pub mod chain;
pub mod circuit;
pub mod cli;
pub mod error;
pub mod evm;
pub mod model;
pub mod pipeline;
pub mod proof;
pub mod quantise;
pub mod testing;
