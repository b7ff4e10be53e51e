//! Writes the forge fixtures under contracts/test/fixtures (verifiers, proofs, Solidity libraries).
//! Run after any change to the circuit, the verifier generator or the fixture models.

fn main() {
    if std::env::var_os("ZKINFER_CACHE_DIR").is_none() {
        std::env::set_var("ZKINFER_CACHE_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/.zkinfer-cache"));
    }
    match zkinfer::testing::evm_fixtures::write_fixtures() {
        Ok(()) => println!("wrote {}", zkinfer::testing::evm_fixtures::FIXTURE_DIR),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
