//! Setup: proving and verifying keys for a compiled model, stored with the SRS fitted to `k`.

use std::path::PathBuf;
use std::time::Instant;

use crate::artifacts::*;
use crate::error::ZkError;
use crate::proof::{keys, srs};

/// Where `setup` gets its SRS.
pub enum SrsSource {
    Dev,
    File(PathBuf),
}

/// Generates the keys and stores them (with the SRS fitted to `k`) in the build directory.
pub fn setup(build: &Build, source: &SrsSource) -> Result<SetupInfo, ZkError> {
    let k = build.settings.k;
    let (params, origin, srs_file) = match source {
        SrsSource::Dev => (srs::dev_srs(k)?, SrsOrigin::DevInsecure, None),
        SrsSource::File(p) => {
            let (params, info) = srs::srs_from_file(p, k)?;
            (params, SrsOrigin::File(p.display().to_string()), Some(info))
        }
    };
    // Decided by the parameters, not by how they were passed: the development SRS written to a
    // file and given with --srs is still the development SRS.
    let origin = if srs::is_dev_srs(&params) { SrsOrigin::DevInsecure } else { origin };
    let circuit = build.blank_circuit()?;
    let start = Instant::now();
    let (vk, pk) = keys::generate_keys(&params, &circuit)?;
    let keygen_s = start.elapsed().as_secs_f64();
    let pk_bytes = keys::write_pk(&pk, &path(&build.dir, PK_FILE))?;
    let vk_bytes = keys::write_vk(&vk, &path(&build.dir, VK_FILE))?;
    srs::write_params_atomic(&params, &path(&build.dir, SRS_FILE))?;
    let info = SetupInfo {
        vk_digest: hex0x(&keys::vk_digest(&vk)),
        srs: origin,
        srs_file,
        circuit_digest: build.settings.circuit_digest(),
        pk_bytes,
        vk_bytes,
        keygen_s,
    };
    write_json(&path(&build.dir, SETUP_FILE), &info)?;
    Ok(info)
}
