//! The id of the request being handled, for what the database helpers and the audit log
//! write (set by the access-log middleware).

use std::cell::RefCell;

/// The header a request id is accepted from and echoed in.
pub const REQUEST_ID: &str = "x-request-id";

tokio::task_local! {
    pub static TASK_REQUEST_ID: String;
}

thread_local! {
    static THREAD_REQUEST_ID: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The id of the request being handled on this task or thread, if any.
pub fn current_request_id() -> Option<String> {
    TASK_REQUEST_ID
        .try_with(Clone::clone)
        .ok()
        .or_else(|| THREAD_REQUEST_ID.with(|id| id.borrow().clone()))
}

/// Runs `work` (on a blocking thread) with `id` as the thread's request id, so what it logs
/// names the request.
pub fn with_request_id<T>(id: Option<String>, work: impl FnOnce() -> T) -> T {
    THREAD_REQUEST_ID.with(|current| *current.borrow_mut() = id);
    let result = work();
    THREAD_REQUEST_ID.with(|current| *current.borrow_mut() = None);
    result
}
