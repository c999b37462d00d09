-- Separation of duties and the account trail (issue 9). See migrations/postgres/0005.

ALTER TABLE users ADD COLUMN must_change_password integer NOT NULL DEFAULT 0;

CREATE TABLE account_events
(
    id                integer PRIMARY KEY AUTOINCREMENT,
    at                text NOT NULL,
    actor_id          blob,
    actor_username    text,
    request_id        text NOT NULL,
    client_request_id text,
    kind              text NOT NULL,
    target_id         blob NOT NULL,
    target_username   text NOT NULL,
    target_units      text NOT NULL,
    details           text NOT NULL
) STRICT;

CREATE INDEX account_events_target ON account_events (target_id, id);

CREATE TRIGGER account_events_no_update BEFORE UPDATE ON account_events
BEGIN
    SELECT RAISE(ABORT, 'account events are immutable');
END;

CREATE TRIGGER account_events_no_delete BEFORE DELETE ON account_events
BEGIN
    SELECT RAISE(ABORT, 'account events are immutable');
END;

CREATE TABLE login_attempts
(
    key          text PRIMARY KEY,
    window_start integer NOT NULL,
    attempts     integer NOT NULL
) STRICT;

-- Old windows are swept by their start.
CREATE INDEX login_attempts_window ON login_attempts (window_start);
