"""The OpenAPI document's operations do not change when modules move (issue 13): each operationId is pinned in
lachan/api/operation_ids.json by a key no move changes, and the (method, path, operationId) rows are snapshotted
in tests/openapi_operations.txt. Adding an endpoint means adding its row to both (the failure says what)."""

import json
from collections import Counter
from pathlib import Path

from ninja.openapi.schema import get_schema

from lachan.api.root import OPERATION_IDS, api, operation_key

SNAPSHOT = Path(__file__).with_name("openapi_operations.txt")


def _operations():
    return [op for router in api._get_bound_routers() for view in router.path_operations.values()
            for op in view.operations]


def _document_rows() -> set[str]:
    return {f"{method.upper()} {path} {details['operationId']}"
            for path, methods in get_schema(api)["paths"].items() for method, details in methods.items()}


def test_operation_keys_are_unique():
    counts = Counter(operation_key(op) for op in _operations())
    assert [key for key, n in counts.items() if n > 1] == []


def test_every_operation_is_pinned_and_every_pin_is_used():
    pinned = json.loads(OPERATION_IDS.read_text(encoding="utf-8"))
    keys = {operation_key(op): api.get_openapi_operation_id(op) for op in _operations()}
    missing = {key: oid for key, oid in keys.items() if key not in pinned}
    assert missing == {}, f"add to {OPERATION_IDS.name}: {json.dumps(missing, indent=1, ensure_ascii=False)}"
    stale = sorted(set(pinned) - set(keys))
    assert stale == [], "a pinned operation is gone or its view was renamed: keep its name or its id"


def test_operation_ids_are_unique():
    ids = Counter(api.get_openapi_operation_id(op) for op in _operations())
    assert [oid for oid, n in ids.items() if n > 1] == []


def test_document_matches_snapshot():
    expected = set(SNAPSHOT.read_text(encoding="utf-8").splitlines())
    rows = _document_rows()
    assert sorted(rows - expected) == [], f"new or changed operations: add them to {SNAPSHOT.name}"
    assert sorted(expected - rows) == [], "operations gone or changed: the API document must not change"


def test_url_names_are_unique():
    names = Counter(pattern.name for pattern in api.urls[0] if getattr(pattern, "name", None))
    assert [name for name, n in names.items() if n > 1] == []



def _code_is_an_enum(document: dict, schema: dict) -> bool:
    components = document["components"]["schemas"]

    def resolve(part: dict) -> dict:
        return components[part["$ref"].rsplit("/", 1)[1]] if "$ref" in part else part

    code = resolve(schema).get("properties", {}).get("code", {})
    parts = [resolve(part) for part in code.get("anyOf", [code])]
    return bool(parts) and all("enum" in part for part in parts)


def test_every_error_lists_its_codes():
    """Each 4xx response of an operation is an error schema whose `code` is an enum (core.schemas.error_responses
    with the domains whose codes the operation can answer), so a client knows what to expect."""
    document = get_schema(api)
    unlisted = {details["operationId"] for methods in document["paths"].values() for details in methods.values()
                for status, response in details["responses"].items() if str(status).startswith("4")
                and not _code_is_an_enum(document, response.get("content", {}).get("application/json", {})
                                         .get("schema", {}))}
    assert sorted(unlisted) == [], "list the codes: error_responses(TheDomainErrorCode, ...)"
