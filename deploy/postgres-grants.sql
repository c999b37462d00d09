-- Least privilege for a production PostgreSQL (shared/spec/quality.md, Security).
--
-- Two roles, created once by the DBA (passwords and connection limits are the DBA's choice):
--
--   CREATE ROLE casebook_owner LOGIN PASSWORD '…';   -- owns the schema; runs `casebook migrate`
--   CREATE ROLE casebook_app   LOGIN PASSWORD '…';   -- runs `casebook serve`
--   CREATE DATABASE casebook OWNER casebook_owner;
--
-- Then, after every `casebook migrate` (run as casebook_owner), run this file as casebook_owner:
--
--   psql -v ON_ERROR_STOP=1 -f deploy/postgres-grants.sql postgres://casebook_owner@host/casebook
--
-- The service may append events and read them, never change or delete one: the event log and the
-- read audit and the account trail are append-only for it. (A trigger also refuses UPDATE and DELETE on events for
-- everyone, the owner included.) The read models are the service's own: it creates, fills,
-- rebuilds and swaps them, so it needs CREATE on the schema.

GRANT USAGE, CREATE ON SCHEMA public TO casebook_app;

GRANT SELECT, INSERT ON events TO casebook_app;
GRANT SELECT, INSERT ON case_access_log TO casebook_app;
-- The account trail is append-only like the event log.
GRANT SELECT, INSERT ON account_events TO casebook_app;
-- An issued report is frozen: the service records and reads it, never changes it.
GRANT SELECT, INSERT ON issued_reports TO casebook_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON users, user_grants, sessions, idempotency_keys, login_attempts TO casebook_app;
GRANT SELECT, INSERT, UPDATE ON case_numbers, projection_checkpoints, units TO casebook_app;
GRANT SELECT ON _sqlx_migrations TO casebook_app;
-- Alerts: a message is written once and never changed; its inbox rows are marked read, its
-- webhook deliveries claimed and marked; the notifier's checkpoint and case facts advance.
GRANT SELECT, INSERT ON notifications TO casebook_app;
GRANT SELECT, INSERT, UPDATE ON notification_recipients, webhook_deliveries, notifier_checkpoints, notifier_cases TO casebook_app;

-- Nothing else: no TRUNCATE, no REFERENCES, no TRIGGER, and no ownership of the event log.
REVOKE TRUNCATE ON events, case_access_log, account_events, issued_reports, notifications FROM casebook_app;
