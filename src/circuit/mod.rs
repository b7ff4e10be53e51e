//! The circuit: a quantised graph laid out on one arithmetic gate and one table lookup.

pub mod chips;
pub mod config;
pub mod graph_layout;
pub mod layout;
pub mod model_circuit;
pub mod tables;
