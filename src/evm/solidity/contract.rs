//! The Solidity contracts around the generated body: the verifier's constants, errors, circuit-info
//! getters and entry point, and split mode's data-only verifying-key contract.

use std::fmt::Write;

use alloy::sol_types::SolError;
use halo2_proofs::halo2curves::bn256::Fr;

use super::codegen::{fr_hex, Slots};
use super::yul::YUL_FUNCTIONS;
use crate::evm::abi::IZkinferVerifier as V;
use crate::evm::plan::VerifierPlan;

/// The generated verifier's custom errors (declared in `contracts/IZkinferVerifier.sol`), in the
/// order the contract declares them, with the name of the constant holding each selector.
const ERRORS: [(&str, [u8; 4], &str); 6] = [
    (V::InvalidCalldata::SIGNATURE, V::InvalidCalldata::SELECTOR, "ERR_CALLDATA"),
    (V::InvalidInstance::SIGNATURE, V::InvalidInstance::SELECTOR, "ERR_INSTANCE"),
    (V::InvalidPoint::SIGNATURE, V::InvalidPoint::SELECTOR, "ERR_POINT"),
    (V::InvalidScalar::SIGNATURE, V::InvalidScalar::SELECTOR, "ERR_SCALAR"),
    (V::PrecompileFailed::SIGNATURE, V::PrecompileFailed::SELECTOR, "ERR_PRECOMPILE"),
    (V::ProofRejected::SIGNATURE, V::ProofRejected::SELECTOR, "ERR_REJECTED"),
];

/// Wraps `body` in the verifier contract. Runs after the body so every memory slot is known.
pub(super) fn verifier_contract(
    plan: &VerifierPlan,
    slots: &Slots,
    contract_name: &str,
    title: &str,
    split: Option<(&str, String)>,
    body: &str,
) -> String {
    let p = &plan.proof;
    let n_inst = plan.num_instances;
    let transcript_at = slots.next;

    // Contract constants (rendered after the body so every slot is known). Inline assembly reads
    // them as literals, so they cost no stack slots.
    let mut c = String::new();
    // The circuit-info getters (IZkinferCircuitInfo) are public: a consumer, a deploy script or a
    // keeper asks the address which circuit it verifies and what its instances mean, instead of
    // trusting a deployment record.
    let mut constant = |name: &str, value: String, doc: &str| {
        let public = matches!(name, "NUM_INSTANCES" | "VK_DIGEST" | "SCALE" | "PACK_BITS");
        let (tag, visibility) = if public { ("@notice ", "public") } else { ("", "internal") };
        if !doc.is_empty() {
            let _ = writeln!(c, "    /// {tag}{doc}");
        }
        let _ = writeln!(c, "    uint256 {visibility} constant {name} = {value};");
    };
    constant(
        "R",
        "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001".into(),
        "Scalar field modulus r.",
    );
    constant("Q", "0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47".into(), "Base field modulus q.");
    constant("PROOF_LEN", format!("{:#x}", p.total), "Proof length in bytes.");
    constant("NUM_INSTANCES", format!("{n_inst:#x}"), "Number of public instances.");
    constant(
        "SCALE",
        plan.public.scale.bits().to_string(),
        "Fractional bits of every fixed-point value in the instances: real value = v / 2^SCALE.",
    );
    constant(
        "PACK_BITS",
        plan.public.packing.map_or(0, |p| p.bits).to_string(),
        "Bits per packed value (0: one value per instance); see instanceBlocks().",
    );
    constant(
        "VK_DIGEST",
        fr_hex(&plan.transcript_repr),
        "halo2's verifying-key hash (pins the constraint system and the fixed and permutation commitments).",
    );
    constant("OMEGA", fr_hex(&plan.omega), &format!("Generator of the 2^{} evaluation domain.", plan.k));
    constant("DELTA", fr_hex(&plan.delta), "Coset generator of the permutation argument.");
    constant("N_INV", fr_hex(&Fr::from(plan.n).invert().unwrap()), "1 / n mod r.");
    for (sig, selector, name) in ERRORS {
        constant(name, format!("0x{}", hex::encode(selector)), &format!("Selector of {sig}."));
    }
    let _ = writeln!(
        c,
        "    /// @notice {}\n    bool public constant DEV_SRS = {};",
        if plan.dev_srs {
            "INSECURE: the verifying key comes from zkinfer's development SRS, whose secret is public; anyone can forge proofs this contract accepts."
        } else {
            "False: the verifying key does not come from zkinfer's development SRS."
        },
        plan.dev_srs
    );
    let _ = writeln!(c, "    // Memory: 0x00-0x1ff precompile scratch (0x80-0xbf: MSM accumulator), then named slots.");
    for name in &slots.order {
        let _ = writeln!(c, "    uint256 internal constant {name} = {:#x};", slots.names[name]);
    }
    let _ = writeln!(c, "    uint256 internal constant TRANSCRIPT = {transcript_at:#x};");

    let mut errors: String = ERRORS.iter().map(|(sig, _, _)| format!("    error {sig};\n")).collect();
    let (vk_note, vk_state, vk_load) = match &split {
        None => (
            "The verifying key is built in; proofs for any other circuit are rejected.".to_string(),
            String::new(),
            String::new(),
        ),
        Some((vk_name, hash)) => {
            errors += "    error WrongVerifyingKey();\n";
            (
                format!(
                    "The verifying key lives in a `{vk_name}` contract whose address is fixed at deployment and whose\n/// codehash must be {hash}; consumers pin this verifier's address (and may check `verifyingKey()`)."
                ),
                format!(
                    "    /// @notice keccak256 of the verifying-key contract's runtime code.\n    bytes32 public constant VK_CODEHASH = {hash};\n    /// @notice The verifying-key contract this verifier reads.\n    address public immutable verifyingKey;\n\n    constructor(address vk) {{\n        if (vk.codehash != VK_CODEHASH) revert WrongVerifyingKey();\n        verifyingKey = vk;\n    }}\n\n"
                ),
                "        address vk = verifyingKey;\n".to_string(),
            )
        }
    };
    format!(
        "// SPDX-License-Identifier: MIT\n\
pragma solidity ^0.8.20;\n\
\n\
/// @title {title}\n\
/// @notice Verifies halo2 (KZG on BN254, SHPLONK) proofs of one zkinfer circuit. Generated by zkinfer\n\
/// {version}: do not edit. {vk_note}\n\
/// @dev Calldata must use the standard ABI encoding of verifyProof(bytes,uint256[]) with exactly\n\
/// {proof_len} proof bytes and {n_inst} instances (32-byte field elements below r; a negative fixed-point\n\
/// value x is r - |x|).\n\
contract {contract_name} {{\n\
{errors}\n\
{c}\n\
{vk_state}\
{info}\
    /// @notice Returns true if `proof` is valid for `instances`; reverts otherwise.\n\
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {{\n\
        proof;\n\
        instances;\n\
{vk_load}\
        assembly {{\n\
{YUL_FUNCTIONS}\n\
\n\
{body}\
        }}\n\
    }}\n\
}}\n",
        version = env!("CARGO_PKG_VERSION"),
        info = circuit_info(plan),
        proof_len = p.total,
    )
}

/// Split mode's verifying-key contract, whose runtime code is `code` and whose codehash is `hash`.
pub(super) fn vk_contract(code: &[u8], hash: &str, verifier_name: &str, vk_name: &str, title: &str) -> String {
    let mut words = String::new();
    for (i, chunk) in code.chunks(32).enumerate() {
        let _ = writeln!(words, "            mstore({:#x}, 0x{})", 32 * i, hex::encode(chunk));
    }
    format!(
        "// SPDX-License-Identifier: MIT\n\
pragma solidity ^0.8.20;\n\
\n\
/// @title Verifying key for {title}\n\
/// @notice Data only: its runtime code is one zero word (STOP) followed by the circuit's fixed and\n\
/// permutation commitments. `{verifier_name}` copies it with EXTCODECOPY and, at deployment, requires\n\
/// its codehash to be {hash}. Generated by zkinfer {version}: do not edit.\n\
contract {vk_name} {{\n\
    constructor() {{\n\
        assembly {{\n\
{words}\
            return(0x00, {len:#x})\n\
        }}\n\
    }}\n\
}}\n",
        version = env!("CARGO_PKG_VERSION"),
        len = code.len(),
    )
}

/// `instanceBlocks()` and its types, ABI-identical to `IZkinferCircuitInfo`'s (declared here so the
/// generated file stands alone).
fn circuit_info(plan: &VerifierPlan) -> String {
    use crate::encoding::{InstanceBlock, Side};
    let blocks = &plan.public.blocks;
    let mut s = String::from(
        "    /// @notice Which side of the model a block of instances belongs to (IZkinferCircuitInfo.Side).\n\
    enum Side {\n        Input,\n        Output,\n        Params\n    }\n\n\
    /// @notice One block of public instances (IZkinferCircuitInfo.InstanceBlock).\n\
    struct InstanceBlock {\n        Side side;\n        bool commitment;\n        uint32 offset;\n        uint32 words;\n        uint32 values;\n        uint8 packBits;\n    }\n\n\
    /// @notice The instance layout, blocks in instance order: what each public instance means.\n",
    );
    let _ = writeln!(s, "    function instanceBlocks() external pure returns (InstanceBlock[] memory blocks) {{");
    let _ = writeln!(s, "        blocks = new InstanceBlock[]({});", blocks.len());
    for (i, b) in blocks.iter().enumerate() {
        let InstanceBlock { side, name, shape, offset, len, values, packing, commitment } = b;
        let side = match side {
            Side::Input => "Input",
            Side::Output => "Output",
            Side::Params => "Params",
        };
        let what = if commitment.is_some() { "commitment to".to_string() } else { format!("shape {shape:?}:") };
        // Names come from the ONNX file: only printable ASCII reaches the source, so no name can end
        // the comment.
        let name: String = name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
        let _ = writeln!(s, "        // {side} '{name}', {what} {values} values");
        let _ = writeln!(
            s,
            "        blocks[{i}] = InstanceBlock(Side.{side}, {}, {offset}, {len}, {values}, {});",
            commitment.is_some(),
            packing.map_or(0, |p| p.bits)
        );
    }
    s += "    }\n\n";
    s
}
