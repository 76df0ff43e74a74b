use thiserror::Error;

/// Why a module could not be loaded or an instance not started.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("invalid apps configuration: {0}")]
    Config(String),
    #[error("could not start the WebAssembly engine: {0}")]
    StartEngine(String),
    #[error("the module has {size} bytes, more than the {max} allowed")]
    ModuleTooLarge { size: usize, max: usize },
    #[error("the module is not valid WebAssembly: {0}")]
    CompileModule(String),
    #[error("the module imports {module}.{name}, which the platform does not provide")]
    UnknownImport { module: String, name: String },
    #[error("the module does not export {0}")]
    MissingExport(&'static str),
    #[error("could not instantiate the module: {0}")]
    Instantiate(String),
}

impl AppError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Config(_) => "invalid_config",
            AppError::StartEngine(_) => "engine_unavailable",
            AppError::ModuleTooLarge { .. } => "module_too_large",
            AppError::CompileModule(_) => "invalid_module",
            AppError::UnknownImport { .. } => "unknown_import",
            AppError::MissingExport(_) => "missing_export",
            AppError::Instantiate(_) => "instantiate_failed",
        }
    }
}
