//! Identifiers. Each is a UUID (v7, so they sort by creation time) wrapped in its own type so
//! a device id can never be passed where a tenant id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

id_type!(
    /// A tenant (an enterprise using the platform).
    TenantId
);
id_type!(
    /// A user account, platform-wide or inside one tenant.
    UserId
);
id_type!(
    /// An API key.
    ApiKeyId
);
id_type!(
    /// A product: the type of a device, with its thing model.
    ProductId
);
id_type!(
    /// A device.
    DeviceId
);
id_type!(
    /// A group of devices.
    GroupId
);
id_type!(
    /// An entry of the audit log.
    AuditId
);
id_type!(
    /// A command sent (or to be sent) to a device.
    CommandId
);
id_type!(
    /// A rule of the rule engine.
    RuleId
);
id_type!(
    /// An alarm.
    AlarmId
);
id_type!(
    /// A dashboard.
    DashboardId
);
id_type!(
    /// A live binding of a model to a product's messages.
    BindingId
);
id_type!(
    /// A job running a model or algorithm over stored history.
    JobId
);
id_type!(
    /// An app installed for a tenant.
    InstallationId
);
id_type!(
    /// A developer account of the marketplace.
    DeveloperId
);
id_type!(
    /// A package a developer submitted to the marketplace.
    SubmissionId
);
id_type!(
    /// A plan a developer offers for an app.
    PlanId
);
id_type!(
    /// An order in the marketplace.
    OrderId
);
id_type!(
    /// A job registering identifiers from an uploaded file.
    IdImportId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id = DeviceId::new();
        let parsed: DeviceId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert!("not-a-uuid".parse::<DeviceId>().is_err());
    }

    #[test]
    fn ids_sort_by_creation() {
        let a = TenantId::new();
        let b = TenantId::new();
        assert!(a < b);
    }
}
