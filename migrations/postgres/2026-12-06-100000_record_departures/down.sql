DROP FUNCTION slr_departed() CASCADE;
DROP FUNCTION slr_tenant_departed(TEXT, BIGINT, BIGINT);
DROP INDEX data_changes_at_idx;
DROP TABLE data_departures;
DELETE FROM change_counters WHERE name = 'purged';
