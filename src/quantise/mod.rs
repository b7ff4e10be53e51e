//! Fixed-point quantisation: integer weights at one scale, activations fused into the op that feeds
//! them. Choosing the scale (calibration) lays out candidate circuits, so it lives a stage up, in
//! [`crate::pipeline::calibrate`].

pub mod qgraph;
