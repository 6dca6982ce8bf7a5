"""The Meta emulator enforces the contract's token rules (auditor/connectors/meta/contract.yaml), one test per
constraint: which token each endpoint answers, Page tokens, debug_token's caller, appsecret_proof."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from auditor.connectors.meta.tokens import appsecret_proof
from auditor.demo.meta.emulator import MetaEmulator
from tests.connectors.meta_fixtures import APP_ID, APP_SECRET, BUSINESS_ID, EXTRA_TOKEN, TOKEN, business

APP_TOKEN = f"{APP_ID}|{APP_SECRET}"
PAGE_REFUSALS = {190: "(#190) This method must be called with a Page Access Token",
                 210: "(#210) A page access token is required to request this resource."}


class Graph:
    """The emulator behind a WSGI test client; ``get`` returns (status, JSON body)."""

    def __init__(self, data: dict[str, Any] | None = None):
        self.emulator = MetaEmulator(data if data is not None else business(), TOKEN)
        self.client = Client(self.emulator)

    def get(self, path: str, token: str | None = TOKEN, *, header: bool = True, **params: Any) -> tuple[int, Any]:
        query = dict(params)
        headers = {}
        if token is not None and header:
            headers["Authorization"] = f"Bearer {token}"
        elif token is not None:
            query["access_token"] = token
        response = self.client.get(f"/v25.0{path}", query_string=query, headers=headers)
        return response.status_code, response.get_json()

    def page_token(self, page_id: str, token: str = TOKEN) -> str:
        status, body = self.get("/me/accounts", token, fields="id,access_token,tasks")
        assert status == 200, body
        return next(p["access_token"] for p in body["data"] if p["id"] == page_id)


def error(body: Any) -> dict[str, Any]:
    return body["error"]


@pytest.mark.constraint("meta", "page_assigned_users_page_token_only")
@pytest.mark.parametrize("code", [190, 210])
def test_page_assigned_users_refuse_business_and_app_tokens(code):
    graph = Graph(business(page_token_error=code))
    for token in (TOKEN, APP_TOKEN):
        status, body = graph.get("/5001/assigned_users", token, business=BUSINESS_ID)
        assert (status, error(body)["code"], error(body)["message"]) == (400, code, PAGE_REFUSALS[code])
    status, body = graph.get("/5001/assigned_users", graph.page_token("5001"), business=BUSINESS_ID)
    assert status == 200 and {u["id"] for u in body["data"]} == {"2001", "2002", "2004", "3001"}
    status, body = graph.get("/5002/assigned_users", graph.page_token("5001"), business=BUSINESS_ID)
    assert status == 400 and error(body)["code"] == code  # a Page token answers for its own Page only


@pytest.mark.constraint("meta", "page_assigned_users_manage_task")
def test_page_assigned_users_need_manage_and_pages_manage_metadata():
    data = business()
    data["tokens"]["EAAben"] = {**data["tokens"][TOKEN], "user_id": "2002"}  # CREATE_CONTENT, MODERATE only
    graph = Graph(data)
    status, body = graph.get("/5001/assigned_users", graph.page_token("5001", "EAAben"), business=BUSINESS_ID)
    assert (status, error(body)["code"]) == (403, 200)
    data["tokens"][TOKEN]["scopes"].remove("pages_manage_metadata")
    graph = Graph(data)
    status, body = graph.get("/5001/assigned_users", graph.page_token("5001"), business=BUSINESS_ID)
    assert (status, error(body)["code"]) == (403, 200)


@pytest.mark.constraint("meta", "me_accounts_only_tasked_pages")
def test_me_accounts_lists_only_pages_with_a_task():
    graph = Graph()
    status, body = graph.get("/me/accounts", fields="id,name,access_token,tasks")
    assert status == 200 and [p["id"] for p in body["data"]] == ["5001", "5002"]
    assert body["data"][1]["tasks"] == ["MANAGE"] and body["data"][0]["access_token"]
    data = business()
    data["tokens"]["EAAcara"] = {**data["tokens"][TOKEN], "user_id": "2003"}
    status, body = Graph(data).get("/me/accounts", "EAAcara", fields="id,access_token")
    assert [p["id"] for p in body["data"]] == ["5002"]
    data["tokens"][TOKEN]["scopes"].remove("pages_read_engagement")
    status, body = Graph(data).get("/me/accounts", fields="id,access_token")
    assert (status, error(body)["code"]) == (403, 200)


@pytest.mark.constraint("meta", "page_token_field_only_tasked")
def test_page_access_token_field_only_for_a_page_with_a_task():
    data = business()
    data["tokens"]["EAAdan"] = {**data["tokens"][TOKEN], "user_id": "2004"}  # on 5001 only
    graph = Graph(data)
    status, body = graph.get("/5002", "EAAdan", fields="id,access_token")
    assert (status, error(body)["code"]) == (403, 200)
    status, body = graph.get("/5001", "EAAdan", fields="id,access_token")
    assert status == 200 and body["id"] == "5001" and body["access_token"].startswith("EAAPage")


@pytest.mark.constraint("meta", "per_principal_edges_take_business_tokens")
def test_per_principal_views_take_the_business_token_only():
    graph = Graph()
    status, body = graph.get("/2002/assigned_pages", fields="id,tasks")
    assert status == 200 and [(p["id"], p["tasks"]) for p in body["data"]] == [
        ("5001", ["CREATE_CONTENT", "MODERATE"])]
    status, body = graph.get("/2002/assigned_pages", graph.page_token("5001"), fields="id,tasks")
    assert status == 400 and error(body)["code"] == 100
    data = business()
    data["tokens"][TOKEN]["scopes"].remove("business_management")
    status, body = Graph(data).get("/2002/assigned_ad_accounts")
    assert (status, error(body)["code"]) == (403, 200)


@pytest.mark.constraint("meta", "business_edges_need_business_management")
def test_business_edges_need_business_management():
    data = business()
    data["tokens"][TOKEN]["scopes"].remove("business_management")
    graph = Graph(data)
    for path in (f"/{BUSINESS_ID}", f"/{BUSINESS_ID}/business_users", f"/{BUSINESS_ID}/owned_pages"):
        status, body = graph.get(path)
        assert (status, error(body)["code"], error(body)["message"]) == (
            403, 200, "(#200) Requires business_management permission to manage the object")


@pytest.mark.constraint("meta", "app_must_be_claimed_by_business")
def test_token_of_an_unclaimed_app_is_refused_on_business_edges():
    data = business()
    data["tokens"][TOKEN]["app_id"] = "5555"  # neither an owned nor a client app of the business
    status, body = Graph(data).get(f"/{BUSINESS_ID}/business_users")
    assert (status, error(body)["code"]) == (403, 200)
    assert Graph().get(f"/{BUSINESS_ID}/business_users")[0] == 200


@pytest.mark.constraint("meta", "assigned_users_business_required")
@pytest.mark.parametrize("asset", ["5001", "act_6001", "8501"])
def test_assigned_users_need_business_on_every_asset_kind(asset):
    graph = Graph()
    token = graph.page_token(asset) if asset == "5001" else TOKEN
    status, body = graph.get(f"/{asset}/assigned_users", token, fields="id,tasks")
    assert (status, error(body)["code"], error(body)["message"]) == (
        400, 100, "(#100) The parameter business is required")
    assert graph.get(f"/{asset}/assigned_users", token, business=BUSINESS_ID)[0] == 200


@pytest.mark.constraint("meta", "instagram_assigned_users_business_required")
def test_instagram_assigned_users_need_business():
    status, body = Graph().get("/8001/assigned_users")
    assert (status, error(body)["message"]) == (400, "(#100) The parameter business is required")


@pytest.mark.constraint("meta", "debug_token_input_required")
def test_debug_token_needs_input_token():
    status, body = Graph().get("/debug_token", APP_TOKEN)
    assert (status, error(body)["code"]) == (400, 100) and "input_token" in error(body)["message"]


@pytest.mark.constraint("meta", "debug_token_caller")
def test_debug_token_answers_the_app_token_or_an_app_developer_only():
    graph = Graph()
    refused = "(#100) You must provide an app access token, or a user access token that is an owner or " \
              "developer of the app"
    status, body = graph.get("/debug_token", TOKEN, input_token=TOKEN)  # 2001 is no developer of app 9901
    assert (status, error(body)["message"]) == (400, refused)
    status, body = graph.get("/debug_token", APP_TOKEN, input_token=TOKEN)
    assert status == 200 and body["data"]["app_id"] == APP_ID
    status, body = graph.get("/debug_token", APP_TOKEN, input_token=EXTRA_TOKEN)  # another app's token
    assert (status, error(body)["message"]) == (400, refused)
    status, body = graph.get("/debug_token", EXTRA_TOKEN, input_token=EXTRA_TOKEN)  # 93001 develops app 9902
    assert status == 200 and body["data"]["app_id"] == "9902"
    assert graph.get("/debug_token", f"{APP_ID}|wrong", input_token=TOKEN)[0] == 400


@pytest.mark.constraint("meta", "appsecret_proof_required_when_enabled")
def test_app_requiring_the_secret_refuses_calls_without_proof():
    graph = Graph(business(require_app_secret=[APP_ID]))
    status, body = graph.get("/me")
    assert (status, error(body)) == (400, {**error(body), "code": 100, "type": "GraphMethodException",
                                           "message": "API calls from the server require an appsecret_proof "
                                                      "argument"})
    assert graph.get("/me", appsecret_proof=appsecret_proof(APP_SECRET, TOKEN))[0] == 200
    assert graph.get("/me", EXTRA_TOKEN)[0] == 200  # another app, without the setting


@pytest.mark.constraint("meta", "appsecret_proof_hmac")
def test_wrong_appsecret_proof_is_refused():
    graph = Graph()
    status, body = graph.get("/me", appsecret_proof=appsecret_proof("not-the-secret", TOKEN))
    assert (status, error(body)["message"]) == (400, "Invalid appsecret_proof provided in the API argument")
    proof = appsecret_proof(APP_SECRET, TOKEN)
    assert len(proof) == 64 and proof == proof.lower()
    assert graph.get("/me", appsecret_proof=proof)[0] == 200


@pytest.mark.constraint("meta", "token_as_param_or_bearer")
def test_token_as_header_or_access_token_parameter():
    graph = Graph()
    assert graph.get("/me", header=True)[1] == graph.get("/me", header=False)[1] == {"id": "2001",
                                                                                    "name": "Anna Admin"}
    assert [r.token_source for r in graph.emulator.requests] == ["header", "query"]
    assert "access_token" not in graph.emulator.requests[1].params


@pytest.mark.constraint("meta", "error_body_shape")
def test_error_bodies_have_graphs_shape():
    status, body = Graph().get("/me", "EAAnobody")
    assert status == 400 and set(body) == {"error"}
    assert {"message", "type", "code", "fbtrace_id"} <= set(error(body))
    assert (error(body)["code"], error(body)["type"]) == (190, "OAuthException")
