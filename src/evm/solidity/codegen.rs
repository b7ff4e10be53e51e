//! Generator state for the verifier body: named memory slots, indented output, proof calldata
//! offsets, and the rendering of field literals and constraint expressions into Yul.

use std::collections::BTreeMap;

use halo2_proofs::halo2curves::bn256::{Fq, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::halo2curves::CurveAffine;

use super::PROOF_CPTR;
use crate::encoding::field::fr_to_be_bytes;
use crate::evm::plan::{ColumnEval, Commitment, Expr, VerifierPlan};

pub(super) fn fr_hex(x: &Fr) -> String {
    let b = fr_to_be_bytes(x);
    format!("0x{}", hex::encode(b))
}

fn fq_hex(x: &Fq) -> String {
    let mut b = x.to_repr();
    b.as_mut().reverse();
    format!("0x{}", hex::encode(b))
}

pub(super) fn g1_words(p: &G1Affine) -> [String; 2] {
    let c = p.coordinates().unwrap();
    [fq_hex(c.x()), fq_hex(c.y())]
}

/// G2 as the pairing precompile wants it: `x.c1, x.c0, y.c1, y.c0` (imaginary part first).
pub(super) fn g2_words(p: &G2Affine) -> [String; 4] {
    [fq_hex(&p.x.c1), fq_hex(&p.x.c0), fq_hex(&p.y.c1), fq_hex(&p.y.c0)]
}

/// Named memory slots, allocated in order from `base`.
pub(super) struct Slots {
    pub(super) next: usize,
    pub(super) names: BTreeMap<String, usize>,
    pub(super) order: Vec<String>,
}

impl Slots {
    pub(super) fn new(base: usize) -> Self {
        Slots { next: base, names: BTreeMap::new(), order: Vec::new() }
    }
    pub(super) fn get(&mut self, name: &str) -> String {
        if !self.names.contains_key(name) {
            self.names.insert(name.to_string(), self.next);
            self.order.push(name.to_string());
            self.next += 32;
        }
        name.to_string()
    }
    pub(super) fn region(&mut self, name: &str, words: usize) -> String {
        let n = self.get(name);
        self.next += 32 * words.saturating_sub(1);
        n
    }
}

pub(super) struct Gen<'a> {
    pub(super) plan: &'a VerifierPlan,
    /// Constant points come from the verifying-key contract (copied to `VK_DATA`) instead of code.
    pub(super) separate_vk: bool,
    pub(super) out: String,
    pub(super) indent: usize,
    pub(super) slots: Slots,
    pub(super) temps: usize,
}

impl<'a> Gen<'a> {
    pub(super) fn line(&mut self, s: impl AsRef<str>) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    pub(super) fn blank(&mut self) {
        self.out.push('\n');
    }

    fn eval_cptr(&self, index: usize) -> usize {
        PROOF_CPTR + self.plan.proof.evals + 32 * index
    }

    pub(super) fn eval(&self, index: usize) -> String {
        format!("calldataload({:#x})", self.eval_cptr(index))
    }

    pub(super) fn point_cptr(&self, c: &Commitment) -> Option<usize> {
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
    pub(super) fn expr(&mut self, e: &Expr) -> String {
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

    pub(super) fn temp(&mut self, value: String) -> String {
        let name = format!("T{}", self.temps);
        self.temps += 1;
        let slot = self.slots.get(&name);
        self.line(format!("mstore({slot}, {value})"));
        format!("mload({slot})")
    }

    /// `h = h * y + c` for the next constraint `c`.
    pub(super) fn fold(&mut self, c: &str) {
        self.line(format!("mstore(H, addmod(mulmod(mload(H), mload(Y), R), {c}, R))"));
    }

    pub(super) fn column_eval(&self, c: &ColumnEval) -> String {
        match c {
            ColumnEval::Advice(q) => self.eval(self.plan.evals.advice + q),
            ColumnEval::Fixed(q) => self.eval(self.plan.evals.fixed + q),
            ColumnEval::Instance(_) => "mload(INSTANCE_EVAL)".into(),
        }
    }
}

pub(super) fn rot_name(r: i32) -> String {
    if r < 0 {
        format!("M{}", -r)
    } else {
        format!("{r}")
    }
}

/// `prod (u - x w^r)` over `rotations`, as a Yul expression over the `D_r` slots.
pub(super) fn product(rotations: &[i32]) -> String {
    let mut it = rotations.iter();
    match it.next() {
        None => "1".into(),
        Some(&first) => it.fold(format!("mload(D_{})", rot_name(first)), |acc, &r| {
            format!("mulmod({acc}, mload(D_{}), R)", rot_name(r))
        }),
    }
}
