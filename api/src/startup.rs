//! Start-up as a value: connect, migrate, bind, and hand back a server to run.

use std::net::TcpListener;

use actix_web::dev::{Server, ServiceFactory, ServiceRequest};
use actix_web::{middleware, web, App, HttpRequest, HttpResponse, HttpServer};
use persistence::model::ReadModel;
use persistence::{Pool, RepoError};
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt, UtoipaApp};
use utoipa_swagger_ui::SwaggerUi;

use crate::http::auth::TokenAuthority;
use crate::http::db::Db;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::extract::{path_error, MAX_BODY_BYTES};
use crate::http::routes::RouteTable;
use crate::http::state::AppState;
use crate::middleware::answers::answer_from_memory;
use crate::routes;
use crate::routes::ApiDoc;
use crate::settings::Settings;
use crate::workers::delivery::{Bell, Deliverer};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] RepoError),
    #[error("tokens: {0}")]
    Tokens(String),
    #[error("webhook delivery: {0}")]
    Webhooks(String),
    #[error("email: {0}")]
    Email(String),
    #[error("metrics: {0}")]
    Metrics(String),
    #[error("{0}")]
    StatementKey(#[from] crate::http::signing::KeyError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

/// What the answer cache may hold.
const ANSWER_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    model: std::sync::Arc<ReadModel>,
    /// Stopped (and waited for) when the server stops or this is dropped.
    watcher: crate::workers::Worker,
    /// What sends webhook deliveries (the worker below, or [`Application::deliverer`]).
    deliverer: Deliverer,
    /// The background delivery worker (unless `SLR_WEBHOOK_WORKER=0`), likewise.
    delivery_worker: Option<crate::workers::Worker>,
    /// What sends email (the worker below, or [`Application::mailer`]).
    mailer: crate::workers::mail::Mailer,
    mail_worker: Option<crate::workers::Worker>,
    /// What takes maintenance steps, and its background worker (unless
    /// `SLR_MAINTENANCE_WORKER=0`).
    scheduler: crate::workers::schedule::Scheduler,
    schedule_worker: Option<crate::workers::Worker>,
}

impl Application {
    /// Connects to the database, applies pending migrations and binds the listener.
    pub fn build(settings: &Settings) -> Result<Self, StartupError> {
        let pool = open_database(settings)?;
        Self::build_with_pool(settings, pool)
    }

    /// Like [`Application::build`] with a pool the caller opened (and maybe seeded).
    pub fn build_with_pool(settings: &Settings, pool: Pool) -> Result<Self, StartupError> {
        let listener = bind(settings)?;
        Self::build_on(settings, pool, listener)
    }

    /// Like [`Application::build_with_pool`] on a listener the caller bound (before it did
    /// anything else, so a taken port fails first).
    pub fn build_on(
        settings: &Settings,
        pool: Pool,
        listener: TcpListener,
    ) -> Result<Self, StartupError> {
        let authority =
            web::Data::new(TokenAuthority::new(&settings.jwt).map_err(StartupError::Tokens)?);
        let started = std::time::Instant::now();
        let mut conn = pool.get().map_err(RepoError::from)?;
        let model = std::sync::Arc::new(ReadModel::load(&mut conn)?);
        drop(conn);
        log::info!(
            "read model loaded at data version {} in {} ms",
            model.version(),
            started.elapsed().as_millis()
        );
        let watcher = crate::workers::watcher::watch(
            settings.database.clone(),
            settings.version_poll,
            settings.changes_retention,
            std::sync::Arc::downgrade(&model),
        );
        let delivery_counters = crate::workers::delivery::Counters::new()
            .map_err(|e| StartupError::Metrics(e.to_string()))?;
        let deliverer = Deliverer::new(
            settings.database.clone(),
            settings.webhooks.clone(),
            delivery_counters.clone(),
        )
        .map_err(|e| StartupError::Webhooks(e.to_string()))?;
        let mailer = crate::workers::mail::Mailer::new(
            settings.database.clone(),
            settings.email.clone(),
            settings.webhooks.clone(),
        )
        .map_err(StartupError::Email)?;
        let announcing = crate::http::db::Announcing {
            model: std::sync::Arc::clone(&model),
            public_url: std::sync::Arc::from(settings.email.public_url.as_str()),
            mails: mailer.enabled(),
        };
        let (webhook_bell, mail_bell) = (Bell::new(), Bell::new());
        let outbox = crate::workers::delivery::outbox(&[&webhook_bell, &mail_bell]);
        let delivery_worker = settings
            .webhooks
            .background
            .then(|| crate::workers::delivery::start(deliverer.clone(), webhook_bell));
        // Without SMTP the mailer sends nothing, but still purges what an earlier configuration
        // left in the outbox.
        let mail_worker = settings
            .email
            .background
            .then(|| crate::workers::mail::start(mailer.clone(), mail_bell));
        let scheduler = crate::workers::schedule::Scheduler::new(
            settings.database.clone(),
            announcing.clone(),
            outbox.clone(),
            settings.maintenance.clone(),
        );
        let schedule_worker = settings
            .maintenance
            .background
            .then(|| crate::workers::schedule::start(scheduler.clone()));
        let outbox = web::Data::new(outbox);
        let db = web::Data::new(Db::new(pool, announcing));
        let answers = web::Data::new(
            crate::middleware::answers::Answers::new(ANSWER_CACHE_BYTES, settings.answer_max_age)
                .map_err(|e| StartupError::Metrics(e.to_string()))?,
        );
        let route_table = web::Data::new(RouteTable::from_spec(&openapi()));
        let callers = web::Data::new(crate::http::auth::Callers::new(
            authority.clone(),
            db.clone(),
            route_table.clone(),
        ));
        let signer = settings
            .statement_key
            .as_ref()
            .map(|pem| crate::http::signing::StatementSigner::from_pem(pem.expose()))
            .transpose()?
            .map(std::sync::Arc::new);
        let state = web::Data::new(AppState {
            db: db.clone(),
            callers,
            routes: route_table,
            weights: settings.weights,
            idempotency_ttl: settings.idempotency_ttl,
            webhooks: settings.webhooks.clone(),
            body_timeout: settings.body_timeout,
            limits: settings.limits,
            signer,
        });
        let cors_origins = settings.cors_origins.clone();
        let metrics_token = settings.metrics_token.clone();
        let limiter = web::Data::new(crate::middleware::ratelimit::Limiter::new(
            settings.rate_limit,
            &settings.trusted_proxies,
        ));

        let metrics = web::Data::new(
            crate::middleware::metrics::Metrics::new(
                answers
                    .counters()
                    .into_iter()
                    .chain(delivery_counters.all()),
            )
            .map_err(|e| StartupError::Metrics(e.to_string()))?,
        );
        let port = listener
            .local_addr()
            .map_err(|source| bind_error(settings, source))?
            .port();
        let server = HttpServer::new(move || {
            let (app, spec) = register(App::new().into_utoipa_app())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .split_for_parts();
            let spec = crate::http::openapi::finish(spec);
            app.service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", spec))
                .route("/swagger-ui", web::get().to(swagger_redirect))
                .route(crate::middleware::metrics::PATH, {
                    let (metrics, token) = (metrics.clone(), metrics_token.clone());
                    web::get().to(move |req: HttpRequest, state: web::Data<AppState>| {
                        let metrics = metrics.clone();
                        let allowed = crate::middleware::metrics::allowed(&req, token.as_ref());
                        async move { allowed.map(|()| metrics.scrape(&state)) }
                    })
                })
                .route("/", web::get().to(home_redirect))
                .route(
                    crate::views::status_page::STYLESHEET_PATH,
                    web::get().to(crate::routes::status_page::stylesheet),
                )
                .default_service(web::to(route_not_found))
                .wrap(middleware::from_fn({
                    let (answers, outbox) = (answers.clone(), outbox.clone());
                    move |req, next| answer_from_memory(answers.clone(), outbox.clone(), req, next)
                }))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn({
                    let limiter = limiter.clone();
                    move |req, next| {
                        crate::middleware::ratelimit::rate_limit(limiter.clone(), req, next)
                    }
                }))
                .wrap(cors(&cors_origins))
                .wrap(middleware::from_fn({
                    let metrics = metrics.clone();
                    move |req, next| crate::middleware::metrics::record(metrics.clone(), req, next)
                }))
                .wrap(middleware::from_fn(crate::middleware::observe::observe))
        })
        // SIGTERM/SIGINT stop accepting and drain in-flight requests for up to 30 s.
        .shutdown_timeout(30)
        .listen(listener)
        .map_err(|source| bind_error(settings, source))?
        .run();
        Ok(Self {
            port,
            server,
            model,
            watcher,
            deliverer,
            delivery_worker,
            mailer,
            mail_worker,
            scheduler,
            schedule_worker,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What sends this server's webhook deliveries, to send what is due now
    /// ([`Deliverer::deliver_due`]) instead of waiting for the worker's next turn.
    pub fn deliverer(&self) -> Deliverer {
        self.deliverer.clone()
    }

    /// What sends this server's email, to send what is due now
    /// ([`Mailer::send_due`](crate::workers::mail::Mailer::send_due)).
    pub fn mailer(&self) -> crate::workers::mail::Mailer {
        self.mailer.clone()
    }

    /// What takes this server's maintenance steps, to run a turn at a chosen instant
    /// ([`Scheduler::run_due_at`](crate::workers::schedule::Scheduler::run_due_at)).
    pub fn scheduler(&self) -> crate::workers::schedule::Scheduler {
        self.scheduler.clone()
    }

    /// This server's read model (for tests that write to its database directly).
    pub fn read_model(&self) -> std::sync::Arc<ReadModel> {
        std::sync::Arc::clone(&self.model)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stopped = self.server.await;
        drop(self.watcher);
        drop(self.delivery_worker);
        drop(self.mail_worker);
        drop(self.schedule_worker);
        stopped
    }
}

/// CORS for internal frontends: only the configured origins (none by default), the API's
/// methods and headers, and the response headers a browser client needs to read.
fn cors(origins: &[String]) -> actix_cors::Cors {
    use actix_web::http::{header, Method};
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(crate::http::request_id::REQUEST_ID),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static(crate::http::request_id::REQUEST_ID),
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(3600)
}

/// Binds the configured address (`SLR_BIND`).
pub fn bind(settings: &Settings) -> Result<TcpListener, StartupError> {
    TcpListener::bind(settings.bind).map_err(|source| bind_error(settings, source))
}

fn bind_error(settings: &Settings, source: std::io::Error) -> StartupError {
    StartupError::Bind {
        address: settings.bind.to_string(),
        source,
    }
}

/// Opens the pool and applies pending migrations.
pub fn open_database(settings: &Settings) -> Result<Pool, StartupError> {
    let pool = persistence::connect(settings.database.clone(), settings.pool_size)?;
    let mut conn = pool.get().map_err(RepoError::from)?;
    migrate(&mut conn)?;
    Ok(pool)
}

/// One migrated connection and no pool, for one-shot commands (`slr migrate`, `admin`, `token`,
/// `demo`): nothing keeps connecting in the background while the process exits.
pub fn open_connection(settings: &Settings) -> Result<persistence::DbConnection, StartupError> {
    let mut conn = persistence::connect_one(settings.database.clone())?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn migrate(conn: &mut persistence::DbConnection) -> Result<(), StartupError> {
    for version in persistence::run_migrations(conn)? {
        log::info!("applied migration {version}");
    }
    Ok(())
}

/// Every documented route: the same registration serves requests and generates the spec.
fn register<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(ApiDoc::openapi())
        .service(routes::health::healthz)
        .service(routes::health::readyz)
        .service(routes::statements::get_jwks)
        .service(crate::routes::status_page::get_status_page)
        .service(crate::routes::status_page::get_status_page_event)
        .service(crate::routes::email::get_unsubscribe)
        .service(crate::routes::email::post_unsubscribe)
        .service(crate::routes::email::get_confirm_subscription)
        .service(crate::routes::email::post_confirm_subscription)
        .service(scope::scope("/api/v1").configure(routes::api_v1))
}

/// The OpenAPI document the server serves at `/api-docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    crate::http::openapi::finish(register(App::new().into_utoipa_app()).split_for_parts().1)
}

/// `GET /`: people who open the address land on the API's documentation (a temporary
/// redirect: the root may serve something else one day).
async fn home_redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", "/swagger-ui/"))
        .finish()
}

async fn swagger_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/swagger-ui/"))
        .finish()
}

async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allowed = AppState::of(&req).and_then(|state| state.routes.allowed(req.path()));
    if let Some(methods) = allowed {
        use actix_web::ResponseError;
        let mut response = ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!(
                "{} {} answers {}",
                req.method(),
                req.path(),
                methods.join(", ")
            ),
        )
        .error_response();
        if let Ok(allow) = actix_web::http::header::HeaderValue::from_str(&methods.join(", ")) {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, allow);
        }
        return Ok(response);
    }
    Err(ApiError::new(
        ErrorCode::RouteNotFound,
        format!(
            "no operation at {} {}; see /swagger-ui/",
            req.method(),
            req.path()
        ),
    ))
}
