#!/usr/bin/env python3
"""Check that ServiceHall's event contracts are in step.

Run from the repository root:  python deploy/check-contracts.py

Checks
  * every file in Shared/Contracts/schemas/ is a valid JSON Schema (draft 2020-12) whose $id is
    https://servicehall.example/schemas/<file name> and that has a title and a description;
  * every golden fixture in Tests/ContractsTests/Fixtures/ validates against envelope.schema.json,
    and its data against <type>.v<version>.schema.json;
  * every event schema has a fixture <type>.v<version>.json, and every fixture has a schema;
  * every schema file is referenced from Shared/Contracts/asyncapi.yaml and every $ref there resolves;
  * every topic declared as a static member of Topic (Shared/Contracts/Topic.swift) is the address
    of a channel in asyncapi.yaml;
  * every service (Services/<Name>/) ships a valid OpenAPI 3.1 document, and is deployed by the
    Kubernetes kustomization (deploy/k8s/services/<name>/, listed in deploy/k8s/kustomization.yaml;
    rendered with `kubectl kustomize` where kubectl is installed: one Deployment, Service and
    HorizontalPodAutoscaler named after the service, running its image).

With --responses DIR: checks instead the JSON answers the services gave in the tests (recorded by
HALL_RECORD_RESPONSES=DIR) against their OpenAPI documents: route, method, status and body schema.

Needs the Python packages jsonschema and PyYAML. Exits 1 with one line per problem, 0 when all is well.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

try:
    import jsonschema
    import yaml
except ImportError as error:  # pragma: no cover - environment problem
    sys.exit(f"check-contracts: missing Python module ({error.name}); install with: python3 -m pip install --user jsonschema pyyaml")

ROOT = Path.cwd()
CONTRACTS = ROOT / "Shared" / "Contracts"
SCHEMAS = CONTRACTS / "schemas"
ASYNCAPI = CONTRACTS / "asyncapi.yaml"
FIXTURES = ROOT / "Tests" / "ContractsTests" / "Fixtures"
TOPIC_SWIFT = CONTRACTS / "Topic.swift"

ID_PREFIX = "https://servicehall.example/schemas/"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
EVENT_SCHEMA = re.compile(r"^(?P<type>[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+)\.v(?P<version>[1-9][0-9]*)\.schema\.json$")
EVENT_FIXTURE = re.compile(r"^(?P<type>[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+)\.v(?P<version>[1-9][0-9]*)\.json$")
TOPIC_MEMBER = re.compile(r"static\s+let\s+(\w+)\s*:\s*Topic\s*=\s*\"([^\"]+)\"")

problems: list[str] = []


def problem(where: Path | str, message: str) -> None:
    where = where.relative_to(ROOT) if isinstance(where, Path) and where.is_relative_to(ROOT) else where
    problems.append(f"{where}: {message}")


def load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problem(path, f"not readable JSON: {error}")
        return None


def error_path(error: jsonschema.ValidationError) -> str:
    return "/".join(str(part) for part in error.absolute_path) or "(root)"


def validate(instance, schema: dict, where: Path, what: str) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        problem(where, f"{what}: at {error_path(error)}: {error.message}")


def check_schemas() -> dict[str, dict]:
    schemas: dict[str, dict] = {}
    if not SCHEMAS.is_dir():
        problem(SCHEMAS, "folder is missing")
        return schemas
    for path in sorted(SCHEMAS.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.name.endswith(".schema.json"):
            problem(path, "schema files must be named *.schema.json")
            continue
        schema = load_json(path)
        if schema is None:
            continue
        if not isinstance(schema, dict):
            problem(path, "a schema must be a JSON object")
            continue
        if schema.get("$schema") != DRAFT_2020_12:
            problem(path, f'"$schema" must be "{DRAFT_2020_12}"')
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as error:
            problem(path, f"not a valid draft 2020-12 schema: at {error_path(error)}: {error.message}")
            continue
        if schema.get("$id") != ID_PREFIX + path.name:
            problem(path, f'"$id" must be "{ID_PREFIX + path.name}"')
        for key in ("title", "description"):
            if not isinstance(schema.get(key), str) or not schema[key].strip():
                problem(path, f'needs a non-empty "{key}"')
        for name, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict) and not prop.get("description"):
                problem(path, f'property "{name}" needs a "description"')
        schemas[path.name] = schema
    return schemas


def check_fixtures(schemas: dict[str, dict]) -> int:
    envelope_schema = schemas.get("envelope.schema.json")
    if envelope_schema is None:
        problem(SCHEMAS / "envelope.schema.json", "missing")
        return 0
    if not FIXTURES.is_dir():
        problem(FIXTURES, "folder is missing")
        return 0
    fixtures = sorted(p for p in FIXTURES.iterdir() if p.suffix == ".json")
    covered: set[str] = set()
    for path in fixtures:
        fixture = load_json(path)
        if fixture is None:
            continue
        validate(fixture, envelope_schema, path, "envelope.schema.json")
        if not isinstance(fixture, dict):
            continue
        event_type, version = fixture.get("type"), fixture.get("version")
        schema_name = f"{event_type}.v{version}.schema.json"
        named = EVENT_FIXTURE.match(path.name)
        if named and (named["type"], named["version"]) != (event_type, str(version)):
            problem(path, f"file name says {named['type']} v{named['version']} but the envelope is {event_type} v{version}")
        data_schema = schemas.get(schema_name)
        if data_schema is None:
            problem(path, f"no schema {schema_name} for its type and version")
            continue
        covered.add(schema_name)
        validate(fixture.get("data"), data_schema, path, f"data against {schema_name}")
    fixture_names = {p.name for p in fixtures}
    for schema_name in schemas:
        match = EVENT_SCHEMA.match(schema_name)
        if match is None:
            continue
        expected = f"{match['type']}.v{match['version']}.json"
        if expected not in fixture_names:
            problem(SCHEMAS / schema_name, f"event schema has no golden fixture {expected}")
        schema = schemas[schema_name]
        if schema.get("type") != "object":
            problem(SCHEMAS / schema_name, 'event data schemas must have "type": "object"')
    return len(fixtures)


def walk_refs(node, path: str = "#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from walk_refs(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_refs(value, f"{path}/{index}")


def resolve_pointer(document, pointer: str) -> bool:
    node = document
    for raw in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def check_asyncapi(schemas: dict[str, dict]) -> int:
    try:
        document = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        problem(ASYNCAPI, f"not readable YAML: {error}")
        return 0
    if not isinstance(document, dict) or document.get("asyncapi") != "3.0.0":
        problem(ASYNCAPI, 'must be an AsyncAPI document with "asyncapi: 3.0.0"')
        return 0
    for key in ("info", "channels", "operations", "components"):
        if key not in document:
            problem(ASYNCAPI, f'missing "{key}"')

    referenced: set[str] = set()
    for where, ref in walk_refs(document):
        target, _, fragment = ref.partition("#")
        if target == "":
            if not resolve_pointer(document, fragment):
                problem(ASYNCAPI, f"{where}: $ref {ref} does not resolve")
            continue
        file = (ASYNCAPI.parent / target).resolve()
        if not file.is_file():
            problem(ASYNCAPI, f"{where}: $ref {ref} names a missing file")
            continue
        if file.parent == SCHEMAS.resolve():
            referenced.add(file.name)
        if fragment and not resolve_pointer(load_json(file), fragment):
            problem(ASYNCAPI, f"{where}: $ref {ref}: fragment does not resolve")
    for name in sorted(set(schemas) - referenced):
        problem(SCHEMAS / name, "is not referenced from asyncapi.yaml")

    channels = document.get("channels") or {}
    addresses = {channel.get("address") for channel in channels.values() if isinstance(channel, dict)}
    for name, channel in channels.items():
        if isinstance(channel, dict) and not channel.get("messages"):
            problem(ASYNCAPI, f"channel {name} has no messages")
    operations = document.get("operations") or {}
    used_channels = {
        op.get("channel", {}).get("$ref", "").removeprefix("#/channels/")
        for op in operations.values()
        if isinstance(op, dict)
    }
    for name in channels:
        if name not in used_channels:
            problem(ASYNCAPI, f"channel {name} has no operation")

    try:
        swift = TOPIC_SWIFT.read_text(encoding="utf-8")
    except OSError as error:
        problem(TOPIC_SWIFT, f"not readable: {error}")
        return len(channels)
    topics = TOPIC_MEMBER.findall(swift)
    if not topics:
        problem(TOPIC_SWIFT, "no `static let name: Topic = \"...\"` members found")
    seen: dict[str, str] = {}
    for member, address in topics:
        if address in seen:
            problem(TOPIC_SWIFT, f"Topic.{member} and Topic.{seen[address]} are both {address}")
        seen[address] = member
        if address not in addresses:
            problem(ASYNCAPI, f"no channel with address {address} (Topic.{member})")
    if "{consumerGroup}.dlq" not in addresses:
        problem(ASYNCAPI, "no dead-letter channel with address {consumerGroup}.dlq")
    return len(channels)


def check_openapi() -> int:
    """Every service ships an OpenAPI 3.1 document (Services/<Name>/openapi.yaml) that validates."""
    try:
        from openapi_spec_validator import validate as validate_openapi
        from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
    except ImportError as error:  # pragma: no cover - environment problem
        sys.exit(f"check-contracts: missing Python module ({error.name}); install with: python3 -m pip install openapi-spec-validator")
    count = 0
    for folder in sorted((ROOT / "Services").iterdir()):
        if not folder.is_dir():
            continue
        path = folder / "openapi.yaml"
        if not path.is_file():
            problem(folder, "the service has no openapi.yaml")
            continue
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            problem(path, f"not YAML: {error}")
            continue
        if not isinstance(document, dict) or document.get("openapi", "").split(".")[:2] != ["3", "1"]:
            problem(path, "must be an OpenAPI 3.1 document (openapi: 3.1.x)")
            continue
        try:
            validate_openapi(document)
        except OpenAPIValidationError as error:
            location = "/".join(str(part) for part in error.path) or "(document)"
            problem(path, f"at {location}: {error.message}")
            continue
        count += 1
    return count


def check_kubernetes() -> int:
    """Every service is deployed by deploy/k8s (one overlay of the shared base per service)."""
    import shutil
    import subprocess
    k8s = ROOT / "deploy" / "k8s"
    services = [folder.name.lower() for folder in sorted((ROOT / "Services").iterdir()) if folder.is_dir()]
    top = yaml.safe_load((k8s / "kustomization.yaml").read_text(encoding="utf-8"))
    for name in services:
        if f"services/{name}" not in top.get("resources", []):
            problem(k8s / "kustomization.yaml", f"resources do not list services/{name}")
        if not (k8s / "services" / name / "kustomization.yaml").is_file():
            problem(k8s / "services" / name, "missing kustomization.yaml for the service")
    for path in sorted(k8s.rglob("*.yaml")):
        try:
            list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as error:
            problem(path, f"not YAML: {error}")
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return 0
    rendered = subprocess.run([kubectl, "kustomize", str(k8s)], capture_output=True, text=True)
    if rendered.returncode != 0:
        problem(k8s, f"kubectl kustomize failed: {rendered.stderr.strip()}")
        return 0
    documents = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    for name in services:
        deployment = by_kind.get(("Deployment", name))
        if not deployment:
            problem(k8s, f"no Deployment {name} rendered")
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        if not container["image"].startswith(f"servicehall/{name}:"):
            problem(k8s, f"Deployment {name} runs {container['image']}")
        if deployment["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/name") != name:
            problem(k8s, f"Deployment {name} selects the wrong pods")
        keys = [e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", []) if e["name"] == "HALL_DATABASE_URL"]
        if keys != [f"{name}-url"]:
            problem(k8s, f"Deployment {name} reads its database URL from {keys}")
        for kind in ("Service", "HorizontalPodAutoscaler"):
            if (kind, name) not in by_kind:
                problem(k8s, f"no {kind} {name} rendered")
        hpa = by_kind.get(("HorizontalPodAutoscaler", name))
        if hpa and hpa["spec"]["scaleTargetRef"]["name"] != name:
            problem(k8s, f"HorizontalPodAutoscaler {name} scales {hpa['spec']['scaleTargetRef']['name']}")
    return sum(1 for kind, _ in by_kind if kind == "Deployment")


def json_pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def check_responses(directory: Path) -> int:
    """Every JSON answer the services gave in the tests (recorded with HALL_RECORD_RESPONSES) is
    documented in the service's OpenAPI document: its route and method, its status, and a body
    that validates against the documented schema."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    documents = {}
    for folder in sorted((ROOT / "Services").iterdir()):
        path = folder / "openapi.yaml"
        if path.is_file():
            documents[folder.name.lower()] = yaml.safe_load(path.read_text(encoding="utf-8"))
    checked = 0
    reported: set[tuple] = set()
    validated: dict[tuple, int] = {}
    for file in sorted(directory.glob("*.jsonl")):
        service = file.stem
        document = documents.get(service)
        if document is None:
            problem(file, f"answers of an unknown service {service}")
            continue
        uri = f"urn:servicehall:{service}"
        registry = Registry().with_resource(uri, Resource.from_contents(document, default_specification=DRAFT202012))
        where = f"Services/{service.capitalize()}/openapi.yaml"
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                problem(file, f"line {number} is not one JSON record ({error.msg}): the recorder wrote it torn")
                continue
            method, route, status = record["method"].lower(), record["route"], record["status"]
            key = (service, method, route, status)
            if key in reported or validated.get(key, 0) >= 25:
                continue

            def fail(message: str) -> None:
                reported.add(key)
                problem(where, f"{record['method']} {route} answered {status}: {message}")

            operation = (document.get("paths", {}).get(route) or {}).get(method)
            if operation is None:
                fail("the route is not documented")
                continue
            responses = operation.get("responses", {})
            name = next((n for n in (str(status), f"{str(status)[0]}XX", "default") if n in responses), None)
            if name is None:
                fail(f"the status is not documented (documented: {', '.join(sorted(responses))})")
                continue
            pointer = ["paths", route, method, "responses", name]
            response = responses[name]
            while "$ref" in response:
                ref = response["$ref"]
                pointer = ref[2:].split("/")
                response = document
                for part in pointer:
                    response = response[part.replace("~1", "/").replace("~0", "~")]
            content = response.get("content") or {}
            media_type = record["contentType"].split(";")[0].strip()
            media = content.get(media_type)
            if media is None:
                fail(f"{media_type} is not documented for it (documented: {', '.join(sorted(content)) or 'no body'})")
                continue
            if "schema" not in media:
                continue
            try:
                body = json.loads(record["body"])
            except ValueError:
                fail("the body is not JSON")
                continue
            validator = jsonschema.Draft202012Validator(
                {"$ref": uri + "#" + json_pointer(*pointer, "content", media_type, "schema")}, registry=registry)
            error = jsonschema.exceptions.best_match(validator.iter_errors(body))
            if error is not None:
                location = "/".join(str(part) for part in error.absolute_path) or "(body)"
                fail(f"the body does not match the documented schema at {location}: {error.message[:300]}")
                continue
            validated[key] = validated.get(key, 0) + 1
            checked += 1
    return checked


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--responses":
        directory = Path(sys.argv[2])
        answers = check_responses(directory) if directory.is_dir() else 0
        if not directory.is_dir():
            problem(directory, "no recorded answers (run the tests with HALL_RECORD_RESPONSES)")
        if problems:
            for line in problems:
                print(f"contracts: {line}", file=sys.stderr)
            print(f"contracts: {len(problems)} answer(s) not as documented", file=sys.stderr)
            return 1
        print(f"contracts: {answers} recorded answers match their OpenAPI documents")
        return 0
    if not CONTRACTS.is_dir():
        print(f"check-contracts: {CONTRACTS} not found; run from the repository root", file=sys.stderr)
        return 2
    schemas = check_schemas()
    fixture_count = check_fixtures(schemas)
    channel_count = check_asyncapi(schemas)
    openapi_count = check_openapi()
    deployment_count = check_kubernetes()
    if problems:
        for line in problems:
            print(f"contracts: {line}", file=sys.stderr)
        print(f"contracts: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"contracts: {len(schemas)} schemas, {fixture_count} fixtures, {channel_count} channels, {openapi_count} OpenAPI documents, "
          f"{deployment_count} Kubernetes deployments rendered OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
