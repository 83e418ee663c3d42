DROP FUNCTION slr_scope_departed() CASCADE;
