//! Who sees which of the model's values: the choice `compile` records and every later stage reads.

use serde::{Deserialize, Serialize};

/// What a proof reveals of one side (the inputs or the outputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Exposed as public instances: the verifier (and the chain) sees them.
    Public,
    /// Witness only: bound by the circuit, never revealed.
    Private,
    /// Witness, committed: the one public instance is the Poseidon hash of the values and the
    /// side's salt (see `zkinfer commit`), so a consumer can pin which values were used.
    Hashed,
}

/// What a proof reveals of the model's weights and biases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamVisibility {
    /// Circuit constants, pinned by the verifying key: one verifier per model.
    Fixed,
    /// Witness values bound by a public Poseidon commitment: one verifier per architecture, and
    /// the commitment names the model.
    Hashed,
}

/// The visibility of each side of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Visibilities {
    pub input: Visibility,
    pub output: Visibility,
    pub params: ParamVisibility,
}

impl Default for Visibilities {
    fn default() -> Self {
        Visibilities { input: Visibility::Public, output: Visibility::Public, params: ParamVisibility::Fixed }
    }
}

impl Visibilities {
    /// Whether either side is committed with a salt (the circuit then homes the salt).
    pub fn any_salted(&self) -> bool {
        self.input == Visibility::Hashed || self.output == Visibility::Hashed
    }

    pub fn hashed_params(&self) -> bool {
        self.params == ParamVisibility::Hashed
    }
}
