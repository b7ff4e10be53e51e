//! `zkinfer srs`: write a development SRS file.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::cli::output::emit;
use crate::cli::progress::Step;
use crate::cli::{JsonFlag, Outcome};
use crate::error::ZkError;
use crate::proof::srs;

#[derive(Args, Debug)]
pub struct SrsArgs {
    /// Make the INSECURE development SRS (its secret comes from a public seed).
    #[arg(long, required = true)]
    dev: bool,
    /// log2 of the number of points.
    #[arg(short, value_parser = clap::value_parser!(u32).range(1..=26))]
    k: u32,
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn run(a: SrsArgs, json: bool) -> Result<Outcome, ZkError> {
    let k = a.k;
    let step = Step::start(&format!("generating development SRS k={k}"));
    let params = srs::generate_dev_srs(k);
    srs::write_params_atomic(&params, &a.out)?;
    let secs = step.finish();
    emit(json, json!({"ok": true, "k": k, "file": a.out, "insecure": true, "seconds": secs}), || {
        format!("wrote INSECURE development SRS k={k} to {} in {secs:.1}s (testing only)", a.out.display())
    });
    Ok(Outcome::Success)
}
