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

-- Schema public: usable for reading extensions' objects, but nobody creates tables there.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
