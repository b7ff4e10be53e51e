//! `zkinfer ops`: the operators a model may use, from the registry the compiler's error quotes.

use clap::Args;

use crate::cli::output::emit;
use crate::cli::{JsonFlag, Outcome};
use crate::error::ZkError;
use crate::model::onnx_import::{markdown_table, OPERATORS};

#[derive(Args, Debug)]
pub struct OpsArgs {
    /// Print the README's Markdown table instead of the plain list.
    #[arg(long)]
    markdown: bool,
    #[command(flatten)]
    pub json: JsonFlag,
}

pub fn run(a: OpsArgs, json: bool) -> Result<Outcome, ZkError> {
    if a.markdown && !json {
        print!("{}", markdown_table());
        return Ok(Outcome::Success);
    }
    let value = serde_json::json!({ "families": OPERATORS });
    emit(json, value, || {
        let mut s = String::new();
        for f in OPERATORS {
            s.push_str(&f.ops.join(", "));
            if !f.limits.is_empty() {
                s.push_str(&format!("\n    accepts: {}", f.limits));
            }
            s.push_str(&format!("\n    proved by: {}\n    rows per element: {}\n", f.proof, f.rows));
        }
        s.pop();
        s
    });
    Ok(Outcome::Success)
}
