//! One error type whose kind decides the CLI exit code: 2 for bad input or usage (the user can fix
//! it), 1 for a proof that does not verify, 3 for a failure inside zkinfer itself.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad file, model, input value or option: exit code 2.
    Input,
    /// The proof or its instances were checked and rejected: exit code 1.
    InvalidProof,
    /// A bug or an environment failure (keygen, proving): exit code 3.
    Internal,
}

#[derive(Debug)]
pub struct ZkError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ZkError {
    pub fn input(message: impl Into<String>) -> Self {
        ZkError { kind: ErrorKind::Input, message: message.into() }
    }

    pub fn invalid_proof(message: impl Into<String>) -> Self {
        ZkError { kind: ErrorKind::InvalidProof, message: message.into() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ZkError { kind: ErrorKind::Internal, message: message.into() }
    }

    pub fn io(path: &Path, err: std::io::Error) -> Self {
        ZkError::input(format!("{}: {err}", path.display()))
    }

    /// Prefixes the message with where it happened, keeping the kind.
    pub fn context(self, what: impl fmt::Display) -> Self {
        ZkError { kind: self.kind, message: format!("{what}: {}", self.message) }
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Input => 2,
            ErrorKind::InvalidProof => 1,
            ErrorKind::Internal => 3,
        }
    }
}

impl fmt::Display for ZkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ZkError {}

pub type Result<T, E = ZkError> = std::result::Result<T, E>;
