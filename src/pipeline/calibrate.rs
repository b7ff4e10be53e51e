//! Calibration: run the float model on sample inputs, pick the fixed-point scale, the activation
//! range and the lane count, and measure how far the quantised outputs land from the float ones.
//!
//! The scale trades precision against circuit size: the table holds `2^scale` remainder rows plus
//! `2^range_bits` rows per activation, and for small models the table, not the layers, sets `k`.
//! By default we take the largest scale that does not grow `k` beyond what scale 7 needs.

use serde::{Deserialize, Serialize};

use crate::artifacts::{CalibrationReport, OutputError, RowCounts};
use crate::circuit::graph_layout::lay_out;
use crate::circuit::layout::LayoutParams;
use crate::circuit::model_circuit::k_for_rows;
use crate::circuit::tables::{TableFn, TableSpec, MAX_RANGE_BITS};
use crate::encoding::{InstanceLayout, Packing, Scale, Visibilities};
use crate::error::ZkError;
use crate::model::graph::Graph;
use crate::quantise::qgraph::{quantise_graph, QGraph};

const LANE_CHOICES: [usize; 7] = [2, 3, 4, 6, 8, 12, 16];
const DEFAULT_MIN_SCALE: u32 = 7;
/// Domains up to 2^12 rows prove in well under a second on two cores.
const SMALL_CIRCUIT_K: u32 = 12;
const MAX_AUTO_SCALE: u32 = 12;

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
    /// Fixed scale (fractional bits); `None` chooses automatically.
    pub scale: Option<u32>,
    /// Fixed lane count; `None` chooses automatically.
    pub lanes: Option<usize>,
    /// Fixed activation range in bits; `None` sizes it from the calibration data. With `scale` and
    /// `lanes` fixed too, models of one architecture compile to one circuit (hashed parameters).
    pub range_bits: Option<u32>,
    /// Multiplier on the largest calibrated magnitude when sizing the activation range.
    pub headroom: f64,
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
            headroom: 2.0,
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

fn range_bits_for(max_abs: f64, scale: u32, headroom: f64) -> u32 {
    let bound = (max_abs * headroom * (1u64 << scale) as f64).ceil().max(1.0);
    let magnitude_bits = (bound + 1.0).log2().ceil() as u32;
    (magnitude_bits + 1).max(scale + 2)
}

struct Candidate {
    qgraph: QGraph,
    params: LayoutParams,
    public: InstanceLayout,
    k: u32,
    rows: RowCounts,
}

fn candidate(graph: &Graph, scale: u32, max_abs: f64, opts: &CalibrationOptions) -> Result<Candidate, ZkError> {
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
    let qgraph =
        quantise_graph(graph, Scale::new(scale).ok_or_else(|| ZkError::input(format!("scale {scale} is too large")))?);
    let mut functions: Vec<TableFn> = qgraph.activations().into_iter().map(TableFn::from_activation).collect();
    if functions.is_empty() {
        functions.push(TableFn::Identity);
    }
    let table = TableSpec { range_bits, functions };
    let public = InstanceLayout::plan(
        qgraph.scale,
        opts.visibility,
        opts.pack_instances.then(|| Packing::for_range_bits(range_bits)),
        &qgraph.input_tensors(),
        &qgraph.output_tensors(),
        qgraph.param_values().len(),
    );
    let lane_options: Vec<usize> = match opts.lanes {
        Some(l) => vec![l],
        None => LANE_CHOICES.to_vec(),
    };
    // Take the fewest lanes whose k fits the budget of the chosen optimisation (domains up to 2^12
    // rows always fit: they prove in well under a second).
    let mut options: Vec<(LayoutParams, u32, RowCounts)> = Vec::new();
    for lanes in lane_options {
        let params = LayoutParams { lanes, table: table.clone() };
        let layout = lay_out(&qgraph, &params, &public, None, Default::default())?;
        let k = k_for_rows(layout.rows(), lanes);
        let rows = RowCounts {
            arithmetic: layout.arith.len(),
            lookup: layout.lookup_tags.len(),
            table: layout.table.len(),
            instances: layout.instance_cells.len(),
        };
        options.push((params, k, rows));
    }
    let k_min = options.iter().map(|o| o.1).min().unwrap();
    let budget = match opts.optimize {
        Optimize::Prove => k_min.max(SMALL_CIRCUIT_K),
        Optimize::Balanced => (k_min + 2).max(SMALL_CIRCUIT_K),
        Optimize::Gas => u32::MAX,
    };
    let best = options.into_iter().find(|o| o.1 <= budget).map(|(p, k, r)| (0u64, p, k, r));
    let (_, params, k, rows) = best.unwrap();
    Ok(Candidate { qgraph, params, public, k, rows })
}

/// Chooses scale, range and lanes for `graph` from float runs on `samples`, then checks the
/// quantised circuit's outputs against the float ones.
pub fn calibrate(graph: &Graph, samples: &[Vec<Vec<f64>>], opts: &CalibrationOptions) -> Result<Calibrated, ZkError> {
    if samples.is_empty() {
        return Err(ZkError::input("calibration needs at least one input sample"));
    }
    if !(opts.headroom.is_finite() && opts.headroom >= 1.0) {
        return Err(ZkError::input(format!("headroom must be a number >= 1, got {}", opts.headroom)));
    }
    let mut max_abs: f64 = 0.0;
    let mut float_outputs = Vec::with_capacity(samples.len());
    for sample in samples {
        let values = graph.eval_f64(sample);
        for v in values.iter().flatten() {
            if !v.is_finite() {
                return Err(ZkError::input("the float model produced NaN or infinity on a calibration input"));
            }
            max_abs = max_abs.max(v.abs());
        }
        float_outputs.push(graph.outputs.iter().map(|&o| values[o].clone()).collect::<Vec<_>>());
    }
    // Max pooling range-checks differences of two values, which can reach twice the largest one.
    let has_max = graph.nodes.iter().any(|n| matches!(n.op, crate::model::graph::Op::Max { .. }));
    let range_magnitude = if has_max { 2.0 * max_abs } else { max_abs };

    let chosen = match opts.scale {
        Some(s) => candidate(graph, s, range_magnitude, opts)?,
        None => {
            let floor = candidate(graph, DEFAULT_MIN_SCALE, range_magnitude, opts)?;
            let mut chosen = floor;
            for s in DEFAULT_MIN_SCALE + 1..=MAX_AUTO_SCALE {
                match candidate(graph, s, range_magnitude, opts) {
                    Ok(c) if c.k <= chosen.k => chosen = c,
                    _ => break,
                }
            }
            chosen
        }
    };

    let scale = chosen.qgraph.scale;
    let mut outputs: Vec<OutputError> = graph
        .output_names
        .iter()
        .map(|name| OutputError {
            name: name.clone(),
            max_abs_error: 0.0,
            mean_abs_error: 0.0,
            max_abs_value: 0.0,
            float_sample: vec![],
            quantised_sample: vec![],
        })
        .collect();
    let mut counts = vec![0usize; outputs.len()];
    for (si, sample) in samples.iter().enumerate() {
        let q_inputs = scale.quantise(sample);
        let layout = lay_out(&chosen.qgraph, &chosen.params, &chosen.public, Some(&q_inputs), Default::default())
            .map_err(|e| e.context(format!("calibration sample {si}")))?;
        for (oi, (q, f)) in layout.outputs.iter().zip(&float_outputs[si]).enumerate() {
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
    }
    for (e, n) in outputs.iter_mut().zip(counts) {
        e.mean_abs_error /= n.max(1) as f64;
    }
    Ok(Calibrated {
        qgraph: chosen.qgraph,
        params: chosen.params,
        public: chosen.public,
        k: chosen.k,
        rows: chosen.rows,
        report: CalibrationReport { samples: samples.len(), max_abs_activation: max_abs, outputs },
    })
}
