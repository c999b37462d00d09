-- Where each projection stands in the event log: (tx_id, global_seq) of the last event it
-- applied, advanced in the same transaction as the read tables. The read tables themselves are
-- owned by the projections crate, versioned in code and rebuilt from the log when their version
-- changes (they hold nothing the log does not).
CREATE TABLE projection_checkpoints
(
    name       text PRIMARY KEY,
    version    integer     NOT NULL,
    tx         bigint      NOT NULL,
    seq        bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);
