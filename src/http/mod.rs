//! HTTP: one module per resource, each with `configure`, thin handlers and its DTOs.
//! Routes are registered through utoipa-actix-web, so the OpenAPI document lists exactly
//! the routes the app serves.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod branding;
pub mod client;
pub mod console;
pub mod contracts;
pub mod editors;
pub mod extract;
pub mod fallback;
pub mod finance;
pub mod health;
pub mod jobs;
pub mod lifecycle;
pub mod links;
pub mod middleware;
pub mod openapi;
pub mod pages;
pub mod plans;
pub mod reports;
pub mod serde_reason;
pub mod settings;
pub mod sms;
pub mod staff;
pub mod tenants;
pub mod wechat;

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::{App, web};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

/// `Cache-Control` of answers that carry a token or a one-time password.
pub const NO_STORE: (header::HeaderName, header::HeaderValue) = (
    header::CACHE_CONTROL,
    header::HeaderValue::from_static("no-store"),
);

/// Builds the app with every route; one instance per HTTP worker thread.
pub fn app(
    state: AppState,
    openapi: Arc<utoipa::openapi::OpenApi>,
    routes: Arc<fallback::RouteTable>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors_enabled = !state.settings.http.cors_origins.is_empty();
    let cors = cors(&state.settings.http.cors_origins);
    let (app, _) = routed_app().split_for_parts();
    app.app_data(web::Data::new(state))
        .app_data(web::Data::from(routes))
        .app_data(path_config())
        // `/docs` without its slash is where people type it: send them to the UI.
        .route(
            "/docs",
            web::get().to(|| async {
                actix_web::HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, "/docs/"))
                    .finish()
            }),
        )
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", (*openapi).clone()))
        .configure(console::configure)
        .default_service(web::to(fallback::unmatched))
        // Without configured origins there is nothing for CORS to allow: skip its work.
        .wrap(actix_web::middleware::Condition::new(cors_enabled, cors))
        .wrap(actix_web::middleware::from_fn(middleware::request_context))
        // On every answer, the client API's included: no MIME sniffing, no referrer to
        // other origins.
        .wrap(
            actix_web::middleware::DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "same-origin")),
        )
}

/// The routes, with the OpenAPI document they make.
fn routed_app() -> utoipa_actix_web::UtoipaApp<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(health::configure)
        .configure(client::configure)
        .configure(wechat::configure_pushes)
        .configure(sms::configure_receipts)
        .service(
            scope::scope("/api/v1")
                .configure(auth::configure)
                .configure(staff::configure)
                .configure(plans::configure)
                .configure(tenants::configure)
                .configure(contracts::configure)
                .configure(editors::configure)
                .configure(audit::configure)
                .configure(pages::configure)
                .configure(assets::configure)
                .configure(settings::configure)
                .configure(reports::configure)
                .configure(finance::configure)
                .configure(branding::configure)
                .configure(lifecycle::configure)
                .configure(links::configure)
                .configure(jobs::configure)
                .configure(wechat::configure)
                .configure(sms::configure)
                // Console answers are one account's data, and some carry credentials
                // (tokens, one-time passwords, signed links): never stored by a cache
                // unless a route says otherwise.
                .wrap(actix_web::middleware::DefaultHeaders::new().add(NO_STORE)),
        )
}

/// The OpenAPI document of every route the app serves.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = routed_app().split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    openapi::derive_responses(&mut api);
    openapi::open_all_of_members(&mut api);
    openapi::derive_request_examples(&mut api);
    api
}

fn path_config() -> web::PathConfig {
    // A path segment that does not parse (an id that is not a UUID) names no resource.
    web::PathConfig::default().error_handler(|_err, _req| AppError::new(ErrorCode::NotFound).into())
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(middleware::REQUEST_ID_HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            header::LOCATION,
            header::HeaderName::from_static(middleware::REQUEST_ID_HEADER),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
