//! The marketplace: developers, submissions, releases and signing keys. Platform-wide
//! records (no tenant column); every change is audited as a platform-level object.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldErrorKind, Result};
use ironloom_core::ids::{DeveloperId, SubmissionId, UserId};
use ironloom_core::market::*;
use ironloom_core::repo::MarketRepo;
use serde_json::json;
use sqlx::any::AnyRow;

const DEV_COLUMNS: &str = "id, user_id, name, email, organisation, website, first_party, status, \
    review_comment, reviewed_by, created_at, updated_at";

fn developer_from_row(row: &AnyRow) -> Result<Developer> {
    Ok(Developer {
        id: parse(row, "id")?,
        user_id: parse(row, "user_id")?,
        name: text(row, "name")?,
        email: text(row, "email")?,
        organisation: opt_text(row, "organisation")?,
        website: opt_text(row, "website")?,
        first_party: flag(row, "first_party")?,
        status: enum_col(row, "status", DeveloperStatus::parse)?,
        review_comment: opt_text(row, "review_comment")?,
        reviewed_by: opt_text(row, "reviewed_by")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

/// The submission's columns, with the developer's name joined in (`d.name`).
const SUB_COLUMNS: &str = "s.id, s.developer_id, d.name AS developer, s.app_id, s.version, \
    s.channel, s.digest, s.size, s.manifest, s.changelog, s.status, s.report, s.review_comment, \
    s.reviewed_by, s.created_at, s.updated_at";
const SUB_FROM: &str = "market_submissions s JOIN developers d ON d.id = s.developer_id";

fn submission_from_row(row: &AnyRow) -> Result<Submission> {
    let manifest = opt_text(row, "manifest")?
        .map(|m| serde_json::from_str(&m))
        .transpose()
        .map_err(|e| Error::storage("decode submission manifest", e))?;
    let report = opt_text(row, "report")?
        .map(|m| serde_json::from_str(&m))
        .transpose()
        .map_err(|e| Error::storage("decode submission report", e))?;
    Ok(Submission {
        id: parse(row, "id")?,
        developer_id: parse(row, "developer_id")?,
        developer: text(row, "developer")?,
        app_id: text(row, "app_id")?,
        version: text(row, "version")?,
        channel: enum_col(row, "channel", Channel::parse)?,
        digest: text(row, "digest")?,
        size: u64::try_from(int(row, "size")?).unwrap_or(0),
        manifest,
        changelog: opt_text(row, "changelog")?,
        status: enum_col(row, "status", SubmissionStatus::parse)?,
        report,
        review_comment: opt_text(row, "review_comment")?,
        reviewed_by: opt_text(row, "reviewed_by")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

const REL_COLUMNS: &str = "r.app_id, r.version, r.channel, r.developer_id, d.name AS developer, \
    r.id, r.digest, r.key_id, r.size, r.manifest, r.changelog, r.released_at";
const REL_FROM: &str = "market_releases r JOIN developers d ON d.id = r.developer_id";

fn release_from_row(row: &AnyRow) -> Result<Release> {
    Ok(Release {
        app_id: text(row, "app_id")?,
        version: text(row, "version")?,
        channel: enum_col(row, "channel", Channel::parse)?,
        developer_id: parse(row, "developer_id")?,
        developer: text(row, "developer")?,
        submission_id: parse(row, "id")?,
        digest: text(row, "digest")?,
        key_id: text(row, "key_id")?,
        size: u64::try_from(int(row, "size")?).unwrap_or(0),
        manifest: json(row, "manifest")?,
        changelog: opt_text(row, "changelog")?,
        released_at: ts(row, "released_at")?,
    })
}

const KEY_COLUMNS: &str =
    "key_id, algorithm, public_key, sealed_private, state, created_at, retired_at";

fn key_from_row(row: &AnyRow) -> Result<SealedSigningKey> {
    Ok(SealedSigningKey {
        key: SigningKey {
            key_id: text(row, "key_id")?,
            algorithm: text(row, "algorithm")?,
            public_key: text(row, "public_key")?,
            state: enum_col(row, "state", KeyState::parse)?,
            created_at: ts(row, "created_at")?,
            retired_at: opt_ts(row, "retired_at")?,
        },
        sealed_private: bytes(row, "sealed_private")?,
    })
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn conflict(resource: Resource, field: &'static str, value: String) -> Error {
    Error::AlreadyExists {
        resource,
        field,
        value,
    }
}

impl SqlStore {
    async fn submission_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: SubmissionId,
    ) -> Result<Submission> {
        let mut sql = Sql::new(&format!(
            "SELECT {SUB_COLUMNS} FROM {SUB_FROM} WHERE s.id = "
        ));
        sql.bind(id.to_string());
        let row = sql
            .query()
            .fetch_optional(conn)
            .await
            .map_err(storage("read submission"))?
            .ok_or(Error::NotFound(Resource::Submission))?;
        submission_from_row(&row)
    }

    async fn developer_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: DeveloperId,
    ) -> Result<Developer> {
        let mut sql = Sql::new(&format!("SELECT {DEV_COLUMNS} FROM developers WHERE id = "));
        sql.bind(id.to_string());
        let row = sql
            .query()
            .fetch_optional(conn)
            .await
            .map_err(storage("read developer"))?
            .ok_or(Error::NotFound(Resource::Developer))?;
        developer_from_row(&row)
    }
}

#[async_trait]
impl MarketRepo for SqlStore {
    async fn create_developer(&self, actor: &Actor, new: NewDeveloper) -> Result<Developer> {
        let at = now();
        let dev = Developer {
            id: DeveloperId::new(),
            user_id: new.user_id,
            name: new.name,
            email: new.email,
            organisation: new.organisation,
            website: new.website,
            first_party: new.first_party,
            status: new.status,
            review_comment: None,
            reviewed_by: None,
            created_at: at,
            updated_at: at,
        };
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(&format!("INSERT INTO developers ({DEV_COLUMNS}) VALUES ("));
        sql.bind(dev.id.to_string())
            .push(", ")
            .bind(dev.user_id.to_string())
            .push(", ")
            .bind(dev.name.clone())
            .push(", ")
            .bind(dev.email.clone())
            .push(", ")
            .bind(dev.organisation.clone())
            .push(", ")
            .bind(dev.website.clone())
            .push(", ")
            .bind(dev.first_party)
            .push(", ")
            .bind(dev.status.as_str())
            .push(", NULL, NULL, ")
            .bind(at)
            .push(", ")
            .bind(at)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create developer", Resource::Developer))
            .map_err(|e| with_value(e, "name", &dev.name))?;
        let details = json!({"name": dev.name, "email": dev.email,
            "organisation": dev.organisation, "first_party": dev.first_party,
            "status": dev.status});
        let entry = audit_entry(None, "register", Resource::Developer, dev.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(dev)
    }

    async fn get_developer(&self, id: DeveloperId) -> Result<Developer> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("read developer"))?;
        self.developer_in(&mut conn, id).await
    }

    async fn developer_of_user(&self, user: UserId) -> Result<Option<Developer>> {
        let mut sql = Sql::new(&format!(
            "SELECT {DEV_COLUMNS} FROM developers WHERE user_id = "
        ));
        sql.bind(user.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read developer"))?;
        row.as_ref().map(developer_from_row).transpose()
    }

    async fn list_developers(
        &self,
        filter: &DeveloperFilter,
        page: &PageRequest<DeveloperSort>,
    ) -> Result<Page<Developer>> {
        let mut wh = Sql::new(" WHERE 1 = 1");
        if let Some(s) = filter.status {
            wh.and("status =", s.as_str());
        }
        if let Some(q) = &filter.q {
            wh.and_contains(&["name", "email", "organisation"], q);
        }
        list_page(
            self.pool(),
            "developers",
            DEV_COLUMNS,
            wh,
            page,
            developer_from_row,
        )
        .await
    }

    async fn review_developer(
        &self,
        actor: &Actor,
        id: DeveloperId,
        status: DeveloperStatus,
        comment: Option<String>,
    ) -> Result<Developer> {
        let mut tx = self.begin().await?;
        let mut dev = self.developer_in(&mut tx, id).await?;
        let from = dev.status;
        dev.status = status;
        dev.review_comment = comment;
        dev.reviewed_by = Some(actor.name.clone());
        dev.updated_at = now();
        decide(
            &mut tx,
            "developers",
            id.to_string(),
            status.as_str(),
            dev.review_comment.clone(),
            dev.reviewed_by.clone(),
            dev.updated_at,
        )
        .await?;
        let details = json!({"status": {"from": from, "to": status},
            "comment": dev.review_comment});
        let entry = audit_entry(None, "review", Resource::Developer, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(dev)
    }

    async fn create_submission(
        &self,
        actor: &Actor,
        sub: &Submission,
        bytes: &[u8],
    ) -> Result<Submission> {
        let mut tx = self.begin().await?;
        // The app id is the first submitter's.
        let mut owner = Sql::new("SELECT developer_id FROM market_apps WHERE app_id = ");
        owner.bind(sub.app_id.clone());
        let owner = owner
            .query()
            .fetch_optional(&mut *tx)
            .await
            .map_err(storage("read app owner"))?;
        match owner {
            Some(row) => {
                let dev: DeveloperId = parse(&row, "developer_id")?;
                if dev != sub.developer_id {
                    return Err(Error::invalid(
                        "app_id",
                        FieldErrorKind::Other {
                            en: format!(
                                "{} belongs to another developer; choose another id",
                                sub.app_id
                            ),
                            zh: format!("应用标识 {} 属于其他开发者，请换一个标识", sub.app_id),
                        },
                    ));
                }
            }
            None => {
                let mut own =
                    Sql::new("INSERT INTO market_apps (app_id, developer_id, created_at) VALUES (");
                own.bind(sub.app_id.clone())
                    .push(", ")
                    .bind(sub.developer_id.to_string())
                    .push(", ")
                    .bind(sub.created_at)
                    .push(")");
                own.query()
                    .execute(&mut *tx)
                    .await
                    .map_err(storage("claim app id"))?;
            }
        }
        // The version is new: neither released nor waiting.
        let mut same = Sql::new("SELECT COUNT(*) AS n FROM market_releases WHERE app_id = ");
        same.bind(sub.app_id.clone())
            .and("version =", sub.version.clone());
        let released = count(
            &same
                .query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("read releases"))?,
        )?;
        let mut open = Sql::new("SELECT COUNT(*) AS n FROM market_submissions WHERE app_id = ");
        open.bind(sub.app_id.clone())
            .and("version =", sub.version.clone())
            .push(" AND status IN ('checking', 'in_review')");
        let waiting = count(
            &open
                .query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("read submissions"))?,
        )?;
        if released + waiting > 0 {
            return Err(conflict(
                if released > 0 {
                    Resource::Release
                } else {
                    Resource::Submission
                },
                "version",
                format!("{}@{}", sub.app_id, sub.version),
            ));
        }
        let mut mine =
            Sql::new("SELECT COUNT(*) AS n FROM market_submissions WHERE developer_id = ");
        mine.bind(sub.developer_id.to_string())
            .push(" AND status IN ('checking', 'in_review')");
        let mine = count(
            &mine
                .query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("count submissions"))?,
        )?;
        if mine >= MAX_OPEN_SUBMISSIONS {
            return Err(Error::QuotaExceeded {
                what: Resource::Submission,
                limit: MAX_OPEN_SUBMISSIONS,
            });
        }
        let mut sql = Sql::new(
            "INSERT INTO market_submissions (id, developer_id, app_id, version, channel, digest, \
             size, manifest, changelog, status, report, review_comment, reviewed_by, bytes, \
             created_at, updated_at) VALUES (",
        );
        sql.bind(sub.id.to_string())
            .push(", ")
            .bind(sub.developer_id.to_string())
            .push(", ")
            .bind(sub.app_id.clone())
            .push(", ")
            .bind(sub.version.clone())
            .push(", ")
            .bind(sub.channel.as_str())
            .push(", ")
            .bind(sub.digest.clone())
            .push(", ")
            .bind(to_i64(sub.size))
            .push(", ")
            .bind(sub.manifest.as_ref().map(to_json).transpose()?)
            .push(", ")
            .bind(sub.changelog.clone())
            .push(", ")
            .bind(sub.status.as_str())
            .push(", ")
            .bind(sub.report.as_ref().map(to_json).transpose()?)
            .push(", NULL, NULL, ")
            .bind(bytes.to_vec())
            .push(", ")
            .bind(sub.created_at)
            .push(", ")
            .bind(sub.updated_at)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("store submission", Resource::Submission))?;
        let details = json!({"app_id": sub.app_id, "version": sub.version,
            "channel": sub.channel, "digest": sub.digest, "size": sub.size});
        let entry = audit_entry(None, "submit", Resource::Submission, sub.id, details);
        let stored = self.submission_in(&mut tx, sub.id).await?;
        commit_audited(tx, actor, entry).await?;
        Ok(stored)
    }

    async fn get_submission(&self, id: SubmissionId) -> Result<Submission> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("read submission"))?;
        self.submission_in(&mut conn, id).await
    }

    async fn submission_bytes(&self, id: SubmissionId) -> Result<Vec<u8>> {
        let mut sql = Sql::new("SELECT bytes FROM market_submissions WHERE id = ");
        sql.bind(id.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read submission"))?
            .ok_or(Error::NotFound(Resource::Submission))?;
        bytes(&row, "bytes")
    }

    async fn list_submissions(
        &self,
        filter: &SubmissionFilter,
        page: &PageRequest<SubmissionSort>,
    ) -> Result<Page<Submission>> {
        // Filtered and sorted over the joined rows, whose column names are unambiguous.
        let mut wh = Sql::new(" WHERE 1 = 1");
        if let Some(d) = filter.developer_id {
            wh.and("developer_id =", d.to_string());
        }
        if let Some(s) = filter.status {
            wh.and("status =", s.as_str());
        }
        if let Some(a) = &filter.app_id {
            wh.and("app_id =", a.clone());
        }
        let from = format!("(SELECT {SUB_COLUMNS} FROM {SUB_FROM}) q");
        list_page(self.pool(), &from, "*", wh, page, submission_from_row).await
    }

    async fn finish_checks(&self, id: SubmissionId, report: &CheckReport) -> Result<Submission> {
        let status = if report.passed {
            SubmissionStatus::InReview
        } else {
            SubmissionStatus::CheckFailed
        };
        let mut sql = Sql::new("UPDATE market_submissions SET status = ");
        sql.bind(status.as_str())
            .push(", report = ")
            .bind(to_json(report)?)
            .push(", updated_at = ")
            .bind(now())
            .push(" WHERE id = ")
            .bind(id.to_string())
            .push(" AND status = 'checking'");
        sql.query()
            .execute(self.pool())
            .await
            .map_err(storage("store check report"))?;
        self.get_submission(id).await
    }

    async fn close_submission(
        &self,
        actor: &Actor,
        id: SubmissionId,
        status: SubmissionStatus,
        comment: Option<String>,
    ) -> Result<Submission> {
        let mut tx = self.begin().await?;
        let mut sub = self.submission_in(&mut tx, id).await?;
        let allowed = match status {
            SubmissionStatus::Rejected => sub.status == SubmissionStatus::InReview,
            SubmissionStatus::Withdrawn => !sub.status.is_final(),
            _ => false,
        };
        if !allowed {
            return Err(not_open(&sub));
        }
        let from = sub.status;
        sub.status = status;
        sub.review_comment = comment;
        sub.reviewed_by = Some(actor.name.clone());
        sub.updated_at = now();
        decide(
            &mut tx,
            "market_submissions",
            id.to_string(),
            status.as_str(),
            sub.review_comment.clone(),
            sub.reviewed_by.clone(),
            sub.updated_at,
        )
        .await?;
        let action = if status == SubmissionStatus::Rejected {
            "reject"
        } else {
            "withdraw"
        };
        let details = json!({"app_id": sub.app_id, "version": sub.version,
            "status": {"from": from, "to": status}, "comment": sub.review_comment});
        let entry = audit_entry(None, action, Resource::Submission, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(sub)
    }

    async fn release_submission(
        &self,
        actor: &Actor,
        id: SubmissionId,
        release: &Release,
        signed: &[u8],
        comment: Option<String>,
    ) -> Result<Release> {
        let mut tx = self.begin().await?;
        let sub = self.submission_in(&mut tx, id).await?;
        if sub.status != SubmissionStatus::InReview {
            return Err(not_open(&sub));
        }
        let mut sql = Sql::new(
            "INSERT INTO market_releases (app_id, version, channel, developer_id, id, digest, \
             key_id, size, manifest, changelog, bytes, released_at) VALUES (",
        );
        sql.bind(release.app_id.clone())
            .push(", ")
            .bind(release.version.clone())
            .push(", ")
            .bind(release.channel.as_str())
            .push(", ")
            .bind(release.developer_id.to_string())
            .push(", ")
            .bind(id.to_string())
            .push(", ")
            .bind(release.digest.clone())
            .push(", ")
            .bind(release.key_id.clone())
            .push(", ")
            .bind(to_i64(release.size))
            .push(", ")
            .bind(to_json(&release.manifest)?)
            .push(", ")
            .bind(release.changelog.clone())
            .push(", ")
            .bind(signed.to_vec())
            .push(", ")
            .bind(truncate_ms(release.released_at))
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("store release", Resource::Release))
            .map_err(|e| {
                with_value(
                    e,
                    "name",
                    &format!("{}@{}", release.app_id, release.version),
                )
            })?;
        let mut up =
            Sql::new("UPDATE market_submissions SET status = 'released', review_comment = ");
        up.bind(comment.clone())
            .push(", reviewed_by = ")
            .bind(actor.name.clone())
            .push(", updated_at = ")
            .bind(now())
            .push(" WHERE id = ")
            .bind(id.to_string());
        up.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("release submission"))?;
        let details = json!({"app_id": release.app_id, "version": release.version,
            "channel": release.channel, "digest": release.digest, "key_id": release.key_id,
            "comment": comment});
        let entry = audit_entry(None, "approve", Resource::Submission, id, details);
        commit_audited(tx, actor, entry).await?;
        self.get_release(&release.app_id, &release.version).await
    }

    async fn get_release(&self, app_id: &str, version: &str) -> Result<Release> {
        let mut sql = Sql::new(&format!(
            "SELECT {REL_COLUMNS} FROM {REL_FROM} WHERE r.app_id = "
        ));
        sql.bind(app_id).and("r.version =", version);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read release"))?
            .ok_or(Error::NotFound(Resource::Release))?;
        release_from_row(&row)
    }

    async fn release_bytes(&self, app_id: &str, version: &str) -> Result<Vec<u8>> {
        let mut sql = Sql::new("SELECT bytes FROM market_releases WHERE app_id = ");
        sql.bind(app_id).and("version =", version);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read release"))?
            .ok_or(Error::NotFound(Resource::Release))?;
        bytes(&row, "bytes")
    }

    async fn list_releases(
        &self,
        app_id: Option<&str>,
        page: &PageRequest<ReleaseSort>,
    ) -> Result<Page<Release>> {
        let mut wh = Sql::new(" WHERE 1 = 1");
        if let Some(a) = app_id {
            wh.and("app_id =", a);
        }
        let from = format!("(SELECT {REL_COLUMNS} FROM {REL_FROM}) q");
        list_page(self.pool(), &from, "*", wh, page, release_from_row).await
    }

    async fn list_signing_keys(&self) -> Result<Vec<SigningKey>> {
        let sql = Sql::new(&format!(
            "SELECT {KEY_COLUMNS} FROM market_signing_keys ORDER BY created_at DESC, key_id"
        ));
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list signing keys"))?;
        rows.iter()
            .map(|r| key_from_row(r).map(|k| k.key))
            .collect()
    }

    async fn active_signing_key(&self) -> Result<Option<SealedSigningKey>> {
        let sql = Sql::new(&format!(
            "SELECT {KEY_COLUMNS} FROM market_signing_keys WHERE state = 'active'"
        ));
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read signing key"))?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn rotate_signing_key(
        &self,
        actor: &Actor,
        key: &SealedSigningKey,
    ) -> Result<SigningKey> {
        let at = now();
        let mut tx = self.begin().await?;
        let mut retire =
            Sql::new("UPDATE market_signing_keys SET state = 'retired', retired_at = ");
        retire.bind(at).push(" WHERE state = 'active'");
        retire
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("retire signing key"))?;
        let k = &key.key;
        let mut sql = Sql::new(&format!(
            "INSERT INTO market_signing_keys ({KEY_COLUMNS}) VALUES ("
        ));
        sql.bind(k.key_id.clone())
            .push(", ")
            .bind(k.algorithm.clone())
            .push(", ")
            .bind(k.public_key.clone())
            .push(", ")
            .bind(key.sealed_private.clone())
            .push(", 'active', ")
            .bind(at)
            .push(", NULL)");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("store signing key", Resource::SigningKey))?;
        let details = json!({"algorithm": k.algorithm, "public_key": k.public_key});
        let entry = audit_entry(None, "rotate", Resource::SigningKey, &k.key_id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(SigningKey {
            state: KeyState::Active,
            created_at: at,
            retired_at: None,
            ..k.clone()
        })
    }

    async fn revoke_signing_key(&self, actor: &Actor, key_id: &str) -> Result<SigningKey> {
        let mut tx = self.begin().await?;
        let mut read = Sql::new(&format!(
            "SELECT {KEY_COLUMNS} FROM market_signing_keys WHERE key_id = "
        ));
        read.bind(key_id);
        let row = read
            .query()
            .fetch_optional(&mut *tx)
            .await
            .map_err(storage("read signing key"))?
            .ok_or(Error::NotFound(Resource::SigningKey))?;
        let mut key = key_from_row(&row)?.key;
        let at = now();
        let mut sql = Sql::new("UPDATE market_signing_keys SET state = 'revoked', retired_at = ");
        sql.bind(key.retired_at.unwrap_or(at))
            .push(" WHERE key_id = ")
            .bind(key_id);
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("revoke signing key"))?;
        let details = json!({"state": {"from": key.state, "to": KeyState::Revoked}});
        let entry = audit_entry(None, "revoke", Resource::SigningKey, key_id, details);
        commit_audited(tx, actor, entry).await?;
        key.retired_at = Some(key.retired_at.unwrap_or(at));
        key.state = KeyState::Revoked;
        Ok(key)
    }
}

/// Records a reviewer's (or developer's) decision on a row of `table`: its status, the
/// comment, who decided and when.
async fn decide(
    conn: &mut sqlx::AnyConnection,
    table: &'static str,
    id: String,
    status: &'static str,
    comment: Option<String>,
    by: Option<String>,
    at: Timestamp,
) -> Result<()> {
    let mut sql = Sql::new(&format!("UPDATE {table} SET status = "));
    sql.bind(status)
        .push(", review_comment = ")
        .bind(comment)
        .push(", reviewed_by = ")
        .bind(by)
        .push(", updated_at = ")
        .bind(at)
        .push(" WHERE id = ")
        .bind(id);
    sql.query()
        .execute(conn)
        .await
        .map_err(storage("record decision"))?;
    Ok(())
}

/// A submission that is no longer open for this step.
fn not_open(sub: &Submission) -> Error {
    Error::invalid(
        "status",
        FieldErrorKind::Other {
            en: format!(
                "the submission is {}; this step is not possible now",
                sub.status.as_str()
            ),
            zh: format!("该提交的状态为 {}，现在不能执行此操作", sub.status.as_str()),
        },
    )
}
