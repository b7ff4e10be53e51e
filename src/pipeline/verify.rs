//! Verify: check a proof file against a build, and return only what the proof binds.

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

use super::commit::input_commitment;
use crate::artifacts::{fr_hex, hex0x, parse_fr_hex, Build, ProofFile};
use crate::encoding::{Scale, Side, Visibility};
use crate::error::ZkError;
use crate::proof::{keys, verifier};

/// What a valid proof establishes, decoded from its public instances only.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    pub num_instances: usize,
    pub proof_bytes: usize,
    pub scale: Scale,
    /// Public inputs as the proof binds them (fixed point), one vector per input; empty if not public.
    pub inputs: Vec<Vec<i128>>,
    /// Public outputs as the proof binds them (fixed point); empty if not public.
    pub outputs: Vec<Vec<i128>>,
    /// The Poseidon commitment to the inputs (hashed inputs).
    pub input_commitment: Option<Fr>,
    /// The Poseidon commitment to the outputs (hashed outputs).
    pub output_commitment: Option<Fr>,
    /// The Poseidon commitment to the weights and biases (hashed parameters): which model ran.
    pub param_commitment: Option<Fr>,
    /// The keys came from the development SRS, whose secret is public: anyone can forge proofs.
    pub insecure_srs: bool,
}

/// Which model a proof must be of. With fixed parameters the verifying key pins the model, so both
/// mean the build's model; with hashed parameters one circuit serves a family of models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelCheck {
    /// The proof's weight commitment must be this build's (`param_commitment`): "exactly this model".
    ThisModel,
    /// Any model of the build's architecture: the caller reads which from `param_commitment`.
    AnyOfFamily,
}

/// Checks a proof file against a build: digests, instance encoding and count, the claimed outputs
/// against the proven instances (exactly), the proof itself, and that it is of this build's model.
/// Returns only what the proof binds.
pub fn verify(
    build: &Build,
    file: &ProofFile,
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
) -> Result<Verified, ZkError> {
    verify_with(build, file, params, vk, ModelCheck::ThisModel)
}

/// [`verify`], saying which model the proof must be of.
pub fn verify_with(
    build: &Build,
    file: &ProofFile,
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    model: ModelCheck,
) -> Result<Verified, ZkError> {
    let vk_digest = hex0x(&keys::vk_digest(vk));
    if file.vk_digest != vk_digest {
        return Err(ZkError::invalid_proof(format!(
            "proof is for verifying key {} but this build's is {vk_digest} (a different model or setup)",
            file.vk_digest
        )));
    }
    // With hashed parameters one circuit serves every model of the architecture: which model ran
    // is the proof's weight commitment, not this build's model file.
    let public = build.public();
    let same_model = file.model_digest == build.settings.model_digest || public.visibility.hashed_params();
    if !same_model || file.scale != build.scale() {
        return Err(ZkError::invalid_proof("proof file names a different model or scale than this build"));
    }
    let proof = file.parse()?;
    public.check_count(proof.instances.len()).map_err(|e| ZkError::invalid_proof(e.to_string()))?;
    verifier::verify(params, vk, &proof.bytes, &proof.instances)?;

    // The outputs a reader of the JSON sees must be exactly the ones the proof binds.
    let decode = |side| public.decode(side, &proof.instances).map_err(|e| ZkError::invalid_proof(e.to_string()));
    let outputs = decode(Side::Output)?;
    if file.claimed_outputs() != outputs || file.outputs != build.scale().dequantise(&outputs) {
        return Err(ZkError::invalid_proof(
            "the outputs in the proof file do not match the outputs the proof binds (or outputs are private and the file claims some)",
        ));
    }
    let param_commitment = public.commitment_in(Side::Params, &proof.instances);
    if let (ModelCheck::ThisModel, Some(theirs)) = (model, param_commitment) {
        let ours = build.settings.param_commitment.as_deref().and_then(parse_fr_hex);
        if ours != Some(theirs) {
            return Err(ZkError::invalid_proof(format!(
                "the proof is of another model of this family: its weight commitment is {}, this build's is {}; \
                 pass --any-model to accept any model of the architecture",
                fr_hex(&theirs),
                build.settings.param_commitment.as_deref().unwrap_or("missing")
            )));
        }
    }
    Ok(Verified {
        num_instances: proof.instances.len(),
        proof_bytes: proof.bytes.len(),
        scale: build.scale(),
        inputs: decode(Side::Input)?,
        outputs,
        input_commitment: public.commitment_in(Side::Input, &proof.instances),
        output_commitment: public.commitment_in(Side::Output, &proof.instances),
        param_commitment,
        insecure_srs: build.setup_info().map(|i| i.insecure_srs()).unwrap_or(false),
    })
}

/// Checks that a proof file's public inputs are exactly `inputs` (fixed point), or, for hashed
/// inputs, that it commits to exactly `inputs` with `salt`.
pub fn check_public_inputs(build: &Build, file: &ProofFile, inputs: &[Vec<i128>], salt: Fr) -> Result<(), ZkError> {
    let public = build.public();
    let proof = file.parse()?;
    public.check_count(proof.instances.len()).map_err(|e| ZkError::invalid_proof(e.to_string()))?;
    match public.visibility.input {
        Visibility::Hashed => {
            if public.commitment_in(Side::Input, &proof.instances) != Some(input_commitment(build, inputs, salt)?) {
                return Err(ZkError::invalid_proof(
                    "the proof commits to other inputs (or another salt) than the given input file",
                ));
            }
        }
        Visibility::Private => {
            return Err(ZkError::input("this model's inputs are private: a proof does not reveal them to compare"));
        }
        Visibility::Public => {
            build.check_inputs(inputs)?;
            let expected = public.encode(Side::Input, inputs).map_err(|e| ZkError::input(e.to_string()))?;
            if proof.instances[public.side_range(Side::Input)] != expected[..] {
                return Err(ZkError::invalid_proof("the proof's public inputs are not the given inputs"));
            }
        }
    }
    Ok(())
}
