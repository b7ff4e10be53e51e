//! `zkinfer setup`.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::cli::output::emit;
use crate::cli::progress::Step;
use crate::cli::{JsonFlag, Outcome};
use crate::error::ZkError;
use crate::pipeline::{self, Build, SrsSource};

#[derive(Args, Debug)]
pub struct SetupArgs {
    build_dir: PathBuf,
    /// An SRS file at least as large as k: a snarkjs Powers-of-Tau `.ptau` (BN254), or halo2 KZG
    /// params (PSE's or EZKL's `kzg*.srs`, or `zkinfer srs import`'s output). Checked before use.
    #[arg(long, conflicts_with = "dev_srs", value_name = "FILE")]
    srs: Option<PathBuf>,
    /// Use zkinfer's INSECURE development SRS (made locally and cached): for testing only.
    #[arg(long)]
    dev_srs: bool,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn run(a: SetupArgs, json: bool) -> Result<Outcome, ZkError> {
    let source = match (a.srs, a.dev_srs) {
        (Some(p), _) => SrsSource::File(p),
        (None, true) => SrsSource::Dev,
        (None, false) => {
            return Err(ZkError::input(
                "setup needs an SRS: pass --srs FILE (a .ptau or halo2 KZG params file) or --dev-srs (insecure, for testing)",
            ))
        }
    };
    let build = Build::open(&a.build_dir)?;
    let step = Step::start("generating keys");
    let info = pipeline::setup(&build, &source)?;
    let secs = step.finish();
    emit(json, json!({"ok": true, "setup_s": secs, "k": build.settings.k, "setup": info}), || {
        let warn = if info.insecure_srs() {
            "\n  WARNING: the development SRS is insecure (public secret): never use these keys in production"
        } else {
            ""
        };
        let claims = match info.srs_file.as_ref().and_then(|f| f.ceremony.as_ref()) {
            Some(c) => format!(
                "\n  SRS from a {}-contribution ceremony claiming hash {}",
                c.contributions.len(),
                c.claimed_hash.as_deref().unwrap_or("(none)")
            ),
            None => String::new(),
        };
        format!(
            "keys written to {} in {secs:.2}s (k={}, pk {:.1} MiB, vk {} bytes, SRS {})\n  vk digest {}{claims}{warn}",
            a.build_dir.display(),
            build.settings.k,
            info.pk_bytes as f64 / 1048576.0,
            info.vk_bytes,
            info.srs,
            info.vk_digest
        )
    });
    Ok(Outcome::Success)
}
