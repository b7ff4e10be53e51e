//! The development SRS, computed fast. halo2's `ParamsKZG::setup` makes every point with a
//! variable-base scalar multiplication (two per point: the monomial and the Lagrange basis), about
//! seven minutes at k = 18 on two cores. Every point is a multiple of one generator, so here the
//! scalars are computed in the field (powers of the secret, Lagrange coefficients with one batch
//! inversion) and each point is 32 additions from a table of that generator's 8-bit windows.
//!
//! The secret is drawn exactly as `setup` draws it, so the parameters are identical to
//! `ParamsKZG::setup(k, seeded rng)`: a test compares the bytes. Existing caches, keys and
//! verifying-key digests stay valid.

use halo2_proofs::arithmetic::parallelize;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine, G1};
use halo2_proofs::halo2curves::ff::{BatchInvert, Field, PrimeField};
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Windows of 8 bits: 32 of them cover a 254-bit scalar.
const WINDOWS: usize = 32;
const DIGITS: usize = 255;

/// `[d * 2^(8j)] G` for every window `j` and digit `d` in 1..=255, affine for mixed additions.
struct FixedBase {
    table: Vec<G1Affine>,
}

impl FixedBase {
    fn new(base: G1Affine) -> FixedBase {
        let mut projective = Vec::with_capacity(WINDOWS * DIGITS);
        let mut window_base: G1 = base.into();
        for _ in 0..WINDOWS {
            let mut multiple = window_base;
            for _ in 0..DIGITS {
                projective.push(multiple);
                multiple += window_base;
            }
            window_base = multiple; // 256 * window_base
        }
        let mut table = vec![G1Affine::identity(); projective.len()];
        G1::batch_normalize(&projective, &mut table);
        FixedBase { table }
    }

    fn mul(&self, scalar: &Fr) -> G1 {
        let bytes = scalar.to_repr();
        let mut acc = G1::identity();
        for (j, &d) in bytes.as_ref().iter().enumerate() {
            if d != 0 {
                acc += self.table[j * DIGITS + d as usize - 1];
            }
        }
        acc
    }

    /// `[scalar] G` for every scalar, in parallel, normalised to affine.
    fn mul_all(&self, scalars: &[Fr]) -> Vec<G1Affine> {
        let mut projective = vec![G1::identity(); scalars.len()];
        parallelize(&mut projective, |chunk, start| {
            for (p, s) in chunk.iter_mut().zip(&scalars[start..]) {
                *p = self.mul(s);
            }
        });
        let mut affine = vec![G1Affine::identity(); scalars.len()];
        parallelize(&mut affine, |chunk, start| {
            G1::batch_normalize(&projective[start..start + chunk.len()], chunk);
        });
        affine
    }
}

/// `x^start, x^(start+1), ...` filled in parallel.
fn powers(x: Fr, n: usize) -> Vec<Fr> {
    let mut out = vec![Fr::ZERO; n];
    parallelize(&mut out, |chunk, start| {
        let mut cur = x.pow_vartime([start as u64]);
        for p in chunk.iter_mut() {
            *p = cur;
            cur *= x;
        }
    });
    out
}

/// `[s]G2` for the seeded secret: what identifies the development SRS at any `k`.
pub fn dev_s_g2(seed: u64) -> G2Affine {
    (G2Affine::generator() * Fr::random(ChaCha20Rng::seed_from_u64(seed))).to_affine()
}

/// The development parameters for `k` from the seeded secret.
pub fn dev_params(k: u32, seed: u64) -> ParamsKZG<Bn256> {
    assert!(k <= Fr::S, "k above the field's two-adicity");
    let n = 1usize << k;
    let s = Fr::random(ChaCha20Rng::seed_from_u64(seed));
    let monomial = powers(s, n);

    // The Lagrange basis at s: L_i(s) = (s^n - 1) / n * w^i / (s - w^i), w a primitive n-th root.
    let mut omega = Fr::ROOT_OF_UNITY_INV.invert().unwrap();
    for _ in k..Fr::S {
        omega = omega.square();
    }
    let roots = powers(omega, n);
    let multiplier = (s.pow_vartime([n as u64]) - Fr::ONE) * Fr::from(n as u64).invert().unwrap();
    let mut lagrange: Vec<Fr> = roots.iter().map(|w| s - w).collect();
    parallelize(&mut lagrange, |chunk, _| {
        chunk.iter_mut().batch_invert();
    });
    parallelize(&mut lagrange, |chunk, start| {
        for (l, w) in chunk.iter_mut().zip(&roots[start..]) {
            *l *= multiplier * w;
        }
    });

    let base = FixedBase::new(G1Affine::generator());
    let g = base.mul_all(&monomial);
    let g_lagrange = base.mul_all(&lagrange);
    let g2 = G2Affine::generator();
    let s_g2 = (g2 * s).to_affine();
    // `from_parts` is a method on an existing instance; a k = 1 one costs nothing.
    ParamsKZG::<Bn256>::setup(1, ChaCha20Rng::seed_from_u64(0)).from_parts(k, g, Some(g_lagrange), g2, s_g2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::poly::commitment::Params;

    #[test]
    fn identical_to_halo2s_setup() {
        for k in [1, 4, 7] {
            let ours = dev_params(k, 42);
            let theirs = ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::seed_from_u64(42));
            let bytes = |p: &ParamsKZG<Bn256>| {
                let mut v = Vec::new();
                p.write(&mut v).unwrap();
                v
            };
            assert!(bytes(&ours) == bytes(&theirs), "k={k}: the fast SRS differs from halo2's");
        }
    }
}
