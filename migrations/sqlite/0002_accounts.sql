CREATE TABLE units
(
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL,
    parent_code text REFERENCES units (code),
    valid_from  text NOT NULL,
    valid_to    text,
    CHECK ((code = 'VN') = (parent_code IS NULL))
) STRICT;

CREATE INDEX units_parent ON units (parent_code);

CREATE TABLE users
(
    id            blob PRIMARY KEY,
    username      text    NOT NULL UNIQUE,
    display_name  text    NOT NULL,
    password_hash text    NOT NULL,
    disabled      integer NOT NULL DEFAULT 0,
    created_at    text    NOT NULL,
    updated_at    text    NOT NULL
) STRICT;

CREATE TABLE user_grants
(
    user_id   blob NOT NULL REFERENCES users (id),
    role      text NOT NULL,
    unit_code text NOT NULL REFERENCES units (code),
    PRIMARY KEY (user_id, role, unit_code)
) STRICT;

CREATE TABLE sessions
(
    token_hash text PRIMARY KEY,
    user_id    blob NOT NULL REFERENCES users (id),
    created_at text NOT NULL,
    expires_at text NOT NULL
) STRICT;

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE case_numbers
(
    province text    NOT NULL,
    year     integer NOT NULL,
    last     integer NOT NULL,
    PRIMARY KEY (province, year)
) STRICT;

CREATE TABLE idempotency_keys
(
    user_id      blob NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status       integer,
    headers      text,
    body         blob,
    created_at   text NOT NULL,
    PRIMARY KEY (user_id, key)
) STRICT;

CREATE TABLE case_access_log
(
    id        integer PRIMARY KEY AUTOINCREMENT,
    case_id   blob NOT NULL,
    user_id   blob NOT NULL,
    role      text NOT NULL,
    unit_code text NOT NULL,
    view      text NOT NULL,
    at        text NOT NULL
) STRICT;

CREATE INDEX case_access_log_case ON case_access_log (case_id, id);
