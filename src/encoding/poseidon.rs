//! Poseidon over BN254's scalar field, natively: the hash behind every commitment a proof exposes.
//!
//! Parameters (128-bit security): width 3, rate 2, S-box `x^5`, 8 full and 57 partial rounds,
//! round constants and MDS matrix from the reference Grain LFSR as `poseidon-primitives` 0.2.0
//! generates them (`Spec::constants`; Scroll's audited primitives, also used by halo2-base).
//! Sponge: that crate's `ConstantLength` domain: the capacity element starts at `n * 2^64` for
//! `n` inputs, inputs are added two at a time to the rate, zero-padded to an even count, and the
//! hash is the first state word after the last permutation. The circuit's chip
//! (`circuit::chips::poseidon`) lays out the same permutation from the same constants; a test here
//! checks [`native_hash`] against the crate's own `Hash`.

use std::sync::OnceLock;

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use poseidon_primitives::poseidon::primitives::Spec;

pub const WIDTH: usize = 3;
pub const RATE: usize = 2;
pub const FULL_ROUNDS: usize = 8;
pub const PARTIAL_ROUNDS: usize = 57;

/// The parameter set, for `poseidon-primitives`' constant generator and reference hash.
#[derive(Debug)]
pub struct PoseidonSpec;

impl Spec<Fr, WIDTH, RATE> for PoseidonSpec {
    fn full_rounds() -> usize {
        FULL_ROUNDS
    }

    fn partial_rounds() -> usize {
        PARTIAL_ROUNDS
    }

    fn sbox(val: Fr) -> Fr {
        val.pow_vartime([5])
    }

    fn secure_mds() -> usize {
        0
    }
}

/// Round constants and the MDS matrix.
pub struct Constants {
    pub rounds: Vec<[Fr; WIDTH]>,
    pub mds: [[Fr; WIDTH]; WIDTH],
}

pub fn constants() -> &'static Constants {
    static C: OnceLock<Constants> = OnceLock::new();
    C.get_or_init(|| {
        let (rounds, mds, _) = PoseidonSpec::constants();
        Constants { rounds, mds }
    })
}

/// Whether `round` applies the S-box to every state word.
pub fn is_full(round: usize) -> bool {
    !(FULL_ROUNDS / 2..FULL_ROUNDS / 2 + PARTIAL_ROUNDS).contains(&round)
}

pub fn sbox(x: Fr) -> Fr {
    x.pow_vartime([5])
}

/// The permutation, natively.
pub fn permute(state: &mut [Fr; WIDTH]) {
    let c = constants();
    for (round, rc) in c.rounds.iter().enumerate() {
        for (s, k) in state.iter_mut().zip(rc) {
            *s += k;
        }
        if is_full(round) {
            state.iter_mut().for_each(|s| *s = sbox(*s));
        } else {
            state[0] = sbox(state[0]);
        }
        let old = *state;
        for (i, s) in state.iter_mut().enumerate() {
            *s = (0..WIDTH).fold(Fr::ZERO, |acc, j| acc + c.mds[i][j] * old[j]);
        }
    }
}

/// The capacity element that separates hashes of different lengths.
pub fn capacity(len: usize) -> Fr {
    Fr::from_u128((len as u128) << 64)
}

/// Poseidon of `values`, natively (what the circuit exposes).
pub fn native_hash(values: &[Fr]) -> Fr {
    let mut state = [Fr::ZERO, Fr::ZERO, capacity(values.len())];
    for chunk in padded_chunks(values.len()) {
        for (k, &i) in chunk.iter().enumerate() {
            if let Some(i) = i {
                state[k] += values[i];
            }
        }
        permute(&mut state);
    }
    state[0]
}

/// Indices of the values absorbed by each permutation (`None`: zero padding). An empty input
/// still runs one permutation, as the sponge it mirrors does.
pub fn padded_chunks(len: usize) -> Vec<[Option<usize>; RATE]> {
    let chunks = len.div_ceil(RATE).max(1);
    (0..chunks).map(|c| [0, 1].map(|k| Some(c * RATE + k).filter(|&i| i < len))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::ff::Field;
    use poseidon_primitives::poseidon::primitives::{ConstantLength, Hash};

    fn reference<const L: usize>(values: [Fr; L]) -> Fr {
        Hash::<Fr, PoseidonSpec, ConstantLength<L>, 3, 2>::init().hash(values)
    }

    #[test]
    fn native_hash_is_the_reference_implementation() {
        let v: Vec<Fr> = (1..=5u64).map(Fr::from).collect();
        assert_eq!(native_hash(&v[..1]), reference([v[0]]));
        assert_eq!(native_hash(&v[..2]), reference([v[0], v[1]]));
        assert_eq!(native_hash(&v[..4]), reference([v[0], v[1], v[2], v[3]]));
        assert_eq!(native_hash(&v), reference([v[0], v[1], v[2], v[3], v[4]]));
        assert_eq!(native_hash(&[-Fr::ONE, Fr::ZERO]), reference([-Fr::ONE, Fr::ZERO]));
        // Length is part of the hash: a trailing zero is not padding.
        assert_ne!(native_hash(&v[..1]), native_hash(&[v[0], Fr::ZERO]));
    }
}
