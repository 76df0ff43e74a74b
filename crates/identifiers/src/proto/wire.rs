//! Bounded big-endian reading and writing of the protocol's primitives: int1/int2/int4,
//! UTF8-String and byte arrays (int4 length + bytes), int4 arrays. Every length is
//! checked against what is left of the section before anything is allocated.

use crate::error::ProtoError;
use crate::handle::{HandleValue, MAX_REFERENCES, Permissions, TtlType, ValueReference, len_u32};

/// Reads one section (header, body, credential) of a message.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    section: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], section: &'static str) -> Self {
        Reader {
            buf,
            at: 0,
            section,
        }
    }

    pub(crate) fn left(&self) -> usize {
        self.buf.len() - self.at
    }

    pub(crate) fn take(&mut self, n: u64, field: &'static str) -> Result<&'a [u8], ProtoError> {
        let left = self.left();
        match usize::try_from(n) {
            Ok(n) if n <= left => {
                let s = &self.buf[self.at..self.at + n];
                self.at += n;
                Ok(s)
            }
            _ => Err(ProtoError::Truncated {
                field,
                section: self.section,
                need: n,
                left,
            }),
        }
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, ProtoError> {
        Ok(self.take(1, field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, ProtoError> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, ProtoError> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// int4 length + bytes.
    pub(crate) fn bytes(&mut self, field: &'static str) -> Result<&'a [u8], ProtoError> {
        let len = self.u32(field)?;
        self.take(u64::from(len), field)
    }

    /// int4 length + UTF-8 bytes.
    pub(crate) fn string(&mut self, field: &'static str) -> Result<String, ProtoError> {
        let b = self.bytes(field)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| ProtoError::Utf8(field))
    }

    /// An int4 count, at most `limit` and at most what the rest of the section could
    /// hold at `min_size` bytes per element.
    pub(crate) fn count(
        &mut self,
        field: &'static str,
        limit: u32,
        min_size: usize,
    ) -> Result<usize, ProtoError> {
        let n = self.u32(field)?;
        if n > limit {
            return Err(ProtoError::TooMany {
                field,
                count: n,
                limit,
            });
        }
        let n = n as usize;
        let need = n.saturating_mul(min_size);
        if need > self.left() {
            return Err(ProtoError::Truncated {
                field,
                section: self.section,
                need: need as u64,
                left: self.left(),
            });
        }
        Ok(n)
    }

    /// One handle value (RFC 3652 §3.1, as CNRI encodes it).
    pub(crate) fn value(&mut self) -> Result<HandleValue, ProtoError> {
        let index = self.u32("value index")?;
        let timestamp = self.u32("value timestamp")?;
        let ttl_type = TtlType::from_octet(self.u8("value TTL type")?);
        let ttl = self.u32("value TTL")?;
        let permissions = Permissions::from_octet(self.u8("value permissions")?);
        let value_type = self.string("value type")?;
        let data = self.bytes("value data")?.to_vec();
        let n = self.count("value references", MAX_REFERENCES as u32, 8)?;
        let mut references = Vec::with_capacity(n);
        for _ in 0..n {
            let handle = self.string("reference handle")?;
            let index = self.u32("reference index")?;
            references.push(ValueReference { handle, index });
        }
        let v = HandleValue {
            index,
            value_type,
            data,
            ttl_type,
            ttl,
            timestamp,
            permissions,
            references,
        };
        v.validate()?;
        Ok(v)
    }
}

/// Appends the primitives to a buffer.
pub(crate) trait Put {
    fn put_u32(&mut self, v: u32);
    fn put_bytes(&mut self, b: &[u8]);
    fn put_value(&mut self, v: &HandleValue);
}

impl Put for Vec<u8> {
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }

    fn put_bytes(&mut self, b: &[u8]) {
        self.put_u32(len_u32(b.len()));
        self.extend_from_slice(b);
    }

    fn put_value(&mut self, v: &HandleValue) {
        self.put_u32(v.index);
        self.put_u32(v.timestamp);
        self.push(v.ttl_type.octet());
        self.put_u32(v.ttl);
        self.push(v.permissions.octet());
        self.put_bytes(v.value_type.as_bytes());
        self.put_bytes(&v.data);
        self.put_u32(len_u32(v.references.len()));
        for r in &v.references {
            self.put_bytes(r.handle.as_bytes());
            self.put_u32(r.index);
        }
    }
}

/// The encoded size of a value, to size buffers.
pub(crate) fn value_len(v: &HandleValue) -> usize {
    4 + 4
        + 1
        + 4
        + 1
        + 4
        + v.value_type.len()
        + 4
        + v.data.len()
        + 4
        + v.references
            .iter()
            .map(|r| 8 + r.handle.len())
            .sum::<usize>()
}
