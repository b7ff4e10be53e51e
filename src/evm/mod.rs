//! The EVM half: the contract ABIs, a verifier plan from the verifying key, the same algorithm in
//! Rust (the mirror), the Solidity generator, calldata, revert decoding, and an in-process EVM to
//! run the generated contract.

pub mod abi;
pub mod calldata;
pub mod mirror;
pub mod plan;
pub mod revert;
pub mod runner;
pub mod solc;
pub mod solidity;
