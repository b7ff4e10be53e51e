//! The verifier plan: everything a verifier for one circuit needs, flattened out of halo2's verifying
//! key into plain data (proof layout, queries, SHPLONK rotation sets, constraint expressions).
//!
//! The Solidity generator renders this plan and nothing else, and [`super::mirror`] runs it in Rust
//! against real proofs, so the generated contract and the tested algorithm are the same by
//! construction. Orders here are halo2-axiom 0.5.3's: `plonk/verifier.rs` for the transcript and
//! the query list, `poly/kzg/multiopen/shplonk.rs` for how queries group into rotation sets.

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField, WithSmallOrderMulGroup};
use halo2_proofs::plonk::{Any, Expression, VerifyingKey};
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

use crate::encoding::InstanceLayout;
use crate::error::ZkError;
use crate::proof::transcript::{POINT_BYTES, SCALAR_BYTES};

/// A constraint expression over the proof's evaluations.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Constant(Fr),
    /// Evaluation of fixed query `i` (index into `fixed_queries`).
    Fixed(usize),
    /// Evaluation of advice query `i`.
    Advice(usize),
    /// Evaluation of instance query `i` (computed by the verifier from the instances).
    Instance(usize),
    Negated(Box<Expr>),
    Sum(Box<Expr>, Box<Expr>),
    Product(Box<Expr>, Box<Expr>),
    Scaled(Box<Expr>, Fr),
}

fn lower_expr(e: &Expression<Fr>, plan_queries: &Queries) -> Result<Expr, ZkError> {
    Ok(match e {
        Expression::Constant(c) => Expr::Constant(*c),
        Expression::Fixed(q) => Expr::Fixed(plan_queries.fixed(q.column_index(), q.rotation().0)?),
        Expression::Advice(q) => Expr::Advice(plan_queries.advice(q.column_index(), q.rotation().0)?),
        Expression::Instance(q) => Expr::Instance(plan_queries.instance(q.column_index(), q.rotation().0)?),
        Expression::Negated(a) => Expr::Negated(Box::new(lower_expr(a, plan_queries)?)),
        Expression::Sum(a, b) => {
            Expr::Sum(Box::new(lower_expr(a, plan_queries)?), Box::new(lower_expr(b, plan_queries)?))
        }
        Expression::Product(a, b) => {
            Expr::Product(Box::new(lower_expr(a, plan_queries)?), Box::new(lower_expr(b, plan_queries)?))
        }
        Expression::Scaled(a, s) => Expr::Scaled(Box::new(lower_expr(a, plan_queries)?), *s),
        Expression::Selector(_) | Expression::Challenge(_) => {
            return Err(ZkError::internal("selectors and challenges are not used by zkinfer circuits"))
        }
    })
}

/// `(column, rotation)` lists in the verifying key's order.
#[derive(Clone, Debug)]
pub struct Queries {
    pub advice: Vec<(usize, i32)>,
    pub fixed: Vec<(usize, i32)>,
    pub instance: Vec<(usize, i32)>,
}

impl Queries {
    fn find(list: &[(usize, i32)], col: usize, rot: i32, what: &str) -> Result<usize, ZkError> {
        list.iter()
            .position(|&q| q == (col, rot))
            .ok_or_else(|| ZkError::internal(format!("{what} column {col} is not queried at rotation {rot}")))
    }
    pub fn advice(&self, col: usize, rot: i32) -> Result<usize, ZkError> {
        Self::find(&self.advice, col, rot, "advice")
    }
    pub fn fixed(&self, col: usize, rot: i32) -> Result<usize, ZkError> {
        Self::find(&self.fixed, col, rot, "fixed")
    }
    pub fn instance(&self, col: usize, rot: i32) -> Result<usize, ZkError> {
        Self::find(&self.instance, col, rot, "instance")
    }
}

/// Where the evaluation of a permuted column lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnEval {
    Advice(usize),
    Fixed(usize),
    Instance(usize),
}

/// A polynomial commitment the verifier opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Commitment {
    Advice(usize),
    Fixed(usize),
    /// Permutation sigma polynomial (verifying key).
    Sigma(usize),
    PermutationZ(usize),
    LookupInput(usize),
    LookupTable(usize),
    LookupZ(usize),
    VanishingRandom,
    /// `sum_i x^(n i) h_i`: the quotient pieces folded.
    Quotient,
}

/// Which evaluation a query claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eval {
    /// A scalar in the proof, by index among the proof's evaluations.
    Proof(usize),
    /// The verifier's own computation of h(x).
    Quotient,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    pub commitment: Commitment,
    pub rotation: i32,
    pub eval: Eval,
}

/// Commitments opened at the same set of points, batched together in SHPLONK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationSet {
    /// Rotations relative to x, sorted ascending.
    pub rotations: Vec<i32>,
    /// Commitments in SHPLONK's order (powers of its `y` challenge), each with its evaluation at
    /// every rotation (same order as `rotations`).
    pub commitments: Vec<(Commitment, Vec<Eval>)>,
}

/// Offsets (in bytes) of every item in the proof.
#[derive(Clone, Debug, Default)]
pub struct ProofLayout {
    pub advice: usize,
    pub lookup_permuted: usize,
    pub permutation_z: usize,
    pub lookup_z: usize,
    pub vanishing_random: usize,
    pub quotient: usize,
    /// Start of the evaluations (all scalars).
    pub evals: usize,
    pub num_evals: usize,
    pub shplonk_h1: usize,
    pub shplonk_h2: usize,
    pub total: usize,
}

/// Index of each evaluation group among the proof's scalars.
#[derive(Clone, Debug, Default)]
pub struct EvalLayout {
    pub advice: usize,
    pub fixed: usize,
    pub vanishing_random: usize,
    pub sigma: usize,
    /// Per permutation set: z(x), z(wx) and (all but the last set) z(w^last x).
    pub permutation_sets: Vec<(usize, usize, Option<usize>)>,
    /// Per lookup: z(x), z(wx), A'(x), A'(w^-1 x), S'(x).
    pub lookups: Vec<[usize; 5]>,
}

#[derive(Clone, Debug)]
pub struct LookupPlan {
    pub inputs: Vec<Expr>,
    pub tables: Vec<Expr>,
}

#[derive(Clone, Debug)]
pub struct VerifierPlan {
    pub k: u32,
    pub n: u64,
    pub omega: Fr,
    pub omega_inv: Fr,
    pub delta: Fr,
    pub blinding_factors: usize,
    pub num_instances: usize,
    /// What the instances mean, for the getters a consumer reads (`SCALE()`, `instanceBlocks()`).
    pub public: InstanceLayout,
    /// The keys come from the development SRS (public secret): the contract says so (`DEV_SRS()`).
    pub dev_srs: bool,
    pub transcript_repr: Fr,
    pub num_advice: usize,
    pub queries: Queries,
    pub permutation_columns: Vec<ColumnEval>,
    pub chunk_len: usize,
    pub num_permutation_sets: usize,
    pub gates: Vec<Expr>,
    pub lookups: Vec<LookupPlan>,
    pub quotient_pieces: usize,
    pub fixed_commitments: Vec<G1Affine>,
    pub sigma_commitments: Vec<G1Affine>,
    pub g1: G1Affine,
    pub g2: G2Affine,
    pub s_g2: G2Affine,
    pub proof: ProofLayout,
    pub evals: EvalLayout,
    pub query_list: Vec<Query>,
    pub rotation_sets: Vec<RotationSet>,
}

impl VerifierPlan {
    pub fn new(
        vk: &VerifyingKey<G1Affine>,
        params: &ParamsKZG<Bn256>,
        public: &InstanceLayout,
    ) -> Result<Self, ZkError> {
        let num_instances = public.num_instances;
        let cs = vk.cs();
        if cs.num_instance_columns() != 1 {
            return Err(ZkError::internal("zkinfer verifiers expect exactly one instance column"));
        }
        if cs.advice_column_phase().iter().any(|&p| p != 0) || cs.num_selectors() > 0 || cs.num_challenges() > 0 {
            return Err(ZkError::internal("unsupported constraint-system feature (phases, selectors or shuffles)"));
        }
        let domain = vk.get_domain();
        let k = domain.k();
        let queries = Queries {
            advice: cs.advice_queries().iter().map(|(c, r)| (c.index(), r.0)).collect(),
            fixed: cs.fixed_queries().iter().map(|(c, r)| (c.index(), r.0)).collect(),
            instance: cs.instance_queries().iter().map(|(c, r)| (c.index(), r.0)).collect(),
        };
        if queries.instance != [(0, 0)] {
            return Err(ZkError::internal("the instance column must be queried only at the current row"));
        }
        let permutation_columns = cs
            .permutation()
            .get_columns()
            .iter()
            .map(|c| match c.column_type() {
                Any::Advice(_) => queries.advice(c.index(), 0).map(ColumnEval::Advice),
                Any::Fixed => queries.fixed(c.index(), 0).map(ColumnEval::Fixed),
                Any::Instance => queries.instance(c.index(), 0).map(ColumnEval::Instance),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if permutation_columns.is_empty() {
            return Err(ZkError::internal("zkinfer verifiers expect a permutation argument (copy constraints)"));
        }
        let degree = cs.degree();
        let chunk_len = degree - 2;
        let num_permutation_sets = permutation_columns.len().div_ceil(chunk_len);
        let gates = cs
            .gates()
            .iter()
            .flat_map(|g| g.polynomials().iter())
            .map(|p| lower_expr(p, &queries))
            .collect::<Result<Vec<_>, _>>()?;
        let lookups = cs
            .lookups()
            .iter()
            .map(|l| {
                Ok(LookupPlan {
                    inputs: l
                        .input_expressions()
                        .iter()
                        .map(|e| lower_expr(e, &queries))
                        .collect::<Result<_, ZkError>>()?,
                    tables: l
                        .table_expressions()
                        .iter()
                        .map(|e| lower_expr(e, &queries))
                        .collect::<Result<_, ZkError>>()?,
                })
            })
            .collect::<Result<Vec<_>, ZkError>>()?;
        let quotient_pieces = domain.get_quotient_poly_degree();
        let num_advice = cs.num_advice_columns();
        let num_lookups = lookups.len();

        // Proof layout, in the order halo2's verifier reads it.
        let mut p = ProofLayout::default();
        let mut at = 0;
        p.advice = at;
        at += num_advice * POINT_BYTES;
        p.lookup_permuted = at;
        at += 2 * num_lookups * POINT_BYTES;
        p.permutation_z = at;
        at += num_permutation_sets * POINT_BYTES;
        p.lookup_z = at;
        at += num_lookups * POINT_BYTES;
        p.vanishing_random = at;
        at += POINT_BYTES;
        p.quotient = at;
        at += quotient_pieces * POINT_BYTES;
        p.evals = at;
        let mut e = EvalLayout::default();
        let mut idx = 0;
        e.advice = idx;
        idx += queries.advice.len();
        e.fixed = idx;
        idx += queries.fixed.len();
        e.vanishing_random = idx;
        idx += 1;
        e.sigma = idx;
        idx += permutation_columns.len();
        for s in 0..num_permutation_sets {
            let last = if s + 1 < num_permutation_sets { Some(idx + 2) } else { None };
            e.permutation_sets.push((idx, idx + 1, last));
            idx += if last.is_some() { 3 } else { 2 };
        }
        for _ in 0..num_lookups {
            e.lookups.push([idx, idx + 1, idx + 2, idx + 3, idx + 4]);
            idx += 5;
        }
        p.num_evals = idx;
        at += idx * SCALAR_BYTES;
        p.shplonk_h1 = at;
        at += POINT_BYTES;
        p.shplonk_h2 = at;
        at += POINT_BYTES;
        p.total = at;

        let blinding_factors = cs.blinding_factors();
        let last_rotation = -((blinding_factors + 1) as i32);
        let query_list =
            build_queries(&queries, &e, num_permutation_sets, num_lookups, permutation_columns.len(), last_rotation);
        let rotation_sets = build_rotation_sets(&query_list);

        Ok(VerifierPlan {
            k,
            n: 1u64 << k,
            omega: domain.get_omega(),
            omega_inv: domain.get_omega_inv(),
            delta: <Fr as PrimeField>::DELTA,
            blinding_factors,
            num_instances,
            public: public.clone(),
            dev_srs: crate::proof::srs::is_dev_srs(params),
            transcript_repr: vk.transcript_repr(),
            num_advice,
            queries,
            permutation_columns,
            chunk_len,
            num_permutation_sets,
            gates,
            lookups,
            quotient_pieces,
            fixed_commitments: vk.fixed_commitments().clone(),
            sigma_commitments: vk.permutation().commitments().clone(),
            g1: params.get_g()[0],
            g2: params.g2(),
            s_g2: params.s_g2(),
            proof: p,
            evals: e,
            query_list,
            rotation_sets,
        })
    }

    /// `omega^rotation`.
    pub fn omega_pow(&self, rotation: i32) -> Fr {
        if rotation >= 0 {
            self.omega.pow_vartime([rotation as u64])
        } else {
            self.omega_inv.pow_vartime([(-rotation) as u64])
        }
    }

    /// The rotation of `z(w^last x)` queries.
    pub fn last_rotation(&self) -> i32 {
        -((self.blinding_factors + 1) as i32)
    }
}

fn build_queries(
    q: &Queries,
    e: &EvalLayout,
    sets: usize,
    lookups: usize,
    sigmas: usize,
    last_rotation: i32,
) -> Vec<Query> {
    let mut out = Vec::new();
    let mut push = |commitment, rotation, eval| out.push(Query { commitment, rotation, eval });
    for (i, &(col, rot)) in q.advice.iter().enumerate() {
        push(Commitment::Advice(col), rot, Eval::Proof(e.advice + i));
    }
    for s in 0..sets {
        let (z, z_next, _) = e.permutation_sets[s];
        push(Commitment::PermutationZ(s), 0, Eval::Proof(z));
        push(Commitment::PermutationZ(s), 1, Eval::Proof(z_next));
    }
    for s in (0..sets).rev().skip(1) {
        push(Commitment::PermutationZ(s), last_rotation, Eval::Proof(e.permutation_sets[s].2.unwrap()));
    }
    for l in 0..lookups {
        let [z, z_next, a, a_prev, t] = e.lookups[l];
        push(Commitment::LookupZ(l), 0, Eval::Proof(z));
        push(Commitment::LookupInput(l), 0, Eval::Proof(a));
        push(Commitment::LookupTable(l), 0, Eval::Proof(t));
        push(Commitment::LookupInput(l), -1, Eval::Proof(a_prev));
        push(Commitment::LookupZ(l), 1, Eval::Proof(z_next));
    }
    for (i, &(col, rot)) in q.fixed.iter().enumerate() {
        push(Commitment::Fixed(col), rot, Eval::Proof(e.fixed + i));
    }
    for i in 0..sigmas {
        push(Commitment::Sigma(i), 0, Eval::Proof(e.sigma + i));
    }
    push(Commitment::Quotient, 0, Eval::Quotient);
    push(Commitment::VanishingRandom, 0, Eval::Proof(e.vanishing_random));
    out
}

/// Groups queries as SHPLONK does: each commitment's set of rotations (commitments in order of
/// first query), then commitments with equal sets together (sets in order of first commitment).
fn build_rotation_sets(queries: &[Query]) -> Vec<RotationSet> {
    let mut per_commitment: Vec<(Commitment, Vec<i32>)> = Vec::new();
    for q in queries {
        match per_commitment.iter_mut().find(|(c, _)| *c == q.commitment) {
            Some((_, rots)) => {
                if !rots.contains(&q.rotation) {
                    rots.push(q.rotation)
                }
            }
            None => per_commitment.push((q.commitment, vec![q.rotation])),
        }
    }
    let mut sets: Vec<RotationSet> = Vec::new();
    for (c, mut rots) in per_commitment {
        rots.sort();
        let evals =
            rots.iter().map(|&r| queries.iter().find(|q| q.commitment == c && q.rotation == r).unwrap().eval).collect();
        match sets.iter_mut().find(|s| s.rotations == rots) {
            Some(s) => s.commitments.push((c, evals)),
            None => sets.push(RotationSet { rotations: rots, commitments: vec![(c, evals)] }),
        }
    }
    sets
}

/// `omega` must be the 2^k-th root of unity for the domain: a sanity check used by tests.
pub fn check_root_of_unity(plan: &VerifierPlan) -> bool {
    plan.omega.pow_vartime([plan.n]) == Fr::ONE && plan.omega * plan.omega_inv == Fr::ONE && Fr::ZETA != Fr::ZERO
}
