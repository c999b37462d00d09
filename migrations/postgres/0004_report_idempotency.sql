-- A report sent with an Idempotency-Key whose answer was lost (the process died after the
-- commit) must not open its cases twice: the key travels in the events' metadata, and this
-- index finds the cases a key already opened.
CREATE INDEX events_report_idempotency ON events ((metadata ->> 'idempotency_key'))
    WHERE event_type = 'CaseReported';
