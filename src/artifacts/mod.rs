//! What zkinfer writes to disk: the build directory (`settings.json`, `model.json`, keys, SRS) and
//! proof files. All JSON (keys and SRS aside), so scripts and other languages can read them. A
//! proof's and a field element's hex is written and parsed here only: in memory a proof is bytes
//! and field elements (an input file's salt and a key file are parsed where those files are read).

mod build;
mod files;
mod proof_file;
mod settings;

pub use build::{check_tensors, Build};
pub use files::*;
pub use proof_file::{PrivateOutputs, ProofFile};
pub use settings::{
    CalibrationReport, Ceremony, Contribution, EvalReport, LayerError, OutputError, OutputEval, RowCounts, Settings,
    SetupInfo, SrsFileInfo, SrsFormat, SrsOrigin, TreeReport,
};
