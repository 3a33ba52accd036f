/// The tables every service has: the transactional outbox and the consumer inbox.
public enum PlatformMigrations {
    /// Number of outbox buckets: rows are spread over them by a hash of their key, and one relay
    /// at a time owns a bucket, which keeps per-key order across relay instances.
    public static let outboxBuckets = 32

    /// Platform migrations, applied before the service's own.
    public static let all: [Migration] = [
        Migration(
            component: "platform", version: 1, name: "outbox",
            statements: [
                """
                CREATE TABLE outbox (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    event_id uuid NOT NULL UNIQUE,
                    event_type text NOT NULL,
                    event_version integer NOT NULL,
                    producer text NOT NULL,
                    correlation_id uuid,
                    causation_id uuid,
                    topic text NOT NULL CHECK (topic <> ''),
                    key text NOT NULL CHECK (key <> ''),
                    bucket smallint GENERATED ALWAYS AS ((hashtextextended(key, 0) & 31)::smallint) STORED,
                    payload text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    published_at timestamptz,
                    attempts integer NOT NULL DEFAULT 0,
                    last_error text
                )
                """,
                "CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL",
                "CREATE INDEX outbox_pending_bucket ON outbox (bucket, id) WHERE published_at IS NULL",
                "CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL",
                "CREATE INDEX outbox_created_at ON outbox (created_at)",
            ]),
        Migration(
            component: "platform", version: 2, name: "inbox",
            statements: [
                """
                CREATE TABLE inbox (
                    consumer_group text NOT NULL,
                    event_id uuid NOT NULL,
                    event_type text,
                    source_topic text NOT NULL,
                    source_partition integer NOT NULL,
                    source_offset bigint NOT NULL,
                    status text NOT NULL CHECK (status IN ('applied', 'dead_lettered')),
                    reason text,
                    processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (consumer_group, event_id)
                )
                """,
                "CREATE INDEX inbox_processed_at ON inbox (processed_at)",
                "CREATE INDEX inbox_dead_lettered ON inbox (consumer_group, processed_at) WHERE status = 'dead_lettered'",
            ]),
        Migration(
            component: "platform", version: 3, name: "outbox autovacuum",
            statements: [
                // The outbox is a queue: every row is inserted, updated once and later deleted.
                // Vacuum it often so the pending-row indexes do not fill with dead entries.
                """
                ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                    autovacuum_analyze_scale_factor = 0.02)
                """,
            ]),
        Migration(
            component: "platform", version: 4, name: "outbox cursors",
            statements: [
                // Outbox rows become immutable: instead of marking each row published, the relay
                // keeps one cursor per bucket and moves it past what the broker acknowledged.
                //
                // publish_xid orders a bucket's rows. It is the appending transaction's id, or, when
                // larger, the first transaction id not yet completed at the moment the row is
                // inserted (outbox_publish_xid, below). The relay only reads rows whose publish_xid
                // is below its snapshot's xmin, so every transaction that could still add a row
                // before its cursor has finished: a transaction that commits late is never skipped.
                // The price: a long-running writing transaction anywhere in the cluster holds
                // publishing back until it ends (hall_outbox_held_back, hall_outbox_lag_seconds).
                //
                // Upgrade: ALTER TABLE takes the table's exclusive lock, so no old relay marks a row
                // while this runs. Published rows get publish_xid 1, pending rows 2, and every
                // bucket's cursor stands at (1, highest id): the pending rows — and nothing
                // published — are sent by the new relay. Rows appended later get real ids (≥ 3).
                "ALTER TABLE outbox ADD COLUMN publish_xid xid8 NOT NULL DEFAULT '1'",
                "UPDATE outbox SET publish_xid = '2' WHERE published_at IS NULL",
                // A VOLATILE plpgsql function evaluates each call with a fresh snapshot. So a row
                // inserted after another transaction committed (say after waiting for its lock, in
                // the same statement) orders after that transaction's rows, like the id order the
                // relay used before. (pg_current_snapshot() alone would give the statement's
                // snapshot, taken before the wait; pg_current_xact_id() alone would order a
                // transaction that had its id before the wait ahead of the one it waited for.)
                """
                CREATE FUNCTION outbox_publish_xid() RETURNS xid8 LANGUAGE plpgsql VOLATILE AS $$
                BEGIN
                    RETURN greatest(pg_current_xact_id(), pg_snapshot_xmax(pg_current_snapshot()));
                END
                $$
                """,
                "ALTER TABLE outbox ALTER COLUMN publish_xid SET DEFAULT outbox_publish_xid()",
                // Republishing appends copies (same event id) that point at the original row.
                "ALTER TABLE outbox ADD COLUMN republish_of bigint",
                "ALTER TABLE outbox DROP CONSTRAINT outbox_event_id_key",
                "CREATE UNIQUE INDEX outbox_event_id ON outbox (event_id) WHERE republish_of IS NULL",
                """
                CREATE TABLE outbox_cursor (
                    bucket smallint PRIMARY KEY CHECK (bucket >= 0 AND bucket < 32),
                    last_xid xid8 NOT NULL,
                    last_id bigint NOT NULL,
                    advanced_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    failures integer NOT NULL DEFAULT 0,
                    last_error text
                )
                """,
                """
                INSERT INTO outbox_cursor (bucket, last_xid, last_id)
                SELECT b, '1', (SELECT coalesce(max(id), 0) FROM outbox) FROM generate_series(0, 31) AS b
                """,
                "DROP INDEX outbox_pending",
                "DROP INDEX outbox_pending_bucket",
                "DROP INDEX outbox_published_at",
                "ALTER TABLE outbox DROP COLUMN published_at, DROP COLUMN attempts, DROP COLUMN last_error",
                "CREATE INDEX outbox_position ON outbox (bucket, publish_xid, id)",
                // The rows the relay has not yet sent, for operators, gauges and tests.
                """
                CREATE VIEW outbox_pending AS
                SELECT o.* FROM outbox_cursor AS c
                CROSS JOIN LATERAL (
                    SELECT * FROM outbox
                    WHERE outbox.bucket = c.bucket AND (outbox.publish_xid, outbox.id) > (c.last_xid, c.last_id)
                ) AS o
                """,
            ]),
        Migration(
            component: "platform", version: 5, name: "outbox horizon of the last writer",
            statements: [
                // Version 4 took the snapshot's xmax (the first transaction id not yet completed)
                // when it was above the appending transaction's own id. When no transaction took an
                // id after that one — a quiet database after its last write — the row waited at
                // the horizon until some unrelated transaction took an id, which could be the next
                // morning. The ordering needs only the last *completed* transaction id (xmax − 1):
                // a row inserted after another transaction committed still orders at or after that
                // transaction's rows (ties go by id, drawn later), and once the appending
                // transaction ends and none older runs, its rows are below every new snapshot's xmin.
                """
                CREATE OR REPLACE FUNCTION outbox_publish_xid() RETURNS xid8 LANGUAGE plpgsql VOLATILE AS $$
                BEGIN
                    RETURN greatest(pg_current_xact_id(), (pg_snapshot_xmax(pg_current_snapshot())::text::bigint - 1)::text::xid8);
                END
                $$
                """,
                // Topics the service found missing on the broker and recreated; the one instance
                // that records a loss republishes what the broker lost (see TopicKeeper).
                """
                CREATE TABLE outbox_topic_loss (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    topic text NOT NULL,
                    detected_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    detected_by text NOT NULL,
                    republished integer NOT NULL
                )
                """,
            ]),
        Migration(
            component: "platform", version: 6, name: "offsets delivered per topic",
            statements: [
                // The highest offset the broker gave this service's deliveries, per topic and
                // partition, kept by TopicKeeper: an instance that starts after the broker lost
                // records (while no instance ran) sees a broker holding less than was delivered.
                """
                CREATE TABLE outbox_topic_offsets (
                    topic text NOT NULL,
                    partition integer NOT NULL,
                    highest bigint NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (topic, partition)
                )
                """,
            ]),
        Migration(
            component: "platform", version: 7, name: "outbox pending read bucket by bucket",
            statements: [
                // The planner flattened the view's lateral subquery into a hash join over the whole
                // outbox, published rows kept for retention included: after a busy hour the relay's
                // backlog gauge (every 5 s) read tens of thousands of rows to count none. `OFFSET 0`
                // keeps the subquery apart, so each bucket is one index range scan past its cursor.
                """
                CREATE OR REPLACE VIEW outbox_pending AS
                SELECT o.* FROM outbox_cursor AS c
                CROSS JOIN LATERAL (
                    SELECT * FROM outbox
                    WHERE outbox.bucket = c.bucket AND (outbox.publish_xid, outbox.id) > (c.last_xid, c.last_id)
                    OFFSET 0
                ) AS o
                """,
            ]),
    ]
}

