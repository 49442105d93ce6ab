/// Why a storage call failed, whatever the engine. `NotFound`/`AlreadyExists`/`LimitExceeded`/
/// `Conflict` are outcomes the operations layer maps to Cognito errors; the rest are failures it
/// logs and answers with a generic internal error. Every engine reports the same outcome for
/// the same situation (`tests/conformance.rs` checks it).
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
    /// The engine failed (its driver's error, boxed so this type names no driver). Shown with
    /// its causes (PostgreSQL's "db error" says nothing without the server's message).
    #[error("storage failure: {}", with_causes(.0.as_ref()))]
    Backend(Box<dyn std::error::Error + Send + Sync>),
    #[error("the write was not committed: {0}")]
    Commit(String),
    #[error("the store is closed")]
    Closed,
    /// The database could not be opened: why (the caller says which database).
    #[error("{0}")]
    Open(String),
    /// `rognito migrate`: the target database already holds records (the first table found
    /// with a row); nothing was copied.
    #[error(
        "the target database is not empty (table {0} has rows): migrate only into a new, empty \
         database; nothing was changed"
    )]
    TargetNotEmpty(&'static str),
    /// `rognito migrate`: what was copied does not read back as the source holds it (`key`
    /// names the row by its primary key, never a value); the copy was rolled back.
    #[error(
        "verification failed: table {table}, {key}: {problem}; the copy was rolled back and \
         nothing was changed"
    )]
    CopyMismatch {
        table: &'static str,
        key: String,
        problem: String,
    },
}

/// An error and its sources, `outer: inner: innermost` (a source that repeats its parent's
/// text is left out).
pub(crate) fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
