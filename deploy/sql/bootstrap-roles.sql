-- ServiceHall: database roles and schemas, one per service. Idempotent: run it as often as you like.
--
-- Run as a superuser (or a role with CREATEROLE and ownership of the database), connected to the
-- hall database, with psql:
--     psql -v ON_ERROR_STOP=1 -d hall -f deploy/sql/bootstrap-roles.sql
--
-- Passwords: every role's password must be given, as a psql variable; there is no default
-- (deploy/hall generates random ones under .hall/db-passwords), e.g.
--     psql ... -v intake_password="$INTAKE_DB_PASSWORD" -v seal_password=... -f bootstrap-roles.sql
-- A role that already exists gets its password (re)set to the given value each run, so rotating a
-- password is: change the variable, run the file again.
--
-- What each service role s gets:
--   * LOGIN, no other privileges (not superuser, cannot create roles or databases);
--   * schema s, owned by s: it creates and owns its own tables there (migrations run as s);
--   * CONNECT on the current database.
-- Except the seal: its register must not be rewritable by the role that serves requests. Schema
-- seal is owned by role seal_owner (password: variable seal_owner_password), which the seal service
-- uses only at start-up (HALL_DATABASE_OWNER_URL) to migrate and to grant role seal what it may do:
-- read and write rows, but only read and add to the register, its anchors, the refusals and the
-- audit of authorisations (no UPDATE, DELETE, TRUNCATE), and never change the schema.
-- And nobody but the owner may create objects in schema public. Since a role has no privileges on
-- another role's schema unless granted, a service cannot read or write another service's tables.

\set ON_ERROR_STOP on

-- Refuse to run without every password (a role with a guessable password is a door to its schema).
\if :{?intake_password}
\else
  \echo 'bootstrap-roles.sql: intake_password is not set (psql -v intake_password=...)'
  SELECT 1 / 0 AS "intake_password is required";
\endif
\if :{?coordinator_password}
\else
  \echo 'bootstrap-roles.sql: coordinator_password is not set (psql -v coordinator_password=...)'
  SELECT 1 / 0 AS "coordinator_password is required";
\endif
\if :{?seal_password}
\else
  \echo 'bootstrap-roles.sql: seal_password is not set (psql -v seal_password=...)'
  SELECT 1 / 0 AS "seal_password is required";
\endif
\if :{?seal_owner_password}
\else
  \echo 'bootstrap-roles.sql: seal_owner_password is not set (psql -v seal_owner_password=...)'
  SELECT 1 / 0 AS "seal_owner_password is required";
\endif
\if :{?complaints_password}
\else
  \echo 'bootstrap-roles.sql: complaints_password is not set (psql -v complaints_password=...)'
  SELECT 1 / 0 AS "complaints_password is required";
\endif
\if :{?appraisal_password}
\else
  \echo 'bootstrap-roles.sql: appraisal_password is not set (psql -v appraisal_password=...)'
  SELECT 1 / 0 AS "appraisal_password is required";
\endif

-- psql variables are not expanded inside DO blocks ($$ ... $$), so hand the passwords over as
-- session settings that the block reads with current_setting().
SELECT set_config('hall.password_intake',      :'intake_password',      false),
       set_config('hall.password_coordinator', :'coordinator_password', false),
       set_config('hall.password_seal',        :'seal_password',        false),
       set_config('hall.password_seal_owner',  :'seal_owner_password',  false),
       set_config('hall.password_complaints',  :'complaints_password',  false),
       set_config('hall.password_appraisal',   :'appraisal_password',   false)
\gset

DO $bootstrap$
DECLARE
    service text;
    pw text;
BEGIN
    FOREACH service IN ARRAY ARRAY['intake', 'coordinator', 'seal', 'complaints', 'appraisal'] LOOP
        pw := current_setting('hall.password_' || service);

        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = service) THEN
            EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', service, pw);
            RAISE NOTICE 'created role %', service;
        ELSE
            EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', service, pw);
        END IF;

        -- The role must be a plain login role, whatever someone did to it before.
        EXECUTE format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
                       service);

        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', service, service);
        -- A schema created earlier by someone else is handed over to its service.
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', service, service);

        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), service);
        -- Unqualified names resolve to the service's own schema first.
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I', service, current_database(), service);
    END LOOP;
END
$bootstrap$;

-- The seal's schema belongs to seal_owner; role seal keeps the rows it may use (granted again by the
-- seal service at every start) and loses ownership of everything it made before this split.
DO $seal_owner$
DECLARE
    pw text := current_setting('hall.password_seal_owner');
    object record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'seal_owner') THEN
        EXECUTE format('CREATE ROLE seal_owner LOGIN PASSWORD %L', pw);
        RAISE NOTICE 'created role seal_owner';
    ELSE
        EXECUTE format('ALTER ROLE seal_owner LOGIN PASSWORD %L', pw);
    END IF;
    ALTER ROLE seal_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO seal_owner', current_database());
    EXECUTE format('ALTER ROLE seal_owner IN DATABASE %I SET search_path = seal', current_database());
    ALTER SCHEMA seal OWNER TO seal_owner;
    FOR object IN
        SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'seal' AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND pg_get_userbyid(c.relowner) <> 'seal_owner'
    LOOP
        -- A sequence owned by a table column moves with its table.
        IF object.relkind = 'S' AND EXISTS (
            SELECT 1 FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
            WHERE s.relname = object.relname AND s.relnamespace = 'seal'::regnamespace AND d.deptype IN ('a', 'i')
        ) THEN
            CONTINUE;
        END IF;
        EXECUTE format('ALTER %s seal.%I OWNER TO seal_owner',
                       CASE object.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                       object.relname);
    END LOOP;
    GRANT USAGE ON SCHEMA seal TO seal;
    REVOKE CREATE ON SCHEMA seal FROM seal;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA seal TO seal;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA seal TO seal;
    -- The seal's append-only tables (SealMigrations.appendOnlyTables; the service revokes the same at
    -- every start): revoked here too, so that a seal still running before its restart is guarded.
    FOR object IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'seal'::regnamespace
          AND c.relname IN ('imprints', 'registered_keys', 'register_heads', 'refusals', 'authorisation_changes', 'custody_log')
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON seal.%I FROM seal', object.relname);
    END LOOP;
END
$seal_owner$;

-- Schema public: usable for reading extensions' objects, but nobody creates tables there.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
