//! tower-sessions store over sea-orm, so every replica sees the same sessions and a suspended
//! person's sessions can be deleted by user id.

use crate::server::ctx::keys;
use crate::server::entities::session;
use crate::server::password::sha256_hex;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

/// Sessions in the `sessions` table, keyed by the SHA-256 of the session id.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        DbSessionStore { db }
    }

    /// Removes expired sessions; run periodically.
    pub async fn delete_expired(&self) -> std::result::Result<u64, sea_orm::DbErr> {
        let result = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(Utc::now()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

fn backend(err: impl std::fmt::Display) -> Error {
    Error::Backend(err.to_string())
}

fn to_chrono(at: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(at.unix_timestamp(), 0).unwrap_or_default()
}

impl DbSessionStore {
    fn model(record: &Record) -> Result<session::ActiveModel> {
        let user_id = record
            .data
            .get(keys::USER_ID)
            .and_then(serde_json::Value::as_i64);
        let org_id = record
            .data
            .get(keys::ORG_ID)
            .and_then(serde_json::Value::as_i64);
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        Ok(session::ActiveModel {
            id_hash: Set(sha256_hex(&record.id.to_string())),
            user_id: Set(user_id),
            org_id: Set(org_id),
            data: Set(data),
            expires_at: Set(to_chrono(record.expiry_date)),
        })
    }
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    /// Inserts a new session, choosing another id on the (astronomically unlikely) collision.
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            match session::Entity::insert(Self::model(record)?)
                .exec_without_returning(&self.db)
                .await
            {
                Ok(_) => return Ok(()),
                Err(err)
                    if matches!(
                        err.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
                {
                    record.id = Id::default();
                }
                Err(err) => return Err(backend(err)),
            }
        }
    }

    /// Updates an existing session only. A session deleted meanwhile (signed out, or its person
    /// suspended) stays deleted even if a request that started before writes its copy back.
    async fn save(&self, record: &Record) -> Result<()> {
        let model = Self::model(record)?;
        session::Entity::update_many()
            .set(model)
            .filter(session::Column::IdHash.eq(sha256_hex(&record.id.to_string())))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> Result<Option<Record>> {
        let row = session::Entity::find_by_id(sha256_hex(&session_id.to_string()))
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data = serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(backend)?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> Result<()> {
        session::Entity::delete_by_id(sha256_hex(&session_id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
