//! The OpenAPI document is valid and matches the app's route table both ways.

use crate::support::{spawn_app, status_json};
use std::collections::BTreeSet;

fn collect_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push(v.as_str().unwrap().to_owned());
                } else {
                    collect_refs(v, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn documented_operations(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[actix_web::test]
async fn openapi_is_valid_and_lists_exactly_the_served_routes() {
    let app = spawn_app().await;
    let (status, doc) = status_json(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every operation has responses, and every `$ref` resolves inside the document.
    // (`.ci/run` also runs openapi-spec-validator on `weapp-builder openapi`.)
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
    }
    let mut operation_ids = std::collections::HashSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"]
                .as_str()
                .expect("every operation has an id");
            assert!(
                operation_ids.insert(id.to_owned()),
                "operationId {id} is not unique"
            );
        }
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').expect("local refs only");
        assert!(doc.pointer(pointer).is_some(), "unresolved $ref {r}");
    }

    // Direction 1: every documented operation is routed by the app under the same pattern.
    let ops = documented_operations(&doc);
    assert!(ops.len() >= 12, "{ops:?}");
    for (method, path) in &ops {
        let concrete = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "01a20000-0000-7000-8000-000000000000"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(&concrete))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("route_not_found") && !body.contains("method_not_allowed"),
            "{method} {path} is documented but not routed ({status}: {body})"
        );
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (method, path) in &ops {
        if path == "/metrics" {
            continue;
        }
        assert!(
            metrics.contains(&format!(r#"method="{method}",route="{path}""#)),
            "actix did not match {method} {path} with that pattern"
        );
    }

    // Direction 2: every handler attribute in src/http is in the document.
    let mut routed = BTreeSet::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        for line in source.lines() {
            let line = line.trim();
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let route = rest.split('"').next().unwrap().to_owned();
                    routed.insert((method.to_uppercase(), route));
                }
            }
        }
    }
    assert_eq!(
        routed.len(),
        ops.len(),
        "handlers {routed:?}\ndocumented {ops:?}"
    );
    for (method, route) in &routed {
        assert!(
            ops.iter()
                .any(|(m, p)| m == method && (p == route || p.ends_with(route.as_str()))),
            "{method} {route} is routed but not documented"
        );
    }

    // The Swagger UI is served with vendored assets.
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("swagger"));
    // Typed without its slash, it redirects there.
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_follow.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/docs/");
}

async fn served_document() -> serde_json::Value {
    let app = spawn_app().await;
    let (status, doc) = status_json(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    doc
}

/// Every operation by its id.
fn operations_by_id(
    doc: &serde_json::Value,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    let mut ops = std::collections::BTreeMap::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            ops.insert(op["operationId"].as_str().unwrap().to_owned(), op.clone());
        }
    }
    ops
}

/// Handlers in src/http whose parameters include an extractor that authenticates, by
/// function name (the operation id).
fn handlers_behind_authentication() -> BTreeSet<String> {
    const AUTH_EXTRACTORS: [&str; 6] = [
        "Authenticated",
        "AuthenticatedAnyState",
        "AgencyAdmin",
        "Staff",
        "TenantAccess",
        "MerchantAccess",
    ];
    let mut found = BTreeSet::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    for entry in std::fs::read_dir(dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut rest = source.as_str();
        while let Some(at) = rest.find("async fn ") {
            let after = &rest[at + "async fn ".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let signature = after.split(") ->").next().unwrap_or("");
            let routed = rest[..at].rsplit("\n\n").next().is_some_and(|attrs| {
                ["#[get(", "#[post(", "#[put(", "#[patch(", "#[delete("]
                    .iter()
                    .any(|m| attrs.contains(m))
            });
            let authenticated = AUTH_EXTRACTORS.iter().any(|x| {
                signature.contains(&format!(": {x},"))
                    || signature.contains(&format!(": {x}\n"))
                    || signature.contains(&format!(": {x})"))
            });
            if routed && authenticated {
                found.insert(name);
            }
            rest = after;
        }
    }
    found
}

#[actix_web::test]
async fn every_operation_behind_an_authenticating_extractor_declares_bearer_and_401() {
    let doc = served_document().await;
    let ops = operations_by_id(&doc);
    let handlers = handlers_behind_authentication();
    assert!(
        handlers.len() > 60,
        "the scan found too few handlers: {handlers:?}"
    );
    let mut missing = Vec::new();
    for name in &handlers {
        let op = ops
            .get(name)
            .unwrap_or_else(|| panic!("handler {name} has no operation of that id"));
        let bearer = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        if !bearer || op["responses"].get("401").is_none() {
            missing.push(name.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "behind authentication, without bearer/401: {missing:?}"
    );
    // And the other way: an operation that declares the bearer scheme authenticates.
    for (id, op) in &ops {
        if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
            assert!(
                handlers.contains(id),
                "{id} declares bearer but no extractor checks it"
            );
        }
    }
}

#[actix_web::test]
async fn every_error_status_declared_is_one_error_codes_md_lists_for_the_codes_it_names() {
    let doc = served_document().await;
    let table =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/error-codes.md"))
            .unwrap();
    let mut documented: std::collections::BTreeMap<String, u16> = Default::default();
    for line in table.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 3
            && let (Some(code), Ok(status)) = (
                cells[1].strip_prefix('`').and_then(|c| c.strip_suffix('`')),
                cells[2].parse::<u16>(),
            )
        {
            documented.insert(code.to_owned(), status);
        }
    }
    assert!(documented.len() > 40, "{documented:?}");
    let statuses: BTreeSet<u16> = documented.values().copied().collect();
    let mut wrong = Vec::new();
    for (id, op) in operations_by_id(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            let Ok(status) = status.parse::<u16>() else {
                continue;
            };
            if status < 400 {
                continue;
            }
            if !statuses.contains(&status) {
                wrong.push(format!(
                    "{id} declares {status}, which no documented code has"
                ));
            }
            let description = response["description"].as_str().unwrap_or("");
            for code in description.split('`').skip(1).step_by(2) {
                if let Some(&expected) = documented.get(code)
                    && expected != status
                {
                    wrong.push(format!(
                        "{id} names `{code}` under {status}; error-codes.md says {expected}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `schema` as a JSON Schema that resolves the document's `#/components/...` references.
fn with_components(schema: &serde_json::Value, doc: &serde_json::Value) -> serde_json::Value {
    let mut root = serde_json::json!({ "components": doc["components"] });
    if let Some(fields) = schema.as_object() {
        for (k, v) in fields {
            root[k] = v.clone();
        }
    }
    root
}

#[actix_web::test]
async fn every_request_body_has_an_example_that_its_schema_accepts() {
    let doc = served_document().await;
    let mut problems = Vec::new();
    let mut checked = 0;
    for (id, op) in operations_by_id(&doc) {
        let Some(content) = op["requestBody"]["content"].as_object() else {
            continue;
        };
        for (media, body) in content {
            if !media.contains("json") {
                continue;
            }
            let schema = with_components(&body["schema"], &doc);
            let validator = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("{id}: the schema does not compile: {e}"));
            let mut examples: Vec<serde_json::Value> = body["example"]
                .is_null()
                .then(Vec::new)
                .unwrap_or_else(|| vec![body["example"].clone()]);
            if let Some(named) = body["examples"].as_object() {
                examples.extend(named.values().map(|e| e["value"].clone()));
            }
            if examples.is_empty() {
                problems.push(format!("{id}: no example"));
            }
            for example in examples {
                checked += 1;
                let errors: Vec<String> = validator
                    .iter_errors(&example)
                    .map(|e| format!("{} at {}", e, e.instance_path))
                    .collect();
                if !errors.is_empty() {
                    problems.push(format!("{id}: example {example} — {}", errors.join("; ")));
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} examples");
    // Response examples, where a schema has one, fit their schema too.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if let Some(example) = schema.get("example") {
            let validator = jsonschema::validator_for(&with_components(schema, &doc)).unwrap();
            if !validator.is_valid(example) {
                problems.push(format!("schema {name}: its example does not fit it"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
