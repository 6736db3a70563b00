//! The ceiling of the client-API benchmark: a bare actix-web handler answering the same
//! page bodies from memory, with no middleware, limiter, metering or request ids.
//! `scripts/bench-client-api` runs it beside the service and nginx.
//! Usage: `bare_actix <bind> <www folder> <path>...`

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::collections::HashMap;
use std::sync::Arc;

type Pages = Arc<HashMap<String, (web::Bytes, String)>>;

async fn page(req: HttpRequest, pages: web::Data<Pages>) -> HttpResponse {
    match pages.get(req.path()) {
        Some((body, etag)) => {
            if req
                .headers()
                .get("if-none-match")
                .is_some_and(|v| v.as_bytes() == etag.as_bytes())
            {
                return HttpResponse::NotModified()
                    .insert_header(("etag", etag.as_str()))
                    .finish();
            }
            HttpResponse::Ok()
                .content_type("application/json")
                .insert_header(("etag", etag.as_str()))
                .body(body.clone())
        }
        None => HttpResponse::NotFound().finish(),
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().expect("bind address");
    let www = args.next().expect("www folder");
    let mut pages = HashMap::new();
    for path in args {
        let body = std::fs::read(format!("{www}{path}"))?;
        let etag = format!("\"{:x}\"", body.len());
        pages.insert(path, (web::Bytes::from(body), etag));
    }
    let pages: Pages = Arc::new(pages);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(pages.clone()))
                .route("/client/v1/{appid}/pages/{slug}", web::get().to(page))
        })
        .workers(2)
        .bind(bind)?
        .run()
        .await
    })
}
