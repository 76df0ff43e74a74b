pub mod error;
pub mod handle;
