//! Renders a [`VerifierPlan`] as a Solidity contract: one assembly block that replays exactly the
//! algorithm of [`super::mirror`], reading the proof straight from calldata.
//!
//! Layout data (offsets, constants, expressions) comes from the plan; the code shape is fixed here,
//! section by section, each commented with what it computes. Every memory slot has a name in the
//! generated source, so a reader can follow values through the contract.
//!
//! Gas levers used: calldata-direct reads of the proof, a single batched inversion (one modexp),
//! constant points inlined, no Solidity memory management, one pairing.

mod body;
mod codegen;
mod constraints;
mod contract;
mod opening;
mod yul;

use halo2_proofs::halo2curves::bn256::G1Affine;
use sha3::{Digest, Keccak256};

use super::plan::VerifierPlan;
use codegen::{Gen, Slots};

/// ABI offset of the proof bytes in `verifyProof(bytes,uint256[])` calldata (standard encoding).
pub const PROOF_CPTR: usize = 0x64;

/// The generated Solidity source of the verifier contract `contract_name`.
pub fn render_verifier(plan: &VerifierPlan, contract_name: &str, title: &str) -> String {
    render(plan, contract_name, title, None)
}

/// Constant points of the verifying key, in the order the verifier reads them: fixed commitments,
/// then permutation sigma commitments.
fn vk_points(plan: &VerifierPlan) -> Vec<G1Affine> {
    plan.fixed_commitments.iter().chain(&plan.sigma_commitments).copied().collect()
}

/// Runtime code of the verifying-key contract: one zero word (a STOP, so calls do nothing) then
/// every constant point as `x || y`. The verifier copies it with EXTCODECOPY.
pub fn vk_runtime_code(plan: &VerifierPlan) -> Vec<u8> {
    let mut code = vec![0u8; 32];
    for p in vk_points(plan) {
        code.extend_from_slice(&crate::proof::transcript::encode_point(&p));
    }
    code
}

/// Split mode: a data-only verifying-key contract and a verifier that pins it by codehash.
/// Returns `(verifier source, verifying-key source)`.
pub fn render_split(plan: &VerifierPlan, verifier_name: &str, vk_name: &str, title: &str) -> (String, String) {
    let code = vk_runtime_code(plan);
    let codehash = Keccak256::digest(&code);
    let verifier = render(plan, verifier_name, title, Some((vk_name, format!("0x{}", hex::encode(codehash)))));
    let hash = format!("0x{}", hex::encode(codehash));
    let vk = contract::vk_contract(&code, &hash, verifier_name, vk_name, title);
    (verifier, vk)
}

fn render(plan: &VerifierPlan, contract_name: &str, title: &str, split: Option<(&str, String)>) -> String {
    let separate_vk = split.is_some();
    let mut g = Gen { plan, separate_vk, out: String::new(), indent: 3, slots: Slots::new(0x200), temps: 0 };
    if separate_vk {
        g.slots.region("VK_DATA", 2 * vk_points(plan).len());
    }
    body::write_body(&mut g);
    let body = std::mem::take(&mut g.out);
    contract::verifier_contract(plan, &g.slots, contract_name, title, split, &body)
}
