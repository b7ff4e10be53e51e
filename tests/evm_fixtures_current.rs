//! The forge fixtures must be what `cargo run --release --example gen_evm_fixtures` makes today:
//! verifier sources byte for byte, and proofs that verify against today's circuit and match their
//! Solidity form.

mod common;

use zkinfer::artifacts::{read_json, ProofFile};
use zkinfer::pipeline::{self, Build, Prover, Verified};
use zkinfer::testing::evm_fixtures::*;

const HINT: &str = "run `cargo run --release --example gen_evm_fixtures` to regenerate";

/// Checks one fixture against a fresh build of its model; returns what its proof binds.
fn check_fixture(
    build: &Build,
    prefix: &str,
    proof_name: &str,
    library: impl FnOnce(&ProofFile) -> String,
) -> Verified {
    let fresh = pipeline::verifier_contract::solidity_verifier_named(build, &format!("{prefix}Verifier")).unwrap();
    let stored = std::fs::read_to_string(verifier_path(prefix)).expect(HINT);
    assert!(fresh == stored, "{prefix}Verifier.sol is stale; {HINT}");
    let proof: ProofFile = read_json(&proof_json_path(proof_name)).expect(HINT);
    let prover = Prover::load(build).unwrap();
    let vk = build.vk().unwrap();
    let verified = pipeline::verify(build, &proof, &prover.params, &vk)
        .unwrap_or_else(|e| panic!("{proof_name} fixture proof: {e}; {HINT}"));
    let stored_lib = std::fs::read_to_string(library_path(prefix)).expect(HINT);
    assert!(library(&proof) == stored_lib, "{prefix}Fixture.sol is stale; {HINT}");
    verified
}

#[test]
fn forge_fixtures_are_current() {
    common::init_cache();
    let work = tempfile::tempdir().unwrap();
    for (model, prefix) in FIXTURES {
        let build = build_fixture_model(model, work.path()).unwrap();
        check_fixture(&build, prefix, model, |p| fixture_library(prefix, p).unwrap());
    }

    let build = build_vault_model(work.path()).unwrap();
    let verified = check_fixture(&build, VAULT_PREFIX, VAULT_PROOF_JSON, |p| vault_fixture_library(&build, p).unwrap());
    let expected: Vec<i128> = VAULT_FEATURES.iter().map(|&f| f as i128).collect();
    assert_eq!(verified.inputs, vec![expected], "the vault proof is for the worked example's features");

    let build = build_aigc_model(work.path()).unwrap();
    let verified = check_fixture(&build, AIGC_PREFIX, AIGC_PROOF_JSON, |p| aigc_fixture_library(&build, p).unwrap());
    let features = prompt_features(AIGC_PROMPT.as_bytes(), build.scale());
    assert_eq!(features, [123, 71, 12, 102], "the contract's worked example");
    assert_eq!(verified.inputs, vec![features.iter().map(|&f| f as i128).collect::<Vec<_>>()]);

    let build = build_hashed_model(work.path()).unwrap();
    let verified =
        check_fixture(&build, HASHED_PREFIX, HASHED_PROOF_JSON, |p| hashed_fixture_library(&build, p).unwrap());
    assert!(verified.inputs.is_empty(), "the hashed fixture reveals no inputs");
    let inputs = zkinfer::model::input_file::read_inputs(&common::test_model("gemm_relu").join("input.json")).unwrap();
    let fixed = build.scale().quantise(&inputs.values);
    let pinned = pipeline::commit::input_commitment(&build, &fixed, hashed_salt()).unwrap();
    assert_eq!(verified.input_commitment, Some(pinned));
}
