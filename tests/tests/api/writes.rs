//! Provider-admin writes, permission answers, and the automatic partner_tenants offering.

use reqwest::StatusCode;
use serde_json::{json, Value};
use slr_tests::{json_with, names, problem, problem_field, spawn_app, TestApp};

/// A small world built through the API: partner P with customer C, service S, class saas2-eu.
struct World {
    partner: i64,
    customer: i64,
    service: i64,
    class: i64,
}

async fn world(app: &TestApp) -> World {
    let partner = app
        .create(
            "/api/v1/accounts",
            &json!({"name": "Partner P", "kind": "partner"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let customer = app
        .create(
            "/api/v1/accounts",
            &json!({"name": "Customer C", "kind": "customer", "managing_partner_id": partner}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let service = app
        .create("/api/v1/services", &json!({"name": "Service S"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let class = app
        .create(
            "/api/v1/classifications",
            &json!({"code": "saas2-eu", "tier": 2, "region": "eu"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    World {
        partner,
        customer,
        service,
        class,
    }
}

async fn partner_tenants_offerings(app: &TestApp, partner: i64) -> Vec<String> {
    let path = format!("/api/v1/offerings?kind=partner_tenants&account_id={partner}");
    names(&app.list_all(&path, &app.admin_token()).await)
}

#[tokio::test]
async fn creating_a_customer_tenant_creates_the_partner_tenants_offering_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    assert!(partner_tenants_offerings(&app, w.partner).await.is_empty());
    for name in ["c-prod", "c-test"] {
        let tenant = json!({"name": name, "account_id": w.customer, "service_id": w.service, "classification_id": w.class});
        let created = app.create("/api/v1/tenants", &tenant).await;
        assert_eq!(created["name"], name);
    }
    assert_eq!(
        partner_tenants_offerings(&app, w.partner).await,
        ["Service S - Partner P (Partner Tenants)"]
    );

    // The partner's contact sees it; renames of the partner or the service follow.
    let partner_contact = json!({"email": "pat@partner.example", "name": "Pat", "role": "viewer"});
    app.create(
        &format!("/api/v1/accounts/{}/contacts", w.partner),
        &partner_contact,
    )
    .await;
    let seen = names(
        &app.list_all("/api/v1/offerings", &app.token("pat@partner.example"))
            .await,
    );
    assert_eq!(seen, ["Service S - Partner P (Partner Tenants)"]);
    let admin = app.admin_token();
    json_with::<Value>(
        app.patch(
            &format!("/api/v1/accounts/{}", w.partner),
            &admin,
            &json!({"name": "Partner Q"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    json_with::<Value>(
        app.patch(
            &format!("/api/v1/services/{}", w.service),
            &admin,
            &json!({"name": "Service T"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        partner_tenants_offerings(&app, w.partner).await,
        ["Service T - Partner Q (Partner Tenants)"]
    );
}

#[tokio::test]
async fn moving_a_customer_to_another_partner_gives_that_partner_its_offering() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let tenant = json!({"name": "c-prod", "account_id": w.customer, "service_id": w.service, "classification_id": w.class});
    app.create("/api/v1/tenants", &tenant).await;
    let other = app
        .create(
            "/api/v1/accounts",
            &json!({"name": "Partner R", "kind": "partner"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let moved: Value = json_with(
        app.patch(
            &format!("/api/v1/accounts/{}", w.customer),
            &app.admin_token(),
            &json!({"managing_partner_id": other}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["managing_partner_id"], other);
    assert_eq!(
        partner_tenants_offerings(&app, other).await,
        ["Service S - Partner R (Partner Tenants)"]
    );
    // Making the customer direct again is a PATCH to null.
    let direct: Value = json_with(
        app.patch(
            &format!("/api/v1/accounts/{}", w.customer),
            &app.admin_token(),
            &json!({"managing_partner_id": null}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(direct["managing_partner_id"].is_null());
}

#[tokio::test]
async fn partner_tenants_offerings_cannot_be_renamed_or_deleted_by_hand() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let tenant = json!({"name": "c-prod", "account_id": w.customer, "service_id": w.service, "classification_id": w.class});
    app.create("/api/v1/tenants", &tenant).await;
    let id = app.id_of("offerings", "kind", "partner_tenants").await;
    let admin = app.admin_token();
    let renamed = app
        .patch(
            &format!("/api/v1/offerings/{id}"),
            &admin,
            &json!({"name": "Mine"}),
        )
        .await;
    assert_eq!(
        problem_field(
            renamed,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )
        .await,
        "name"
    );
    problem(
        app.delete(&format!("/api/v1/offerings/{id}"), &admin).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    let target: Value = json_with(
        app.patch(
            &format!("/api/v1/offerings/{id}"),
            &admin,
            &json!({"sla_target": 99.5}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(target["sla_target"], 99.5);
}

#[tokio::test]
async fn only_provider_admins_write_others_get_403_inside_scope_and_404_outside() {
    let app = spawn_app().await;
    app.seed_demo();
    let globex_tenant = app.id_of("tenants", "name", "globex-prod").await;
    let umbrella_tenant = app.id_of("tenants", "name", "umbrella-prod").await;
    let partner = app.token("alice@northwind.example");
    let viewer = app.token("ops@acme-cloud.example");
    let rename = json!({"name": "renamed"});

    problem(
        app.post("/api/v1/services", &viewer, &json!({"name": "X"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.post("/api/v1/services", &partner, &json!({"name": "X"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let inside = app
        .patch(
            &format!("/api/v1/tenants/{globex_tenant}"),
            &partner,
            &rename,
        )
        .await;
    problem(inside, StatusCode::FORBIDDEN, "forbidden").await;
    let outside = app
        .patch(
            &format!("/api/v1/tenants/{umbrella_tenant}"),
            &partner,
            &rename,
        )
        .await;
    problem(outside, StatusCode::NOT_FOUND, "not_found").await;
    let delete = app
        .delete(
            &format!("/api/v1/tenants/{umbrella_tenant}"),
            &app.token("carol@globex.example"),
        )
        .await;
    problem(delete, StatusCode::NOT_FOUND, "not_found").await;
    let delete = app
        .delete(
            &format!("/api/v1/tenants/{globex_tenant}"),
            &app.token("carol@globex.example"),
        )
        .await;
    problem(delete, StatusCode::FORBIDDEN, "forbidden").await;
    // Nothing changed.
    let tenant = app
        .get_ok(
            &format!("/api/v1/tenants/{globex_tenant}"),
            &app.admin_token(),
        )
        .await;
    assert_eq!(tenant["name"], "globex-prod");
}

#[tokio::test]
async fn catalogue_round_trip_with_conflicts_and_safe_deletes() {
    let app = spawn_app().await;
    let admin = app.admin_token();
    let created = app
        .post(
            "/api/v1/services",
            &admin,
            &json!({"name": "Asset Management"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let service: Value = created.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/services/{}", service["id"]));
    assert_eq!(
        app.get_ok(&location, &admin).await["name"],
        "Asset Management"
    );

    let duplicate = app
        .post(
            "/api/v1/services",
            &admin,
            &json!({"name": "Asset Management"}),
        )
        .await;
    let duplicate = problem(duplicate, StatusCode::CONFLICT, "already_exists").await;
    assert_eq!(duplicate.errors[0].field, "name");

    let class = app
        .create(
            "/api/v1/classifications",
            &json!({"code": "saas3-us", "tier": 3, "region": "US"}),
        )
        .await;
    assert_eq!(class["label"], "SaaS 3 US-hosted");
    let customer = app
        .create(
            "/api/v1/accounts",
            &json!({"name": "Cust", "kind": "customer"}),
        )
        .await;
    let tenant = json!({"name": "t", "account_id": customer["id"], "service_id": service["id"], "classification_id": class["id"]});
    let tenant = app.create("/api/v1/tenants", &tenant).await;
    let in_use = app
        .delete(&format!("/api/v1/classifications/{}", class["id"]), &admin)
        .await;
    problem(in_use, StatusCode::CONFLICT, "in_use").await;

    assert_eq!(
        app.delete(&format!("/api/v1/tenants/{}", tenant["id"]), &admin)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&format!("/api/v1/classifications/{}", class["id"]), &admin)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    problem(
        app.get(&format!("/api/v1/classifications/{}", class["id"]), &admin)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_removed_contacts_token_stops_working_at_once() {
    let app = spawn_app().await;
    let account = app
        .create(
            "/api/v1/accounts",
            &json!({"name": "Cust", "kind": "customer"}),
        )
        .await;
    let contact = app
        .create(
            &format!("/api/v1/accounts/{}/contacts", account["id"]),
            &json!({"email": "Eve@Cust.example", "name": "Eve", "role": "admin"}),
        )
        .await;
    assert_eq!(contact["email"], "eve@cust.example");
    let token = app.token("eve@cust.example");
    assert_eq!(app.get("/api/v1/me", &token).await.status(), StatusCode::OK);
    let deleted = app
        .delete(
            &format!("/api/v1/contacts/{}", contact["id"]),
            &app.admin_token(),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(
        app.get("/api/v1/me", &token).await,
        StatusCode::UNAUTHORIZED,
        "unknown_contact",
    )
    .await;
}

#[tokio::test]
async fn direct_offerings_are_named_and_registered_to_the_account() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let offering = app
        .create(
            "/api/v1/offerings",
            &json!({"service_id": w.service, "account_id": w.customer}),
        )
        .await;
    assert_eq!(
        (offering["name"].as_str(), offering["kind"].as_str()),
        (Some("Service S - Customer C"), Some("direct"))
    );
    assert_eq!(offering["sla_target"], 99.9);
    // The partner does not see its customer's direct offering; the customer does.
    let contact = json!({"email": "c@c.example", "name": "C", "role": "viewer"});
    app.create(
        &format!("/api/v1/accounts/{}/contacts", w.customer),
        &contact,
    )
    .await;
    let contact = json!({"email": "p@p.example", "name": "P", "role": "admin"});
    app.create(
        &format!("/api/v1/accounts/{}/contacts", w.partner),
        &contact,
    )
    .await;
    assert_eq!(
        names(
            &app.list_all("/api/v1/offerings", &app.token("c@c.example"))
                .await
        ),
        ["Service S - Customer C"]
    );
    assert!(app
        .list_all("/api/v1/offerings", &app.token("p@p.example"))
        .await
        .is_empty());
}
