//! Regenerates the checked-in fixture models.
//!
//! Usage: `cargo run --release --example gen_test_models [TESTS_DIR] [DEMO_DIR]`
//! (defaults: `tests/models` and `examples/models` under the crate root, so the command works
//! from any working directory).
//!
//! The logic lives in `zkinfer::testing::test_models` so the freshness test runs the very same
//! code; this is only the command-line wrapper.

use std::path::PathBuf;

use zkinfer::testing::test_models::{write_all, DEMO_DIR, TESTS_DIR};

fn main() -> std::io::Result<()> {
    let crate_root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args_os().skip(1);
    let tests_dir = args.next().map(PathBuf::from).unwrap_or_else(|| crate_root.join(TESTS_DIR));
    let demo_dir = args.next().map(PathBuf::from).unwrap_or_else(|| crate_root.join(DEMO_DIR));
    for dir in write_all(&tests_dir, &demo_dir)? {
        println!("wrote {}", dir.display());
    }
    Ok(())
}
