//! Ironloom's identifier-resolution building blocks (工业互联网标识解析, capability I1),
//! pure and free of I/O, for the resolution server and the console's scanner:
//!
//! - [`handle`]: the Handle data model (RFC 3651 with the Handle.Net errata): handles
//!   `prefix/suffix` with any dot-segmented prefix, typed values with TTL, timestamp,
//!   permissions and references, the `HS_ADMIN` and `HS_VLIST` layouts, and the value
//!   JSON of the Handle.Net REST API both ways.
//! - [`proto`]: the RFC 3652 binary codec a resolution service needs (envelope, header,
//!   resolution request and response, error responses, request digests, UDP pieces),
//!   tolerant of what CNRI's and Teleinfo's implementations really send and bounded
//!   against every length a peer announces.
//! - [`schemes`]: Handle/IIR, OID, GS1 (keys, element strings, Digital Link), Ecode and
//!   VAA parsers with canonical forms, and [`schemes::detect`] for scanned strings.
//! - [`carrier`]: identifier carriers (标识载体): QR codes and Data Matrix symbols of a
//!   resolution URL, a GS1 Digital Link or a GS1 element string, as SVG and PNG, and A4
//!   label sheets of them.
//! - [`fuzzing`]: entry points for the fuzz targets, also run over mutated inputs by the
//!   tests.
//!
//! Invariant: no input makes any parser or decoder panic or allocate more than a small
//! multiple of the input's own size (or, for a UDP reassembly, of
//! [`proto::MAX_MESSAGE_LENGTH`]).

pub mod carrier;
pub mod error;
pub mod fuzzing;
pub mod handle;
pub mod proto;
pub mod schemes;

pub use carrier::{Carrier, Symbology};
pub use error::{CarrierError, HandleError, ProtoError, SchemeError};
pub use handle::{Handle, HandleValue, Permissions, TtlType, ValueReference};
pub use schemes::{Detected, Scheme, detect};
