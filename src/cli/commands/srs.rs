//! `zkinfer srs`: make the development SRS, or import and inspect a ceremony's.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use serde_json::json;

use crate::artifacts::{Ceremony, SrsFileInfo};
use crate::cli::output::emit;
use crate::cli::progress::Step;
use crate::cli::{JsonFlag, Outcome};
use crate::error::ZkError;
use crate::proof::srs;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SrsArgs {
    #[command(subcommand)]
    command: Option<SrsCommand>,
    /// Make the INSECURE development SRS (its secret comes from a public seed).
    #[arg(long, required = true)]
    dev: bool,
    /// log2 of the number of points.
    #[arg(short, value_parser = clap::value_parser!(u32).range(1..=26), required = true)]
    k: Option<u32>,
    /// Where to write the SRS file.
    #[arg(short = 'o', long = "out", value_name = "FILE", required = true)]
    out: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Subcommand, Debug)]
enum SrsCommand {
    /// Convert a ceremony's SRS to zkinfer's format (halo2 raw params), checked.
    ///
    /// FILE is a snarkjs Powers-of-Tau file (`.ptau`, BN254 / `bn128`, phase 1, prepared or not:
    /// the Hermez and Perpetual Powers of Tau files) or a halo2 params file (PSE's or EZKL's
    /// `kzg*.srs`). Every point is checked on the curve, the powers are checked to come from one
    /// secret (pairings over random linear combinations), and the ceremony hash the file claims
    /// is printed: compare it with the one the ceremony published. `--srs` reads the same files
    /// directly; importing once saves the conversion on every setup.
    Import {
        file: PathBuf,
        /// Keep 2^k points (default: all the file holds).
        #[arg(short, value_parser = clap::value_parser!(u32).range(1..=28))]
        k: Option<u32>,
        /// Where to write the converted file (halo2 raw params, what `--srs` reads fastest).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Check an SRS file and say what it is (format, size, ceremony claims), without writing.
    Inspect {
        file: PathBuf,
        #[command(flatten)]
        json: JsonFlag,
    },
}

impl SrsArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            Some(SrsCommand::Import { json, .. } | SrsCommand::Inspect { json, .. }) => json.json || self.json.json,
            None => self.json.json,
        }
    }
}

pub fn run(a: SrsArgs, json: bool) -> Result<Outcome, ZkError> {
    match a.command {
        Some(SrsCommand::Import { file, k, out, .. }) => {
            let (params, info, insecure) = load_checked(&file, k)?;
            let k = params.k();
            srs::write_params_atomic(&params, &out)?;
            emit(json, json!({"ok": true, "file": out, "k": k, "source": info, "insecure": insecure}), || {
                format!("{}\nwrote k={k} (2^{k} points) to {}", describe(&file, &info, insecure), out.display())
            });
        }
        Some(SrsCommand::Inspect { file, .. }) => {
            let (_, info, insecure) = load_checked(&file, None)?;
            emit(json, json!({"ok": true, "source": info, "insecure": insecure}), || {
                format!("{}\nconsistent: one secret behind every point", describe(&file, &info, insecure))
            });
        }
        None => {
            let (k, out) = (a.k.expect("required by clap"), a.out.expect("required by clap"));
            let step = Step::start(&format!("generating development SRS k={k}"));
            let params = srs::generate_dev_srs(k);
            srs::write_params_atomic(&params, &out)?;
            let secs = step.finish();
            emit(json, json!({"ok": true, "k": k, "file": out, "insecure": true, "seconds": secs}), || {
                format!("wrote INSECURE development SRS k={k} to {} in {secs:.1}s (testing only)", out.display())
            });
        }
    }
    Ok(Outcome::Success)
}

/// Reads and checks a user's SRS file (with progress), and says whether it is the development SRS.
fn load_checked(file: &Path, k: Option<u32>) -> Result<(ParamsKZG<Bn256>, SrsFileInfo, bool), ZkError> {
    let step = Step::start(&format!("reading and checking {}", file.display()));
    let (params, info) = srs::load_srs_file(file, k)?;
    step.finish();
    let insecure = srs::is_dev_srs(&params);
    Ok((params, info, insecure))
}

fn describe(file: &Path, info: &SrsFileInfo, insecure: bool) -> String {
    let mut s = format!("{}: {}, k={} (2^{} points)", file.display(), info.format, info.k, info.k);
    if insecure {
        s.push_str("\n  WARNING: this is zkinfer's INSECURE development SRS (public secret)");
    }
    if let Some(c) = &info.ceremony {
        s.push_str(&describe_ceremony(c));
    }
    s
}

fn describe_ceremony(c: &Ceremony) -> String {
    let mut s = format!("\n  ceremony power {} ({} contributions)", c.ceremony_power, c.contributions.len());
    for (i, entry) in c.contributions.iter().enumerate() {
        let name = entry.name.as_deref().unwrap_or("(unnamed)");
        s.push_str(&format!("\n    #{} {name}", i + 1));
        if let Some(h) = &entry.beacon_hash {
            s.push_str(&format!(" (beacon {h}, 2^{} iterations)", entry.beacon_iterations_exp.unwrap_or(0)));
        }
    }
    match &c.claimed_hash {
        Some(h) => s.push_str(&format!("\n  claimed ceremony hash (next challenge, blake2b-512): {h}")),
        None => s.push_str("\n  no contributions: not usable"),
    }
    s
}
