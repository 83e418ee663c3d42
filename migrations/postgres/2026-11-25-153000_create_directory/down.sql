DROP TABLE offerings;
DROP TABLE tenants;
DROP TABLE classifications;
DROP TABLE services;
DROP TABLE contacts;
DROP TABLE accounts;
