//! The tables `migrate` copies, as both engines hold them: every table but the change feed's
//! (`changes`, `changes_pruned`) and the schema's own bookkeeping (`schema_migrations`). Listed
//! parents first, so every foreign key finds its parent already copied.

use tokio_postgres::types::{ToSql, Type};

/// A column's type: SQLite's TEXT, BIGINT and BLOB; PostgreSQL's TEXT, BIGINT and BYTEA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int,
    Bytes,
}

impl Kind {
    /// The column's PostgreSQL type, for binary COPY.
    pub(crate) fn postgres_type(self) -> Type {
        match self {
            Kind::Text => Type::TEXT,
            Kind::Int => Type::INT8,
            Kind::Bytes => Type::BYTEA,
        }
    }

    /// The type's name as PostgreSQL's catalog (`information_schema.columns`) spells it.
    pub(crate) fn postgres_name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Int => "bigint",
            Kind::Bytes => "bytea",
        }
    }

    /// The type as the SQLite schema declares it.
    pub(crate) fn sqlite_name(self) -> &'static str {
        match self {
            Kind::Text => "TEXT",
            Kind::Int => "BIGINT",
            Kind::Bytes => "BLOB",
        }
    }
}

/// One table: its columns (the primary key's first, in key order) and how many of them make
/// the primary key.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [(&'static str, Kind)],
    pub(crate) key_len: usize,
}

impl Table {
    /// `a, b, c`.
    pub(crate) fn column_list(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(name, _)| *name).collect();
        names.join(", ")
    }

    /// The primary key's columns.
    pub(crate) fn key(&self) -> impl Iterator<Item = &'static str> {
        self.columns
            .iter()
            .take(self.key_len)
            .map(|(name, _)| *name)
    }

    /// `SELECT` of every column in primary-key order; `collate` follows each key column
    /// (both engines must order text bytewise, as SQLite's BINARY and PostgreSQL's "C" do).
    pub(crate) fn select_ordered(&self, collate: &str) -> String {
        let order: Vec<String> = self.key().map(|k| format!("{k}{collate}")).collect();
        format!(
            "SELECT {} FROM {} ORDER BY {}",
            self.column_list(),
            self.name,
            order.join(", ")
        )
    }
}

use Kind::{Bytes, Int, Text};

/// Every table `migrate` copies, parents first.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "accounts",
        columns: &[("account_id", Text), ("user_pool_count", Int)],
        key_len: 1,
    },
    Table {
        name: "user_pools",
        columns: &[
            ("id", Text),
            ("account_id", Text),
            ("name", Text),
            ("doc", Text),
            ("resource_server_count", Int),
            ("client_count", Int),
            ("created_ms", Int),
            ("modified_ms", Int),
            ("version", Int),
        ],
        key_len: 1,
    },
    Table {
        name: "resource_servers",
        columns: &[
            ("user_pool_id", Text),
            ("identifier", Text),
            ("name", Text),
            ("scopes", Text),
            ("created_ms", Int),
            ("modified_ms", Int),
        ],
        key_len: 2,
    },
    Table {
        name: "user_pool_clients",
        columns: &[
            ("client_id", Text),
            ("user_pool_id", Text),
            ("client_name", Text),
            ("doc", Text),
            ("created_ms", Int),
            ("modified_ms", Int),
        ],
        key_len: 1,
    },
    Table {
        name: "client_secrets",
        columns: &[
            ("secret_id", Text),
            ("client_id", Text),
            ("ciphertext", Bytes),
            ("digest", Bytes),
            ("created_ms", Int),
        ],
        key_len: 1,
    },
    Table {
        name: "user_pool_domains",
        columns: &[
            ("domain", Text),
            ("user_pool_id", Text),
            ("doc", Text),
            ("created_ms", Int),
            ("modified_ms", Int),
        ],
        key_len: 1,
    },
    Table {
        name: "signing_keys",
        columns: &[
            ("kid", Text),
            ("user_pool_id", Text),
            ("purpose", Text),
            ("private_key", Bytes),
            ("public_jwk", Text),
            ("created_ms", Int),
        ],
        key_len: 1,
    },
    Table {
        name: "iam_users",
        columns: &[
            ("account_id", Text),
            ("user_name", Text),
            ("created_ms", Int),
        ],
        key_len: 2,
    },
    Table {
        name: "access_keys",
        columns: &[
            ("access_key_id", Text),
            ("account_id", Text),
            ("user_name", Text),
            ("secret", Bytes),
            ("created_ms", Int),
        ],
        key_len: 1,
    },
    Table {
        name: "user_policies",
        columns: &[
            ("account_id", Text),
            ("user_name", Text),
            ("policy_name", Text),
            ("document", Text),
            ("created_ms", Int),
        ],
        key_len: 3,
    },
    Table {
        name: "users",
        columns: &[
            ("user_pool_id", Text),
            ("username", Text),
            ("doc", Text),
            ("secrets", Bytes),
            ("created_ms", Int),
            ("modified_ms", Int),
            ("version", Int),
        ],
        key_len: 2,
    },
    Table {
        name: "user_keys",
        columns: &[("user_pool_id", Text), ("key", Text), ("username", Text)],
        key_len: 2,
    },
    Table {
        name: "user_groups",
        columns: &[
            ("user_pool_id", Text),
            ("group_name", Text),
            ("doc", Text),
            ("created_ms", Int),
            ("modified_ms", Int),
        ],
        key_len: 2,
    },
    Table {
        name: "group_members",
        columns: &[
            ("user_pool_id", Text),
            ("group_name", Text),
            ("username", Text),
        ],
        key_len: 3,
    },
    Table {
        name: "user_sessions",
        columns: &[
            ("user_pool_id", Text),
            ("session_id", Text),
            ("username", Text),
            ("client_id", Text),
            ("doc", Text),
            ("created_ms", Int),
            ("expires_ms", Int),
        ],
        key_len: 2,
    },
    Table {
        name: "user_messages",
        columns: &[
            ("user_pool_id", Text),
            ("message_id", Text),
            ("username", Text),
            ("doc", Text),
            ("created_ms", Int),
        ],
        key_len: 2,
    },
    Table {
        name: "provisioned_limits",
        columns: &[("account_id", Text), ("category", Text), ("rate", Int)],
        key_len: 2,
    },
    Table {
        name: "server_settings",
        columns: &[("name", Text), ("value", Bytes)],
        key_len: 1,
    },
];

/// One column's value, as read from either engine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
    Bytes(Vec<u8>),
}

impl Value {
    /// The value as a statement or COPY parameter.
    pub(crate) fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Value::Text(s) => s,
            Value::Int(n) => n,
            Value::Bytes(b) => b,
        }
    }

    /// A key column's value for messages (keys are ids and names, never secrets).
    pub(crate) fn key_text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Bytes(b) => format!("({} bytes)", b.len()),
        }
    }
}

/// A row's primary key for messages: `column=value, ...`.
pub(crate) fn key_of(table: &Table, row: &[Value]) -> String {
    let parts: Vec<String> = table
        .key()
        .zip(row)
        .map(|(column, value)| format!("{column}={}", value.key_text()))
        .collect();
    parts.join(", ")
}

/// A schema as read from an engine's catalog: table name -> column name -> declared type.
pub(crate) type Catalog =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

/// Checks that `found` (an engine's catalog) has every table of [`TABLES`] with exactly its
/// columns, of the types `type_name` gives: a table with a column this build does not know
/// would otherwise be copied only in part. Other tables are not looked at.
///
/// Errors: `StoreError::Backend` naming the first table or column that differs.
pub(crate) fn check_catalog(
    engine: &str,
    found: &Catalog,
    type_name: fn(Kind) -> &'static str,
) -> Result<(), crate::StoreError> {
    let unknown = |what: String| {
        crate::StoreError::Backend(
            format!(
                "the {engine} schema differs from what this rognito copies ({what}): use the \
                 rognito that wrote it"
            )
            .into(),
        )
    };
    for table in TABLES {
        let Some(columns) = found.get(table.name) else {
            return Err(unknown(format!("no table {}", table.name)));
        };
        for (column, declared) in columns {
            match table.columns.iter().find(|(name, _)| name == column) {
                None => return Err(unknown(format!("unknown column {}.{column}", table.name))),
                Some((_, kind)) if !declared.eq_ignore_ascii_case(type_name(*kind)) => {
                    return Err(unknown(format!(
                        "{}.{column} is {declared}, not {}",
                        table.name,
                        type_name(*kind)
                    )));
                }
                Some(_) => {}
            }
        }
        if let Some((missing, _)) = table
            .columns
            .iter()
            .find(|(name, _)| !columns.contains_key(*name))
        {
            return Err(unknown(format!("no column {}.{missing}", table.name)));
        }
    }
    Ok(())
}
