//! `settings.json` (what `compile` decided) and `setup.json` (what `setup` made).

use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use crate::circuit::layout::LayoutParams;
use crate::encoding::InstanceLayout;

/// Float vs quantised error of one model output over the calibration samples.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutputError {
    pub name: String,
    pub max_abs_error: f64,
    pub mean_abs_error: f64,
    /// Largest float magnitude of this output, to read the error against.
    pub max_abs_value: f64,
    /// `max_abs_error` over the output's range (`max_abs_value`, floored at
    /// [`EvalReport::RANGE_FLOOR`]): what the error budget bounds.
    pub max_rel_error: f64,
    /// First sample: float outputs and the quantised outputs decoded back to floats.
    pub float_sample: Vec<f64>,
    pub quantised_sample: Vec<f64>,
}

/// One layer's float vs quantised error over the calibration samples, relative to that layer's
/// own range: where precision goes, so a user can see which op dominates an output's error.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerError {
    pub name: String,
    pub op_type: String,
    pub max_rel_error: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CalibrationReport {
    pub samples: usize,
    /// Largest magnitude of any intermediate value seen.
    pub max_abs_activation: f64,
    /// The error budget: the largest allowed `max_rel_error` of any output.
    pub max_error: f64,
    /// Whether every output is within the budget.
    pub budget_met: bool,
    /// When the budget is not met: the layer that loses the most precision, and what would help.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    pub outputs: Vec<OutputError>,
    /// The layers with the largest errors, worst first (at most [`CalibrationReport::LAYERS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerError>,
    /// Tree ensembles: how the quantised decisions compare with the float ones on the samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trees: Option<TreeReport>,
}

/// Decision trees on the calibration samples. A feature within one quantisation step of a
/// threshold it is tested against may take the other branch in the circuit; calibration raises
/// the scale until none does (where the range allows), so every sample reaches the float leaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeReport {
    /// Samples on which some tree reaches another leaf than the float model.
    pub samples_on_other_leaves: usize,
    /// Sample features (all rows of all tree inputs) within one step of a threshold they meet.
    pub features_near_threshold: usize,
    /// Sample features read by trees.
    pub features: usize,
    /// The step: `2^-scale`.
    pub step: f64,
}

impl TreeReport {
    pub fn clean(&self) -> bool {
        self.samples_on_other_leaves == 0 && self.features_near_threshold == 0
    }
}

impl CalibrationReport {
    pub const LAYERS: usize = 5;

    /// The worst output's error relative to its range.
    pub fn max_rel_error(&self) -> f64 {
        self.outputs.iter().map(|o| o.max_rel_error).fold(0.0, f64::max)
    }
}

/// Float model against the circuit's integer semantics on many samples (`zkinfer eval`,
/// `compile --holdout`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub samples: usize,
    /// Samples a proof would refuse because a value leaves the circuit's range; they are not in
    /// the statistics.
    pub out_of_range: usize,
    /// The first of them: its index and the error naming the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_out_of_range: Option<String>,
    pub outputs: Vec<OutputEval>,
}

/// One model output over the evaluated samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputEval {
    pub name: String,
    /// Values per sample.
    pub values: usize,
    pub max_abs_error: f64,
    pub mean_abs_error: f64,
    /// The output's range: the largest |float value| over the samples, floored at
    /// [`EvalReport::RANGE_FLOOR`]; relative errors are read against it.
    pub range: f64,
    pub max_rel_error: f64,
    pub mean_rel_error: f64,
    /// Samples whose quantised argmax is the float argmax (outputs with more than one value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argmax_agree: Option<usize>,
    /// Values per relative-error bin, bins bounded by [`EvalReport::HISTOGRAM_EDGES`] (the last
    /// bin is everything above the last edge).
    pub histogram: Vec<usize>,
}

impl EvalReport {
    /// An output whose floats all stay within this magnitude is read against it, so a near-zero
    /// output does not turn a one-quantum error into an infinite relative one.
    pub const RANGE_FLOOR: f64 = 1e-2;
    /// Upper edges of the relative-error bins: 0.01%, 0.05%, 0.1%, 0.5%, 1%, 5%.
    pub const HISTOGRAM_EDGES: [f64; 6] = [1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2];

    /// Samples in the statistics.
    pub fn evaluated(&self) -> usize {
        self.samples - self.out_of_range
    }
}

/// Rows each track of the circuit uses.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RowCounts {
    pub arithmetic: usize,
    pub lookup: usize,
    pub table: usize,
    pub instances: usize,
}

impl RowCounts {
    /// The tallest track: what sets `k`.
    pub fn max(&self) -> usize {
        self.arithmetic.max(self.lookup).max(self.table)
    }
}

/// What `compile` decided: everything `setup`, `prove` and `verify` need besides the keys.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub format_version: u32,
    pub zkinfer_version: String,
    pub source_model: String,
    /// keccak256 of model.json: the exact quantised model.
    pub model_digest: String,
    pub k: u32,
    pub layout: LayoutParams,
    /// The public values: scale, visibility, packing and the instance blocks (flattened into the
    /// file as `scale`, `visibility`, `packing`, `num_instances`, `instances`).
    #[serde(flatten)]
    pub public: InstanceLayout,
    pub rows: RowCounts,
    pub input_names: Vec<String>,
    pub input_shapes: Vec<Vec<usize>>,
    pub output_names: Vec<String>,
    pub output_shapes: Vec<Vec<usize>>,
    pub calibration: CalibrationReport,
    /// Hashed parameters: Poseidon of every bias and weight (see `zkinfer commit --side params`),
    /// the value a consumer pins to say which model must have run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_commitment: Option<String>,
    /// `compile --holdout`: the float model against the circuit on held-out samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<EvalReport>,
}

impl Settings {
    /// keccak256 of everything that defines the circuit (model, k, layout, public values): keys
    /// made for one digest are refused for another.
    pub fn circuit_digest(&self) -> String {
        let defining = serde_json::json!({
            "model_digest": self.model_digest,
            "k": self.k,
            "layout": self.layout,
            "public": self.public,
        });
        super::hex0x(&Keccak256::digest(defining.to_string().as_bytes()))
    }
}

/// Where the SRS behind a build's keys came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SrsOrigin {
    /// zkinfer's development SRS: its secret is public, so anyone can forge proofs.
    DevInsecure,
    /// A params file, by path.
    #[serde(untagged)]
    File(String),
}

impl std::fmt::Display for SrsOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SrsOrigin::DevInsecure => f.write_str("dev-insecure"),
            SrsOrigin::File(p) => f.write_str(p),
        }
    }
}

/// How an SRS file was stored: which reader took it, and for a ceremony's file what it claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrsFileInfo {
    pub format: SrsFormat,
    /// The `k` the file holds (2^k points), before fitting to a circuit.
    pub k: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<Ceremony>,
}

/// The SRS file formats `--srs` reads (see the README's "A real SRS").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SrsFormat {
    /// snarkjs Powers of Tau (`.ptau`), phase 1, prepared or not.
    SnarkjsPtau,
    /// halo2 `ParamsKZG` written with `SerdeFormat::RawBytes` (PSE's and EZKL's `kzg*.srs`, and
    /// zkinfer's own files).
    Halo2Raw,
    /// halo2 `ParamsKZG` written with `SerdeFormat::Processed` (compressed points).
    Halo2Processed,
}

impl std::fmt::Display for SrsFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SrsFormat::SnarkjsPtau => "snarkjs .ptau",
            SrsFormat::Halo2Raw => "halo2 params (raw)",
            SrsFormat::Halo2Processed => "halo2 params (processed)",
        })
    }
}

/// What a `.ptau` says about the ceremony that made it. Claimed, not re-derived: compare
/// `claimed_hash` with the hash the ceremony published (`snarkjs powersoftau verify` prints it as
/// the "Next challenge hash").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    /// Powers the file holds (2^power).
    pub power: u32,
    /// Powers the ceremony was run for (larger when the file was truncated from it).
    pub ceremony_power: u32,
    pub contributions: Vec<Contribution>,
    /// The last contribution's next-challenge hash (blake2b-512, hex); none without contributions.
    pub claimed_hash: Option<String>,
}

/// One entry of a `.ptau`'s contribution log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub name: Option<String>,
    /// A random beacon (public randomness) rather than a contributor's secret.
    pub beacon: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon_iterations_exp: Option<u8>,
    pub next_challenge: String,
}

/// What `setup` produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetupInfo {
    pub vk_digest: String,
    pub srs: SrsOrigin,
    /// The file's format and ceremony claims, when the SRS came from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srs_file: Option<SrsFileInfo>,
    /// [`Settings::circuit_digest`] of the settings the keys were made for.
    pub circuit_digest: String,
    pub pk_bytes: u64,
    pub vk_bytes: u64,
    pub keygen_s: f64,
}

impl SetupInfo {
    /// The verifying-key digest as the field element a verifier's `VK_DIGEST()` states.
    pub fn vk_digest_fr(&self) -> Result<halo2_proofs::halo2curves::bn256::Fr, crate::error::ZkError> {
        super::parse_fr_hex(&self.vk_digest)
            .ok_or_else(|| crate::error::ZkError::input("setup.json has a malformed vk_digest"))
    }

    pub fn insecure_srs(&self) -> bool {
        self.srs == SrsOrigin::DevInsecure
    }
}
