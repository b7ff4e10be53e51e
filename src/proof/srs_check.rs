//! Whether a set of KZG parameters is one SRS for one unknown secret `s`, checked with pairings
//! and random linear combinations so the cost is a few multi-exponentiations, not one pairing per
//! point.
//!
//! What a file must satisfy: the standard generators; a secret that is neither 0 nor 1 (a fresh
//! snarkjs ceremony before any contribution has `s = 1`); `[s]G2` in G2's prime-order subgroup
//! (the curve check alone lets a point of the wrong order through); every `g[i+1] = [s]g[i]`,
//! checked at once as `e(Σρ_i·g[i+1], G2) = e(Σρ_i·g[i], [s]G2)` for random ρ; and, when the
//! Lagrange points come from the file, that they are the monomial points' basis change:
//! `Σv_i·L_i = Σc_j·g[j]` where `c` is the inverse FFT of random `v`. A random file, a truncated
//! or edited one, or a mix of two ceremonies fails one of these with overwhelming probability.

use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::halo2curves::bn256::{pairing, Bn256, Fr, G1Affine, G2Affine, G2};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_proofs::poly::commitment::{Blind, Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::poly::EvaluationDomain;
use rand_core::OsRng;

/// Checks `params`; `lagrange_from_file` says whether its Lagrange points were read (and must be
/// checked) or computed here from the monomial ones.
pub fn check_srs(params: &ParamsKZG<Bn256>, lagrange_from_file: bool) -> Result<(), String> {
    let g = params.get_g();
    let (g2, s_g2) = (params.g2(), params.s_g2());
    if g[0] != G1Affine::generator() || g2 != G2Affine::generator() {
        return Err("its first points are not the BN254 generators".into());
    }
    if s_g2 == g2 || bool::from(s_g2.is_identity()) || g.get(1).is_some_and(|g1| *g1 == g[0]) {
        return Err("its secret is 0 or 1 (a ceremony file with no contribution yet?)".into());
    }
    // [r-1]P + P is the identity exactly when P's order divides r.
    let s = G2::from(s_g2);
    if !bool::from((s * (-Fr::ONE) + s).is_identity()) {
        return Err("[s]G2 is not in G2's prime-order subgroup".into());
    }
    if g.len() > 1 {
        let rho: Vec<Fr> = (0..g.len() - 1).map(|_| Fr::random(OsRng)).collect();
        let lower = best_multiexp(&rho, &g[..g.len() - 1]).to_affine();
        let upper = best_multiexp(&rho, &g[1..]).to_affine();
        if pairing(&upper, &g2) != pairing(&lower, &s_g2) {
            return Err(if pairing(&g[1], &g2) != pairing(&g[0], &s_g2) {
                "[s]G1 and [s]G2 are for different secrets".into()
            } else {
                "its G1 points are not successive powers of one secret (corrupted or edited?)".into()
            });
        }
    }
    if lagrange_from_file {
        let values: Vec<Fr> = (0..g.len()).map(|_| Fr::random(OsRng)).collect();
        let domain = EvaluationDomain::<Fr>::new(1, params.k());
        let coeffs = domain.lagrange_to_coeff(domain.lagrange_from_vec(values.clone()));
        let by_lagrange = params.commit_lagrange(&domain.lagrange_from_vec(values), Blind(Fr::ZERO));
        let by_monomial = params.commit(&coeffs, Blind(Fr::ZERO));
        if by_lagrange.to_affine() != by_monomial.to_affine() {
            return Err("its Lagrange points are not the monomial points' basis change".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::SerdeFormat;

    fn params(k: u32) -> ParamsKZG<Bn256> {
        crate::proof::srs::generate_dev_srs(k)
    }

    /// Rebuilds params with some monomial points replaced, the Lagrange ones recomputed (as a
    /// `.ptau` import does), so only the powers check can notice.
    fn with_g(p: &ParamsKZG<Bn256>, edit: impl Fn(&mut Vec<G1Affine>)) -> ParamsKZG<Bn256> {
        let mut g = p.get_g().to_vec();
        edit(&mut g);
        p.from_parts(p.k(), g, None, p.g2(), p.s_g2())
    }

    #[test]
    fn a_real_srs_passes_both_ways() {
        let p = params(5);
        check_srs(&p, true).unwrap();
        check_srs(&with_g(&p, |_| ()), false).unwrap();
    }

    #[test]
    fn one_point_out_of_the_power_chain_is_found() {
        let p = params(5);
        for i in [2, 17, 31] {
            let bad = with_g(&p, |g| g[i] = (g[i] + G1Affine::generator()).to_affine());
            let why = check_srs(&bad, false).unwrap_err();
            assert!(why.contains("successive powers"), "point {i}: {why}");
        }
        let bad = with_g(&p, |g| g[1] = (g[1] + G1Affine::generator()).to_affine());
        assert!(check_srs(&bad, false).unwrap_err().contains("different secrets"));
    }

    #[test]
    fn a_trivial_or_foreign_secret_is_refused() {
        let p = params(4);
        let one = p.from_parts(4, vec![G1Affine::generator(); 16], None, p.g2(), p.g2());
        assert!(check_srs(&one, false).unwrap_err().contains("0 or 1"));
        let other = params(4).from_parts(4, p.get_g().to_vec(), None, p.g2(), (p.s_g2() + p.g2()).to_affine());
        assert!(check_srs(&other, false).unwrap_err().contains("different secrets"));
        let moved = p.from_parts(4, p.get_g().to_vec(), None, G2Affine::identity(), p.s_g2());
        assert!(check_srs(&moved, false).unwrap_err().contains("generators"));
    }

    #[test]
    fn a_g2_point_outside_the_subgroup_is_refused() {
        use halo2_proofs::halo2curves::bn256::{Fq, Fq2};
        use halo2_proofs::halo2curves::CurveAffine;
        // A point of the twist with a small x: on the curve, and (the cofactor being huge) not of
        // order r.
        let off = (1u64..)
            .find_map(|i| {
                let x = Fq2 { c0: Fq::from(i), c1: Fq::ONE };
                let y: Option<Fq2> = (x.square() * x + G2Affine::b()).sqrt().into();
                y.map(|y| G2Affine { x, y })
            })
            .unwrap();
        assert!(bool::from(off.is_on_curve()));
        let p = params(3);
        let bad = p.from_parts(3, p.get_g().to_vec(), None, p.g2(), off);
        assert!(check_srs(&bad, false).unwrap_err().contains("subgroup"));
    }

    #[test]
    fn lagrange_points_that_are_not_the_basis_change_are_refused() {
        let p = params(5);
        let mut bytes = Vec::new();
        p.write_custom(&mut bytes, SerdeFormat::RawBytes).unwrap();
        // Swap two Lagrange points: each is on the curve, the monomial chain is intact.
        let (a, b) = (4 + 64 * 32 + 64 * 3, 4 + 64 * 32 + 64 * 9);
        let (pa, pb) = (bytes[a..a + 64].to_vec(), bytes[b..b + 64].to_vec());
        bytes[a..a + 64].copy_from_slice(&pb);
        bytes[b..b + 64].copy_from_slice(&pa);
        let bad = ParamsKZG::<Bn256>::read_custom(&mut bytes.as_slice(), SerdeFormat::RawBytes).unwrap();
        assert!(check_srs(&bad, true).unwrap_err().contains("basis change"));
    }
}
