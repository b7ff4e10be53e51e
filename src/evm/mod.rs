//! The EVM half: a verifier plan from the verifying key, the same algorithm in Rust (the mirror),
//! the Solidity generator, calldata, and an in-process EVM to run the generated contract.

pub mod calldata;
pub mod mirror;
pub mod plan;
pub mod runner;
pub mod solc;
pub mod solidity;
