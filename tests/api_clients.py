"""The API as a backend sees it: Django's test client with one environment's secret key,
speaking JSON to ``/v1``."""

import json
from dataclasses import dataclass

from django.test import Client

from environments.models import ApiKey, Environment
from environments.services import api_key_issue


@dataclass
class ApiClient:
    client: Client
    secret: str
    api_key: ApiKey

    @property
    def environment(self) -> Environment:
        return self.api_key.environment

    def _headers(self) -> dict:
        return {"Authorization": f"ApiKey {self.secret}"}

    def get(self, path: str, params: dict | None = None, **query):
        return self.client.get(f"/v1{path}", {**(params or {}), **query}, headers=self._headers())

    def _send(self, method: str, path: str, body):
        if body is None:
            data = ""
        elif isinstance(body, str | bytes):
            data = body  # as given: malformed bodies are part of the contract too
        else:
            data = json.dumps(body)
        return getattr(self.client, method)(
            f"/v1{path}", data, content_type="application/json", headers=self._headers()
        )

    def post(self, path: str, body=None):
        return self._send("post", path, body)

    def put(self, path: str, body=None):
        return self._send("put", path, body)

    def patch(self, path: str, body=None):
        return self._send("patch", path, body)

    def delete(self, path: str):
        return self.client.delete(f"/v1{path}", headers=self._headers())

    def trigger(self, name: str, to, **fields):
        return self.post("/events/trigger", {"name": name, "to": to, **fields})


def api_client_for(environment: Environment, *, name: str = "Default key") -> ApiClient:
    issued = api_key_issue(environment=environment, name=name, created_by=None)
    return ApiClient(client=Client(), secret=issued.secret, api_key=issued.api_key)
