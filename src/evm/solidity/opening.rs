//! Sections 8 and 9 of the verifier body: the SHPLONK multi-opening folded into one MSM, then the
//! final pairing check.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;

use super::codegen::{fr_hex, g1_words, g2_words, product, Gen};
use super::PROOF_CPTR;
use crate::evm::plan::{Commitment, Eval};

pub(super) fn write_opening(g: &mut Gen, rotations: &[i32]) {
    shplonk(g, rotations);
    pairing(g);
}

fn shplonk(g: &mut Gen, rotations: &[i32]) {
    let plan = g.plan;
    let p = &plan.proof;
    // 8. SHPLONK.
    g.line("// 8. SHPLONK: fold every opening into one MSM, sum_i v^i z_diff_i sum_j y^j (C_ij - r_ij(u)).");
    g.line(format!("mstore(Z_0, {})", product(&plan.rotation_sets[0].rotations)));
    g.line("mstore(R_OUTER, 0)");
    g.line("mstore(0x80, 0)");
    g.line("mstore(0xa0, 0)");
    g.slots.get("SET_SCALE");
    g.slots.get("COEF");
    for (i, set) in plan.rotation_sets.iter().enumerate() {
        let comp: Vec<i32> = rotations.iter().copied().filter(|r| !set.rotations.contains(r)).collect();
        g.line(format!("// rotation set {i}: rotations {:?}, {} commitment(s)", set.rotations, set.commitments.len()));
        if i == 0 {
            g.line("mstore(SET_SCALE, 1)");
        } else {
            let vpow = if i == 1 { "mload(V)".to_string() } else { format!("exp_r(mload(V), {i})") };
            g.line(format!("mstore(SET_SCALE, mulmod(mulmod({vpow}, {}, R), mload(COMP_0_INV), R))", product(&comp)));
        }
        // Lagrange basis at u over this set's points: L_a(u) = prod_{b != a} (u - p_b) / (x^(m-1) c_a).
        let m = set.rotations.len();
        let mut basis = Vec::new();
        if m > 1 {
            let x_inv_pow = (0..m - 1).map(|_| "mload(X_INV)".to_string()).collect::<Vec<_>>();
            for (a, &ra) in set.rotations.iter().enumerate() {
                let others: Vec<i32> = set.rotations.iter().copied().filter(|&rb| rb != ra).collect();
                let c_a = others.iter().fold(Fr::ONE, |acc, &rb| acc * (plan.omega_pow(ra) - plan.omega_pow(rb)));
                let mut term = format!("mulmod({}, {}, R)", product(&others), fr_hex(&c_a.invert().unwrap()));
                for xi in &x_inv_pow {
                    term = format!("mulmod({term}, {xi}, R)");
                }
                let name = format!("BASIS_{i}_{a}");
                g.slots.get(&name);
                g.line(format!("mstore({name}, {term})"));
                basis.push(name);
            }
        }
        for (j, (c, evals)) in set.commitments.iter().enumerate() {
            if j == 0 {
                g.line("mstore(COEF, mload(SET_SCALE))");
            } else {
                g.line("mstore(COEF, mulmod(mload(COEF), mload(SY), R))");
            }
            let ev = |g: &Gen, e: &Eval| match e {
                Eval::Proof(k) => g.eval(*k),
                Eval::Quotient => "mload(QUOTIENT_EVAL)".to_string(),
            };
            let r_u = if m == 1 {
                ev(g, &evals[0])
            } else {
                let mut acc = String::from("0");
                for (a, e) in evals.iter().enumerate() {
                    acc = format!("addmod({acc}, mulmod({}, mload({}), R), R)", ev(g, e), basis[a]);
                }
                acc
            };
            g.line(format!("mstore(R_OUTER, addmod(mload(R_OUTER), mulmod(mload(COEF), {r_u}, R), R))"));
            // The first commitment of the first set has the coefficient 1.
            msm_terms(g, c, i == 0 && j == 0);
        }
    }
    g.line("// -r_outer G1, -z_0 h1, +u h2");
    let g1 = g1_words(&plan.g1);
    g.line(format!("msm_term({}, {}, sub(R, mload(R_OUTER)))", g1[0], g1[1]));
    g.line(format!(
        "msm_term(calldataload({:#x}), calldataload({:#x}), sub(R, mload(Z_0)))",
        PROOF_CPTR + p.shplonk_h1,
        PROOF_CPTR + p.shplonk_h1 + 32
    ));
    g.line(format!(
        "msm_term(calldataload({:#x}), calldataload({:#x}), mload(U))",
        PROOF_CPTR + p.shplonk_h2,
        PROOF_CPTR + p.shplonk_h2 + 32
    ));
    g.blank();
}

fn pairing(g: &mut Gen) {
    let plan = g.plan;
    let p = &plan.proof;
    // 9. Pairing.
    let s_g2 = g2_words(&plan.s_g2);
    let neg_g2 = g2_words(&-plan.g2);
    g.line("// 9. e(h2, [s]G2) * e(right, -G2) == 1");
    g.line("{");
    g.line("    let rx := mload(0x80)");
    g.line("    let ry := mload(0xa0)");
    g.line(format!("    mstore(0x00, calldataload({:#x}))", PROOF_CPTR + p.shplonk_h2));
    g.line(format!("    mstore(0x20, calldataload({:#x}))", PROOF_CPTR + p.shplonk_h2 + 32));
    for (i, w) in s_g2.iter().enumerate() {
        g.line(format!("    mstore({:#x}, {w})", 0x40 + 32 * i));
    }
    g.line("    mstore(0xc0, rx)");
    g.line("    mstore(0xe0, ry)");
    for (i, w) in neg_g2.iter().enumerate() {
        g.line(format!("    mstore({:#x}, {w})", 0x100 + 32 * i));
    }
    g.line("    // A chain without the precompile would \"succeed\" with no output: require the 32-byte result.");
    g.line("    // (Yul evaluates arguments right to left: the call must come first, in its own statement.)");
    g.line("    let ok := staticcall(gas(), 0x08, 0x00, 0x180, 0x00, 0x20)");
    g.line("    if iszero(and(ok, eq(returndatasize(), 0x20))) { fail(ERR_PRECOMPILE) }");
    g.line("    if iszero(eq(mload(0x00), 1)) { fail(ERR_REJECTED) }");
    g.line("}");
    g.line("mstore(0x00, 1)");
    g.line("return(0x00, 0x20)");
}

/// Adds `COEF * C` to the MSM (the quotient: `COEF * x^(n i) * h_i` per piece). With `unit`,
/// `COEF` is 1 and the point is added as it is.
fn msm_terms(g: &mut Gen, c: &Commitment, unit: bool) {
    let plan = g.plan;
    let term = |x: String, y: String, s: &str| {
        if unit && s == "mload(COEF)" {
            format!("msm_add({x}, {y})")
        } else {
            format!("msm_term({x}, {y}, {s})")
        }
    };
    match c {
        Commitment::Fixed(_) | Commitment::Sigma(_) if g.separate_vk => {
            let index = match c {
                Commitment::Fixed(i) => *i,
                Commitment::Sigma(i) => plan.fixed_commitments.len() + i,
                _ => unreachable!(),
            };
            let (x, y) = (
                format!("mload(add(VK_DATA, {:#x}))", 64 * index),
                format!("mload(add(VK_DATA, {:#x}))", 64 * index + 32),
            );
            g.line(format!("{} // {c:?}", term(x, y, "mload(COEF)")));
        }
        // An all-zero fixed column commits to the identity: its MSM term is zero, skip the ecMul.
        Commitment::Fixed(i) if bool::from(plan.fixed_commitments[*i].is_identity()) => {
            g.line(format!("// fixed column {i} commits to the identity: no MSM term"));
        }
        Commitment::Fixed(i) => {
            let [x, y] = g1_words(&plan.fixed_commitments[*i]);
            g.line(format!("{} // fixed column {i}", term(x, y, "mload(COEF)")));
        }
        Commitment::Sigma(i) => {
            let [x, y] = g1_words(&plan.sigma_commitments[*i]);
            g.line(format!("{} // permutation sigma {i}", term(x, y, "mload(COEF)")));
        }
        Commitment::Quotient => {
            g.line("{");
            g.line("    let s := mload(COEF)");
            for i in 0..plan.quotient_pieces {
                let at = PROOF_CPTR + plan.proof.quotient + 64 * i;
                let (x, y) = (format!("calldataload({at:#x})"), format!("calldataload({:#x})", at + 32));
                let add = if unit && i == 0 { format!("msm_add({x}, {y})") } else { format!("msm_term({x}, {y}, s)") };
                g.line(format!("    {add} // quotient piece {i}"));
                if i + 1 < plan.quotient_pieces {
                    g.line("    s := mulmod(s, mload(XN), R)");
                }
            }
            g.line("}");
        }
        other => {
            let at = g.point_cptr(other).unwrap();
            let (x, y) = (format!("calldataload({at:#x})"), format!("calldataload({:#x})", at + 32));
            g.line(format!("{} // {other:?}", term(x, y, "mload(COEF)")));
        }
    }
}
