//! Proving system plumbing: SRS, keys, prover, verifier and the EVM-replayable transcript.

mod dev_srs;
pub mod keys;
pub mod prover;
mod ptau;
pub mod srs;
mod srs_check;
pub mod transcript;
pub mod verifier;

use halo2_proofs::halo2curves::bn256::Fr;

/// A proof in memory: the bytes a verifier reads and the public instances they bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    pub bytes: Vec<u8>,
    pub instances: Vec<Fr>,
}
