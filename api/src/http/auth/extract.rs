//! `Authenticated` as an extractor: the caller from the application state's [`Callers`].

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use futures_util::future::{Either, LocalBoxFuture};

use crate::http::auth::{Authenticated, Refusal};
use crate::http::error::ApiError;
use crate::http::state::AppState;

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future =
        Either<Ready<Result<Self, ApiError>>, LocalBoxFuture<'static, Result<Self, ApiError>>>;

    /// The caller the answer cache already resolved for this request, else resolved now —
    /// without waiting, unless a caller this replica does not know makes it catch up first.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(callers) = AppState::of(req).map(|state| state.callers.clone()) else {
            let missing = ApiError::internal("authentication is not configured");
            return Either::Left(ready(Err(missing)));
        };
        match callers.known_caller(req) {
            Ok(caller) => Either::Left(ready(Ok(Authenticated(caller)))),
            Err(Refusal::Final(error)) => Either::Left(ready(Err(error))),
            Err(unknown) => {
                let req = req.clone();
                Either::Right(Box::pin(async move {
                    callers
                        .after_catch_up(&req, unknown)
                        .await
                        .map(Authenticated)
                }))
            }
        }
    }
}
