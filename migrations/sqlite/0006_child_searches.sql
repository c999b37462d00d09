-- Searches for a child before a report is taken (issue 12). See migrations/postgres/0006.
CREATE TABLE child_searches
(
    id         integer PRIMARY KEY AUTOINCREMENT,
    at         text    NOT NULL,
    user_id    blob    NOT NULL,
    role       text    NOT NULL,
    unit_code  text    NOT NULL,
    request_id text    NOT NULL,
    found      integer NOT NULL,
    shown      integer NOT NULL
) STRICT;

CREATE INDEX child_searches_user ON child_searches (user_id, id);
