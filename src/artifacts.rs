//! Files zkinfer writes: the build directory (`settings.json`, `model.json`, keys, SRS) and the
//! proof file. All JSON, so scripts and other languages can read them.

use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::circuit::layout::LayoutParams;
use crate::error::ZkError;
use crate::quantise::calibrate::{CalibrationReport, RowCounts};

pub const SETTINGS_FILE: &str = "settings.json";
pub const MODEL_FILE: &str = "model.json";
pub const SETUP_FILE: &str = "setup.json";
pub const PK_FILE: &str = "pk.bin";
pub const VK_FILE: &str = "vk.bin";
pub const SRS_FILE: &str = "kzg.srs";
/// Bumped whenever a file layout changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Exposed as public instances: the verifier (and the chain) sees them.
    Public,
    /// Witness only: bound by the circuit, never revealed.
    Private,
    /// Witness, committed: the one public instance is the Poseidon hash of the values and the
    /// input file's salt (see `zkinfer commit`), so a consumer can pin which values were used.
    Hashed,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VisibilitySettings {
    pub input: Visibility,
    pub output: Visibility,
    /// `fixed`: weights are circuit constants pinned by the verifying key; `hashed`: weights are
    /// witness values bound by a public Poseidon commitment (`param_commitment`).
    pub params: String,
}

/// One contiguous block of public instances: one model input or output tensor.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InstanceBlock {
    /// `input` or `output`.
    pub kind: String,
    pub name: String,
    pub shape: Vec<usize>,
    /// First instance (field element) of the block.
    pub offset: usize,
    /// Instances (field elements) in the block.
    pub len: usize,
    /// Values (tensor elements, row-major) in the block.
    pub values: usize,
    /// How values are packed into instances (None: one value per instance).
    pub packing: Option<crate::circuit::chips::packing::Packing>,
    /// `poseidon`: the block is one instance, the Poseidon hash of all the model's inputs (or
    /// outputs), flattened in order, followed by the salt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
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
    pub scale: u32,
    pub layout: LayoutParams,
    pub visibility: VisibilitySettings,
    pub rows: RowCounts,
    pub num_instances: usize,
    pub instances: Vec<InstanceBlock>,
    pub input_names: Vec<String>,
    pub input_shapes: Vec<Vec<usize>>,
    pub output_names: Vec<String>,
    pub output_shapes: Vec<Vec<usize>>,
    pub calibration: CalibrationReport,
    /// Hashed parameters: Poseidon of every bias and weight (see `zkinfer commit --side params`),
    /// the value a consumer pins to say which model must have run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_commitment: Option<String>,
}

/// What `setup` produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetupInfo {
    pub vk_digest: String,
    /// `dev-insecure` or the path of the params file used.
    pub srs: String,
    pub pk_bytes: u64,
    pub vk_bytes: u64,
    pub keygen_s: f64,
}

/// A proof and what it claims.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProofFile {
    pub format_version: u32,
    /// 0x-prefixed proof bytes, as the verifier contract takes them.
    pub proof: String,
    /// 0x-prefixed 32-byte big-endian field elements in verifier order (see settings.instances).
    pub instances: Vec<String>,
    /// Model outputs decoded to floats (from the public instances when outputs are public).
    pub outputs: Vec<Vec<f64>>,
    /// The same outputs as signed fixed-point integers at `scale` fractional bits.
    pub outputs_fixed: Vec<Vec<i64>>,
    pub scale: u32,
    pub vk_digest: String,
    pub model_digest: String,
}

pub fn path(dir: &Path, file: &str) -> PathBuf {
    dir.join(file)
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, ZkError> {
    let text = std::fs::read_to_string(path).map_err(|e| ZkError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| ZkError::input(format!("{}: {e}", path.display())))
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ZkError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| ZkError::internal(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| ZkError::io(path, e))
}

pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

pub fn parse_hex0x(s: &str) -> Option<Vec<u8>> {
    hex::decode(s.strip_prefix("0x")?).ok()
}
