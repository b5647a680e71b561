#!/usr/bin/env python3
"""Validates OpenAPI documents with openapi-spec-validator, a validator independent of toolgate.

Usage: validate_openapi.py FILE...   (JSON or YAML OpenAPI 3.0, 3.1 or 3.2 documents)

Prints one line per document, and every error of an invalid one with its place. Exits 0 when
every document is valid, 1 when one is not, and 2 on misuse or when the installed
openapi-spec-validator is not the version pinned in validate_openapi.requirements.txt.
crates/openapi/tests/merge.rs runs it in a venv under target/ (py-openapi-validator).
"""

import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REQUIREMENTS = Path(__file__).with_name("validate_openapi.requirements.txt")
PACKAGE = "openapi-spec-validator"


def pinned() -> str:
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith(PACKAGE + "=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit(f"{REQUIREMENTS}: no exact `{PACKAGE}==VERSION` pin")


def load(path: Path):
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith(("{", "[")):
        return json.loads(text)
    import yaml  # a dependency of openapi-spec-validator (through jsonschema-path)

    return stringify_keys(yaml.safe_load(text))


def stringify_keys(value):
    """YAML reads `200:` as an integer key; OpenAPI means the string."""
    if isinstance(value, dict):
        return {str(k): stringify_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify_keys(v) for v in value]
    return value


def where(error) -> str:
    parts = getattr(error, "absolute_path", None) or getattr(error, "path", None) or []
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    want = pinned()
    try:
        have = version(PACKAGE)
    except PackageNotFoundError:
        print(f"{PACKAGE} is not installed (pinned: {want})", file=sys.stderr)
        return 2
    if have != want:
        print(f"{PACKAGE} {have} is installed but {want} is pinned", file=sys.stderr)
        return 2

    from openapi_spec_validator import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )

    validators = {"3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator, "3.2": OpenAPIV32SpecValidator}
    failed = 0
    for name in argv:
        path = Path(name)
        spec = load(path)
        ver = str(spec.get("openapi", "")) if isinstance(spec, dict) else ""
        cls = validators.get(ver[:3])
        if cls is None:
            print(f"{name}: not an OpenAPI 3.0/3.1/3.2 document (openapi: {ver!r})")
            failed += 1
            continue
        errors = []
        try:
            for error in cls(spec, base_uri=path.resolve().as_uri()).iter_errors():
                errors.append(error)
        except Exception as e:  # an unresolvable reference raises instead of yielding
            errors.append(e)
        if errors:
            failed += 1
            for e in errors:
                message = getattr(e, "message", None) or f"{type(e).__name__}: {e}"
                print(f"{name}: INVALID at {where(e)}: {message}")
        else:
            print(f"{name}: valid OpenAPI {ver} ({PACKAGE} {have})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
