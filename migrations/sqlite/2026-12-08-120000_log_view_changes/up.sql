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

DROP TRIGGER maintenances_scope_narrowed;
DROP TRIGGER incidents_scope_narrowed;
DROP TRIGGER maintenance_classifications_departed;
DROP TRIGGER incident_classifications_departed;
DROP TRIGGER maintenance_tenants_departed;
DROP TRIGGER incident_tenants_departed;
DROP TRIGGER tenants_moved;
DROP TRIGGER tenants_departed;
DROP TRIGGER offerings_departed;
DROP TRIGGER classifications_departed;
DROP TRIGGER services_departed;
DROP TRIGGER contacts_departed;
DROP TRIGGER accounts_moved;
DROP TRIGGER accounts_departed;
DROP TABLE data_departures;

CREATE INDEX incident_classifications_classification_idx ON incident_classifications (classification_id);

-- What each event's scope names: its whole service, a classification of it, or a tenant (an
-- incident also keeps the tenants it recovered before its scope narrowed away from them).
CREATE VIEW event_keys (event_table, event_id, service_id, key_kind, key_id) AS
    SELECT 'incidents', id, service_id, 'service', 0 FROM incidents WHERE scope_kind = 'service'
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
    SELECT 'maintenances', id, service_id, 'service', 0 FROM maintenances WHERE scope_kind = 'service'
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

-- Insert (table_name, row_id, account_id, partner_id) here to log that the object's view changed
-- for that account and partner: each row gets its own version. A row with neither is dropped
-- (nobody's view); one with only a partner names it as the account.
CREATE VIEW log_views (table_name, row_id, account_id, partner_id) AS
    SELECT table_name, row_id, account_id, partner_id FROM data_changes WHERE 0;
CREATE TRIGGER log_views_insert INSTEAD OF INSERT ON log_views
WHEN NEW.account_id IS NOT NULL OR NEW.partner_id IS NOT NULL BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id, account_id, partner_id)
        VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'view:' || NEW.table_name, NEW.row_id,
                COALESCE(NEW.account_id, NEW.partner_id), CASE WHEN NEW.account_id IS NULL THEN NULL ELSE NEW.partner_id END);
END;

-- Deletions every caller saw (services and classifications are everyone's).
CREATE TRIGGER services_viewed AFTER DELETE ON services BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'view:services', OLD.id);
END;
CREATE TRIGGER classifications_viewed AFTER DELETE ON classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'view:classifications', OLD.id);
END;

CREATE TRIGGER contacts_viewed AFTER DELETE ON contacts BEGIN
    INSERT INTO log_views VALUES ('contacts', OLD.id, OLD.account_id, NULL);
END;

-- An account deleted leaves its own and its partner's view. A customer changing partner leaves
-- the old partner's view with its tenants; the events reaching its tenants change for both
-- partners; its tenants are logged again so the new partner's feed lists them.
CREATE TRIGGER accounts_viewed AFTER DELETE ON accounts BEGIN
    INSERT INTO log_views VALUES ('accounts', OLD.id, OLD.id, OLD.managing_partner_id);
END;
CREATE TRIGGER accounts_moved AFTER UPDATE OF managing_partner_id ON accounts
WHEN OLD.managing_partner_id IS NOT NEW.managing_partner_id BEGIN
    INSERT INTO log_views VALUES ('accounts', OLD.id, OLD.managing_partner_id, NULL);
    INSERT INTO log_views SELECT 'tenants', id, OLD.managing_partner_id, NULL FROM tenants WHERE account_id = OLD.id;
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, OLD.managing_partner_id, NEW.managing_partner_id
        FROM event_reach
        WHERE account_id = OLD.id AND service_id IN (SELECT service_id FROM tenants WHERE account_id = OLD.id);
    UPDATE tenants SET updated_at = updated_at WHERE account_id = OLD.id;
END;

-- A tenant written: the events that reached it change (or leave) for its old owner and partner,
-- those that reach it now change (or arrive) for the new ones; moved away or deleted, it leaves
-- the old owner's and partner's view.
CREATE TRIGGER tenants_inserted_viewed AFTER INSERT ON tenants BEGIN
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, NEW.account_id, (SELECT managing_partner_id FROM accounts WHERE id = NEW.account_id)
        FROM event_keys
        WHERE service_id = NEW.service_id
          AND (key_kind = 'service' OR (key_kind = 'class' AND key_id = NEW.classification_id)
               OR (key_kind = 'tenant' AND key_id = NEW.id));
END;
CREATE TRIGGER tenants_updated_viewed AFTER UPDATE OF name, account_id, classification_id ON tenants BEGIN
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, OLD.account_id, (SELECT managing_partner_id FROM accounts WHERE id = OLD.account_id)
        FROM event_keys
        WHERE (OLD.account_id <> NEW.account_id OR OLD.classification_id <> NEW.classification_id)
          AND service_id = OLD.service_id
          AND (key_kind = 'service' OR (key_kind = 'class' AND key_id = OLD.classification_id)
               OR (key_kind = 'tenant' AND key_id = OLD.id));
    INSERT INTO log_views
        SELECT 'tenants', OLD.id, OLD.account_id, (SELECT managing_partner_id FROM accounts WHERE id = OLD.account_id)
        WHERE OLD.account_id <> NEW.account_id;
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, NEW.account_id, (SELECT managing_partner_id FROM accounts WHERE id = NEW.account_id)
        FROM event_keys
        WHERE service_id = NEW.service_id
          AND (key_kind = 'service' OR (key_kind = 'class' AND key_id = NEW.classification_id)
               OR (key_kind = 'tenant' AND key_id = NEW.id));
END;
CREATE TRIGGER tenants_deleted_viewed AFTER DELETE ON tenants BEGIN
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, OLD.account_id, (SELECT managing_partner_id FROM accounts WHERE id = OLD.account_id)
        FROM event_keys
        WHERE service_id = OLD.service_id
          AND (key_kind = 'service' OR (key_kind = 'class' AND key_id = OLD.classification_id)
               OR (key_kind = 'tenant' AND key_id = OLD.id));
    INSERT INTO log_views
        SELECT 'tenants', OLD.id, OLD.account_id, (SELECT managing_partner_id FROM accounts WHERE id = OLD.account_id);
END;

-- A deleted tenant takes its recovery marks with it (by cascade): the incidents those marks
-- alone kept in its owner's view leave it. Read before the delete.
CREATE TRIGGER tenants_marks_viewed BEFORE DELETE ON tenants BEGIN
    INSERT INTO log_views
        SELECT 'incidents', s.incident_id, OLD.account_id, (SELECT managing_partner_id FROM accounts WHERE id = OLD.account_id)
        FROM incident_tenant_states s WHERE s.tenant_id = OLD.id AND s.state = 'recovered';
END;

-- An offering written: the events of its service that its account sees now show it (or no
-- longer do); deleted or given to another account, it leaves the old account's view.
CREATE TRIGGER offerings_inserted_viewed AFTER INSERT ON offerings BEGIN
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, NEW.account_id, NULL FROM event_reach
        WHERE service_id = NEW.service_id AND (account_id = NEW.account_id OR partner_id = NEW.account_id);
END;
CREATE TRIGGER offerings_updated_viewed AFTER UPDATE OF kind, account_id, service_id, name ON offerings BEGIN
    INSERT INTO log_views SELECT 'offerings', OLD.id, OLD.account_id, NULL WHERE OLD.account_id <> NEW.account_id;
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, OLD.account_id, NULL FROM event_reach
        WHERE (OLD.account_id <> NEW.account_id OR OLD.service_id <> NEW.service_id)
          AND service_id = OLD.service_id AND (account_id = OLD.account_id OR partner_id = OLD.account_id);
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, NEW.account_id, NULL FROM event_reach
        WHERE service_id = NEW.service_id AND (account_id = NEW.account_id OR partner_id = NEW.account_id);
END;
CREATE TRIGGER offerings_deleted_viewed AFTER DELETE ON offerings BEGIN
    INSERT INTO log_views VALUES ('offerings', OLD.id, OLD.account_id, NULL);
    INSERT INTO log_views
        SELECT DISTINCT event_table, event_id, OLD.account_id, NULL FROM event_reach
        WHERE service_id = OLD.service_id AND (account_id = OLD.account_id OR partner_id = OLD.account_id);
END;

-- An event's scope narrowed: it changes (or leaves) the view of every account the old scope
-- reached.
CREATE TRIGGER incident_tenants_viewed AFTER DELETE ON incident_tenants BEGIN
    INSERT INTO log_views
        SELECT 'incidents', OLD.incident_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.id = OLD.tenant_id;
END;
CREATE TRIGGER maintenance_tenants_viewed AFTER DELETE ON maintenance_tenants BEGIN
    INSERT INTO log_views
        SELECT 'maintenances', OLD.maintenance_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.id = OLD.tenant_id;
END;
CREATE TRIGGER incident_classifications_viewed AFTER DELETE ON incident_classifications BEGIN
    INSERT INTO log_views
        SELECT DISTINCT 'incidents', OLD.incident_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id
        WHERE t.classification_id = OLD.classification_id
          AND t.service_id = (SELECT service_id FROM incidents WHERE id = OLD.incident_id);
END;
CREATE TRIGGER maintenance_classifications_viewed AFTER DELETE ON maintenance_classifications BEGIN
    INSERT INTO log_views
        SELECT DISTINCT 'maintenances', OLD.maintenance_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id
        WHERE t.classification_id = OLD.classification_id
          AND t.service_id = (SELECT service_id FROM maintenances WHERE id = OLD.maintenance_id);
END;
CREATE TRIGGER incidents_scope_narrowed AFTER UPDATE OF scope_kind ON incidents
WHEN OLD.scope_kind = 'service' AND NEW.scope_kind <> 'service' BEGIN
    INSERT INTO log_views
        SELECT DISTINCT 'incidents', OLD.id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.service_id = OLD.service_id;
END;
CREATE TRIGGER maintenances_scope_narrowed AFTER UPDATE OF scope_kind ON maintenances
WHEN OLD.scope_kind = 'service' AND NEW.scope_kind <> 'service' BEGIN
    INSERT INTO log_views
        SELECT DISTINCT 'maintenances', OLD.id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.service_id = OLD.service_id;
END;

-- A recovered tenant's mark taken away: an incident whose scope no longer names it stops
-- reaching it.
CREATE TRIGGER incident_tenant_states_viewed AFTER DELETE ON incident_tenant_states
WHEN OLD.state = 'recovered' BEGIN
    INSERT INTO log_views
        SELECT 'incidents', OLD.incident_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.id = OLD.tenant_id;
END;

-- A classification's tier or region shows in the impacted label of the maintenance windows
-- scoped to it: they are logged again for everyone who sees them.
CREATE TRIGGER classifications_relabelled AFTER UPDATE ON classifications
WHEN OLD.tier IS NOT NEW.tier OR OLD.region IS NOT NEW.region BEGIN
    UPDATE maintenances SET updated_at = updated_at
    WHERE id IN (SELECT maintenance_id FROM maintenance_classifications WHERE classification_id = NEW.id);
END;
