//! Renders a [`VerifierPlan`] as a Solidity contract: one assembly block that replays exactly the
//! algorithm of [`super::mirror`], reading the proof straight from calldata.
//!
//! Layout data (offsets, constants, expressions) comes from the plan; the code shape is fixed here,
//! section by section, each commented with what it computes. Every memory slot has a name in the
//! generated source, so a reader can follow values through the contract.
//!
//! Gas levers used: calldata-direct reads of the proof, a single batched inversion (one modexp),
//! constant points inlined, no Solidity memory management, one pairing.

use std::collections::BTreeMap;
use std::fmt::Write;

use halo2_proofs::halo2curves::bn256::{Fq, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::CurveAffine;
use sha3::{Digest, Keccak256};

use super::plan::{ColumnEval, Commitment, Eval, Expr, VerifierPlan};
use crate::proof::transcript::fr_to_be_bytes;

/// Custom errors of the generated verifier, in the order they are declared.
pub const ERRORS: &[&str] = &[
    "InvalidCalldata()",
    "InvalidInstance()",
    "InvalidPoint()",
    "InvalidScalar()",
    "PrecompileFailed()",
    "ProofRejected()",
];

/// ABI offset of the proof bytes in `verifyProof(bytes,uint256[])` calldata (standard encoding).
pub const PROOF_CPTR: usize = 0x64;

/// Names the verifier's custom error in revert data (or says it is something else).
pub fn describe_revert(data: &[u8]) -> String {
    if data.len() >= 4 {
        let sel = format!("0x{}", hex::encode(&data[..4]));
        if let Some(e) = ERRORS.iter().find(|e| selector(e) == sel) {
            return e.to_string();
        }
    }
    if data.is_empty() {
        "reverted without data (out of gas or a failed precompile)".into()
    } else {
        format!("reverted with 0x{}", hex::encode(data))
    }
}

fn selector(sig: &str) -> String {
    let h = Keccak256::digest(sig.as_bytes());
    format!("0x{}", hex::encode(&h[..4]))
}

fn fr_hex(x: &Fr) -> String {
    let b = fr_to_be_bytes(x);
    format!("0x{}", hex::encode(b))
}

fn fq_hex(x: &Fq) -> String {
    let mut b = x.to_repr();
    b.as_mut().reverse();
    format!("0x{}", hex::encode(b))
}

fn g1_words(p: &G1Affine) -> [String; 2] {
    let c = p.coordinates().unwrap();
    [fq_hex(c.x()), fq_hex(c.y())]
}

/// G2 as the pairing precompile wants it: `x.c1, x.c0, y.c1, y.c0` (imaginary part first).
fn g2_words(p: &G2Affine) -> [String; 4] {
    [fq_hex(&p.x.c1), fq_hex(&p.x.c0), fq_hex(&p.y.c1), fq_hex(&p.y.c0)]
}

/// Named memory slots, allocated in order from `base`.
struct Slots {
    next: usize,
    names: BTreeMap<String, usize>,
    order: Vec<String>,
}

impl Slots {
    fn new(base: usize) -> Self {
        Slots { next: base, names: BTreeMap::new(), order: Vec::new() }
    }
    fn get(&mut self, name: &str) -> String {
        if !self.names.contains_key(name) {
            self.names.insert(name.to_string(), self.next);
            self.order.push(name.to_string());
            self.next += 32;
        }
        name.to_string()
    }
    fn region(&mut self, name: &str, words: usize) -> String {
        let n = self.get(name);
        self.next += 32 * words.saturating_sub(1);
        n
    }
}

struct Gen<'a> {
    plan: &'a VerifierPlan,
    /// Constant points come from the verifying-key contract (copied to `VK_DATA`) instead of code.
    separate_vk: bool,
    out: String,
    indent: usize,
    slots: Slots,
    temps: usize,
}

impl<'a> Gen<'a> {
    fn line(&mut self, s: impl AsRef<str>) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    fn eval_cptr(&self, index: usize) -> usize {
        PROOF_CPTR + self.plan.proof.evals + 32 * index
    }

    fn eval(&self, index: usize) -> String {
        format!("calldataload({:#x})", self.eval_cptr(index))
    }

    fn point_cptr(&self, c: &Commitment) -> Option<usize> {
        let p = &self.plan.proof;
        let at = match *c {
            Commitment::Advice(i) => p.advice + 64 * i,
            Commitment::PermutationZ(s) => p.permutation_z + 64 * s,
            Commitment::LookupInput(l) => p.lookup_permuted + 128 * l,
            Commitment::LookupTable(l) => p.lookup_permuted + 128 * l + 64,
            Commitment::LookupZ(l) => p.lookup_z + 64 * l,
            Commitment::VanishingRandom => p.vanishing_random,
            _ => return None,
        };
        Some(PROOF_CPTR + at)
    }

    /// Emits statements computing `e` into memory temporaries; returns a leaf Yul expression.
    fn expr(&mut self, e: &Expr) -> String {
        match e {
            Expr::Constant(c) => fr_hex(c),
            Expr::Fixed(i) => self.eval(self.plan.evals.fixed + i),
            Expr::Advice(i) => self.eval(self.plan.evals.advice + i),
            Expr::Instance(_) => "mload(INSTANCE_EVAL)".to_string(),
            Expr::Negated(a) => {
                let a = self.expr(a);
                self.temp(format!("sub(R, {a})"))
            }
            Expr::Sum(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.temp(format!("addmod({a}, {b}, R)"))
            }
            Expr::Product(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.temp(format!("mulmod({a}, {b}, R)"))
            }
            Expr::Scaled(a, s) => {
                let a = self.expr(a);
                self.temp(format!("mulmod({a}, {}, R)", fr_hex(s)))
            }
        }
    }

    fn temp(&mut self, value: String) -> String {
        let name = format!("T{}", self.temps);
        self.temps += 1;
        let slot = self.slots.get(&name);
        self.line(format!("mstore({slot}, {value})"));
        format!("mload({slot})")
    }

    /// `h = h * y + c` for the next constraint `c`.
    fn fold(&mut self, c: &str) {
        self.line(format!("mstore(H, addmod(mulmod(mload(H), mload(Y), R), {c}, R))"));
    }

    fn column_eval(&self, c: &ColumnEval) -> String {
        match c {
            ColumnEval::Advice(q) => self.eval(self.plan.evals.advice + q),
            ColumnEval::Fixed(q) => self.eval(self.plan.evals.fixed + q),
            ColumnEval::Instance(_) => "mload(INSTANCE_EVAL)".into(),
        }
    }
}

/// The generated Solidity source of the verifier contract `contract_name`.
pub fn render_verifier(plan: &VerifierPlan, contract_name: &str, title: &str) -> String {
    render(plan, contract_name, title, None)
}

/// Constant points of the verifying key, in the order the verifier reads them: fixed commitments,
/// then permutation sigma commitments.
fn vk_points(plan: &VerifierPlan) -> Vec<G1Affine> {
    plan.fixed_commitments.iter().chain(&plan.sigma_commitments).copied().collect()
}

/// Runtime code of the verifying-key contract: one zero word (a STOP, so calls do nothing) then
/// every constant point as `x || y`. The verifier copies it with EXTCODECOPY.
pub fn vk_runtime_code(plan: &VerifierPlan) -> Vec<u8> {
    let mut code = vec![0u8; 32];
    for p in vk_points(plan) {
        code.extend_from_slice(&crate::proof::transcript::encode_point(&p));
    }
    code
}

/// Split mode: a data-only verifying-key contract and a verifier that pins it by codehash.
/// Returns `(verifier source, verifying-key source)`.
pub fn render_split(plan: &VerifierPlan, verifier_name: &str, vk_name: &str, title: &str) -> (String, String) {
    let code = vk_runtime_code(plan);
    let codehash = Keccak256::digest(&code);
    let verifier = render(plan, verifier_name, title, Some((vk_name, format!("0x{}", hex::encode(codehash)))));
    let hash = format!("0x{}", hex::encode(codehash));
    let mut words = String::new();
    for (i, chunk) in code.chunks(32).enumerate() {
        let _ = writeln!(words, "            mstore({:#x}, 0x{})", 32 * i, hex::encode(chunk));
    }
    let vk = format!(
        "// SPDX-License-Identifier: MIT\n\
pragma solidity ^0.8.20;\n\
\n\
/// @title Verifying key for {title}\n\
/// @notice Data only: its runtime code is one zero word (STOP) followed by the circuit's fixed and\n\
/// permutation commitments. `{verifier_name}` copies it with EXTCODECOPY and, at deployment, requires\n\
/// its codehash to be {hash}. Generated by zkinfer {version}: do not edit.\n\
contract {vk_name} {{\n\
    constructor() {{\n\
        assembly {{\n\
{words}\
            return(0x00, {len:#x})\n\
        }}\n\
    }}\n\
}}\n",
        version = env!("CARGO_PKG_VERSION"),
        len = code.len(),
    );
    (verifier, vk)
}

fn render(plan: &VerifierPlan, contract_name: &str, title: &str, split: Option<(&str, String)>) -> String {
    let separate_vk = split.is_some();
    let mut g = Gen { plan, separate_vk, out: String::new(), indent: 3, slots: Slots::new(0x200), temps: 0 };
    if separate_vk {
        g.slots.region("VK_DATA", 2 * vk_points(plan).len());
    }
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

    if separate_vk {
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
    absorb(&mut g, p.lookup_permuted, p.permutation_z, "BETA");
    g.line("mstore(GAMMA, squeeze(0x20))");
    absorb(&mut g, p.permutation_z, p.quotient, "Y");
    absorb(&mut g, p.quotient, p.evals, "X");
    absorb(&mut g, p.evals, p.shplonk_h1, "SY");
    g.line("mstore(V, squeeze(0x20))");
    absorb(&mut g, p.shplonk_h1, p.shplonk_h2, "U");
    g.blank();

    // 4. Powers and differences.
    g.line("// 4. x^n, and u - x w^r for every opening rotation r.");
    g.line("{");
    g.line("    let x := mload(X)");
    g.line("    let xn := x");
    g.line(format!("    for {{ let i := 0 }} lt(i, {}) {{ i := add(i, 1) }} {{ xn := mulmod(xn, xn, R) }}", plan.k));
    g.line("    mstore(XN, xn)");
    g.line("    let u := mload(U)");
    for &r in &rotations {
        g.line(format!(
            "    mstore(D_{}, addmod(u, sub(R, mulmod(x, {}, R)), R))",
            rot_name(r),
            fr_hex(&plan.omega_pow(r))
        ));
    }
    g.line("}");
    g.blank();

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
        let input = compress(&mut g, &lookup.inputs);
        let table = compress(&mut g, &lookup.tables);
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

    // 8. SHPLONK.
    g.line("// 8. SHPLONK: fold every opening into one MSM, sum_i v^i z_diff_i sum_j y^j (C_ij - r_ij(u)).");
    g.line(format!("mstore(Z_0, {})", product(&plan.rotation_sets[0].rotations)));
    g.line("mstore(R_OUTER, 0)");
    g.line("mstore(0x80, 0)");
    g.line("mstore(0xa0, 0)");
    g.slots.get("SCALE");
    g.slots.get("COEF");
    for (i, set) in plan.rotation_sets.iter().enumerate() {
        let comp: Vec<i32> = rotations.iter().copied().filter(|r| !set.rotations.contains(r)).collect();
        g.line(format!("// rotation set {i}: rotations {:?}, {} commitment(s)", set.rotations, set.commitments.len()));
        if i == 0 {
            g.line("mstore(SCALE, 1)");
        } else {
            let vpow = if i == 1 { "mload(V)".to_string() } else { format!("exp_r(mload(V), {i})") };
            g.line(format!("mstore(SCALE, mulmod(mulmod({vpow}, {}, R), mload(COMP_0_INV), R))", product(&comp)));
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
                g.line("mstore(COEF, mload(SCALE))");
            } else {
                g.line("mstore(COEF, mulmod(mload(COEF), mload(SY), R))");
            }
            let ev = |g: &Gen, e: &Eval| match e {
                Eval::Proof(k) => g.eval(*k),
                Eval::Quotient => "mload(QUOTIENT_EVAL)".to_string(),
            };
            let r_u = if m == 1 {
                ev(&g, &evals[0])
            } else {
                let mut acc = String::from("0");
                for (a, e) in evals.iter().enumerate() {
                    acc = format!("addmod({acc}, mulmod({}, mload({}), R), R)", ev(&g, e), basis[a]);
                }
                acc
            };
            g.line(format!("mstore(R_OUTER, addmod(mload(R_OUTER), mulmod(mload(COEF), {r_u}, R), R))"));
            msm_terms(&mut g, c);
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

    let body = std::mem::take(&mut g.out);
    let transcript_at = g.slots.next;

    // Contract constants (rendered after the body so every slot is known). Inline assembly reads
    // them as literals, so they cost no stack slots.
    let mut c = String::new();
    // NUM_INSTANCES and VK_DIGEST are public: a consumer or a keeper can ask an address which
    // circuit it verifies, and with how many instances, instead of trusting a deployment record.
    let mut constant = |name: &str, value: String, doc: &str| {
        let public = matches!(name, "NUM_INSTANCES" | "VK_DIGEST");
        let (tag, visibility) = if public { ("@notice ", "public") } else { ("", "internal") };
        if !doc.is_empty() {
            let _ = writeln!(c, "    /// {tag}{doc}");
        }
        let _ = writeln!(c, "    uint256 {visibility} constant {name} = {value};");
    };
    constant(
        "R",
        "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001".into(),
        "Scalar field modulus r.",
    );
    constant("Q", "0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47".into(), "Base field modulus q.");
    constant("PROOF_LEN", format!("{:#x}", p.total), "Proof length in bytes.");
    constant("NUM_INSTANCES", format!("{n_inst:#x}"), "Number of public instances.");
    constant(
        "VK_DIGEST",
        fr_hex(&plan.transcript_repr),
        "halo2's verifying-key hash (pins the constraint system and the fixed and permutation commitments).",
    );
    constant("OMEGA", fr_hex(&plan.omega), &format!("Generator of the 2^{} evaluation domain.", plan.k));
    constant("DELTA", fr_hex(&plan.delta), "Coset generator of the permutation argument.");
    constant("N_INV", fr_hex(&Fr::from(plan.n).invert().unwrap()), "1 / n mod r.");
    for (e, name) in ERRORS.iter().zip(ERROR_NAMES) {
        constant(name, selector(e), &format!("Selector of {e}."));
    }
    let _ = writeln!(c, "    // Memory: 0x00-0x1ff precompile scratch (0x80-0xbf: MSM accumulator), then named slots.");
    for name in &g.slots.order {
        let _ = writeln!(c, "    uint256 internal constant {name} = {:#x};", g.slots.names[name]);
    }
    let _ = writeln!(c, "    uint256 internal constant TRANSCRIPT = {transcript_at:#x};");

    let mut errors: String = ERRORS.iter().map(|e| format!("    error {e};\n")).collect();
    let (vk_note, vk_state, vk_load) = match &split {
        None => (
            "The verifying key is built in; proofs for any other circuit are rejected.".to_string(),
            String::new(),
            String::new(),
        ),
        Some((vk_name, hash)) => {
            errors += "    error WrongVerifyingKey();\n";
            (
                format!(
                    "The verifying key lives in a `{vk_name}` contract whose address is fixed at deployment and whose\n/// codehash must be {hash}; consumers pin this verifier's address (and may check `verifyingKey()`)."
                ),
                format!(
                    "    /// @notice keccak256 of the verifying-key contract's runtime code.\n    bytes32 public constant VK_CODEHASH = {hash};\n    /// @notice The verifying-key contract this verifier reads.\n    address public immutable verifyingKey;\n\n    constructor(address vk) {{\n        if (vk.codehash != VK_CODEHASH) revert WrongVerifyingKey();\n        verifyingKey = vk;\n    }}\n\n"
                ),
                "        address vk = verifyingKey;\n".to_string(),
            )
        }
    };
    format!(
        "// SPDX-License-Identifier: MIT\n\
pragma solidity ^0.8.20;\n\
\n\
/// @title {title}\n\
/// @notice Verifies halo2 (KZG on BN254, SHPLONK) proofs of one zkinfer circuit. Generated by zkinfer\n\
/// {version}: do not edit. {vk_note}\n\
/// @dev Calldata must use the standard ABI encoding of verifyProof(bytes,uint256[]) with exactly\n\
/// {proof_len} proof bytes and {n_inst} instances (32-byte field elements below r; a negative fixed-point\n\
/// value x is r - |x|).\n\
contract {contract_name} {{\n\
{errors}\n\
{c}\n\
{vk_state}\
    /// @notice Returns true if `proof` is valid for `instances`; reverts otherwise.\n\
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool) {{\n\
        proof;\n\
        instances;\n\
{vk_load}\
        assembly {{\n\
{YUL_FUNCTIONS}\n\
\n\
{body}\
        }}\n\
    }}\n\
}}\n",
        version = env!("CARGO_PKG_VERSION"),
        proof_len = p.total,
    )
}

const ERROR_NAMES: [&str; 6] =
    ["ERR_CALLDATA", "ERR_INSTANCE", "ERR_POINT", "ERR_SCALAR", "ERR_PRECOMPILE", "ERR_REJECTED"];

fn rot_name(r: i32) -> String {
    if r < 0 {
        format!("M{}", -r)
    } else {
        format!("{r}")
    }
}

/// `prod (u - x w^r)` over `rotations`, as a Yul expression over the `D_r` slots.
fn product(rotations: &[i32]) -> String {
    let mut it = rotations.iter();
    match it.next() {
        None => "1".into(),
        Some(&first) => it.fold(format!("mload(D_{})", rot_name(first)), |acc, &r| {
            format!("mulmod({acc}, mload(D_{}), R)", rot_name(r))
        }),
    }
}

fn compress(g: &mut Gen, exprs: &[Expr]) -> String {
    let mut acc = String::from("0");
    for e in exprs {
        let v = g.expr(e);
        acc = g.temp(format!("addmod(mulmod({acc}, mload(THETA), R), {v}, R)"));
    }
    acc
}

/// Adds `COEF * C` to the MSM (the quotient: `COEF * x^(n i) * h_i` per piece).
fn msm_terms(g: &mut Gen, c: &Commitment) {
    let plan = g.plan;
    match c {
        Commitment::Fixed(_) | Commitment::Sigma(_) if g.separate_vk => {
            let index = match c {
                Commitment::Fixed(i) => *i,
                Commitment::Sigma(i) => plan.fixed_commitments.len() + i,
                _ => unreachable!(),
            };
            g.line(format!(
                "msm_term(mload(add(VK_DATA, {:#x})), mload(add(VK_DATA, {:#x})), mload(COEF)) // {c:?}",
                64 * index,
                64 * index + 32
            ));
        }
        // An all-zero fixed column commits to the identity: its MSM term is zero, skip the ecMul.
        Commitment::Fixed(i) if bool::from(plan.fixed_commitments[*i].is_identity()) => {
            g.line(format!("// fixed column {i} commits to the identity: no MSM term"));
        }
        Commitment::Fixed(i) => {
            let [x, y] = g1_words(&plan.fixed_commitments[*i]);
            g.line(format!("msm_term({x}, {y}, mload(COEF)) // fixed column {i}"));
        }
        Commitment::Sigma(i) => {
            let [x, y] = g1_words(&plan.sigma_commitments[*i]);
            g.line(format!("msm_term({x}, {y}, mload(COEF)) // permutation sigma {i}"));
        }
        Commitment::Quotient => {
            g.line("{");
            g.line("    let s := mload(COEF)");
            for i in 0..plan.quotient_pieces {
                let at = PROOF_CPTR + plan.proof.quotient + 64 * i;
                g.line(format!(
                    "    msm_term(calldataload({at:#x}), calldataload({:#x}), s) // quotient piece {i}",
                    at + 32
                ));
                if i + 1 < plan.quotient_pieces {
                    g.line("    s := mulmod(s, mload(XN), R)");
                }
            }
            g.line("}");
        }
        other => {
            let at = g.point_cptr(other).unwrap();
            g.line(format!("msm_term(calldataload({at:#x}), calldataload({:#x}), mload(COEF)) // {other:?}", at + 32));
        }
    }
}

const YUL_FUNCTIONS: &str = r#"            function fail(sel) {
                mstore(0x00, shl(224, sel))
                revert(0x00, 0x04)
            }
            // Identity is (0, 0); anything else must satisfy y^2 = x^3 + 3 with x, y < q.
            function check_point(cptr) {
                let x := calldataload(cptr)
                let y := calldataload(add(cptr, 0x20))
                if or(x, y) {
                    if iszero(and(lt(x, Q), lt(y, Q))) { fail(ERR_POINT) }
                    if iszero(eq(mulmod(y, y, Q), addmod(mulmod(mulmod(x, x, Q), x, Q), 3, Q))) { fail(ERR_POINT) }
                }
            }
            // Challenge = keccak256(buffer) mod r; the buffer becomes the digest.
            function squeeze(len) -> c {
                let h := keccak256(TRANSCRIPT, len)
                mstore(TRANSCRIPT, h)
                c := mod(h, R)
            }
            // Scalar exponentiation by a small constant (square and multiply).
            function exp_r(b, e) -> z {
                z := 1
                for {} e { e := shr(1, e) } {
                    if and(e, 1) { z := mulmod(z, b, R) }
                    b := mulmod(b, b, R)
                }
            }
            // acc (0x80) += s * (px, py) via the ecMul and ecAdd precompiles.
            function msm_term(px, py, s) {
                mstore(0x00, px)
                mstore(0x20, py)
                mstore(0x40, s)
                // Success and a full result are required: a missing precompile returns nothing.
                // (The call gets its own statement: Yul evaluates arguments right to left.)
                let ok := staticcall(gas(), 0x07, 0x00, 0x60, 0xc0, 0x40)
                if iszero(and(ok, eq(returndatasize(), 0x40))) { fail(ERR_PRECOMPILE) }
                ok := staticcall(gas(), 0x06, 0x80, 0x80, 0x80, 0x40)
                if iszero(and(ok, eq(returndatasize(), 0x40))) { fail(ERR_PRECOMPILE) }
            }
            // Inverts INV[0..len) in place (Montgomery's trick, one modexp); any zero rejects.
            function batch_invert(len) {
                let inv := INV
                let pre := PRE
                let end := shl(5, len)
                let acc := 1
                for { let i := 0 } lt(i, end) { i := add(i, 0x20) } {
                    acc := mulmod(acc, mload(add(inv, i)), R)
                    mstore(add(pre, i), acc)
                }
                if iszero(acc) { fail(ERR_REJECTED) }
                mstore(0x00, 0x20)
                mstore(0x20, 0x20)
                mstore(0x40, 0x20)
                mstore(0x60, acc)
                mstore(0x80, sub(R, 2))
                mstore(0xa0, R)
                let ok := staticcall(gas(), 0x05, 0x00, 0xc0, 0x00, 0x20)
                if iszero(and(ok, eq(returndatasize(), 0x20))) { fail(ERR_PRECOMPILE) }
                acc := mload(0x00)
                for { let i := sub(end, 0x20) } gt(i, 0) { i := sub(i, 0x20) } {
                    let v := mload(add(inv, i))
                    mstore(add(inv, i), mulmod(acc, mload(add(pre, sub(i, 0x20))), R))
                    acc := mulmod(acc, v, R)
                }
                mstore(inv, acc)
            }"#;
