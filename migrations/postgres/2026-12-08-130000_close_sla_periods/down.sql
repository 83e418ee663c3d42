DROP TABLE statement_keys;
DROP TABLE statements;
DROP TABLE statement_periods;
DROP TABLE credit_policies;
