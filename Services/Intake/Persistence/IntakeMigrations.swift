import HallKit

/// Migrations of schema `intake`, after the platform's outbox and inbox.
enum IntakeMigrations {
    static let all: [Migration] = [
        // The seals' registered keys, against which every sealed document is checked.
        SealKeyProjection.migration,
        Migration(
            component: "intake", version: 1, name: "directory",
            statements: [
                """
                CREATE TABLE departments (
                    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
                    name text NOT NULL CHECK (name <> ''),
                    active boolean NOT NULL DEFAULT true,
                    chief_representative text,
                    substitute text,
                    substitute_notice text,
                    substitute_from date,
                    substitute_to date,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    CHECK ((substitute IS NULL) = (substitute_notice IS NULL)),
                    CHECK (substitute IS NULL OR (substitute_from IS NOT NULL AND substitute_to IS NOT NULL AND substitute_from <= substitute_to))
                )
                """,
                """
                CREATE TABLE windows (
                    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
                    name text NOT NULL CHECK (name <> ''),
                    kind text NOT NULL CHECK (kind IN ('comprehensive', 'department', 'discipline')),
                    department_ids text[] NOT NULL DEFAULT '{}',
                    active boolean NOT NULL DEFAULT true,
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE staff (
                    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
                    name text NOT NULL CHECK (name <> ''),
                    department_id text NOT NULL REFERENCES departments (id),
                    window_id text REFERENCES windows (id),
                    qualified boolean NOT NULL,
                    active boolean NOT NULL DEFAULT true,
                    immediate_items text[] NOT NULL DEFAULT '{}',
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE window_rotations (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    staff_id text NOT NULL REFERENCES staff (id),
                    from_window text REFERENCES windows (id),
                    to_window text REFERENCES windows (id),
                    filing_reference text NOT NULL CHECK (filing_reference <> ''),
                    recorded_by text NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "ALTER TABLE departments ADD FOREIGN KEY (chief_representative) REFERENCES staff (id) DEFERRABLE INITIALLY DEFERRED",
                "ALTER TABLE departments ADD FOREIGN KEY (substitute) REFERENCES staff (id) DEFERRABLE INITIALLY DEFERRED",
            ]),
        Migration(
            component: "intake", version: 2, name: "catalogue",
            statements: [
                """
                CREATE TABLE items (
                    code text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
                    version integer NOT NULL CHECK (version >= 1),
                    name text NOT NULL CHECK (name <> ''),
                    kind text NOT NULL CHECK (kind IN ('immediate', 'committed', 'joint')),
                    lead_department text NOT NULL REFERENCES departments (id),
                    participant_departments text[] NOT NULL DEFAULT '{}',
                    legal_limit_days integer NOT NULL CHECK (legal_limit_days >= 0),
                    promised_limit_days integer NOT NULL CHECK (promised_limit_days >= 0),
                    fee_cents bigint CHECK (fee_cents IS NULL OR fee_cents > 0),
                    fee_basis text,
                    not_counted text[] NOT NULL DEFAULT '{}',
                    delegated_to_centre boolean NOT NULL,
                    tolerated_gap_allowed boolean NOT NULL,
                    form_template text NOT NULL DEFAULT '',
                    guide jsonb NOT NULL,
                    effective_from date NOT NULL,
                    approval_reference text NOT NULL CHECK (approval_reference <> ''),
                    approved_by text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (code, version),
                    UNIQUE (code, effective_from),
                    CHECK (promised_limit_days <= legal_limit_days),
                    CHECK ((fee_cents IS NULL) = (fee_basis IS NULL)),
                    CHECK (kind <> 'joint' OR cardinality(participant_departments) >= 1)
                )
                """,
                """
                CREATE TABLE item_materials (
                    item_code text NOT NULL,
                    item_version integer NOT NULL,
                    material_id text NOT NULL,
                    name text NOT NULL,
                    form text NOT NULL CHECK (form IN ('original', 'copy', 'original-and-copy')),
                    copies integer NOT NULL CHECK (copies >= 1),
                    requirement text NOT NULL CHECK (requirement IN ('required', 'conditional')),
                    condition text,
                    tolerated_gap boolean NOT NULL DEFAULT false,
                    position integer NOT NULL,
                    PRIMARY KEY (item_code, item_version, material_id),
                    FOREIGN KEY (item_code, item_version) REFERENCES items (code, version),
                    CHECK ((requirement = 'conditional') = (condition IS NOT NULL))
                )
                """,
            ]),
        Migration(
            component: "intake", version: 3, name: "applications",
            statements: [
                """
                CREATE TABLE notice_counters (
                    year integer PRIMARY KEY,
                    last_number integer NOT NULL
                )
                """,
                """
                CREATE TABLE applications (
                    case_id uuid PRIMARY KEY,
                    receipt_code text NOT NULL UNIQUE,
                    idempotency_key text NOT NULL,
                    clerk_id text NOT NULL,
                    window_id text,
                    item_code text NOT NULL,
                    item_version integer,
                    department_id text,
                    applicant_kind text NOT NULL CHECK (applicant_kind IN ('person', 'organisation')),
                    applicant_name text NOT NULL,
                    applicant_id_number text NOT NULL,
                    applicant_contact text NOT NULL,
                    channel text NOT NULL CHECK (channel IN ('window', 'online')),
                    green_channel boolean NOT NULL,
                    status text NOT NULL CHECK (status IN ('refused', 'awaiting-correction', 'accepted')),
                    refusal_reason text,
                    competent_authority text,
                    notice_number text UNIQUE,
                    accepted_at timestamptz,
                    due_date date,
                    due_provisional boolean,
                    response jsonb NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (clerk_id, idempotency_key),
                    CHECK (status <> 'accepted' OR (notice_number IS NOT NULL AND accepted_at IS NOT NULL AND due_date IS NOT NULL)),
                    CHECK (status <> 'refused' OR (refusal_reason IS NOT NULL AND competent_authority IS NOT NULL))
                )
                """,
                "CREATE INDEX applications_item ON applications (item_code, created_at)",
                """
                CREATE TABLE corrections (
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    material_id text NOT NULL,
                    problem text NOT NULL CHECK (problem IN ('missing', 'wrong-form', 'too-few-copies', 'not-in-legal-form')),
                    needed text NOT NULL,
                    resolved_at timestamptz,
                    PRIMARY KEY (case_id, material_id)
                )
                """,
                """
                CREATE TABLE refused_demands (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    material_id text NOT NULL,
                    demanded_by text NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE promised_materials (
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    material_id text NOT NULL,
                    due_by date NOT NULL,
                    delivered_at timestamptz,
                    PRIMARY KEY (case_id, material_id)
                )
                """,
            ]),
        Migration(
            component: "intake", version: 4, name: "notices",
            statements: [
                // The notices (acceptance, refusal) exactly as hashed and sent to be sealed.
                """
                CREATE TABLE notices (
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    kind text NOT NULL CHECK (kind IN ('acceptance-notice', 'refusal-notice')),
                    department_id text NOT NULL,
                    text text NOT NULL,
                    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (case_id, kind)
                )
                """,
            ]),
        Migration(
            component: "intake", version: 5, name: "decisions, issuance, fees, due-date changes",
            statements: [
                "ALTER TABLE applications DROP CONSTRAINT applications_status_check",
                """
                ALTER TABLE applications ADD CONSTRAINT applications_status_check
                    CHECK (status IN ('refused', 'awaiting-correction', 'accepted', 'decided', 'ready', 'issued'))
                """,
                "ALTER TABLE applications ADD COLUMN decision text CHECK (decision IN ('approve', 'deny'))",
                "ALTER TABLE applications ADD COLUMN decision_reasons text",
                "ALTER TABLE applications ADD COLUMN decided_by text",
                "ALTER TABLE applications ADD COLUMN decided_at timestamptz",
                "ALTER TABLE applications ADD COLUMN decision_imprint_id uuid",
                "ALTER TABLE applications ADD COLUMN sealed_at timestamptz",
                "ALTER TABLE applications ADD COLUMN handed_over_at timestamptz",
                "ALTER TABLE applications ADD COLUMN handed_over_by text",
                "ALTER TABLE applications ADD CONSTRAINT applications_issued_check CHECK (status <> 'issued' OR handed_over_at IS NOT NULL)",
                "ALTER TABLE applications ADD CONSTRAINT applications_ready_check CHECK (status NOT IN ('ready', 'issued') OR sealed_at IS NOT NULL)",
                "ALTER TABLE notices DROP CONSTRAINT notices_kind_check",
                "ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('acceptance-notice', 'refusal-notice', 'approval-decision', 'denial-decision'))",
                "ALTER TABLE notices ADD COLUMN imprint_id uuid",
                "ALTER TABLE notices ADD COLUMN sealed_at timestamptz",
                "ALTER TABLE notices ADD COLUMN seal_refusal text",
                """
                CREATE TABLE fees (
                    case_id uuid PRIMARY KEY REFERENCES applications (case_id),
                    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
                    basis text NOT NULL,
                    recorded_by text NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE due_date_changes (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    old_due_date date NOT NULL,
                    new_due_date date NOT NULL,
                    old_provisional boolean NOT NULL,
                    new_provisional boolean NOT NULL,
                    reason text NOT NULL,
                    changed_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX applications_provisional ON applications (case_id) WHERE due_provisional",
                // Notice numbers now come from one sequence per year (notice_seq_YYYY).
                "DROP TABLE notice_counters",
            ]),
        Migration(
            component: "intake", version: 6, name: "bundles, presented materials, supplements, completion",
            statements: [
                // "One thing, one go" (Art 4(5)): applications submitted together, accepted together or not at all.
                """
                CREATE TABLE bundles (
                    id text PRIMARY KEY CHECK (id ~ '^B[2-9A-HJ-NP-Z]{10}$'),
                    idempotency_key text NOT NULL,
                    clerk_id text NOT NULL,
                    window_id text,
                    applicant_id_number text NOT NULL,
                    applicant_name text NOT NULL,
                    size integer NOT NULL CHECK (size >= 2),
                    status text NOT NULL CHECK (status IN ('refused', 'awaiting-correction', 'accepted')),
                    accepted_at timestamptz,
                    completed_at timestamptz,
                    response jsonb NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (clerk_id, idempotency_key),
                    CHECK ((status = 'accepted') = (accepted_at IS NOT NULL)),
                    CHECK (completed_at IS NULL OR status = 'accepted')
                )
                """,
                // A bundle's applications carry the bundle's key, not one of their own.
                "ALTER TABLE applications ALTER COLUMN idempotency_key DROP NOT NULL",
                "ALTER TABLE applications ADD COLUMN bundle_id text REFERENCES bundles (id) DEFERRABLE INITIALLY DEFERRED",
                "ALTER TABLE applications ADD COLUMN bundle_position integer CHECK (bundle_position >= 0)",
                "ALTER TABLE applications ADD CONSTRAINT applications_bundle_check CHECK ((bundle_id IS NULL) = (bundle_position IS NULL))",
                "ALTER TABLE applications ADD CONSTRAINT applications_key_check CHECK ((idempotency_key IS NULL) = (bundle_id IS NOT NULL))",
                "ALTER TABLE applications ADD CONSTRAINT applications_bundle_position_key UNIQUE (bundle_id, bundle_position)",
                // What the applicant presented (the first submission, with resubmitted materials replacing theirs).
                "ALTER TABLE applications ADD COLUMN presented jsonb NOT NULL DEFAULT '[]'",
                // Completion by the coordinator (committed and joint cases).
                "ALTER TABLE applications ADD COLUMN outcome text CHECK (outcome IN ('approved', 'denied'))",
                "ALTER TABLE applications ADD COLUMN completed_at timestamptz",
                "ALTER TABLE applications ADD COLUMN final_due_date date",
                "ALTER TABLE applications ADD COLUMN on_time boolean",
                "ALTER TABLE applications ADD CONSTRAINT applications_completion_check CHECK ((completed_at IS NULL) = (outcome IS NULL) AND (completed_at IS NULL) = (on_time IS NULL))",
                "ALTER TABLE applications DROP CONSTRAINT applications_status_check",
                """
                ALTER TABLE applications ADD CONSTRAINT applications_status_check
                    CHECK (status IN ('refused', 'awaiting-correction', 'held', 'accepted', 'decided', 'completed', 'ready', 'issued'))
                """,
                "ALTER TABLE applications DROP CONSTRAINT applications_ready_check",
                "ALTER TABLE applications ADD CONSTRAINT applications_ready_check CHECK (status NOT IN ('completed', 'ready', 'issued') OR sealed_at IS NOT NULL)",
                "ALTER TABLE applications ADD CONSTRAINT applications_held_check CHECK (status <> 'held' OR bundle_id IS NOT NULL)",
                "CREATE INDEX applications_bundle ON applications (bundle_id) WHERE bundle_id IS NOT NULL",
                // Supplements a department asked for (coordinator.case.supplement-requested) and when they were brought.
                """
                CREATE TABLE supplement_requests (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    department_id text NOT NULL,
                    task_id text NOT NULL,
                    material text NOT NULL CHECK (material <> ''),
                    needed text NOT NULL,
                    requested_at timestamptz NOT NULL,
                    supplied_at timestamptz,
                    supplied_by text,
                    reported_at timestamptz,
                    UNIQUE (case_id, task_id, material, requested_at),
                    CHECK ((supplied_at IS NULL) = (supplied_by IS NULL)),
                    CHECK (reported_at IS NULL OR supplied_at IS NOT NULL)
                )
                """,
            ]),
        Migration(
            component: "intake", version: 7, name: "hall centre, green channel, full-process agency, bundle hand-over",
            statements: [
                // The hall centre (政务中心): at most one department of the directory. It issues (and
                // seals) refusals for items unknown to the hall, approves green channels and provides
                // agents (Art 35, 37, 40).
                "ALTER TABLE departments ADD COLUMN centre boolean NOT NULL DEFAULT false",
                "CREATE UNIQUE INDEX departments_one_centre ON departments ((true)) WHERE centre",
                // The centre's approval of a green-channel case (Art 40): one per case.
                """
                CREATE TABLE green_channel_approvals (
                    case_id uuid PRIMARY KEY REFERENCES applications (case_id),
                    reason text NOT NULL CHECK (reason IN ('major-investment', 'special-matter')),
                    reference text NOT NULL CHECK (reference <> ''),
                    approved_by text NOT NULL REFERENCES staff (id),
                    approved_at timestamptz NOT NULL,
                    recorded_by text NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                // Full-process agency (全程代办, Art 40): the centre's agent of a case, every
                // reassignment kept (the previous row ended), at most one current agent.
                """
                CREATE TABLE agency_assignments (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    agent_id text NOT NULL REFERENCES staff (id),
                    entrustment_reference text NOT NULL CHECK (entrustment_reference <> ''),
                    reason text,
                    assigned_by text NOT NULL,
                    assigned_at timestamptz NOT NULL,
                    ended_at timestamptz,
                    CHECK (ended_at IS NULL OR ended_at >= assigned_at)
                )
                """,
                "CREATE UNIQUE INDEX agency_assignments_current ON agency_assignments (case_id) WHERE ended_at IS NULL",
                "ALTER TABLE supplement_requests ADD COLUMN supplied_by_agent text REFERENCES staff (id)",
                "ALTER TABLE applications ADD COLUMN collected_by_agent text REFERENCES staff (id)",
                "ALTER TABLE applications ADD CONSTRAINT applications_collected_check CHECK (collected_by_agent IS NULL OR status = 'issued')",
                // A bundle is handed out together, in one hand-over.
                "ALTER TABLE bundles ADD COLUMN handed_over_at timestamptz",
                "ALTER TABLE bundles ADD COLUMN handed_over_by text",
                "ALTER TABLE bundles ADD CONSTRAINT bundles_handover_check CHECK ((handed_over_at IS NULL) = (handed_over_by IS NULL) AND (handed_over_at IS NULL OR completed_at IS NOT NULL))",
            ]),
        Migration(
            component: "intake", version: 8, name: "every department's decision on the case",
            statements: [
                // A committed or joint case's decisions are issued by the coordinator, one per
                // department (coordinator.case.decided): intake keeps each one's department and hash
                // (not its text), so tracking and the published decisions show every department's
                // decision under its own seal.
                "ALTER TABLE notices DROP CONSTRAINT notices_pkey",
                "ALTER TABLE notices ADD PRIMARY KEY (case_id, kind, department_id)",
                "ALTER TABLE notices ALTER COLUMN text DROP NOT NULL",
                // The seal service's word on a department's decision (seal.document.sealed), kept as
                // it came. Tracking joins it to the announced document by kind, department and hash,
                // so the order in which the two topics deliver them does not matter and a hash the
                // coordinator never announced is never shown.
                """
                CREATE TABLE decision_seals (
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    kind text NOT NULL CHECK (kind IN ('approval-decision', 'denial-decision')),
                    department_id text NOT NULL,
                    sha256 text NOT NULL,
                    imprint_id uuid NOT NULL,
                    sealed_at timestamptz NOT NULL,
                    PRIMARY KEY (case_id, kind, department_id, sha256)
                )
                """,
            ]),
        Migration(
            component: "intake", version: 9, name: "department systems registered with the centre",
            statements: [
                // A department's own system and the Ed25519 key that verifies the commands it signs
                // (intake.directory.department-system-changed); the coordinator believes a command
                // only when the named department's system signed it.
                """
                CREATE TABLE department_systems (
                    id text PRIMARY KEY,
                    department_id text NOT NULL REFERENCES departments (id),
                    name text NOT NULL,
                    public_key text NOT NULL,
                    active boolean NOT NULL,
                    registered_by text NOT NULL,
                    updated_at timestamptz NOT NULL
                )
                """
            ]),
        Migration(
            component: "intake", version: 10, name: "fees paid at the bank window, promised materials brought, results waiting at the window",
            statements: [
                // The bank window's receipt of the payment (Art 16); rows from before it stay without.
                "ALTER TABLE fees ADD COLUMN payment_reference text",
                "ALTER TABLE promised_materials ADD COLUMN received_by text",
                "CREATE INDEX promised_materials_open ON promised_materials (due_by) WHERE delivered_at IS NULL",
                // When the result became ready at the window (ALL Art 44: to reach the applicant in 10 working days).
                "ALTER TABLE applications ADD COLUMN ready_at timestamptz",
                "UPDATE applications SET ready_at = COALESCE(completed_at, sealed_at, updated_at) WHERE status IN ('ready', 'issued')",
                "CREATE INDEX applications_waiting ON applications (ready_at) WHERE status = 'ready'",
                // The one-time correction notice (Art 36) is kept with the case like the other notices, numbered, not sealed.
                "ALTER TABLE notices DROP CONSTRAINT notices_kind_check",
                """
                ALTER TABLE notices ADD CONSTRAINT notices_kind_check
                    CHECK (kind IN ('acceptance-notice', 'refusal-notice', 'approval-decision', 'denial-decision', 'correction-notice'))
                """,
                "ALTER TABLE notices ADD COLUMN number text UNIQUE",
                "ALTER TABLE notices ADD CONSTRAINT notices_number_check CHECK ((kind = 'correction-notice') = (number IS NOT NULL))",
            ]),
        Migration(
            component: "intake", version: 11, name: "who may act at a window: training, time at the window, stand-ins",
            statements: [
                // Art 20: pre-job training, the day a person started at the window (a rotation within a
                // year states its reason), and temporary stand-ins filed with the centre.
                "ALTER TABLE staff ADD COLUMN training_completed_on date",
                "ALTER TABLE staff ADD COLUMN training_course text",
                "ALTER TABLE staff ADD COLUMN window_since date",
                "UPDATE staff SET window_since = updated_at::date WHERE window_id IS NOT NULL",
                "ALTER TABLE window_rotations ADD COLUMN reason text",
                """
                CREATE TABLE stand_ins (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    staff_id text NOT NULL REFERENCES staff (id),
                    window_id text NOT NULL REFERENCES windows (id),
                    from_date date NOT NULL,
                    to_date date NOT NULL CHECK (to_date >= from_date),
                    reason text NOT NULL CHECK (reason <> ''),
                    filing_reference text NOT NULL CHECK (filing_reference <> ''),
                    filed_by text NOT NULL,
                    filed_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX stand_ins_window ON stand_ins (window_id, staff_id, to_date)",
            ]),
        Migration(
            component: "intake", version: 12, name: "the case's timeline from the departments' work",
            statements: [
                // What the coordinator reports of a case's departments and clock (opinions,
                // countersignatures, suspensions, resumes, extensions), once per event, for tracking.
                """
                CREATE TABLE case_timeline (
                    event_id uuid PRIMARY KEY,
                    case_id uuid NOT NULL REFERENCES applications (case_id),
                    at timestamptz NOT NULL,
                    event text NOT NULL,
                    department_id text,
                    detail text
                )
                """,
                "CREATE INDEX case_timeline_case ON case_timeline (case_id, at)",
            ]),
        Migration(
            component: "intake", version: 13, name: "department heads and document codes; decision numbers",
            statements: [
                // Art 22: the leader in charge of each department's windows, who approves extensions (ALL Art 42).
                "ALTER TABLE departments ADD COLUMN head_id text",
                "ALTER TABLE departments ADD COLUMN head_name text",
                "ALTER TABLE departments ADD COLUMN head_title text",
                "ALTER TABLE departments ADD CONSTRAINT departments_head_check CHECK ((head_id IS NULL) = (head_name IS NULL) AND (head_id IS NULL) = (head_title IS NULL))",
                // 文号代字: a department's decisions are numbered <code>〔<year>〕<n>号.
                "ALTER TABLE departments ADD COLUMN document_code text UNIQUE",
                // Decisions carry their decision number (文号); correction notices their notice number.
                "ALTER TABLE notices DROP CONSTRAINT notices_number_check",
                """
                ALTER TABLE notices ADD CONSTRAINT notices_number_check
                    CHECK (kind NOT IN ('acceptance-notice', 'refusal-notice') OR number IS NULL)
                """,
                "ALTER TABLE notices ADD CONSTRAINT notices_correction_number_check CHECK (kind <> 'correction-notice' OR number IS NOT NULL)",
                // The series of decisions taken on the spot at the window (immediate items), per department and year.
                DecisionNumbers.tables[0], DecisionNumbers.tables[1],
            ]),
        Migration(
            component: "intake", version: 14, name: "online applications waiting for the front desk (Art 39)",
            statements: [
                """
                CREATE TABLE online_applications (
                    id uuid PRIMARY KEY,
                    reference text NOT NULL UNIQUE,
                    item_code text NOT NULL,
                    item_version int NOT NULL,
                    applicant jsonb NOT NULL,
                    applicant_id_number text NOT NULL,
                    listed text[] NOT NULL,
                    missing text[] NOT NULL,
                    status text NOT NULL CHECK (status IN ('waiting', 'taken', 'answered')),
                    taken_by text,
                    receipt_code text,
                    outcome text,
                    created_at timestamptz NOT NULL,
                    answered_at timestamptz,
                    CHECK ((status = 'waiting') = (taken_by IS NULL)),
                    CHECK ((status = 'answered') = (receipt_code IS NOT NULL))
                )
                """,
                "CREATE INDEX online_applications_waiting ON online_applications (created_at) WHERE status <> 'answered'",
            ]),
        Migration(
            component: "intake", version: 15, name: "appointments for a window visit",
            statements: [
                // One row per window, working day and slot: the places booked, never above the capacity.
                """
                CREATE TABLE appointment_slots (
                    window_id text NOT NULL,
                    day date NOT NULL,
                    slot text NOT NULL,
                    booked int NOT NULL CHECK (booked >= 0),
                    capacity int NOT NULL CHECK (capacity >= 1),
                    PRIMARY KEY (window_id, day, slot),
                    CHECK (booked <= capacity)
                )
                """,
                """
                CREATE TABLE appointments (
                    id uuid PRIMARY KEY,
                    code text NOT NULL UNIQUE,
                    window_id text NOT NULL,
                    day date NOT NULL,
                    slot text NOT NULL,
                    item_code text,
                    name text NOT NULL,
                    id_number text NOT NULL,
                    contact text NOT NULL,
                    status text NOT NULL CHECK (status IN ('booked', 'cancelled')),
                    created_at timestamptz NOT NULL,
                    cancelled_at timestamptz
                )
                """,
                // One booked appointment per person and day.
                "CREATE UNIQUE INDEX appointments_one_a_day ON appointments (id_number, day) WHERE status = 'booked'",
                "CREATE INDEX appointments_window_day ON appointments (window_id, day) WHERE status = 'booked'",
            ]),
        Migration(
            component: "intake", version: 16, name: "the case as its applicant sees it, read in one call",
            statements: [
                "CREATE INDEX due_date_changes_case ON due_date_changes (case_id)",
                "CREATE INDEX agency_assignments_case ON agency_assignments (case_id)",
                // A time as PostgreSQL's own binary form carries it (microseconds since 2000-01-01),
                // so the status reads the same instants as a row read directly would.
                """
                CREATE FUNCTION micros(t timestamptz) RETURNS bigint LANGUAGE sql STABLE AS $$
                    SELECT ((extract(epoch FROM t) - 946684800) * 1000000)::bigint
                $$
                """,
                // Everything tracking shows of one case (the application, what it awaits, its
                // supplements, timeline, due-date changes, fee, documents and their seals, green
                // channel, agents and, when asked, the documents' texts) as one JSON object, or
                // NULL unless the receipt code and identity number match. One statement whose plan
                // the session keeps, instead of a dozen parsed and planned at each look-up.
                """
                CREATE FUNCTION case_record(p_receipt text, p_id_number text, p_texts boolean) RETURNS json
                LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
                BEGIN
                    RETURN (SELECT json_build_object(
                        'case_id', a.case_id, 'item_code', a.item_code, 'status', a.status, 'notice_number', a.notice_number,
                        'accepted_at', micros(a.accepted_at), 'due_date', a.due_date::text, 'due_provisional', a.due_provisional,
                        'refusal_reason', a.refusal_reason, 'competent_authority', a.competent_authority, 'bundle_id', a.bundle_id,
                        'item_version', a.item_version, 'outcome', a.outcome, 'completed_at', micros(a.completed_at),
                        'final_due_date', a.final_due_date::text, 'on_time', a.on_time, 'handed_over_at', micros(a.handed_over_at),
                        'collected_by_agent', a.collected_by_agent, 'ready_at', micros(a.ready_at),
                        'corrections', (SELECT json_agg(c.needed ORDER BY c.material_id) FROM corrections c
                            WHERE c.case_id = a.case_id AND c.resolved_at IS NULL),
                        'promised', (SELECT json_agg(json_build_object(
                                'material_id', p.material_id, 'due_by', p.due_by::text, 'delivered_at', micros(p.delivered_at),
                                'received_by', p.received_by) ORDER BY p.due_by, p.material_id)
                            FROM promised_materials p WHERE p.case_id = a.case_id),
                        'supplements', (SELECT json_agg(json_build_object(
                                'department_id', s.department_id, 'material', s.material, 'needed', s.needed,
                                'requested_at', micros(s.requested_at), 'supplied_at', micros(s.supplied_at),
                                'supplied_by_agent', s.supplied_by_agent) ORDER BY s.requested_at, s.id)
                            FROM supplement_requests s WHERE s.case_id = a.case_id),
                        'changes', (SELECT json_agg(json_build_object(
                                'from', d.old_due_date::text, 'to', d.new_due_date::text, 'reason', d.reason,
                                'changed_at', micros(d.changed_at)) ORDER BY d.changed_at, d.id)
                            FROM due_date_changes d WHERE d.case_id = a.case_id),
                        'fee', (SELECT json_build_object('payment_reference', f.payment_reference, 'recorded_at', micros(f.recorded_at))
                            FROM fees f WHERE f.case_id = a.case_id),
                        'documents', (SELECT json_agg(json_build_object(
                                'kind', n.kind, 'department_id', n.department_id, 'imprint_id', COALESCE(n.imprint_id, ds.imprint_id),
                                'sealed_at', micros(COALESCE(n.sealed_at, ds.sealed_at)), 'seal_refusal', n.seal_refusal,
                                'number', n.number, 'created_at', micros(n.created_at)) ORDER BY n.created_at, n.kind, n.department_id)
                            FROM notices n LEFT JOIN decision_seals ds USING (case_id, kind, department_id, sha256) WHERE n.case_id = a.case_id),
                        'texts', CASE WHEN p_texts THEN (SELECT json_agg(json_build_object(
                                'kind', n.kind, 'department_id', n.department_id, 'text', n.text) ORDER BY n.created_at)
                            FROM notices n WHERE n.case_id = a.case_id AND n.text IS NOT NULL) END,
                        'green', (SELECT json_build_object(
                                'reason', g.reason, 'reference', g.reference, 'approved_by', g.approved_by, 'approved_at', micros(g.approved_at),
                                'recorded_by', g.recorded_by, 'recorded_at', micros(g.recorded_at))
                            FROM green_channel_approvals g WHERE g.case_id = a.case_id),
                        'agents', (SELECT json_agg(json_build_object(
                                'agent_id', g.agent_id, 'name', st.name, 'entrustment_reference', g.entrustment_reference,
                                'assigned_at', micros(g.assigned_at), 'ended_at', micros(g.ended_at), 'reason', g.reason) ORDER BY g.id)
                            FROM agency_assignments g JOIN staff st ON st.id = g.agent_id WHERE g.case_id = a.case_id),
                        'timeline', (SELECT json_agg(json_build_object(
                                'at', micros(t.at), 'event', t.event, 'department_id', t.department_id, 'detail', t.detail) ORDER BY t.at, t.event)
                            FROM (
                                SELECT a.accepted_at AS at, 'accepted' AS event, a.department_id, a.notice_number AS detail WHERE a.accepted_at IS NOT NULL
                                UNION ALL SELECT a.created_at, 'refused', a.department_id, a.refusal_reason WHERE a.status = 'refused'
                                UNION ALL SELECT n.created_at, 'correction-notified', n.department_id, n.number
                                    FROM notices n WHERE n.case_id = a.case_id AND n.kind = 'correction-notice'
                                UNION ALL SELECT COALESCE(n.sealed_at, ds.sealed_at), 'sealed', n.department_id, n.kind
                                    FROM notices n LEFT JOIN decision_seals ds USING (case_id, kind, department_id, sha256)
                                    WHERE n.case_id = a.case_id AND COALESCE(n.sealed_at, ds.sealed_at) IS NOT NULL
                                UNION ALL SELECT s.requested_at, 'supplement-requested', s.department_id, s.material
                                    FROM supplement_requests s WHERE s.case_id = a.case_id
                                UNION ALL SELECT s.supplied_at, 'supplement-brought', s.department_id, s.material
                                    FROM supplement_requests s WHERE s.case_id = a.case_id AND s.supplied_at IS NOT NULL
                                UNION ALL SELECT p.delivered_at, 'promised-material-brought', NULL, p.material_id
                                    FROM promised_materials p WHERE p.case_id = a.case_id AND p.delivered_at IS NOT NULL
                                UNION ALL SELECT x.at, x.event, x.department_id, x.detail FROM case_timeline x WHERE x.case_id = a.case_id
                                UNION ALL SELECT a.completed_at, 'completed', NULL, a.outcome WHERE a.completed_at IS NOT NULL
                                UNION ALL SELECT a.ready_at, 'ready', NULL, NULL WHERE a.ready_at IS NOT NULL
                                UNION ALL SELECT f.recorded_at, 'fee-paid', NULL, NULL FROM fees f WHERE f.case_id = a.case_id
                                UNION ALL SELECT a.handed_over_at, 'handed-over', NULL, NULL WHERE a.handed_over_at IS NOT NULL
                            ) t)
                    ) FROM applications a WHERE a.receipt_code = p_receipt AND a.applicant_id_number = p_id_number);
                END
                $$
                """,
            ]),
        Migration(
            component: "intake", version: 17, name: "the case as its applicant sees it, with fewer subqueries",
            statements: [
                // `case_record` without what the service can compose from what it reads anyway:
                // the documents carry their texts when asked (no second scan of the notices), and
                // the timeline holds only the events recorded as such (`case_timeline`); the
                // service adds the acceptance, refusal, notices, seals, supplements, promised
                // materials, fee, completion, readiness and hand-over from the same record and
                // sorts them. Each subquery is a plan node PostgreSQL sets up at every call: a
                // look-up takes about a quarter less of the database. `case_record` stays for a
                // service of the previous version still running during an upgrade.
                """
                CREATE FUNCTION case_status_record(p_receipt text, p_id_number text, p_texts boolean) RETURNS json
                LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
                BEGIN
                    RETURN (SELECT json_build_object(
                        'case_id', a.case_id, 'item_code', a.item_code, 'status', a.status, 'notice_number', a.notice_number,
                        'department_id', a.department_id, 'created_at', micros(a.created_at),
                        'accepted_at', micros(a.accepted_at), 'due_date', a.due_date::text, 'due_provisional', a.due_provisional,
                        'refusal_reason', a.refusal_reason, 'competent_authority', a.competent_authority, 'bundle_id', a.bundle_id,
                        'item_version', a.item_version, 'outcome', a.outcome, 'completed_at', micros(a.completed_at),
                        'final_due_date', a.final_due_date::text, 'on_time', a.on_time, 'handed_over_at', micros(a.handed_over_at),
                        'collected_by_agent', a.collected_by_agent, 'ready_at', micros(a.ready_at),
                        'corrections', (SELECT json_agg(c.needed ORDER BY c.material_id) FROM corrections c
                            WHERE c.case_id = a.case_id AND c.resolved_at IS NULL),
                        'promised', (SELECT json_agg(json_build_object(
                                'material_id', p.material_id, 'due_by', p.due_by::text, 'delivered_at', micros(p.delivered_at),
                                'received_by', p.received_by) ORDER BY p.due_by, p.material_id)
                            FROM promised_materials p WHERE p.case_id = a.case_id),
                        'supplements', (SELECT json_agg(json_build_object(
                                'department_id', s.department_id, 'material', s.material, 'needed', s.needed,
                                'requested_at', micros(s.requested_at), 'supplied_at', micros(s.supplied_at),
                                'supplied_by_agent', s.supplied_by_agent) ORDER BY s.requested_at, s.id)
                            FROM supplement_requests s WHERE s.case_id = a.case_id),
                        'changes', (SELECT json_agg(json_build_object(
                                'from', d.old_due_date::text, 'to', d.new_due_date::text, 'reason', d.reason,
                                'changed_at', micros(d.changed_at)) ORDER BY d.changed_at, d.id)
                            FROM due_date_changes d WHERE d.case_id = a.case_id),
                        'fee', (SELECT json_build_object('payment_reference', f.payment_reference, 'recorded_at', micros(f.recorded_at))
                            FROM fees f WHERE f.case_id = a.case_id),
                        'documents', (SELECT json_agg(json_build_object(
                                'kind', n.kind, 'department_id', n.department_id, 'imprint_id', COALESCE(n.imprint_id, ds.imprint_id),
                                'sealed_at', micros(COALESCE(n.sealed_at, ds.sealed_at)), 'seal_refusal', n.seal_refusal,
                                'number', n.number, 'created_at', micros(n.created_at), 'text', CASE WHEN p_texts THEN n.text END)
                                ORDER BY n.created_at, n.kind, n.department_id)
                            FROM notices n LEFT JOIN decision_seals ds USING (case_id, kind, department_id, sha256) WHERE n.case_id = a.case_id),
                        'green', (SELECT json_build_object(
                                'reason', g.reason, 'reference', g.reference, 'approved_by', g.approved_by, 'approved_at', micros(g.approved_at),
                                'recorded_by', g.recorded_by, 'recorded_at', micros(g.recorded_at))
                            FROM green_channel_approvals g WHERE g.case_id = a.case_id),
                        'agents', (SELECT json_agg(json_build_object(
                                'agent_id', g.agent_id, 'name', st.name, 'entrustment_reference', g.entrustment_reference,
                                'assigned_at', micros(g.assigned_at), 'ended_at', micros(g.ended_at), 'reason', g.reason) ORDER BY g.id)
                            FROM agency_assignments g JOIN staff st ON st.id = g.agent_id WHERE g.case_id = a.case_id),
                        'timeline', (SELECT json_agg(json_build_object(
                                'at', micros(x.at), 'event', x.event, 'department_id', x.department_id, 'detail', x.detail))
                            FROM case_timeline x WHERE x.case_id = a.case_id)
                    ) FROM applications a WHERE a.receipt_code = p_receipt AND a.applicant_id_number = p_id_number);
                END
                $$
                """,
            ]),
    ]
}
