//! Calibration: run the float model on sample inputs, pick the fixed-point scale, the activation
//! range, the limb width and the lane count, and measure how far the quantised outputs land from
//! the float ones.
//!
//! An error budget drives it: the scale is the smallest whose largest error on the calibration
//! samples is within `max_error` of every output's range. Precision no longer costs table rows
//! (ranges are proved by limbs, smooth functions by segments), so the smallest scale that meets the
//! budget also gives the smallest circuit. The error does not depend on lanes or limbs (they only
//! arrange the same integer arithmetic in rows), so the scale is searched first, on one
//! arrangement, and the arrangement is chosen for it afterwards.

use serde::{Deserialize, Serialize};

use crate::artifacts::{CalibrationReport, EvalReport, LayerError, OutputError, RowCounts, TreeReport};
use crate::circuit::graph_layout::lay_out;
use crate::circuit::layout::{Layout, LayoutParams};
use crate::circuit::model_circuit::k_for_rows;
use crate::circuit::tables::{
    SegmentedFn, TableFn, TableSpec, MAX_LIMB_BITS, MAX_RANGE_BITS, MAX_TABLE_FUNCTIONS, MIN_LIMB_BITS,
};
use crate::encoding::{InstanceLayout, Packing, Scale, Visibilities};
use crate::error::ZkError;
use crate::model::graph::{Graph, Op};
use crate::quantise::qgraph::{quantise_graph, QGraph, QOp};

const LANE_CHOICES: [usize; 7] = [2, 3, 4, 6, 8, 12, 16];
const LIMB_CHOICES: [u32; 7] = [5, 6, 7, 8, 10, 12, 16];
/// The limb width used while searching the scale (any width gives the same values).
const SEARCH_LIMB_BITS: u32 = 8;
const SEARCH_LANES: usize = 8;
/// Domains up to 2^12 rows prove in well under a second on two cores.
const SMALL_CIRCUIT_K: u32 = 12;
pub const MIN_AUTO_SCALE: u32 = 6;
pub const MAX_AUTO_SCALE: u32 = 20;
/// The default budget: 0.05% of each output's range.
pub const DEFAULT_MAX_ERROR: f64 = 5e-4;

/// What the lane count (multiply-accumulates per row) is chosen for. Each lane adds an advice and a
/// fixed column: prover work per row, and about 3.5 more ecMul terms (~22k gas) in the verifier.
/// Fewer lanes need more rows, so a larger domain (k).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimize {
    /// The fewest lanes that keep k at its minimum (fastest proving).
    Prove,
    /// The fewest lanes within 4x of the minimal domain (k_min + 2): most of the gas saving for at
    /// most ~2x proving time.
    #[default]
    Balanced,
    /// Two lanes, whatever k that needs (cheapest verification).
    Gas,
}

#[derive(Clone, Debug)]
pub struct CalibrationOptions {
    /// Fixed scale (fractional bits); `None` chooses the smallest that meets `max_error`.
    pub scale: Option<u32>,
    /// Fixed lane count; `None` chooses automatically.
    pub lanes: Option<usize>,
    /// Fixed activation range in bits; `None` sizes it from the calibration data. With `scale`,
    /// `lanes` and `limb_bits` fixed too, models of one architecture compile to one circuit
    /// (hashed parameters).
    pub range_bits: Option<u32>,
    /// Fixed limb width of range proofs; `None` chooses the one giving the smallest circuit.
    pub limb_bits: Option<u32>,
    /// Fixed range of each input in bits (`--like`: the reference build's); `None` narrows an
    /// input to one limb when its samples allow.
    pub input_bits: Option<Vec<u32>>,
    /// Multiplier on the largest calibrated magnitude when sizing the activation range.
    pub headroom: f64,
    /// Largest error on the calibration samples, as a fraction of each output's range.
    pub max_error: f64,
    /// What the proof reveals of inputs, outputs and weights.
    pub visibility: Visibilities,
    /// Pack public values several to a field element (see [`crate::encoding::packing`]).
    pub pack_instances: bool,
    pub optimize: Optimize,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        CalibrationOptions {
            scale: None,
            lanes: None,
            range_bits: None,
            limb_bits: None,
            input_bits: None,
            headroom: 2.0,
            max_error: DEFAULT_MAX_ERROR,
            visibility: Visibilities::default(),
            pack_instances: true,
            optimize: Optimize::Balanced,
        }
    }
}

pub struct Calibrated {
    pub qgraph: QGraph,
    pub params: LayoutParams,
    pub public: InstanceLayout,
    pub k: u32,
    pub rows: RowCounts,
    pub report: CalibrationReport,
}

/// Bits of a signed range holding `headroom` times `max_abs` at `scale`.
fn signed_bits_for(max_abs: f64, scale: u32, headroom: f64) -> u32 {
    let bound = (max_abs * headroom * (1u64 << scale) as f64).ceil().max(1.0);
    (bound + 1.0).log2().ceil() as u32 + 1
}

/// The activation range: never below `[-2, 2)`, where the smooth functions do their work.
fn range_bits_for(max_abs: f64, scale: u32, headroom: f64) -> u32 {
    signed_bits_for(max_abs, scale, headroom).max(scale + 2)
}

/// Each input's range for a limb width: one full limb when its samples (with headroom) fit one,
/// since a one-limb input costs no arithmetic row (and a narrower one would save nothing);
/// otherwise the activation range. A pinned `--range-bits` keeps every input at that range, so
/// models of one architecture still compile to one circuit.
fn input_bits(c: &ScaleCandidate, limb_bits: u32, opts: &CalibrationOptions) -> Vec<u32> {
    if let Some(bits) = &opts.input_bits {
        return bits.clone();
    }
    if opts.range_bits.is_some() {
        return Vec::new();
    }
    let range_bits = c.table.range_bits;
    let one_limb = limb_bits.min(range_bits);
    c.input_needed.iter().map(|&needed| if needed <= one_limb { one_limb } else { range_bits }).collect()
}

/// The float run of every calibration sample: all node values and the largest magnitude.
struct FloatRuns {
    values: Vec<Vec<Vec<f64>>>,
    max_abs: f64,
    /// Per model input, its largest magnitude over the samples.
    input_max_abs: Vec<f64>,
}

impl FloatRuns {
    fn new(graph: &Graph, samples: &[Vec<Vec<f64>>]) -> Result<FloatRuns, ZkError> {
        let mut max_abs: f64 = 0.0;
        let mut values = Vec::with_capacity(samples.len());
        for sample in samples {
            let v = graph.eval_f64(sample);
            for x in v.iter().flatten() {
                if !x.is_finite() {
                    return Err(ZkError::input("the float model produced NaN or infinity on a calibration input"));
                }
                max_abs = max_abs.max(x.abs());
            }
            values.push(v);
        }
        let mut input_max_abs = vec![0f64; graph.input_names.len()];
        for sample in samples {
            for (m, x) in input_max_abs.iter_mut().zip(sample) {
                *m = x.iter().fold(*m, |m, v| m.max(v.abs()));
            }
        }
        Ok(FloatRuns { values, max_abs, input_max_abs })
    }
}

/// One scale's quantised model and table, before lanes and limbs are chosen (the table holds the
/// search's limb width until [`arrange`] picks one).
struct ScaleCandidate {
    qgraph: QGraph,
    table: TableSpec,
    /// Bits each input's samples need, with headroom.
    input_needed: Vec<u32>,
}

fn scale_candidate(
    graph: &Graph,
    scale: u32,
    floats: &FloatRuns,
    opts: &CalibrationOptions,
) -> Result<ScaleCandidate, ZkError> {
    let max_abs = floats.max_abs;
    let needed = range_bits_for(max_abs, scale, opts.headroom);
    let range_bits = match opts.range_bits {
        Some(bits) if bits < needed => {
            return Err(ZkError::input(format!(
            "activations reach {max_abs:.3e}: at scale 2^-{scale} with {}x headroom they need a {needed}-bit range, \
                 more than the {bits} bits asked for",
            opts.headroom
        )))
        }
        Some(bits) => bits,
        None => needed,
    };
    if range_bits > MAX_RANGE_BITS {
        return Err(ZkError::input(format!(
            "activations reach {max_abs:.3e}: at scale 2^-{scale} that needs a {range_bits}-bit range, over the \
             {MAX_RANGE_BITS}-bit limit; lower --scale or normalise the model's inputs"
        )));
    }
    let scale = Scale::new(scale).ok_or_else(|| ZkError::input(format!("scale {scale} is too large")))?;
    let mut qgraph = quantise_graph(graph, scale);
    qgraph.clamp_thresholds(range_bits);
    let functions: Vec<SegmentedFn> =
        qgraph.smooth_activations().into_iter().filter_map(|a| TableFn::tabulate(a, scale, range_bits)).collect();
    if functions.len() > MAX_TABLE_FUNCTIONS {
        return Err(ZkError::input(format!(
            "the model uses {} different tabulated functions (with their parameters); the circuit holds at most \
             {MAX_TABLE_FUNCTIONS}",
            functions.len()
        )));
    }
    let input_needed = floats.input_max_abs.iter().map(|&m| signed_bits_for(m, scale.bits(), opts.headroom)).collect();
    Ok(ScaleCandidate { qgraph, table: TableSpec { range_bits, limb_bits: SEARCH_LIMB_BITS, functions }, input_needed })
}

fn public_layout(c: &ScaleCandidate, opts: &CalibrationOptions) -> InstanceLayout {
    let q = &c.qgraph;
    InstanceLayout::plan(
        q.scale,
        opts.visibility,
        opts.pack_instances.then(|| Packing::for_range_bits(c.table.range_bits)),
        &q.input_tensors(),
        &q.output_tensors(),
        q.param_values().len(),
    )
}

fn row_counts(layout: &Layout) -> RowCounts {
    RowCounts {
        arithmetic: layout.arith.len(),
        lookup: layout.lookup_tags.len(),
        table: layout.table.len(),
        instances: layout.instance_cells.len(),
    }
}

/// The quantised circuit against the float model on every calibration sample.
struct Measured {
    outputs: Vec<OutputError>,
    /// Per node: the largest error relative to the node's float range.
    node_rel_errors: Vec<f64>,
    trees: Option<TreeReport>,
    samples: usize,
}

impl Measured {
    fn max_rel_error(&self) -> f64 {
        self.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max)
    }

    /// Within the error budget, and (for trees) every sample on the float leaves with no feature
    /// within a step of a threshold.
    fn meets(&self, max_error: f64) -> bool {
        self.max_rel_error() <= max_error && self.trees.as_ref().is_none_or(TreeReport::clean)
    }
}

fn measure(
    graph: &Graph,
    c: &ScaleCandidate,
    opts: &CalibrationOptions,
    public: &InstanceLayout,
    samples: &[Vec<Vec<f64>>],
    floats: &FloatRuns,
) -> Result<Measured, ZkError> {
    let scale = c.qgraph.scale;
    // Pinned input ranges apply here too, so a sample outside them is an error naming the input.
    let params = LayoutParams {
        input_bits: opts.input_bits.clone().unwrap_or_default(),
        ..LayoutParams::new(SEARCH_LANES, c.table.clone())
    };
    let mut outputs: Vec<OutputError> = graph
        .output_names
        .iter()
        .map(|name| OutputError {
            name: name.clone(),
            max_abs_error: 0.0,
            mean_abs_error: 0.0,
            max_abs_value: 0.0,
            max_rel_error: 0.0,
            float_sample: vec![],
            quantised_sample: vec![],
        })
        .collect();
    let mut counts = vec![0usize; outputs.len()];
    let mut node_err = vec![0f64; graph.nodes.len()];
    let mut node_range = vec![0f64; graph.nodes.len()];
    let tree_nodes: Vec<usize> =
        (0..graph.nodes.len()).filter(|&i| matches!(graph.nodes[i].op, Op::TreeLeaves { .. })).collect();
    let step = scale.to_float(1);
    let mut trees = (!tree_nodes.is_empty()).then_some(TreeReport {
        samples_on_other_leaves: 0,
        features_near_threshold: 0,
        features: 0,
        step,
    });
    for (si, sample) in samples.iter().enumerate() {
        let q_inputs = scale.quantise(sample);
        let layout = lay_out(&c.qgraph, &params, public, Some(&q_inputs), Default::default())
            .map_err(|e| e.context(format!("calibration sample {si}")))?;
        let float = &floats.values[si];
        for (oi, (q, &node)) in layout.outputs.iter().zip(&graph.outputs).enumerate() {
            let f = &float[node];
            let decoded: Vec<f64> = q.iter().map(|&v| scale.to_float(v)).collect();
            let e = &mut outputs[oi];
            for (d, x) in decoded.iter().zip(f) {
                let err = (d - x).abs();
                e.max_abs_error = e.max_abs_error.max(err);
                e.mean_abs_error += err;
                e.max_abs_value = e.max_abs_value.max(x.abs());
                counts[oi] += 1;
            }
            if si == 0 {
                e.float_sample = f.clone();
                e.quantised_sample = decoded;
            }
        }
        if let Some(t) = trees.as_mut() {
            let unit = 1i128 << scale.bits();
            let mut other = false;
            for &ni in &tree_nodes {
                let Op::TreeLeaves { input, forest } = &graph.nodes[ni].op else { unreachable!() };
                other |= layout.node_values[ni].iter().zip(&float[ni]).any(|(&q, &f)| (q == unit) != (f == 1.0));
                t.features_near_threshold += forest.near_threshold(&float[*input], step);
                t.features += float[*input].len();
            }
            t.samples_on_other_leaves += usize::from(other);
        }
        for (ni, (qn, q)) in c.qgraph.nodes.iter().zip(&layout.node_values).enumerate() {
            // A fused activation makes the quantised node hold the activated values.
            let fused = match &qn.op {
                QOp::Affine { activation, .. } | QOp::Product { activation, .. } | QOp::Contract { activation, .. } => {
                    *activation
                }
                _ => None,
            };
            for (&v, &x) in q.iter().zip(&float[ni]) {
                let x = fused.map_or(x, |a| a.apply(x));
                node_err[ni] = node_err[ni].max((scale.to_float(v) - x).abs());
                node_range[ni] = node_range[ni].max(x.abs());
            }
        }
    }
    for (e, n) in outputs.iter_mut().zip(counts) {
        e.mean_abs_error /= n.max(1) as f64;
        e.max_rel_error = e.max_abs_error / e.max_abs_value.max(EvalReport::RANGE_FLOOR);
    }
    let node_rel_errors = node_err.iter().zip(&node_range).map(|(e, r)| e / r.max(EvalReport::RANGE_FLOOR)).collect();
    Ok(Measured { outputs, node_rel_errors, trees, samples: samples.len() })
}

/// The smallest scale whose error meets the budget (binary search: the error falls as the scale
/// grows), or the most precise one tried when none does.
fn choose_scale(
    graph: &Graph,
    samples: &[Vec<Vec<f64>>],
    floats: &FloatRuns,
    opts: &CalibrationOptions,
) -> Result<(ScaleCandidate, Measured), ZkError> {
    let try_scale = |s: u32| -> Result<(ScaleCandidate, Measured), ZkError> {
        let c = scale_candidate(graph, s, floats, opts)?;
        let m = measure(graph, &c, opts, &public_layout(&c, opts), samples, floats)?;
        Ok((c, m))
    };
    if let Some(s) = opts.scale {
        return try_scale(s);
    }
    // The largest scale whose range fits: beyond it nothing can be tried.
    let mut hi = MAX_AUTO_SCALE;
    while hi > MIN_AUTO_SCALE && range_bits_for(floats.max_abs, hi, opts.headroom) > MAX_RANGE_BITS {
        hi -= 1;
    }
    let best = try_scale(hi)?;
    if !best.1.meets(opts.max_error) {
        return Ok(best);
    }
    let mut lo = MIN_AUTO_SCALE;
    let low = try_scale(lo)?;
    if low.1.meets(opts.max_error) {
        return Ok(low);
    }
    // Invariant: `lo` misses the budget, `hi` (held in `best`) meets it.
    let mut best = best;
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let cand = try_scale(mid)?;
        if cand.1.meets(opts.max_error) {
            hi = mid;
            best = cand;
        } else {
            lo = mid;
        }
    }
    Ok(best)
}

/// Lanes and limb width for the chosen scale: the fewest lanes within the optimisation's k budget,
/// then the limb width giving the smallest k (and, at equal k, the fewest rows).
fn arrange(
    c: &ScaleCandidate,
    public: &InstanceLayout,
    opts: &CalibrationOptions,
) -> Result<(LayoutParams, u32, RowCounts), ZkError> {
    let lay = |lanes: usize, limb_bits: u32| -> Result<(LayoutParams, u32, RowCounts), ZkError> {
        let params = LayoutParams {
            lanes,
            table: TableSpec { limb_bits, ..c.table.clone() },
            input_bits: input_bits(c, limb_bits, opts),
        };
        let layout = lay_out(&c.qgraph, &params, public, None, Default::default())?;
        Ok((params, k_for_rows(layout.rows(), lanes), row_counts(&layout)))
    };
    let first_limb = opts.limb_bits.unwrap_or(SEARCH_LIMB_BITS);
    let lane_options: Vec<usize> = match opts.lanes {
        Some(l) => vec![l],
        None => LANE_CHOICES.to_vec(),
    };
    let options: Vec<_> = lane_options.into_iter().map(|l| lay(l, first_limb)).collect::<Result<_, _>>()?;
    let k_min = options.iter().map(|o| o.1).min().unwrap();
    let budget = match opts.optimize {
        Optimize::Prove => k_min.max(SMALL_CIRCUIT_K),
        Optimize::Balanced => (k_min + 2).max(SMALL_CIRCUIT_K),
        Optimize::Gas => u32::MAX,
    };
    let mut best = options.into_iter().find(|o| o.1 <= budget).unwrap();
    if opts.limb_bits.is_none() {
        let lanes = best.0.lanes;
        // Widths that split the sign-free part of a value (`range_bits - 1`) or a remainder
        // (`scale`) into whole limbs waste no lookups on a short top limb.
        let (value_bits, scale) = (c.table.range_bits - 1, c.qgraph.scale.bits());
        let mut widths: Vec<u32> = LIMB_CHOICES.to_vec();
        widths.extend([1, 2, 3].iter().flat_map(|n| [value_bits.div_ceil(*n), scale.div_ceil(*n)]));
        widths.retain(|&b| b != first_limb && (MIN_LIMB_BITS..=MAX_LIMB_BITS).contains(&b));
        widths.sort();
        widths.dedup();
        for limb_bits in widths {
            let cand = lay(lanes, limb_bits)?;
            if (cand.1, cand.2.max()) < (best.1, best.2.max()) {
                best = cand;
            }
        }
    }
    Ok(best)
}

/// When the budget is missed: the layer that loses the most precision, and what would help.
fn advice(graph: &Graph, c: &ScaleCandidate, m: &Measured, opts: &CalibrationOptions, max_abs: f64) -> String {
    let worst = m
        .node_rel_errors
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(graph.nodes[*i].op, Op::Input { .. }))
        .max_by(|a, b| a.1.total_cmp(b.1));
    let scale = c.qgraph.scale.bits();
    let layer = match worst {
        Some((i, e)) => format!(
            "the layer losing the most precision is '{}' ({}), {} of its range",
            graph.nodes[i].name,
            graph.nodes[i].op_type,
            percent(*e)
        ),
        None => "no layer stands out".into(),
    };
    let fix = if opts.scale.is_some() {
        format!("raise --scale above {scale}")
    } else if scale < MAX_AUTO_SCALE {
        format!(
            "a larger scale needs more than the {MAX_RANGE_BITS}-bit range (activations reach {max_abs:.3e}): \
             normalise the model's inputs or lower --headroom"
        )
    } else {
        format!(
            "the error at the largest automatic scale (2^-{MAX_AUTO_SCALE}) comes from the model itself \
             (e.g. a near-cancelling sum); allow it with --max-error {:.3e}",
            m.max_rel_error() * 1.1
        )
    };
    let trees = match m.trees.as_ref().filter(|t| !t.clean()) {
        Some(t) => format!(
            "{} of {} calibration samples reach another tree leaf than the float model and {} of {} tree features \
             lie within one step ({:.3e}) of a threshold they meet; ",
            t.samples_on_other_leaves, m.samples, t.features_near_threshold, t.features, t.step
        ),
        None => String::new(),
    };
    if !trees.is_empty() && m.max_rel_error() <= opts.max_error {
        return format!("at scale 2^-{scale}, {trees}to fix: {fix}");
    }
    format!(
        "{trees}the largest error is {} of an output's range, over the {} budget at scale 2^-{scale}; {layer}; to fix: {fix}",
        percent(m.max_rel_error()),
        percent(opts.max_error)
    )
}

/// The layers (inputs aside) with the largest errors relative to their own ranges, worst first.
fn worst_layers(graph: &Graph, node_rel_errors: &[f64]) -> Vec<LayerError> {
    let mut layers: Vec<(usize, f64)> = node_rel_errors
        .iter()
        .copied()
        .enumerate()
        .filter(|&(i, e)| e > 0.0 && !matches!(graph.nodes[i].op, Op::Input { .. }))
        .collect();
    layers.sort_by(|a, b| b.1.total_cmp(&a.1));
    layers
        .into_iter()
        .take(CalibrationReport::LAYERS)
        .map(|(i, e)| LayerError {
            name: graph.nodes[i].name.clone(),
            op_type: graph.nodes[i].op_type.clone(),
            max_rel_error: e,
        })
        .collect()
}

/// A fraction as a percentage with four significant digits, however small.
pub fn percent(fraction: f64) -> String {
    let p = 100.0 * fraction;
    if p == 0.0 || p.abs() >= 0.001 {
        format!("{p:.4}%")
    } else {
        format!("{p:.3e}%")
    }
}

/// Chooses scale, range, limbs and lanes for `graph` from float runs on `samples`, within the error
/// budget, and reports how far the quantised outputs land from the float ones.
pub fn calibrate(graph: &Graph, samples: &[Vec<Vec<f64>>], opts: &CalibrationOptions) -> Result<Calibrated, ZkError> {
    if samples.is_empty() {
        return Err(ZkError::input("calibration needs at least one input sample"));
    }
    if !(opts.headroom.is_finite() && opts.headroom >= 1.0) {
        return Err(ZkError::input(format!("headroom must be a number >= 1, got {}", opts.headroom)));
    }
    if !(opts.max_error.is_finite() && opts.max_error > 0.0) {
        return Err(ZkError::input(format!("the error budget must be a positive number, got {}", opts.max_error)));
    }
    let floats = FloatRuns::new(graph, samples)?;
    let (chosen, measured) = choose_scale(graph, samples, &floats, opts)?;
    let public = public_layout(&chosen, opts);
    let (params, k, rows) = arrange(&chosen, &public, opts)?;
    let budget_met = measured.meets(opts.max_error);
    let advice = (!budget_met).then(|| advice(graph, &chosen, &measured, opts, floats.max_abs));
    Ok(Calibrated {
        qgraph: chosen.qgraph,
        params,
        public,
        k,
        rows,
        report: CalibrationReport {
            samples: samples.len(),
            max_abs_activation: floats.max_abs,
            max_error: opts.max_error,
            budget_met,
            advice,
            layers: worst_layers(graph, &measured.node_rel_errors),
            outputs: measured.outputs,
            trees: measured.trees,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::graph::{Activation, AffineRow, Node, Term};

    /// `y = tanh(0.37 x0 - 1.21 x1 + 0.05)`: a weight and a bias that no coarse scale holds exactly.
    fn model() -> Graph {
        let node = |name: &str, op: Op, shape: Vec<usize>| Node { name: name.into(), op_type: name.into(), op, shape };
        let row = AffineRow {
            terms: vec![Term { input: 0, index: 0, weight: 0.37 }, Term { input: 0, index: 1, weight: -1.21 }],
            bias: 0.05,
        };
        Graph {
            nodes: vec![
                node("x", Op::Input { index: 0 }, vec![2]),
                node("gemm", Op::Affine { inputs: vec![0], rows: vec![row] }, vec![1]),
                node("tanh", Op::Activation { input: 1, function: Activation::Tanh }, vec![1]),
            ],
            inputs: vec![0],
            outputs: vec![2],
            input_names: vec!["x".into()],
            output_names: vec!["y".into()],
        }
    }

    fn samples() -> Vec<Vec<Vec<f64>>> {
        (0..8).map(|i| vec![vec![0.3 * i as f64 - 1.0, 0.77 - 0.2 * i as f64]]).collect()
    }

    #[test]
    fn the_smallest_scale_within_the_budget_is_chosen() {
        let tight = calibrate(&model(), &samples(), &CalibrationOptions::default()).unwrap();
        let r = &tight.report;
        assert!(r.budget_met && r.max_rel_error() <= DEFAULT_MAX_ERROR, "{:?}", r.outputs);
        let s = tight.qgraph.scale.bits();
        // One bit less misses the budget (the search found the smallest scale).
        let opts = CalibrationOptions { scale: Some(s - 1), ..CalibrationOptions::default() };
        let coarser = calibrate(&model(), &samples(), &opts).unwrap();
        assert!(coarser.report.max_rel_error() > DEFAULT_MAX_ERROR);
        assert!(!coarser.report.budget_met);
        // A looser budget takes a coarser scale and still meets it.
        let loose = CalibrationOptions { max_error: 1e-2, ..CalibrationOptions::default() };
        let loose = calibrate(&model(), &samples(), &loose).unwrap();
        assert!(loose.qgraph.scale.bits() < s && loose.report.budget_met);
    }

    #[test]
    fn a_missed_budget_names_the_layer_and_the_fix() {
        let opts = CalibrationOptions { scale: Some(4), ..CalibrationOptions::default() };
        let c = calibrate(&model(), &samples(), &opts).unwrap();
        let advice = c.report.advice.expect("advice when the budget is missed");
        assert!(advice.contains("'tanh'") || advice.contains("'gemm'"), "{advice}");
        assert!(advice.contains("raise --scale above 4"), "{advice}");
        let bad = CalibrationOptions { max_error: 0.0, ..CalibrationOptions::default() };
        assert!(calibrate(&model(), &samples(), &bad).is_err());
    }

    #[test]
    fn percentages_keep_their_digits() {
        assert_eq!(percent(5e-4), "0.0500%");
        assert_eq!(percent(2.5e-9), "2.500e-7%");
    }

    #[test]
    fn inputs_that_fit_one_limb_get_their_own_range() {
        // Inputs within 0.05: at scale s, twice that needs far fewer bits than the activation range.
        let small: Vec<Vec<Vec<f64>>> =
            samples().iter().map(|x| vec![x[0].iter().map(|v| v / 40.0).collect()]).collect();
        let opts = CalibrationOptions { scale: Some(12), limb_bits: Some(10), ..CalibrationOptions::default() };
        let c = calibrate(&model(), &small, &opts).unwrap();
        let range_bits = c.params.table.range_bits;
        assert_eq!(c.params.input_bits, vec![10], "one full limb (range {range_bits} bits)");
        let q = c.qgraph.scale;
        let public = &c.public;
        // A sample at the edge of the input's range proves; one past it is an error naming the input.
        let edge = vec![vec![q.to_float(511), -q.to_float(512)]];
        let past = vec![vec![q.to_float(512), 0.0]];
        assert!(lay_out(&c.qgraph, &c.params, public, Some(&q.quantise(&edge)), Default::default()).is_ok());
        let err = lay_out(&c.qgraph, &c.params, public, Some(&q.quantise(&past)), Default::default()).unwrap_err();
        assert!(err.message.contains("'x'") && err.message.contains("outside"), "{}", err.message);
        // Inputs too wide for one limb keep the activation range; a pinned range pins inputs too.
        let wide = calibrate(&model(), &samples(), &opts).unwrap();
        assert_eq!(wide.params.input_bits, vec![wide.params.table.range_bits]);
        let pinned = CalibrationOptions { range_bits: Some(range_bits), ..opts };
        assert!(calibrate(&model(), &small, &pinned).unwrap().params.input_bits.is_empty());
    }
}
