import HallKit

/// Migrations of schema `appraisal`, after the platform's outbox and inbox.
///
/// The figures are kept as facts, one row per fact an event reports (an answer at the window, a
/// case's acceptance and completion, a complaint's conclusion in force, a sanction), and counted
/// when asked: a fact is written once (its event id or its entity's id is the key; the inbox skips
/// a redelivered event), and a fact two events report is merged column by column whatever their
/// order, so a replay in any order gives the same rows.
enum AppraisalMigrations {
    static let all: [Migration] = DirectoryProjection.migrations + [
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
        Migration(
            component: "appraisal", version: 6, name: "daily roll-ups of the facts, kept exact by marking each changed day for a recount",
            statements: [
                // The figures of one day, per dimension and key, recounted from the facts whenever a fact of the day changes:
                // `handling` maps handling days to cases; `rated_completed` counts the day's completions rated at all (for the unrated policy).
                """
                CREATE TABLE figure_days (
                    dimension text NOT NULL CHECK (dimension IN ('staff', 'window', 'department', 'item', 'channel')),
                    day date NOT NULL,
                    key text NOT NULL,
                    accepted integer NOT NULL DEFAULT 0,
                    refused integer NOT NULL DEFAULT 0,
                    corrections integer NOT NULL DEFAULT 0,
                    completed integer NOT NULL DEFAULT 0,
                    on_time integer NOT NULL DEFAULT 0,
                    handling jsonb NOT NULL DEFAULT '{}',
                    rated_completed integer NOT NULL DEFAULT 0,
                    substantiated integer NOT NULL DEFAULT 0,
                    sanctions integer NOT NULL DEFAULT 0,
                    r1 integer NOT NULL DEFAULT 0,
                    r2 integer NOT NULL DEFAULT 0,
                    r3 integer NOT NULL DEFAULT 0,
                    r4 integer NOT NULL DEFAULT 0,
                    r5 integer NOT NULL DEFAULT 0,
                    rectified integer NOT NULL DEFAULT 0,
                    rectified_on_time integer NOT NULL DEFAULT 0,
                    PRIMARY KEY (dimension, day, key)
                )
                """,
                // The departments' opinions of one day: how many, their hours after assignment in sum, and by whole hour (rounded up).
                """
                CREATE TABLE step_days (
                    day date NOT NULL,
                    department_id text NOT NULL,
                    opinions integer NOT NULL,
                    hours_sum float8 NOT NULL,
                    hours jsonb NOT NULL,
                    PRIMARY KEY (day, department_id)
                )
                """,
                // Days whose roll-ups are to be recounted: appended by the facts' triggers in the writing transaction, and
                // removed by the recount that read them, so a fact committed during a recount leaves its day marked.
                "CREATE TABLE figure_dirty (day date NOT NULL)",
                // Bundles (一件事): rated once as a whole, the rating recorded for each of its cases.
                "ALTER TABLE case_facts ADD COLUMN bundle_id text",
                "ALTER TABLE case_facts ADD COLUMN bundle_size integer",
                "CREATE INDEX case_facts_bundle ON case_facts (bundle_id) WHERE bundle_id IS NOT NULL",
                "ALTER TABLE ratings ADD COLUMN bundle_id text",
                "CREATE INDEX case_facts_accepted_day ON case_facts (((accepted_at AT TIME ZONE 'Asia/Shanghai')::date))",
                "CREATE INDEX task_opinions_day ON task_opinions (((recorded_at AT TIME ZONE 'Asia/Shanghai')::date))",
                "CREATE INDEX rectifications_done_day ON rectifications (done_day) WHERE done_day IS NOT NULL",
                "CREATE INDEX task_opinions_task ON task_opinions (task_id)",
                "CREATE INDEX desk_outcomes_unplaced_staff ON desk_outcomes (staff_id) WHERE window_id IS NULL",
                "CREATE INDEX desk_outcomes_unplaced_item ON desk_outcomes (item_code) WHERE department_id IS NULL",
                "CREATE INDEX rectifications_case ON rectifications (case_id)",
                """
                CREATE FUNCTION mark_figure_days() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
                BEGIN
                    IF TG_TABLE_NAME = 'desk_outcomes' THEN
                        INSERT INTO figure_dirty VALUES (NEW.day);
                    ELSIF TG_TABLE_NAME = 'case_facts' AND TG_OP = 'INSERT' THEN
                        -- The completion day and the acceptance day (channels); a new case has no rating yet.
                        INSERT INTO figure_dirty
                        SELECT d FROM (VALUES (NEW.completed_day), ((NEW.accepted_at AT TIME ZONE 'Asia/Shanghai')::date)) v(d) WHERE d IS NOT NULL;
                    ELSIF TG_TABLE_NAME = 'case_facts' THEN
                        IF (NEW.staff_id, NEW.window_id, NEW.department_id, NEW.item_code) IS DISTINCT FROM (OLD.staff_id, OLD.window_id, OLD.department_id, OLD.item_code) THEN
                            -- The case counts under other keys: its completion, rating and rectification days.
                            INSERT INTO figure_dirty
                            SELECT d FROM (VALUES (NEW.completed_day), (OLD.completed_day)) v(d) WHERE d IS NOT NULL
                            UNION SELECT r.day FROM ratings r WHERE r.case_id = NEW.case_id
                            UNION SELECT x.done_day FROM rectifications x WHERE x.case_id = NEW.case_id AND x.done_day IS NOT NULL;
                        ELSIF (NEW.completed_day, NEW.on_time, NEW.handling_days) IS DISTINCT FROM (OLD.completed_day, OLD.on_time, OLD.handling_days) THEN
                            INSERT INTO figure_dirty SELECT d FROM (VALUES (NEW.completed_day), (OLD.completed_day)) v(d) WHERE d IS NOT NULL;
                        END IF;
                        IF (NEW.channel, NEW.accepted_at) IS DISTINCT FROM (OLD.channel, OLD.accepted_at) THEN
                            INSERT INTO figure_dirty
                            VALUES ((NEW.accepted_at AT TIME ZONE 'Asia/Shanghai')::date), ((OLD.accepted_at AT TIME ZONE 'Asia/Shanghai')::date);
                        END IF;
                    ELSIF TG_TABLE_NAME = 'ratings' THEN
                        -- The rating's day, and its case's completion day (rated at all).
                        INSERT INTO figure_dirty SELECT NEW.day UNION SELECT c.completed_day FROM case_facts c WHERE c.case_id = NEW.case_id AND c.completed_day IS NOT NULL;
                    ELSIF TG_TABLE_NAME = 'rectifications' THEN
                        IF NEW.done_day IS NOT NULL THEN INSERT INTO figure_dirty VALUES (NEW.done_day); END IF;
                        IF TG_OP = 'UPDATE' AND OLD.done_day IS NOT NULL AND OLD.done_day IS DISTINCT FROM NEW.done_day THEN
                            INSERT INTO figure_dirty VALUES (OLD.done_day);
                        END IF;
                    ELSIF TG_TABLE_NAME IN ('complaint_facts', 'sanction_facts') THEN
                        INSERT INTO figure_dirty VALUES (NEW.day);
                        IF TG_OP = 'UPDATE' AND OLD.day <> NEW.day THEN INSERT INTO figure_dirty VALUES (OLD.day); END IF;
                    ELSIF TG_TABLE_NAME = 'task_opinions' THEN
                        INSERT INTO figure_dirty VALUES ((NEW.recorded_at AT TIME ZONE 'Asia/Shanghai')::date);
                    ELSIF TG_TABLE_NAME = 'task_assignments' THEN
                        INSERT INTO figure_dirty
                        SELECT DISTINCT (o.recorded_at AT TIME ZONE 'Asia/Shanghai')::date FROM task_opinions o WHERE o.task_id = NEW.task_id;
                    ELSIF TG_TABLE_NAME = 'staff' THEN
                        -- Answers without a window are counted at the staff member's window.
                        INSERT INTO figure_dirty SELECT DISTINCT d.day FROM desk_outcomes d WHERE d.staff_id = NEW.staff_id AND d.window_id IS NULL;
                    ELSIF TG_TABLE_NAME = 'items' THEN
                        -- Answers without a department are counted at the item's lead department.
                        INSERT INTO figure_dirty SELECT DISTINCT d.day FROM desk_outcomes d WHERE d.item_code = NEW.item_code AND d.department_id IS NULL;
                    END IF;
                    RETURN NULL;
                END
                $$
                """,
                "CREATE TRIGGER desk_outcomes_mark AFTER INSERT OR UPDATE ON desk_outcomes FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER case_facts_mark AFTER INSERT OR UPDATE ON case_facts FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER ratings_mark AFTER INSERT OR UPDATE ON ratings FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER rectifications_mark AFTER INSERT OR UPDATE ON rectifications FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER complaint_facts_mark AFTER INSERT OR UPDATE ON complaint_facts FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER sanction_facts_mark AFTER INSERT OR UPDATE ON sanction_facts FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER task_opinions_mark AFTER INSERT OR UPDATE ON task_opinions FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER task_assignments_mark AFTER INSERT OR UPDATE ON task_assignments FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER staff_mark AFTER INSERT OR UPDATE OF window_id ON staff FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                "CREATE TRIGGER items_mark AFTER INSERT OR UPDATE OF lead_department_id ON items FOR EACH ROW EXECUTE FUNCTION mark_figure_days()",
                // The facts already kept: every day of them is counted once at the first recount.
                """
                INSERT INTO figure_dirty
                SELECT day FROM desk_outcomes UNION SELECT completed_day FROM case_facts WHERE completed_day IS NOT NULL
                UNION SELECT (accepted_at AT TIME ZONE 'Asia/Shanghai')::date FROM case_facts UNION SELECT day FROM ratings
                UNION SELECT done_day FROM rectifications WHERE done_day IS NOT NULL UNION SELECT day FROM complaint_facts
                UNION SELECT day FROM sanction_facts UNION SELECT (recorded_at AT TIME ZONE 'Asia/Shanghai')::date FROM task_opinions
                """,
            ]),
        Migration(
            component: "appraisal", version: 7, name: "withdrawn items",
            statements: [
                // The day from which the latest version withdraws the item (Art 7); null while it is in the catalogue.
                "ALTER TABLE items ADD COLUMN withdrawn_from date"
            ]),
        Migration(
            component: "appraisal", version: 8, name: "the discipline room's input to staff appraisals",
            statements: [
                """
                CREATE TABLE discipline_inputs (
                    input_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    staff_id text NOT NULL,
                    period text NOT NULL CHECK (period IN ('month', 'year')),
                    period_start date NOT NULL,
                    note text NOT NULL CHECK (note <> ''),
                    conduct float8 CHECK (conduct BETWEEN 0 AND 100),
                    given_by text NOT NULL,
                    given_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX discipline_inputs_period ON discipline_inputs (period, period_start, staff_id)",
            ]),
    ]
}
