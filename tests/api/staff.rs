//! Staff administration, audit rows, and account operations that a tenant's state never
//! blocks.

use crate::support::{TestApp, spawn_app, status_json};
use entity::{audit_events, tenants};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;
use weapp_builder::domain::ids::TenantId;
use weapp_builder::domain::role::Role;
use weapp_builder::domain::username::Username;
use weapp_builder::services::accounts::{NewAccount, OneTimePassword, insert_user};

/// Inserts a tenant row directly (tenant provisioning arrives with the agency-side API).
pub async fn seed_tenant(app: &TestApp, status: &str) -> Uuid {
    let id = Uuid::now_v7();
    let now = app.clock.now();
    tenants::Entity::insert(tenants::ActiveModel {
        id: Set(id),
        business_name: Set("测试小店".into()),
        status: Set(status.into()),
        account_manager_id: Set(None),
        contact_name: Set(Some("李娜".into())),
        contact_phone: Set(Some("13812341234".into())),
        contact_email: Set(Some("li@example.cn".into())),
        plan_version_id: Set(None),
        appid: Set(None),
        term_end_date: Set(None),
        status_changed_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&app.state.db)
    .await
    .unwrap();
    id
}

/// Creates a merchant admin of `tenant` through the service layer; returns its one-time
/// password.
pub async fn seed_merchant(app: &TestApp, tenant: Uuid, username: &str) -> String {
    let created = insert_user(
        &app.state.db,
        &app.state,
        NewAccount {
            username: Username::parse(username, "username").unwrap(),
            display_name: "店长".into(),
            role: Role::MerchantAdmin,
            tenant_id: Some(TenantId(tenant)),
            contact: Default::default(),
        },
        OneTimePassword::generate().await.unwrap(),
        None,
        "username",
    )
    .await
    .unwrap();
    created.one_time_password
}

#[actix_web::test]
async fn admins_manage_staff_and_every_change_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let (status, created) = status_json(
        app.post_json(
            "/api/v1/staff",
            &admin.access_token,
            &json!({"username": "Wang.Fang", "display_name": "王芳", "role": "account_manager"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["account"]["username"], "wang.fang",
        "usernames are stored lower-case"
    );
    assert_eq!(created["account"]["must_change_password"], true);
    assert!(created["account"]["one_time_password_expires_at"].is_string());
    let otp = created["one_time_password"].as_str().unwrap();
    assert!(otp.len() >= 16);
    let id = created["account"]["id"].as_str().unwrap().to_owned();

    // The one-time password is stored only as an argon2 hash.
    let row = entity::users::Entity::find_by_id(Uuid::parse_str(&id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.password_hash.starts_with("$argon2id$"));
    assert!(!row.password_hash.contains(otp));

    let (status, body) = status_json(
        app.post_json(
            "/api/v1/staff",
            &admin.access_token,
            &json!({"username": "wang.fang", "display_name": "重复", "role": "account_manager"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("already_exists"))
    );
    let (status, body) = status_json(
        app.post_json(
            "/api/v1/staff",
            &admin.access_token,
            &json!({"username": "x", "display_name": "短", "role": "account_manager"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("username"))
    );
    let (status, body) = status_json(
        app.post_json(
            "/api/v1/staff",
            &admin.access_token,
            &json!({"username": "shop.x", "display_name": "x", "role": "merchant_admin"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("role"))
    );

    let (status, list) = status_json(app.get("/api/v1/staff", &admin.access_token).await).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["admin", "wang.fang"]);

    // An account manager is not an admin.
    let am = app.login("wang.fang", otp).await;
    let changed = status_json(
        app.post_json(
            "/api/v1/auth/password",
            &am.access_token,
            &json!({"current_password": otp, "new_password": "manager passphrase 1"}),
        )
        .await,
    )
    .await
    .1;
    let am_token = changed["access_token"].as_str().unwrap().to_owned();
    let (status, body) = status_json(app.get("/api/v1/staff", &am_token).await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));

    // Disable (idempotent), enable; nobody disables themselves.
    for _ in 0..2 {
        let (status, body) = status_json(
            app.post_empty(&format!("/api/v1/staff/{id}/disable"), &admin.access_token)
                .await,
        )
        .await;
        assert_eq!((status, body["status"].as_str()), (200, Some("disabled")));
    }
    assert_eq!(
        app.login_response("wang.fang", "manager passphrase 1")
            .await
            .status(),
        401
    );
    let (status, body) = status_json(
        app.post_empty(&format!("/api/v1/staff/{id}/enable"), &admin.access_token)
            .await,
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("active")));
    assert_eq!(
        app.login_response("wang.fang", "manager passphrase 1")
            .await
            .status(),
        200
    );
    let admin_id = admin.body["account"]["id"].as_str().unwrap();
    let (status, body) = status_json(
        app.post_empty(
            &format!("/api/v1/staff/{admin_id}/disable"),
            &admin.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    let (status, _) = status_json(
        app.post_empty(
            &format!("/api/v1/staff/{}/disable", Uuid::now_v7()),
            &admin.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);

    let events = audit_events::Entity::find()
        .filter(audit_events::Column::SubjectId.eq(id.clone()))
        .all(&app.state.db)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "staff.created",
            "account.password_changed",
            "staff.disabled",
            "staff.enabled"
        ],
        "one audit row per change; the repeated disable changed nothing"
    );
    let created_event = &events[0];
    assert_eq!(created_event.actor_name, "admin");
    assert!(
        created_event.request_id.is_some(),
        "audit rows carry the request id"
    );
}

#[actix_web::test]
async fn password_change_refresh_and_logout_work_whatever_the_tenant_state() {
    let app = spawn_app().await;
    for status in ["pending", "frozen", "active"] {
        let tenant = seed_tenant(&app, status).await;
        let username = format!("owner.{status}");
        let otp = seed_merchant(&app, tenant, &username).await;
        let first = app.login(&username, &otp).await;
        let (code, changed) = status_json(
            app.post_json(
                "/api/v1/auth/password",
                &first.access_token,
                &json!({"current_password": otp, "new_password": "merchant passphrase"}),
            )
            .await,
        )
        .await;
        assert_eq!(code, 200, "{status}: {changed}");
        let (code, refreshed) = status_json(
            app.client
                .post(app.url("/api/v1/auth/refresh"))
                .json(&json!({"refresh_token": changed["refresh_token"]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(code, 200, "{status}");
        let access = refreshed["access_token"].as_str().unwrap();
        assert_eq!(
            app.get("/api/v1/auth/me", access).await.status(),
            200,
            "{status}: reads work"
        );
        assert_eq!(
            app.post_empty("/api/v1/auth/logout", access).await.status(),
            204,
            "{status}"
        );
    }
    // A deleted tenant's users are refused.
    let tenant = seed_tenant(&app, "active").await;
    let otp = seed_merchant(&app, tenant, "owner.gone").await;
    let s = app.login("owner.gone", &otp).await;
    tenants::Entity::update_many()
        .col_expr(
            tenants::Column::Status,
            sea_orm::sea_query::Expr::value("deleted"),
        )
        .filter(tenants::Column::Id.eq(tenant))
        .exec(&app.state.db)
        .await
        .unwrap();
    app.state.principals.invalidate_tenant(TenantId(tenant));
    assert_eq!(
        app.get("/api/v1/auth/me", &s.access_token).await.status(),
        401
    );
}

#[actix_web::test]
async fn a_merchant_sees_its_account_managers_contact_which_staff_keep_up_to_date() {
    use crate::agency::plan_terms;
    use crate::pages::{active_tenant, agency};
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (tenant, owner) =
        active_tenant(&app, &agency, plan_terms(298_000), "am.contact.shop").await;
    let path = format!("/api/v1/staff/{}/contact", agency.am_id);

    // Nothing recorded yet: the name only.
    let (_, view) = status_json(app.get(&format!("/api/v1/tenants/{tenant}"), &owner).await).await;
    assert_eq!(
        view["account_manager"],
        json!({"display_name": "am.pages", "phone": null, "email": null}),
        "{view}"
    );

    // Bad input names the field; nothing changes.
    let put = |token: &str, body: serde_json::Value| {
        let req = app
            .client
            .put(app.url(&path))
            .bearer_auth(token)
            .json(&body);
        async move { status_json(req.send().await.unwrap()).await }
    };
    let (status, body) = put(
        &agency.am,
        json!({"phone": "12345", "email": "zhang@agency.cn"}),
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("phone")),
        "{body}"
    );
    let (status, body) = put(
        &agency.am,
        json!({"phone": "13912345678", "email": "no-at-sign"}),
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("email")),
        "{body}"
    );

    // The account manager records their own; another staff member who is not an admin
    // cannot change it, a merchant cannot either.
    let (status, saved) = put(
        &agency.am,
        json!({"phone": "+86 139-1234-5678", "email": "zhang@agency.cn"}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (saved["phone"].as_str(), saved["email"].as_str()),
        (Some("13912345678"), Some("zhang@agency.cn"))
    );
    let (_, other) =
        crate::agency::staff_account(&app, &agency.admin, "am.other", "account_manager").await;
    assert_eq!(put(&other, json!({"phone": null})).await.0, 403);
    assert_eq!(put(&owner, json!({"phone": null})).await.0, 403);

    let (_, view) = status_json(app.get(&format!("/api/v1/tenants/{tenant}"), &owner).await).await;
    assert_eq!(view["account_manager"]["phone"], "13912345678");
    assert_eq!(view["account_manager"]["email"], "zhang@agency.cn");

    // An admin clears the phone; the audit keeps it masked.
    let (status, saved) = put(
        &agency.admin,
        json!({"phone": "", "email": "zhang@agency.cn"}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert!(saved.get("phone").is_none(), "{saved}");
    let event = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("staff.contact_changed"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(event.len(), 2);
    assert!(
        !event
            .iter()
            .any(|e| e.summary.to_string().contains("13912345678"))
    );

    // A staff member is created with a contact.
    let (status, created) = status_json(
        app.post_json(
            "/api/v1/staff",
            &agency.admin,
            &json!({"username": "am.li", "display_name": "李", "role": "account_manager", "phone": "13800001111"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["account"]["phone"], "13800001111");
}
