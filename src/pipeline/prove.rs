//! Prove: run the model on fixed-point inputs inside the circuit and prove it.

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

use crate::artifacts::{Build, ProofFile, SetupInfo};
use crate::encoding::Visibility;
use crate::error::ZkError;
use crate::proof::{prover, Proof};

/// Loaded keys and SRS, for repeated proving (bench, the keeper) without re-reading files.
pub struct Prover {
    pub params: ParamsKZG<Bn256>,
    pub pk: ProvingKey<G1Affine>,
    pub info: SetupInfo,
}

impl Prover {
    pub fn load(build: &Build) -> Result<Prover, ZkError> {
        Ok(Prover { info: build.setup_info()?, params: build.params()?, pk: build.pk()? })
    }
}

/// A proof and everything the prover knows about it.
pub struct Proved {
    pub proof: Proof,
    /// The model's outputs in fixed point, whatever their visibility (the prover's own copy).
    pub outputs: Vec<Vec<i128>>,
    /// The proof file: the outputs appear in it only when they are public.
    pub file: ProofFile,
}

/// Proves `inputs` (fixed point, one vector per model input) with `salt` in any Poseidon
/// commitment (hashed inputs or outputs; ignored otherwise).
pub fn prove(build: &Build, prover: &Prover, inputs: &[Vec<i128>], salt: Fr) -> Result<Proved, ZkError> {
    let circuit = build.circuit_for(inputs, salt)?;
    let instances = circuit.instances();
    let bytes = prover::prove(&prover.params, &prover.pk, &circuit, &instances)?;
    let proof = Proof { bytes, instances };
    let outputs = circuit.layout.outputs.clone();
    // Private outputs stay private: the proof file must not leak what the circuit hides.
    let public_outputs: &[Vec<i128>] =
        if build.public().visibility.output == Visibility::Public { &outputs } else { &[] };
    let file =
        ProofFile::new(&proof, public_outputs, build.scale(), &prover.info.vk_digest, &build.settings.model_digest)?;
    Ok(Proved { proof, outputs, file })
}
