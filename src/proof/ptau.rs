//! snarkjs Powers-of-Tau files (`.ptau`): the phase-1 output of the ceremonies people already trust
//! (Hermez, Perpetual Powers of Tau), read far enough to build a halo2 KZG SRS.
//!
//! Only what KZG needs is read: the header (curve, power), `[τ^i]G1` (section 2), `[1]G2` and
//! `[τ]G2` (section 3), the contribution log (section 7) for the hash the file claims, and in a
//! file prepared for phase 2 the G1 Lagrange points (section 12), reordered from snarkjs's roots
//! of unity to halo2's. The alpha/beta sections are Groth16's and are skipped.
//!
//! Layout: `"ptau"`, u32 version, u32 section count, then sections `[u32 id][u64 size][payload]`,
//! all little-endian. Points are uncompressed with coordinates in Montgomery form, little-endian:
//! byte for byte what halo2curves' raw serialisation reads, so the curve checks are its own.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use halo2_proofs::arithmetic::parallelize;
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::halo2curves::serde::SerdeObject;

use crate::artifacts::{Ceremony, Contribution};
use crate::error::ZkError;

const MAGIC: &[u8; 4] = b"ptau";
const G1_BYTES: usize = 64;
const G2_BYTES: usize = 128;
/// BN254's base field modulus, little-endian: the header's `q` for snarkjs's `bn128`.
const BN254_Q_LE: [u8; 32] = {
    let be: [u8; 32] = [
        0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d, 0x97, 0x81,
        0x6a, 0x91, 0x68, 0x71, 0xca, 0x8d, 0x3c, 0x20, 0x8c, 0x16, 0xd8, 0x7c, 0xfd, 0x47,
    ];
    let mut le = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        le[i] = be[31 - i];
        i += 1;
    }
    le
};
/// One contribution record before its parameters: five points of the accumulated values, the
/// contributor's public key (six G1, three G2), blake2b's partial state and the next challenge.
const CONTRIBUTION_FIXED: usize = 3 * G1_BYTES + 2 * G2_BYTES + (6 * G1_BYTES + 3 * G2_BYTES) + 216 + 64;

/// Whether a file starts like a `.ptau` (so `--srs` can take either format).
pub fn looks_like_ptau(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == MAGIC
}

/// What a `.ptau` holds for KZG at a chosen `k`.
pub struct PtauPoints {
    /// `[τ^i]G1` for `i < 2^k`.
    pub g: Vec<G1Affine>,
    pub g2: G2Affine,
    pub s_g2: G2Affine,
    /// The Lagrange basis for halo2's domain of size `2^k`, when the file was prepared for phase 2
    /// (reordered from snarkjs's; still to be checked against `g`).
    pub g_lagrange: Option<Vec<G1Affine>>,
    pub ceremony: Ceremony,
}

struct Section {
    id: u32,
    start: u64,
    size: u64,
}

struct Reader<'a> {
    path: &'a Path,
    file: BufReader<File>,
    len: u64,
}

impl Reader<'_> {
    fn bad(&self, why: impl std::fmt::Display) -> ZkError {
        ZkError::input(format!("{}: not a usable snarkjs .ptau file: {why}", self.path.display()))
    }

    fn bytes(&mut self, n: usize, what: &str) -> Result<Vec<u8>, ZkError> {
        let mut buf = vec![0u8; n];
        self.file.read_exact(&mut buf).map_err(|_| self.bad(format!("it ends inside {what}")))?;
        Ok(buf)
    }

    fn u32(&mut self, what: &str) -> Result<u32, ZkError> {
        Ok(u32::from_le_bytes(self.bytes(4, what)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self, what: &str) -> Result<u64, ZkError> {
        Ok(u64::from_le_bytes(self.bytes(8, what)?.try_into().expect("8 bytes")))
    }

    fn seek(&mut self, pos: u64) -> Result<(), ZkError> {
        self.file.seek(SeekFrom::Start(pos)).map(|_| ()).map_err(|e| ZkError::io(self.path, e))
    }

    /// The section table, checked against the file's length (a truncated download fails here,
    /// naming the section, before any point is read).
    fn sections(&mut self) -> Result<Vec<Section>, ZkError> {
        let magic = self.bytes(4, "the magic bytes")?;
        if magic != MAGIC {
            return Err(self.bad("it does not start with \"ptau\""));
        }
        let version = self.u32("the version")?;
        if version != 1 {
            return Err(self.bad(format!("format version {version} (only version 1 is known)")));
        }
        let count = self.u32("the section count")?;
        let mut sections = Vec::new();
        let mut pos = 12u64;
        for _ in 0..count {
            let id = self.u32("a section header")?;
            let size = self.u64("a section header")?;
            let start = pos + 12;
            if size > self.len.saturating_sub(start) {
                return Err(self.bad(format!(
                    "section {id} claims {size} bytes but only {} remain (truncated?)",
                    self.len.saturating_sub(start)
                )));
            }
            sections.push(Section { id, start, size });
            pos = start + size;
            self.seek(pos)?;
        }
        Ok(sections)
    }
}

fn section<'s>(sections: &'s [Section], id: u32, name: &str, r: &Reader) -> Result<&'s Section, ZkError> {
    let mut found = sections.iter().filter(|s| s.id == id);
    match (found.next(), found.next()) {
        (Some(s), None) => Ok(s),
        (None, _) => Err(r.bad(format!("it has no {name} section ({id})"))),
        (Some(_), Some(_)) => Err(r.bad(format!("it has two {name} sections ({id})"))),
    }
}

/// Reads the header and contribution log, and the points for `k` (the file's own power when
/// `None`). Points are checked to be on the curve; whether they form one SRS is
/// [`super::srs_check`]'s job.
pub fn read_ptau(path: &Path, k: Option<u32>) -> Result<PtauPoints, ZkError> {
    let file = File::open(path).map_err(|e| ZkError::io(path, e))?;
    let len = file.metadata().map_err(|e| ZkError::io(path, e))?.len();
    let mut r = Reader { path, file: BufReader::new(file), len };
    let sections = r.sections()?;

    let header = section(&sections, 1, "header", &r)?;
    r.seek(header.start)?;
    let n8 = r.u32("the header")?;
    if n8 != 32 {
        return Err(r.bad(format!("its field elements have {n8} bytes; BN254 (snarkjs `bn128`) has 32")));
    }
    if r.bytes(32, "the header")? != BN254_Q_LE {
        return Err(r.bad("its curve is not BN254 (snarkjs `bn128`); halo2's KZG here is BN254 only"));
    }
    let power = r.u32("the header")?;
    let ceremony_power = r.u32("the header")?;
    if power > super::srs::MAX_K {
        return Err(
            r.bad(format!("its header claims power {power}; BN254 supports at most 2^{} points", super::srs::MAX_K))
        );
    }
    let k = k.unwrap_or(power);
    if k > power {
        return Err(ZkError::input(format!(
            "{} holds 2^{power} powers of tau (power {power}) but k={k} was asked for",
            path.display()
        )));
    }

    let tau_g1 = section(&sections, 2, "tauG1", &r)?;
    let expected = ((1u64 << (power + 1)) - 1) * G1_BYTES as u64;
    if tau_g1.size != expected {
        return Err(r.bad(format!("its tauG1 section has {} bytes; power {power} needs {expected}", tau_g1.size)));
    }
    let tau_g2 = section(&sections, 3, "tauG2", &r)?;
    let expected = (1u64 << power) * G2_BYTES as u64;
    if tau_g2.size != expected {
        return Err(r.bad(format!("its tauG2 section has {} bytes; power {power} needs {expected}", tau_g2.size)));
    }

    r.seek(tau_g1.start)?;
    let n = 1usize << k;
    let raw = r.bytes(n * G1_BYTES, "tauG1")?;
    let g = parse_g1(&raw).map_err(|i| r.bad(format!("tauG1 point {i} is not a point of BN254's G1")))?;
    r.seek(tau_g2.start)?;
    let raw = r.bytes(2 * G2_BYTES, "tauG2")?;
    let g2_at = |i: usize| {
        G2Affine::from_raw_bytes(&raw[i * G2_BYTES..(i + 1) * G2_BYTES])
            .ok_or_else(|| r.bad(format!("tauG2 point {i} is not a point of BN254's G2")))
    };
    let (g2, s_g2) = (g2_at(0)?, g2_at(1)?);

    let g_lagrange = match sections.iter().find(|s| s.id == 12) {
        Some(lagrange) => {
            let (start, size) = (lagrange.start, lagrange.size);
            Some(read_lagrange(&mut r, start, size, power, k)?)
        }
        None => None,
    };

    let log = section(&sections, 7, "contributions", &r)?;
    let (start, size) = (log.start, log.size);
    r.seek(start)?;
    let contributions = read_contributions(&mut r, size)?;
    let claimed_hash = contributions.last().map(|c| c.next_challenge.clone());
    Ok(PtauPoints {
        g,
        g2,
        s_g2,
        g_lagrange,
        ceremony: Ceremony { power, ceremony_power, contributions, claimed_hash },
    })
}

/// Section 12 of a prepared file: for every size `2^p` (p = 0 ..= power + 1, in order) the points
/// `[L_i(τ)]G1` of snarkjs's domain. snarkjs's root of unity is another generator of the same
/// group as halo2's (`5^t` against `7^t`, `t = (r-1)/2^28`): `ω_s = ω_h^j` for an odd `j`, so
/// halo2's `L_m` (at `ω_h^m`) is snarkjs's `L_i` with `i·j = m (mod 2^k)`. Reusing them saves the
/// group FFT that otherwise takes minutes at large `k`; the caller checks them all the same.
fn read_lagrange(r: &mut Reader, start: u64, size: u64, power: u32, k: u32) -> Result<Vec<G1Affine>, ZkError> {
    let expected = ((1u64 << (power + 2)) - 1) * G1_BYTES as u64;
    if size != expected {
        return Err(r.bad(format!("its Lagrange section (12) has {size} bytes; power {power} needs {expected}")));
    }
    let n = 1usize << k;
    r.seek(start + (n as u64 - 1) * G1_BYTES as u64)?;
    let raw = r.bytes(n * G1_BYTES, "the Lagrange section")?;
    let snarkjs = parse_g1(&raw).map_err(|i| r.bad(format!("Lagrange point {i} (k={k}) is not a point of G1")))?;
    let j = discrete_log(root_of_unity(Fr::ROOT_OF_UNITY, k), root_of_unity(snarkjs_root_of_unity(), k), k);
    let j_inv = inverse_mod_power_of_two(j, k);
    let mask = (n as u64) - 1;
    Ok((0..n as u64).map(|m| snarkjs[(m.wrapping_mul(j_inv) & mask) as usize]).collect())
}

/// The primitive `2^k`-th root from a primitive `2^28`-th one.
fn root_of_unity(mut w: Fr, k: u32) -> Fr {
    for _ in k..Fr::S {
        w = w.square();
    }
    w
}

/// ffjavascript's primitive `2^28`-th root for bn128: its smallest non-residue, 5, to the power
/// `(r-1)/2^28`.
fn snarkjs_root_of_unity() -> Fr {
    let r_minus_1 = (-Fr::ONE).to_repr();
    let limb = |i: usize| u64::from_le_bytes(r_minus_1.as_ref()[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    let t: [u64; 4] = std::array::from_fn(|i| limb(i) >> Fr::S | if i < 3 { limb(i + 1) << (64 - Fr::S) } else { 0 });
    Fr::from(5).pow_vartime(t)
}

/// `x` with `base^x = target`, for `base` of order `2^k` (Pohlig-Hellman: one bit per step).
fn discrete_log(base: Fr, target: Fr, k: u32) -> u64 {
    let base_inv = base.invert().expect("a root of unity is invertible");
    let mut x = 0u64;
    for bit in 0..k {
        // Remove the bits found so far, then raise to 2^(k-1-bit): the result is 1 or -1.
        let rest = target * base_inv.pow_vartime([x]);
        if rest.pow_vartime([1u64 << (k - 1 - bit)]) != Fr::ONE {
            x |= 1 << bit;
        }
    }
    x
}

fn inverse_mod_power_of_two(j: u64, k: u32) -> u64 {
    // Newton's iteration doubles the correct low bits each round; j is odd.
    let mut inv = 1u64;
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(j.wrapping_mul(inv)));
    }
    inv & ((1u64 << k) - 1)
}

/// Parses G1 points in parallel; the error is the index of the first bad one.
fn parse_g1(raw: &[u8]) -> Result<Vec<G1Affine>, usize> {
    let n = raw.len() / G1_BYTES;
    let mut points = vec![None; n];
    parallelize(&mut points, |chunk, start| {
        for (i, p) in chunk.iter_mut().enumerate() {
            let at = (start + i) * G1_BYTES;
            *p = G1Affine::from_raw_bytes(&raw[at..at + G1_BYTES]);
        }
    });
    points.into_iter().enumerate().map(|(i, p)| p.ok_or(i)).collect()
}

/// The contribution log: each contributor's name, whether it was a beacon (and its hash), and the
/// challenge hash after it. The last one is the hash `snarkjs powersoftau verify` prints as the
/// file's "Next challenge hash", the value ceremonies publish.
fn read_contributions(r: &mut Reader, size: u64) -> Result<Vec<Contribution>, ZkError> {
    let count = r.u32("the contributions section")?;
    if count as u64 * CONTRIBUTION_FIXED as u64 > size {
        return Err(r.bad(format!("its contributions section claims {count} contributions in {size} bytes")));
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let what = format!("contribution {}", i + 1);
        let fixed = r.bytes(CONTRIBUTION_FIXED, &what)?;
        let next_challenge = hex::encode(&fixed[CONTRIBUTION_FIXED - 64..]);
        let kind = r.u32(&what)?;
        let params_len = r.u32(&what)? as usize;
        if params_len > 1024 {
            return Err(r.bad(format!("{what} claims {params_len} bytes of parameters")));
        }
        let params = r.bytes(params_len, &what)?;
        let (mut name, mut beacon_hash, mut beacon_iterations_exp) = (None, None, None);
        let mut at = 0;
        while at < params.len() {
            let tag = params[at];
            let value_len = match tag {
                1 | 3 => *params.get(at + 1).ok_or_else(|| r.bad(format!("{what}: truncated parameter")))? as usize,
                2 => 0,
                _ => return Err(r.bad(format!("{what}: unknown parameter {tag}"))),
            };
            let value = if tag == 2 { params.get(at + 1..at + 2) } else { params.get(at + 2..at + 2 + value_len) }
                .ok_or_else(|| r.bad(format!("{what}: truncated parameter")))?;
            match tag {
                1 => name = Some(String::from_utf8_lossy(value).into_owned()),
                2 => beacon_iterations_exp = Some(value[0]),
                _ => beacon_hash = Some(hex::encode(value)),
            }
            at += if tag == 2 { 2 } else { 2 + value_len };
        }
        out.push(Contribution { name, beacon: kind == 1, beacon_hash, beacon_iterations_exp, next_challenge });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_roots_of_unity_generate_the_same_group() {
        for k in [1, 7, 16, 28] {
            let (halo2, snarkjs) = (root_of_unity(Fr::ROOT_OF_UNITY, k), root_of_unity(snarkjs_root_of_unity(), k));
            assert_eq!(snarkjs.pow_vartime([1u64 << k]), Fr::ONE);
            assert_ne!(snarkjs.pow_vartime([1u64 << (k - 1)]), Fr::ONE, "primitive at k={k}");
            let j = discrete_log(halo2, snarkjs, k);
            assert_eq!(halo2.pow_vartime([j]), snarkjs, "k={k}");
            assert_eq!(j.wrapping_mul(inverse_mod_power_of_two(j, k)) & ((1u64 << k) - 1), 1);
        }
    }
}
