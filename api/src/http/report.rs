//! Reports served as JSON or CSV: one handler registered at its path and at that path plus
//! `.csv`, with both spec entries made from the same `#[utoipa::path]`.

use actix_web::web;
use utoipa_actix_web::OpenApiFactory;

/// A report: one handler served at the path its `#[utoipa::path]` names and at that path plus
/// `.csv` (which answers CSV). Its declaration's 200 offers `application/json` and `text/csv`;
/// the spec lists the path with the JSON answer only — so a generated client types the report
/// without narrowing a union — and `{path}.csv` (operation `{id}_csv`) with the CSV answer.
/// Both come from the one declaration, so router and spec cannot drift apart. (The path still
/// answers CSV for `Accept: text/csv`, as its description says.)
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
        let mut paths = self.spec.paths();
        let reports = std::mem::take(&mut paths.paths);
        for (path, item) in reports {
            let mut csv = item.clone();
            if let Some(operation) = csv.get.as_mut() {
                keep_only(operation, CSV);
                operation.operation_id = operation.operation_id.take().map(|id| id + "_csv");
                operation.summary = operation.summary.take().map(|s| format!("As CSV: {s}"));
            }
            let mut json = item;
            if let Some(operation) = json.get.as_mut() {
                keep_only(operation, JSON);
            }
            paths.paths.insert(format!("{path}.csv"), csv);
            paths.paths.insert(path, json);
        }
        paths
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

const JSON: &str = "application/json";
const CSV: &str = "text/csv";

/// Leaves `content_type` as the only answer of the operation's 200.
fn keep_only(operation: &mut utoipa::openapi::path::Operation, content_type: &str) {
    if let Some(utoipa::openapi::RefOr::T(ok)) = operation.responses.responses.get_mut("200") {
        ok.content.retain(|declared, _| declared == content_type);
    }
}
