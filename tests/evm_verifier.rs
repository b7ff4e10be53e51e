//! The generated Solidity verifier, compiled with the project's solc and run in revm: it accepts
//! real proofs, and rejects every proof with a 32-byte word altered, wrong/missing/extra/>= r
//! instances, and proofs for another model.

mod common;

use common::*;
use zkinfer::evm::calldata::{decode_verify_return, encode_verify_words};
use zkinfer::evm::runner::Evm;
use zkinfer::evm::solc;
use zkinfer::pipeline;
use zkinfer::pipeline::CalibrationOptions;

const R_BE: [u8; 32] = {
    let hex = *b"30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        let hi = (hex[2 * i] as char).to_digit(16).unwrap() as u8;
        let lo = (hex[2 * i + 1] as char).to_digit(16).unwrap() as u8;
        out[i] = hi * 16 + lo;
        i += 1;
    }
    out
};

struct Deployed {
    proved: Proved,
    evm: Evm,
    address: alloy::primitives::Address,
    runtime: usize,
}

fn deploy(name: &str) -> Deployed {
    let proved = compile_setup_prove(&test_model(name), CalibrationOptions::default());
    let source = pipeline::verifier_contract::solidity_verifier(&proved.build).unwrap();
    let compiled = solc::compile(&source, "Verifier.sol", "Halo2Verifier").unwrap();
    assert!(compiled.warnings.is_empty(), "{name}: solc warnings: {:?}", compiled.warnings);
    let mut evm = Evm::new();
    let d = evm.deploy(&compiled.creation_code).unwrap();
    assert!(d.runtime_size <= 24_576, "{name}: runtime {} bytes over EIP-170", d.runtime_size);
    Deployed { proved, evm, address: d.address, runtime: d.runtime_size }
}

fn accepts(d: &mut Deployed, proof: &[u8], instances: &[[u8; 32]]) -> (bool, u64) {
    let out = d.evm.call(d.address, encode_verify_words(proof, instances)).unwrap();
    (out.success && decode_verify_return(&out.output) == Some(true), out.gas_used)
}

#[test]
fn generated_verifier_accepts_real_proofs_and_rejects_tampering() {
    for name in ["gemm_relu", "matmul_sigmoid", "conv_pool", "arith_broadcast"] {
        let mut d = deploy(name);
        let (proof, instances) = proof_parts(&d.proved.proof);
        let (ok, gas) = accepts(&mut d, &proof, &instances);
        assert!(ok, "{name}: the generated verifier rejected a valid proof");
        eprintln!("{name}: verify gas {gas}, runtime {} bytes, proof {} bytes", d.runtime, proof.len());

        for word in 0..proof.len() / 32 {
            let mut bad = proof.clone();
            bad[word * 32 + 31] ^= 1;
            assert!(!accepts(&mut d, &bad, &instances).0, "{name}: altered proof word {word} accepted");
        }
        let mut wrong = instances.clone();
        wrong[0][31] ^= 1;
        assert!(!accepts(&mut d, &proof, &wrong).0, "{name}: wrong instance accepted");
        assert!(!accepts(&mut d, &proof, &instances[1..]).0, "{name}: missing instance accepted");
        let mut extra = instances.clone();
        extra.push([0u8; 32]);
        assert!(!accepts(&mut d, &proof, &extra).0, "{name}: extra instance accepted");
        // x + r encodes the same field element: must be rejected as non-canonical.
        let mut big = instances.clone();
        big[0] = add_be(&instances[0], &R_BE);
        assert!(!accepts(&mut d, &proof, &big).0, "{name}: instance >= r accepted");
        assert!(!accepts(&mut d, &proof[..proof.len() - 32], &instances).0, "{name}: short proof accepted");
    }
}

#[test]
fn a_proof_for_one_model_is_rejected_by_another_models_verifier() {
    let a = deploy("gemm_relu");
    let mut b = deploy("matmul_sigmoid");
    let (proof_a, inst_a) = proof_parts(&a.proved.proof);
    let (proof_b, inst_b) = proof_parts(&b.proved.proof);
    assert!(accepts(&mut b, &proof_b, &inst_b).0);
    assert!(!accepts(&mut b, &proof_a, &inst_a).0);
    // Same lengths as B expects, A's content.
    let mut forged = inst_b.clone();
    for (i, w) in inst_a.iter().enumerate().take(forged.len()) {
        forged[i] = *w;
    }
    let mut proof = proof_a.clone();
    proof.resize(proof_b.len(), 0);
    assert!(!accepts(&mut b, &proof, &forged).0);
}

fn add_be(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = a[i] as u16 + b[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

#[test]
fn separate_verifying_key_mode_pins_the_key_by_codehash() {
    let a = compile_setup_prove(&test_model("gemm_relu"), CalibrationOptions::default());
    let b = compile_setup_prove(&test_model("matmul_sigmoid"), CalibrationOptions::default());
    let split = pipeline::build_verifier(&a.build, true).unwrap();
    let (vk_source, vk_code) = split.vk.clone().expect("forced split mode has a VK contract");
    assert!(vk_source.contains("contract Halo2VerifyingKey"));
    assert!(split.source.contains("VK_CODEHASH"));

    let ok = pipeline::verify_evm(&split, &a.proof.parse().unwrap()).unwrap();
    assert!(ok.valid, "split verifier rejected a valid proof: {:?}", ok.error);
    let single =
        pipeline::verify_evm(&pipeline::build_verifier(&a.build, false).unwrap(), &a.proof.parse().unwrap()).unwrap();
    eprintln!(
        "verify gas: single {} / split {}; runtime {} / {}",
        single.gas_used, ok.gas_used, single.runtime_bytes, ok.runtime_bytes
    );
    assert!(ok.runtime_bytes < single.runtime_bytes);

    let mut tampered = a.proof.clone();
    let mut bytes = hex::decode(&tampered.proof[2..]).unwrap();
    bytes[95] ^= 1;
    tampered.proof = format!("0x{}", hex::encode(&bytes));
    assert!(!pipeline::verify_evm(&split, &tampered.parse().unwrap()).unwrap().valid);
    assert!(!pipeline::verify_evm(&split, &b.proof.parse().unwrap()).unwrap().valid);

    // The verifier refuses a verifying-key contract with any other code.
    let other = pipeline::build_verifier(&b.build, true).unwrap();
    let mut evm = Evm::new();
    let wrong_vk = evm.deploy(&other.vk.unwrap().1).unwrap();
    let err = evm.deploy(&split.creation_with_vk(wrong_vk.address)).unwrap_err();
    assert!(err.message.contains("0x") || err.message.contains("revert"), "{err}");
    let right_vk = evm.deploy(&vk_code).unwrap();
    let verifier = evm.deploy(&split.creation_with_vk(right_vk.address)).unwrap();
    let (proof, instances) = proof_parts(&a.proof);
    let out = evm.call(verifier.address, encode_verify_words(&proof, &instances)).unwrap();
    assert!(out.success && decode_verify_return(&out.output) == Some(true));
}

/// The generated verifier states its circuit (`IZkinferCircuitInfo`): scale, packing, instance
/// count, blocks and VK digest are the build's, for public and for hashed layouts.
#[test]
fn generated_verifier_states_its_circuit() {
    use alloy::sol_types::SolCall;
    use zkinfer::encoding::{Visibilities, Visibility};
    use zkinfer::evm::abi::{instance_blocks, IZkinferCircuitInfo as Info};

    let hashed = CalibrationOptions {
        visibility: Visibilities { input: Visibility::Hashed, ..Visibilities::default() },
        ..CalibrationOptions::default()
    };
    for (name, options) in [("conv_pool", CalibrationOptions::default()), ("gemm_relu", hashed)] {
        let p = compile_setup_prove(&test_model(name), options);
        let verifier = pipeline::verifier_contract::compile_verifier(&p.build).unwrap();
        let mut evm = Evm::new();
        let address = verifier.deploy(&mut evm).unwrap().address;
        let mut ask = |data: Vec<u8>| {
            let out = evm.call(address, data).unwrap();
            assert!(out.success, "{name}: a circuit-info getter reverted");
            out.output
        };
        let public = p.build.public();
        let word = |out: Vec<u8>| alloy::primitives::U256::from_be_slice(&out);
        assert_eq!(word(ask(Info::SCALECall {}.abi_encode())), public.scale.bits());
        assert_eq!(word(ask(Info::PACK_BITSCall {}.abi_encode())), public.packing.map_or(0, |p| p.bits));
        assert_eq!(word(ask(Info::NUM_INSTANCESCall {}.abi_encode())), public.num_instances);
        let digest = hex::decode(&p.proof.vk_digest[2..]).unwrap();
        assert_eq!(ask(Info::VK_DIGESTCall {}.abi_encode()), digest, "{name}: VK_DIGEST is setup's digest");
        let blocks =
            Info::instanceBlocksCall::abi_decode_returns(&ask(Info::instanceBlocksCall {}.abi_encode())).unwrap();
        assert_eq!(blocks, instance_blocks(public), "{name}: instanceBlocks() is the build's layout");
        assert!(!blocks.is_empty());
        assert_eq!(word(ask(Info::DEV_SRSCall {}.abi_encode())), 1, "{name}: development keys say so");
    }
}

/// A verifier made from another SRS does not claim to be a development one (`DEV_SRS()` false),
/// whatever the file is called: it is read from the parameters themselves.
#[test]
fn a_verifier_from_another_srs_is_not_flagged_as_development() {
    use alloy::sol_types::SolCall;
    use halo2_proofs::halo2curves::bn256::Bn256;
    use halo2_proofs::poly::kzg::commitment::ParamsKZG;
    use rand_core::SeedableRng;
    use zkinfer::evm::abi::IZkinferCircuitInfo as Info;

    let p = compile_setup_prove(&test_model("gemm_relu"), CalibrationOptions::default());
    let other = ParamsKZG::<Bn256>::setup(p.build.settings.k, rand_chacha::ChaCha20Rng::seed_from_u64(7));
    let file = p.dir.path().join("dev-insecure-looking-name.srs");
    zkinfer::proof::srs::write_params_atomic(&other, &file).unwrap();
    let info = pipeline::setup(&p.build, &pipeline::SrsSource::File(file)).unwrap();
    assert!(!info.insecure_srs());
    let verifier = pipeline::verifier_contract::compile_verifier(&p.build).unwrap();
    let mut evm = Evm::new();
    let address = verifier.deploy(&mut evm).unwrap().address;
    let out = evm.call(address, Info::DEV_SRSCall {}.abi_encode()).unwrap();
    assert!(out.success);
    assert_eq!(alloy::primitives::U256::from_be_slice(&out.output), 0);
}
