//! The proof file: a proof, its instances and what it claims, as JSON. The only place a proof's hex
//! is written or parsed.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::files::{fr_hex, hex0x, parse_hex0x, read_json, FORMAT_VERSION};
use crate::encoding::field::fr_from_be_bytes;
use crate::encoding::Scale;
use crate::error::ZkError;
use crate::proof::Proof;

/// A proof and what it claims.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProofFile {
    pub format_version: u32,
    /// 0x-prefixed proof bytes, as the verifier contract takes them.
    pub proof: String,
    /// 0x-prefixed 32-byte big-endian field elements in verifier order (see settings.instances).
    pub instances: Vec<String>,
    /// Model outputs decoded to floats (from the public instances when outputs are public).
    pub outputs: Vec<Vec<f64>>,
    /// The same outputs as signed fixed-point integers at `scale` fractional bits.
    pub outputs_fixed: Vec<Vec<i64>>,
    pub scale: Scale,
    pub vk_digest: String,
    pub model_digest: String,
}

impl ProofFile {
    /// The file for `proof`, claiming `outputs` (fixed point; empty when outputs are not public).
    pub fn new(
        proof: &Proof,
        outputs: &[Vec<i128>],
        scale: Scale,
        vk_digest: &str,
        model_digest: &str,
    ) -> Result<ProofFile, ZkError> {
        let outputs_fixed: Vec<Vec<i64>> = outputs
            .iter()
            .map(|o| {
                o.iter()
                    .map(|&v| i64::try_from(v).map_err(|_| ZkError::input(format!("output value {v} exceeds 64 bits"))))
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        Ok(ProofFile {
            format_version: FORMAT_VERSION,
            proof: hex0x(&proof.bytes),
            instances: proof.instances.iter().map(fr_hex).collect(),
            outputs: scale.dequantise(outputs),
            outputs_fixed,
            scale,
            vk_digest: vk_digest.to_string(),
            model_digest: model_digest.to_string(),
        })
    }

    pub fn read(path: &Path) -> Result<ProofFile, ZkError> {
        read_json(path)
    }

    /// The proof bytes and instances, checked for encoding (not validity): hex, 32-byte words,
    /// each below the field modulus. A malformed file is bad input.
    pub fn parse(&self) -> Result<Proof, ZkError> {
        let (bytes, words) = self.words()?;
        let instances = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                fr_from_be_bytes(w)
                    .ok_or_else(|| ZkError::input(format!("instance {i} is not below the field modulus")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Proof { bytes, instances })
    }

    /// The proof bytes and the instance words as written, which need not be field elements: what
    /// `verify-evm` hands the contract, so the contract's own checks are what decide.
    pub fn words(&self) -> Result<(Vec<u8>, Vec<[u8; 32]>), ZkError> {
        let bytes = parse_hex0x(&self.proof).ok_or_else(|| ZkError::input("proof is not 0x-prefixed hex"))?;
        let words = self
            .instances
            .iter()
            .enumerate()
            .map(|(i, s)| {
                parse_hex0x(s)
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| ZkError::input(format!("instance {i} is not a 0x-prefixed 32-byte word")))
            })
            .collect::<Result<_, _>>()?;
        Ok((bytes, words))
    }

    /// The outputs the file claims, in fixed point.
    pub fn claimed_outputs(&self) -> Vec<Vec<i128>> {
        self.outputs_fixed.iter().map(|o| o.iter().map(|&v| v as i128).collect()).collect()
    }
}

/// `PROOF.private.json`: with hashed outputs, the values behind the proof's output commitment and
/// the salt that opens it, kept by the prover (the proof file never holds them).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrivateOutputs {
    pub note: String,
    pub output_commitment: Option<String>,
    /// Opens the output commitment without revealing the input side's salt.
    pub output_salt: String,
    pub outputs_fixed: Vec<Vec<i128>>,
    pub outputs: Vec<Vec<f64>>,
}

impl PrivateOutputs {
    /// What opens a proof's output commitment; `None` unless the outputs are hashed.
    pub fn of(
        public: &crate::encoding::InstanceLayout,
        proof: &Proof,
        outputs: &[Vec<i128>],
        salt: halo2_proofs::halo2curves::bn256::Fr,
    ) -> Option<PrivateOutputs> {
        use crate::encoding::{commitment::side_salt, Side};
        let commitment = public.commitment(Side::Output)?;
        Some(PrivateOutputs {
            note: "PRIVATE: the outputs behind the proof's output commitment; do not publish".into(),
            output_commitment: proof.instances.get(commitment.offset).map(fr_hex),
            output_salt: fr_hex(&side_salt(salt, Side::Output)),
            outputs_fixed: outputs.to_vec(),
            outputs: public.scale.dequantise(outputs),
        })
    }

    /// Where it goes next to a proof file: `proof.json` -> `proof.private.json`.
    pub fn path_for(proof_file: &Path) -> std::path::PathBuf {
        proof_file.with_extension("private.json")
    }
}
