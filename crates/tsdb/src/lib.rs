//! Ironloom's time-series engine.

pub mod codec;
