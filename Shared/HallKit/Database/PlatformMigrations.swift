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
    ]
}
