//! Proof generation: SHPLONK multi-open over KZG, written through the EVM transcript.

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, ProvingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_proofs::transcript::TranscriptWriterBuffer;
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, SeedableRng};

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
    // Blinding randomness comes from the OS: private witness values must stay hidden.
    let rng = ChaCha20Rng::from_rng(OsRng).map_err(|e| ZkError::internal(format!("no OS randomness: {e}")))?;
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
