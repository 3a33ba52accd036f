import HallKit

/// Migrations of schema `appraisal`, after the platform's outbox and inbox.
///
/// The figures are kept as facts, one row per fact an event reports (an answer at the window, a
/// case's acceptance and completion, a complaint's conclusion in force, a sanction), and counted
/// when asked: a fact is written once (its event id or its entity's id is the key; the inbox skips
/// a redelivered event), and a fact two events report is merged column by column whatever their
/// order, so a replay in any order gives the same rows.
enum AppraisalMigrations {
    static let all: [Migration] = [
        DirectoryProjection.migration,
        Migration(
            component: "appraisal", version: 1, name: "the facts the figures are counted from",
            statements: [
                // Each application answered at the window: accepted, refused or sent back with a correction notice.
                """
                CREATE TABLE desk_outcomes (
                    event_id uuid PRIMARY KEY,
                    outcome text NOT NULL CHECK (outcome IN ('accepted', 'refused', 'correction-notified')),
                    receipt_code text NOT NULL,
                    item_code text NOT NULL,
                    -- The lead department when the event names it (an acceptance); otherwise the item's, when counted.
                    department_id text,
                    staff_id text NOT NULL,
                    window_id text,
                    day date NOT NULL
                )
                """,
                "CREATE INDEX desk_outcomes_day ON desk_outcomes (day)",
                // Each accepted case: who accepted it (intake.application.accepted) and how it ended
                // (coordinator.case.completed), whichever arrives first.
                """
                CREATE TABLE case_facts (
                    case_id text PRIMARY KEY,
                    receipt_code text NOT NULL,
                    item_code text NOT NULL,
                    department_id text NOT NULL,
                    staff_id text,
                    window_id text,
                    accepted_at timestamptz NOT NULL,
                    completed_at timestamptz,
                    completed_day date,
                    outcome text,
                    on_time boolean,
                    handling_days integer CHECK (handling_days >= 0),
                    CHECK ((completed_at IS NULL) = (completed_day IS NULL))
                )
                """,
                "CREATE INDEX case_facts_completed_day ON case_facts (completed_day) WHERE completed_day IS NOT NULL",
                // The catalogue's items and their lead departments (the latest version), for refusals and corrections.
                """
                CREATE TABLE items (
                    item_code text PRIMARY KEY,
                    version integer NOT NULL,
                    name text NOT NULL,
                    lead_department_id text NOT NULL
                )
                """,
                // Each complaint's conclusion in force (a review's replaces the first).
                """
                CREATE TABLE complaint_facts (
                    complaint_id uuid PRIMARY KEY,
                    target_kind text NOT NULL CHECK (target_kind IN ('window', 'department', 'staff')),
                    target_id text NOT NULL,
                    finding text NOT NULL,
                    concluded_at timestamptz NOT NULL,
                    day date NOT NULL
                )
                """,
                "CREATE INDEX complaint_facts_day ON complaint_facts (day)",
                """
                CREATE TABLE sanction_facts (
                    sanction_id uuid PRIMARY KEY,
                    kind text NOT NULL,
                    subject_kind text NOT NULL CHECK (subject_kind IN ('staff', 'department')),
                    subject_id text NOT NULL,
                    department_id text NOT NULL,
                    day date NOT NULL
                )
                """,
                "CREATE INDEX sanction_facts_day ON sanction_facts (day)",
            ]),
        Migration(
            component: "appraisal", version: 2, name: "ratings, their appeals and strikes, and the rectification of bad ones",
            statements: [
                // The applicant's check from the acceptance, to check a rater.
                "ALTER TABLE case_facts ADD COLUMN applicant_check text",
                // One rating per case (一事一评); the identity number is never stored.
                """
                CREATE TABLE ratings (
                    rating_id uuid PRIMARY KEY,
                    case_id text NOT NULL UNIQUE,
                    receipt_code text NOT NULL,
                    level text NOT NULL CHECK (level IN ('very-satisfied', 'satisfied', 'basically-satisfied', 'dissatisfied', 'very-dissatisfied')),
                    comment text,
                    channel text NOT NULL CHECK (channel IN ('window-device', 'online', 'sms')),
                    -- The client that submitted it (the rating integrity check), and whether the check held it back.
                    client text NOT NULL,
                    suspect boolean NOT NULL DEFAULT false,
                    rated_at timestamptz NOT NULL,
                    day date NOT NULL,
                    appeal_reason text,
                    appealed_by text,
                    appealed_at timestamptz,
                    reviewed_by text,
                    reviewed_at timestamptz,
                    review_reason text,
                    struck boolean NOT NULL DEFAULT false,
                    CHECK (NOT struck OR review_reason IS NOT NULL)
                )
                """,
                "CREATE INDEX ratings_day ON ratings (day)",
                "CREATE INDEX ratings_client ON ratings (client, rated_at)",
                """
                CREATE TABLE rectifications (
                    rectification_id uuid PRIMARY KEY,
                    rating_id uuid NOT NULL UNIQUE REFERENCES ratings (rating_id),
                    case_id text NOT NULL,
                    receipt_code text NOT NULL,
                    department_id text NOT NULL,
                    step text NOT NULL,
                    due_step text,
                    due_date date,
                    overdue boolean NOT NULL DEFAULT false,
                    -- Whether every step was taken by its day.
                    late boolean NOT NULL DEFAULT false,
                    opened_at timestamptz NOT NULL,
                    done_at timestamptz,
                    done_day date
                )
                """,
                "CREATE INDEX rectifications_department ON rectifications (department_id, opened_at DESC)",
                """
                CREATE TABLE rectification_steps (
                    rectification_id uuid NOT NULL REFERENCES rectifications (rectification_id),
                    step text NOT NULL,
                    actor_id text NOT NULL,
                    note text,
                    at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX rectification_steps_rectification ON rectification_steps (rectification_id, at)",
                // The durable timer of the current step's deadline: overdue from the start of the day after.
                """
                CREATE TABLE rectification_timers (
                    rectification_id uuid PRIMARY KEY REFERENCES rectifications (rectification_id),
                    fire_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX rectification_timers_fire_at ON rectification_timers (fire_at)",
            ]),
        Migration(
            component: "appraisal", version: 3, name: "what the centre's statistics need: channels, due dates and their changes, the departments' tasks",
            statements: [
                "ALTER TABLE case_facts ADD COLUMN channel text",
                "ALTER TABLE case_facts ADD COLUMN due_date date",
                // Each change of a case's clock (coordinator.case.clock-changed): the latest sequence's due date is in force.
                """
                CREATE TABLE clock_changes (
                    case_id text NOT NULL,
                    sequence integer NOT NULL,
                    due_date_after date NOT NULL,
                    PRIMARY KEY (case_id, sequence)
                )
                """,
                // Each assignment of a task and each opinion on one, by event.
                """
                CREATE TABLE task_assignments (
                    event_id uuid PRIMARY KEY,
                    task_id text NOT NULL,
                    department_id text NOT NULL,
                    assigned_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX task_assignments_task ON task_assignments (task_id, assigned_at)",
                """
                CREATE TABLE task_opinions (
                    event_id uuid PRIMARY KEY,
                    task_id text NOT NULL,
                    department_id text NOT NULL,
                    recorded_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX task_opinions_recorded_at ON task_opinions (recorded_at)",
                "CREATE INDEX case_facts_open ON case_facts (due_date) WHERE completed_at IS NULL",
                "CREATE INDEX desk_outcomes_accepted_item ON desk_outcomes (item_code, day) WHERE outcome = 'accepted'",
            ]),
        Migration(
            component: "appraisal", version: 4, name: "the appraisal of window staff (Art 23-25): the centre's entries and the finalised results",
            statements: [
                "ALTER TABLE complaint_facts ADD COLUMN category text",
                """
                CREATE TABLE appraisal_entries (
                    staff_id text NOT NULL,
                    period text NOT NULL CHECK (period IN ('month', 'year')),
                    period_start date NOT NULL,
                    conduct float8 NOT NULL CHECK (conduct BETWEEN 0 AND 100),
                    skills float8 NOT NULL CHECK (skills BETWEEN 0 AND 100),
                    note text,
                    entered_by text NOT NULL,
                    entered_at timestamptz NOT NULL,
                    PRIMARY KEY (staff_id, period, period_start)
                )
                """,
                """
                CREATE TABLE appraisal_results (
                    staff_id text NOT NULL,
                    period text NOT NULL CHECK (period IN ('month', 'year')),
                    period_start date NOT NULL,
                    department_id text NOT NULL,
                    conduct float8 NOT NULL,
                    skills float8 NOT NULL,
                    efficiency float8 NOT NULL,
                    attitude float8 NOT NULL,
                    discipline float8 NOT NULL,
                    total float8 NOT NULL CHECK (total BETWEEN 0 AND 100),
                    grade text NOT NULL CHECK (grade IN ('excellent', 'competent', 'basically-competent', 'unfit')),
                    replacement_recommended boolean NOT NULL,
                    finalised_by text NOT NULL,
                    finalised_at timestamptz NOT NULL,
                    PRIMARY KEY (staff_id, period, period_start),
                    CHECK (replacement_recommended = (grade = 'unfit'))
                )
                """,
                "CREATE INDEX appraisal_results_department ON appraisal_results (department_id, period, period_start)",
            ]),
        Migration(
            component: "appraisal", version: 5, name: "complaints about rated cases: one follow-up with the rating's rectification",
            statements: [
                // Each complaint that names a case's receipt code, and where it stands.
                """
                CREATE TABLE complaint_links (
                    complaint_id uuid PRIMARY KEY,
                    receipt_code text NOT NULL,
                    category text NOT NULL,
                    status text NOT NULL,
                    finding text,
                    updated_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX complaint_links_receipt ON complaint_links (receipt_code)",
                "CREATE INDEX rectifications_receipt ON rectifications (receipt_code)",
            ]),
    ]
}
