//! `zkinfer compile`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::json;

use crate::cli::commands::eval::summary_line;
use crate::cli::output::{describe_instances, emit, fmt_vec};
use crate::cli::progress::Step;
use crate::cli::{JsonFlag, Outcome};
use crate::encoding::{ParamVisibility, Side, Visibilities, Visibility};
use crate::error::ZkError;
use crate::pipeline::{self, Build, CalibrationOptions, CompileRequest, Optimize};

/// What the proof reveals of the inputs or the outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VisibilityArg {
    /// Exposed as public instances: the verifier (and the chain) sees them.
    Public,
    /// Witness only: bound by the circuit, never revealed.
    Private,
    /// Witness, committed: the one public instance is the Poseidon hash of the values and the
    /// input file's salt (see `zkinfer commit`), so a consumer can pin which values were used.
    Hashed,
}

impl From<VisibilityArg> for Visibility {
    fn from(v: VisibilityArg) -> Self {
        match v {
            VisibilityArg::Public => Visibility::Public,
            VisibilityArg::Private => Visibility::Private,
            VisibilityArg::Hashed => Visibility::Hashed,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ParamVisibilityArg {
    Fixed,
    Hashed,
}

/// What to favour when choosing lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizeArg {
    /// The fewest lanes that keep k at its minimum (fastest proving).
    Prove,
    /// The fewest lanes within 4x of the minimal domain: most of the gas saving for at most ~2x
    /// proving time.
    Balanced,
    /// Two lanes, whatever k that needs (cheapest verification).
    Gas,
}

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The ONNX model.
    model: PathBuf,
    /// Sample input(s) in EZKL's input.json layout; repeat the flag to calibrate on several. A file
    /// whose `input_data` has more rows than the model has inputs holds several samples.
    #[arg(long = "calibrate", required = true, value_name = "INPUT.json")]
    calibrate: Vec<PathBuf>,
    /// Whether the model inputs are public instances (seen by the verifier), private witness, or
    /// hashed: private, with one public Poseidon commitment to them and the input file's salt.
    #[arg(long, value_enum, default_value = "public")]
    input_visibility: VisibilityArg,
    /// `fixed`: weights are circuit constants, pinned by the verifying key (a new verifier per
    /// model). `hashed`: weights are private witness bound by a public Poseidon commitment,
    /// printed here; one verifier serves every model of the same architecture, and a consumer
    /// pins the commitment of the model it trusts. Costs about 320 rows per weight.
    #[arg(long, value_enum, default_value = "fixed")]
    param_visibility: ParamVisibilityArg,
    /// Whether the model outputs are public instances, private witness, or hashed (committed).
    #[arg(long, value_enum, default_value = "public")]
    output_visibility: VisibilityArg,
    /// Largest quantisation error allowed on the calibration samples, relative to each output's
    /// range (its largest |float value|, floored at 0.01): `0.05%` or `5e-4`. Calibration picks
    /// the smallest scale that meets it; if none does, compile still succeeds and names the layer
    /// that loses the most precision.
    #[arg(long, value_name = "E", value_parser = parse_error_budget, default_value = "0.05%")]
    max_error: f64,
    /// Fractional bits of the fixed-point encoding (default: the smallest meeting --max-error).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=24))]
    scale: Option<u32>,
    /// Activation range in bits (default: sized from the calibration data with --headroom).
    #[arg(long, value_parser = clap::value_parser!(u32).range(4..=40))]
    range_bits: Option<u32>,
    /// Limb width of range proofs: the range table has 2^bits rows (default: the width giving the
    /// smallest circuit).
    #[arg(long, value_parser = clap::value_parser!(u32).range(4..=16))]
    limb_bits: Option<u32>,
    /// Compile to the same circuit as an existing build (its scale, lanes and range): with
    /// --param-visibility hashed, a model of the same architecture then shares its verifier.
    /// Fails unless the circuits come out identical.
    #[arg(long, value_name = "BUILD_DIR", conflicts_with_all = ["scale", "lanes", "range_bits", "limb_bits"])]
    like: Option<PathBuf>,
    /// Lanes of the arithmetic gate, i.e. multiply-accumulates per row (default: chosen).
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=32))]
    lanes: Option<u64>,
    /// What to favour when choosing lanes: proving time, verifier gas, or a balance (default).
    /// Ignored with --lanes.
    #[arg(long, value_enum, default_value = "balanced")]
    optimize: OptimizeArg,
    /// One public instance per value instead of several values packed per field element
    /// (packing: `W = sum_i (v_i + 2^(b-1)) 2^(b i)`, see settings.json `instances`).
    #[arg(long)]
    no_pack: bool,
    /// Activation range as a multiple of the largest calibrated magnitude.
    #[arg(long, default_value_t = 2.0)]
    headroom: f64,
    /// Held-out samples (input.json whose rows are samples, or JSON Lines): the float model
    /// against the compiled circuit on them goes into settings.json as `holdout` (see `zkinfer eval`).
    #[arg(long, value_name = "SAMPLES")]
    holdout: Option<PathBuf>,
    /// Output build directory.
    #[arg(short = 'o', long = "out", value_name = "BUILD_DIR")]
    out: PathBuf,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn run(a: CompileArgs, json: bool) -> Result<Outcome, ZkError> {
    if !(a.headroom.is_finite() && a.headroom >= 1.0) {
        return Err(ZkError::input("--headroom must be a number >= 1"));
    }
    let reference = a.like.as_ref().map(|dir| Build::open(dir)).transpose()?;
    let options = CalibrationOptions {
        scale: a.scale,
        lanes: a.lanes.map(|l| l as usize),
        range_bits: a.range_bits,
        limb_bits: a.limb_bits,
        input_bits: None,
        headroom: a.headroom,
        max_error: a.max_error,
        visibility: Visibilities {
            input: a.input_visibility.into(),
            output: a.output_visibility.into(),
            params: match a.param_visibility {
                ParamVisibilityArg::Fixed => ParamVisibility::Fixed,
                ParamVisibilityArg::Hashed => ParamVisibility::Hashed,
            },
        },
        pack_instances: !a.no_pack,
        optimize: match a.optimize {
            OptimizeArg::Prove => Optimize::Prove,
            OptimizeArg::Balanced => Optimize::Balanced,
            OptimizeArg::Gas => Optimize::Gas,
        },
    };
    let step = Step::start("compiling");
    let settings = pipeline::compile(&CompileRequest {
        model: &a.model,
        calibration: &a.calibrate,
        options,
        out_dir: &a.out,
        like: reference.as_ref(),
        holdout: a.holdout.as_deref(),
    })?;
    let secs = step.finish();
    emit(json, json!({"ok": true, "build_dir": a.out, "compile_s": secs, "settings": settings}), || {
        let public = &settings.public;
        let mut s = format!(
            "compiled {} -> {}\n  k={} (arithmetic rows {}, lookup rows {}, table rows {}), lanes {}, scale {}, range {} bits in {}-bit limbs\n  {}\n  public instances: {} ({}), {}",
            a.model.display(),
            a.out.display(),
            settings.k,
            settings.rows.arithmetic,
            settings.rows.lookup,
            settings.rows.table,
            settings.layout.lanes,
            public.scale,
            settings.layout.table.range_bits,
            settings.layout.table.limb_bits,
            budget_line(&settings.calibration),
            public.num_instances,
            describe_instances(public),
            match &settings.param_commitment {
                Some(c) => format!(
                    "parameters hashed ({} weights and biases, private)\n  weight commitment {c} (pin this to name the model)",
                    public.commitment(Side::Params).map_or(0, |b| b.values)
                ),
                None => "parameters fixed (pinned by the verifying key)".into(),
            },
        );
        let layout = &settings.layout;
        for (i, name) in settings.input_names.iter().enumerate() {
            let bits = layout.input_bits(i);
            if bits < layout.table.range_bits {
                let half = public.scale.to_float(1i128 << (bits - 1));
                s += &format!(
                    "\n  input '{name}': values in [{:.4}, {half:.4}) ({bits} bits, one lookup each: its samples with \
                     headroom fit one limb); proving a value outside fails with an error",
                    -half
                );
            }
        }
        let layers = &settings.calibration.layers;
        if !layers.is_empty() {
            let list: Vec<String> = layers
                .iter()
                .take(3)
                .map(|l| {
                    format!("'{}' ({}) {}", l.name, l.op_type, crate::pipeline::calibrate::percent(l.max_rel_error))
                })
                .collect();
            s += &format!("\n  largest layer errors (each of its own range): {}", list.join(", "));
        }
        if let Some(t) = &settings.calibration.trees {
            s += &format!(
                "\n  trees: {} of {} calibration samples reach another leaf than the float model; {} of {} features \
                 within one step ({:.3e}) of a threshold they meet",
                t.samples_on_other_leaves, settings.calibration.samples, t.features_near_threshold, t.features, t.step
            );
        }
        if let Some(h) = &settings.holdout {
            s += &format!("\n  hold-out: {}", summary_line(h));
        }
        for o in &settings.calibration.outputs {
            s += &format!(
                "\n  output '{}': max |float - quantised| = {:.3e} ({} of its range; mean {:.3e}, magnitude up to {:.4})\n    float     {}\n    quantised {}",
                o.name,
                o.max_abs_error,
                crate::pipeline::calibrate::percent(o.max_rel_error),
                o.mean_abs_error,
                o.max_abs_value,
                fmt_vec(&o.float_sample),
                fmt_vec(&o.quantised_sample)
            );
        }
        s
    });
    Ok(Outcome::Success)
}

/// `0.05%` (a percentage) or `5e-4` (a fraction).
fn parse_error_budget(s: &str) -> Result<f64, String> {
    let (number, factor) = match s.strip_suffix('%') {
        Some(p) => (p, 0.01),
        None => (s, 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * factor < 1.0 => Ok(v * factor),
        _ => Err(format!("'{s}' is not an error budget: give a percentage like 0.05% or a fraction like 5e-4")),
    }
}

/// How the calibration error compares with the budget, in one line.
fn budget_line(c: &crate::artifacts::CalibrationReport) -> String {
    use crate::pipeline::calibrate::percent;
    if c.budget_met {
        format!(
            "error {} of the output range on {} calibration sample(s), within the {} budget",
            percent(c.max_rel_error()),
            c.samples,
            percent(c.max_error)
        )
    } else {
        format!("warning: error budget missed: {}", c.advice.as_deref().unwrap_or("no advice"))
    }
}
