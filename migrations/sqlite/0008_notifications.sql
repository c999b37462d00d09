-- Alerts (issue 11, item 6). See migrations/postgres/0008.
CREATE TABLE notifier_checkpoints
(
    name       text PRIMARY KEY,
    tx         integer NOT NULL,
    seq        integer NOT NULL,
    since      text    NOT NULL,
    updated_at text    NOT NULL
) STRICT;

CREATE TABLE notifier_cases
(
    case_id       blob PRIMARY KEY,
    case_number   text NOT NULL,
    incident_unit text NOT NULL,
    acting_unit   text NOT NULL,
    assigned_to   blob
) STRICT;

CREATE TABLE notifications
(
    id          blob PRIMARY KEY,
    dedupe_key  text NOT NULL UNIQUE,
    kind        text NOT NULL,
    case_id     blob NOT NULL,
    case_number text NOT NULL,
    unit_code   text NOT NULL,
    unit_name   text NOT NULL,
    rule_id     text,
    due_at      text,
    at          text NOT NULL,
    created_at  text NOT NULL
) STRICT;

CREATE TABLE notification_recipients
(
    user_id         blob NOT NULL,
    notification_id blob NOT NULL REFERENCES notifications (id),
    read_at         text,
    PRIMARY KEY (user_id, notification_id)
) STRICT;

CREATE INDEX notification_recipients_unread ON notification_recipients (user_id, notification_id)
    WHERE read_at IS NULL;

CREATE TABLE webhook_deliveries
(
    id              blob PRIMARY KEY,
    notification_id blob    NOT NULL REFERENCES notifications (id),
    endpoint        text    NOT NULL,
    status          text    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL,
    next_attempt_at text    NOT NULL,
    lease_id        blob,
    lease_until     text,
    last_status     integer,
    last_error      text,
    created_at      text    NOT NULL,
    updated_at      text    NOT NULL,
    delivered_at    text,
    UNIQUE (notification_id, endpoint)
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, id);
