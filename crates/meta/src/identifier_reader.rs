//! The resolver's own read connections on the SQLite file: each resolving thread holds
//! one and reads what its cache misses with a prepared statement on that thread. The
//! store's pool runs every query on a worker thread of its connection, so a point read
//! through it costs two thread hand-overs, several times the read itself.

use ironloom_core::error::{Error, Result};
use ironloom_core::identifier::{IdentifierRecord, TemplateRef};
use ironloom_core::repo::IdentifierReader;
use ironloom_identifiers::proto::decode_values;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// The file of a `sqlite:` URL, if it names one (not an in-memory database).
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let memory =
        path.is_empty() || path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory");
    (!memory).then(|| PathBuf::from(path))
}

const READ: &str = "SELECT handle, tenant_id, prefix, template_id, template_version, vals, \
    created_at, updated_at FROM iir_identifiers WHERE handle = ?1";

/// A read-only connection of one resolving thread.
pub(crate) struct SqliteIdentifierReader {
    conn: Connection,
}

impl SqliteIdentifierReader {
    pub(crate) fn open(file: &Path) -> Result<Self> {
        let err = |e: rusqlite::Error| Error::storage("open an identifier reader", e);
        let conn = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        // Reads only; the file's first 2 GiB mapped rather than copied through read(2)
        // (SQLite's ceiling; a map of the whole file is remapped as the file grows, and
        // with a store of 10 M identifiers that stalled answers for 200 ms at times),
        // and a page cache of 16 MiB.
        conn.execute_batch(
            "PRAGMA query_only = 1; PRAGMA busy_timeout = 10000; \
             PRAGMA mmap_size = 2147418112; PRAGMA cache_size = -16384;",
        )
        .map_err(err)?;
        conn.prepare_cached(READ).map_err(err)?;
        Ok(SqliteIdentifierReader { conn })
    }
}

impl IdentifierReader for SqliteIdentifierReader {
    fn identifier(&mut self, handle: &str) -> Result<Option<IdentifierRecord>> {
        let err = |e: rusqlite::Error| Error::storage("read identifier", e);
        let mut stmt = self.conn.prepare_cached(READ).map_err(err)?;
        let row = stmt
            .query_row([handle], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Vec<u8>>(5)?,
                    row.get::<_, i64>(6)?,
                    row.get::<_, i64>(7)?,
                ))
            })
            .optional()
            .map_err(err)?;
        let Some((handle, tenant, prefix, template_id, template_version, vals, created, updated)) =
            row
        else {
            return Ok(None);
        };
        let decode =
            |what: &str, e: String| Error::storage("decode identifier", format!("{what}: {e}"));
        let ts = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| decode("timestamp", ms.to_string()))
        };
        Ok(Some(IdentifierRecord {
            tenant_id: tenant
                .parse()
                .map_err(|e: uuid::Error| decode("tenant_id", e.to_string()))?,
            prefix,
            template: match (template_id, template_version) {
                (Some(id), Some(version)) => Some(TemplateRef { id, version }),
                _ => None,
            },
            values: decode_values(&vals).map_err(|e| decode("values", e.to_string()))?,
            created_at: ts(created)?,
            updated_at: ts(updated)?,
            handle,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;
    use std::path::PathBuf;

    #[test]
    fn only_urls_naming_a_file_have_one() {
        assert_eq!(
            sqlite_file("sqlite:///data/meta.db?mode=rwc"),
            Some(PathBuf::from("/data/meta.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:meta.db"),
            Some(PathBuf::from("meta.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://x.db?mode=memory&cache=shared"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }
}
