//! File names, the format version, and the JSON and hex helpers every artefact uses.

use std::path::{Path, PathBuf};

use halo2_proofs::halo2curves::bn256::Fr;
use serde::{de::DeserializeOwned, Serialize};

use crate::encoding::field::{fr_from_be_bytes, fr_to_be_bytes};
use crate::error::ZkError;

pub const SETTINGS_FILE: &str = "settings.json";
pub const MODEL_FILE: &str = "model.json";
pub const SETUP_FILE: &str = "setup.json";
pub const PK_FILE: &str = "pk.bin";
pub const VK_FILE: &str = "vk.bin";
pub const SRS_FILE: &str = "kzg.srs";
/// Bumped whenever a file layout changes incompatibly.
pub const FORMAT_VERSION: u32 = 3;

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

/// A field element as JSON writes it: 0x-prefixed 32 big-endian bytes.
pub fn fr_hex(x: &Fr) -> String {
    hex0x(&fr_to_be_bytes(x))
}

/// Parses [`fr_hex`]'s format; `None` for anything else or a value not below r.
pub fn parse_fr_hex(s: &str) -> Option<Fr> {
    let bytes: [u8; 32] = parse_hex0x(s)?.try_into().ok()?;
    fr_from_be_bytes(&bytes)
}
