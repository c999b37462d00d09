-- Issued periodic reports (issue 11): issuing freezes a report. The row records who issued it,
-- for which unit and period, the event-log position and the instant it was computed at, and
-- each rendered file with its SHA-256, so that the report can be reproduced and served byte
-- for byte later, whatever corrections follow. Append-only, like the event log.
CREATE TABLE issued_reports
(
    id                 uuid PRIMARY KEY,
    template_id        text        NOT NULL,
    unit_code          text        NOT NULL,
    -- The unit's path key (" /VN/12/ "), so that a supervisor lists the reports of its units.
    unit_key           text        NOT NULL,
    period_id          text        NOT NULL,
    period_from        timestamptz NOT NULL,
    period_to          timestamptz NOT NULL,
    position_tx        bigint      NOT NULL,
    position_seq       bigint      NOT NULL,
    computed_at        timestamptz NOT NULL,
    issued_by          uuid        NOT NULL,
    issued_by_username text        NOT NULL,
    issued_by_unit     text        NOT NULL,
    issued_at          timestamptz NOT NULL,
    json_sha256        text        NOT NULL,
    csv_sha256         text        NOT NULL,
    xlsx_sha256        text        NOT NULL,
    json_file          bytea       NOT NULL,
    csv_file           bytea       NOT NULL,
    xlsx_file          bytea       NOT NULL
);

CREATE INDEX issued_reports_unit ON issued_reports (unit_key, issued_at);

CREATE FUNCTION issued_reports_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'issued reports are immutable: % refused', TG_OP;
END;
$$;

CREATE TRIGGER issued_reports_no_update BEFORE UPDATE OR DELETE ON issued_reports
    FOR EACH ROW EXECUTE FUNCTION issued_reports_are_immutable();
