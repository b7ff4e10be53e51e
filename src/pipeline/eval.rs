//! Eval: the float model (tract) against the circuit's integer semantics on many samples, without
//! proving. The quantised side is [`lay_out`] with the witness, the very code `prove` runs, so a
//! sample evaluates here exactly as it would prove (or fails the same way when it leaves the range).

use std::path::Path;

use crate::artifacts::{Build, EvalReport, OutputEval};
use crate::circuit::graph_layout::lay_out;
use crate::circuit::layout::LayoutParams;
use crate::encoding::InstanceLayout;
use crate::error::{ErrorKind, ZkError};
use crate::model::reference::ReferenceModel;
use crate::quantise::qgraph::QGraph;

/// The circuit a build (or a compile in progress) proves: what evaluation runs.
pub struct CircuitModel<'a> {
    pub qgraph: &'a QGraph,
    pub layout: &'a LayoutParams,
    pub public: &'a InstanceLayout,
}

impl<'a> From<&'a Build> for CircuitModel<'a> {
    fn from(b: &'a Build) -> Self {
        CircuitModel { qgraph: &b.qgraph, layout: &b.settings.layout, public: b.public() }
    }
}

/// Loads the float reference a build was compiled from (or `model`, when given).
pub fn reference_for(build: &Build, model: Option<&Path>) -> Result<ReferenceModel, ZkError> {
    let path = model.map(Path::to_path_buf).unwrap_or_else(|| build.settings.source_model.clone().into());
    if !path.exists() {
        return Err(ZkError::input(format!(
            "the build's source model {} is not there; pass the ONNX file with --model",
            path.display()
        )));
    }
    ReferenceModel::load(&path, &build.settings.input_shapes)
}

/// Runs every sample through both models and summarises the differences per output.
pub fn evaluate(
    circuit: &CircuitModel,
    reference: &ReferenceModel,
    samples: &[Vec<Vec<f64>>],
) -> Result<EvalReport, ZkError> {
    if samples.is_empty() {
        return Err(ZkError::input("no samples to evaluate"));
    }
    let scale = circuit.qgraph.scale;
    let names = &circuit.qgraph.output_names;
    // Per output: (float, quantised) value pairs, per sample.
    let mut pairs: Vec<Vec<(Vec<f64>, Vec<f64>)>> = vec![Vec::new(); names.len()];
    let mut out_of_range = 0;
    let mut first_out_of_range = None;
    for (i, sample) in samples.iter().enumerate() {
        let fixed = scale.quantise(sample);
        let layout = match lay_out(circuit.qgraph, circuit.layout, circuit.public, Some(&fixed), Default::default()) {
            Ok(l) => l,
            // A value outside the range is what a proof of this sample would fail with.
            Err(e) if e.kind == ErrorKind::Input && e.message.contains("outside the circuit's range") => {
                out_of_range += 1;
                first_out_of_range.get_or_insert_with(|| format!("sample {i}: {}", e.message));
                continue;
            }
            Err(e) => return Err(e.context(format!("sample {i}"))),
        };
        let float = reference.run(sample).map_err(|e| e.context(format!("sample {i}")))?;
        for (o, (f, q)) in float.into_iter().zip(&layout.outputs).enumerate() {
            pairs[o].push((f, q.iter().map(|&v| scale.to_float(v)).collect()));
        }
    }
    let outputs = names.iter().zip(pairs).map(|(name, p)| summarise(name, &p)).collect();
    Ok(EvalReport { samples: samples.len(), out_of_range, first_out_of_range, outputs })
}

fn summarise(name: &str, pairs: &[(Vec<f64>, Vec<f64>)]) -> OutputEval {
    let values = pairs.first().map_or(0, |(f, _)| f.len());
    let range = pairs.iter().flat_map(|(f, _)| f).fold(0.0f64, |m, x| m.max(x.abs())).max(EvalReport::RANGE_FLOOR);
    let mut histogram = vec![0; EvalReport::HISTOGRAM_EDGES.len() + 1];
    let (mut max_abs, mut sum_abs, mut count) = (0.0f64, 0.0, 0usize);
    let mut agree = 0;
    for (f, q) in pairs {
        for (a, b) in f.iter().zip(q) {
            let err = (a - b).abs();
            max_abs = max_abs.max(err);
            sum_abs += err;
            count += 1;
            let bin = EvalReport::HISTOGRAM_EDGES.iter().position(|&edge| err / range < edge);
            histogram[bin.unwrap_or(EvalReport::HISTOGRAM_EDGES.len())] += 1;
        }
        agree += usize::from(argmax(f) == argmax(q));
    }
    let mean_abs = if count == 0 { 0.0 } else { sum_abs / count as f64 };
    OutputEval {
        name: name.to_string(),
        values,
        max_abs_error: max_abs,
        mean_abs_error: mean_abs,
        range,
        max_rel_error: max_abs / range,
        mean_rel_error: mean_abs / range,
        argmax_agree: (values > 1).then_some(agree),
        histogram,
    }
}

/// Index of the largest value (the first, on ties).
fn argmax(v: &[f64]) -> Option<usize> {
    v.iter()
        .enumerate()
        .fold(None, |best: Option<(usize, f64)>, (i, &x)| match best {
            Some((_, b)) if b >= x => best,
            _ => Some((i, x)),
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_bins_and_argmax() {
        // Sample 0 agrees on the argmax; sample 1's quantised argmax moves from 0 to 1.
        let pairs = vec![(vec![1.0, 0.5], vec![0.999, 0.5]), (vec![0.3, 0.25], vec![0.2, 0.25])];
        let o = summarise("y", &pairs);
        assert_eq!(o.range, 1.0);
        assert!((o.max_abs_error - 0.1).abs() < 1e-12);
        assert!((o.max_rel_error - 0.1).abs() < 1e-12);
        assert!((o.mean_abs_error - 0.101 / 4.0).abs() < 1e-12);
        assert_eq!(o.argmax_agree, Some(1));
        assert_eq!(o.histogram, vec![2, 0, 0, 1, 0, 0, 1], "two exact, one 0.1%, one 10%");
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), Some(1));
        assert_eq!(argmax(&[]), None);
        let tiny = summarise("z", &[(vec![0.001], vec![0.0])]);
        assert_eq!(tiny.range, EvalReport::RANGE_FLOOR, "near-zero outputs are read against the floor");
        assert_eq!(tiny.argmax_agree, None, "one value has no argmax to compare");
    }
}
