-- Issued periodic reports (issue 11). See migrations/postgres/0006.
CREATE TABLE issued_reports
(
    id                 blob PRIMARY KEY,
    template_id        text    NOT NULL,
    unit_code          text    NOT NULL,
    unit_key           text    NOT NULL,
    period_id          text    NOT NULL,
    period_from        text    NOT NULL,
    period_to          text    NOT NULL,
    position_tx        integer NOT NULL,
    position_seq       integer NOT NULL,
    computed_at        text    NOT NULL,
    issued_by          blob    NOT NULL,
    issued_by_username text    NOT NULL,
    issued_by_unit     text    NOT NULL,
    issued_at          text    NOT NULL,
    json_sha256        text    NOT NULL,
    csv_sha256         text    NOT NULL,
    xlsx_sha256        text    NOT NULL,
    json_file          blob    NOT NULL,
    csv_file           blob    NOT NULL,
    xlsx_file          blob    NOT NULL
) STRICT;

CREATE INDEX issued_reports_unit ON issued_reports (unit_key, issued_at);

CREATE TRIGGER issued_reports_no_update BEFORE UPDATE ON issued_reports
BEGIN
    SELECT RAISE(ABORT, 'issued reports are immutable');
END;

CREATE TRIGGER issued_reports_no_delete BEFORE DELETE ON issued_reports
BEGIN
    SELECT RAISE(ABORT, 'issued reports are immutable');
END;
