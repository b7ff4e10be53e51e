//! Proof generation: SHPLONK multi-open over KZG, written through the EVM transcript.

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, ProvingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_proofs::transcript::TranscriptWriterBuffer;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::transcript::{EvmTranscriptWriter, KeccakChallenge};
use crate::circuit::model_circuit::ModelCircuit;
use crate::error::ZkError;

/// Proves `circuit` (which must carry its witness); returns the proof bytes.
pub fn prove(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: &ModelCircuit,
    instances: &[Fr],
) -> Result<Vec<u8>, ZkError> {
    // Blinding randomness comes from the OS: proofs must not be reproducible.
    let mut seed = [0u8; 32];
    getrandom_seed(&mut seed);
    let rng = ChaCha20Rng::from_seed(seed);
    let mut transcript = EvmTranscriptWriter::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, KeccakChallenge, _, _, _>(
        params,
        pk,
        std::slice::from_ref(circuit),
        &[&[instances]],
        rng,
        &mut transcript,
    )
    .map_err(|e| ZkError::internal(format!("proving failed: {e:?}")))?;
    Ok(transcript.finalize())
}

fn getrandom_seed(seed: &mut [u8; 32]) {
    use std::io::Read;
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        if f.read_exact(seed).is_ok() {
            return;
        }
    }
    // Fallback: time and address entropy (still fresh per call; only blinding depends on it).
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mix = t.as_nanos() ^ (seed as *const _ as usize as u128);
    seed[..16].copy_from_slice(&mix.to_le_bytes());
}
