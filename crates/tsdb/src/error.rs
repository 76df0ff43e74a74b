//! Engine errors. Every I/O or corruption error names the file it concerns.

use std::path::{Path, PathBuf};

pub type Result<T, E = TsdbError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum TsdbError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: corrupt: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("the data directory {} is in use by another process", .0.display())]
    Locked(PathBuf),
    /// Writes arrive faster than the disk takes them, for longer than the stall timeout.
    #[error("overloaded: {0}")]
    Overloaded(&'static str),
    /// An earlier write or flush failed; the engine refuses writes until restarted.
    #[error("the storage engine stopped accepting writes after an error: {0}")]
    Failed(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("the storage engine is shut down")]
    Closed,
}

impl TsdbError {
    pub fn io(path: &Path, source: std::io::Error) -> TsdbError {
        TsdbError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn corrupt(path: &Path, detail: impl std::fmt::Display) -> TsdbError {
        TsdbError::Corrupt {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        }
    }
}

impl From<TsdbError> for ironloom_core::error::Error {
    fn from(e: TsdbError) -> Self {
        use ironloom_core::error::{Error, FieldErrorKind};
        match e {
            TsdbError::Overloaded(what) => Error::Overloaded(what),
            TsdbError::Invalid(msg) => Error::invalid(
                "request",
                FieldErrorKind::Other {
                    en: msg.clone(),
                    zh: msg,
                },
            ),
            other => Error::storage("time-series engine", other),
        }
    }
}

/// Adds the path to an I/O result.
pub trait IoContext<T> {
    fn at(self, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|e| TsdbError::io(path, e))
    }
}
