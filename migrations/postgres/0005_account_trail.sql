-- Separation of duties and the account trail (issue 9).

-- A password an admin set (on creation or as a reset) is a one-time password: until the user
-- replaces it, the account can do nothing but change it.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- The account trail: every account change, append-only like the event log. `target_units`
-- holds the units of the account's grants (before and after the change) with their ancestors,
-- space-separated and padded (" 03388 12 VN "), so that a supervisor's view of the trail is a
-- plain LIKE on its own unit. `details` never holds a password or a hash.
CREATE TABLE account_events
(
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL,
    actor_id          uuid,
    actor_username    text,
    request_id        text        NOT NULL,
    client_request_id text,
    kind              text        NOT NULL,
    target_id         uuid        NOT NULL,
    target_username   text        NOT NULL,
    target_units      text        NOT NULL,
    details           text        NOT NULL
);

CREATE INDEX account_events_target ON account_events (target_id, id);

CREATE FUNCTION account_events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'account events are immutable: % refused', TG_OP;
END;
$$;

CREATE TRIGGER account_events_no_update BEFORE UPDATE OR DELETE ON account_events
    FOR EACH ROW EXECUTE FUNCTION account_events_are_immutable();

-- Login attempts per account and per address, in a fixed window, shared by every instance:
-- an attempt is counted (upsert) before its password is checked.
CREATE TABLE login_attempts
(
    key          text PRIMARY KEY,
    window_start bigint  NOT NULL,
    attempts     integer NOT NULL
);

-- Old windows are swept by their start.
CREATE INDEX login_attempts_window ON login_attempts (window_start);
