import HallKit

/// Migrations of schema `complaints`, after the platform's outbox and inbox.
enum ComplaintsMigrations {
    static let all: [Migration] = DirectoryProjection.migrations + [
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
        Migration(
            component: "complaints", version: 3,
            name: "passing to departments, deadlines and their timers, sanctions, removal proposals, reviews and ratings",
            statements: [
                // What the sanction rules need of the target, as the directory knew it at filing.
                "ALTER TABLE complaints ADD COLUMN target_department_ids text[] NOT NULL DEFAULT '{}'",
                "ALTER TABLE complaints ADD COLUMN target_window_id text",
                "ALTER TABLE complaints ADD COLUMN referred_to text",
                "ALTER TABLE complaints ADD COLUMN referral_instructions text",
                "ALTER TABLE complaints ADD COLUMN identity_released boolean NOT NULL DEFAULT false",
                "ALTER TABLE complaints ADD COLUMN referred_at timestamptz",
                "ALTER TABLE complaints ADD COLUMN department_findings text",
                "ALTER TABLE complaints ADD COLUMN department_return_reason text",
                "ALTER TABLE complaints ADD COLUMN department_returned_at timestamptz",
                "ALTER TABLE complaints ADD COLUMN conclusion_due date",
                "ALTER TABLE complaints ADD COLUMN due_step text",
                "ALTER TABLE complaints ADD COLUMN due_date date",
                "ALTER TABLE complaints ADD COLUMN overdue boolean NOT NULL DEFAULT false",
                "ALTER TABLE complaints ADD COLUMN sanction_note text",
                "ALTER TABLE complaints ADD COLUMN concluded_at timestamptz",
                "ALTER TABLE complaints ADD COLUMN replied_at timestamptz",
                "ALTER TABLE complaints ADD COLUMN review_reason text",
                "ALTER TABLE complaints ADD COLUMN rating text",
                "ALTER TABLE complaints ADD COLUMN rating_comment text",
                """
                ALTER TABLE complaints ADD CONSTRAINT complaints_status CHECK (status IN
                    ('filed', 'not-accepted', 'investigating', 'referred', 'concluded', 'sanction-decided', 'replied', 'under-review', 'closed'))
                """,
                "ALTER TABLE complaints ADD CONSTRAINT complaints_referral CHECK (status <> 'referred' OR referred_to IS NOT NULL)",
                "CREATE INDEX complaints_referred_to ON complaints (referred_to, referred_at DESC) WHERE referred_to IS NOT NULL",
                "CREATE INDEX complaints_staff_substantiated ON complaints (target_staff_id, concluded_at) WHERE finding IN ('substantiated', 'partly-substantiated')",
                // A sanction rests on at least one complaint; a department gets only what Art 42 and 45 allow.
                """
                CREATE TABLE sanctions (
                    sanction_id uuid PRIMARY KEY,
                    kind text NOT NULL CHECK (kind IN ('correction-order', 'efficiency-warning', 'public-criticism', 'removal', 'referral-to-supervisory-organ')),
                    subject_kind text NOT NULL CHECK (subject_kind IN ('staff', 'department')),
                    subject_id text NOT NULL,
                    department_id text NOT NULL,
                    reason text NOT NULL,
                    complaint_ids uuid[] NOT NULL CHECK (cardinality(complaint_ids) >= 1),
                    decided_by text NOT NULL,
                    decided_at timestamptz NOT NULL,
                    CHECK (subject_kind = 'staff' OR kind IN ('correction-order', 'public-criticism', 'referral-to-supervisory-organ'))
                )
                """,
                "CREATE INDEX sanctions_subject ON sanctions (subject_id, decided_at DESC)",
                "CREATE INDEX sanctions_complaints ON sanctions USING gin (complaint_ids)",
                """
                CREATE TABLE removal_proposals (
                    proposal_id uuid PRIMARY KEY,
                    staff_id text NOT NULL,
                    staff_name text NOT NULL,
                    department_id text NOT NULL,
                    complaint_ids uuid[] NOT NULL CHECK (cardinality(complaint_ids) >= 2),
                    proposed_at timestamptz NOT NULL,
                    status text NOT NULL CHECK (status IN ('pending', 'removed', 'kept')),
                    decided_by text,
                    decided_at timestamptz,
                    reason text,
                    sanction_id uuid REFERENCES sanctions (sanction_id),
                    CHECK ((status = 'pending') = (decided_at IS NULL))
                )
                """,
                // One undecided proposal per staff member.
                "CREATE UNIQUE INDEX removal_proposals_pending ON removal_proposals (staff_id) WHERE status = 'pending'",
                // The durable timers of the current deadline: a warning and an overdue flag each.
                """
                CREATE TABLE complaint_timers (
                    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
                    flag text NOT NULL CHECK (flag IN ('warning', 'overdue')),
                    step text NOT NULL,
                    due_date date NOT NULL,
                    fire_at timestamptz NOT NULL,
                    PRIMARY KEY (complaint_id, flag)
                )
                """,
                "CREATE INDEX complaint_timers_fire_at ON complaint_timers (fire_at)",
                // Every flag raised, once per deadline.
                """
                CREATE TABLE complaint_flags (
                    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
                    step text NOT NULL,
                    flag text NOT NULL,
                    due_date date NOT NULL,
                    flagged_at timestamptz NOT NULL,
                    PRIMARY KEY (complaint_id, step, flag, due_date)
                )
                """,
            ]),
        Migration(
            component: "complaints", version: 4, name: "the handlers assigned to each complaint",
            statements: [
                // The first handler of the queue to act on a complaint is assigned; assigned handlers add others.
                "ALTER TABLE complaints ADD COLUMN handlers text[] NOT NULL DEFAULT '{}'",
            ]),
    ]
}
