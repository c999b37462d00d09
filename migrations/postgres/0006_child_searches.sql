-- Searches for a child before a report is taken (issue 12). One row per search: who searched,
-- in which role and unit, when, how many candidates were found and how many of them the caller
-- was shown the child's data for. No name, date or other personal data of the searched child is
-- kept here; each case whose child was shown also gets a row in its case_access_log.
CREATE TABLE child_searches
(
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    user_id    uuid        NOT NULL,
    role       text        NOT NULL,
    unit_code  text        NOT NULL,
    request_id text        NOT NULL,
    found      integer     NOT NULL,
    shown      integer     NOT NULL
);

CREATE INDEX child_searches_user ON child_searches (user_id, id);
