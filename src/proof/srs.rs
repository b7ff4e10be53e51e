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
use halo2_proofs::SerdeFormat;

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

/// Whether `params` are the development SRS (for any `k`): its `[s]G2` is the development secret's.
/// Decided from the parameters themselves, so a verifier made from them says so whatever file they
/// were read from.
pub fn is_dev_srs(params: &ParamsKZG<Bn256>) -> bool {
    params.s_g2() == super::dev_srs::dev_s_g2(DEV_SRS_SEED)
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

/// The largest `k` a params file may claim (BN254's scalar field allows 28; nothing we build nears it).
const MAX_K: u32 = 28;

/// Bytes of a params file for `k` in halo2's raw format: the `k` header, then `2^k` monomial and
/// `2^k` Lagrange G1 points (64 bytes each), then `g2` and `s * g2` (128 bytes each).
fn raw_params_len(k: u32) -> u64 {
    4 + 128 * (1u64 << k) + 256
}

/// Reads a params file in halo2's raw format after checking its header against its length, so a
/// file that is not one is refused by name before anything is allocated. Points are checked on
/// the curve when `checked` (files users bring); the development cache is our own output.
fn read_params_file(path: &Path, checked: bool) -> Result<ParamsKZG<Bn256>, ZkError> {
    let not_params = |why: String| ZkError::input(format!("{}: not a halo2 KZG params file: {why}", path.display()));
    let mut file = fs::File::open(path).map_err(|e| ZkError::io(path, e))?;
    let len = file.metadata().map_err(|e| ZkError::io(path, e))?.len();
    let mut header = [0u8; 4];
    std::io::Read::read_exact(&mut file, &mut header).map_err(|_| not_params(format!("only {len} bytes")))?;
    let k = u32::from_le_bytes(header);
    if k > MAX_K || len != raw_params_len(k) {
        return Err(not_params(format!(
            "its header says k={k}, which takes {} bytes, but the file has {len}",
            if k > MAX_K { "more than 2^36".to_string() } else { raw_params_len(k).to_string() }
        )));
    }
    std::io::Seek::rewind(&mut file).map_err(|e| ZkError::io(path, e))?;
    let format = if checked { SerdeFormat::RawBytes } else { SerdeFormat::RawBytesUnchecked };
    ParamsKZG::<Bn256>::read_custom(&mut BufReader::new(file), format).map_err(|e| not_params(e.to_string()))
}

/// Reads one of zkinfer's own params files (the development cache, a build's copy).
pub fn read_params(path: &Path) -> Result<ParamsKZG<Bn256>, ZkError> {
    read_params_file(path, false)
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

/// Loads a user-supplied params file (every point checked) and fits it to `k` (downsizing a larger one).
pub fn srs_from_file(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>, ZkError> {
    let params = read_params_file(path, true)?;
    check_consistent(&params)
        .map_err(|why| ZkError::input(format!("{}: not a usable KZG SRS: {why}", path.display())))?;
    fit(params, path, k)
}

/// What a file of the right length must also satisfy to be a KZG SRS for one secret `s`: the
/// standard generators, every monomial point on the curve, `e([s]G1, G2) = e(G1, [s]G2)`, and the
/// Lagrange points summing to `G1` (the Lagrange basis sums to one). A file of random points (which
/// the raw reader accepts) fails here rather than yielding keys nobody can use.
fn check_consistent(params: &ParamsKZG<Bn256>) -> Result<(), String> {
    use halo2_proofs::halo2curves::bn256::{pairing, Fr, G1Affine, G2Affine};
    use halo2_proofs::halo2curves::ff::Field;
    use halo2_proofs::halo2curves::group::Curve;
    use halo2_proofs::halo2curves::CurveAffine;
    use halo2_proofs::poly::commitment::{Blind, ParamsProver};
    use halo2_proofs::poly::EvaluationDomain;

    let g = params.get_g();
    if g[0] != G1Affine::generator() || params.g2() != G2Affine::generator() {
        return Err("its first points are not the BN254 generators".into());
    }
    if let Some(i) = g.iter().position(|p| !bool::from(p.is_on_curve())) {
        return Err(format!("monomial point {i} is not on the curve"));
    }
    if !bool::from(params.s_g2().is_on_curve()) {
        return Err("[s]G2 is not on the curve".into());
    }
    if g.len() > 1 && pairing(&g[1], &params.g2()) != pairing(&g[0], &params.s_g2()) {
        return Err("[s]G1 and [s]G2 are for different secrets".into());
    }
    let ones = EvaluationDomain::<Fr>::new(1, params.k()).lagrange_from_vec(vec![Fr::ONE; g.len()]);
    if params.commit_lagrange(&ones, Blind(Fr::ZERO)).to_affine() != g[0] {
        return Err("its Lagrange points do not sum to G1 (they are not the monomial points' basis change)".into());
    }
    Ok(())
}

/// Loads the SRS `setup` stored in a build directory (zkinfer's own output: points not re-checked).
pub fn build_srs(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>, ZkError> {
    fit(read_params(path)?, path, k)
}

fn fit(mut params: ParamsKZG<Bn256>, path: &Path, k: u32) -> Result<ParamsKZG<Bn256>, ZkError> {
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
