-- The event log. sqlite-es reads and writes the first seven columns and relies on the
-- composite primary key (extended code 1555) to turn a race into a conflict.
CREATE TABLE events
(
    aggregate_type text                          NOT NULL,
    aggregate_id   text                          NOT NULL,
    sequence       integer CHECK (sequence >= 0) NOT NULL,
    event_type     text                          NOT NULL,
    event_version  text                          NOT NULL,
    payload        text                          NOT NULL,
    metadata       text                          NOT NULL,
    recorded_at    text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
) STRICT;

-- SQLite has one writer at a time, so a trigger-filled log with an autoincrement position
-- gives commit order directly: the projector follows `position`.
CREATE TABLE event_log
(
    position       integer PRIMARY KEY AUTOINCREMENT,
    aggregate_type text    NOT NULL,
    aggregate_id   text    NOT NULL,
    sequence       integer NOT NULL
) STRICT;

CREATE TRIGGER events_to_log AFTER INSERT ON events
BEGIN
    INSERT INTO event_log (aggregate_type, aggregate_id, sequence)
    VALUES (NEW.aggregate_type, NEW.aggregate_id, NEW.sequence);
END;

-- Events are immutable: corrections are new events.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are immutable');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are immutable');
END;
