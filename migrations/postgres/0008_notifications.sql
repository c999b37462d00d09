-- Alerts (issue 11, item 6). The notifier follows the event log like a projection, but is never
-- rebuilt or replayed (it would resend history): its checkpoint starts at the log head on its
-- first start and advances in the same transaction as the messages a batch produces. A message
-- carries a case number, a commune, a rule and a link — never a name or any free text.

-- Where the notifier stands in the event log, and the business instant of its first start
-- (the deadline sweep alerts no transition that happened before it).
CREATE TABLE notifier_checkpoints
(
    name       text PRIMARY KEY,
    tx         bigint      NOT NULL,
    seq        bigint      NOT NULL,
    since      timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- What the notifier knows of each case it has seen (no personal data): kept in the notifier's
-- own transaction, so that it never depends on a view's progress.
CREATE TABLE notifier_cases
(
    case_id       uuid PRIMARY KEY,
    case_number   text NOT NULL,
    incident_unit text NOT NULL,
    acting_unit   text NOT NULL,
    assigned_to   uuid
);

-- One message. `dedupe_key` makes every rule idempotent: an event's message is keyed by the
-- event, a deadline's by (case, deadline, due time, kind), so a repeated sweep or a second
-- instance inserts nothing twice.
CREATE TABLE notifications
(
    id          uuid PRIMARY KEY,
    dedupe_key  text        NOT NULL UNIQUE,
    kind        text        NOT NULL,
    case_id     uuid        NOT NULL,
    case_number text        NOT NULL,
    unit_code   text        NOT NULL,
    unit_name   text        NOT NULL,
    rule_id     text,
    due_at      timestamptz,
    -- The business instant the message is about (the step, or the deadline's transition).
    at          timestamptz NOT NULL,
    created_at  timestamptz NOT NULL
);

-- The in-app inbox: one row per recipient.
CREATE TABLE notification_recipients
(
    user_id         uuid        NOT NULL,
    notification_id uuid        NOT NULL REFERENCES notifications (id),
    read_at         timestamptz,
    PRIMARY KEY (user_id, notification_id)
);

CREATE INDEX notification_recipients_unread ON notification_recipients (user_id, notification_id)
    WHERE read_at IS NULL;

-- One delivery of a message to one configured webhook endpoint. Claimed with a lease (so two
-- instances never send the same delivery at once), retried with backoff, dead after the last
-- attempt. The message id is the receiver's idempotency key.
CREATE TABLE webhook_deliveries
(
    id              uuid PRIMARY KEY,
    notification_id uuid        NOT NULL REFERENCES notifications (id),
    endpoint        text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        bigint      NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_id        uuid,
    lease_until     timestamptz,
    last_status     bigint,
    last_error      text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    UNIQUE (notification_id, endpoint)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, id);
