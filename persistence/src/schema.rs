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

diesel::joinable!(contacts -> accounts (account_id));
diesel::joinable!(tenants -> accounts (account_id));
diesel::joinable!(tenants -> services (service_id));
diesel::joinable!(tenants -> classifications (classification_id));
diesel::joinable!(offerings -> services (service_id));
diesel::joinable!(offerings -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    contacts,
    services,
    classifications,
    tenants,
    offerings,
);
