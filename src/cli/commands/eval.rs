//! `zkinfer eval`: how far the circuit's outputs land from the float model's, on many samples.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::artifacts::{Build, EvalReport};
use crate::cli::output::emit;
use crate::cli::progress::Step;
use crate::cli::{JsonFlag, Outcome};
use crate::error::ZkError;
use crate::model::input_file::read_samples;
use crate::pipeline::eval::{evaluate, reference_for};

#[derive(Args, Debug)]
pub struct EvalArgs {
    build_dir: PathBuf,
    /// Samples: an input.json whose `input_data` rows are samples (taken as many at a time as the
    /// model has inputs), or JSON Lines with one input.json object per line.
    samples: PathBuf,
    /// The float model to compare with (default: the ONNX file the build was compiled from).
    #[arg(long, value_name = "MODEL.onnx")]
    model: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn run(a: EvalArgs, json: bool) -> Result<Outcome, ZkError> {
    let build = Build::open(&a.build_dir)?;
    let reference = reference_for(&build, a.model.as_deref())?;
    let samples = read_samples(&a.samples, build.settings.input_names.len())?;
    let step = Step::start(&format!("evaluating {} samples", samples.len()));
    let report = evaluate(&(&build).into(), &reference, &samples)?;
    let secs = step.finish();
    let histogram = !json && std::io::stdout().is_terminal();
    emit(json, json!({"ok": true, "eval_s": secs, "report": report}), || describe(&report, secs, histogram));
    Ok(Outcome::Success)
}

/// One line: the worst output's relative error, argmax agreement, samples out of range.
pub fn summary_line(r: &EvalReport) -> String {
    let worst = r.outputs.iter().map(|o| o.max_rel_error).fold(0.0f64, f64::max);
    let argmax: Vec<String> = r
        .outputs
        .iter()
        .filter_map(|o| o.argmax_agree.map(|a| format!("argmax agrees on {a}/{} ('{}')", r.evaluated(), o.name)))
        .collect();
    let mut s = format!("{} samples, max error {:.4}% of an output's range", r.samples, 100.0 * worst);
    if !argmax.is_empty() {
        s += &format!(", {}", argmax.join(", "));
    }
    if r.out_of_range > 0 {
        s += &format!(", {} out of the circuit's range", r.out_of_range);
    }
    s
}

fn describe(r: &EvalReport, secs: f64, histogram: bool) -> String {
    let mut s = format!("evaluated in {secs:.2}s: {}", summary_line(r));
    if let Some(first) = &r.first_out_of_range {
        s += &format!("\n  first out of range: {first}");
    }
    for o in &r.outputs {
        s += &format!(
            "\n  output '{}' ({} values, range {:.4}): max |error| {:.6} ({:.4}%), mean {:.6} ({:.4}%)",
            o.name,
            o.values,
            o.range,
            o.max_abs_error,
            100.0 * o.max_rel_error,
            o.mean_abs_error,
            100.0 * o.mean_rel_error
        );
        if histogram {
            let total = o.histogram.iter().sum::<usize>().max(1);
            let mut lower = "0".to_string();
            for (i, &n) in o.histogram.iter().enumerate() {
                let upper = EvalReport::HISTOGRAM_EDGES.get(i).map(|e| format!("{}%", e * 100.0));
                let label = match &upper {
                    Some(u) => format!("[{lower}, {u})"),
                    None => format!(">= {lower}"),
                };
                let bar = "#".repeat((40 * n).div_ceil(total).min(40));
                s += &format!("\n    {label:>16} {n:>8} {bar}");
                lower = upper.unwrap_or_default();
            }
        }
    }
    s
}
