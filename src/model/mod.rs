//! Model import: ONNX in, zkinfer's own typed graph out, plus the float reference.

pub mod fold;
pub mod graph;
pub mod input_file;
pub mod onnx_import;
pub mod reference;
pub mod tree;
