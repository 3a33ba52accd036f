-- ServiceHall: database roles and schemas, one per service. Idempotent: run it as often as you like.
--
-- Run as a superuser (or a role with CREATEROLE and ownership of the database), connected to the
-- hall database, with psql:
--     psql -v ON_ERROR_STOP=1 -d hall -f deploy/sql/bootstrap-roles.sql
--
-- Passwords: every role's password defaults to its own name, which is right for the loopback-only
-- local stack (deploy/hall). For a real deployment pass them as psql variables, e.g.
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

-- Default each password variable to the role name when the caller did not set it.
\if :{?intake_password}
\else
  \set intake_password intake
\endif
\if :{?coordinator_password}
\else
  \set coordinator_password coordinator
\endif
\if :{?seal_password}
\else
  \set seal_password seal
\endif
\if :{?complaints_password}
\else
  \set complaints_password complaints
\endif
\if :{?appraisal_password}
\else
  \set appraisal_password appraisal
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
