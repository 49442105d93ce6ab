/// Why a storage call failed. `NotFound`/`AlreadyExists`/`LimitExceeded` are outcomes the
/// operations layer maps to Cognito errors; `Backend` is everything unexpected.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the parent record does not exist")]
    NotFound,
    #[error("a record with this key already exists")]
    AlreadyExists,
    #[error("the quota for this record is reached")]
    LimitExceeded,
    #[error("the change would break an invariant of the stored data")]
    Conflict,
    #[error("storage failure: {0}")]
    Backend(#[from] rusqlite::Error),
    #[error("the write was not committed: {0}")]
    Commit(String),
    #[error("the store is closed")]
    Closed,
    #[error("cannot open the database: {0}")]
    Open(String),
}
