//! Issue 26: writes answer with what they wrote, and the client cache never keeps a copy an
//! invalidation overtook.

use crate::client::tenant_with_appid;
use crate::pages::{agency, create_page, page};
use crate::support::{spawn_app, status_json};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

const APPID: &str = "wx7ace000000000001";

#[actix_web::test]
async fn every_concurrent_save_answers_with_its_own_revision_and_draft() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (_, owner) = tenant_with_appid(&app, &agency, APPID, 1000, "race.saves").await;
    let text = |t: &str| json!([{"id": "t", "type": "text", "props": {"text": t}}]);
    let (_, created) = create_page(&app, &owner, &page("menu", text("start"))).await;
    let id = created["id"].as_str().unwrap().to_owned();

    // A save held right after its commit while another editor saves over it still
    // answers with its own revision and draft.
    let save = |if_match: String, t: &str| {
        let req = app
            .client
            .put(app.url(&format!("/api/v1/pages/{id}")))
            .bearer_auth(&owner)
            .header("If-Match", if_match)
            .json(&page("menu", text(t)));
        async move { status_json(req.send().await.unwrap()).await }
    };
    let pause = app.state.faults.arm_pause("pages.replace_committed");
    let first = actix_web::rt::spawn(save("\"1\"".into(), "first"));
    pause.reached.notified().await;
    let (status, second) = save("\"2\"".into(), "second").await;
    assert_eq!(
        (status, second["revision"].as_i64()),
        (200, Some(3)),
        "{second}"
    );
    pause.release.notify_one();
    let (status, first) = first.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        (
            first["revision"].as_i64(),
            first["layout"]["components"][0]["props"]["text"].as_str()
        ),
        (Some(2), Some("first")),
        "the first save answered the second's revision or draft"
    );

    // Eight editors save as fast as they can, each "over whatever is current".
    let editor = |n: usize| {
        let app = &app;
        let owner = owner.clone();
        let id = id.clone();
        async move {
            let mut answers: Vec<(i64, String, String)> = Vec::new();
            for round in 0..12 {
                let mine = format!("editor {n} round {round}");
                let res = app
                    .client
                    .put(app.url(&format!("/api/v1/pages/{id}")))
                    .bearer_auth(&owner)
                    .header("If-Match", "*")
                    .json(&page("menu", text(&mine)))
                    .send()
                    .await
                    .unwrap();
                if res.status() != 200 {
                    assert_eq!(res.status(), 412, "{}", res.text().await.unwrap());
                    continue;
                }
                let etag = res.headers()["etag"].to_str().unwrap().to_owned();
                let body: Value = res.json().await.unwrap();
                assert_eq!(etag, format!("\"{}\"", body["revision"]));
                answers.push((
                    body["revision"].as_i64().unwrap(),
                    body["layout"]["components"][0]["props"]["text"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    mine,
                ));
            }
            answers
        }
    };
    let all: Vec<(i64, String, String)> = futures_util::future::join_all((0..8).map(editor))
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(all.len() >= 8, "only {} saves went through", all.len());
    for (revision, shown, sent) in &all {
        assert_eq!(
            shown, sent,
            "revision {revision} answered another editor's draft"
        );
    }
    let revisions: HashSet<i64> = all.iter().map(|a| a.0).collect();
    assert_eq!(
        revisions.len(),
        all.len(),
        "two saves answered the same revision"
    );
}

#[actix_web::test]
async fn a_publish_racing_a_cache_load_never_leaves_the_app_config_stale() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (_, owner) = tenant_with_appid(&app, &agency, APPID, 1000, "race.app").await;
    let text = json!([{"id": "t", "type": "text", "props": {"text": "x"}}]);
    let (_, first) = create_page(&app, &owner, &page("home", text.clone())).await;
    let publish = |id: String| {
        let app = &app;
        let owner = owner.clone();
        async move {
            let (status, body) = status_json(
                app.post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
                    .await,
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
    };
    publish(first["id"].as_str().unwrap().to_owned()).await;
    let app_config = || async {
        status_json(
            app.client
                .get(app.url(&format!("/client/v1/{APPID}/app")))
                .send()
                .await
                .unwrap(),
        )
        .await
        .1
    };
    app.state.client_cache.clear();

    // A phone's request loads the tenant and is held right after reading the database;
    // meanwhile a second page is published (and the cache invalidated).
    let pause = app.state.faults.arm_pause("client_cache.tenant_loaded");
    let phone = actix_web::rt::spawn({
        let url = app.url(&format!("/client/v1/{APPID}/app"));
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().status() }
    });
    pause.reached.notified().await;
    let (_, second) = create_page(&app, &owner, &page("menu", text)).await;
    publish(second["id"].as_str().unwrap().to_owned()).await;
    pause.release.notify_one();
    assert_eq!(phone.await.unwrap(), 200);

    let shown = app_config().await;
    let slugs: Vec<&str> = shown["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["slug"].as_str())
        .collect();
    assert_eq!(
        slugs,
        ["home", "menu"],
        "the overtaken load was kept: {shown}"
    );
}

#[actix_web::test]
async fn phones_do_not_wait_for_a_reload_after_a_publish_they_get_the_previous_copy_meanwhile() {
    // On PostgreSQL the invalidation listener clears the cache (stale copies included, by
    // design: D54) whenever it (re)connects, which can land inside the held reload and
    // make this timing test flaky; the behaviour is the same code on both databases.
    if crate::support::on_postgres() {
        return;
    }
    // The periodic version check would refresh the tenant itself during the held one.
    let app = crate::support::builder()
        .settings(|s| s.client.version_check_secs = 3600)
        .spawn()
        .await;
    let agency = agency(&app).await;
    let (_, owner) = tenant_with_appid(&app, &agency, APPID, 1000, "race.swr").await;
    let text = |t: &str| json!([{"id": "t", "type": "text", "props": {"text": t}}]);
    let (_, home) = create_page(&app, &owner, &page("home", text("第一版"))).await;
    let id = home["id"].as_str().unwrap().to_owned();
    let publish = || async {
        let res = app
            .post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
            .await;
        assert_eq!(res.status(), 201);
    };
    publish().await;
    let read = |path: &'static str| {
        let url = app.url(&format!("/client/v1/{APPID}/{path}"));
        let client = app.client.clone();
        async move {
            let res = client.get(url).send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    assert_eq!(
        read("pages/home").await.1["components"][0]["text"],
        "第一版"
    );

    // A new version is published; its refresh of the cached tenant is held after reading
    // the database. Phones meanwhile get the previous copy at once instead of queueing.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/pages/{id}")))
        .bearer_auth(&owner)
        .header("If-Match", "*")
        .json(&page("home", text("第二版")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pause = app.state.faults.arm_pause("client_cache.refresh_loaded");
    let publishing = actix_web::rt::spawn({
        let url = app.url(&format!("/api/v1/pages/{id}/publish"));
        let request = app.client.post(url).bearer_auth(&owner);
        async move { request.send().await.unwrap().status().as_u16() }
    });
    pause.reached.notified().await;
    let loads = app
        .state
        .client_cache
        .loads
        .load(std::sync::atomic::Ordering::Relaxed);
    for path in ["pages/home", "app"] {
        let (status, body) = tokio::time::timeout(Duration::from_secs(5), read(path))
            .await
            .unwrap_or_else(|_| panic!("a read of {path} waited for the held reload"));
        assert_eq!(status, 200, "{body}");
        if path == "pages/home" {
            assert_eq!(body["components"][0]["text"], "第一版", "the previous copy");
        }
    }
    assert_eq!(
        app.state
            .client_cache
            .loads
            .load(std::sync::atomic::Ordering::Relaxed),
        loads,
        "no phone request loaded from the database"
    );
    pause.release.notify_one();
    assert_eq!(publishing.await.unwrap(), 201);
    // The publish answered once its instance serves the new version, page included.
    assert_eq!(
        read("pages/home").await.1["components"][0]["text"],
        "第二版"
    );
}
