//! Proving system plumbing: SRS, keys, prover, verifier and the EVM-replayable transcript.

pub mod keys;
pub mod prover;
pub mod srs;
pub mod transcript;
pub mod verifier;
