//! Fixed-point quantisation: scales chosen by calibration, integer weights, fused activations.

pub mod calibrate;
pub mod qgraph;
