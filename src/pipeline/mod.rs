//! The stages as library calls, in the order a user runs them: [`compile`] (ONNX and calibration
//! samples to a build directory), [`setup`] (keys), [`prove`], [`verify`], [`commit`] (recompute a
//! hashed side's commitment), [`eval`] (float model against the circuit on many samples) and
//! [`verifier_contract`] (the Solidity verifier, compiled and run in
//! an in-process EVM). The CLI is argument parsing and printing over these, so everything a command
//! does can also be done (and tested) from Rust.

pub mod calibrate;
pub mod commit;
pub mod compile;
pub mod eval;
pub mod prove;
pub mod setup;
pub mod verifier_contract;
pub mod verify;

pub use crate::artifacts::Build;
pub use calibrate::{CalibrationOptions, Optimize};
pub use compile::{compile, CompileRequest};
pub use prove::{prove, Proved, Prover};
pub use setup::{setup, SrsSource};
pub use verifier_contract::{build_verifier, verify_evm, CompiledVerifier, EvmVerification};
pub use verify::{check_public_inputs, verify, verify_with, ModelCheck, Verified};
