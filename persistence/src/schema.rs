//! The diesel schema shared by Postgres and SQLite (portable column types only).

diesel::table! {
    accounts (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        managing_partner_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> BigInt,
        account_id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    services (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    classifications (id) {
        id -> BigInt,
        code -> Text,
        tier -> Integer,
        region -> Text,
        label -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tenants (id) {
        id -> BigInt,
        name -> Text,
        account_id -> BigInt,
        service_id -> BigInt,
        classification_id -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    offerings (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        service_id -> BigInt,
        account_id -> BigInt,
        sla_target -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    incidents (id) {
        id -> BigInt,
        service_id -> BigInt,
        title -> Text,
        impact -> Text,
        status -> Text,
        scope_kind -> Text,
        started_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        initial_impact -> Text,
        reopened -> Bool,
    }
}

diesel::table! {
    incident_impacts (id) {
        id -> BigInt,
        incident_id -> BigInt,
        impact -> Text,
        effective_at -> Timestamp,
    }
}

diesel::table! {
    incident_tenant_states (incident_id, tenant_id) {
        incident_id -> BigInt,
        tenant_id -> BigInt,
        state -> Text,
        effective_at -> Timestamp,
    }
}

diesel::table! {
    incident_classifications (incident_id, classification_id) {
        incident_id -> BigInt,
        classification_id -> BigInt,
    }
}

diesel::table! {
    incident_tenants (incident_id, tenant_id) {
        incident_id -> BigInt,
        tenant_id -> BigInt,
    }
}

diesel::table! {
    incident_reports (incident_id) {
        incident_id -> BigInt,
        summary -> Text,
        root_cause -> Text,
        remediation -> Text,
        published_at -> Nullable<Timestamp>,
        author_contact_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    incident_updates (id) {
        id -> BigInt,
        incident_id -> BigInt,
        status -> Text,
        message -> Text,
        author_contact_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    maintenances (id) {
        id -> BigInt,
        service_id -> BigInt,
        title -> Text,
        description -> Text,
        status -> Text,
        expected_impact -> Text,
        scheduled_start -> Timestamp,
        scheduled_end -> Timestamp,
        actual_start -> Nullable<Timestamp>,
        actual_end -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        scope_kind -> Text,
    }
}

diesel::table! {
    maintenance_schedules (maintenance_id) {
        maintenance_id -> BigInt,
        auto_transition -> Bool,
        reminded_at -> Nullable<Timestamp>,
        series_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    maintenance_classifications (maintenance_id, classification_id) {
        maintenance_id -> BigInt,
        classification_id -> BigInt,
    }
}

diesel::table! {
    maintenance_tenants (maintenance_id, tenant_id) {
        maintenance_id -> BigInt,
        tenant_id -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        contact_id -> BigInt,
        account_id -> BigInt,
        action -> Text,
        object_type -> Text,
        object_id -> BigInt,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_formats (webhook_id) {
        webhook_id -> BigInt,
        format -> Text,
    }
}

diesel::table! {
    data_changes (version) {
        version -> BigInt,
        table_name -> Text,
        row_id -> BigInt,
        at -> Timestamp,
        account_id -> Nullable<BigInt>,
        partner_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    change_counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (contact_id, idempotency_key) {
        contact_id -> BigInt,
        idempotency_key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        location -> Nullable<Text>,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    feed_tokens (id) {
        id -> BigInt,
        contact_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        account_id -> BigInt,
        url -> Text,
        description -> Text,
        event_types -> Text,
        service_ids -> Text,
        offering_ids -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        consecutive_failures -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        message_id -> Text,
        event_type -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    email_subscriptions (id) {
        id -> BigInt,
        account_id -> BigInt,
        contact_id -> Nullable<BigInt>,
        email -> Nullable<Text>,
        event_types -> Text,
        service_ids -> Text,
        unsubscribe_token -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_deliveries (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        announcement -> Text,
        recipient -> Text,
        event_type -> Text,
        subject -> Text,
        body -> Text,
        link -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        duration_ms -> BigInt,
        status -> Nullable<Integer>,
        error -> Nullable<Text>,
        succeeded -> Bool,
    }
}

diesel::table! {
    credit_policies (offering_id) {
        offering_id -> BigInt,
        tiers -> Text,
        cap_percent -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    statement_periods (id) {
        id -> BigInt,
        period -> Text,
        tz -> Text,
        window_from -> Timestamp,
        window_to -> Timestamp,
        data_version -> BigInt,
        statement_count -> BigInt,
        closed_by -> Nullable<BigInt>,
        closed_at -> Timestamp,
    }
}

diesel::table! {
    statements (id) {
        id -> BigInt,
        period_id -> BigInt,
        kind -> Text,
        subject_id -> BigInt,
        version -> Integer,
        account_id -> BigInt,
        partner_id -> Nullable<BigInt>,
        body -> Text,
        signature -> Text,
        key_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    statement_keys (key_id) {
        key_id -> Text,
        jwk -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(contacts -> accounts (account_id));
diesel::joinable!(tenants -> accounts (account_id));
diesel::joinable!(tenants -> services (service_id));
diesel::joinable!(tenants -> classifications (classification_id));
diesel::joinable!(offerings -> services (service_id));
diesel::joinable!(offerings -> accounts (account_id));
diesel::joinable!(incidents -> services (service_id));
diesel::joinable!(incident_updates -> incidents (incident_id));
diesel::joinable!(maintenance_schedules -> maintenances (maintenance_id));
diesel::joinable!(incident_classifications -> incidents (incident_id));
diesel::joinable!(incident_tenants -> incidents (incident_id));
diesel::joinable!(incident_impacts -> incidents (incident_id));
diesel::joinable!(incident_tenant_states -> incidents (incident_id));
diesel::joinable!(maintenance_classifications -> maintenances (maintenance_id));
diesel::joinable!(maintenance_tenants -> maintenances (maintenance_id));
diesel::joinable!(maintenance_tenants -> tenants (tenant_id));
diesel::joinable!(incident_tenants -> tenants (tenant_id));
diesel::joinable!(maintenances -> services (service_id));
diesel::joinable!(feed_tokens -> contacts (contact_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(email_deliveries -> email_subscriptions (subscription_id));
diesel::joinable!(statements -> statement_periods (period_id));
diesel::joinable!(credit_policies -> offerings (offering_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    contacts,
    services,
    classifications,
    tenants,
    offerings,
    incidents,
    incident_classifications,
    incident_tenants,
    incident_updates,
    incident_reports,
    incident_impacts,
    incident_tenant_states,
    maintenances,
    maintenance_classifications,
    maintenance_tenants,
    maintenance_schedules,
    change_counters,
    audit_log,
    idempotency_keys,
    feed_tokens,
    webhooks,
    webhook_deliveries,
    email_subscriptions,
    email_deliveries,
    webhook_attempts,
    webhook_formats,
    credit_policies,
    statement_periods,
    statements,
    statement_keys,
);
