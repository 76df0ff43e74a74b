pub mod error;
pub mod handle;
pub mod proto;
