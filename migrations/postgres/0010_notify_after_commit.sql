-- The events_notify trigger ran NOTIFY inside every event commit. PostgreSQL holds a global
-- lock from a notifying transaction's pre-commit until after its WAL flush, so event commits
-- stopped sharing flushes (pgbench, 8 clients: 3,460 single-row inserts/s with the trigger,
-- 9,648 without; shared/spec/write-path-study.md §3). Other instances are now woken by a
-- rate-limited pg_notify the server sends after its commits, outside them; polling stays the
-- safety net.
DROP TRIGGER events_notify ON events;
DROP FUNCTION events_notify();
