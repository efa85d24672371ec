"""One error schema: the shape of DomainError.as_dict, and per-domain schemas listing their codes."""

from enum import StrEnum

from ninja import NinjaAPI, Router
from ninja.openapi.schema import get_schema

from lachan.core.errors import DomainError, NotFound, ValidationFailed
from lachan.core.schemas import ErrorOut, error_responses, error_schema


class SampleErrorCode(StrEnum):
    NOT_FOUND = "sample_not_found"
    INVALID = "sample_invalid"


def test_error_out_reads_every_domain_error():
    errors = [DomainError("x_invalid", "Bad.", field="name", limit=3), NotFound("x_not_found", "None.")]
    for error in [*errors, ValidationFailed(errors)]:
        assert ErrorOut(**error.as_dict()).model_dump(exclude_none=True) == error.as_dict()


def test_domain_schema_lists_its_codes_and_the_common_ones():
    schema = error_schema(SampleErrorCode)
    assert schema.__name__ == "SampleErrorOut" and error_schema(SampleErrorCode) is schema
    assert error_responses(SampleErrorCode) == {400: schema, 403: schema, 404: schema}
    assert error_responses(SampleErrorCode, 404) == {404: schema}
    router = Router()

    @router.get("/samples/{code}", response={200: dict, **error_responses(SampleErrorCode, 404)})
    def sample_get(request, code: str):
        return {}

    api = NinjaAPI(urls_namespace="schemas_test")
    api.add_router("/", router)
    document = get_schema(api, path_prefix="")
    response = document["paths"]["/samples/{code}"]["get"]["responses"][404]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/SampleErrorOut")
    codes = document["components"]["schemas"]["SampleErrorOut"]["properties"]["code"]
    listed = {value for part in codes.get("anyOf", [codes]) for value in
              (document["components"]["schemas"][part["$ref"].rsplit("/", 1)[1]]["enum"] if "$ref" in part
               else part.get("enum", []))}
    assert {"sample_not_found", "sample_invalid", "invalid", "rate_limited"} <= listed


class OtherErrorCode(StrEnum):
    GONE = "other_gone"


def test_an_operation_answering_two_domains_lists_both():
    schema = error_schema(SampleErrorCode, OtherErrorCode)
    assert schema.__name__ == "SampleOtherErrorOut" and error_schema(SampleErrorCode, OtherErrorCode) is schema
    assert error_responses(SampleErrorCode, OtherErrorCode, 404) == {404: schema}
    assert error_responses(SampleErrorCode, OtherErrorCode) == dict.fromkeys((400, 403, 404), schema)
    codes = schema.model_json_schema()["properties"]["code"]["anyOf"]
    assert [part["$ref"].rsplit("/", 1)[1] for part in codes] == ["SampleErrorCode", "OtherErrorCode", "CommonErrorCode"]
