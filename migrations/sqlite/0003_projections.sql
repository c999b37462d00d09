-- Where each projection stands in the event log (`event_log.position` of the last event it
-- applied), advanced in the same transaction as the read tables. The read tables are owned by
-- the projections crate, versioned in code and rebuilt from the log when their version changes.
CREATE TABLE projection_checkpoints
(
    name       text PRIMARY KEY,
    version    integer NOT NULL,
    tx         integer NOT NULL,
    seq        integer NOT NULL,
    updated_at text    NOT NULL
) STRICT;
