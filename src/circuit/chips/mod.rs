//! Chips: one layout routine per operation family, all built on the arithmetic gate and the lookup
//! in [`super::config`]. Each file's tests show a valid witness passing and tampered ones failing.

pub mod activation;
pub mod clip;
pub mod compare;
pub mod divide;
pub mod exp;
pub mod linear;
pub mod log;
pub mod max;
pub mod normalize;
pub mod packing;
pub mod poseidon;
pub mod product;
pub mod range;
pub mod rescale;
pub mod sqrt;
pub mod tree;

#[cfg(test)]
pub(crate) mod test_support;
