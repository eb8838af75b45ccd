"""Drives the vendor's Python SDK (passage-identity 3.0.2) against the emulator.

Usage: python drive.py '<the emulator binary's JSON line>'

Prints one JSON line per check, {"check": NAME, "ok": true} or {"check": NAME, "ok": false,
"detail": "..."}, and exits 1 when a check failed. The SDK is pointed at the emulator only through
its own configuration: the generated client's default `Configuration` (host) for the Management
API, and the `uri` of the `PyJWKClient` it creates for the JWKS (the SDK builds that URL from a
fixed origin and offers no setting for it).
"""

import json
import sys
import traceback
from datetime import datetime
import urllib.request

import jwt as pyjwt
from passageidentity import (
    CreateUserArgs,
    MagicLinkChannel,
    MagicLinkLanguage,
    MagicLinkOptions,
    MagicLinkType,
    MagicLinkWithEmailArgs,
    MagicLinkWithPhoneArgs,
    MagicLinkWithUserArgs,
    Passage,
    PassageError,
    PassageUser,
    UpdateUserArgs,
    UserStatus,
)
from passageidentity.openapi_client.configuration import Configuration
from passageidentity.openapi_client.models.user_event_action import UserEventAction
from passageidentity.openapi_client.models.user_event_status import UserEventStatus
from passageidentity.openapi_client.models.user_recent_event import UserRecentEvent

SDK_AUTH_ORIGIN = "https://auth.passage.id"

emulator = json.loads(sys.argv[1])
APP_ID = emulator["app_id"]
API_KEY = emulator["api_key"]
AUTH_BASE = emulator["auth_base_url"]

failures = 0


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
            ours = [frame for frame in traceback.extract_tb(tb) if frame.filename == __file__]
            where = f" (line {ours[-1].lineno})" if ours else ""
            emit(self.name, False, f"{kind.__name__}: {value}{where}")
        return True


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_passage_error(call, status, code):
    """Runs `call`, which must raise PassageError with this status and error code."""
    try:
        call()
    except PassageError as error:
        expect(
            (error.status_code, error.error_code) == (status, code),
            f"expected {status} {code}, got {error.status_code} {error.error_code}: {error.message}",
        )
        expect(bool(error.message), "the error has a message")
        return error
    raise AssertionError(f"expected PassageError {status} {code}, nothing was raised")


def expect_rejected(token, error_type):
    try:
        passage.auth.validate_jwt(token)
    except error_type:
        return
    raise AssertionError(f"the token was accepted, expected {error_type.__name__}")


def issue_token(user_id, ttl_seconds=None, expired=False):
    """A token from the emulator's control API: what a signed-in browser would hold, or, with
    `expired`, one whose lifetime ended a while ago."""
    shape = {"expired": True} if expired else {"ttl_seconds": ttl_seconds}
    request = urllib.request.Request(
        f"{AUTH_BASE}/emulator/v1/apps/{APP_ID}/tokens",
        data=json.dumps({"user_id": user_id, **shape}).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


# The generated API classes read the default Configuration when the SDK creates them.
Configuration.set_default(Configuration(host=emulator["api_base_url"]))
passage = Passage(APP_ID, API_KEY)

with check("jwks_url"):
    sdk_url = passage.auth.jwks.uri
    expect(sdk_url.startswith(SDK_AUTH_ORIGIN + "/"), f"the SDK's JWKS URL is {sdk_url}")
    redirected = AUTH_BASE + sdk_url[len(SDK_AUTH_ORIGIN) :]
    expect(redirected == emulator["jwks_url"], f"{redirected} != {emulator['jwks_url']}")
    passage.auth.jwks.uri = redirected

# Users.
with check("create_by_email"):
    ada = passage.user.create(CreateUserArgs(email="Ada@Example.com", user_metadata=None))
    expect(isinstance(ada, PassageUser), type(ada))
    expect(ada.email == "ada@example.com", ada.email)
    expect(ada.phone == "", repr(ada.phone))
    expect(ada.status == UserStatus.ACTIVE, ada.status)

with check("create_by_phone"):
    grace = passage.user.create(CreateUserArgs(phone="+15551234567"))
    expect(grace.phone == "+15551234567", grace.phone)
    expect(grace.email == "", repr(grace.email))

with check("get"):
    got = passage.user.get(ada.id)
    expect((got.id, got.email) == (ada.id, "ada@example.com"), got)
    expect(got.webauthn_devices == [] and got.login_count == 0, got)

with check("get_by_identifier_email"):
    expect(passage.user.get_by_identifier("ADA@example.com").id == ada.id, "found someone else")

with check("get_by_identifier_phone"):
    expect(passage.user.get_by_identifier("+15551234567").id == grace.id, "found someone else")

with check("update"):
    updated = passage.user.update(
        ada.id, UpdateUserArgs(email="ada@new.example.com", phone="+15557654321")
    )
    expect((updated.email, updated.phone) == ("ada@new.example.com", "+15557654321"), updated)
    expect(passage.user.get(ada.id).email == "ada@new.example.com", "the change did not stay")

with check("deactivate"):
    expect(passage.user.deactivate(ada.id).status == UserStatus.INACTIVE, "still active")

with check("activate"):
    expect(passage.user.activate(ada.id).status == UserStatus.ACTIVE, "not active")

with check("list_devices"):
    devices = passage.user.list_devices(ada.id)
    expect(devices == [], devices)

# The emulator binary has no HTTP way to add a device, so revoking one is checked on a missing id.
with check("revoke_device_missing"):
    expect_passage_error(
        lambda: passage.user.revoke_device(ada.id, "no-such-device"), 404, "device_not_found"
    )

with check("revoke_refresh_tokens"):
    expect(passage.user.revoke_refresh_tokens(ada.id) is None, "returned something")

# Magic links, with every argument and option.
with check("magic_link_email_all_options"):
    link = passage.auth.create_magic_link(
        MagicLinkWithEmailArgs(email="ada@new.example.com", link_type=MagicLinkType.LOGIN, send=False),
        MagicLinkOptions(
            language=MagicLinkLanguage.DE,
            magic_link_path="/verify",
            redirect_url="/dashboard",
            ttl=15,
        ),
    )
    expect((link.user_id, link.identifier) == (ada.id, "ada@new.example.com"), link)
    expect((link.type, link.ttl, link.redirect_url) == (MagicLinkType.LOGIN, 15, "/dashboard"), link)
    expect(link.url.startswith(f"{AUTH_BASE}/verify?psg_magic_link="), link.url)
    expect(link.url.endswith(link.secret) and not link.activated, link)
    expect(link.app_id == APP_ID, link.app_id)

with check("magic_link_phone"):
    link = passage.auth.create_magic_link(
        MagicLinkWithPhoneArgs(phone="+15551234567", link_type=MagicLinkType.VERIFY_IDENTIFIER, send=True),
        MagicLinkOptions(language=MagicLinkLanguage.ES),
    )
    expect((link.user_id, link.identifier) == (grace.id, "+15551234567"), link)
    expect(link.type == MagicLinkType.VERIFY_IDENTIFIER, link.type)
    expect((link.ttl, link.redirect_url) == (5, "/"), link)

with check("magic_link_user_email"):
    link = passage.auth.create_magic_link(
        MagicLinkWithUserArgs(
            user_id=ada.id, channel=MagicLinkChannel.EMAIL, link_type=MagicLinkType.LOGIN, send=True
        ),
        MagicLinkOptions(ttl=60),
    )
    expect((link.user_id, link.identifier, link.ttl) == (ada.id, "ada@new.example.com", 60), link)

with check("magic_link_user_phone"):
    link = passage.auth.create_magic_link(
        MagicLinkWithUserArgs(
            user_id=ada.id, channel=MagicLinkChannel.PHONE, link_type=MagicLinkType.LOGIN, send=False
        ),
    )
    expect((link.user_id, link.identifier) == (ada.id, "+15557654321"), link)

with check("magic_link_new_email_signs_up"):
    link = passage.auth.create_magic_link(
        MagicLinkWithEmailArgs(email="new@example.com", link_type=MagicLinkType.LOGIN, send=False),
    )
    expect(passage.user.get(link.user_id).status == UserStatus.PENDING, "not pending")

with check("magic_link_400"):
    expect_passage_error(
        lambda: passage.auth.create_magic_link(
            MagicLinkWithUserArgs(
                user_id=grace.id, channel=MagicLinkChannel.EMAIL, link_type=MagicLinkType.LOGIN, send=True
            ),
        ),
        400,
        "invalid_request",
    )

with check("magic_link_404"):
    expect_passage_error(
        lambda: passage.auth.create_magic_link(
            MagicLinkWithEmailArgs(
                email="nobody@example.com", link_type=MagicLinkType.VERIFY_IDENTIFIER, send=False
            ),
        ),
        404,
        "user_not_found",
    )

# Errors.
with check("error_400_create"):
    expect_passage_error(
        lambda: passage.user.create(CreateUserArgs(email="not-an-email")), 400, "invalid_request"
    )

with check("error_400_update"):
    expect_passage_error(
        lambda: passage.user.update(grace.id, UpdateUserArgs(phone="555-1234")), 400, "invalid_request"
    )

with check("error_401_wrong_api_key"):
    wrong = Passage(APP_ID, "not-the-api-key")
    expect_passage_error(lambda: wrong.user.get(ada.id), 401, "invalid_access_token")

with check("error_401_magic_link"):
    expect_passage_error(
        lambda: wrong.auth.create_magic_link(
            MagicLinkWithEmailArgs(email="ada@new.example.com", link_type=MagicLinkType.LOGIN, send=False)
        ),
        401,
        "invalid_access_token",
    )

missing = "nosuchuser0000000000000"
for name, call in [
    ("get", lambda: passage.user.get(missing)),
    ("update", lambda: passage.user.update(missing, UpdateUserArgs(email="x@example.com"))),
    ("activate", lambda: passage.user.activate(missing)),
    ("deactivate", lambda: passage.user.deactivate(missing)),
    ("delete", lambda: passage.user.delete(missing)),
    ("list_devices", lambda: passage.user.list_devices(missing)),
    ("revoke_device", lambda: passage.user.revoke_device(missing, "device")),
    ("revoke_refresh_tokens", lambda: passage.user.revoke_refresh_tokens(missing)),
]:
    with check(f"error_404_{name}"):
        expect_passage_error(call, 404, "user_not_found")

# The SDK makes this 404 itself when the list comes back empty.
with check("error_404_get_by_identifier"):
    expect_passage_error(
        lambda: passage.user.get_by_identifier("nobody@example.com"), 404, "user_not_found"
    )

# Tokens.
with check("validate_jwt"):
    token = issue_token(ada.id, 3600)
    expect(passage.auth.validate_jwt(token) == ada.id, "another subject")
    expect(passage.auth.validate_jwt(issue_token(grace.id, 60)) == grace.id, "another subject")

# Ada was created through the SDK, then got one token: a register event, then a login event.
with check("recent_events_register_and_login"):
    events = passage.user.get(ada.id).recent_events
    expect(all(isinstance(e, UserRecentEvent) for e in events), events)
    expect([e.action for e in events] == [UserEventAction.LOGIN, UserEventAction.REGISTER], events)
    for event in events:
        expect(event.type == event.action.value and event.status == UserEventStatus.COMPLETE, event)
        expect(isinstance(event.created_at, datetime) and isinstance(event.completed_at, datetime), event)
        expect(event.ip_addr == "127.0.0.1" and event.user_agent != "", event)
        expect(event.social_login_type is None and len(event.id) == 24, event)
    expect(events[0].created_at >= events[1].created_at, events)

with check("validate_jwt_tampered_signature"):
    head, body, signature = token.split(".")
    flipped = ("B" if signature[0] != "B" else "C") + signature[1:]
    expect_rejected(f"{head}.{body}.{flipped}", pyjwt.InvalidSignatureError)

with check("validate_jwt_tampered_claims"):
    other = issue_token(grace.id, 3600).split(".")[1]
    expect_rejected(f"{head}.{other}.{signature}", pyjwt.InvalidSignatureError)

with check("validate_jwt_garbage"):
    expect_rejected("not-a-jwt", pyjwt.DecodeError)

with check("validate_jwt_expired"):
    expect_rejected(issue_token(ada.id, expired=True), pyjwt.ExpiredSignatureError)

with check("delete"):
    expect(passage.user.delete(ada.id) is None, "returned something")
    expect(passage.user.delete(grace.id) is None, "returned something")
    expect_passage_error(lambda: passage.user.get(ada.id), 404, "user_not_found")

sys.exit(1 if failures else 0)
