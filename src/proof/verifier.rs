//! Native proof verification, with exactly the checks the Solidity verifier makes: canonical
//! encodings, points on the curve, no trailing bytes, the full PLONK identities and the pairing.

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{verify_proof, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::TranscriptReadBuffer;

use super::transcript::{EvmTranscriptReader, KeccakChallenge};
use crate::error::ZkError;

/// Ok(()) if `proof` proves the circuit of `vk` on `instances`; an `InvalidProof` error otherwise.
pub fn verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    instances: &[Fr],
) -> Result<(), ZkError> {
    let mut reader: &[u8] = proof;
    let mut transcript = EvmTranscriptReader::init(&mut reader);
    let strategy = SingleStrategy::new(params);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, KeccakChallenge, _, _>(
        params,
        vk,
        strategy,
        &[&[instances]],
        &mut transcript,
    )
    .map_err(|e| ZkError::invalid_proof(format!("proof rejected: {e:?}")))?;
    if !reader.is_empty() {
        return Err(ZkError::invalid_proof(format!("proof rejected: {} unexpected trailing bytes", reader.len())));
    }
    Ok(())
}
