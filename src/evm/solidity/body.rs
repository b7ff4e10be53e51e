//! The verifier's assembly body up to the constraints: calldata and encoding checks, the
//! Fiat-Shamir transcript, powers of x, the batched inversion and the Lagrange evaluations.

use super::codegen::{fr_hex, product, rot_name, Gen};
use super::{constraints, opening, vk_points, PROOF_CPTR};

/// Offsets and rotation lists derived once from the plan, shared by several sections.
struct Layout {
    inst_cptr: usize,
    calldata_size: usize,
    rotations: Vec<i32>,
    last: i32,
    l_rotations: Vec<i32>,
    batch_fixed: usize,
    batch_len: usize,
}

/// Writes every section of the body in order; the named slots are allocated as they are first
/// used, so the order here is also the memory layout.
pub(super) fn write_body(g: &mut Gen) {
    let plan = g.plan;
    let p = &plan.proof;
    let n_inst = plan.num_instances;
    let inst_cptr = 0x84 + p.total;
    let calldata_size = inst_cptr + 32 * n_inst;
    let rotations: Vec<i32> = {
        let mut r: Vec<i32> = plan.rotation_sets.iter().flat_map(|s| s.rotations.clone()).collect();
        r.sort();
        r.dedup();
        r
    };
    let last = plan.last_rotation();
    let l_rotations: Vec<i32> = (last..=0).collect();

    // Fixed slots used by name below.
    for s in [
        "THETA",
        "BETA",
        "GAMMA",
        "Y",
        "X",
        "SY",
        "V",
        "U",
        "XN",
        "X_INV",
        "XN_MINUS_ONE_INV",
        "COMMON",
        "INSTANCE_EVAL",
        "L_0",
        "L_LAST",
        "L_BLIND",
        "ACTIVE",
        "H",
        "QUOTIENT_EVAL",
        "Z_0",
        "COMP_0_INV",
        "R_OUTER",
    ] {
        g.slots.get(s);
    }
    for &r in &rotations {
        g.slots.get(&format!("D_{}", rot_name(r)));
    }
    let batch_fixed = 3 + l_rotations.len();
    let batch_len = batch_fixed + n_inst;
    let layout = Layout { inst_cptr, calldata_size, rotations, last, l_rotations, batch_fixed, batch_len };

    checks(g, &layout);
    transcript(g, &layout);
    powers(g, &layout);
    inversion(g, &layout);
    lagrange(g, &layout);
    constraints::write_constraints(g);
    opening::write_opening(g, &layout.rotations);
}

/// Malformed calldata is rejected before any arithmetic, so later sections may read it unchecked.
fn checks(g: &mut Gen, layout: &Layout) {
    let plan = g.plan;
    let p = &plan.proof;
    let (inst_cptr, calldata_size) = (layout.inst_cptr, layout.calldata_size);
    if g.separate_vk {
        g.line("// 0. The verifying key's constant points, from the pinned verifying-key contract.");
        g.line(format!("extcodecopy(vk, VK_DATA, 0x20, {:#x})", 64 * vk_points(plan).len()));
        g.blank();
    }
    // 1. Calldata shape.
    g.line("// 1. Calldata must be the standard ABI encoding with the exact proof and instance lengths.");
    g.line(format!(
        "if iszero(and(and(eq(calldataload(0x04), 0x40), eq(calldataload(0x24), {:#x})), and(eq(calldataload(0x44), PROOF_LEN), eq(calldataload({:#x}), NUM_INSTANCES)))) {{",
        0x60 + p.total,
        0x64 + p.total
    ));
    g.line("    fail(ERR_CALLDATA)");
    g.line("}");
    g.line(format!("if iszero(eq(calldatasize(), {calldata_size:#x})) {{ fail(ERR_CALLDATA) }}"));
    g.blank();

    // 2. Encodings.
    g.line("// 2. Every instance and evaluation below r; every point on the curve with coordinates below q.");
    g.line(format!("for {{ let c := {inst_cptr:#x} }} lt(c, {calldata_size:#x}) {{ c := add(c, 0x20) }} {{"));
    g.line("    if iszero(lt(calldataload(c), R)) { fail(ERR_INSTANCE) }");
    g.line("}");
    g.line(format!(
        "for {{ let c := {:#x} }} lt(c, {:#x}) {{ c := add(c, 0x40) }} {{ check_point(c) }}",
        PROOF_CPTR,
        PROOF_CPTR + p.evals
    ));
    g.line(format!("check_point({:#x})", PROOF_CPTR + p.shplonk_h1));
    g.line(format!("check_point({:#x})", PROOF_CPTR + p.shplonk_h2));
    g.line(format!(
        "for {{ let c := {:#x} }} lt(c, {:#x}) {{ c := add(c, 0x20) }} {{",
        PROOF_CPTR + p.evals,
        PROOF_CPTR + p.shplonk_h1
    ));
    g.line("    if iszero(lt(calldataload(c), R)) { fail(ERR_SCALAR) }");
    g.line("}");
    g.blank();
}

fn transcript(g: &mut Gen, layout: &Layout) {
    let plan = g.plan;
    let p = &plan.proof;
    let n_inst = plan.num_instances;
    let inst_cptr = layout.inst_cptr;
    // 3. Transcript.
    g.line("// 3. Fiat-Shamir: replay the Keccak transcript (buffer = previous digest || new data).");
    g.line("mstore(TRANSCRIPT, VK_DIGEST)");
    g.line(format!("calldatacopy(add(TRANSCRIPT, 0x20), {inst_cptr:#x}, {:#x})", 32 * n_inst));
    g.line(format!(
        "calldatacopy(add(TRANSCRIPT, {:#x}), {:#x}, {:#x})",
        0x20 + 32 * n_inst,
        PROOF_CPTR + p.advice,
        p.lookup_permuted - p.advice
    ));
    g.line(format!("mstore(THETA, squeeze({:#x}))", 0x20 + 32 * n_inst + p.lookup_permuted - p.advice));
    let absorb = |g: &mut Gen, from: usize, to: usize, slot: &str| {
        g.line(format!("calldatacopy(add(TRANSCRIPT, 0x20), {:#x}, {:#x})", PROOF_CPTR + from, to - from));
        g.line(format!("mstore({slot}, squeeze({:#x}))", 0x20 + to - from));
    };
    absorb(g, p.lookup_permuted, p.permutation_z, "BETA");
    g.line("mstore(GAMMA, squeeze(0x20))");
    absorb(g, p.permutation_z, p.quotient, "Y");
    absorb(g, p.quotient, p.evals, "X");
    absorb(g, p.evals, p.shplonk_h1, "SY");
    g.line("mstore(V, squeeze(0x20))");
    absorb(g, p.shplonk_h1, p.shplonk_h2, "U");
    g.blank();
}

fn powers(g: &mut Gen, layout: &Layout) {
    let plan = g.plan;
    // 4. Powers and differences.
    g.line("// 4. x^n, and u - x w^r for every opening rotation r.");
    g.line("{");
    g.line("    let x := mload(X)");
    g.line("    let xn := x");
    g.line(format!("    for {{ let i := 0 }} lt(i, {}) {{ i := add(i, 1) }} {{ xn := mulmod(xn, xn, R) }}", plan.k));
    g.line("    mstore(XN, xn)");
    g.line("    let u := mload(U)");
    for &r in &layout.rotations {
        g.line(format!(
            "    mstore(D_{}, addmod(u, sub(R, mulmod(x, {}, R)), R))",
            rot_name(r),
            fr_hex(&plan.omega_pow(r))
        ));
    }
    g.line("}");
    g.blank();
}

fn inversion(g: &mut Gen, layout: &Layout) {
    let plan = g.plan;
    let n_inst = plan.num_instances;
    let Layout { rotations, last, l_rotations, batch_fixed, batch_len, .. } = layout;
    let (last, batch_fixed, batch_len) = (*last, *batch_fixed, *batch_len);
    // 5. Batch inversion.
    let comp0: Vec<i32> = rotations.iter().copied().filter(|r| !plan.rotation_sets[0].rotations.contains(r)).collect();
    g.line(format!(
        "// 5. One batched inversion (a single modexp): x, x^n - 1, the SHPLONK normaliser, x - w^r for r in [{last}, 0], x - w^i per instance."
    ));
    g.slots.region("INV", batch_len);
    g.slots.region("PRE", batch_len);
    g.line("{");
    g.line("    let x := mload(X)");
    g.line("    mstore(INV, x)");
    g.line("    mstore(add(INV, 0x20), addmod(mload(XN), sub(R, 1), R))");
    g.line(format!("    mstore(add(INV, 0x40), {})", product(&comp0)));
    for (i, &r) in l_rotations.iter().enumerate() {
        g.line(format!(
            "    mstore(add(INV, {:#x}), addmod(x, sub(R, {}), R))",
            32 * (3 + i),
            fr_hex(&plan.omega_pow(r))
        ));
    }
    if n_inst > 0 {
        g.line("    let w := 1");
        g.line(format!(
            "    for {{ let i := {:#x} }} lt(i, {:#x}) {{ i := add(i, 0x20) }} {{",
            32 * batch_fixed,
            32 * batch_len
        ));
        g.line("        mstore(add(INV, i), addmod(x, sub(R, w), R))");
        g.line("        w := mulmod(w, OMEGA, R)");
        g.line("    }");
    }
    g.line(format!("    batch_invert({batch_len:#x})"));
    g.line("    mstore(X_INV, mload(INV))");
    g.line("    mstore(XN_MINUS_ONE_INV, mload(add(INV, 0x20)))");
    g.line("    mstore(COMP_0_INV, mload(add(INV, 0x40)))");
    g.line("}");
    g.blank();
}

fn lagrange(g: &mut Gen, layout: &Layout) {
    let plan = g.plan;
    let n_inst = plan.num_instances;
    let Layout { inst_cptr, last, l_rotations, batch_fixed, .. } = layout;
    let (inst_cptr, last, batch_fixed) = (*inst_cptr, *last, *batch_fixed);
    // 6. Lagrange evaluations.
    g.line("// 6. Lagrange basis values l_r(x) = w^r (x^n - 1) / (n (x - w^r)) and the instance evaluation.");
    g.line("mstore(COMMON, mulmod(addmod(mload(XN), sub(R, 1), R), N_INV, R))");
    let l_of = |i: usize, r: i32| {
        format!(
            "mulmod(mulmod(mload(add(INV, {:#x})), {}, R), mload(COMMON), R)",
            32 * (3 + i),
            fr_hex(&plan.omega_pow(r))
        )
    };
    g.line(format!("mstore(L_LAST, {})", l_of(0, last)));
    g.line(format!("mstore(L_0, {})", l_of(l_rotations.len() - 1, 0)));
    g.line("{");
    g.line("    let blind := 0");
    for (i, &r) in l_rotations.iter().enumerate().skip(1).take(l_rotations.len() - 2) {
        g.line(format!("    blind := addmod(blind, {}, R)", l_of(i, r)));
    }
    g.line("    mstore(L_BLIND, blind)");
    g.line("    mstore(ACTIVE, addmod(1, sub(R, addmod(mload(L_LAST), blind, R)), R))");
    g.line("}");
    g.line("{");
    g.line("    let acc := 0");
    if n_inst > 0 {
        g.line("    let w := 1");
        g.line(format!("    for {{ let i := 0 }} lt(i, {:#x}) {{ i := add(i, 0x20) }} {{", 32 * n_inst));
        g.line(format!(
            "        acc := addmod(acc, mulmod(calldataload(add({inst_cptr:#x}, i)), mulmod(w, mload(add(INV, add({:#x}, i))), R), R), R)",
            32 * batch_fixed
        ));
        g.line("        w := mulmod(w, OMEGA, R)");
        g.line("    }");
    }
    g.line("    mstore(INSTANCE_EVAL, mulmod(acc, mload(COMMON), R))");
    g.line("}");
    g.blank();
}
