//! The forge fixtures must be what `cargo run --release --example gen_evm_fixtures` makes today:
//! verifier sources byte for byte, and proofs that verify against today's circuit and match their
//! Solidity form.

mod common;

use zkinfer::artifacts::{read_json, ProofFile};
use zkinfer::pipeline::{self, Prover};
use zkinfer::testing::evm_fixtures::*;

const HINT: &str = "run `cargo run --release --example gen_evm_fixtures` to regenerate";

#[test]
fn forge_fixtures_are_current() {
    common::init_cache();
    let work = tempfile::tempdir().unwrap();
    for (model, prefix) in FIXTURES {
        let build = build_fixture_model(model, work.path()).unwrap();
        let fresh = pipeline::solidity_verifier_named(&build, &format!("{prefix}Verifier")).unwrap();
        let stored = std::fs::read_to_string(verifier_path(prefix)).expect(HINT);
        assert!(fresh == stored, "{prefix}Verifier.sol is stale; {HINT}");

        let proof: ProofFile = read_json(&proof_json_path(model)).expect(HINT);
        let prover = Prover::load(&build).unwrap();
        let vk = build.vk().unwrap();
        pipeline::verify(&build, &proof, &prover.params, &vk)
            .unwrap_or_else(|e| panic!("{model} fixture proof: {e}; {HINT}"));
        let lib = fixture_library(prefix, &proof).unwrap();
        assert!(
            lib == std::fs::read_to_string(library_path(prefix)).expect(HINT),
            "{prefix}Fixture.sol is stale; {HINT}"
        );
    }

    let build = build_vault_model(work.path()).unwrap();
    let fresh = pipeline::solidity_verifier_named(&build, &format!("{VAULT_PREFIX}Verifier")).unwrap();
    assert!(
        fresh == std::fs::read_to_string(verifier_path(VAULT_PREFIX)).expect(HINT),
        "vault verifier is stale; {HINT}"
    );
    let proof: ProofFile = read_json(&proof_json_path(VAULT_PROOF_JSON)).expect(HINT);
    let prover = Prover::load(&build).unwrap();
    let vk = build.vk().unwrap();
    let verified = pipeline::verify(&build, &proof, &prover.params, &vk).unwrap();
    let unit = 128.0;
    let expected: Vec<f64> = VAULT_FEATURES.iter().map(|&f| f as f64 / unit).collect();
    assert_eq!(verified.inputs, vec![expected], "the vault proof is for the worked example's features");
    let lib = vault_fixture_library(&build, &proof).unwrap();
    assert!(lib == std::fs::read_to_string(library_path(VAULT_PREFIX)).expect(HINT), "vault fixture is stale; {HINT}");

    let build = build_aigc_model(work.path()).unwrap();
    let fresh = pipeline::solidity_verifier_named(&build, &format!("{AIGC_PREFIX}Verifier")).unwrap();
    assert!(
        fresh == std::fs::read_to_string(verifier_path(AIGC_PREFIX)).expect(HINT),
        "AIGC verifier is stale; {HINT}"
    );
    let proof: ProofFile = read_json(&proof_json_path(AIGC_PROOF_JSON)).expect(HINT);
    let prover = Prover::load(&build).unwrap();
    let vk = build.vk().unwrap();
    let verified = pipeline::verify(&build, &proof, &prover.params, &vk).unwrap();
    let features = prompt_features(AIGC_PROMPT.as_bytes(), build.settings.scale);
    assert_eq!(features, [123, 71, 12, 102], "the contract's worked example");
    assert_eq!(verified.inputs, vec![features.iter().map(|&f| f as f64 / 128.0).collect::<Vec<_>>()]);
    let lib = aigc_fixture_library(&build, &proof).unwrap();
    assert!(lib == std::fs::read_to_string(library_path(AIGC_PREFIX)).expect(HINT), "AIGC fixture is stale; {HINT}");
}
