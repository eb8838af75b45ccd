"""Drives the emulator's control API from Python's standard library only (urllib, json).

Usage: python3 drive.py '<the emulator binary's JSON line>'

Prints one JSON line per check, {"check": NAME, "ok": true} or {"check": NAME, "ok": false,
"detail": "..."}, and exits 1 when a check failed. A later check may use what an earlier one
made; when that is missing it fails too, saying so.
"""

import base64
import json
import sys
import time
import traceback
import urllib.error
import urllib.request

emulator = json.loads(sys.argv[1])
APP_ID = emulator["app_id"]
API_KEY = emulator["api_key"]
AUTH_BASE = emulator["auth_base_url"]
API_BASE = emulator["api_base_url"]
CONTROL = f"{AUTH_BASE}/emulator/v1/apps/{APP_ID}"
MANAGEMENT = f"{API_BASE}/apps/{APP_ID}"

failures = 0
made = {}


def emit(name, ok, detail=None):
    line = {"check": name, "ok": ok}
    if detail is not None:
        line["detail"] = detail
    print(json.dumps(line), flush=True)


class check:
    """`with check("name"):` reports the block as one check; a failure does not stop the run."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        global failures
        if kind is None:
            emit(self.name, True)
        else:
            failures += 1
            detail = "".join(traceback.format_exception_only(kind, value)).strip()
            emit(self.name, False, detail)
        return True


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def call(method, url, body=None, key=API_KEY):
    """(status, headers, parsed JSON body or None) of one request; error statuses too."""
    headers = {}
    data = None
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, answer_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, error.headers, error.read()
    return status, answer_headers, (json.loads(raw) if raw else None)


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def header(token):
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def needs(name):
    expect(name in made, f"an earlier check did not make {name}")
    return made[name]


with check("seed_user"):
    status, _, body = call(
        "POST",
        f"{CONTROL}/users",
        {
            "email": "ada@example.com",
            "email_verified": True,
            "user_metadata": {"plan": "pro"},
            "devices": ["Laptop"],
            "login_count": 2,
        },
    )
    expect(status == 201, f"status {status}: {body}")
    user = body["user"]
    expect(user["email_verified"] and user["login_count"] == 2, f"{user}")
    expect(user["webauthn_devices"][0]["friendly_name"] == "Laptop", f"{user}")
    made["user_id"] = user["id"]

with check("seed_user_seen_by_management_api"):
    status, _, body = call("GET", f"{MANAGEMENT}/users/{needs('user_id')}")
    expect(status == 200, f"status {status}: {body}")
    expect(body["user"]["user_metadata"] == {"plan": "pro"}, f"{body}")

with check("add_device"):
    status, _, body = call("POST", f"{CONTROL}/users/{needs('user_id')}/devices", {"friendly_name": "Phone"})
    expect(status == 201, f"status {status}: {body}")
    status, _, body = call("GET", f"{MANAGEMENT}/users/{needs('user_id')}/devices")
    names = sorted(d["friendly_name"] for d in body["devices"])
    expect(names == ["Laptop", "Phone"], f"{names}")

with check("bad_request_error_form"):
    status, _, body = call("POST", f"{CONTROL}/users", {"email": "ada@example.com", "nickname": "x"})
    expect(status == 400, f"status {status}")
    expect(sorted(body) == ["code", "error"] and body["code"] == "invalid_request", f"{body}")

with check("unauthorized_without_api_key"):
    status, _, body = call("GET", f"{CONTROL}/faults", key=None)
    expect(status == 401 and body["code"] == "invalid_access_token", f"{status} {body}")

with check("issue_token"):
    status, _, body = call("POST", f"{CONTROL}/tokens", {"user_id": needs("user_id"), "claims": {"role": "admin"}})
    expect(status == 200, f"status {status}: {body}")
    token = body["token"]
    got = claims(token)
    expect(got["sub"] == made["user_id"] and got["role"] == "admin", f"{got}")
    expect(got["iss"] == f"{AUTH_BASE}/v1/apps/{APP_ID}", f"{got['iss']}")
    made["token"] = token

with check("issue_expired_token"):
    status, _, body = call("POST", f"{CONTROL}/tokens", {"user_id": needs("user_id"), "expired": True})
    expect(status == 200, f"status {status}: {body}")
    expect(claims(body["token"])["exp"] < time.time(), f"{claims(body['token'])}")

with check("rotate_keys"):
    old_kid = header(needs("token"))["kid"]
    status, _, body = call("POST", f"{CONTROL}/keys/rotate", {"keep_old": True})
    expect(status == 200, f"status {status}: {body}")
    kids = body["kids"]
    expect(len(kids) == 2 and kids[1] == old_kid and kids[0] != old_kid, f"{kids}")
    status, _, jwks = call("GET", emulator["jwks_url"], key=None)
    expect(sorted(k["kid"] for k in jwks["keys"]) == sorted(kids), f"{jwks}")
    _, _, body = call("POST", f"{CONTROL}/tokens", {"user_id": made["user_id"]})
    expect(header(body["token"])["kid"] == kids[0], "a new token is signed by the new key")
    status, _, body = call("POST", f"{CONTROL}/keys/rotate", {"keep_old": False})
    expect(len(body["kids"]) == 1 and old_kid not in body["kids"], f"{body}")

with check("inject_503"):
    users = f"/v1/apps/{APP_ID}/users"
    status, _, body = call(
        "POST", f"{CONTROL}/faults", {"method": "GET", "path_prefix": users, "status": 503, "retry_after": 1}
    )
    expect(status == 201 and body == {"pending": 1}, f"{status} {body}")
    status, headers, body = call("GET", f"{MANAGEMENT}/users")
    expect(status == 503 and body["code"] == "service_unavailable", f"{status} {body}")
    expect(headers.get("Retry-After") == "1", f"{dict(headers)}")
    status, _, _ = call("GET", f"{MANAGEMENT}/users")
    expect(status == 200, f"the fault was used up, got {status}")

with check("clear_faults"):
    call("POST", f"{CONTROL}/faults", {"path_prefix": "/", "status": 500, "times": 3})
    status, _, _ = call("DELETE", f"{CONTROL}/faults")
    expect(status == 204, f"status {status}")
    _, _, body = call("GET", f"{CONTROL}/faults")
    expect(body == {"pending": 0}, f"{body}")

with check("read_magic_link"):
    status, _, created = call(
        "POST", f"{MANAGEMENT}/magic-links", {"email": "grace@example.com", "language": "es", "send": True}
    )
    expect(status == 201, f"create-magic-link: {status} {created}")
    _, _, body = call("GET", f"{CONTROL}/magic-links")
    link = body["magic_links"][-1]
    expect(link["identifier"] == "grace@example.com", f"{link}")
    expect(link["type"] == "login" and link["language"] == "es" and link["channel"] == "email", f"{link}")
    expect(link["secret"] == created["magic_link"]["secret"], "the secret of the link created")
    expect(link["url"].startswith(AUTH_BASE) and link["url"].endswith(link["secret"]), f"{link['url']}")

with check("request_log"):
    _, _, body = call("GET", f"{CONTROL}/requests")
    posts = [r for r in body["requests"] if r["method"] == "POST" and r["path"].endswith("/magic-links")]
    expect(len(posts) == 1, f"{body['requests']}")
    expect(posts[0]["headers"]["authorization"] == "[redacted]", f"{posts[0]['headers']}")
    expect(posts[0]["status"] == 201 and posts[0]["body"]["email"] == "grace@example.com", f"{posts[0]}")
    expect(all("/emulator/" not in r["path"] for r in body["requests"]), "control calls are not logged")
    expect(API_KEY not in json.dumps(body), "the API key is not in the log")
    status, _, _ = call("DELETE", f"{CONTROL}/requests")
    _, _, body = call("GET", f"{CONTROL}/requests")
    expect(status == 204 and body == {"requests": []}, f"{status} {body}")

with check("export_state"):
    status, _, state = call("GET", f"{CONTROL}/state")
    expect(status == 200 and state["version"] == 1 and state["app_id"] == APP_ID, f"{status}")
    expect(len(state["users"]) == 2, f"{[u['email'] for u in state['users']]}")
    made["state"] = state

with check("reset"):
    status, _, _ = call("POST", f"{CONTROL}/reset")
    expect(status == 204, f"status {status}")
    _, _, body = call("GET", f"{MANAGEMENT}/users")
    expect(body["users"] == [], f"{body}")

with check("import_state"):
    status, _, body = call("PUT", f"{CONTROL}/state", needs("state"))
    expect(status == 204, f"status {status}: {body}")
    status, _, body = call("GET", f"{MANAGEMENT}/users/{needs('user_id')}")
    expect(status == 200 and body["user"]["email"] == "ada@example.com", f"{status} {body}")

sys.exit(1 if failures else 0)
