"""The committed OpenAPI schema is what the code generates, is valid OpenAPI 3, and documents
every route, parameter and response an integrator meets."""

import difflib
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from pivra.urls import router

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
REGENERATE = "DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python manage.py spectacular --file docs/openapi.yaml --validate"
ERROR_STATUSES = {"401", "403", "429"}


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load(COMMITTED.read_text())


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_committed_schema_is_what_the_code_generates(tmp_path):
    generated = tmp_path / "openapi.yaml"
    # --validate checks it against the OpenAPI 3 specification; --fail-on-warn refuses a schema
    # drf-spectacular had to guess at.
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    expected, actual = COMMITTED.read_text(), generated.read_text()
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), "docs/openapi.yaml (committed)", "generated", n=2
        ))
        pytest.fail(
            "docs/openapi.yaml is out of date: the API code changed without its schema. Regenerate it "
            f"and commit it with your change:\n\n    {REGENERATE}\n\nDifference (first 60 lines):\n"
            + "".join(diff.splitlines(True)[:60]),
            pytrace=False,
        )


def test_the_committed_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_the_served_schema_is_the_committed_one_and_needs_no_key_or_login(client, schema):
    for url in ("/api/schema/", "/api/schema", "/api/schema/?format=json"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert yaml.safe_load(response.content) == schema, url


def test_the_bearer_scheme_is_declared_and_required_by_every_operation(schema):
    scheme = schema["components"]["securitySchemes"]["SecretKey"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert "pivra_sk_" in scheme["description"]
    for path, method, operation in operations(schema):
        assert operation["security"] == [{"SecretKey": []}], (method, path)


def test_every_route_is_documented_at_its_clean_path_with_its_methods(schema):
    expected = {"/api/usage": {"get"}}
    for prefix, viewset, _ in router.registry:
        collection, detail = f"/api/{prefix}", f"/api/{prefix}/{{id}}"
        # Two viewsets may share a prefix (the chat action beside the chatbots): their methods add up.
        expected.setdefault(collection, set()).update(
            m for m, a in (("get", "list"), ("post", "create")) if hasattr(viewset, a)
        )
        expected.setdefault(detail, set()).update(
            m for m, a in (("get", "retrieve"), ("patch", "partial_update"), ("delete", "destroy"))
            if hasattr(viewset, a)
        )
        for extra in viewset.get_extra_actions():
            path = f"{detail if extra.detail else collection}/{extra.url_path}"
            expected.setdefault(path, set()).update(method.lower() for method in extra.mapping)
    documented = {path: set(item) for path, item in schema["paths"].items()}
    assert {path: methods for path, methods in expected.items() if methods} == documented


def test_every_operation_has_a_summary_and_documents_auth_and_rate_limit_errors(schema):
    for path, method, operation in operations(schema):
        assert operation.get("summary"), (method, path)
        assert ERROR_STATUSES <= set(operation["responses"]), (method, path)
        if "{id}" in path:
            assert "404" in operation["responses"], (method, path)
        if method in ("post", "patch"):
            assert {"400", "413"} <= set(operation["responses"]), (method, path)
        for status, response in operation["responses"].items():
            assert "$ref" in response or response["description"], (method, path, status)


def test_errors_share_one_error_component_with_examples(schema):
    components = schema["components"]
    assert components["schemas"]["Error"]["required"] == ["detail", "code"]
    for name in ("Unauthorized", "Forbidden", "NotFound", "PayloadTooLarge", "TooManyRequests"):
        content = components["responses"][name]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Error"}, name
        assert content["examples"], name
    unauthorized = components["responses"]["Unauthorized"]["content"]["application/json"]["examples"]
    assert {example["value"]["code"] for example in unauthorized.values()} == {
        "not_authenticated", "invalid_api_key", "embed_key_not_allowed", "key_expired",
    }
    forbidden = components["responses"]["Forbidden"]["content"]["application/json"]["examples"]
    assert [example["value"]["code"] for example in forbidden.values()] == [
        "plan_not_allowed", "insufficient_permission", "ip_not_allowed",
    ]
    bad_request = components["responses"]["BadRequest"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/FieldErrors"} in bad_request["oneOf"]


def test_a_429_documents_its_retry_after_header(schema):
    too_many = schema["components"]["responses"]["TooManyRequests"]
    assert too_many["headers"]["Retry-After"]["required"] is True
    assert too_many["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_lists_document_cursor_pagination(schema):
    for path, method, operation in operations(schema):
        if method != "get" or "{id}" in path or path == "/api/usage":
            continue
        parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
        assert {"cursor", "page_size"} <= set(parameters), path
        assert "100" in parameters["page_size"]["description"], path
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        page_schema = schema["components"]["schemas"][page]
        assert set(page_schema["required"]) == {"next", "previous", "results"}, path
        assert page_schema["properties"]["next"]["nullable"] is True, path


def test_the_lead_filters_are_documented(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/leads"]["get"]["parameters"]}
    assert {"chatbot", "created_after", "created_before", "updated_after", "email"} <= set(parameters)
    assert parameters["updated_after"]["schema"]["format"] == "date-time"


def test_the_usage_response_shape_is_documented(schema):
    components = schema["components"]["schemas"]
    usage = components["Usage"]
    assert set(usage["required"]) == {"plan", "period", "limits"}
    limits = components["UsageLimits"]["properties"]
    assert {"message_credits", "knowledge_characters", "chatbots", "team_members", "api_requests_per_minute",
            "sources"} <= set(limits)
    assert set(components["ResettingLimit"]["required"]) == {"used", "limit", "resets_at"}


def test_the_description_links_to_getting_started(schema):
    assert "/docs/getting-started/" in schema["info"]["description"]
