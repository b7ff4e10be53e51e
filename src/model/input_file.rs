//! EZKL's `input.json` layout, read as-is so EZKL users can bring their files:
//! `{"input_data": [[...], ...], "input_shapes": [[...], ...] (optional)}`, one flat row-major array
//! per model input.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ZkError;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InputFile {
    pub input_data: Vec<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_shapes: Option<Vec<Vec<usize>>>,
    /// Salt of the Poseidon commitments (hashed visibility): up to 32 bytes of 0x hex, below the
    /// field modulus. Without it the salt is 0, and a commitment to few possible values can be
    /// reversed by trying them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

/// Validated inputs: one flat f64 vector per model input.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInputs {
    pub values: Vec<Vec<f64>>,
    pub shapes: Option<Vec<Vec<usize>>>,
    /// The commitment salt as 32 big-endian bytes (zero when the file has none).
    pub salt: [u8; 32],
}

/// Reads an input file, rejecting anything that is not a finite number with the position named.
pub fn read_inputs(path: &Path) -> Result<ModelInputs, ZkError> {
    let text = std::fs::read_to_string(path).map_err(|e| ZkError::io(path, e))?;
    let file: InputFile = serde_json::from_str(&text).map_err(|e| {
        ZkError::input(format!(
            "{}: not an input file ({e}); expected {{\"input_data\": [[numbers...], ...]}}",
            path.display()
        ))
    })?;
    parse_inputs(file).map_err(|e| e.context(path.display()))
}

pub fn parse_inputs(file: InputFile) -> Result<ModelInputs, ZkError> {
    if file.input_data.is_empty() {
        return Err(ZkError::input("input_data is empty"));
    }
    let mut values = Vec::with_capacity(file.input_data.len());
    for (i, row) in file.input_data.iter().enumerate() {
        let mut parsed = Vec::with_capacity(row.len());
        for (j, v) in row.iter().enumerate() {
            // serde_json turns NaN into null; strings like "NaN" also appear in hand-written files.
            let x = v
                .as_f64()
                .ok_or_else(|| ZkError::input(format!("input_data[{i}][{j}] is {v}, not a finite number")))?;
            if !x.is_finite() {
                return Err(ZkError::input(format!("input_data[{i}][{j}] is not finite")));
            }
            parsed.push(x);
        }
        values.push(parsed);
    }
    let salt = match &file.salt {
        None => [0u8; 32],
        Some(s) => parse_salt(s)?,
    };
    Ok(ModelInputs { values, shapes: file.input_shapes, salt })
}

/// Many samples for evaluation, one `Vec` of input tensors each. Two layouts: one input.json whose
/// `input_data` rows are taken `inputs` at a time (for a one-input model, each row is a sample), or
/// JSON Lines with one input.json object per line.
pub fn read_samples(path: &Path, inputs: usize) -> Result<Vec<Vec<Vec<f64>>>, ZkError> {
    let text = std::fs::read_to_string(path).map_err(|e| ZkError::io(path, e))?;
    let at = |what: String| ZkError::input(format!("{}: {what}", path.display()));
    let files: Vec<InputFile> = match serde_json::from_str::<InputFile>(&text) {
        Ok(file) => vec![file],
        Err(whole) => {
            let lines: Vec<(usize, &str)> = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).collect();
            if lines.len() < 2 {
                return Err(at(format!(
                    "not a samples file ({whole}); expected {{\"input_data\": [[...], ...]}} or one such object per line"
                )));
            }
            lines
                .into_iter()
                .map(|(n, l)| serde_json::from_str(l).map_err(|e| at(format!("line {}: {e}", n + 1))))
                .collect::<Result<_, _>>()?
        }
    };
    let mut samples = Vec::new();
    for (f, file) in files.into_iter().enumerate() {
        let parsed = parse_inputs(file).map_err(|e| e.context(format!("{} (sample file {f})", path.display())))?;
        if inputs == 0 || parsed.values.len() % inputs != 0 {
            return Err(at(format!(
                "{} rows of input_data is not a whole number of samples for a model with {inputs} input(s)",
                parsed.values.len()
            )));
        }
        samples.extend(parsed.values.chunks(inputs).map(|c| c.to_vec()));
    }
    Ok(samples)
}

/// A salt: 0x hex of at most 32 bytes, left-padded to 32.
fn parse_salt(s: &str) -> Result<[u8; 32], ZkError> {
    let bad = || ZkError::input(format!("salt {s:?} is not 0x-prefixed hex of at most 32 bytes"));
    let hex_digits = s.strip_prefix("0x").ok_or_else(bad)?;
    let padded = if hex_digits.len() % 2 == 1 { format!("0{hex_digits}") } else { hex_digits.to_string() };
    let bytes = hex::decode(padded).map_err(|_| bad())?;
    if bytes.len() > 32 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    out[32 - bytes.len()..].copy_from_slice(&bytes);
    Ok(out)
}

/// Writes inputs in the same layout (used by tests and examples).
pub fn write_inputs(path: &Path, values: &[Vec<f64>]) -> Result<(), ZkError> {
    let file = InputFile {
        input_data: values.iter().map(|row| row.iter().map(|&x| serde_json::json!(x)).collect()).collect(),
        input_shapes: None,
        salt: None,
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| ZkError::internal(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| ZkError::io(path, e))
}
