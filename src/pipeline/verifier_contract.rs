//! The Solidity verifier of a set-up build: generated, compiled with the project's solc, split
//! into a verifier and a verifying-key contract past EIP-170, and run in an in-process EVM.

use crate::artifacts::Build;
use crate::error::ZkError;
use crate::evm::plan::VerifierPlan;
use crate::evm::runner::{Deployed, Evm};
use crate::evm::{calldata, revert, solc, solidity};
use crate::proof::Proof;

/// The verifier plan of a set-up build (what the Solidity generator renders).
pub fn verifier_plan(build: &Build) -> Result<VerifierPlan, ZkError> {
    let params = build.params()?;
    let vk = build.vk()?;
    VerifierPlan::new(&vk, &params, build.public())
}

/// Solidity source of the verifier for a set-up build (contract `Halo2Verifier`).
pub fn solidity_verifier(build: &Build) -> Result<String, ZkError> {
    solidity_verifier_named(build, "Halo2Verifier")
}

/// Solidity source of the verifier, formatted by forge, with the given contract name.
pub fn solidity_verifier_named(build: &Build, contract_name: &str) -> Result<String, ZkError> {
    let plan = verifier_plan(build)?;
    let title = format!("zkinfer verifier for {}", build.settings.source_model.rsplit('/').next().unwrap_or("model"));
    solc::format_solidity(&solidity::render_verifier(&plan, contract_name, &title))
}

/// Outcome of running a proof through the generated verifier in an in-process EVM.
#[derive(Debug)]
pub struct EvmVerification {
    pub valid: bool,
    /// The whole verify transaction (21,000 + calldata + execution), Osaka rules, as a receipt shows.
    pub gas_used: u64,
    pub calldata_bytes: usize,
    pub runtime_bytes: usize,
    pub deploy_gas: u64,
    pub proof_bytes: usize,
    /// The verifier's custom error when it rejected the proof.
    pub error: Option<String>,
}

/// EIP-170: the largest runtime code a contract may have.
pub const MAX_RUNTIME_BYTES: usize = 24_576;

/// The generated verifier contract(s), compiled.
pub struct CompiledVerifier {
    pub source: String,
    pub creation_code: Vec<u8>,
    pub runtime_code: Vec<u8>,
    /// Separate verifying-key mode: the VK contract's source and creation code.
    pub vk: Option<(String, Vec<u8>)>,
    /// Why separate mode was chosen, when it was chosen automatically.
    pub split_reason: Option<String>,
}

fn compile_checked(source: &str, name: &str) -> Result<solc::CompiledContract, ZkError> {
    let compiled = solc::compile(source, &format!("{name}.sol"), name)?;
    if !compiled.warnings.is_empty() {
        return Err(ZkError::internal(format!(
            "solc warned on the generated {name}: {}",
            compiled.warnings.join("; ")
        )));
    }
    Ok(compiled)
}

/// Generates and compiles the verifier: one contract when it fits EIP-170 (unless `force_split`),
/// otherwise a verifier plus a separate verifying-key contract.
pub fn build_verifier(build: &Build, force_split: bool) -> Result<CompiledVerifier, ZkError> {
    let plan = verifier_plan(build)?;
    let title = format!("zkinfer verifier for {}", build.settings.source_model.rsplit('/').next().unwrap_or("model"));
    let mut split_reason = None;
    if !force_split {
        let source = solc::format_solidity(&solidity::render_verifier(&plan, "Halo2Verifier", &title))?;
        let compiled = compile_checked(&source, "Halo2Verifier")?;
        if compiled.runtime_code.len() <= MAX_RUNTIME_BYTES {
            return Ok(CompiledVerifier {
                source,
                creation_code: compiled.creation_code,
                runtime_code: compiled.runtime_code,
                vk: None,
                split_reason: None,
            });
        }
        split_reason = Some(format!(
            "the single verifier would have {} bytes of runtime code, over the {MAX_RUNTIME_BYTES}-byte EIP-170 limit: \
             the verifying key moves to its own contract",
            compiled.runtime_code.len()
        ));
    }
    let (v, k) = solidity::render_split(&plan, "Halo2Verifier", "Halo2VerifyingKey", &title);
    let (source, vk_source) = (solc::format_solidity(&v)?, solc::format_solidity(&k)?);
    let compiled = compile_checked(&source, "Halo2Verifier")?;
    if compiled.runtime_code.len() > MAX_RUNTIME_BYTES {
        return Err(ZkError::input(format!(
            "even with a separate verifying key the verifier has {} bytes of runtime code (limit {MAX_RUNTIME_BYTES}); \
             recompile with fewer --lanes",
            compiled.runtime_code.len()
        )));
    }
    let vk_bytes = solidity::vk_runtime_code(&plan).len();
    if vk_bytes > MAX_RUNTIME_BYTES {
        return Err(ZkError::input(format!(
            "the verifying-key contract would hold {vk_bytes} bytes (limit {MAX_RUNTIME_BYTES}); recompile with fewer --lanes"
        )));
    }
    let vk_compiled = compile_checked(&vk_source, "Halo2VerifyingKey")?;
    Ok(CompiledVerifier {
        source,
        creation_code: compiled.creation_code,
        runtime_code: compiled.runtime_code,
        vk: Some((vk_source, vk_compiled.creation_code)),
        split_reason,
    })
}

impl CompiledVerifier {
    /// The verifier's creation code with its constructor argument: the verifying-key contract's
    /// address (separate-VK mode), ABI-encoded as one word.
    pub fn creation_with_vk(&self, vk: alloy::primitives::Address) -> Vec<u8> {
        let mut code = self.creation_code.clone();
        code.extend_from_slice(&[0u8; 12]);
        code.extend_from_slice(vk.as_slice());
        code
    }

    /// Deploys the verifying-key contract (when there is one), then the verifier pinned to it.
    pub fn deploy(&self, evm: &mut Evm) -> Result<Deployed, ZkError> {
        match &self.vk {
            None => evm.deploy(&self.creation_code),
            Some((_, vk_code)) => {
                let vk = evm.deploy(vk_code)?;
                evm.deploy(&self.creation_with_vk(vk.address))
            }
        }
    }
}

pub fn compile_verifier(build: &Build) -> Result<CompiledVerifier, ZkError> {
    build_verifier(build, false)
}

/// Deploys the verifier in revm and sends `verifyProof` with the proof's calldata.
pub fn verify_evm(verifier: &CompiledVerifier, proof: &Proof) -> Result<EvmVerification, ZkError> {
    verify_evm_calldata(verifier, calldata::encode_verify_call(proof), proof.bytes.len())
}

/// The same with calldata as given (instance words need not be field elements).
pub fn verify_evm_calldata(
    verifier: &CompiledVerifier,
    calldata: Vec<u8>,
    proof_bytes: usize,
) -> Result<EvmVerification, ZkError> {
    let mut evm = Evm::new();
    let deployed = verifier.deploy(&mut evm)?;
    let calldata_bytes = calldata.len();
    let out = evm.call(deployed.address, calldata)?;
    let valid = out.success && calldata::decode_verify_return(&out.output) == Some(true);
    let error = if valid { None } else { Some(revert::describe(&out.output)) };
    Ok(EvmVerification {
        valid,
        gas_used: out.gas_used,
        calldata_bytes,
        runtime_bytes: deployed.runtime_size,
        deploy_gas: deployed.gas_used,
        proof_bytes,
        error,
    })
}
