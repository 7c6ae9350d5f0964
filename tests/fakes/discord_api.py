"""A protocol-faithful fake Discord (REST API v10 and the Gateway) on loopback, for real discord.py.

`FakeDiscord` serves the REST routes a bot uses (login, application info, gateway discovery,
application commands, channel messages, interaction callbacks and their webhooks) and a Gateway
websocket (HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE, RESUME, sharding). It keeps guilds,
roles, members, channels and messages; validates payloads as Discord does (400 "Invalid Form
Body", code 50035, with nested `errors`); enforces the interaction lifecycle (one ack within
`interaction_ack_timeout`, follow-ups and edits only after it); answers 403/404 on missing
permissions and channels; can be scripted to fail (`fail_next`); and records what it received.

Use:

    async with FakeDiscord() as fake:
        fake.add_guild(GUILD, "Deals")
        fake.add_channel(GUILD, CHANNEL, "deals")
        with fake.patch_discord():  # REST base and default gateway URL, restored after
            ...  # bot.login(BOT_TOKEN); bot.connect(); await bot.wait_until_ready()
            record = await fake.interact(fake.slash_command("deals top", {"query": "r740"}))

Wire details discord.py depends on, which the fake reproduces:
- JSON bodies carry exactly `Content-Type: application/json`; discord.py parses JSON only then.
- Every answer carries `Via`: discord.py takes a 429 without it for a Cloudflare ban (no retry).
- Gateway frames are uncompressed TEXT frames, though discord.py asks for `zlib-stream`; it only
  inflates BINARY frames.
- discord.py sends every interaction callback with `?with_response=1` and parses the
  InteractionCallbackResponse; `response_message_id` is what views get stored under.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import enum
import fnmatch
import hashlib
import json
import math
import mimetypes
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

import aiohttp
import yarl
from aiohttp import web

from tests.fakes.discord import BOT_TOKEN

__all__ = [
    "APPLICATION_ID",
    "BOT_TOKEN",
    "Callback",
    "CallbackType",
    "Channel",
    "ChannelArg",
    "FakeDiscord",
    "GatewaySession",
    "Guild",
    "IdentifyRecord",
    "Intent",
    "InteractionRecord",
    "Member",
    "Permission",
    "RequestRecord",
    "Role",
    "RoleArg",
    "StoredMessage",
    "Upload",
    "User",
    "UserArg",
    "shard_for",
]

JSON = dict[str, Any]
API_VERSION = 10
DISCORD_EPOCH_MS = 1_420_070_400_000
APPLICATION_ID = 1_180_000_000_000_000_001  # modern apps: application id == bot user id
DEFAULT_USER_ID = 1_180_000_000_000_000_100
DEFAULT_OWNER_ID = 1_180_000_000_000_000_200


class Permission(enum.IntFlag):
    """Permission bits the fake computes with (Discord's values)."""

    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    USE_APPLICATION_COMMANDS = 1 << 31
    SEND_MESSAGES_IN_THREADS = 1 << 38


ALL_PERMISSIONS = (1 << 51) - 1
P = Permission
DEFAULT_EVERYONE_PERMISSIONS = int(
    P.CREATE_INSTANT_INVITE | P.ADD_REACTIONS | P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS
    | P.ATTACH_FILES | P.READ_MESSAGE_HISTORY | P.USE_EXTERNAL_EMOJIS | P.CONNECT | P.SPEAK
    | P.CHANGE_NICKNAME | P.USE_APPLICATION_COMMANDS | P.SEND_MESSAGES_IN_THREADS
)  # fmt: skip
DEFAULT_BOT_PERMISSIONS = int(
    P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.ATTACH_FILES | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS | P.USE_EXTERNAL_EMOJIS
)  # fmt: skip


class Intent(enum.IntFlag):
    """Gateway intent bits the fake filters events with."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15


PRIVILEGED_INTENTS = int(Intent.GUILD_MEMBERS | Intent.GUILD_PRESENCES | Intent.MESSAGE_CONTENT)


class CallbackType(enum.IntEnum):
    """Interaction callback (response) types."""

    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9
    LAUNCH_ACTIVITY = 12


# Interaction types: 1 ping, 2 application command, 3 component, 4 autocomplete, 5 modal submit.
_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    1: frozenset({1}),
    2: frozenset({4, 5, 9, 12}),
    3: frozenset({4, 5, 6, 7, 9, 12}),
    4: frozenset({8}),
    5: frozenset({4, 5, 6, 7}),
}

SUPPRESS_EMBEDS, EPHEMERAL, LOADING = 1 << 2, 1 << 6, 1 << 7
SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE, IS_COMPONENTS_V2 = 1 << 12, 1 << 13, 1 << 15
_CHANNEL_MESSAGE_FLAGS = (
    SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2
)
_INTERACTION_MESSAGE_FLAGS = _CHANNEL_MESSAGE_FLAGS | EPHEMERAL

# Discord's documented limits, kept independent of the code under test on purpose: the fake is
# the oracle, so it must not move when the project's own constants do.
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
V2_COMPONENTS_MAX = 40
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
CHOICES_MAX = 25
NONCE_MAX = 25
# Discord remembers an enforced nonce only briefly. Create Message's `enforce_nonce`
# (https://discord.com/developers/docs/resources/message#create-message; wording as mirrored
# at https://discord-api-types.dev/api/discord-api-types-v9/interface/RESTPostAPIChannelMessageJSONBody):
# "If true and nonce is present, it will be checked for uniqueness in the past few minutes.
# If another message was created by the same author with the same nonce, that message will
# be returned and no new message will be created." "A few minutes" is not a number; the fake
# forgets after 3, so a client that trusts the nonce any longer double-posts here.
NONCE_WINDOW_SECONDS = 180.0
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024

_URL = re.compile(r"^(https?|discord)://\S+$")
# https://discord.com/developers/docs/reference#user-agent: "Clients using the HTTP API must
# provide a valid User Agent which specifies information about the client library and
# version in the following format: User-Agent: DiscordBot ($url, $versionNumber)". Clients
# may append more; discord.py's default (no comma) is accepted by Discord, so only the
# "DiscordBot (" start and the closing parenthesis are insisted on.
USER_AGENT = re.compile(r"^DiscordBot \([^()\s]+[ ,][^()]*\)")
_MEDIA_URL = re.compile(r"^(https?|attachment)://\S+$")
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_TRACE = ['["gateway-prd-fake-0",{"micros":0.0}]']


def shard_for(guild_id: int, shard_count: int) -> int:
    """The shard a guild's events go to: `(guild_id >> 22) % shard_count`."""
    return (guild_id >> 22) % shard_count


def _iso(snowflake: int) -> str:
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="microseconds")


def _done() -> asyncio.Future[None]:
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# --------------------------------------------------------------------------------------------
# Model


@dataclass
class User:
    """A Discord user the fake knows."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    discriminator: str = "0"

    def payload(self) -> JSON:
        """The partial user object Discord embeds in other objects."""
        data: JSON = {
            "id": str(self.id), "username": self.username, "discriminator": self.discriminator,
            "global_name": self.global_name, "avatar": None, "avatar_decoration_data": None,
            "public_flags": 0, "primary_guild": None, "collectibles": None,
        }  # fmt: skip
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    bot_id: int | None = None  # set for the managed role Discord gives an invited bot

    def payload(self) -> JSON:
        """The role object."""
        data: JSON = {
            "id": str(self.id), "name": self.name, "permissions": str(self.permissions),
            "position": self.position, "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None,
                       "tertiary_color": None},
            "hoist": self.hoist, "managed": self.bot_id is not None,
            "mentionable": self.mentionable, "icon": None, "unicode_emoji": None, "flags": 0,
        }  # fmt: skip
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Overwrite:
    """A channel permission overwrite: type 0 is a role, 1 a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> JSON:
        """The overwrite object."""
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow),
                "deny": str(self.deny)}  # fmt: skip


@dataclass
class Channel:
    """A guild channel (0 text, 2 voice, 4 category, 5 announcement)."""

    id: int
    guild_id: int
    name: str
    type: int = 0
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    nsfw: bool = False
    overwrites: list[Overwrite] = field(default_factory=list)
    last_message_id: int | None = None

    def payload(self, *, with_guild: bool = True) -> JSON:
        """The channel object (GUILD_CREATE leaves out `guild_id`)."""
        data: JSON = {
            "id": str(self.id), "type": self.type, "name": self.name, "position": self.position,
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "parent_id": None if self.parent_id is None else str(self.parent_id),
            "flags": 0,
        }  # fmt: skip
        if self.type in (0, 5):
            data.update(topic=self.topic, nsfw=self.nsfw, rate_limit_per_user=0,
                        last_message_id=None if self.last_message_id is None
                        else str(self.last_message_id))  # fmt: skip
        elif self.type == 2:
            data.update(bitrate=64000, user_limit=0, rtc_region=None, nsfw=self.nsfw,
                        rate_limit_per_user=0, last_message_id=None)  # fmt: skip
        if with_guild:
            data["guild_id"] = str(self.guild_id)
        return data


@dataclass
class Member:
    """A user's membership of a guild."""

    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=_now_iso)


@dataclass
class Guild:
    """A guild the bot is in."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    locale: str = "en-US"
    bot_role_id: int = 0

    @property
    def everyone(self) -> Role:
        """The @everyone role."""
        return self.roles[self.id]


@dataclass
class Upload:
    """One file part of a multipart request (`files[n]`), as the client sent it."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RequestRecord:
    """One REST request as the fake received it, and what it answered."""

    method: str
    path: str  # below /api/v10, e.g. "/channels/1/messages"
    query: dict[str, str]
    json: Any  # the JSON body, or the `payload_json` part of a multipart body
    files: list[Upload]
    headers: dict[str, str]
    status: int = 0
    response: Any = None  # the JSON answered (None for 204)
    response_headers: dict[str, str] = field(default_factory=dict)


def _flags_of(data: Mapping[str, Any]) -> int:
    return int(data.get("flags") or 0)


@dataclass(eq=False)
class StoredMessage:
    """A message the fake holds. `data` is the message object as Discord returns it now."""

    data: JSON
    payload: JSON  # what the client sent to create it
    files: list[Upload] = field(default_factory=list)
    edits: list[JSON] = field(default_factory=list)  # every edit payload, in order
    interaction_id: int | None = None
    deleted: bool = False

    @property
    def id(self) -> int:
        """The message id."""
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        """The channel the message is in."""
        return int(self.data["channel_id"])

    @property
    def content(self) -> str:
        """Current content."""
        return str(self.data.get("content") or "")

    @property
    def embeds(self) -> list[JSON]:
        """Current embeds."""
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        """Current components (with the numeric `id`s Discord assigns)."""
        return list(self.data.get("components") or [])

    @property
    def attachments(self) -> list[JSON]:
        """Current attachment objects."""
        return list(self.data.get("attachments") or [])

    @property
    def flags(self) -> int:
        """Message flags."""
        return _flags_of(self.data)

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user sees it (flag 64)."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether it is still a deferred "thinking" message (flag 128)."""
        return bool(self.flags & LOADING)


@dataclass
class Callback:
    """The accepted response to an interaction (`POST /interactions/{id}/{token}/callback`)."""

    type: int
    data: JSON
    files: list[Upload]


@dataclass
class IdentifyRecord:
    """An IDENTIFY (op 2) the gateway received."""

    token: str
    intents: int | None
    shard: tuple[int, int] | None
    properties: JSON
    payload: JSON


@dataclass(frozen=True)
class UserArg:
    """A user option value for interaction builders (resolved from the fake's users)."""

    id: int


@dataclass(frozen=True)
class ChannelArg:
    """A channel option value for interaction builders (resolved from the fake's channels)."""

    id: int


@dataclass(frozen=True)
class RoleArg:
    """A role option value for interaction builders (resolved from the guild's roles)."""

    id: int


OptionValue = str | int | float | bool | UserArg | ChannelArg | RoleArg


class _Changes:
    """Wakes waiters whenever the fake's state changes, so they re-check their condition."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - a deadline per wait is the point
        describe: Callable[[], str],
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    waiter = loop.create_future()
                    self._waiters.append(waiter)
                    # Also re-check now and then: predicates may look at the bot's side too.
                    await asyncio.wait([waiter], timeout=0.01)
                    if not waiter.done():
                        self._waiters.remove(waiter)
        except TimeoutError:
            raise TimeoutError(f"{describe()} (waited {timeout}s)") from None


class InteractionRecord:
    """Everything that happened to one interaction the fake dispatched."""

    def __init__(self, payload: JSON, created_at: float, changes: _Changes) -> None:
        self.payload = payload  # the INTERACTION_CREATE data, exactly as dispatched
        self.id = int(payload["id"])
        self.token = str(payload["token"])
        self.created_at = created_at  # event-loop time; the ack deadline counts from here
        self.callback: Callback | None = None
        self.rejected: list[RequestRecord] = []  # callbacks the fake refused, with status/body
        self.original: StoredMessage | None = None  # the @original message, kept current
        self.followups: list[StoredMessage] = []
        self.edits: list[JSON] = []  # PATCH payloads for the @original message
        self._changes = changes

    def __repr__(self) -> str:
        return (
            f"<InteractionRecord id={self.id} type={self.payload['type']} callback="
            f"{None if self.callback is None else self.callback.type} followups="
            f"{len(self.followups)} edits={len(self.edits)} rejected="
            f"{[(r.status, r.response) for r in self.rejected]}>"
        )

    async def wait_for(
        self,
        predicate: Callable[[InteractionRecord], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - tests give each wait its own deadline
    ) -> InteractionRecord:
        """Wait until `predicate(self)` holds (e.g. a follow-up arrived); TimeoutError if not."""
        await self._changes.wait_until(
            lambda: predicate(self), timeout, lambda: f"condition not met for {self!r}"
        )
        return self

    @property
    def type(self) -> int | None:
        """The callback type (4 message, 5 deferred, 6 deferred update, 7 update, 8 choices)."""
        return None if self.callback is None else self.callback.type

    @property
    def data(self) -> JSON:
        """The callback's `data` ({} before the callback or when it had none)."""
        return {} if self.callback is None else self.callback.data

    @property
    def flags(self) -> int:
        """The callback data's message flags."""
        return _flags_of(self.data)

    @property
    def ephemeral(self) -> bool:
        """Whether the callback asked for an ephemeral message (flag 64)."""
        return bool(self.flags & EPHEMERAL)

    @property
    def deferred(self) -> bool:
        """Whether the callback was a deferral (type 5 or 6)."""
        return self.type in (5, 6)

    @property
    def content(self) -> str | None:
        """The callback data's content."""
        content = self.data.get("content")
        return None if content is None else str(content)

    @property
    def embeds(self) -> list[JSON]:
        """The callback data's embeds."""
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        """The callback data's components."""
        return list(self.data.get("components") or [])

    @property
    def choices(self) -> list[JSON]:
        """Autocomplete choices (callback type 8)."""
        return list(self.data.get("choices") or [])

    @property
    def files(self) -> list[Upload]:
        """Files uploaded with the callback."""
        return [] if self.callback is None else self.callback.files


class GatewaySession:
    """One gateway session (IDENTIFY → READY); it outlives a dropped socket until resumed."""

    def __init__(self, session_id: str, identify: IdentifyRecord) -> None:
        self.session_id = session_id
        self.identify = identify
        self.shard_id, self.shard_count = identify.shard or (0, 1)
        self.intents = identify.intents or 0
        self.seq = 0
        self.resumes = 0
        self.ended = False  # invalidated or closed cleanly: it cannot be resumed
        self._history: list[_Frame] = []
        self._initial: list[_Frame] = []
        self._queue: asyncio.Queue[_Frame] = asyncio.Queue()
        self._connection: _Connection | None = None

    def __repr__(self) -> str:
        return (
            f"<GatewaySession {self.session_id} shard={self.shard_id}/{self.shard_count} "
            f"seq={self.seq} connected={self.connected} ended={self.ended}>"
        )

    @property
    def connected(self) -> bool:
        """Whether a socket is attached right now."""
        return self._connection is not None and not self._connection.ws.closed

    @property
    def ready(self) -> bool:
        """Whether READY and this shard's GUILD_CREATEs have been written to the socket."""
        return bool(self._initial) and all(f.sent.done() for f in self._initial)

    def events(self, name: str | None = None) -> list[JSON]:
        """The `d` of every dispatch (op 0) of this session, optionally only those named so."""
        return [f.data for f in self._history if name is None or f.event == name]

    @property
    def guild_ids(self) -> list[int]:
        """Guilds this session got a GUILD_CREATE for."""
        return [int(d["id"]) for d in self.events("GUILD_CREATE")]

    def _emit(self, event: str, data: JSON) -> _Frame:
        self.seq += 1
        text = json.dumps({"op": 0, "d": data, "s": self.seq, "t": event}, separators=(",", ":"))
        frame = _Frame(self.seq, event, data, text, asyncio.get_running_loop().create_future())
        self._history.append(frame)
        self._queue.put_nowait(frame)
        return frame


@dataclass
class _Frame:
    seq: int
    event: str
    data: JSON
    text: str
    sent: asyncio.Future[None]


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    query: dict[str, str]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: GatewaySession | None = None
    writer: asyncio.Task[None] | None = None
    closed_by_server: bool = False

    async def close(self, code: int, reason: bytes) -> None:
        self.closed_by_server = True
        await self.ws.close(code=code, message=reason)

    async def send(self, text: str) -> None:
        async with self.lock:
            await self.ws.send_str(text)

    async def send_json(self, payload: JSON) -> None:
        await self.send(json.dumps(payload, separators=(",", ":")))


@dataclass
class _Failure:
    method: str
    pattern: str
    status: int
    retry_after: float
    is_global: bool
    code: int | None
    message: str | None
    scope: str | None
    times: int


@dataclass
class _Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _AnswerError(Exception):
    """Raised inside a handler to answer with an error."""

    def __init__(self, answer: _Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


def _json(body: Any, status: int = 200) -> _Answer:
    return _Answer(status, body)


def _error(status: int, message: str, code: int, errors: JSON | None = None) -> _Answer:
    body: JSON = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return _Answer(status, body)


def _fail(status: int, message: str, code: int) -> _AnswerError:
    return _AnswerError(_error(status, message, code))


def _unknown(what: str, code: int) -> _AnswerError:
    return _fail(404, f"Unknown {what}", code)


def _missing_access() -> _AnswerError:
    return _fail(403, "Missing Access", 50001)


def _missing_permissions() -> _AnswerError:
    return _fail(403, "Missing Permissions", 50013)


# --------------------------------------------------------------------------------------------
# Validation (Discord's "Invalid Form Body")

_Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FormError:
    """One entry of an Invalid Form Body answer: where, Discord's error code, and its message.

    Codes are Discord's for the common cases (BASE_TYPE_*, MAX_EMBED_SIZE_EXCEEDED); the
    component and command codes are close approximations.
    """

    path: _Path
    code: str
    message: str


def form_errors(errors: Sequence[FormError]) -> JSON:
    """Nest errors the way Discord does: `{"embeds": {"0": {"title": {"_errors": [...]}}}}`."""
    root: JSON = {}
    for error in errors:
        node = root
        for key in error.path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": error.code, "message": error.message})
    return root


def _invalid_form(errors: Sequence[FormError]) -> _AnswerError:
    return _AnswerError(_error(400, "Invalid Form Body", 50035, form_errors(errors)))


def _max_len(value: Any, limit: int, path: _Path, out: list[FormError]) -> None:
    if isinstance(value, str) and len(value) > limit:
        out.append(FormError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))


def _bad_len(value: Any, low: int, high: int, path: _Path, out: list[FormError]) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        out.append(FormError(
            path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length."
        ))  # fmt: skip


def _required(value: Any, path: _Path, out: list[FormError]) -> bool:
    if value is None or value == "":
        out.append(FormError(path, "BASE_TYPE_REQUIRED", "This field is required"))
        return False
    return True


def _text_len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def embed_errors(embeds: Any, path: _Path = ("embeds",)) -> list[FormError]:
    """Discord's embed rules: at most 10, per-field limits, 6,000 characters across them all."""
    out: list[FormError] = []
    if not isinstance(embeds, list):
        return [FormError(path, "BASE_TYPE_ARRAY", "Must be an array.")]
    if len(embeds) > EMBEDS_MAX:
        out.append(FormError(
            path, "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length."
        ))  # fmt: skip
    total = 0
    for i, embed in enumerate(embeds):
        at = (*path, i)
        if not isinstance(embed, dict):
            out.append(FormError(at, "MODEL_TYPE_CONVERT", "Only dictionaries may be used."))
            continue
        total += _text_len(embed.get("title")) + _text_len(embed.get("description"))
        _max_len(embed.get("title"), EMBED_TITLE_MAX, (*at, "title"), out)
        _max_len(embed.get("description"), EMBED_DESCRIPTION_MAX, (*at, "description"), out)
        if embed.get("url") and not _URL.match(str(embed["url"])):
            out.append(FormError((*at, "url"), "URL_TYPE_INVALID_URL", "Not a well formed URL."))
        for media in ("image", "thumbnail"):
            url = (embed.get(media) or {}).get("url")
            if url is not None and not _MEDIA_URL.match(str(url)):
                out.append(FormError(
                    (*at, media, "url"), "URL_TYPE_INVALID_URL", "Not a well formed URL."
                ))  # fmt: skip
        color = embed.get("color")
        if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
            out.append(FormError(
                (*at, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215."
            ))  # fmt: skip
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            out.append(FormError(
                (*at, "fields"), "BASE_TYPE_MAX_LENGTH",
                f"Must be {EMBED_FIELDS_MAX} or fewer in length.",
            ))  # fmt: skip
        for j, item in enumerate(fields):
            name, value = item.get("name"), item.get("value")
            total += _text_len(name) + _text_len(value)
            if _required(name, (*at, "fields", j, "name"), out):
                _max_len(name, EMBED_FIELD_NAME_MAX, (*at, "fields", j, "name"), out)
            if _required(value, (*at, "fields", j, "value"), out):
                _max_len(value, EMBED_FIELD_VALUE_MAX, (*at, "fields", j, "value"), out)
        footer = embed.get("footer")
        if footer is not None:
            total += _text_len(footer.get("text"))
            if _required(footer.get("text"), (*at, "footer", "text"), out):
                _max_len(footer.get("text"), EMBED_FOOTER_MAX, (*at, "footer", "text"), out)
        author = embed.get("author")
        if author is not None:
            total += _text_len(author.get("name"))
            if _required(author.get("name"), (*at, "author", "name"), out):
                _max_len(author.get("name"), EMBED_AUTHOR_MAX, (*at, "author", "name"), out)
    if total > EMBED_TOTAL_MAX:
        out.append(FormError(
            path, "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
        ))  # fmt: skip
    return out


def component_errors(
    components: Any, *, v2: bool = False, path: _Path = ("components",)
) -> list[FormError]:
    """Discord's component rules: rows, widths, buttons, selects, unique custom_ids."""
    out: list[FormError] = []
    if not isinstance(components, list):
        return [FormError(path, "BASE_TYPE_ARRAY", "Must be an array.")]
    custom_ids: dict[str, _Path] = {}
    counted = [0]

    def interactive(item: JSON, at: _Path) -> None:
        counted[0] += 1
        kind = item.get("type")
        if kind == 2:
            _button(item, at)
        elif kind in (3, 5, 6, 7, 8):
            _select(item, at)
        custom_id = item.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in custom_ids:
                out.append(FormError(
                    (*at, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                ))  # fmt: skip
            custom_ids.setdefault(custom_id, at)

    def _button(item: JSON, at: _Path) -> None:
        style = item.get("style")
        if style not in (1, 2, 3, 4, 5, 6):
            out.append(FormError((*at, "style"), "BASE_TYPE_CHOICES", "Value must be one of 1-6."))
        _max_len(item.get("label"), BUTTON_LABEL_MAX, (*at, "label"), out)
        if style == 5:
            if not _URL.match(str(item.get("url") or "")):
                out.append(FormError(
                    (*at, "url"), "BUTTON_COMPONENT_INVALID_URL", "A link button needs a url."
                ))  # fmt: skip
            if "custom_id" in item:
                out.append(FormError(
                    (*at, "custom_id"), "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "A link button cannot have a custom_id.",
                ))  # fmt: skip
        elif style == 6:
            _required(item.get("sku_id"), (*at, "sku_id"), out)
        else:
            if "url" in item:
                out.append(FormError(
                    (*at, "url"), "BUTTON_COMPONENT_URL_NOT_ALLOWED",
                    "Only link buttons can have a url.",
                ))  # fmt: skip
            _bad_len(item.get("custom_id"), 1, CUSTOM_ID_MAX, (*at, "custom_id"), out)
        if style != 6 and not item.get("label") and not item.get("emoji"):
            out.append(FormError(
                at, "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A button needs a label or emoji."
            ))  # fmt: skip

    def _select(item: JSON, at: _Path) -> None:
        _bad_len(item.get("custom_id"), 1, CUSTOM_ID_MAX, (*at, "custom_id"), out)
        _max_len(item.get("placeholder"), 150, (*at, "placeholder"), out)
        low, high = item.get("min_values", 1), item.get("max_values", 1)
        if not (0 <= low <= 25 and 1 <= high <= 25 and low <= high):
            out.append(FormError(
                (*at, "max_values"), "SELECT_COMPONENT_VALUES_INVALID",
                "min_values/max_values must satisfy 0 <= min <= max <= 25.",
            ))  # fmt: skip
        if item.get("type") == 3:
            options = item.get("options") or []
            if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
                out.append(FormError(
                    (*at, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."
                ))  # fmt: skip
            for k, option in enumerate(options):
                _bad_len(option.get("label"), 1, 100, (*at, "options", k, "label"), out)
                _bad_len(option.get("value"), 1, 100, (*at, "options", k, "value"), out)
                _max_len(option.get("description"), 100, (*at, "options", k, "description"), out)
            if high > len(options):
                out.append(FormError(
                    (*at, "max_values"), "SELECT_COMPONENT_MAX_VALUES_EXCEEDED",
                    "max_values cannot exceed the number of options.",
                ))  # fmt: skip

    def walk_v2(items: list[JSON], at: _Path) -> None:
        for i, item in enumerate(items):
            here = (*at, i)
            if item.get("type") in (2, 3, 5, 6, 7, 8):
                interactive(item, here)
                continue
            counted[0] += 1
            if isinstance(item.get("components"), list):
                walk_v2(item["components"], (*here, "components"))
            accessory = item.get("accessory")
            if isinstance(accessory, dict):
                if accessory.get("type") == 2:
                    interactive(accessory, (*here, "accessory"))
                else:
                    counted[0] += 1

    if v2:
        walk_v2(components, path)
        if counted[0] > V2_COMPONENTS_MAX:
            out.append(FormError(
                path, "BASE_TYPE_MAX_LENGTH", f"Must be {V2_COMPONENTS_MAX} or fewer in length."
            ))  # fmt: skip
        return out
    if len(components) > ACTION_ROWS_MAX:
        out.append(FormError(
            path, "BASE_TYPE_MAX_LENGTH", f"Must be {ACTION_ROWS_MAX} or fewer in length."
        ))  # fmt: skip
    for i, row in enumerate(components):
        at = (*path, i)
        if not isinstance(row, dict) or row.get("type") != 1:
            out.append(FormError(
                (*at, "type"), "UNION_TYPE_CHOICES",
                "Top-level components must be action rows (type 1).",
            ))  # fmt: skip
            continue
        children = row.get("components") or []
        if not 1 <= len(children) <= ROW_COMPONENTS_MAX:
            out.append(FormError(
                (*at, "components"), "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {ROW_COMPONENTS_MAX} in length.",
            ))  # fmt: skip
        if len(children) > 1 and any(c.get("type") != 2 for c in children):
            out.append(FormError(
                (*at, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            ))  # fmt: skip
        for j, child in enumerate(children):
            if child.get("type") == 4:
                out.append(FormError(
                    (*at, "components", j, "type"), "COMPONENT_TYPE_INVALID",
                    "Text inputs are only valid in modals.",
                ))  # fmt: skip
            interactive(child, (*at, "components", j))
    return out


def message_errors(body: Mapping[str, Any], *, path: _Path = ()) -> list[FormError]:
    """Content, embed, component and nonce rules for a message create or edit payload."""
    out: list[FormError] = []
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        out.append(FormError((*path, "content"), "BASE_TYPE_STRING", "Must be a string."))
    _max_len(content, CONTENT_MAX, (*path, "content"), out)
    if body.get("embeds") is not None:
        out.extend(embed_errors(body["embeds"], (*path, "embeds")))
    v2 = bool(_flags_of(body) & IS_COMPONENTS_V2)
    if body.get("components") is not None:
        out.extend(component_errors(body["components"], v2=v2, path=(*path, "components")))
    if v2 and (content or body.get("embeds")):
        out.append(FormError(
            (*path, "content"), "MESSAGE_CONTENT_NOT_ALLOWED_WITH_COMPONENTS_V2",
            "content and embeds cannot be used with IS_COMPONENTS_V2.",
        ))  # fmt: skip
    nonce = body.get("nonce")
    if isinstance(nonce, str):
        _max_len(nonce, NONCE_MAX, (*path, "nonce"), out)
    return out


def _is_empty(body: Mapping[str, Any], uploads: int) -> bool:
    return not (
        body.get("content") or body.get("embeds") or body.get("components") or uploads
        or body.get("sticker_ids") or body.get("poll")
    )  # fmt: skip


def _check_message(body: Any, uploads: int, *, creating: bool, path: _Path = ()) -> JSON:
    if not isinstance(body, dict):
        raise _invalid_form([FormError(path, "DICT_TYPE_CONVERT", "Must be an object.")])
    errors = message_errors(body, path=path)
    if errors:
        raise _invalid_form(errors)
    if creating and _is_empty(body, uploads):
        raise _fail(400, "Cannot send an empty message", 50006)
    return body


def command_errors(commands: Any) -> list[FormError]:
    """Rules for a bulk overwrite of application commands (names, descriptions, options)."""
    if not isinstance(commands, list):
        return [FormError((), "BASE_TYPE_ARRAY", "Must be an array.")]
    out: list[FormError] = []
    seen: set[tuple[int, str]] = set()
    per_type: dict[int, int] = {}
    for i, command in enumerate(commands):
        at: _Path = (i,)
        if not isinstance(command, dict):
            out.append(FormError(at, "DICT_TYPE_CONVERT", "Must be an object."))
            continue
        kind = int(command.get("type") or 1)
        per_type[kind] = per_type.get(kind, 0) + 1
        name = command.get("name")
        if kind == 1:
            _check_name(name, (*at, "name"), out)
            _bad_len(command.get("description"), 1, 100, (*at, "description"), out)
        else:
            _bad_len(name, 1, 32, (*at, "name"), out)
        if isinstance(name, str):
            if (kind, name) in seen:
                out.append(FormError(
                    (*at, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                ))  # fmt: skip
            seen.add((kind, name))
        _check_options(command.get("options") or [], (*at, "options"), 0, out)
    for kind, limit in ((1, 100), (2, 15), (3, 15)):
        if per_type.get(kind, 0) > limit:
            out.append(FormError(
                (), "APPLICATION_COMMANDS_TOO_MANY", f"At most {limit} commands of type {kind}."
            ))  # fmt: skip
    return out


def _check_name(name: Any, path: _Path, out: list[FormError]) -> None:
    if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
        out.append(FormError(
            path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
        ))  # fmt: skip


def _check_options(options: list[JSON], path: _Path, depth: int, out: list[FormError]) -> None:
    if len(options) > 25:
        out.append(FormError(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    names: set[str] = set()
    optional_seen = False
    kinds = {option.get("type") for option in options}
    if kinds & {1, 2} and kinds - {1, 2}:
        out.append(FormError(
            path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-commands cannot be mixed with other options.",
        ))  # fmt: skip
    for j, option in enumerate(options):
        at = (*path, j)
        kind = option.get("type")
        _check_name(option.get("name"), (*at, "name"), out)
        _bad_len(option.get("description"), 1, 100, (*at, "description"), out)
        name = option.get("name")
        if isinstance(name, str):
            if name in names:
                out.append(FormError(
                    (*at, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    "Option names must be unique",
                ))  # fmt: skip
            names.add(name)
        if kind in (1, 2):
            if (kind == 2 and depth > 0) or (kind == 1 and depth > 1):
                out.append(FormError(
                    (*at, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                    "Sub-command groups and sub-commands cannot nest this deep.",
                ))  # fmt: skip
            _check_options(option.get("options") or [], (*at, "options"), depth + 1, out)
            continue
        required = bool(option.get("required"))
        if required and optional_seen:
            out.append(FormError(
                (*at, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            ))  # fmt: skip
        optional_seen = optional_seen or not required
        choices = option.get("choices") or []
        if len(choices) > CHOICES_MAX:
            out.append(FormError(
                (*at, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            ))  # fmt: skip
        if choices and option.get("autocomplete"):
            out.append(FormError(
                (*at, "autocomplete"), "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
                "Autocomplete cannot be used with choices.",
            ))  # fmt: skip


def _choice_errors(data: JSON) -> list[FormError]:
    out: list[FormError] = []
    choices = data.get("choices")
    if not isinstance(choices, list):
        return [FormError(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")]
    if len(choices) > CHOICES_MAX:
        out.append(FormError(
            ("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
        ))  # fmt: skip
    for k, choice in enumerate(choices):
        _bad_len(choice.get("name"), 1, 100, ("data", "choices", k, "name"), out)
        value = choice.get("value")
        if isinstance(value, str):
            _max_len(value, 100, ("data", "choices", k, "value"), out)
    return out


def _modal_errors(data: JSON) -> list[FormError]:
    out: list[FormError] = []
    _bad_len(data.get("custom_id"), 1, CUSTOM_ID_MAX, ("data", "custom_id"), out)
    _bad_len(data.get("title"), 1, 45, ("data", "title"), out)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        out.append(FormError(
            ("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        ))  # fmt: skip
    return out


def _number_components(components: list[JSON], counter: list[int]) -> list[JSON]:
    """Discord answers with a numeric `id` on every component; assign missing ones in order."""
    numbered = []
    for component in components:
        item = dict(component)
        counter[0] += 1
        item.setdefault("id", counter[0])
        if isinstance(item.get("components"), list):
            item["components"] = _number_components(item["components"], counter)
        if isinstance(item.get("accessory"), dict):
            item["accessory"] = _number_components([item["accessory"]], counter)[0]
        numbered.append(item)
    return numbered


def _normalise_embeds(embeds: Sequence[JSON]) -> list[JSON]:
    return [{"type": "rich", **embed} for embed in embeds]


# --------------------------------------------------------------------------------------------
# The server


@dataclass
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Callable[[_Ctx], Awaitable[_Answer]]
    auth: bool
    bucket: str
    major: tuple[str, ...]


@dataclass
class _Ctx:
    request: web.Request
    params: dict[str, str]
    record: RequestRecord

    def id(self, name: str) -> int:
        return int(self.params[name])

    @property
    def body(self) -> Any:
        return self.record.json

    @property
    def files(self) -> list[Upload]:
        return self.record.files

    def flag(self, name: str) -> bool:
        return self.record.query.get(name, "").lower() in ("1", "true")


@dataclass
class _Bucket:
    reset_at: float
    count: int = 0


def _param_regex(template: str) -> re.Pattern[str]:
    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token":
            return r"(?P<token>[^/]+)"
        if name == "message_id":
            return r"(?P<message_id>@original|\d+)"
        return rf"(?P<{name}>\d+)"

    return re.compile("^" + re.sub(r"\{(\w+)\}", group, template) + "$")


class FakeDiscord:
    """Discord's REST API and Gateway on 127.0.0.1, for unmodified discord.py clients.

    Build the world with `add_guild` / `add_channel` / `add_role` / `add_member` (before or while
    bots are connected: live changes are dispatched as gateway events), then drive bots with
    `dispatch`, `interact` and the interaction payload builders.
    """

    def __init__(
        self,
        *,
        token: str = BOT_TOKEN,
        application_id: int = APPLICATION_ID,
        bot_name: str = "spt",
        shard_count: int = 1,
        heartbeat_interval: int = 41250,
        interaction_ack_timeout: float = 3.0,
        nonce_window: float = NONCE_WINDOW_SECONDS,
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user = User(application_id, bot_name, bot=True, discriminator="4821")
        self.user = User(DEFAULT_USER_ID, "tester", global_name="Tester")  # who interacts
        self.owner = User(DEFAULT_OWNER_ID, "owner", global_name="Owner")  # owns guilds/app
        self.users: dict[int, User] = {u.id: u for u in (self.bot_user, self.user, self.owner)}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.shard_count = shard_count  # what GET /gateway/bot recommends
        self.heartbeat_interval = heartbeat_interval  # ms, sent in HELLO
        self.interaction_ack_timeout = interaction_ack_timeout  # s from dispatch to callback
        self.interaction_token_ttl = 15 * 60.0  # s an interaction token works for webhooks
        self.upload_limit = DEFAULT_UPLOAD_LIMIT  # bytes per file (`attachment_size_limit`)
        self.rate_limit = 50  # requests per bucket per window: plausible, never hit by accident
        self.rate_limit_window = 1.0
        self.privileged_intents = PRIVILEGED_INTENTS  # privileged intents enabled for the app
        self.nonce_window = (
            nonce_window  # s an enforced nonce is remembered (see NONCE_WINDOW_SECONDS)
        )
        self.clock: Callable[[], float] = time.monotonic  # for the nonce window; tests may shift it
        self.create_message_delay = 0.0  # s a channel message create waits before answering

        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[RequestRecord] = []
        self.messages: dict[int, list[StoredMessage]] = {}  # channel id -> live messages
        self.synced: dict[int | None, list[JSON]] = {}  # scope (None = global) -> last payload
        self.commands: dict[int | None, list[JSON]] = {}  # scope -> commands as Discord has them
        self.identifies: list[IdentifyRecord] = []
        self.resumes: list[JSON] = []  # RESUME (op 6) payloads
        self.gateway_frames: list[JSON] = []  # every frame clients sent
        self.interactions: dict[int, InteractionRecord] = {}
        self.sessions: dict[str, GatewaySession] = {}

        self._changes = _Changes()
        self._failures: list[_Failure] = []
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._by_message_id: dict[int, StoredMessage] = {}
        # (author, nonce) -> the message and when it was created (`clock`)
        self._nonces: dict[tuple[int, str], tuple[StoredMessage, float]] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        self._attachments: dict[int, bytes] = {}
        self._connections: set[_Connection] = set()
        self._component_ids = [0]
        self._last_snowflake = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.gateway_url = ""
        self.cdn_url = ""

        self._routes: list[_Route] = []
        self._add_routes()
        self.app = web.Application()
        self.app.router.add_get("/gateway", self._gateway)
        self.app.router.add_get("/attachments/{channel}/{attachment}/{filename}", self._cdn)
        self.app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._rest)

    # ----------------------------------------------------------------------------------------
    # Lifecycle

    async def start(self) -> None:
        """Listen on an ephemeral loopback port; fills `base_url`, `gateway_url`, `cdn_url`."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.cdn_url = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.cdn_url}/api/v{API_VERSION}"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"

    async def stop(self) -> None:
        """Close every gateway socket (1001) and the server."""
        for connection in list(self._connections):
            with contextlib.suppress(Exception):
                await connection.close(1001, b"Going away")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py at the fake, restoring it after.

        Sets `discord.http.Route.BASE` (REST and interaction webhooks) and
        `DiscordWebSocket.DEFAULT_GATEWAY`: a plain `Client`, an `AutoShardedClient` given an
        explicit `shard_count`, and any client re-identifying after an invalid session all
        connect to DEFAULT_GATEWAY instead of the URL from `GET /gateway/bot`.
        """
        # Imported here so that tests speaking raw HTTP to the fake need not load discord.py.
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.base_url
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway

    @contextlib.asynccontextmanager
    async def rest_client(self) -> AsyncIterator[Any]:
        """A discord.py `Client` logged in to the fake over REST only (no gateway), sending
        spt's User-Agent; for code that only posts and reads messages, such as delivery."""
        import discord  # here, so that raw-HTTP tests need not load discord.py

        from bot.delivery import USER_AGENT

        with self.patch_discord():
            client = discord.Client(intents=discord.Intents.none())
            client.http.user_agent = USER_AGENT
            await client.login(self.token)
            try:
                yield client
            finally:
                await client.close()

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - tests give each wait its own deadline
    ) -> None:
        """Wait until `predicate()` holds (re-checked on every change and every 10 ms)."""
        await self._changes.wait_until(predicate, timeout, lambda: "condition not met")

    # ----------------------------------------------------------------------------------------
    # The world

    def _snowflake(self) -> int:
        value = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def add_user(
        self, user_id: int, username: str, *, global_name: str | None = None, bot: bool = False
    ) -> User:
        """Register a user (so members, options and interactions can refer to it)."""
        user = User(user_id, username, global_name=global_name, bot=bot)
        self.users[user_id] = user
        return user

    def add_guild(
        self,
        guild_id: int,
        name: str = "Test Guild",
        *,
        owner_id: int | None = None,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        features: Sequence[str] = (),
        locale: str = "en-US",
    ) -> Guild:
        """Add a guild the bot is in: @everyone, the bot's managed role, the bot, owner, tester.

        If a session for its shard is connected, it gets the GUILD_CREATE (the bot joins).
        """
        owner = owner_id if owner_id is not None else self.owner.id
        guild = Guild(guild_id, name, owner, features=list(features), locale=locale)
        guild.roles[guild_id] = Role(guild_id, "@everyone", everyone_permissions)
        guild.bot_role_id = self._snowflake()
        guild.roles[guild.bot_role_id] = Role(
            guild.bot_role_id, self.bot_user.username, bot_permissions, position=1,
            bot_id=self.bot_user.id,
        )  # fmt: skip
        guild.members[self.bot_user.id] = Member(self.bot_user.id, [guild.bot_role_id])
        for user_id in {owner, self.user.id}:
            if user_id not in self.users:
                self.add_user(user_id, f"user{user_id}")
            guild.members[user_id] = Member(user_id)
        self.guilds[guild_id] = guild
        for session in self._live_sessions(guild_id):
            if session.intents & Intent.GUILDS:
                session._emit("GUILD_CREATE", self._guild_create(guild))
        return guild

    def remove_guild(self, guild_id: int) -> None:
        """The bot leaves (or is removed from) a guild: GUILD_DELETE."""
        sessions = self._live_sessions(guild_id)
        guild = self.guilds.pop(guild_id)
        for channel_id in guild.channels:
            self.channels.pop(channel_id, None)
        for session in sessions:
            session._emit("GUILD_DELETE", {"id": str(guild_id)})

    def add_channel(
        self,
        guild_id: int,
        channel_id: int,
        name: str = "general",
        *,
        type: int = 0,
        writable: bool = True,
        visible: bool = True,
        topic: str | None = None,
        parent_id: int | None = None,
        nsfw: bool = False,
        overwrites: Sequence[Overwrite] = (),
    ) -> Channel:
        """Add a channel. `writable`/`visible` False deny the bot SEND_MESSAGES / VIEW_CHANNEL
        through a member overwrite, so discord.py's `permissions_for(guild.me)` agrees."""
        guild = self.guilds[guild_id]
        channel = Channel(
            channel_id, guild_id, name, type=type, position=len(guild.channels), topic=topic,
            parent_id=parent_id, nsfw=nsfw, overwrites=list(overwrites),
        )  # fmt: skip
        self._set_bot_overwrite(channel, writable=writable, visible=visible)
        guild.channels[channel_id] = channel
        self.channels[channel_id] = channel
        self.messages.setdefault(channel_id, [])
        self._emit_guild(guild_id, "CHANNEL_CREATE", channel.payload(), Intent.GUILDS)
        return channel

    def update_channel(
        self,
        channel_id: int,
        *,
        writable: bool | None = None,
        visible: bool | None = None,
        name: str | None = None,
        topic: str | None = None,
    ) -> Channel:
        """Change a channel (and dispatch CHANNEL_UPDATE)."""
        channel = self.channels[channel_id]
        if name is not None:
            channel.name = name
        if topic is not None:
            channel.topic = topic
        bot = self._bot_overwrite(channel)
        self._set_bot_overwrite(
            channel,
            writable=not (bot.deny & P.SEND_MESSAGES) if writable is None else writable,
            visible=not (bot.deny & P.VIEW_CHANNEL) if visible is None else visible,
        )
        self._emit_guild(channel.guild_id, "CHANNEL_UPDATE", channel.payload(), Intent.GUILDS)
        return channel

    def remove_channel(self, channel_id: int) -> None:
        """Delete a channel (CHANNEL_DELETE); sends to it then answer 404 Unknown Channel."""
        channel = self.channels.pop(channel_id)
        self.guilds[channel.guild_id].channels.pop(channel_id, None)
        self._emit_guild(channel.guild_id, "CHANNEL_DELETE", channel.payload(), Intent.GUILDS)

    def add_role(
        self,
        guild_id: int,
        role_id: int,
        name: str,
        permissions: int = 0,
        *,
        position: int | None = None,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        """Add a role to a guild (GUILD_ROLE_CREATE)."""
        guild = self.guilds[guild_id]
        role = Role(role_id, name, permissions, position=len(guild.roles) if position is None
                    else position, color=color, hoist=hoist, mentionable=mentionable)  # fmt: skip
        guild.roles[role_id] = role
        self._emit_guild(
            guild_id,
            "GUILD_ROLE_CREATE",
            {"guild_id": str(guild_id), "role": role.payload()},
            Intent.GUILDS,
        )
        return role

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        username: str | None = None,
        roles: Sequence[int] = (),
        nick: str | None = None,
    ) -> Member:
        """Add (or replace) a guild member, registering the user if needed."""
        if user_id not in self.users:
            self.add_user(user_id, username or f"user{user_id}")
        guild = self.guilds[guild_id]
        member = Member(user_id, list(roles), nick=nick)
        is_new = user_id not in guild.members
        guild.members[user_id] = member
        event = "GUILD_MEMBER_ADD" if is_new else "GUILD_MEMBER_UPDATE"
        self._emit_guild(guild_id, event, {"guild_id": str(guild_id),
                         **self._member_payload(guild, member)}, Intent.GUILD_MEMBERS)  # fmt: skip
        return member

    def _bot_overwrite(self, channel: Channel) -> Overwrite:
        for overwrite in channel.overwrites:
            if overwrite.type == 1 and overwrite.id == self.bot_user.id:
                return overwrite
        return Overwrite(self.bot_user.id, 1)

    def _set_bot_overwrite(self, channel: Channel, *, writable: bool, visible: bool) -> None:
        channel.overwrites = [
            o for o in channel.overwrites if not (o.type == 1 and o.id == self.bot_user.id)
        ]
        deny = (0 if writable else P.SEND_MESSAGES) | (0 if visible else P.VIEW_CHANNEL)
        if deny:
            channel.overwrites.append(Overwrite(self.bot_user.id, 1, deny=int(deny)))

    def permissions_in(
        self, channel: Channel, user_id: int, roles: Sequence[int] | None = None
    ) -> int:
        """A member's permissions in a channel, computed as Discord does (overwrites included)."""
        guild = self.guilds[channel.guild_id]
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        role_ids = list(roles) if roles is not None else (member.roles if member else [])
        base = guild.everyone.permissions
        for role_id in role_ids:
            if role_id in guild.roles:
                base |= guild.roles[role_id].permissions
        if base & P.ADMINISTRATOR:
            return ALL_PERMISSIONS
        overwrites = {(o.type, o.id): o for o in channel.overwrites}
        perms = base
        everyone = overwrites.get((0, guild.id))
        if everyone:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in role_ids:
            role_overwrite = overwrites.get((0, role_id))
            if role_overwrite:
                allow, deny = allow | role_overwrite.allow, deny | role_overwrite.deny
        perms = (perms & ~deny) | allow
        mine = overwrites.get((1, user_id))
        if mine:
            perms = (perms & ~mine.deny) | mine.allow
        if not perms & P.VIEW_CHANNEL:
            return 0
        if not perms & P.SEND_MESSAGES:  # these mean nothing without the right to send
            perms &= ~(P.SEND_TTS_MESSAGES | P.MENTION_EVERYONE | P.EMBED_LINKS | P.ATTACH_FILES)
        return int(perms)

    def bot_permissions(self, channel: Channel) -> int:
        """The bot's permissions in a channel."""
        return self.permissions_in(channel, self.bot_user.id)

    def messages_in(self, channel_id: int) -> list[StoredMessage]:
        """Live (not deleted) messages of a channel, oldest first."""
        return list(self.messages.get(channel_id, []))

    # ----------------------------------------------------------------------------------------
    # Payloads

    def _user(self, user_id: int) -> User:
        if user_id not in self.users:
            self.add_user(user_id, f"user{user_id}")
        return self.users[user_id]

    def _bot_user_payload(self) -> JSON:
        return {**self.bot_user.payload(), "system": False, "mfa_enabled": True, "banner": None,
                "accent_color": None, "locale": "en-US", "verified": True, "email": None,
                "flags": 0, "premium_type": 0}  # fmt: skip

    def _member_payload(
        self, guild: Guild, member: Member, *, with_user: bool = True,
        permissions: int | None = None, roles: Sequence[int] | None = None,
    ) -> JSON:  # fmt: skip
        data: JSON = {
            "roles": [str(r) for r in (member.roles if roles is None else roles)],
            "nick": member.nick, "avatar": None, "banner": None, "premium_since": None,
            "joined_at": member.joined_at, "deaf": False, "mute": False, "pending": False,
            "flags": 0, "communication_disabled_until": None, "unusual_dm_activity_until": None,
        }  # fmt: skip
        if with_user:
            data["user"] = self._user(member.user_id).payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    def _guild_payload(self, guild: Guild) -> JSON:
        return {
            "id": str(guild.id), "name": guild.name, "icon": None, "splash": None,
            "discovery_splash": None, "banner": None, "description": None,
            "owner_id": str(guild.owner_id), "afk_channel_id": None, "afk_timeout": 300,
            "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0,
            "premium_subscription_count": 0, "premium_progress_bar_enabled": False,
            "roles": [r.payload() for r in guild.roles.values()], "emojis": [], "stickers": [],
            "features": list(guild.features), "application_id": None,
            "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "public_updates_channel_id": None, "safety_alerts_channel_id": None,
            "preferred_locale": guild.locale, "vanity_url_code": None, "max_members": 500000,
            "max_presences": None, "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50, "widget_enabled": False, "incidents_data": None,
        }  # fmt: skip

    def _guild_create(self, guild: Guild) -> JSON:
        bot = guild.members[self.bot_user.id]
        return {
            **self._guild_payload(guild), "joined_at": bot.joined_at,
            "large": len(guild.members) > 250, "unavailable": False, "lazy": True,
            "member_count": len(guild.members), "voice_states": [],
            "members": [self._member_payload(guild, bot)],
            "channels": [c.payload(with_guild=False) for c in guild.channels.values()],
            "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [], "embedded_activities": [],
        }  # fmt: skip

    def _app_flags(self) -> int:
        # The "limited" flags say a privileged intent is enabled for the app (< 100 guilds).
        flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        if self.privileged_intents & Intent.GUILD_PRESENCES:
            flags |= 1 << 13
        if self.privileged_intents & Intent.GUILD_MEMBERS:
            flags |= 1 << 15
        if self.privileged_intents & Intent.MESSAGE_CONTENT:
            flags |= 1 << 19
        return flags

    # ----------------------------------------------------------------------------------------
    # Scripted failures

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        retry_after: float = 0.0,
        is_global: bool = False,
        code: int | None = None,
        times: int = 1,
        message: str | None = None,
        scope: str | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` instead of handling them.

        `method` is an HTTP method or "*"; `path_pattern` a glob on the path below /api/v10
        (e.g. "/channels/*/messages"). A 429 carries Discord's body (`message`, `retry_after`,
        `global`) and headers (`Retry-After`, `X-RateLimit-Scope`, bucket headers, and
        `X-RateLimit-Global` when global); other statuses carry `{"message", "code"}`.
        """
        self._failures.append(_Failure(method.upper(), path_pattern, status, retry_after,
                                       is_global, code, message, scope, times))  # fmt: skip

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method in ("*", method) and fnmatch.fnmatchcase(path, failure.pattern):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _failure_answer(self, failure: _Failure, route: _Route | None) -> _Answer:
        if failure.status != 429:
            phrase = HTTPStatus(failure.status).phrase
            return _error(failure.status, failure.message or f"{failure.status}: {phrase}",
                          failure.code or 0)  # fmt: skip
        body: JSON = {
            "message": failure.message or "You are being rate limited.",
            "retry_after": failure.retry_after,
            "global": failure.is_global,
        }
        if failure.code is not None:
            body["code"] = failure.code
        headers = {
            "Retry-After": str(math.ceil(failure.retry_after)),
            "X-RateLimit-Scope": failure.scope or ("global" if failure.is_global else "user"),
        }
        if failure.is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update({
                "X-RateLimit-Limit": str(self.rate_limit), "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + failure.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{failure.retry_after:.3f}",
            })  # fmt: skip
            if route is not None:
                headers["X-RateLimit-Bucket"] = route.bucket
        return _Answer(429, body, headers)

    # ----------------------------------------------------------------------------------------
    # REST plumbing

    def _route(
        self, method: str, template: str, handler: Callable[[_Ctx], Awaitable[_Answer]],
        *, auth: bool = True, major: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        bucket = hashlib.sha256(f"{method} {template}".encode()).hexdigest()[:32]
        self._routes.append(_Route(method, template, _param_regex(template), handler, auth,
                                   bucket, major))  # fmt: skip

    def _add_routes(self) -> None:
        r = self._route
        r("GET", "/users/@me", self._get_me)
        r("GET", "/users/{user_id}", self._get_user)
        r("GET", "/oauth2/applications/@me", self._get_application)
        r("GET", "/applications/@me", self._get_application)
        r("GET", "/gateway", self._get_gateway, auth=False)
        r("GET", "/gateway/bot", self._get_gateway_bot)
        for method in ("GET", "PUT"):
            handler = self._get_commands if method == "GET" else self._put_commands
            r(method, "/applications/{application_id}/commands", handler)
            r(method, "/applications/{application_id}/guilds/{guild_id}/commands", handler,
              major=("guild_id",))  # fmt: skip
        r("GET", "/guilds/{guild_id}", self._get_guild, major=("guild_id",))
        r("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, major=("guild_id",))
        r("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, major=("guild_id",))
        channel = ("channel_id",)
        r("GET", "/channels/{channel_id}", self._get_channel, major=channel)
        r("GET", "/channels/{channel_id}/messages", self._get_messages, major=channel)
        r("POST", "/channels/{channel_id}/messages", self._create_message, major=channel)
        r("POST", "/channels/{channel_id}/typing", self._typing, major=channel)
        path = "/channels/{channel_id}/messages/{message_id}"
        r("GET", path, self._get_message, major=channel)
        r("PATCH", path, self._edit_message, major=channel)
        r("DELETE", path, self._delete_message, major=channel)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self._callback,
          auth=False, major=("interaction_id", "token"))  # fmt: skip
        hook = ("application_id", "token")
        r("POST", "/webhooks/{application_id}/{token}", self._followup, auth=False, major=hook)
        path = "/webhooks/{application_id}/{token}/messages/{message_id}"
        r("GET", path, self._get_webhook_message, auth=False, major=hook)
        r("PATCH", path, self._edit_webhook_message, auth=False, major=hook)
        r("DELETE", path, self._delete_webhook_message, auth=False, major=hook)

    def _match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
        for route in self._routes:
            if route.method == method:
                found = route.pattern.match(path)
                if found:
                    return route, found.groupdict()
        return None, {}

    async def _read_body(self, request: web.Request, record: RequestRecord) -> None:
        if not request.can_read_body:
            return
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                data = bytes(await part.read())
                if part.name == "payload_json":
                    record.json = self._parse_json(data)
                elif part.filename is not None:
                    content_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "")
                    record.files.append(Upload(part.name or "", part.filename,
                                               content_type, data))  # fmt: skip
        elif request.content_type == "application/json":
            record.json = self._parse_json(await request.read())
        else:
            await request.read()

    @staticmethod
    def _parse_json(data: bytes) -> Any:
        try:
            return json.loads(data)
        except ValueError:
            raise _fail(400, "The request body contains invalid JSON.", 50109) from None

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        record = RequestRecord(request.method, path, dict(request.query), None, [],
                               dict(request.headers))  # fmt: skip
        self.requests.append(record)
        try:
            answer = await self._answer(request, record)
        except _AnswerError as rejected:
            answer = rejected.answer
        headers = {"Via": "1.1 google", **answer.headers}
        record.status, record.response, record.response_headers = (
            answer.status,
            answer.body,
            headers,
        )
        self._changes.notify()
        if answer.status == 204:
            return web.Response(status=204, headers=headers)
        headers["Content-Type"] = "application/json"
        return web.Response(status=answer.status, headers=headers,
                            body=json.dumps(answer.body).encode())  # fmt: skip

    async def _answer(self, request: web.Request, record: RequestRecord) -> _Answer:
        # Bot-authorised requests only: discord.py answers interactions through its webhook
        # adapter with aiohttp's default User-Agent, and Discord takes those.
        agent = request.headers.get("User-Agent", "")
        if "Authorization" in request.headers and not USER_AGENT.match(agent):
            raise _fail(400, "User-Agent must be 'DiscordBot ($url, $versionNumber)'", 0)
        route, params = self._match(request.method, record.path)
        await self._read_body(request, record)
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        if route is not None and route.auth and not authorized:
            return _error(401, "401: Unauthorized", 0)
        failure = self._take_failure(request.method, record.path)
        if failure is not None:
            return self._failure_answer(failure, route)
        if route is None:
            self.unknown_routes.append(record)
            return _error(404, "404: Not Found", 0)
        headers, limited = self._count(route, params)
        if limited is not None:
            return limited
        try:
            answer = await route.handler(_Ctx(request, params, record))
        except _AnswerError as rejected:
            answer = rejected.answer
        answer.headers = {**headers, **answer.headers}
        return answer

    def _count(
        self, route: _Route, params: dict[str, str]
    ) -> tuple[dict[str, str], _Answer | None]:
        key = (route.bucket, "+".join(params.get(name, "") for name in route.major))
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset_at:
            bucket = self._buckets[key] = _Bucket(now + self.rate_limit_window)
        bucket.count += 1
        reset_after = max(bucket.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self.rate_limit - bucket.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": route.bucket,
        }
        if bucket.count <= self.rate_limit:
            return headers, None
        body = {"message": "You are being rate limited.", "retry_after": round(reset_after, 3),
                "global": False}  # fmt: skip
        limited = {**headers, "Retry-After": str(math.ceil(reset_after)),
                   "X-RateLimit-Scope": "user"}  # fmt: skip
        return headers, _Answer(429, body, limited)

    async def _cdn(self, request: web.Request) -> web.Response:
        data = self._attachments.get(int(request.match_info["attachment"]))
        if data is None:
            return web.Response(status=404, text="Not Found")
        content_type = mimetypes.guess_type(request.match_info["filename"])[0]
        return web.Response(body=data, content_type=content_type or "application/octet-stream")

    # ----------------------------------------------------------------------------------------
    # REST: users, application, gateway, guilds

    async def _get_me(self, ctx: _Ctx) -> _Answer:
        return _json(self._bot_user_payload())

    async def _get_user(self, ctx: _Ctx) -> _Answer:
        user = self.users.get(ctx.id("user_id"))
        if user is None:
            raise _unknown("User", 10013)
        return _json(user.payload())

    async def _get_application(self, ctx: _Ctx) -> _Answer:
        params = {"scopes": ["bot", "applications.commands"], "permissions": "0"}
        return _json({
            "id": str(self.application_id), "name": self.bot_user.username, "icon": None,
            "description": "", "summary": "", "type": None, "hook": True, "bot_public": True,
            "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": self._app_flags(),
            "owner": self.owner.payload(), "team": None, "rpc_origins": [],
            "bot": self.bot_user.payload(), "redirect_uris": [],
            "interactions_endpoint_url": None, "role_connections_verification_url": None,
            "tags": [], "install_params": params,
            "integration_types_config": {"0": {"oauth2_install_params": params}, "1": {}},
            "approximate_guild_count": len(self.guilds), "approximate_user_install_count": 0,
        })  # fmt: skip

    async def _get_gateway(self, ctx: _Ctx) -> _Answer:
        return _json({"url": self.gateway_url})

    async def _get_gateway_bot(self, ctx: _Ctx) -> _Answer:
        return _json({
            "url": self.gateway_url, "shards": self.shard_count,
            "session_start_limit": {"total": 1000, "remaining": max(1000 - len(self.identifies),
                                    0), "reset_after": 14_400_000, "max_concurrency": 1},
        })  # fmt: skip

    def _guild(self, guild_id: int) -> Guild:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise _unknown("Guild", 10004)
        return guild

    async def _get_guild(self, ctx: _Ctx) -> _Answer:
        guild = self._guild(ctx.id("guild_id"))
        return _json({**self._guild_payload(guild), "approximate_member_count": None})

    async def _get_guild_channels(self, ctx: _Ctx) -> _Answer:
        guild = self._guild(ctx.id("guild_id"))
        return _json([c.payload() for c in guild.channels.values()])

    async def _get_member(self, ctx: _Ctx) -> _Answer:
        guild = self._guild(ctx.id("guild_id"))
        member = guild.members.get(ctx.id("user_id"))
        if member is None:
            raise _unknown("Member", 10007)
        return _json(self._member_payload(guild, member))

    # ----------------------------------------------------------------------------------------
    # REST: application commands

    def _command_scope(self, ctx: _Ctx) -> int | None:
        if ctx.id("application_id") != self.application_id:
            raise _missing_access()
        if "guild_id" not in ctx.params:
            return None
        if ctx.id("guild_id") not in self.guilds:  # not in it, or no applications.commands
            raise _missing_access()
        return ctx.id("guild_id")

    async def _get_commands(self, ctx: _Ctx) -> _Answer:
        return _json(self.commands.get(self._command_scope(ctx), []))

    async def _put_commands(self, ctx: _Ctx) -> _Answer:
        scope = self._command_scope(ctx)
        errors = command_errors(ctx.body)
        if errors:
            raise _invalid_form(errors)
        previous = {(int(c["type"]), c["name"]): c for c in self.commands.get(scope, [])}
        result = []
        for sent in ctx.body:
            kind = int(sent.get("type") or 1)
            old = previous.get((kind, sent["name"]))
            command: JSON = {
                "id": old["id"] if old else str(self._snowflake()),
                "application_id": str(self.application_id), "version": str(self._snowflake()),
                "type": kind, "name": sent["name"], "description": sent.get("description", ""),
                "default_member_permissions": sent.get("default_member_permissions"),
                "nsfw": bool(sent.get("nsfw", False)),
                "contexts": sent.get("contexts"),
                "integration_types": sent.get("integration_types") or [0],
                "name_localizations": sent.get("name_localizations"),
                "description_localizations": sent.get("description_localizations"),
            }  # fmt: skip
            if sent.get("options"):
                command["options"] = copy.deepcopy(sent["options"])
            if scope is None:
                command["dm_permission"] = sent.get("dm_permission", True)
            else:
                command["guild_id"] = str(scope)
            result.append(command)
        self.synced[scope] = copy.deepcopy(ctx.body)
        self.commands[scope] = result
        return _json(result)

    def registered_command(
        self, name: str, *, guild_id: int | None = None, command_type: int = 1
    ) -> JSON | None:
        """The command Discord would have for `name`: guild scope first, then global."""
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == command_type:
                    return command
        return None

    # ----------------------------------------------------------------------------------------
    # REST: channels and messages

    def _channel(self, channel_id: int, needs: int = P.VIEW_CHANNEL) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _unknown("Channel", 10003)
        perms = self.bot_permissions(channel)
        if not perms & P.VIEW_CHANNEL:
            raise _missing_access()
        if perms & needs != needs:
            raise _missing_permissions()
        return channel

    async def _get_channel(self, ctx: _Ctx) -> _Answer:
        return _json(self._channel(ctx.id("channel_id")).payload())

    async def _get_messages(self, ctx: _Ctx) -> _Answer:
        channel = self._channel(ctx.id("channel_id"), P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
        limit = min(max(int(ctx.record.query.get("limit", "50")), 1), 100)
        query = ctx.record.query
        found = self.messages.get(channel.id, [])  # oldest first
        if "before" in query:
            found = [m for m in found if m.id < int(query["before"])]
        if "after" in query:
            found = [m for m in found if m.id > int(query["after"])]
        # Get Channel Messages (https://discord.com/developers/docs/resources/message#get-channel-messages):
        # `after` gets the messages right after that id, `before` (or neither) the ones right
        # before it; either way newest first. A client paging with `after` takes the first
        # message of a page as the next `after`, so serving the newest ones here would skip.
        page = found[:limit] if "after" in query and "before" not in query else found[-limit:]
        return _json([m.data for m in reversed(page)])

    async def _typing(self, ctx: _Ctx) -> _Answer:
        self._channel(ctx.id("channel_id"), P.VIEW_CHANNEL | P.SEND_MESSAGES)
        return _Answer(204)

    def _check_uploads(self, files: Sequence[Upload]) -> None:
        if any(len(f.data) > self.upload_limit for f in files):
            raise _fail(413, "Request entity too large", 40005)

    async def _create_message(self, ctx: _Ctx) -> _Answer:
        channel = self._channel(ctx.id("channel_id"), P.VIEW_CHANNEL | P.SEND_MESSAGES)
        if channel.type == 4:
            raise _fail(400, "Cannot send messages in a non-text channel", 50008)
        if ctx.files and not self.bot_permissions(channel) & P.ATTACH_FILES:
            raise _missing_permissions()
        self._check_uploads(ctx.files)
        body = _check_message(ctx.body, len(ctx.files), creating=True)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((self.bot_user.id, str(nonce)))
            if seen is not None and self.clock() - seen[1] < self.nonce_window:
                return _json(seen[0].data)
        if not self.bot_permissions(channel) & P.EMBED_LINKS:
            body = {**body, "embeds": []}  # Discord drops embeds silently without EMBED_LINKS
        message = self._new_message(channel.id, body, ctx.files,
                                    flags=_flags_of(body) & _CHANNEL_MESSAGE_FLAGS)  # fmt: skip
        if nonce is not None:
            message.data["nonce"] = nonce
            self._nonces[(self.bot_user.id, str(nonce))] = (message, self.clock())
        self._store(message)
        if self.create_message_delay:
            await asyncio.sleep(self.create_message_delay)  # accepted, but slow to answer
        return _json(message.data)

    def _stored(self, channel: Channel, message_id: str) -> StoredMessage:
        message = self._by_message_id.get(int(message_id)) if message_id.isdigit() else None
        if message is None or message.deleted or message.ephemeral:
            raise _unknown("Message", 10008)
        if message.channel_id != channel.id:
            raise _unknown("Message", 10008)
        return message

    async def _get_message(self, ctx: _Ctx) -> _Answer:
        channel = self._channel(ctx.id("channel_id"), P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
        return _json(self._stored(channel, ctx.params["message_id"]).data)

    async def _edit_message(self, ctx: _Ctx) -> _Answer:
        channel = self._channel(ctx.id("channel_id"))
        message = self._stored(channel, ctx.params["message_id"])
        if message.data["author"]["id"] != str(self.bot_user.id):
            raise _fail(403, "Cannot edit a message authored by another user", 50005)
        self._check_uploads(ctx.files)
        body = _check_message(ctx.body, len(ctx.files), creating=False)
        self._apply_edit(message, body, ctx.files)
        return _json(message.data)

    async def _delete_message(self, ctx: _Ctx) -> _Answer:
        channel = self._channel(ctx.id("channel_id"))
        message = self._stored(channel, ctx.params["message_id"])
        mine = message.data["author"]["id"] == str(self.bot_user.id)
        if not mine and not self.bot_permissions(channel) & P.MANAGE_MESSAGES:
            raise _missing_permissions()
        self._delete(message)
        return _Answer(204)

    # ----------------------------------------------------------------------------------------
    # Messages

    def _new_message(
        self,
        channel_id: int,
        payload: JSON,
        files: Sequence[Upload],
        *,
        flags: int,
        message_type: int = 0,
        author: User | None = None,
        interaction: InteractionRecord | None = None,
    ) -> StoredMessage:
        message_id = self._snowflake()
        data: JSON = {
            "id": str(message_id), "type": message_type, "channel_id": str(channel_id),
            "author": (author or self.bot_user).payload(), "content": payload.get("content") or "",
            "embeds": _normalise_embeds(payload.get("embeds") or []), "attachments": [],
            "components": _number_components(payload.get("components") or [],
                                             self._component_ids),
            "mentions": [], "mention_roles": [], "mention_everyone": False, "pinned": False,
            "tts": bool(payload.get("tts")), "timestamp": _iso(message_id),
            "edited_timestamp": None, "flags": flags,
        }  # fmt: skip
        if interaction is not None:
            data.update(self._interaction_message_fields(interaction))
        message = StoredMessage(
            data,
            copy.deepcopy(payload),
            interaction_id=None if interaction is None else interaction.id,
        )
        data["attachments"] = self._attachments_for(message, payload, files)
        message.files.extend(files)
        return message

    def _interaction_message_fields(self, record: InteractionRecord) -> JSON:
        payload = record.payload
        invoker = payload.get("member", {}).get("user") or payload.get("user") or {}
        data = payload.get("data") or {}
        name = data.get("name") or data.get("custom_id") or ""
        metadata: JSON = {
            "id": str(record.id),
            "type": payload["type"],
            "user": invoker,
            "authorizing_integration_owners": payload["authorizing_integration_owners"],
        }
        if payload["type"] == 2:
            metadata.update(name=name, command_type=data.get("type", 1))
        if payload["type"] == 3 and "message" in payload:
            metadata["interacted_message_id"] = payload["message"]["id"]
        if record.original is not None:
            metadata["original_response_message_id"] = str(record.original.id)
        fields: JSON = {
            "webhook_id": str(self.application_id), "application_id": str(self.application_id),
            "interaction_metadata": metadata,
            "interaction": {"id": str(record.id), "type": payload["type"], "name": name,
                            "user": invoker},
        }  # fmt: skip
        return fields

    def _attachments_for(
        self, message: StoredMessage, payload: JSON, files: Sequence[Upload]
    ) -> list[JSON]:
        """New attachment objects for uploaded files, plus the kept ones on an edit."""
        entries: dict[int, JSON] = {}
        kept: list[JSON] = list(message.data.get("attachments") or [])
        if "attachments" in payload and payload["attachments"] is not None:
            sent = payload["attachments"]
            existing = {a["id"]: a for a in kept}
            kept = [existing[str(a["id"])] for a in sent if str(a.get("id")) in existing]
            for entry in sent:
                if str(entry.get("id")) not in existing and str(entry.get("id", "")).isdigit():
                    entries[int(entry["id"])] = entry
        new = []
        for index, upload in enumerate(files):
            entry = entries.get(index, {})
            attachment_id = self._snowflake()
            filename = str(entry.get("filename") or upload.filename)
            guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            if guessed.startswith("text/"):
                guessed += "; charset=utf-8"
            url = f"{self.cdn_url}/attachments/{message.channel_id}/{attachment_id}/{filename}"
            attachment: JSON = {"id": str(attachment_id), "filename": filename,
                                "size": len(upload.data), "url": url, "proxy_url": url,
                                "content_type": guessed}  # fmt: skip
            if entry.get("description"):
                attachment["description"] = entry["description"]
            if message.ephemeral:
                attachment["ephemeral"] = True
            self._attachments[attachment_id] = upload.data
            new.append(attachment)
        return kept + new

    def _store(self, message: StoredMessage) -> list[_Frame]:
        """Put a message in its channel and tell the gateway (unless ephemeral)."""
        self._by_message_id[message.id] = message
        if message.ephemeral:
            return []
        self.messages.setdefault(message.channel_id, []).append(message)
        channel = self.channels.get(message.channel_id)
        if channel is not None:
            channel.last_message_id = message.id
        return self._emit_message("MESSAGE_CREATE", message)

    def _apply_edit(
        self, message: StoredMessage, payload: JSON, files: Sequence[Upload], *,
        mark_edited: bool = True,
    ) -> None:  # fmt: skip
        data = message.data
        if "content" in payload:
            data["content"] = payload["content"] or ""
        if "embeds" in payload:
            data["embeds"] = _normalise_embeds(payload["embeds"] or [])
        if "components" in payload:
            data["components"] = _number_components(payload["components"] or [],
                                                     self._component_ids)  # fmt: skip
        if payload.get("flags") is not None:
            keep = data["flags"] & (EPHEMERAL | LOADING)
            data["flags"] = keep | (payload["flags"] & (SUPPRESS_EMBEDS | IS_COMPONENTS_V2))
        if "attachments" in payload or files:
            data["attachments"] = self._attachments_for(message, payload, files)
        if data["flags"] & LOADING:  # the first edit of a deferred message fills it in
            data["flags"] &= ~LOADING
        elif mark_edited:
            data["edited_timestamp"] = _now_iso()
        message.files.extend(files)
        message.edits.append(copy.deepcopy(payload))
        if message.id in self._by_message_id:
            self._emit_message("MESSAGE_UPDATE", message)

    def _delete(self, message: StoredMessage) -> None:
        message.deleted = True
        in_channel = self.messages.get(message.channel_id, [])
        if message in in_channel:
            in_channel.remove(message)
            channel = self.channels.get(message.channel_id)
            if channel is not None:
                self._emit_guild(channel.guild_id, "MESSAGE_DELETE", {
                    "id": str(message.id), "channel_id": str(channel.id),
                    "guild_id": str(channel.guild_id),
                }, Intent.GUILD_MESSAGES)  # fmt: skip

    def _emit_message(self, event: str, message: StoredMessage) -> list[_Frame]:
        channel = self.channels.get(message.channel_id)
        if message.ephemeral or channel is None or message not in self.messages.get(channel.id, []):
            return []
        guild = self.guilds[channel.guild_id]
        data = {**copy.deepcopy(message.data), "guild_id": str(guild.id)}
        author_id = int(message.data["author"]["id"])
        author = guild.members.get(author_id)
        if author is not None:
            data["member"] = self._member_payload(guild, author, with_user=False)
        # Without MESSAGE_CONTENT, Discord blanks other users' messages unless they mention
        # the bot (the bot always sees its own).
        readable = author_id == self.bot_user.id or any(
            m["id"] == str(self.bot_user.id) for m in message.data.get("mentions") or []
        )
        blank = {"content": "", "embeds": [], "attachments": [], "components": []}
        frames = []
        for session in self._live_sessions(guild.id):
            if session.intents & Intent.GUILD_MESSAGES:
                shown = readable or session.intents & Intent.MESSAGE_CONTENT
                frames.append(session._emit(event, data if shown else {**data, **blank}))
        return frames

    async def user_message(
        self,
        channel_id: int,
        content: str,
        *,
        user_id: int | None = None,
        embeds: Sequence[JSON] = (),
        timeout: float = 5.0,  # noqa: ASYNC109 - tests give each wait its own deadline
    ) -> StoredMessage:
        """A user posts in a channel: the message is stored and MESSAGE_CREATE is delivered.

        `<@id>` mentions of known users fill `mentions`. Sessions without the MESSAGE_CONTENT
        intent get content, embeds, attachments and components blanked unless the bot is
        mentioned, as on Discord (so `Intents.default()` prefix commands see "").
        """
        channel = self.channels[channel_id]
        author = self._user(user_id if user_id is not None else self.user.id)
        guild = self.guilds[channel.guild_id]
        guild.members.setdefault(author.id, Member(author.id))
        message = self._new_message(channel_id, {"content": content, "embeds": list(embeds)}, [],
                                    flags=0, author=author)  # fmt: skip
        mentioned = dict.fromkeys(int(m) for m in _USER_MENTION.findall(content))
        message.data["mentions"] = [self.users[m].payload() for m in mentioned if m in self.users]
        frames = self._store(message)
        _, pending = await asyncio.wait([f.sent for f in frames] or [_done()], timeout=timeout)
        if pending:
            raise TimeoutError(f"MESSAGE_CREATE not delivered within {timeout}s")
        return message

    # ----------------------------------------------------------------------------------------
    # REST: interactions

    async def _callback(self, ctx: _Ctx) -> _Answer:
        record = self.interactions.get(ctx.id("interaction_id"))
        if record is None or record.token != ctx.params["token"]:
            raise _unknown("interaction", 10062)
        try:
            return self._accept_callback(ctx, record)
        except _AnswerError:
            record.rejected.append(ctx.record)
            raise

    def _accept_callback(self, ctx: _Ctx, record: InteractionRecord) -> _Answer:
        if record.callback is not None:
            raise _fail(400, "Interaction has already been acknowledged.", 40060)
        loop_time = asyncio.get_running_loop().time()
        if loop_time - record.created_at > self.interaction_ack_timeout:
            raise _unknown("interaction", 10062)
        body = ctx.body
        if not isinstance(body, dict) or "type" not in body:
            raise _invalid_form([FormError(("type",), "BASE_TYPE_REQUIRED",
                                           "This field is required")])  # fmt: skip
        kind, interaction_type = int(body["type"]), int(record.payload["type"])
        if kind not in _ALLOWED_CALLBACKS.get(interaction_type, frozenset()):
            raise _invalid_form([FormError(
                ("type",), "INTERACTION_CALLBACK_TYPE_INVALID",
                f"Callback type {kind} is not valid for interaction type {interaction_type}.",
            )])  # fmt: skip
        data: JSON = body.get("data") or {}
        if kind in (4, 7):
            _check_message(data, len(ctx.files), creating=kind == 4, path=("data",))
        errors = _choice_errors(data) if kind == 8 else _modal_errors(data) if kind == 9 else []
        if errors:
            raise _invalid_form(errors)
        if any(len(f.data) > int(record.payload["attachment_size_limit"]) for f in ctx.files):
            raise _fail(413, "Request entity too large", 40005)
        record.callback = Callback(kind, copy.deepcopy(data), list(ctx.files))
        message = self._callback_message(record, kind, data, ctx.files)
        self._changes.notify()
        if not ctx.flag("with_response"):
            return _Answer(204)
        info: JSON = {"id": str(record.id), "type": interaction_type}
        answer: JSON = {"interaction": info}
        if message is not None:
            info.update(response_message_id=str(message.id), response_message_loading=kind == 5,
                        response_message_ephemeral=message.ephemeral)  # fmt: skip
            answer["resource"] = {"type": kind, "message": copy.deepcopy(message.data)}
        return _json(answer)

    def _callback_message(
        self, record: InteractionRecord, kind: int, data: JSON, files: Sequence[Upload]
    ) -> StoredMessage | None:
        channel_id = int(record.payload["channel"]["id"])
        if kind in (4, 5):
            flags = _flags_of(data) & _INTERACTION_MESSAGE_FLAGS
            if kind == 5:
                data, flags = {}, (flags & EPHEMERAL) | LOADING
            # Replies to commands are CHAT_INPUT_COMMAND (20) / CONTEXT_MENU_COMMAND (23)
            # messages; replies to components and modals are REPLY (19).
            command_type = (record.payload.get("data") or {}).get("type", 1)
            message_type = (20 if command_type == 1 else 23) if record.payload["type"] == 2 else 19
            message = self._new_message(
                channel_id, data, files, flags=flags, message_type=message_type, interaction=record
            )
            record.original = message
            self._store(message)
            return message
        if kind in (6, 7):
            message = self._component_message(record)
            if kind == 7:
                self._apply_edit(message, data, files)
            record.original = message
            return message
        return None

    def _component_message(self, record: InteractionRecord) -> StoredMessage:
        raw = record.payload.get("message")
        if raw is None:
            raise _fail(400, "This interaction has no message to update.", 50035)
        message = self._by_message_id.get(int(raw["id"]))
        if message is None:
            message = StoredMessage(copy.deepcopy(raw), copy.deepcopy(raw))
        return message

    def _webhook_record(self, ctx: _Ctx) -> InteractionRecord:
        if ctx.id("application_id") != self.application_id:
            raise _unknown("Webhook", 10015)
        record = self._by_token.get(ctx.params["token"])
        now = asyncio.get_running_loop().time()
        if record is None or now - record.created_at > self.interaction_token_ttl:
            raise _fail(401, "Invalid Webhook Token", 50027)
        if record.callback is None or record.callback.type in (8, 9):
            raise _unknown("Webhook", 10015)  # a token works as a webhook only once acked
        return record

    async def _followup(self, ctx: _Ctx) -> _Answer:
        record = self._webhook_record(ctx)
        self._check_uploads(ctx.files)
        body = _check_message(ctx.body, len(ctx.files), creating=True)
        original = record.original
        if record.type == 5 and original is not None and original.loading and not original.deleted:
            # Discord: the first follow-up after a deferral replaces the "thinking" message,
            # and that message stays as (non-)ephemeral as the deferral made it.
            self._apply_edit(original, body, ctx.files, mark_edited=False)
            message = original
        else:
            flags = _flags_of(body) & _INTERACTION_MESSAGE_FLAGS
            channel_id = int(record.payload["channel"]["id"])
            message = self._new_message(channel_id, body, ctx.files, flags=flags,
                                        interaction=record)  # fmt: skip
            self._store(message)
        record.followups.append(message)
        self._changes.notify()
        return _json(message.data) if ctx.flag("wait") else _Answer(204)

    def _webhook_message(self, ctx: _Ctx, record: InteractionRecord) -> StoredMessage:
        wanted = ctx.params["message_id"]
        candidates = [record.original] if wanted == "@original" else [
            m for m in [record.original, *record.followups] if m is not None and str(m.id) == wanted
        ]  # fmt: skip
        message = candidates[0] if candidates else None
        if message is None or message.deleted:
            raise _unknown("Message", 10008)
        return message

    async def _get_webhook_message(self, ctx: _Ctx) -> _Answer:
        record = self._webhook_record(ctx)
        return _json(self._webhook_message(ctx, record).data)

    async def _edit_webhook_message(self, ctx: _Ctx) -> _Answer:
        record = self._webhook_record(ctx)
        message = self._webhook_message(ctx, record)
        self._check_uploads(ctx.files)
        body = _check_message(ctx.body, len(ctx.files), creating=False)
        self._apply_edit(message, body, ctx.files)
        if message is record.original:
            record.edits.append(copy.deepcopy(body))
        self._changes.notify()
        return _json(message.data)

    async def _delete_webhook_message(self, ctx: _Ctx) -> _Answer:
        record = self._webhook_record(ctx)
        self._delete(self._webhook_message(ctx, record))
        self._changes.notify()
        return _Answer(204)

    # ----------------------------------------------------------------------------------------
    # Interaction payloads, exactly as Discord sends them

    def _default_guild(self, guild_id: int | None) -> Guild:
        if guild_id is not None:
            return self.guilds[guild_id]
        if not self.guilds:
            raise ValueError("add a guild first (or pass dm=True)")
        return next(iter(self.guilds.values()))

    def _interaction(
        self,
        interaction_type: int,
        data: JSON,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        roles: Sequence[int] | None,
        permissions: int | None,
        dm: bool,
        locale: str,
        message: StoredMessage | JSON | None = None,
    ) -> JSON:
        interaction_id = self._snowflake()
        user = self._user(user_id if user_id is not None else self.user.id)
        # Real tokens are base64 of "interaction:<id>:<secret>"; urlsafe keeps them path-safe.
        token = base64.urlsafe_b64encode(
            f"interaction:{interaction_id}:{secrets.token_hex(32)}".encode()
        ).decode()
        payload: JSON = {
            "id": str(interaction_id), "application_id": str(self.application_id),
            "type": interaction_type, "data": data, "token": token, "version": 1,
            "locale": locale, "entitlements": [], "entitlement_sku_ids": [],
            "attachment_size_limit": self.upload_limit,
        }  # fmt: skip
        if dm:
            dm_channel = channel_id if channel_id is not None else self._snowflake()
            payload.update(
                channel_id=str(dm_channel), user=user.payload(), context=1,
                app_permissions=str(int(P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS
                                        | P.ATTACH_FILES | P.READ_MESSAGE_HISTORY)),
                authorizing_integration_owners={"0": "0"},
                channel={"id": str(dm_channel), "type": 1, "last_message_id": None, "flags": 0,
                         "recipients": [user.payload()]},
            )  # fmt: skip
        else:
            guild = self._default_guild(guild_id)
            channel = self._interaction_channel(guild, channel_id)
            member = guild.members.get(user.id) or Member(user.id)
            member_perms = (self.permissions_in(channel, user.id, roles)
                            if permissions is None else permissions)  # fmt: skip
            payload.update(
                guild_id=str(guild.id), channel_id=str(channel.id), guild_locale=guild.locale,
                guild={"id": str(guild.id), "locale": guild.locale,
                       "features": list(guild.features)},
                channel={**channel.payload(), "permissions": str(member_perms)},
                member=self._member_payload(guild, member, permissions=member_perms,
                                            roles=roles),
                app_permissions=str(self.bot_permissions(channel)),
                authorizing_integration_owners={"0": str(guild.id)}, context=0,
            )  # fmt: skip
        if message is not None:
            raw = message.data if isinstance(message, StoredMessage) else message
            payload["message"] = copy.deepcopy(raw)
        return payload

    def _interaction_channel(self, guild: Guild, channel_id: int | None) -> Channel:
        if channel_id is not None:
            return self.channels[channel_id]
        for channel in guild.channels.values():
            if channel.type in (0, 5):
                return channel
        raise ValueError(f"guild {guild.id} has no text channel; add_channel first")

    def _resolve(
        self, value: OptionValue, guild: Guild | None, channel: Channel | None,
        invoker: int, resolved: JSON,
    ) -> tuple[int, Any]:  # fmt: skip
        if isinstance(value, bool):
            return 5, value
        if isinstance(value, int):
            return 4, value
        if isinstance(value, float):
            return 10, value
        if isinstance(value, str):
            return 3, value
        if isinstance(value, UserArg):
            resolved.setdefault("users", {})[str(value.id)] = self._user(value.id).payload()
            member = guild.members.get(value.id) if guild is not None else None
            if guild is not None and member is not None and channel is not None:
                resolved.setdefault("members", {})[str(value.id)] = self._member_payload(
                    guild, member, with_user=False,
                    permissions=self.permissions_in(channel, value.id),
                )  # fmt: skip
            return 6, str(value.id)
        if isinstance(value, ChannelArg):
            target = self.channels[value.id]
            perms = self.permissions_in(target, invoker)
            resolved.setdefault("channels", {})[str(value.id)] = {
                **target.payload(), "permissions": str(perms)}  # fmt: skip
            return 7, str(value.id)
        if guild is None or value.id not in guild.roles:
            raise ValueError(f"unknown role {value.id}")
        resolved.setdefault("roles", {})[str(value.id)] = guild.roles[value.id].payload()
        return 8, str(value.id)

    def _command_data(
        self,
        name: str,
        options: Mapping[str, OptionValue] | Sequence[JSON] | None,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        dm: bool,
        resolved: Mapping[str, Any] | None,
        command_id: int | None,
        command_guild_id: int | None,
        focused: str | None = None,
    ) -> JSON:
        path = name.split()
        if not 1 <= len(path) <= 3:
            raise ValueError("name is 'command', 'command sub' or 'command group sub'")
        guild = None if dm else self._default_guild(guild_id)
        channel = None if guild is None else self._interaction_channel(guild, channel_id)
        found: JSON = {}
        values: list[JSON]
        if options is None:
            values = []
        elif isinstance(options, Mapping):
            values = []
            for option_name, value in options.items():
                kind, wire = self._resolve(value, guild, channel,
                                           user_id or self.user.id, found)  # fmt: skip
                values.append({"type": kind, "name": option_name, "value": wire})
        else:
            values = [dict(o) for o in options]
        if focused is not None:
            hits = [o for o in values if o["name"] == focused]
            if not hits:
                raise ValueError(f"focused option {focused!r} is not among the options")
            hits[0]["focused"] = True
        for resolved_kind, items in (resolved or {}).items():
            found.setdefault(resolved_kind, {}).update(items)
        nested: list[JSON] = values
        for level, part in reversed(list(enumerate(path[1:], start=1))):
            inner: JSON = {"type": 1 if level == len(path) - 1 else 2, "name": part}
            if nested:
                inner["options"] = nested
            nested = [inner]
        scope = command_guild_id
        registered = self.registered_command(path[0], guild_id=None if guild is None
                                             else guild.id)  # fmt: skip
        if scope is None and registered is not None and "guild_id" in registered:
            scope = int(registered["guild_id"])
        if command_id is None:
            command_id = int(registered["id"]) if registered is not None else self._snowflake()
        data: JSON = {"id": str(command_id), "name": path[0], "type": 1}
        if nested:
            data["options"] = nested
        if found:
            data["resolved"] = found
        if scope is not None:
            data["guild_id"] = str(scope)
        return data

    def slash_command(
        self,
        name: str,
        options: Mapping[str, OptionValue] | Sequence[JSON] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        roles: Sequence[int] | None = None,
        permissions: int | None = None,
        resolved: Mapping[str, Any] | None = None,
        command_id: int | None = None,
        command_guild_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
    ) -> JSON:
        """An APPLICATION_COMMAND (type 2) interaction for a chat-input command.

        `name` is "cmd", "cmd sub" or "cmd group sub"; options are nested inside the
        subcommand (type 1) / group (type 2) as Discord nests them. Option types follow the
        Python value: str 3, int 4, bool 5, float 10, `UserArg` 6, `ChannelArg` 7, `RoleArg` 8
        (the last three are filled into `data.resolved`); or pass Discord's option dicts. The
        defaults are the first guild, its first text channel and `self.user`, whose member
        `permissions` are computed for that channel unless given. `data.id` and `data.guild_id`
        come from the synced commands when known (discord.py looks guild commands up by
        `data.guild_id`; pass `command_guild_id` for a guild command that was never synced).
        """
        data = self._command_data(
            name, options, guild_id=guild_id, channel_id=channel_id, user_id=user_id, dm=dm,
            resolved=resolved, command_id=command_id, command_guild_id=command_guild_id,
        )  # fmt: skip
        return self._interaction(2, data, guild_id=guild_id, channel_id=channel_id,
                                 user_id=user_id, roles=roles, permissions=permissions, dm=dm,
                                 locale=locale)  # fmt: skip

    def autocomplete(
        self,
        name: str,
        options: Mapping[str, OptionValue] | Sequence[JSON],
        *,
        focused: str,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        roles: Sequence[int] | None = None,
        permissions: int | None = None,
        command_id: int | None = None,
        command_guild_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
    ) -> JSON:
        """An APPLICATION_COMMAND_AUTOCOMPLETE (type 4) interaction; the option named
        `focused` carries `"focused": true` (its value is what the user has typed so far)."""
        data = self._command_data(
            name, options, guild_id=guild_id, channel_id=channel_id, user_id=user_id, dm=dm,
            resolved=None, command_id=command_id, command_guild_id=command_guild_id,
            focused=focused,
        )  # fmt: skip
        return self._interaction(4, data, guild_id=guild_id, channel_id=channel_id,
                                 user_id=user_id, roles=roles, permissions=permissions, dm=dm,
                                 locale=locale)  # fmt: skip

    def component(
        self,
        custom_id: str,
        *,
        message: StoredMessage | JSON | None = None,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        resolved: Mapping[str, Any] | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        roles: Sequence[int] | None = None,
        permissions: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
    ) -> JSON:
        """A MESSAGE_COMPONENT (type 3) interaction: a click on a button (2) or a choice in a
        select (3, 5-8, with `values`), carrying the message the component is on.

        Without `message`, a stand-in bot message holding just that component is put in the
        channel (discord.py only dispatches components it finds on `interaction.message`).
        """
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if component_type != 2:
            data["values"] = list(values or [])
        if resolved:
            data["resolved"] = dict(resolved)
        if dm and channel_id is None:
            channel_id = self._snowflake()  # one DM channel for the message and the interaction
        if message is None:
            if channel_id is None:
                channel_id = self._interaction_channel(self._default_guild(guild_id), None).id
            message = self._standin(channel_id, custom_id, component_type, values)
        return self._interaction(3, data, guild_id=guild_id, channel_id=channel_id,
                                 user_id=user_id, roles=roles, permissions=permissions, dm=dm,
                                 locale=locale, message=message)  # fmt: skip

    def modal_submit(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        message: StoredMessage | JSON | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
    ) -> JSON:
        """A MODAL_SUBMIT (type 5) interaction: one text input per action row."""
        rows = [
            {"type": 1, "id": 2 * n + 1,
             "components": [{"type": 4, "id": 2 * n + 2, "custom_id": key, "value": value}]}
            for n, (key, value) in enumerate(values.items())
        ]  # fmt: skip
        return self._interaction(5, {"custom_id": custom_id, "components": rows},
                                 guild_id=guild_id, channel_id=channel_id, user_id=user_id,
                                 roles=None, permissions=None, dm=dm, locale=locale,
                                 message=message)  # fmt: skip

    def _standin(
        self, channel_id: int, custom_id: str, component_type: int, values: Sequence[str] | None
    ) -> StoredMessage:
        component: JSON
        if component_type == 2:
            component = {"type": 2, "style": 1, "label": "Button", "custom_id": custom_id}
        else:
            component = {"type": component_type, "custom_id": custom_id, "min_values": 1,
                         "max_values": 1}  # fmt: skip
            if component_type == 3:
                component["options"] = [{"label": v, "value": v} for v in values or ["option"]]
        payload: JSON = {"components": [{"type": 1, "components": [component]}]}
        message = self._new_message(channel_id, payload, [], flags=0)
        self._by_message_id[message.id] = message
        self.messages.setdefault(channel_id, []).append(message)
        return message

    # ----------------------------------------------------------------------------------------
    # Dispatching

    def _live_sessions(self, guild_id: int | None) -> list[GatewaySession]:
        """Sessions (connected or awaiting resume) that get events for this guild (None: DMs,
        which go to shard 0)."""
        found = []
        for session in self.sessions.values():
            if session.ended:
                continue
            shard = 0 if guild_id is None else shard_for(guild_id, session.shard_count)
            if shard == session.shard_id:
                found.append(session)
        return found

    def _emit_guild(self, guild_id: int, event: str, data: JSON, intent: int) -> list[_Frame]:
        return [
            session._emit(event, data)
            for session in self._live_sessions(guild_id)
            if session.intents & intent
        ]

    async def dispatch(
        self,
        event: str,
        data: JSON,
        guild_id: int | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - tests give each wait its own deadline
    ) -> None:
        """Send a dispatch (op 0) to the sessions of the guild's shard (`guild_id`, else
        `data["guild_id"]`; neither: shard 0), and wait until it is written to the sockets."""
        if guild_id is None and data.get("guild_id") is not None:
            guild_id = int(data["guild_id"])
        sessions = self._live_sessions(guild_id)
        if not sessions:
            raise RuntimeError(f"no gateway session gets events for guild {guild_id}")
        frames = [session._emit(event, data) for session in sessions]
        _, pending = await asyncio.wait([f.sent for f in frames], timeout=timeout)
        if pending:
            raise TimeoutError(f"{event} not delivered within {timeout}s")

    async def send_interaction(self, payload: JSON) -> InteractionRecord:
        """Dispatch INTERACTION_CREATE to the right shard; returns its (still empty) record."""
        record = InteractionRecord(payload, asyncio.get_running_loop().time(), self._changes)
        self.interactions[record.id] = record
        self._by_token[record.token] = record
        guild_id = payload.get("guild_id")
        await self.dispatch("INTERACTION_CREATE", payload,
                            None if guild_id is None else int(guild_id))  # fmt: skip
        return record

    async def interact(
        self,
        payload: JSON,
        timeout: float = 5.0,  # noqa: ASYNC109 - tests give each wait its own deadline
    ) -> InteractionRecord:
        """Dispatch an interaction and wait for the bot's first accepted callback."""
        record = await self.send_interaction(payload)
        await record.wait_for(lambda r: r.callback is not None, timeout)
        return record

    # ----------------------------------------------------------------------------------------
    # Gateway

    @property
    def connected_sessions(self) -> int:
        """How many sessions have a socket attached right now."""
        return sum(1 for s in self.sessions.values() if s.connected and not s.ended)

    def session_for_shard(self, shard_id: int) -> GatewaySession | None:
        """The newest live session of a shard."""
        live = [s for s in self.sessions.values() if s.shard_id == shard_id and not s.ended]
        return live[-1] if live else None

    async def wait_ready(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - tests give each wait its own deadline
        *,
        shards: int | None = None,
    ) -> None:
        """Wait until every shard (`shards`, default `shard_count`) has a connected session that
        got READY and its GUILD_CREATEs. (The bot's own `on_ready` follows
        `guild_ready_timeout` later; use `bot.wait_until_ready()` for that.)"""
        count = self.shard_count if shards is None else shards

        def ready() -> bool:
            for shard_id in range(count):
                session = self.session_for_shard(shard_id)
                if session is None or not session.connected or not session.ready:
                    return False
            return True

        await self._changes.wait_until(ready, timeout, lambda: f"shards not ready: "
                                       f"{list(self.sessions.values())}")  # fmt: skip

    async def close_sessions(self, code: int = 4000, *, shard_id: int | None = None) -> None:
        """Close gateway sockets with `code` (4000 lets discord.py RESUME; 4004, 4010-4014
        are fatal to it; 4007/4009 end the session so it must IDENTIFY again)."""
        for connection in list(self._connections):
            session = connection.session
            if shard_id is not None and (session is None or session.shard_id != shard_id):
                continue
            if session is not None and code in (4007, 4009, 4004, 4010, 4011, 4012, 4013, 4014):
                session.ended = True
            await connection.close(code, b"closed by test")

    async def send_reconnect(self, *, shard_id: int | None = None) -> None:
        """Send RECONNECT (op 7): discord.py drops the socket and RESUMEs."""
        await self._send_op(7, None, shard_id)

    async def invalidate_session(
        self, *, resumable: bool = False, shard_id: int | None = None
    ) -> None:
        """Send INVALID_SESSION (op 9); unless resumable the session ends and discord.py must
        IDENTIFY again (after its 5 s `before_identify_hook`, to DEFAULT_GATEWAY)."""
        for connection in list(self._connections):
            session = connection.session
            if session is not None and (shard_id is None or session.shard_id == shard_id):
                session.ended = session.ended or not resumable
        await self._send_op(9, resumable, shard_id)

    async def _send_op(self, op: int, data: Any, shard_id: int | None) -> None:
        for connection in list(self._connections):
            session = connection.session
            if session is None or (shard_id is not None and session.shard_id != shard_id):
                continue
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.send_json({"op": op, "d": data, "s": None, "t": None})

    def _token_ok(self, token: Any) -> bool:
        return isinstance(token, str) and token.removeprefix("Bot ") == self.token

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = _Connection(ws, dict(request.query))
        self._connections.add(connection)
        try:
            if request.query.get("v", str(API_VERSION)) != str(API_VERSION):
                await connection.close(4012, b"Invalid API version.")
                return ws
            if request.query.get("encoding", "json") != "json":
                await connection.close(4002, b"Error while decoding payload.")
                return ws
            await connection.send_json({
                "op": 10, "d": {"heartbeat_interval": self.heartbeat_interval, "_trace": _TRACE},
                "s": None, "t": None,
            })  # fmt: skip
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    await self._gateway_frame(connection, msg.data)
                elif msg.type is aiohttp.WSMsgType.BINARY:
                    await connection.close(4002, b"Error while decoding payload.")
        finally:
            self._connections.discard(connection)
            if connection.writer is not None:
                connection.writer.cancel()
            session = connection.session
            if session is not None:
                if session._connection is connection:
                    session._connection = None
                if ws.close_code in (1000, 1001) and not connection.closed_by_server:
                    session.ended = True  # a clean close by the client ends the session
            self._changes.notify()
        return ws

    async def _gateway_frame(self, connection: _Connection, text: str) -> None:
        try:
            frame = json.loads(text)
            op, data = frame["op"], frame.get("d")
        except (ValueError, KeyError, TypeError):
            await connection.close(4002, b"Error while decoding payload.")
            return
        self.gateway_frames.append(frame)
        self._changes.notify()
        if op == 1:
            await connection.send_json({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(connection, data)
        elif op == 6:
            await self._resume(connection, data)
        elif op in (3, 4, 8):
            if connection.session is None:
                await connection.close(4003, b"Not authenticated.")
            elif op == 8:
                self._members_chunk(connection.session, data)
        else:
            await connection.close(4001, b"Unknown opcode.")

    async def _identify(self, connection: _Connection, data: Any) -> None:
        if connection.session is not None:
            await connection.close(4005, b"Already authenticated.")
            return
        if not isinstance(data, dict) or not self._token_ok(data.get("token")):
            await connection.close(4004, b"Authentication failed.")
            return
        shard = data.get("shard")
        if shard is not None and not (
            isinstance(shard, list) and len(shard) == 2 and 0 <= shard[0] < shard[1]
        ):
            await connection.close(4010, b"Invalid shard.")
            return
        intents = data.get("intents")
        if isinstance(intents, int) and intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await connection.close(4014, b"Disallowed intent(s).")
            return
        record = IdentifyRecord(
            token=data["token"], intents=intents,
            shard=None if shard is None else (int(shard[0]), int(shard[1])),
            properties=dict(data.get("properties") or {}), payload=data,
        )  # fmt: skip
        self.identifies.append(record)
        session = GatewaySession(secrets.token_hex(16), record)
        self.sessions[session.session_id] = session
        guilds = [g for g in self.guilds.values()
                  if shard_for(g.id, session.shard_count) == session.shard_id]  # fmt: skip
        ready: JSON = {
            "v": API_VERSION, "user_settings": {}, "user": self._bot_user_payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id, "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": self._app_flags()},
            "relationships": [], "private_channels": [], "presences": [],
            "guild_join_requests": [], "geo_ordered_rtc_regions": ["fake"], "auth": {},
            "_trace": _TRACE,
        }  # fmt: skip
        if shard is not None:
            ready["shard"] = [session.shard_id, session.shard_count]
        session._initial.append(session._emit("READY", ready))
        for guild in guilds:
            session._initial.append(session._emit("GUILD_CREATE", self._guild_create(guild)))
        self._attach(connection, session)

    async def _resume(self, connection: _Connection, data: Any) -> None:
        if not isinstance(data, dict) or not self._token_ok(data.get("token")):
            await connection.close(4004, b"Authentication failed.")
            return
        self.resumes.append(data)
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.ended:
            await connection.send_json({"op": 9, "d": False, "s": None, "t": None})
            return
        old = session._connection
        if old is not None and old is not connection:
            if old.writer is not None:
                old.writer.cancel()
            with contextlib.suppress(Exception):
                await old.close(4000, b"Resumed elsewhere.")
        while not session._queue.empty():
            session._queue.get_nowait()
        seq = int(data.get("seq") or 0)
        for frame in session._history:
            if frame.seq > seq:
                session._queue.put_nowait(frame)
        session.resumes += 1
        session._emit("RESUMED", {"_trace": _TRACE})
        self._attach(connection, session)

    def _attach(self, connection: _Connection, session: GatewaySession) -> None:
        connection.session = session
        session._connection = connection
        connection.writer = asyncio.create_task(self._write(connection, session))
        self._changes.notify()

    async def _write(self, connection: _Connection, session: GatewaySession) -> None:
        while True:
            frame = await session._queue.get()
            try:
                await connection.send(frame.text)
            except (ConnectionError, RuntimeError):
                return  # the frame stays in the history; a RESUME replays it
            if not frame.sent.done():
                frame.sent.set_result(None)
            self._changes.notify()

    def _members_chunk(self, session: GatewaySession, data: JSON) -> None:
        guild = self.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        members = [
            m for m in guild.members.values()
            if (not wanted or m.user_id in wanted)
            and self._user(m.user_id).username.lower().startswith(query)
        ]  # fmt: skip
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild.id), "members": [self._member_payload(guild, m) for m in members],
            "chunk_index": 0, "chunk_count": 1,
            "not_found": [str(u) for u in wanted - {m.user_id for m in members}],
        }  # fmt: skip
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session._emit("GUILD_MEMBERS_CHUNK", chunk)
