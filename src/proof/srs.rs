//! KZG structured reference strings: the insecure development SRS zkinfer makes itself, and the
//! files real ceremonies produce (snarkjs `.ptau`, halo2 params), read and checked.
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

use crate::artifacts::{SrsFileInfo, SrsFormat};
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
pub(super) const MAX_K: u32 = 28;

/// Bytes of a params file for `k` in halo2's raw format: the `k` header, then `2^k` monomial and
/// `2^k` Lagrange G1 points (64 bytes each), then `g2` and `s * g2` (128 bytes each).
fn raw_params_len(k: u32) -> u64 {
    4 + 128 * (1u64 << k) + 256
}

/// The same in halo2's processed format: compressed points, 32 bytes per G1 and 64 per G2.
fn processed_params_len(k: u32) -> u64 {
    4 + 64 * (1u64 << k) + 128
}

/// Reads a params file in one of halo2's formats after checking its header against its length
/// (which also tells the two formats apart), so a file that is not one is refused by name before
/// anything is allocated. Points are checked on the curve when `checked` (files users bring); the
/// development cache is our own output.
fn read_params_file(path: &Path, checked: bool) -> Result<(ParamsKZG<Bn256>, SrsFormat), ZkError> {
    let not_params = |why: String| ZkError::input(format!("{}: not a halo2 KZG params file: {why}", path.display()));
    let mut file = fs::File::open(path).map_err(|e| ZkError::io(path, e))?;
    let len = file.metadata().map_err(|e| ZkError::io(path, e))?.len();
    let mut header = [0u8; 4];
    std::io::Read::read_exact(&mut file, &mut header).map_err(|_| not_params(format!("only {len} bytes")))?;
    let k = u32::from_le_bytes(header);
    let format = match k {
        k if k > MAX_K => None,
        k if len == raw_params_len(k) => Some((SrsFormat::Halo2Raw, SerdeFormat::RawBytes)),
        k if len == processed_params_len(k) && checked => Some((SrsFormat::Halo2Processed, SerdeFormat::Processed)),
        _ => None,
    };
    let Some((kind, serde_format)) = format else {
        return Err(not_params(format!(
            "its header says k={k}, which takes {} bytes, but the file has {len}",
            if k > MAX_K {
                "more than 2^36".to_string()
            } else {
                format!("{} (raw) or {} (processed)", raw_params_len(k), processed_params_len(k))
            }
        )));
    };
    let serde_format = if checked { serde_format } else { SerdeFormat::RawBytesUnchecked };
    std::io::Seek::rewind(&mut file).map_err(|e| ZkError::io(path, e))?;
    let params = ParamsKZG::<Bn256>::read_custom(&mut BufReader::new(file), serde_format)
        .map_err(|e| not_params(e.to_string()))?;
    Ok((params, kind))
}

/// Reads one of zkinfer's own params files (the development cache, a build's copy).
pub fn read_params(path: &Path) -> Result<ParamsKZG<Bn256>, ZkError> {
    read_params_file(path, false).map(|(params, _)| params)
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

/// Loads an SRS file a user brings, in any format `--srs` accepts (a snarkjs `.ptau`, or halo2
/// params raw or processed), checks it is one consistent SRS, and fits it to `k` (a larger file is
/// downsized; `None` keeps the file's own size). Says what the file was and, for a ceremony's
/// file, which hash it claims.
pub fn load_srs_file(path: &Path, k: Option<u32>) -> Result<(ParamsKZG<Bn256>, SrsFileInfo), ZkError> {
    let unusable = |why: String| ZkError::input(format!("{}: not a usable KZG SRS: {why}", path.display()));
    if super::ptau::looks_like_ptau(path) {
        let ptau = super::ptau::read_ptau(path, k)?;
        let file_k = ptau.ceremony.power;
        let k = k.unwrap_or(file_k);
        // A prepared file's Lagrange points are reused (and checked); otherwise computed here.
        // (`from_parts` is a method but reads nothing from its receiver: any params will do.)
        let from_file = ptau.g_lagrange.is_some();
        let params = generate_dev_srs(1).from_parts(k, ptau.g, ptau.g_lagrange, ptau.g2, ptau.s_g2);
        super::srs_check::check_srs(&params, from_file).map_err(unusable)?;
        return Ok((params, SrsFileInfo { format: SrsFormat::SnarkjsPtau, k: file_k, ceremony: Some(ptau.ceremony) }));
    }
    let (params, format) = read_params_file(path, true)?;
    super::srs_check::check_srs(&params, true).map_err(unusable)?;
    let info = SrsFileInfo { format, k: params.k(), ceremony: None };
    let params = match k {
        Some(k) => fit(params, path, k)?,
        None => params,
    };
    Ok((params, info))
}

/// Loads a user-supplied SRS file for a circuit of size `k` (see [`load_srs_file`]).
pub fn srs_from_file(path: &Path, k: u32) -> Result<(ParamsKZG<Bn256>, SrsFileInfo), ZkError> {
    load_srs_file(path, Some(k))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Both of halo2's layouts are read, told apart by length, and give the same parameters.
    #[test]
    fn halo2_raw_and_processed_files_read_alike() {
        let dir = tempfile::tempdir().unwrap();
        let params = generate_dev_srs(5);
        let mut loaded = Vec::new();
        for (name, format) in [("raw.srs", SerdeFormat::RawBytes), ("processed.srs", SerdeFormat::Processed)] {
            let path = dir.path().join(name);
            let mut bytes = Vec::new();
            params.write_custom(&mut bytes, format).unwrap();
            fs::write(&path, bytes).unwrap();
            let (read, info) = load_srs_file(&path, Some(4)).unwrap();
            assert_eq!(info.k, 5);
            assert!(info.ceremony.is_none());
            loaded.push((read, info.format));
        }
        assert_eq!(loaded[0].1, SrsFormat::Halo2Raw);
        assert_eq!(loaded[1].1, SrsFormat::Halo2Processed);
        let mut expected = params.clone();
        expected.downsize(4);
        let raw = |p: &ParamsKZG<Bn256>| {
            let mut bytes = Vec::new();
            p.write_custom(&mut bytes, SerdeFormat::RawBytes).unwrap();
            bytes
        };
        for (read, format) in &loaded {
            assert!(raw(read) == raw(&expected), "{format:?}");
        }
    }
}
