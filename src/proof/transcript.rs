//! Keccak-256 Fiat-Shamir transcript with an encoding the EVM can replay cheaply.
//!
//! halo2's built-in Keccak transcript writes points compressed and little-endian, which a Solidity
//! verifier would have to decompress with a modular square root. This transcript is designed to be
//! replayed word by word in Solidity instead:
//!
//! * a G1 point is 64 bytes: `x || y`, each a 32-byte big-endian integer `< q`; the point at
//!   infinity is `0 || 0` (the same convention as the EVM's ecAdd/ecMul/ecPairing precompiles);
//! * a scalar is 32 bytes, big-endian, `< r` (non-canonical encodings are rejected);
//! * the proof bytes are exactly the concatenation of every point and scalar the prover writes, in
//!   the order halo2's verifier reads them (no length prefixes, no padding);
//! * the transcript state is a byte buffer. Writing a point or scalar (or absorbing a common input:
//!   the verifying key's digest, then every public instance) appends its encoding to the buffer;
//! * squeezing a challenge computes `h = keccak256(buffer)`, returns `uint256(h) mod r`, and replaces
//!   the buffer with the 32 bytes of `h`, so every challenge depends on everything before it and two
//!   squeezes in a row still differ.

use std::io::{self, Read, Write};
use std::marker::PhantomData;

use halo2_proofs::halo2curves::bn256::{Fq, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::{FromUniformBytes, PrimeField};
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::transcript::{
    EncodedChallenge, Transcript, TranscriptRead, TranscriptReadBuffer, TranscriptWrite, TranscriptWriterBuffer,
};
use sha3::{Digest, Keccak256};

use crate::encoding::field::{fr_from_be_bytes, fr_to_be_bytes};

/// Bytes of one encoded G1 point.
pub const POINT_BYTES: usize = 64;
/// Bytes of one encoded scalar.
pub const SCALAR_BYTES: usize = 32;

/// A challenge derived from a keccak256 digest, reduced modulo r.
#[derive(Clone, Copy, Debug)]
pub struct KeccakChallenge {
    scalar: Fr,
}

impl EncodedChallenge<G1Affine> for KeccakChallenge {
    type Input = [u8; 32];

    fn new(digest: &[u8; 32]) -> Self {
        KeccakChallenge { scalar: fr_from_be_bytes_mod_r(digest) }
    }

    fn get_scalar(&self) -> Fr {
        self.scalar
    }
}

/// Interprets 32 big-endian bytes as an integer and reduces it modulo r, as `mod(h, R)` in Solidity.
pub fn fr_from_be_bytes_mod_r(bytes: &[u8; 32]) -> Fr {
    let mut wide = [0u8; 64];
    for (i, b) in bytes.iter().rev().enumerate() {
        wide[i] = *b;
    }
    Fr::from_uniform_bytes(&wide)
}

fn fq_to_be_bytes(value: &Fq) -> [u8; 32] {
    let mut out = value.to_repr();
    out.as_mut().reverse();
    out
}

fn fq_from_be_bytes(bytes: &[u8]) -> Option<Fq> {
    let mut repr = [0u8; 32];
    repr.copy_from_slice(bytes);
    repr.reverse();
    Option::from(Fq::from_repr(repr))
}

/// Encodes a point as `x || y` big-endian, the identity as 64 zero bytes.
pub fn encode_point(point: &G1Affine) -> [u8; POINT_BYTES] {
    let mut out = [0u8; POINT_BYTES];
    if bool::from(point.is_identity()) {
        return out;
    }
    let coords = point.coordinates().unwrap();
    out[..32].copy_from_slice(&fq_to_be_bytes(coords.x()));
    out[32..].copy_from_slice(&fq_to_be_bytes(coords.y()));
    out
}

/// Decodes `x || y`; rejects coordinates `>= q` and points off the curve.
pub fn decode_point(bytes: &[u8; POINT_BYTES]) -> io::Result<G1Affine> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G1Affine::identity());
    }
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let x = fq_from_be_bytes(&bytes[..32]).ok_or_else(|| bad("point x coordinate >= q"))?;
    let y = fq_from_be_bytes(&bytes[32..]).ok_or_else(|| bad("point y coordinate >= q"))?;
    Option::from(G1Affine::from_xy(x, y)).ok_or_else(|| bad("point is not on the BN254 curve"))
}

/// The transcript state and squeeze rule, shared by the prover, the verifier and the EVM mirror
/// (which absorbs the proof's bytes as they sit in calldata).
#[derive(Debug, Default, Clone)]
pub struct KeccakState {
    buffer: Vec<u8>,
}

impl KeccakState {
    pub fn squeeze(&mut self) -> KeccakChallenge {
        let digest: [u8; 32] = Keccak256::digest(&self.buffer).into();
        self.buffer.clear();
        self.buffer.extend_from_slice(&digest);
        KeccakChallenge::new(&digest)
    }

    /// Appends already-encoded bytes (points as `x || y`, scalars as 32-byte words).
    pub fn absorb_bytes(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    fn absorb_point(&mut self, point: &G1Affine) {
        self.absorb_bytes(&encode_point(point));
    }

    fn absorb_scalar(&mut self, scalar: &Fr) {
        self.absorb_bytes(&fr_to_be_bytes(scalar));
    }
}

/// Prover side: writes the proof bytes while absorbing them.
#[derive(Debug)]
pub struct EvmTranscriptWriter<W: Write> {
    state: KeccakState,
    writer: W,
    _marker: PhantomData<G1Affine>,
}

impl<W: Write> Transcript<G1Affine, KeccakChallenge> for EvmTranscriptWriter<W> {
    fn squeeze_challenge(&mut self) -> KeccakChallenge {
        self.state.squeeze()
    }

    fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.state.absorb_point(&point);
        Ok(())
    }

    fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.state.absorb_scalar(&scalar);
        Ok(())
    }
}

impl<W: Write> TranscriptWrite<G1Affine, KeccakChallenge> for EvmTranscriptWriter<W> {
    fn write_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.state.absorb_point(&point);
        self.writer.write_all(&encode_point(&point))
    }

    fn write_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.state.absorb_scalar(&scalar);
        self.writer.write_all(&fr_to_be_bytes(&scalar))
    }
}

impl<W: Write> TranscriptWriterBuffer<W, G1Affine, KeccakChallenge> for EvmTranscriptWriter<W> {
    fn init(writer: W) -> Self {
        EvmTranscriptWriter { state: KeccakState::default(), writer, _marker: PhantomData }
    }

    fn finalize(self) -> W {
        self.writer
    }
}

/// Verifier side: reads and validates the proof bytes while absorbing them.
#[derive(Debug)]
pub struct EvmTranscriptReader<R: Read> {
    state: KeccakState,
    reader: R,
}

impl<R: Read> Transcript<G1Affine, KeccakChallenge> for EvmTranscriptReader<R> {
    fn squeeze_challenge(&mut self) -> KeccakChallenge {
        self.state.squeeze()
    }

    fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.state.absorb_point(&point);
        Ok(())
    }

    fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.state.absorb_scalar(&scalar);
        Ok(())
    }
}

impl<R: Read> TranscriptRead<G1Affine, KeccakChallenge> for EvmTranscriptReader<R> {
    fn read_point(&mut self) -> io::Result<G1Affine> {
        let mut bytes = [0u8; POINT_BYTES];
        self.reader.read_exact(&mut bytes)?;
        let point = decode_point(&bytes)?;
        self.state.absorb_point(&point);
        Ok(point)
    }

    fn read_scalar(&mut self) -> io::Result<Fr> {
        let mut bytes = [0u8; SCALAR_BYTES];
        self.reader.read_exact(&mut bytes)?;
        let scalar = fr_from_be_bytes(&bytes)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "scalar is not below the field modulus r"))?;
        self.state.absorb_scalar(&scalar);
        Ok(scalar)
    }
}

impl<R: Read> TranscriptReadBuffer<R, G1Affine, KeccakChallenge> for EvmTranscriptReader<R> {
    fn init(reader: R) -> Self {
        EvmTranscriptReader { state: KeccakState::default(), reader }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::group::Curve;

    #[test]
    fn points_round_trip_and_reject_bad_encodings() {
        let g = G1Affine::generator();
        let p = (g * Fr::from(12345u64)).to_affine();
        for point in [g, p, G1Affine::identity()] {
            assert_eq!(decode_point(&encode_point(&point)).unwrap(), point);
        }
        let mut off_curve = encode_point(&p);
        off_curve[63] ^= 1;
        assert!(decode_point(&off_curve).is_err());
        let mut too_big = [0xffu8; 64];
        too_big[32..].copy_from_slice(&encode_point(&g)[32..]);
        assert!(decode_point(&too_big).is_err());
    }

    #[test]
    fn scalars_must_be_canonical() {
        let x = Fr::from(7u64);
        assert_eq!(fr_from_be_bytes(&fr_to_be_bytes(&x)), Some(x));
        assert_eq!(fr_from_be_bytes(&[0xff; 32]), None);
        // r itself is not canonical.
        let minus_one = fr_to_be_bytes(&-Fr::one());
        let mut r = minus_one;
        r[31] += 1;
        assert_eq!(fr_from_be_bytes(&r), None);
    }

    #[test]
    fn challenges_follow_the_documented_rule() {
        let mut w = EvmTranscriptWriter::init(Vec::new());
        w.common_scalar(Fr::from(5u64)).unwrap();
        w.write_point(G1Affine::generator()).unwrap();
        let c1 = w.squeeze_challenge().get_scalar();
        let c2 = w.squeeze_challenge().get_scalar();
        assert_ne!(c1, c2);

        let mut buf = fr_to_be_bytes(&Fr::from(5u64)).to_vec();
        buf.extend_from_slice(&encode_point(&G1Affine::generator()));
        let h1: [u8; 32] = Keccak256::digest(&buf).into();
        assert_eq!(c1, fr_from_be_bytes_mod_r(&h1));
        let h2: [u8; 32] = Keccak256::digest(h1).into();
        assert_eq!(c2, fr_from_be_bytes_mod_r(&h2));

        // The reader reproduces the writer's challenges from the proof bytes.
        let proof = w.finalize();
        let mut r = EvmTranscriptReader::init(proof.as_slice());
        r.common_scalar(Fr::from(5u64)).unwrap();
        assert_eq!(r.read_point().unwrap(), G1Affine::generator());
        assert_eq!(r.squeeze_challenge().get_scalar(), c1);
    }
}
