//! Errors that stop an export or an import. Problems with single rows are not errors:
//! they are counted in the [`ImportReport`](crate::ImportReport).

pub type Result<T, E = IoError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("cannot read the input: {0}")]
    ReadInput(#[source] std::io::Error),
    #[error("cannot write the output: {0}")]
    WriteOutput(#[source] std::io::Error),
    /// The CSV header is missing or lacks a required column.
    #[error("bad CSV header: {0}")]
    ReadHeader(String),
    /// Not a Parquet file, or its footer or schema cannot be used.
    #[error("cannot read the Parquet file: {0}")]
    OpenParquet(String),
    /// A Parquet file that opened fails further in (damaged or truncated pages).
    #[error("the Parquet file is damaged at row {row}: {detail}")]
    ReadParquet { row: u64, detail: String },
    #[error("cannot write Parquet: {0}")]
    WriteParquet(String),
    #[error("the output would exceed {0} bytes")]
    OutputTooLarge(u64),
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The time-series store refused or failed.
    #[error("time-series store: {0}")]
    Store(#[from] ironloom_core::error::Error),
}

impl IoError {
    /// A stable code for scripts and the API.
    pub fn code(&self) -> &'static str {
        match self {
            IoError::ReadInput(_) => "read_input",
            IoError::WriteOutput(_) => "write_output",
            IoError::ReadHeader(_) => "bad_header",
            IoError::OpenParquet(_) => "not_parquet",
            IoError::ReadParquet { .. } => "damaged_parquet",
            IoError::WriteParquet(_) => "write_parquet",
            IoError::OutputTooLarge(_) => "output_too_large",
            IoError::Invalid(_) => "invalid",
            IoError::Store(_) => "store",
        }
    }
}
