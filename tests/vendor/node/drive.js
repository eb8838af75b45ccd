// Drives the vendor's Node SDK (@passageidentity/passage-node 2.12.1) against the emulator.
//
// Usage: node drive.js '<the emulator binary's JSON line>' (with the SDK resolvable by require,
// for example through NODE_PATH).
//
// Prints one JSON line per check, {"check": NAME, "ok": true} or {"check": NAME, "ok": false,
// "detail": "..."}, and exits 1 when a check failed. The SDK is pointed at the emulator only through
// its own options and Node's: the `fetchApi` option (a fetch that rewrites the SDK's
// https://api.passage.id and https://auth.passage.id URLs) for the Management API, and, for the
// JWKS, which the SDK fetches with jose's createRemoteJWKSet over node:https from a fixed URL (no
// option reaches it), an https.globalAgent whose createConnection dials the emulator.
"use strict";

const http = require("node:http");
const https = require("node:https");
const net = require("node:net");
const fetch = require("node-fetch");
const { Passage, PassageError, MagicLinkType, MagicLinkChannel, UserStatus } = require("@passageidentity/passage-node");

const emulator = JSON.parse(process.argv[2]);
const APP_ID = emulator.app_id;
const API_KEY = emulator.api_key;
const AUTH_BASE = emulator.auth_base_url;
const emulatorPort = Number(new URL(AUTH_BASE).port);

const SDK_API_BASE = "https://api.passage.id/v1";
const SDK_AUTH_ORIGIN = "https://auth.passage.id";

let failures = 0;

function emit(name, ok, detail) {
  const line = { check: name, ok };
  if (detail !== undefined) line.detail = detail;
  process.stdout.write(JSON.stringify(line) + "\n");
}

// Runs one check; a failure is reported and does not stop the run.
async function check(name, body) {
  try {
    await body();
    emit(name, true);
  } catch (error) {
    failures += 1;
    emit(name, false, error && error.stack ? error.stack.split("\n").slice(0, 3).join(" | ") : String(error));
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(`expectation failed: ${typeof message === "string" ? message : JSON.stringify(message)}`);
}

// `call` must reject with a PassageError with this status and error code.
async function expectPassageError(call, status, code) {
  let error;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error !== undefined, `expected PassageError ${status} ${code}, the call succeeded`);
  expect(error instanceof PassageError, `expected PassageError, got ${error}`);
  expect(
    error.statusCode === status && error.errorCode === code,
    `expected ${status} ${code}, got ${error.statusCode} ${error.errorCode}: ${error.message}`,
  );
  expect(error.message.length > 0, "the error has a message");
  return error;
}

// The SDK wraps every rejection in a PassageError whose message names jose's error.
async function expectRejected(validate, joseError) {
  let error;
  try {
    await validate();
  } catch (e) {
    error = e;
  }
  expect(error !== undefined, `the token was accepted, expected ${joseError}`);
  expect(error instanceof PassageError, `expected PassageError, got ${error}`);
  expect(error.message.includes(joseError), `expected ${joseError}: ${error.message}`);
}

// The Management API: a fetch that sends the SDK's URLs to the emulator, and nothing elsewhere.
const fetched = [];
function fetchApi(url, init) {
  const target = String(url);
  let rewritten;
  if (target.startsWith(SDK_API_BASE + "/")) {
    rewritten = emulator.api_base_url + target.slice(SDK_API_BASE.length);
  } else if (target.startsWith(SDK_AUTH_ORIGIN + "/")) {
    rewritten = AUTH_BASE + target.slice(SDK_AUTH_ORIGIN.length);
  } else {
    return Promise.reject(new Error(`the SDK fetched an unexpected URL: ${target}`));
  }
  fetched.push(`${(init && init.method) || "GET"} ${target}`);
  return fetch(rewritten, init);
}

// The JWKS: jose requests it over node:https with the global agent; this agent connects
// auth.passage.id to the emulator in plain TCP and refuses every other host.
const jwksConnections = [];
class EmulatorAgent extends https.Agent {
  createConnection(options, callback) {
    if (options.host !== new URL(SDK_AUTH_ORIGIN).hostname) {
      throw new Error(`the SDK connected to an unexpected host: ${options.host}`);
    }
    jwksConnections.push(options.host);
    const socket = net.connect(emulatorPort, "127.0.0.1");
    if (callback) socket.once("connect", () => callback(null, socket));
    return socket;
  }
}
https.globalAgent = new EmulatorAgent();

// A token from the emulator's control API: what a signed-in browser would hold, or, with
// `expired`, one whose lifetime ended a while ago.
async function issueToken(userId, ttlSeconds, { expired = false } = {}) {
  const shape = expired ? { expired: true } : { ttl_seconds: ttlSeconds };
  const response = await fetch(`${AUTH_BASE}/emulator/v1/apps/${APP_ID}/tokens`, {
    method: "POST",
    headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ user_id: userId, ...shape }),
  });
  expect(response.status === 200, `the emulator issued no token: ${response.status}`);
  return (await response.json()).token;
}

// A Node http request, as authenticateRequest takes it.
function incoming(headers) {
  const request = new http.IncomingMessage(new net.Socket());
  Object.assign(request.headers, headers);
  return request;
}

async function main() {
  const passage = new Passage({ appID: APP_ID, apiKey: API_KEY, fetchApi });
  const byHeader = new Passage({ appID: APP_ID, apiKey: API_KEY, fetchApi, authStrategy: "HEADER" });
  const wrongKey = new Passage({ appID: APP_ID, apiKey: "not-the-api-key", fetchApi });

  let ada;
  let grace;
  let token;

  // Users.
  await check("create_by_email", async () => {
    ada = await passage.user.create({ email: "Ada@Example.com" });
    expect(ada.email === "ada@example.com", ada);
    expect(ada.phone === "", ada);
    expect(ada.status === UserStatus.Active, ada.status);
    expect(ada.created_at instanceof Date, "created_at is a Date");
  });
  await check("create_by_phone", async () => {
    grace = await passage.user.create({ phone: "+15551234567", user_metadata: {} });
    expect(grace.phone === "+15551234567" && grace.email === "", grace);
  });
  await check("get", async () => {
    const got = await passage.user.get(ada.id);
    expect(got.id === ada.id && got.email === "ada@example.com", got);
    expect(got.webauthn_devices.length === 0 && got.login_count === 0, got);
  });
  await check("get_by_identifier_email", async () => {
    expect((await passage.user.getByIdentifier("ADA@example.com")).id === ada.id, "found someone else");
  });
  await check("get_by_identifier_phone", async () => {
    expect((await passage.user.getByIdentifier("+15551234567")).id === grace.id, "found someone else");
  });
  await check("get_user_by_identifier_deprecated", async () => {
    expect((await passage.user.getUserByIdentifier("ada@example.com")).id === ada.id, "found someone else");
  });
  await check("update", async () => {
    const updated = await passage.user.update(ada.id, { email: "ada@new.example.com", phone: "+15557654321" });
    expect(updated.email === "ada@new.example.com" && updated.phone === "+15557654321", updated);
    expect((await passage.user.get(ada.id)).email === "ada@new.example.com", "the change did not stay");
  });
  await check("deactivate", async () => {
    expect((await passage.user.deactivate(ada.id)).status === UserStatus.Inactive, "still active");
  });
  await check("activate", async () => {
    expect((await passage.user.activate(ada.id)).status === UserStatus.Active, "not active");
  });
  await check("list_devices", async () => {
    const devices = await passage.user.listDevices(ada.id);
    expect(Array.isArray(devices) && devices.length === 0, devices);
  });
  // The emulator binary has no HTTP way to add a device, so revoking one is checked on a missing id.
  await check("revoke_device_missing", async () => {
    await expectPassageError(() => passage.user.revokeDevice(ada.id, "no-such-device"), 404, "device_not_found");
  });
  await check("revoke_refresh_tokens", async () => {
    expect((await passage.user.revokeRefreshTokens(ada.id)) === true, "not true");
  });
  await check("sign_out_deprecated", async () => {
    expect((await passage.user.signOut(ada.id)) === true, "not true");
  });

  // Magic links, with every argument and option.
  await check("magic_link_email_all_options", async () => {
    const link = await passage.auth.createMagicLink(
      { email: "ada@new.example.com", type: MagicLinkType.Login, send: false },
      { language: "de", magicLinkPath: "/verify", redirectUrl: "/dashboard", ttl: 15 },
    );
    expect(link.user_id === ada.id && link.identifier === "ada@new.example.com", link);
    expect(link.type === MagicLinkType.Login && link.ttl === 15 && link.redirect_url === "/dashboard", link);
    expect(link.url.startsWith(`${AUTH_BASE}/verify?psg_magic_link=`) && link.url.endsWith(link.secret), link);
    expect(link.app_id === APP_ID && link.activated === false, link);
  });
  await check("magic_link_phone", async () => {
    const link = await passage.auth.createMagicLink(
      { phone: "+15551234567", type: MagicLinkType.VerifyIdentifier, send: true },
      { language: "es" },
    );
    expect(link.user_id === grace.id && link.identifier === "+15551234567", link);
    expect(link.type === MagicLinkType.VerifyIdentifier && link.ttl === 5 && link.redirect_url === "/", link);
  });
  await check("magic_link_user_email", async () => {
    const link = await passage.auth.createMagicLink(
      { userId: ada.id, channel: MagicLinkChannel.Email, type: MagicLinkType.Login, send: true },
      { ttl: 60 },
    );
    expect(link.user_id === ada.id && link.identifier === "ada@new.example.com" && link.ttl === 60, link);
  });
  await check("magic_link_user_phone", async () => {
    const link = await passage.auth.createMagicLink({
      userId: ada.id,
      channel: MagicLinkChannel.Phone,
      type: MagicLinkType.Login,
      send: false,
    });
    expect(link.user_id === ada.id && link.identifier === "+15557654321", link);
  });
  await check("magic_link_new_email_signs_up", async () => {
    const link = await passage.auth.createMagicLink({ email: "new@example.com", type: MagicLinkType.Login, send: false });
    expect((await passage.user.get(link.user_id)).status === UserStatus.Pending, "not pending");
  });
  await check("magic_link_deprecated_raw_request", async () => {
    const link = await passage.createMagicLink({
      user_id: grace.id,
      channel: "phone",
      type: "login",
      send: true,
      language: "pt",
      magic_link_path: "/in",
      redirect_url: "/home",
      ttl: 10,
    });
    expect(link.user_id === grace.id && link.ttl === 10 && link.redirect_url === "/home", link);
    expect(link.url.startsWith(`${AUTH_BASE}/in?psg_magic_link=`), link.url);
  });
  await check("magic_link_400", async () => {
    await expectPassageError(
      () =>
        passage.auth.createMagicLink({
          userId: grace.id,
          channel: MagicLinkChannel.Email,
          type: MagicLinkType.Login,
          send: true,
        }),
      400,
      "invalid_request",
    );
  });
  await check("magic_link_404", async () => {
    await expectPassageError(
      () =>
        passage.auth.createMagicLink({ email: "nobody@example.com", type: MagicLinkType.VerifyIdentifier, send: false }),
      404,
      "user_not_found",
    );
  });

  // App info.
  await check("get_app", async () => {
    const app = await passage.getApp();
    expect(app.id === APP_ID, app);
    expect(typeof app.name === "string" && app.name.length > 0, app);
    expect(app.auth_origin === AUTH_BASE, app);
  });
  await check("error_401_get_app", async () => {
    await expectPassageError(() => wrongKey.getApp(), 401, "invalid_access_token");
  });

  // Errors.
  await check("error_400_create", async () => {
    await expectPassageError(() => passage.user.create({ email: "not-an-email" }), 400, "invalid_request");
  });
  await check("error_400_update", async () => {
    await expectPassageError(() => passage.user.update(grace.id, { phone: "555-1234" }), 400, "invalid_request");
  });
  await check("error_401_wrong_api_key", async () => {
    await expectPassageError(() => wrongKey.user.get(ada.id), 401, "invalid_access_token");
  });
  await check("error_401_magic_link", async () => {
    await expectPassageError(
      () => wrongKey.auth.createMagicLink({ email: "ada@new.example.com", type: MagicLinkType.Login, send: false }),
      401,
      "invalid_access_token",
    );
  });
  const missing = "nosuchuser0000000000000";
  const notFound = {
    get: () => passage.user.get(missing),
    update: () => passage.user.update(missing, { email: "x@example.com" }),
    activate: () => passage.user.activate(missing),
    deactivate: () => passage.user.deactivate(missing),
    delete: () => passage.user.delete(missing),
    list_devices: () => passage.user.listDevices(missing),
    revoke_device: () => passage.user.revokeDevice(missing, "device"),
    revoke_refresh_tokens: () => passage.user.revokeRefreshTokens(missing),
  };
  for (const [name, call] of Object.entries(notFound)) {
    await check(`error_404_${name}`, () => expectPassageError(call, 404, "user_not_found"));
  }
  // The SDK makes this error itself when the list comes back empty: no status, no code.
  await check("error_not_found_get_by_identifier", async () => {
    let error;
    try {
      await passage.user.getByIdentifier("nobody@example.com");
    } catch (e) {
      error = e;
    }
    expect(error instanceof PassageError, `expected PassageError, got ${error}`);
    expect(error.message.includes("User not found"), error.message);
    expect(error.statusCode === undefined && error.errorCode === undefined, error);
  });

  // Tokens.
  await check("validate_jwt", async () => {
    token = await issueToken(ada.id, 3600);
    expect((await passage.auth.validateJwt(token)) === ada.id, "another subject");
    expect((await passage.auth.validateJwt(await issueToken(grace.id, 60))) === grace.id, "another subject");
  });
  // Ada was created through the SDK, then got one token: a register event, then a login event.
  await check("recent_events_register_and_login", async () => {
    const events = (await passage.user.get(ada.id)).recent_events;
    expect(events.map((e) => e.action).join(",") === "login,register", events);
    for (const event of events) {
      expect(event.type === event.action && event.status === "complete", event);
      expect(event.created_at instanceof Date && event.completed_at instanceof Date, event);
      expect(event.ip_addr === "127.0.0.1" && event.user_agent.length > 0, event);
      expect(typeof event.user_agent_display === "string" && event.social_login_type === null, event);
      expect(typeof event.id === "string" && event.id.length === 24, event);
    }
    expect(events[0].created_at >= events[1].created_at, events);
  });
  await check("valid_auth_token_deprecated", async () => {
    expect((await passage.validAuthToken(token)) === ada.id, "another subject");
  });
  await check("authenticate_request_cookie", async () => {
    const cookie = `theme=dark; psg_auth_token=${token}; other=1`;
    expect((await passage.authenticateRequest(incoming({ cookie }))) === ada.id, "node request");
    const fetchRequest = new Request("http://localhost/", { headers: { cookie } });
    expect((await passage.authenticateRequestWithCookie(fetchRequest)) === ada.id, "fetch request");
  });
  await check("authenticate_request_header", async () => {
    const authorization = `Bearer ${token}`;
    expect((await byHeader.authenticateRequest(incoming({ authorization }))) === ada.id, "node request");
    const fetchRequest = new Request("http://localhost/", { headers: { authorization } });
    expect((await passage.authenticateRequestWithHeader(fetchRequest)) === ada.id, "fetch request");
  });
  await check("authenticate_request_missing_token", async () => {
    let error;
    try {
      await passage.authenticateRequest(incoming({ cookie: "theme=dark" }));
    } catch (e) {
      error = e;
    }
    expect(error instanceof PassageError && error.message.includes("psg_auth_token"), String(error));
  });
  const [head, body, signature] = token.split(".");
  await check("validate_jwt_tampered_signature", async () => {
    const flipped = (signature[0] === "B" ? "C" : "B") + signature.slice(1);
    await expectRejected(() => passage.auth.validateJwt(`${head}.${body}.${flipped}`), "JWSSignatureVerificationFailed");
  });
  await check("validate_jwt_tampered_claims", async () => {
    const other = (await issueToken(grace.id, 3600)).split(".")[1];
    await expectRejected(() => passage.auth.validateJwt(`${head}.${other}.${signature}`), "JWSSignatureVerificationFailed");
  });
  await check("validate_jwt_garbage", async () => {
    await expectRejected(() => passage.auth.validateJwt("not-a-jwt"), "Invalid Token");
  });
  await check("validate_jwt_expired", async () => {
    const expired = await issueToken(ada.id, undefined, { expired: true });
    await expectRejected(() => passage.auth.validateJwt(expired), "JWTExpired");
    await expectRejected(() => passage.validAuthToken(expired), "JWTExpired");
  });
  // jose caches the key set: one fetch per Passage instance that validated (passage, byHeader).
  await check("jwks_fetched_from_emulator", async () => {
    expect(jwksConnections.length === 2, `${jwksConnections.length} JWKS fetches through the agent`);
  });

  await check("delete", async () => {
    expect((await passage.user.delete(ada.id)) === true, "not true");
    expect((await passage.user.delete(grace.id)) === true, "not true");
    await expectPassageError(() => passage.user.get(ada.id), 404, "user_not_found");
  });
  await check("fetch_api_used", async () => {
    expect(fetched.length > 0 && fetched.every((f) => f.includes(SDK_API_BASE + "/apps/" + APP_ID)), fetched);
  });
}

main().then(
  () => process.exit(failures ? 1 : 0),
  (error) => {
    emit("script", false, String(error && error.stack));
    process.exit(1);
  },
);
