import HallKit

/// Migrations of schema `complaints`, after the platform's outbox and inbox.
enum ComplaintsMigrations {
    static let all: [Migration] = [
        DirectoryProjection.migration,
        Migration(
            component: "complaints", version: 1, name: "complaints, their steps and the reads of complainants' identity",
            statements: [
                """
                CREATE TABLE complaints (
                    complaint_id uuid PRIMARY KEY,
                    tracking_code text NOT NULL UNIQUE,
                    channel text NOT NULL CHECK (channel IN ('desk', 'online', 'discipline-room')),
                    recorded_by text,
                    category text NOT NULL,
                    queue text NOT NULL CHECK (queue IN ('centre', 'discipline')),
                    target_kind text NOT NULL CHECK (target_kind IN ('window', 'department', 'staff')),
                    target_id text NOT NULL,
                    target_name text NOT NULL,
                    -- The staff member complained about, or none: they never see their own open complaint.
                    target_staff_id text,
                    receipt_code text,
                    anonymous boolean NOT NULL,
                    complainant_name text,
                    complainant_contact text,
                    content text NOT NULL,
                    status text NOT NULL,
                    not_accepted_reason text,
                    finding text,
                    findings text,
                    reply text,
                    filed_at timestamptz NOT NULL,
                    updated_at timestamptz NOT NULL,
                    CHECK (anonymous OR (complainant_name IS NOT NULL AND complainant_contact IS NOT NULL))
                )
                """,
                "CREATE INDEX complaints_queue ON complaints (queue, status, filed_at)",
                // Every step, with who took it and when.
                """
                CREATE TABLE complaint_steps (
                    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
                    step text NOT NULL,
                    status_after text NOT NULL,
                    actor_id text NOT NULL,
                    detail text,
                    at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX complaint_steps_complaint ON complaint_steps (complaint_id, at)",
                // Every read of a complainant's name and contact: who, when, which complaint.
                """
                CREATE TABLE identity_reads (
                    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
                    reader_id text NOT NULL,
                    read_at timestamptz NOT NULL
                )
                """,
            ]),
        Migration(
            component: "complaints", version: 2, name: "the cases intake reports, to check a complaint's receipt code",
            statements: [
                // Every application intake answered with a receipt code: accepted, refused or sent
                // back with a correction notice (intake.application.* events).
                """
                CREATE TABLE cases (
                    receipt_code text PRIMARY KEY,
                    case_id text,
                    item_code text NOT NULL,
                    occurred_at timestamptz NOT NULL
                )
                """,
                "ALTER TABLE complaints ADD COLUMN case_id text",
                "CREATE INDEX identity_reads_read_at ON identity_reads (read_at DESC)",
            ]),
    ]
}
