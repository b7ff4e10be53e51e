//! KZG structured reference strings: the insecure development SRS zkinfer makes itself, and real
//! Powers-of-Tau files converted to halo2's format.
//!
//! The development SRS draws its secret from a fixed seed, so anyone can forge proofs against it:
//! it exists so a newcomer can compile, prove and verify with no download. Its secret is the first
//! value drawn from the seeded generator, so the SRS for any `k` is a prefix of a larger one and a
//! cached larger file can be downsized instead of regenerated.

use std::fs;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

use crate::error::ZkError;

/// Seed of the development SRS. Public on purpose: this SRS is insecure by construction.
pub const DEV_SRS_SEED: u64 = 0x007a_6b69_6e66_6572; // "zkinfer"

/// Where development SRS files are cached: `$ZKINFER_CACHE_DIR/srs`, else `~/.cache/zkinfer/srs`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ZKINFER_CACHE_DIR") {
        return PathBuf::from(dir).join("srs");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("zkinfer").join("srs")
}

fn dev_path(dir: &Path, k: u32) -> PathBuf {
    dir.join(format!("dev-insecure-k{k}.srs"))
}

/// Generates the development SRS for `k` (no cache).
pub fn generate_dev_srs(k: u32) -> ParamsKZG<Bn256> {
    super::dev_srs::dev_params(k, DEV_SRS_SEED)
}

/// The development SRS for `k`, from the cache when possible; generated and cached otherwise.
pub fn dev_srs(k: u32) -> Result<ParamsKZG<Bn256>, ZkError> {
    let dir = cache_dir();
    let exact = dev_path(&dir, k);
    if exact.exists() {
        if let Ok(p) = read_params(&exact) {
            if p.k() == k {
                return Ok(p);
            }
        }
    }
    // A larger cached dev SRS downsizes to the same parameters.
    for bigger in k + 1..=26 {
        let path = dev_path(&dir, bigger);
        if path.exists() {
            if let Ok(mut p) = read_params(&path) {
                p.downsize(k);
                return Ok(p);
            }
        }
    }
    let params = generate_dev_srs(k);
    if fs::create_dir_all(&dir).is_ok() {
        // Best effort: a read-only cache only costs time.
        let _ = write_params_atomic(&params, &exact);
    }
    Ok(params)
}

pub fn read_params(path: &Path) -> Result<ParamsKZG<Bn256>, ZkError> {
    let file = fs::File::open(path).map_err(|e| ZkError::io(path, e))?;
    ParamsKZG::<Bn256>::read(&mut BufReader::new(file))
        .map_err(|e| ZkError::input(format!("{}: not a halo2 KZG params file: {e}", path.display())))
}

/// Writes through a temporary file and a rename, so a killed process never leaves half a file.
pub fn write_params_atomic(params: &ParamsKZG<Bn256>, path: &Path) -> Result<(), ZkError> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        let file = fs::File::create(&tmp).map_err(|e| ZkError::io(&tmp, e))?;
        let mut w = BufWriter::new(file);
        params.write(&mut w).map_err(|e| ZkError::io(&tmp, e))?;
        use std::io::Write;
        w.flush().map_err(|e| ZkError::io(&tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| ZkError::io(path, e))
}

/// Loads a user-supplied params file and fits it to `k` (downsizing a larger one).
pub fn srs_from_file(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>, ZkError> {
    let mut params = read_params(path)?;
    if params.k() < k {
        return Err(ZkError::input(format!(
            "{} holds an SRS for k={} (2^{} points) but this circuit needs k={k}",
            path.display(),
            params.k(),
            params.k()
        )));
    }
    if params.k() > k {
        params.downsize(k);
    }
    Ok(params)
}
