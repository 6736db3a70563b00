//! The OpenAPI document's fixed parts; paths come from the registered routes.

use crate::error::ErrorBody;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Title, description, shared schemas and the bearer scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "weapp-builder",
        description = "Backend of a WeChat mini-program builder sold as a yearly service. \
Errors are `{code, message, details}`; every code is listed in docs/error-codes.md. \
`message` is Simplified Chinese unless `Accept-Language` prefers English."
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Sign-in, tokens, password"),
        (name = "staff", description = "Agency staff accounts"),
        (name = "plans", description = "Plans and their versions"),
        (name = "tenants", description = "Provisioning, contacts, holds"),
        (name = "contracts", description = "Contracts, payments, renewal, termination"),
        (name = "editors", description = "Merchant editors"),
        (name = "audit", description = "The audit log"),
        (name = "pages", description = "Merchant pages, versions, component catalogue, starter templates"),
        (name = "assets", description = "Uploaded images and videos"),
        (name = "settings", description = "Tab bar and theme"),
        (name = "reports", description = "Usage reports"),
        (name = "branding", description = "The agency's name and logo on the sign-in page and the console header"),
        (name = "finance", description = "Money received and outstanding, by month, tenant and account manager"),
        (name = "notifications", description = "In-system notices: inbox and broadcast"),
        (name = "lifecycle", description = "Subscription lifecycle: planner and exports"),
        (name = "links", description = "Signed links: downloads and images without a bearer header"),
        (name = "client", description = "Public client API of the mini-program (no login)"),
        (name = "wechat", description = "WeChat third-party platform: pushes, merchant authorization, binding, platform status"),
        (name = "sms", description = "SMS: templates, merchants' sends and records, delivery receipts"),
        (name = "operations", description = "Health, metrics, job queue"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
