//! The flattened verifier algorithm the Solidity contract runs (the mirror) must agree with halo2's
//! own verifier: accept every real proof, and reject every proof with any 32-byte word altered.

mod common;

use common::*;
use zkinfer::evm::mirror;
use zkinfer::evm::plan::{check_root_of_unity, VerifierPlan};
use zkinfer::pipeline::CalibrationOptions;
use zkinfer::proof::verifier;

fn instances(p: &Proved) -> Vec<halo2_proofs::halo2curves::bn256::Fr> {
    p.proof.parse().unwrap().instances
}

#[test]
fn mirror_accepts_real_proofs_and_rejects_every_altered_word() {
    for name in ["gemm_relu", "matmul_sigmoid", "conv_pool", "arith_broadcast"] {
        let p = compile_setup_prove(&test_model(name), CalibrationOptions::default());
        let vk = p.build.vk().unwrap();
        let inst = instances(&p);
        let plan = VerifierPlan::new(&vk, &p.prover.params, p.build.public()).unwrap();
        assert!(check_root_of_unity(&plan));
        let proof = hex::decode(&p.proof.proof[2..]).unwrap();
        assert_eq!(proof.len(), plan.proof.total, "{name}: proof layout");
        mirror::verify(&plan, &proof, &inst).unwrap_or_else(|e| panic!("{name}: mirror rejected a valid proof: {e:?}"));

        for word in 0..proof.len() / 32 {
            let mut bad = proof.clone();
            bad[word * 32 + 31] ^= 1;
            assert!(mirror::verify(&plan, &bad, &inst).is_err(), "{name}: mirror accepted altered word {word}");
            assert!(
                verifier::verify(&p.prover.params, &vk, &bad, &inst).is_err(),
                "{name}: halo2 accepted word {word}"
            );
        }
        if !inst.is_empty() {
            let mut bad_inst = inst.clone();
            bad_inst[0] += halo2_proofs::halo2curves::bn256::Fr::one();
            assert!(mirror::verify(&plan, &proof, &bad_inst).is_err(), "{name}: altered instance accepted");
            assert!(mirror::verify(&plan, &proof, &inst[1..]).is_err(), "{name}: missing instance accepted");
        }
    }
}
