//! Section 7 of the verifier body: every gate, permutation and lookup constraint evaluated at x and
//! folded into one value with powers of y.

use halo2_proofs::halo2curves::ff::Field;

use super::codegen::{fr_hex, Gen};
use crate::evm::plan::Expr;

pub(super) fn write_constraints(g: &mut Gen) {
    let plan = g.plan;
    // 7. Constraints.
    g.line("// 7. Every constraint at x, folded with powers of y: gates, permutation, lookups.");
    g.line("mstore(H, 0)");
    for (i, gate) in plan.gates.iter().enumerate() {
        g.line(format!("// gate polynomial {i}"));
        let v = g.expr(gate);
        g.fold(&v);
    }
    let e = &plan.evals;
    let sets = &e.permutation_sets;
    g.line("// permutation: z_0(x) = 1 on the first row, z_last(x) in {0, 1} on the last");
    g.fold(&format!("mulmod(mload(L_0), addmod(1, sub(R, {}), R), R)", g.eval(sets[0].0)));
    let zl = g.eval(sets[sets.len() - 1].0);
    g.fold(&format!("mulmod(mload(L_LAST), addmod(mulmod({zl}, {zl}, R), sub(R, {zl}), R), R)"));
    for s in 1..sets.len() {
        g.line(format!("// permutation: set {s} starts where set {} ended", s - 1));
        g.fold(&format!(
            "mulmod(mload(L_0), addmod({}, sub(R, {}), R), R)",
            g.eval(sets[s].0),
            g.eval(sets[s - 1].2.unwrap())
        ));
    }
    for (s, cols) in plan.permutation_columns.chunks(plan.chunk_len).enumerate() {
        g.line(format!(
            "// permutation: grand product over columns {}..{}",
            s * plan.chunk_len,
            s * plan.chunk_len + cols.len()
        ));
        g.line("{");
        g.line("    let beta := mload(BETA)");
        g.line("    let gamma := mload(GAMMA)");
        g.line(format!("    let left := {}", g.eval(sets[s].1)));
        g.line(format!("    let right := {}", g.eval(sets[s].0)));
        let delta0 = plan.delta.pow_vartime([(s * plan.chunk_len) as u64]);
        g.line(format!("    let d := mulmod(mulmod(beta, mload(X), R), {}, R)", fr_hex(&delta0)));
        for (j, c) in cols.iter().enumerate() {
            let ce = g.column_eval(c);
            let sigma = g.eval(e.sigma + s * plan.chunk_len + j);
            g.line(format!("    left := mulmod(left, addmod(addmod({ce}, mulmod(beta, {sigma}, R), R), gamma, R), R)"));
            g.line(format!("    right := mulmod(right, addmod(addmod({ce}, d, R), gamma, R), R)"));
            if j + 1 < cols.len() {
                g.line("    d := mulmod(d, DELTA, R)");
            }
        }
        g.line("    mstore(H, addmod(mulmod(mload(H), mload(Y), R), mulmod(addmod(left, sub(R, right), R), mload(ACTIVE), R), R))");
        g.line("}");
    }
    for (l, lookup) in plan.lookups.iter().enumerate() {
        let [z, z_next, a, a_prev, s] = e.lookups[l];
        let (z, z_next, a, a_prev, s) = (g.eval(z), g.eval(z_next), g.eval(a), g.eval(a_prev), g.eval(s));
        g.line(format!("// lookup {l}: compressed input and table expressions"));
        let input = compress(g, &lookup.inputs);
        let table = compress(g, &lookup.tables);
        g.fold(&format!("mulmod(mload(L_0), addmod(1, sub(R, {z}), R), R)"));
        g.fold(&format!("mulmod(mload(L_LAST), addmod(mulmod({z}, {z}, R), sub(R, {z}), R), R)"));
        g.line("{");
        g.line("    let beta := mload(BETA)");
        g.line("    let gamma := mload(GAMMA)");
        g.line(format!("    let left := mulmod(mulmod({z_next}, addmod({a}, beta, R), R), addmod({s}, gamma, R), R)"));
        g.line(format!(
            "    let right := mulmod(mulmod({z}, addmod({input}, beta, R), R), addmod({table}, gamma, R), R)"
        ));
        g.line("    mstore(H, addmod(mulmod(mload(H), mload(Y), R), mulmod(addmod(left, sub(R, right), R), mload(ACTIVE), R), R))");
        g.line("}");
        g.fold(&format!("mulmod(mload(L_0), addmod({a}, sub(R, {s}), R), R)"));
        g.fold(&format!(
            "mulmod(mulmod(addmod({a}, sub(R, {s}), R), addmod({a}, sub(R, {a_prev}), R), R), mload(ACTIVE), R)"
        ));
    }
    g.line("mstore(QUOTIENT_EVAL, mulmod(mload(H), mload(XN_MINUS_ONE_INV), R))");
    g.blank();
}

/// Lookups compare tuples of expressions as one value, compressed with powers of theta as halo2 does.
fn compress(g: &mut Gen, exprs: &[Expr]) -> String {
    let mut acc = String::from("0");
    for e in exprs {
        let v = g.expr(e);
        acc = g.temp(format!("addmod(mulmod({acc}, mload(THETA), R), {v}, R)"));
    }
    acc
}
