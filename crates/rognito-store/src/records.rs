/// A user pool as stored. `doc` is the pool's description as JSON text, owned by the operations
/// layer; the store only keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolRecord {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub doc: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// A resource server as stored; `scopes` is a JSON array owned by the operations layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServerRecord {
    pub user_pool_id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// One page of a keyset-paginated listing; `more` says whether anything follows the last item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub more: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only tells that more exist.
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: u32) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Page { items: rows, more }
    }
}
