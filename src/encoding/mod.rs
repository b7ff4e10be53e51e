//! Public values: how the model's fixed-point numbers become field elements, instance words,
//! commitments and bytes, and back. This is the bottom layer: the circuit, the prover, the EVM
//! side and the keeper all encode and decode through it, and it knows none of them.

pub mod commitment;
pub mod field;
pub mod instances;
pub mod packing;
pub mod poseidon;
pub mod scale;
pub mod visibility;

pub use instances::{InstanceBlock, InstanceLayout, Side, Tensor};
pub use packing::Packing;
pub use scale::Scale;
pub use visibility::{ParamVisibility, Visibilities, Visibility};
