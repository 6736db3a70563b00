//! Calendar years in the database: added and corrected through the API, validated,
//! audited, in force at the next tick on every instance; deletion dates past the shipped
//! calendar's end are filled in, announced, and never moved earlier.

use crate::agency::staff_account;
use crate::lifecycle::{
    advance_to, count, lifecycle_app, local, notices, shop, standard_plan, tenant_row, tick_at,
};
use crate::support::status_json;
use sea_orm::{ActiveModelTrait, IntoActiveModel};
use serde_json::{Value, json};

/// The lifecycle facts of the tenant resource, as its merchant admin sees it.
async fn lifecycle_facts(app: &crate::support::TestApp, token: &str, id: &str) -> Value {
    let (status, t) = status_json(app.get(&format!("/api/v1/tenants/{id}"), token).await).await;
    assert_eq!(status, 200, "{t}");
    json!({
        "frozen_at": t["frozen_at"],
        "delete_after": t["delete_after"],
        "unknown": t["delete_after_unknown_reason"].is_string(),
        "next": t["next_lifecycle_event"],
    })
}

#[actix_web::test]
async fn a_year_added_through_the_api_schedules_and_announces_the_deletion_across_new_year() {
    let app = lifecycle_app(None).await;
    // Right from the first second, before any tick: coverage is not 0.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let gauge = metrics
        .lines()
        .find(|l| l.starts_with("calendar_coverage_days "))
        .unwrap_or_default()
        .to_owned();
    assert!(
        gauge
            .split(' ')
            .nth(1)
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|days| days != 0),
        "{gauge}"
    );

    app.clock.set(local(2026, 12, 7, 9, 0));
    let admin = app.admin_session().await.access_token;
    let plan = standard_plan(&app, &admin).await;
    let (am_id, am) = staff_account(&app, &admin, "am.calendar", "account_manager").await;
    let g = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.newyear",
        "2025-12-21",
        "2026-12-20",
        None,
        None,
    )
    .await;

    let (status, calendar) = status_json(app.get("/api/v1/calendar/years", &am).await).await;
    assert_eq!(status, 200, "{calendar}");
    assert_eq!(calendar["coverage_until"], "2026-12-31");
    let years: Vec<(i64, &str)> = calendar["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| (y["year"].as_i64().unwrap(), y["source"].as_str().unwrap()))
        .collect();
    assert_eq!(years.last(), Some(&(2026, "embedded")));
    assert_eq!(
        calendar["years"].as_array().unwrap().last().unwrap()["working_days"],
        248
    );

    assert_eq!(
        lifecycle_facts(&app, &g.owner, &g.id).await,
        json!({"frozen_at": null, "delete_after": null, "unknown": false,
               "next": {"kind": "freeze", "at": "2026-12-20T16:00:00Z"}})
    );

    // The planner shows the unknown deletion as its own kind, never as a purge at "now".
    let g_id = g.id.clone();
    let planned = |token: String| {
        let (app, g_id) = (&app, g_id.clone());
        async move {
            let (status, plan) =
                status_json(app.get("/api/v1/lifecycle/plan?days=30", &token).await).await;
            assert_eq!(status, 200, "{plan}");
            plan["items"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|d| {
                    let date = d["date"].as_str().unwrap().to_owned();
                    d["actions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(move |a| (date.clone(), a.clone()))
                        .collect::<Vec<_>>()
                })
                .filter(|(_, a)| a["tenant_id"] == g_id.as_str())
                .map(|(date, a)| {
                    (
                        date,
                        a["action"].as_str().unwrap().to_owned(),
                        a["at"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let plan = planned(am.clone()).await;
    assert_eq!(
        plan.iter()
            .map(|(d, a, _)| (d.as_str(), a.as_str()))
            .collect::<Vec<_>>(),
        [
            ("2026-12-13", "reminder"),
            ("2026-12-21", "freeze"),
            ("2026-12-21", "deletion_unscheduled")
        ],
        "{plan:?}"
    );
    assert_eq!(plan[2].2, Value::Null);

    // Frozen on 2026-12-21 with no deletion date: 2027 is not known yet.
    advance_to(&app, local(2026, 12, 21, 0, 1)).await;
    tick_at(&app, local(2026, 12, 21, 0, 1)).await;
    let row = tenant_row(&app, &g.id).await;
    assert_eq!((row.status.as_str(), row.delete_after), ("frozen", None));
    assert_eq!(
        lifecycle_facts(&app, &g.owner, &g.id).await,
        json!({"frozen_at": "2026-12-20T16:00:00Z", "delete_after": null, "unknown": true,
               "next": {"kind": "deletion_unscheduled", "at": null}})
    );
    let plan = planned(am.clone()).await;
    assert_eq!(
        plan.iter()
            .map(|(d, a, t)| (d.as_str(), a.as_str(), t.clone()))
            .collect::<Vec<_>>(),
        [("2026-12-21", "deletion_unscheduled", Value::Null)],
        "{plan:?}"
    );

    // Refused: wrong role, a shipped year, dates that cannot be true. Nothing stored.
    let put = |token: &str, year: i32, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move {
            status_json(
                app.client
                    .put(app.url(&format!("/api/v1/calendar/years/{year}")))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let year_2027 =
        json!({"holidays": ["2027-01-01"], "workdays": [], "source": "国办发明电〔2026〕7号"});
    let (status, _) = put(&am, 2027, year_2027.clone()).await;
    assert_eq!(status, 403);
    let (status, body) = put(&admin, 2026, year_2027.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("calendar_year_shipped"))
    );
    for (body, field) in [
        (
            json!({"holidays": ["2027-01-01", "2028-01-01"], "workdays": []}),
            "holidays[1]",
        ),
        (
            json!({"holidays": [], "workdays": ["2027-01-04"]}),
            "workdays[0]",
        ),
        (
            json!({"holidays": ["2027-02-06"], "workdays": ["2027-02-07", "2027-02-06"]}),
            "workdays[1]",
        ),
        (
            json!({"holidays": [], "workdays": [], "source": "x".repeat(201)}),
            "source",
        ),
    ] {
        let (status, refused) = put(&admin, 2027, body).await;
        assert_eq!(
            (status, refused["details"]["field"].as_str()),
            (422, Some(field)),
            "{refused}"
        );
    }
    let (status, refused) = put(&admin, 1999, year_2027.clone()).await;
    assert_eq!(
        (status, refused["details"]["field"].as_str()),
        (422, Some("year"))
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM calendar_years").await,
        0
    );

    // 2026-12-28: the notice is out; the admin adds 2027. The date is set and announced.
    app.clock.set(local(2026, 12, 28, 10, 0));
    let (status, added) = put(&admin, 2027, year_2027.clone()).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["source"], "database");
    assert_eq!(added["notice"], "国办发明电〔2026〕7号");
    assert_eq!(
        tenant_row(&app, &g.id).await.delete_after,
        Some(local(2027, 1, 6, 0, 0))
    );
    assert_eq!(
        lifecycle_facts(&app, &am, &g.id).await,
        json!({"frozen_at": "2026-12-20T16:00:00Z", "delete_after": "2027-01-05T16:00:00Z", "unknown": false,
               "next": {"kind": "purge", "at": "2027-01-05T16:00:00Z"}})
    );
    let announced = notices(&app, Some(&g.id), "deletion_scheduled").await;
    assert_eq!(announced.len(), 1);
    assert!(
        announced[0].body.contains("2027-01-06 00:00"),
        "{}",
        announced[0].body
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'calendar.year_added'"
        )
        .await,
        1
    );
    let (_, calendar) = status_json(app.get("/api/v1/calendar/years", &admin).await).await;
    assert_eq!(calendar["coverage_until"], "2027-12-31");
    let last = calendar["years"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["year"].as_i64(), last["source"].as_str()),
        (Some(2027), Some("database"))
    );

    // A correction that adds days off moves the date later and says so …
    let (status, corrected) = put(
        &admin,
        2027,
        json!({"holidays": ["2027-01-01", "2027-01-04", "2027-01-05"], "workdays": []}),
    )
    .await;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(
        tenant_row(&app, &g.id).await.delete_after,
        Some(local(2027, 1, 8, 0, 0))
    );
    let announced = notices(&app, Some(&g.id), "deletion_scheduled").await;
    assert_eq!(announced.len(), 2);
    let moved = announced
        .iter()
        .find(|n| n.body.contains("2027-01-08 00:00"))
        .expect("the new date is announced");
    assert!(moved.body.contains("2027-01-06 00:00"), "{}", moved.body);
    // … one that would move it earlier leaves the announced date.
    let (status, _) = put(&admin, 2027, year_2027.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        tenant_row(&app, &g.id).await.delete_after,
        Some(local(2027, 1, 8, 0, 0))
    );
    assert_eq!(
        notices(&app, Some(&g.id), "deletion_scheduled").await.len(),
        2
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'calendar.year_corrected'"
        )
        .await,
        2
    );

    // A year another instance added is in force here at the next tick.
    entity::calendar_years::Model {
        year: 2028,
        holidays: json!(["2028-01-01"]),
        workdays: json!([]),
        source: None,
        revision: 1,
        updated_by: None,
        created_at: app.clock.now(),
        updated_at: app.clock.now(),
    }
    .into_active_model()
    .insert(&app.state.db)
    .await
    .unwrap();
    tick_at(&app, local(2026, 12, 28, 10, 5)).await;
    let (_, ready) = status_json(
        app.client
            .get(app.url("/health/ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ready["checks"]["calendar_coverage_until"], "2028-12-31");

    // The purge comes on the announced day, not before.
    advance_to(&app, local(2027, 1, 7, 23, 59)).await;
    tick_at(&app, local(2027, 1, 7, 23, 59)).await;
    assert_eq!(tenant_row(&app, &g.id).await.status, "frozen");
    tick_at(&app, local(2027, 1, 8, 0, 0)).await;
    tick_at(&app, local(2027, 1, 8, 0, 1)).await;
    assert_eq!(tenant_row(&app, &g.id).await.status, "deleted");
}
