-- The change feed tells each caller about its own view, and all of it. Besides the row changes,
-- the log holds "view" rows (`table_name` 'view:<table>'): the object's rendering changed for
-- `account_id` and `partner_id` (both NULL: for everyone; only services and classifications
-- deleted). They are written where a change moves an object into, out of or inside somebody's
-- view without touching the object's own rows: a tenant created, moved, reclassified, renamed or
-- deleted (the incidents and maintenance windows reaching it, before and after, for the old and
-- the new owner and their partners), a customer changing partner (the account, its tenants and
-- the events reaching them, for both partners), an offering written (the events of its service
-- its account sees), an event's tenant, classification or whole-service scope narrowed (for the
-- accounts it reached), and every deletion (for those who saw it). Each view row has its own
-- version, so the feed tells a departed object as deleted once, at that version, and never again
-- for later edits. The read model ignores view rows. They replace `data_departures`.
ALTER TABLE data_changes ADD COLUMN account_id BIGINT;
ALTER TABLE data_changes ADD COLUMN partner_id BIGINT;

DROP FUNCTION slr_scope_departed() CASCADE;
DROP FUNCTION slr_departed() CASCADE;
DROP FUNCTION slr_tenant_departed(TEXT, BIGINT, BIGINT);
DROP TABLE data_departures;

CREATE INDEX incident_classifications_classification_idx ON incident_classifications (classification_id);

-- What each event's scope names: its whole service, a classification of it, or a tenant (an
-- incident also keeps the tenants it recovered before its scope narrowed away from them).
CREATE VIEW event_keys (event_table, event_id, service_id, key_kind, key_id) AS
    SELECT 'incidents', id, service_id, 'service', 0::BIGINT FROM incidents WHERE scope_kind = 'service'
    UNION ALL
    SELECT 'incidents', e.id, e.service_id, 'class', c.classification_id
    FROM incident_classifications c JOIN incidents e ON e.id = c.incident_id WHERE e.scope_kind = 'classifications'
    UNION ALL
    SELECT 'incidents', e.id, e.service_id, 'tenant', x.tenant_id
    FROM incident_tenants x JOIN incidents e ON e.id = x.incident_id WHERE e.scope_kind = 'tenants'
    UNION ALL
    SELECT 'incidents', e.id, e.service_id, 'tenant', s.tenant_id
    FROM incident_tenant_states s JOIN incidents e ON e.id = s.incident_id WHERE s.state = 'recovered'
    UNION ALL
    SELECT 'maintenances', id, service_id, 'service', 0::BIGINT FROM maintenances WHERE scope_kind = 'service'
    UNION ALL
    SELECT 'maintenances', e.id, e.service_id, 'class', c.classification_id
    FROM maintenance_classifications c JOIN maintenances e ON e.id = c.maintenance_id WHERE e.scope_kind = 'classifications'
    UNION ALL
    SELECT 'maintenances', e.id, e.service_id, 'tenant', x.tenant_id
    FROM maintenance_tenants x JOIN maintenances e ON e.id = x.maintenance_id WHERE e.scope_kind = 'tenants';

-- Which event reaches which tenant now, with the tenant's owner and the owner's partner.
CREATE VIEW event_reach (event_table, event_id, service_id, tenant_id, account_id, partner_id) AS
    SELECT k.event_table, k.event_id, k.service_id, t.id, t.account_id, a.managing_partner_id
    FROM event_keys k
    JOIN tenants t ON t.service_id = k.service_id
        AND (k.key_kind = 'service' OR (k.key_kind = 'class' AND k.key_id = t.classification_id)
             OR (k.key_kind = 'tenant' AND k.key_id = t.id))
    JOIN accounts a ON a.id = t.account_id;

-- One view change: the object (its table and id) and whose view changed.
CREATE TYPE slr_view AS (table_name TEXT, row_id BIGINT, account_id BIGINT, partner_id BIGINT);

-- Logs view changes, each with its own version, taking the counter once for all of them (one
-- UPDATE of the counter row per change would make a write reaching many events quadratic: each
-- update in one transaction walks the row's earlier versions). A change naming neither account
-- nor partner is nobody's and dropped; one naming only a partner names it as the account.
CREATE FUNCTION slr_log_views(views slr_view[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    base BIGINT;
    n BIGINT;
BEGIN
    SELECT count(*) INTO n FROM unnest(views) v WHERE v.account_id IS NOT NULL OR v.partner_id IS NOT NULL;
    IF n = 0 THEN
        RETURN;
    END IF;
    UPDATE change_counters SET value = value + n WHERE name = 'data' RETURNING value - n INTO base;
    INSERT INTO data_changes (version, table_name, row_id, account_id, partner_id)
        SELECT base + row_number() OVER (), 'view:' || v.table_name, v.row_id, COALESCE(v.account_id, v.partner_id),
               CASE WHEN v.account_id IS NULL THEN NULL ELSE v.partner_id END
        FROM unnest(views) v WHERE v.account_id IS NOT NULL OR v.partner_id IS NOT NULL;
END
$$;

-- A deletion every caller saw (services and classifications are everyone's).
CREATE FUNCTION slr_gone_for_everyone() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    version BIGINT;
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' RETURNING value INTO version;
    INSERT INTO data_changes (version, table_name, row_id) VALUES (version, 'view:' || TG_TABLE_NAME, OLD.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER services_viewed AFTER DELETE ON services FOR EACH ROW EXECUTE FUNCTION slr_gone_for_everyone();
CREATE TRIGGER classifications_viewed AFTER DELETE ON classifications FOR EACH ROW EXECUTE FUNCTION slr_gone_for_everyone();

CREATE FUNCTION slr_contact_viewed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM slr_log_views(ARRAY[ROW('contacts', OLD.id, OLD.account_id, NULL::BIGINT)::slr_view]);
    RETURN NULL;
END
$$;
CREATE TRIGGER contacts_viewed AFTER DELETE ON contacts FOR EACH ROW EXECUTE FUNCTION slr_contact_viewed();

-- An account deleted leaves its own and its partner's view. A customer changing partner leaves
-- the old partner's view with its tenants; the events reaching its tenants change for both
-- partners; its tenants are logged again so the new partner's feed lists them.
CREATE FUNCTION slr_account_viewed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM slr_log_views(ARRAY[ROW('accounts', OLD.id, OLD.id, OLD.managing_partner_id)::slr_view]);
        RETURN NULL;
    END IF;
    PERFORM slr_log_views(ARRAY[ROW('accounts', OLD.id, OLD.managing_partner_id, NULL::BIGINT)::slr_view]);
    PERFORM slr_log_views(ARRAY(
            SELECT ROW('tenants', id, OLD.managing_partner_id, NULL::BIGINT)::slr_view FROM tenants WHERE account_id = OLD.id));
    PERFORM slr_log_views(ARRAY(
            SELECT DISTINCT ROW(event_table, event_id, OLD.managing_partner_id, NEW.managing_partner_id)::slr_view
            FROM event_reach
            WHERE account_id = OLD.id AND service_id IN (SELECT service_id FROM tenants WHERE account_id = OLD.id)));
    UPDATE tenants SET updated_at = updated_at WHERE account_id = OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_viewed AFTER DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION slr_account_viewed();
CREATE TRIGGER accounts_moved AFTER UPDATE OF managing_partner_id ON accounts FOR EACH ROW
    WHEN (OLD.managing_partner_id IS DISTINCT FROM NEW.managing_partner_id) EXECUTE FUNCTION slr_account_viewed();

-- A tenant written: the events that reached it change (or leave) for its old owner and partner,
-- those that reach it now change (or arrive) for the new ones; moved away or deleted, it leaves
-- the old owner's and partner's view.
CREATE FUNCTION slr_tenant_viewed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    partner BIGINT;
BEGIN
    IF TG_OP = 'DELETE' OR OLD.account_id <> NEW.account_id OR OLD.classification_id <> NEW.classification_id THEN
        SELECT managing_partner_id INTO partner FROM accounts WHERE id = OLD.account_id;
        PERFORM slr_log_views(ARRAY(
            SELECT DISTINCT ROW(event_table, event_id, OLD.account_id, partner)::slr_view FROM event_keys
            WHERE service_id = OLD.service_id
              AND (key_kind = 'service' OR (key_kind = 'class' AND key_id = OLD.classification_id)
                   OR (key_kind = 'tenant' AND key_id = OLD.id))));
        IF TG_OP = 'DELETE' OR OLD.account_id <> NEW.account_id THEN
            PERFORM slr_log_views(ARRAY[ROW('tenants', OLD.id, OLD.account_id, partner)::slr_view]);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        -- (From event_keys by service, not from event_reach by tenant: only the tenant's own
        -- service's events are read.)
        SELECT managing_partner_id INTO partner FROM accounts WHERE id = NEW.account_id;
        PERFORM slr_log_views(ARRAY(
            SELECT DISTINCT ROW(event_table, event_id, NEW.account_id, partner)::slr_view FROM event_keys
            WHERE service_id = NEW.service_id
              AND (key_kind = 'service' OR (key_kind = 'class' AND key_id = NEW.classification_id)
                   OR (key_kind = 'tenant' AND key_id = NEW.id))));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tenants_viewed AFTER INSERT OR DELETE OR UPDATE OF name, account_id, classification_id ON tenants
    FOR EACH ROW EXECUTE FUNCTION slr_tenant_viewed();

-- A deleted tenant takes its recovery marks with it (by cascade, before AFTER triggers run):
-- the incidents those marks alone kept in its owner's view leave it. Read before the delete.
CREATE FUNCTION slr_tenant_marks_viewed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM slr_log_views(ARRAY(
        SELECT ROW('incidents', s.incident_id, OLD.account_id, a.managing_partner_id)::slr_view
        FROM incident_tenant_states s JOIN accounts a ON a.id = OLD.account_id
        WHERE s.tenant_id = OLD.id AND s.state = 'recovered'));
    RETURN OLD;
END
$$;
CREATE TRIGGER tenants_marks_viewed BEFORE DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION slr_tenant_marks_viewed();

-- An offering written: the events of its service that its account sees now show it (or no
-- longer do); deleted or given to another account, it leaves the old account's view.
CREATE FUNCTION slr_offering_viewed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.account_id <> NEW.account_id OR OLD.service_id <> NEW.service_id THEN
        IF TG_OP = 'DELETE' OR OLD.account_id <> NEW.account_id THEN
            PERFORM slr_log_views(ARRAY[ROW('offerings', OLD.id, OLD.account_id, NULL::BIGINT)::slr_view]);
        END IF;
        PERFORM slr_log_views(ARRAY(
            SELECT DISTINCT ROW(event_table, event_id, OLD.account_id, NULL::BIGINT)::slr_view FROM event_reach
            WHERE service_id = OLD.service_id AND (account_id = OLD.account_id OR partner_id = OLD.account_id)));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM slr_log_views(ARRAY(
            SELECT DISTINCT ROW(event_table, event_id, NEW.account_id, NULL::BIGINT)::slr_view FROM event_reach
            WHERE service_id = NEW.service_id AND (account_id = NEW.account_id OR partner_id = NEW.account_id)));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER offerings_viewed AFTER INSERT OR DELETE OR UPDATE OF kind, account_id, service_id, name ON offerings
    FOR EACH ROW EXECUTE FUNCTION slr_offering_viewed();

-- An event's scope narrowed: it changes (or leaves) the view of every account the old scope
-- reached. TG_ARGV[0]: the event table.
CREATE FUNCTION slr_event_scope_viewed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event BIGINT;
    service BIGINT;
BEGIN
    IF TG_TABLE_NAME IN ('incidents', 'maintenances') THEN
        PERFORM slr_log_views(ARRAY(
            SELECT DISTINCT ROW(TG_ARGV[0], OLD.id, t.account_id, a.managing_partner_id)::slr_view
            FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.service_id = OLD.service_id));
        RETURN NULL;
    END IF;
    event := (to_jsonb(OLD) ->> (CASE TG_ARGV[0] WHEN 'incidents' THEN 'incident_id' ELSE 'maintenance_id' END))::BIGINT;
    IF TG_TABLE_NAME IN ('incident_tenants', 'maintenance_tenants') THEN
        PERFORM slr_log_views(ARRAY(
            SELECT ROW(TG_ARGV[0], event, t.account_id, a.managing_partner_id)::slr_view
            FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.id = OLD.tenant_id));
    ELSE
        EXECUTE format('SELECT service_id FROM %I WHERE id = $1', TG_ARGV[0]) INTO service USING event;
        PERFORM slr_log_views(ARRAY(
            SELECT DISTINCT ROW(TG_ARGV[0], event, t.account_id, a.managing_partner_id)::slr_view
            FROM tenants t JOIN accounts a ON a.id = t.account_id
            WHERE t.classification_id = OLD.classification_id AND t.service_id = service));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_tenants_viewed AFTER DELETE ON incident_tenants FOR EACH ROW EXECUTE FUNCTION slr_event_scope_viewed('incidents');
CREATE TRIGGER maintenance_tenants_viewed AFTER DELETE ON maintenance_tenants FOR EACH ROW EXECUTE FUNCTION slr_event_scope_viewed('maintenances');
CREATE TRIGGER incident_classifications_viewed AFTER DELETE ON incident_classifications FOR EACH ROW EXECUTE FUNCTION slr_event_scope_viewed('incidents');
CREATE TRIGGER maintenance_classifications_viewed AFTER DELETE ON maintenance_classifications FOR EACH ROW EXECUTE FUNCTION slr_event_scope_viewed('maintenances');
CREATE TRIGGER incidents_scope_narrowed AFTER UPDATE OF scope_kind ON incidents FOR EACH ROW
    WHEN (OLD.scope_kind = 'service' AND NEW.scope_kind <> 'service') EXECUTE FUNCTION slr_event_scope_viewed('incidents');
CREATE TRIGGER maintenances_scope_narrowed AFTER UPDATE OF scope_kind ON maintenances FOR EACH ROW
    WHEN (OLD.scope_kind = 'service' AND NEW.scope_kind <> 'service') EXECUTE FUNCTION slr_event_scope_viewed('maintenances');


-- A recovered tenant's mark taken away: an incident whose scope no longer names it stops
-- reaching it.
CREATE FUNCTION slr_mark_viewed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM slr_log_views(ARRAY(
            SELECT ROW('incidents', OLD.incident_id, t.account_id, a.managing_partner_id)::slr_view
            FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.id = OLD.tenant_id));
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_tenant_states_viewed AFTER DELETE ON incident_tenant_states FOR EACH ROW
    WHEN (OLD.state = 'recovered') EXECUTE FUNCTION slr_mark_viewed();

-- A classification's tier or region shows in the impacted label of the maintenance windows
-- scoped to it: they are logged again for everyone who sees them.
CREATE FUNCTION slr_classification_relabelled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE maintenances SET updated_at = updated_at
    WHERE id IN (SELECT maintenance_id FROM maintenance_classifications WHERE classification_id = NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER classifications_relabelled AFTER UPDATE ON classifications FOR EACH ROW
    WHEN (OLD.tier IS DISTINCT FROM NEW.tier OR OLD.region IS DISTINCT FROM NEW.region)
    EXECUTE FUNCTION slr_classification_relabelled();
