//! Proving and verifying keys for a laid-out model.

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::{keygen_pk, keygen_vk, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;

use crate::circuit::model_circuit::{CircuitShape, ModelCircuit};
use crate::error::ZkError;

/// Key files are written in halo2's raw format: fast to load, and the verifier checks nothing a
/// user sends it against them (they are our own output).
const FORMAT: SerdeFormat = SerdeFormat::RawBytes;

pub fn generate_keys(
    params: &ParamsKZG<Bn256>,
    circuit: &ModelCircuit,
) -> Result<(VerifyingKey<G1Affine>, ProvingKey<G1Affine>), ZkError> {
    let vk =
        keygen_vk(params, circuit).map_err(|e| ZkError::internal(format!("verifying key generation failed: {e:?}")))?;
    let pk = keygen_pk(params, vk.clone(), circuit)
        .map_err(|e| ZkError::internal(format!("proving key generation failed: {e:?}")))?;
    Ok((vk, pk))
}

pub fn vk_bytes(vk: &VerifyingKey<G1Affine>) -> Vec<u8> {
    vk.to_bytes(FORMAT)
}

/// halo2's hash of the pinned verifying key (constraint system, fixed and permutation commitments):
/// names the exact circuit (model, scales, layout and SRS) a proof is for. It is the value the
/// transcript absorbs first, so it is also what a generated verifier states as `VK_DIGEST()`: one
/// name for the circuit in setup.json, proof files and on chain.
pub fn vk_digest(vk: &VerifyingKey<G1Affine>) -> [u8; 32] {
    crate::encoding::field::fr_to_be_bytes(&vk.transcript_repr())
}

pub fn write_vk(vk: &VerifyingKey<G1Affine>, path: &Path) -> Result<u64, ZkError> {
    let bytes = vk_bytes(vk);
    std::fs::write(path, &bytes).map_err(|e| ZkError::io(path, e))?;
    Ok(bytes.len() as u64)
}

pub fn write_pk(pk: &ProvingKey<G1Affine>, path: &Path) -> Result<u64, ZkError> {
    let file = std::fs::File::create(path).map_err(|e| ZkError::io(path, e))?;
    let mut w = BufWriter::new(file);
    pk.write(&mut w, FORMAT).map_err(|e| ZkError::io(path, e))?;
    w.flush().map_err(|e| ZkError::io(path, e))?;
    Ok(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0))
}

pub fn read_vk(path: &Path, lanes: usize) -> Result<VerifyingKey<G1Affine>, ZkError> {
    let file = std::fs::File::open(path).map_err(|e| ZkError::io(path, e))?;
    VerifyingKey::read::<_, ModelCircuit>(&mut BufReader::new(file), FORMAT, CircuitShape { lanes })
        .map_err(|e| ZkError::input(format!("{}: not a verifying key for this circuit: {e}", path.display())))
}

pub fn read_pk(path: &Path, lanes: usize) -> Result<ProvingKey<G1Affine>, ZkError> {
    let file = std::fs::File::open(path).map_err(|e| ZkError::io(path, e))?;
    ProvingKey::read::<_, ModelCircuit>(&mut BufReader::new(file), FORMAT, CircuitShape { lanes })
        .map_err(|e| ZkError::input(format!("{}: not a proving key for this circuit: {e}", path.display())))
}
