//! The commitments hashed visibility exposes: what `zkinfer commit` recomputes and a consumer pins.
//!
//! A hashed side commits to its values (fixed point, flattened in order) followed by that side's
//! salt, `Poseidon(salt, 1)` for inputs and `Poseidon(salt, 2)` for outputs, so opening one side
//! (giving out its salt) reveals nothing that helps guess the other's. Weights are committed
//! without a salt: the commitment names the model and must be the same in every proof.

use halo2_proofs::halo2curves::bn256::Fr;

use super::field::fe;
use super::instances::Side;
use super::poseidon::native_hash;

/// The domain tag of a side's salt. Parameters take no salt; their tag (3) is reserved.
pub fn side_tag(side: Side) -> Fr {
    Fr::from(match side {
        Side::Input => 1u64,
        Side::Output => 2,
        Side::Params => 3,
    })
}

/// The salt one side's commitment uses, derived from the input file's salt.
pub fn side_salt(salt: Fr, side: Side) -> Fr {
    native_hash(&[salt, side_tag(side)])
}

/// The commitment of a hashed input or output side.
pub fn commit_values(values: &[Vec<i128>], salt: Fr, side: Side) -> Fr {
    let mut elems: Vec<Fr> = values.iter().flatten().map(|&v| fe(v)).collect();
    elems.push(side_salt(salt, side));
    native_hash(&elems)
}

/// The commitment to a model's weights and biases (in the order `QGraph::param_values` lists them).
pub fn commit_params(values: &[i128]) -> Fr {
    native_hash(&values.iter().map(|&v| fe(v)).collect::<Vec<_>>())
}
