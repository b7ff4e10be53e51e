//! `zkinfer bench`: keygen, proving (median of runs), verification, and the EVM verifier's gas.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::artifacts::write_json;
use crate::cli::output::{emit, median};
use crate::cli::progress::{peak_rss_mb, Step};
use crate::cli::{JsonFlag, Outcome};
use crate::error::ZkError;
use crate::model::input_file::read_inputs;
use crate::pipeline::{self, Build, Prover, SrsSource};

#[derive(Args, Debug)]
pub struct BenchArgs {
    build_dir: PathBuf,
    input: PathBuf,
    /// Proving runs (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Also write the JSON summary to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Use a KZG params file instead of the development SRS.
    #[arg(long, value_name = "FILE")]
    srs: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn run(a: BenchArgs, json: bool) -> Result<Outcome, ZkError> {
    let build = Build::open(&a.build_dir)?;
    let inputs = build.scale().quantise(&read_inputs(&a.input)?.values);
    let source = match a.srs {
        Some(p) => SrsSource::File(p),
        None => SrsSource::Dev,
    };
    let runs = a.runs.max(1);
    let setup_step = Step::start("keygen");
    let info = pipeline::setup(&build, &source)?;
    let setup_s = setup_step.finish();
    let prover = Prover::load(&build)?;
    let vk = build.vk()?;
    let mut prove_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut last = None;
    for i in 0..runs {
        let step = Step::start(&format!("proving {}/{runs}", i + 1));
        let proved = pipeline::prove(&build, &prover, &inputs, Default::default())?;
        prove_times.push(step.finish());
        let t = std::time::Instant::now();
        pipeline::verify(&build, &proved.file, &prover.params, &vk)?;
        verify_times.push(t.elapsed().as_secs_f64());
        last = Some(proved);
    }
    let last = last.expect("at least one run");
    let proof_bytes = last.proof.bytes.len();
    let verifier = pipeline::verifier_contract::compile_verifier(&build)?;
    let evm = pipeline::verify_evm(&verifier, &last.proof)?;
    if !evm.valid {
        return Err(ZkError::internal(format!("the generated verifier rejected a valid proof: {:?}", evm.error)));
    }
    let cs = vk.cs();
    let s = &build.settings;
    let summary = json!({
        "verify_gas": evm.gas_used,
        "calldata_bytes": evm.calldata_bytes,
        "runtime_bytes": evm.runtime_bytes,
        "deploy_gas": evm.deploy_gas,
        "model": s.source_model,
        "k": s.k,
        "rows": s.rows.max(),
        "row_counts": s.rows,
        "lanes": s.layout.lanes,
        "scale": s.public.scale,
        "advice_columns": cs.num_advice_columns(),
        "fixed_columns": cs.num_fixed_columns(),
        "lookups": cs.lookups().len(),
        "degree": cs.degree(),
        "num_instances": s.public.num_instances,
        "setup_s": setup_s,
        "prove_s": median(prove_times.clone()),
        "prove_runs_s": prove_times,
        "verify_s": median(verify_times),
        "peak_rss_mb": peak_rss_mb(),
        "pk_bytes": info.pk_bytes,
        "vk_bytes": info.vk_bytes,
        "proof_bytes": proof_bytes,
        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    });
    if let Some(path) = &a.out {
        write_json(path, &summary)?;
    }
    let j = &summary;
    emit(json, summary.clone(), || {
        format!(
            "bench {} (k={}, rows {}, lanes {}, advice {} / fixed {} columns, {} lookup)\n  keygen {:.2}s, prove {:.3}s (median of {runs}), verify {:.1} ms, peak RSS {:.0} MiB\n  proof {} bytes, {} public instances, pk {:.1} MiB, vk {} bytes\n  EVM: verify {} gas (tx, Osaka), calldata {} bytes, verifier runtime {} bytes",
            s.source_model,
            j["k"], j["rows"], j["lanes"], j["advice_columns"], j["fixed_columns"], j["lookups"],
            setup_s,
            j["prove_s"].as_f64().unwrap_or(0.0),
            j["verify_s"].as_f64().unwrap_or(0.0) * 1000.0,
            j["peak_rss_mb"].as_f64().unwrap_or(0.0),
            proof_bytes,
            s.public.num_instances,
            info.pk_bytes as f64 / 1048576.0,
            info.vk_bytes,
            evm.gas_used,
            evm.calldata_bytes,
            evm.runtime_bytes,
        )
    });
    Ok(Outcome::Success)
}
