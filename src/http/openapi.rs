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

/// Declares the answers every operation can give because of how it is built, so a new
/// route cannot forget them: an operation behind the bearer scheme can answer 401 and
/// 403 (a role, a tenant state, a password still to change); one with a JSON or
/// multipart body 400, 413, 415 and 422; one with path parameters 404 (an id that does
/// not parse names no resource); one with query parameters 400 `invalid_query` and 422;
/// one of the WeChat or SMS integrations 503 while that integration is not set up.
/// What an operation declares itself (a more precise description) is kept.
pub fn derive_responses(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    for item in api.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let body = op.request_body.as_ref().map(|b| match b {
                utoipa::openapi::RefOr::T(body) => body.content.keys().cloned().collect(),
                utoipa::openapi::RefOr::Ref(_) => Vec::new(),
            });
            let parameters: Vec<ParameterIn> = op
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    utoipa::openapi::RefOr::T(p) => Some(p.parameter_in.clone()),
                    utoipa::openapi::RefOr::Ref(_) => None,
                })
                .collect();
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            };
            if secured {
                add(
                    "401",
                    "`unauthenticated`: no bearer token, or it is expired, revoked or invalid",
                );
                add(
                    "403",
                    "`forbidden` for this role, a tenant state refusing writes, or `password_change_required`",
                );
            }
            if let Some(content_types) = body {
                add(
                    "400",
                    "`invalid_json` (not UTF-8, malformed or nested too deep) or `bad_request`",
                );
                add("413", "`payload_too_large`: over the body limit");
                add(
                    "415",
                    if content_types.iter().any(|c| c.starts_with("multipart/")) {
                        "`unsupported_media_type`: send multipart/form-data"
                    } else {
                        "`unsupported_media_type`: send application/json"
                    },
                );
                add(
                    "422",
                    "`validation_failed`: `details.field` names the field",
                );
            }
            let tags = op.tags.clone().unwrap_or_default();
            if tags.iter().any(|t| t == "wechat") {
                add(
                    "503",
                    "`wechat_not_configured`, `wechat_ticket_missing` or `wechat_busy`: WeChat's platform is not set up or not ready",
                );
            }
            if tags.iter().any(|t| t == "sms") {
                add("503", "`sms_not_configured`: no SMS provider is set up");
            }
            if parameters.contains(&ParameterIn::Path) {
                add("404", "`not_found`: no such resource, or not yours");
            }
            if parameters.contains(&ParameterIn::Query) {
                add(
                    "400",
                    "`invalid_query`: a query parameter does not parse (`details.field`)",
                );
                add(
                    "422",
                    "`validation_failed`: a query parameter is out of range (`details.field`)",
                );
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// `additionalProperties: false` inside an `allOf` member closes that member against the
/// properties its siblings add, so no value could match the whole (a flattened request
/// type inside an answer): such members are opened, and a closed schema they reference is
/// copied in open.
pub fn open_all_of_members(api: &mut utoipa::openapi::OpenApi) {
    use std::collections::BTreeMap;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;
    fn open(item: &mut RefOr<Schema>, named: &BTreeMap<String, RefOr<Schema>>) {
        if let RefOr::Ref(reference) = item {
            let name = reference
                .ref_location
                .trim_start_matches("#/components/schemas/");
            let closed = matches!(named.get(name), Some(RefOr::T(Schema::Object(o))) if o.additional_properties.is_some());
            if closed && let Some(copy) = named.get(name) {
                *item = copy.clone();
            }
        }
        match item {
            RefOr::T(Schema::Object(object)) => object.additional_properties = None,
            RefOr::T(Schema::AllOf(all)) => all.items.iter_mut().for_each(|i| open(i, named)),
            _ => {}
        }
    }
    fn walk(schema: &mut Schema, named: &BTreeMap<String, RefOr<Schema>>) {
        match schema {
            Schema::AllOf(all) => {
                for item in &mut all.items {
                    open(item, named);
                    if let RefOr::T(inner) = item {
                        walk(inner, named);
                    }
                }
            }
            Schema::Object(object) => {
                for property in object.properties.values_mut() {
                    if let RefOr::T(inner) = property {
                        walk(inner, named);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(components) = api.components.as_mut() {
        let named = components.schemas.clone();
        for schema in components.schemas.values_mut() {
            if let RefOr::T(schema) = schema {
                walk(schema, &named);
            }
        }
    }
}

/// Gives every JSON request body an example, built from its schema's own example or its
/// properties' examples (enums take their first value, optional fields without one are
/// left out), so the document shows a whole body to copy. A body whose required fields
/// have no example gets none, and the contract test names it.
pub fn derive_request_examples(api: &mut utoipa::openapi::OpenApi) {
    let components = api
        .components
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or_default();
    for item in api.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            let Some(utoipa::openapi::RefOr::T(body)) = op.request_body.as_mut() else {
                continue;
            };
            let Some(utoipa::openapi::RefOr::T(content)) = body.content.get_mut("application/json")
            else {
                continue;
            };
            if content.example.is_some() || !content.examples.is_empty() {
                continue;
            }
            let Some(schema) = content
                .schema
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok())
            else {
                continue;
            };
            content.example = example_of(&schema, &components, 0);
        }
    }
}

/// An example value of `schema` (see [`derive_request_examples`]).
pub fn example_of(
    schema: &serde_json::Value,
    components: &serde_json::Value,
    depth: usize,
) -> Option<serde_json::Value> {
    use serde_json::{Map, Value};
    if depth > 12 {
        return None;
    }
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(Value::Array(examples)) = schema.get("examples")
        && let Some(first) = examples.first()
    {
        return Some(first.clone());
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.strip_prefix("#/components/schemas/")?;
        return example_of(&components["schemas"][name], components, depth + 1);
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        return values.iter().find(|v| !v.is_null()).cloned();
    }
    if let Some(Value::Array(members)) = schema.get("allOf") {
        let mut merged = Map::new();
        for member in members {
            match example_of(member, components, depth + 1)? {
                Value::Object(fields) => merged.extend(fields),
                other => return Some(other),
            }
        }
        return Some(Value::Object(merged));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = schema.get(key) {
            return members
                .iter()
                .filter(|m| m.get("type") != Some(&Value::String("null".into())))
                .find_map(|m| example_of(m, components, depth + 1));
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"object") || schema.get("properties").is_some() {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Map::new();
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            match example_of(property, components, depth + 1) {
                Some(value) => {
                    fields.insert(name.clone(), value);
                }
                None if required.contains(&name.as_str()) => return None,
                None => {}
            }
        }
        return Some(Value::Object(fields));
    }
    if types.contains(&"array") {
        let item = example_of(&schema["items"], components, depth + 1)?;
        let count = schema["minItems"].as_u64().unwrap_or(1).max(1) as usize;
        return Some(Value::Array(vec![item; count]));
    }
    if types.contains(&"boolean") {
        return Some(Value::Bool(false));
    }
    match schema.get("format").and_then(Value::as_str) {
        Some("date") => Some(Value::String("2027-01-04".into())),
        Some("date-time") => Some(Value::String("2027-01-04T09:00:00+08:00".into())),
        Some("uuid") => Some(Value::String("01a20000-0000-7000-8000-000000000001".into())),
        _ => None,
    }
}
