-- Administrative units: a tree of data (code, name, kind, parent), so that a re-organisation
-- is a data change. Units carry their validity because the map keeps changing.
CREATE TABLE units
(
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL,
    parent_code text REFERENCES units (code),
    valid_from  date NOT NULL,
    valid_to    date,
    CHECK ((code = 'VN') = (parent_code IS NULL))
);

CREATE INDEX units_parent ON units (parent_code);

CREATE TABLE users
(
    id            uuid PRIMARY KEY,
    username      text        NOT NULL UNIQUE,
    display_name  text        NOT NULL,
    password_hash text        NOT NULL,
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE user_grants
(
    user_id   uuid NOT NULL REFERENCES users (id),
    role      text NOT NULL,
    unit_code text NOT NULL REFERENCES units (code),
    PRIMARY KEY (user_id, role, unit_code)
);

-- Opaque bearer tokens are stored only as their SHA-256 hash.
CREATE TABLE sessions
(
    token_hash text PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

-- Human case numbers, sequential per province and year.
CREATE TABLE case_numbers
(
    province text    NOT NULL,
    year     integer NOT NULL,
    last     bigint  NOT NULL,
    PRIMARY KEY (province, year)
);

-- Idempotency-Key: the first answer to a (user, key), replayed for the same request.
CREATE TABLE idempotency_keys
(
    user_id      uuid        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status       integer,
    headers      text,
    body         bytea,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- The read audit: every successful read of a case, written before the answer is sent.
CREATE TABLE case_access_log
(
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id   uuid        NOT NULL,
    user_id   uuid        NOT NULL,
    role      text        NOT NULL,
    unit_code text        NOT NULL,
    view      text        NOT NULL,
    at        timestamptz NOT NULL
);

CREATE INDEX case_access_log_case ON case_access_log (case_id, id);
