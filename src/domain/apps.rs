//! Feature modules ("apps") a plan can include. Each page component type belongs to one;
//! a component or feature outside the tenant's plan apps is refused.

/// Every app, with a short description.
pub const APPS: &[(&str, &str)] = &[
    (
        "pages",
        "page builder basics: text, rich text, image, button, notice bar, spacer, divider, container",
    ),
    ("media", "image carousel, image grid, video"),
    ("store", "store info, business hours, contact card"),
    ("sms", "merchant template SMS"),
];

/// Whether `app` is a known app.
pub fn is_known(app: &str) -> bool {
    APPS.iter().any(|(name, _)| *name == app)
}

/// An app's name as the OpenAPI document states it: one of [`APPS`].
pub struct AppName;

impl utoipa::PartialSchema for AppName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(APPS.iter().map(|(name, _)| *name)))
            .description(Some("A feature module."))
            .into()
    }
}

impl utoipa::ToSchema for AppName {}
