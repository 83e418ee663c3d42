//! Reports served as JSON or CSV: one handler registered at its path and at that path plus
//! `.csv`, with its spec entry from the same `#[utoipa::path]`.

use actix_web::web;
use utoipa_actix_web::OpenApiFactory;

/// A report: one handler served at the path its `#[utoipa::path]` names and at that path plus
/// `.csv` (which answers CSV; the route table treats it as the report). The spec lists it once,
/// from the same declaration, so router and spec cannot drift apart.
pub struct Report<P, F, Args> {
    spec: P,
    handler: F,
    args: std::marker::PhantomData<fn(Args)>,
}

impl<P, F, Args> Report<P, F, Args> {
    /// `spec` is the handler's `__path_…` type, which `#[utoipa::path]` generates.
    pub fn new(spec: P, handler: F) -> Self {
        Self {
            spec,
            handler,
            args: std::marker::PhantomData,
        }
    }
}

impl<P, F, Args> actix_web::dev::HttpServiceFactory for Report<P, F, Args>
where
    P: utoipa::Path,
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    fn register(self, config: &mut actix_web::dev::AppService) {
        let path = P::path();
        web::resource(format!("{path}.csv"))
            .route(web::get().to(self.handler.clone()))
            .register(config);
        web::resource(path)
            .route(web::get().to(self.handler))
            .register(config);
    }
}

impl<P: OpenApiFactory, F, Args> OpenApiFactory for Report<P, F, Args> {
    fn paths(&self) -> utoipa::openapi::path::Paths {
        self.spec.paths()
    }

    fn schemas(
        &self,
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        self.spec.schemas(schemas);
    }
}
