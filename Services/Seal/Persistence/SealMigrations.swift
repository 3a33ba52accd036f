import HallKit

/// Migrations of schema `seal`, after the platform's outbox and inbox.
///
/// The database enforces the register's invariants on its own: one active seal per department
/// (partial unique index), unique seal codes and keys, one imprint per document (kind, hash, case,
/// department) and one per (seal, serial). Every change of a seal's authorised staff leaves an
/// audit row (who, when, before, after).
enum SealMigrations {
    static let all: [Migration] = [
        Migration(
            component: "seal", version: 1, name: "directory projections, seals, imprints, refusals",
            statements: [
                """
                CREATE TABLE departments (
                    department_id text PRIMARY KEY,
                    name text NOT NULL,
                    active boolean NOT NULL,
                    chief_staff_id text,
                    substitute_staff_id text,
                    substitute_notice text,
                    substitute_from text,
                    substitute_to text,
                    occurred_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE windows (
                    window_id text PRIMARY KEY,
                    name text NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('comprehensive', 'department', 'discipline')),
                    department_ids text[] NOT NULL,
                    active boolean NOT NULL,
                    occurred_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE staff (
                    staff_id text PRIMARY KEY,
                    name text NOT NULL,
                    department_id text NOT NULL,
                    window_id text,
                    qualified boolean NOT NULL,
                    active boolean NOT NULL,
                    occurred_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE seals (
                    seal_id uuid PRIMARY KEY,
                    department_id text NOT NULL,
                    name text NOT NULL,
                    code text NOT NULL UNIQUE,
                    custodian_staff_id text NOT NULL,
                    authorisations jsonb NOT NULL,
                    valid_from timestamptz NOT NULL,
                    valid_until timestamptz NOT NULL,
                    public_key text NOT NULL UNIQUE,
                    encrypted_private_key text NOT NULL,
                    master_key_fingerprint text NOT NULL,
                    status text NOT NULL CHECK (status IN ('active', 'revoked')),
                    predecessor_seal_id uuid REFERENCES seals,
                    successor_seal_id uuid REFERENCES seals,
                    registered_by text NOT NULL,
                    registered_at timestamptz NOT NULL,
                    revoked_by text,
                    revoked_at timestamptz,
                    revocation_reason text,
                    last_serial bigint NOT NULL DEFAULT 0 CHECK (last_serial >= 0),
                    last_hash text NOT NULL DEFAULT repeat('0', 64),
                    CHECK (valid_until > valid_from),
                    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL AND revoked_by IS NOT NULL AND revocation_reason IS NOT NULL))
                )
                """,
                "CREATE UNIQUE INDEX seals_one_active_per_department ON seals (department_id) WHERE status = 'active'",
                """
                CREATE TABLE imprints (
                    imprint_id uuid PRIMARY KEY,
                    seal_id uuid NOT NULL REFERENCES seals,
                    serial bigint NOT NULL CHECK (serial >= 1),
                    sealed_at timestamptz NOT NULL,
                    document_kind text NOT NULL,
                    document_hash text NOT NULL,
                    case_id text NOT NULL,
                    department_id text NOT NULL,
                    requested_by text NOT NULL,
                    window_id text NOT NULL,
                    previous_hash text NOT NULL,
                    imprint_hash text NOT NULL,
                    signature text NOT NULL,
                    UNIQUE (seal_id, serial),
                    UNIQUE (document_kind, document_hash, case_id, department_id)
                )
                """,
                "CREATE INDEX imprints_document_hash ON imprints (document_hash)",
                """
                CREATE TABLE refusals (
                    refusal_id bigserial PRIMARY KEY,
                    refused_at timestamptz NOT NULL,
                    document_kind text NOT NULL,
                    document_hash text NOT NULL,
                    case_id text NOT NULL,
                    department_id text NOT NULL,
                    requested_by text NOT NULL,
                    window_id text NOT NULL,
                    reason text NOT NULL,
                    detail text NOT NULL
                )
                """,
            ]),
        Migration(
            component: "seal", version: 2, name: "audit of authorisation changes",
            statements: [
                """
                CREATE TABLE authorisation_changes (
                    change_id bigserial PRIMARY KEY,
                    seal_id uuid NOT NULL REFERENCES seals,
                    changed_by text NOT NULL CHECK (changed_by <> ''),
                    changed_at timestamptz NOT NULL,
                    previous_authorisations jsonb NOT NULL CHECK (jsonb_typeof(previous_authorisations) = 'array'),
                    authorisations jsonb NOT NULL CHECK (jsonb_typeof(authorisations) = 'array')
                )
                """,
                "CREATE INDEX authorisation_changes_by_seal ON authorisation_changes (seal_id, change_id)",
            ]),
        Migration(
            component: "seal", version: 3, name: "the hall centre in the department projection",
            statements: [
                // `centre` of intake.directory.department-changed (false for events written before it existed).
                "ALTER TABLE departments ADD COLUMN centre boolean NOT NULL DEFAULT false"
            ]),
        Migration(
            component: "seal", version: 4, name: "the register's anchors: registered keys and published heads",
            statements: [
                // The key each seal was published with (seal.seal.registered): verification checks
                // imprints with this one, never with a key edited into `seals` later.
                """
                CREATE TABLE registered_keys (
                    seal_id uuid PRIMARY KEY REFERENCES seals,
                    public_key text NOT NULL UNIQUE,
                    registered_at timestamptz NOT NULL
                )
                """,
                "INSERT INTO registered_keys (seal_id, public_key, registered_at) SELECT seal_id, public_key, registered_at FROM seals",
                // Every head published (seal.register.head); the register must always reach the last one.
                """
                CREATE TABLE register_heads (
                    head_id bigserial PRIMARY KEY,
                    seal_id uuid NOT NULL REFERENCES seals,
                    serial bigint NOT NULL CHECK (serial >= 0),
                    imprint_hash text NOT NULL,
                    published_at timestamptz NOT NULL,
                    occasion text NOT NULL CHECK (occasion IN ('registered', 'revoked', 'periodic')),
                    signature text NOT NULL
                )
                """,
                "CREATE INDEX register_heads_latest ON register_heads (seal_id, head_id DESC)",
            ]),
        Migration(
            component: "seal", version: 5, name: "custody log: each change of a department's chief representative or substitute",
            statements: [
                """
                CREATE TABLE custody_log (
                    entry_id bigserial PRIMARY KEY,
                    department_id text NOT NULL,
                    changed_at timestamptz NOT NULL,
                    chief_staff_id text,
                    substitute_staff_id text,
                    substitute_notice text,
                    substitute_from date,
                    substitute_to date
                )
                """,
                "CREATE INDEX custody_log_by_department ON custody_log (department_id, entry_id)",
                """
                INSERT INTO custody_log (department_id, changed_at, chief_staff_id, substitute_staff_id, substitute_notice, substitute_from, substitute_to)
                SELECT department_id, occurred_at, chief_staff_id, substitute_staff_id, substitute_notice,
                       NULLIF(substitute_from::text, '')::date, NULLIF(substitute_to::text, '')::date
                FROM departments ORDER BY department_id
                """,
            ]),
        Migration(
            component: "seal", version: 6, name: "what verification tells of a case: receipt code, item, due date",
            statements: [
                // Learnt from intake's and the coordinator's events (accepted, clock changed, completed):
                // the due date with the latest fact, the completion's final.
                """
                CREATE TABLE case_facts (
                    case_id text PRIMARY KEY,
                    receipt_code text NOT NULL,
                    item_code text,
                    due_date date NOT NULL,
                    due_at timestamptz NOT NULL,
                    final boolean NOT NULL
                )
                """
            ]),
    ] + DirectoryProjection.migrations

    /// Tables the service's own role may only read and add to (no UPDATE, DELETE or TRUNCATE): the
    /// register, its anchors, the refusals and the audit of authorisations. The schema's owner
    /// grants the rest (``HallServiceDefinition/appendOnlyTables``).
    static let appendOnlyTables = ["imprints", "registered_keys", "register_heads", "refusals", "authorisation_changes", "custody_log"]
}
