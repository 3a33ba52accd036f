import HallKit

/// Migrations of schema `coordinator`, after the platform's outbox and inbox.
///
/// The database holds the invariants that matter when two instances act at once: one task per
/// department and case, one ledger entry per (case, sequence), one decision document per
/// (case, department), one fired alert per (case, subject, kind) — so a warning or escalation is
/// published exactly once whatever instance fires it.
enum CoordinatorMigrations {
    static let all: [Migration] = [
        // The seals' registered keys, against which every sealed document is checked.
        SealKeyProjection.migration,
        Migration(
            component: "coordinator", version: 1, name: "directory projections, cases, tasks, ledger, decisions, timers",
            statements: [
                """
                CREATE TABLE departments (
                    department_id text PRIMARY KEY,
                    name text NOT NULL,
                    active boolean NOT NULL,
                    chief_staff_id text,
                    substitute_staff_id text,
                    substitute_notice text,
                    substitute_from date,
                    substitute_to date,
                    occurred_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE windows (
                    window_id text PRIMARY KEY,
                    kind text NOT NULL,
                    department_ids text[] NOT NULL,
                    active boolean NOT NULL,
                    occurred_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE staff (
                    staff_id text PRIMARY KEY,
                    department_id text NOT NULL,
                    window_id text,
                    active boolean NOT NULL,
                    occurred_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE bundles (
                    bundle_id text PRIMARY KEY,
                    size integer NOT NULL CHECK (size >= 1),
                    completed_at timestamptz
                )
                """,
                """
                CREATE TABLE cases (
                    case_id text PRIMARY KEY,
                    receipt_code text NOT NULL,
                    notice_number text NOT NULL,
                    item_code text NOT NULL,
                    item_version integer NOT NULL,
                    item_name text NOT NULL,
                    kind text NOT NULL,
                    lead_department_id text NOT NULL,
                    department_ids text[] NOT NULL,
                    applicant_kind text NOT NULL,
                    applicant_name text NOT NULL,
                    materials jsonb NOT NULL,
                    accepted_at timestamptz NOT NULL,
                    promised_limit_days integer NOT NULL,
                    legal_limit_days integer NOT NULL,
                    not_counted text[] NOT NULL,
                    initial_due_date date NOT NULL,
                    due_date date NOT NULL,
                    due_date_provisional boolean NOT NULL,
                    state text NOT NULL CHECK (state IN ('in-progress', 'decided', 'completed')),
                    suspended_since timestamptz,
                    suspension_category text,
                    awaiting_supplement boolean NOT NULL DEFAULT false,
                    suspended_days integer NOT NULL DEFAULT 0,
                    extension_days integer NOT NULL DEFAULT 0,
                    ledger_sequence integer NOT NULL DEFAULT 1,
                    outcome text CHECK (outcome IN ('approved', 'denied')),
                    decided_at timestamptz,
                    seal_requested boolean NOT NULL DEFAULT false,
                    completed_at timestamptz,
                    on_time boolean,
                    bundle_id text REFERENCES bundles,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE UNIQUE INDEX cases_receipt ON cases (receipt_code)",
                "CREATE INDEX cases_bundle ON cases (bundle_id) WHERE bundle_id IS NOT NULL",
                """
                CREATE TABLE tasks (
                    task_id uuid PRIMARY KEY,
                    case_id text NOT NULL REFERENCES cases,
                    department_id text NOT NULL,
                    role text NOT NULL CHECK (role IN ('lead', 'participant')),
                    sub_deadline date NOT NULL,
                    state text NOT NULL CHECK (state IN ('open', 'opinion-given', 'countersigned', 'closed')),
                    round integer NOT NULL DEFAULT 1,
                    claimed_by text,
                    claimed_at timestamptz,
                    opinion text CHECK (opinion IN ('approve', 'deny', 'needs-supplement')),
                    reasons jsonb NOT NULL DEFAULT '[]',
                    supplements jsonb NOT NULL DEFAULT '[]',
                    officer_id text,
                    opinion_channel text,
                    opinion_at timestamptz,
                    countersigned_by text,
                    countersign_capacity text,
                    countersign_notice text,
                    countersigned_at timestamptz,
                    UNIQUE (case_id, department_id)
                )
                """,
                "CREATE INDEX tasks_department ON tasks (department_id, state)",
                """
                CREATE TABLE task_history (
                    task_id uuid NOT NULL REFERENCES tasks,
                    round integer NOT NULL,
                    opinion text NOT NULL,
                    reasons jsonb NOT NULL,
                    supplements jsonb NOT NULL,
                    officer_id text NOT NULL,
                    countersigned_by text,
                    recorded_at timestamptz NOT NULL,
                    PRIMARY KEY (task_id, round)
                )
                """,
                """
                CREATE TABLE ledger (
                    case_id text NOT NULL REFERENCES cases,
                    sequence integer NOT NULL,
                    change text NOT NULL CHECK (change IN ('initial', 'suspended', 'resumed', 'extended')),
                    category text,
                    due_date_before date,
                    due_date_after date NOT NULL,
                    working_days integer NOT NULL,
                    reason text NOT NULL,
                    reference text,
                    approved_by text,
                    department_id text,
                    actor_id text NOT NULL,
                    changed_at timestamptz NOT NULL,
                    PRIMARY KEY (case_id, sequence)
                )
                """,
                """
                CREATE TABLE decisions (
                    case_id text NOT NULL REFERENCES cases,
                    department_id text NOT NULL,
                    document_kind text NOT NULL,
                    document_text text NOT NULL,
                    document_hash text NOT NULL,
                    requested_by text NOT NULL,
                    window_id text NOT NULL,
                    imprint_id text,
                    sealed_at timestamptz,
                    seal_refusal text,
                    PRIMARY KEY (case_id, department_id)
                )
                """,
                """
                CREATE TABLE timers (
                    timer_id bigserial PRIMARY KEY,
                    case_id text NOT NULL,
                    subject text NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('warning', 'overdue')),
                    fire_at timestamptz NOT NULL,
                    UNIQUE (case_id, subject, kind)
                )
                """,
                "CREATE INDEX timers_due ON timers (fire_at)",
                """
                CREATE TABLE alerts (
                    case_id text NOT NULL,
                    subject text NOT NULL,
                    kind text NOT NULL,
                    department_id text NOT NULL,
                    escalated_to text,
                    due_date date NOT NULL,
                    scheduled_for timestamptz NOT NULL,
                    fired_at timestamptz NOT NULL,
                    PRIMARY KEY (case_id, subject, kind)
                )
                """,
                "CREATE INDEX alerts_fired ON alerts (fired_at)",
                """
                CREATE TABLE rejections (
                    rejection_id bigserial PRIMARY KEY,
                    command_id text NOT NULL,
                    command_type text NOT NULL,
                    department_id text NOT NULL,
                    task_id text,
                    case_id text,
                    reason text NOT NULL,
                    detail text NOT NULL,
                    rejected_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX rejections_department ON rejections (department_id, rejected_at)",
                """
                CREATE TABLE reviews (
                    review_id uuid PRIMARY KEY,
                    case_id text NOT NULL REFERENCES cases,
                    convened_by text NOT NULL,
                    meeting_at timestamptz NOT NULL,
                    place text NOT NULL,
                    department_ids text[] NOT NULL,
                    centre_attends boolean NOT NULL,
                    positions jsonb,
                    summary text,
                    recorded_by text,
                    recorded_at timestamptz
                )
                """,
            ]
        ),
        Migration(
            component: "coordinator", version: 2, name: "green channel",
            statements: [
                // A green-channel case (Art 40): its tasks go first in every queue; the centre's approval is kept.
                "ALTER TABLE cases ADD COLUMN priority boolean NOT NULL DEFAULT false",
                "ALTER TABLE cases ADD COLUMN green_channel jsonb",
                "ALTER TABLE cases ADD CONSTRAINT cases_green_channel_check CHECK (green_channel IS NULL OR priority)",
            ]
        ),
        Migration(
            component: "coordinator", version: 3, name: "the hall centre in the department projection",
            statements: [
                // `centre` of intake.directory.department-changed (false for events written before it existed).
                "ALTER TABLE departments ADD COLUMN centre boolean NOT NULL DEFAULT false"
            ]
        ),
        Migration(
            component: "coordinator", version: 4, name: "second escalation of a silent task to the centre",
            statements: [
                "ALTER TABLE timers DROP CONSTRAINT timers_kind_check",
                "ALTER TABLE timers ADD CONSTRAINT timers_kind_check CHECK (kind IN ('warning', 'overdue', 'silent'))",
            ]
        ),
        Migration(
            component: "coordinator", version: 5, name: "joint reviews convened by the centre, their conclusions on each department's task; recalculated due dates",
            statements: [
                // Art 28(5): the centre convenes; the lead's chief representative (or the substitute in
                // office) assists. Reviews convened before keep their convener and no assistant.
                "ALTER TABLE reviews ADD COLUMN assisted_by text",
                "ALTER TABLE tasks ADD COLUMN review_conclusions jsonb NOT NULL DEFAULT '[]'",
                // A new year's official calendar makes provisional due dates final (`recalculated`).
                "ALTER TABLE ledger DROP CONSTRAINT ledger_change_check",
                "ALTER TABLE ledger ADD CONSTRAINT ledger_change_check CHECK (change IN ('initial', 'suspended', 'resumed', 'extended', 'recalculated'))",
            ]
        ),
        Migration(
            component: "coordinator", version: 6, name: "decision numbers",
            statements: [
                // Each department's decisions are numbered <code>〔<year>〕<n>号, never twice within the year;
                // decisions made before carry none.
                DecisionNumbers.tables[0], DecisionNumbers.tables[1],
                "ALTER TABLE decisions ADD COLUMN decision_number text UNIQUE",
            ]
        ),
    ] + DirectoryProjection.migrations + [DepartmentSystemProjection.migration]
}
