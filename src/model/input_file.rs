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
}

/// Validated inputs: one flat f64 vector per model input.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInputs {
    pub values: Vec<Vec<f64>>,
    pub shapes: Option<Vec<Vec<usize>>>,
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
    Ok(ModelInputs { values, shapes: file.input_shapes })
}

/// Writes inputs in the same layout (used by tests and examples).
pub fn write_inputs(path: &Path, values: &[Vec<f64>]) -> Result<(), ZkError> {
    let file = InputFile {
        input_data: values.iter().map(|row| row.iter().map(|&x| serde_json::json!(x)).collect()).collect(),
        input_shapes: None,
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| ZkError::internal(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| ZkError::io(path, e))
}
