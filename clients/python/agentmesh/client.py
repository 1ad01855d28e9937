"""The client: ``agentmesh.Client()`` and the parts of the API it groups (``client.agents``, ``client.inbox``,
``client.tasks``, ...)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Union

from ._http import DEFAULT_TIMEOUT_S, Locator, Transport, quote, raise_for, spawn_daemon
from ._sse import EventStream, MappedStream, SseEvent
from .apis import A2aTokens, Blocks, Conversations, DeadLetters, Directory, Peers, Subscriptions, Topics
from .errors import Unavailable
from .models import Health, InboxPage, Message, Receipt
from .tasks import Task, Tasks

Body = Union[str, bytes, None]


@dataclass
class Agent:
    """A local agent. ``token`` is set only in the answer of :meth:`Agents.create`. Its methods act as this agent
    through the client that returned it."""

    agent_id: str
    name: str
    display_name: Optional[str]
    capabilities: List[str]
    state: str
    created_ms: int
    last_seq: int
    acked_seq: int
    unacked: int
    streams: int
    token: Optional[str]
    a2a: Optional[Dict[str, Any]]
    raw: Dict[str, Any] = field(repr=False)
    _client: Optional["Client"] = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, raw: Dict[str, Any], client: Optional["Client"]) -> "Agent":
        g = raw.get
        return cls(g("agent_id", ""), g("name", ""), g("display_name"), g("capabilities") or [], g("state", ""),
                   g("created_ms") or 0, g("last_seq") or 0, g("acked_seq") or 0, g("unacked") or 0,
                   g("streams") or 0, g("token"), g("a2a"), raw, client)

    def _c(self) -> "Client":
        if self._client is None:
            raise RuntimeError("this Agent is not bound to a Client")
        return self._client

    def as_client(self) -> "Client":
        """A client of the same daemon that presents this agent's token (it may act only as this agent)."""
        c = self._c()
        if not self.token:
            raise ValueError("the agent's token is known only from the answer of agents.create()")
        loc = c._transport.locator
        return Client(api=f"{loc.address()[0]}:{loc.address()[1]}", token=self.token)

    def refresh(self) -> "Agent":
        return self._c().agents.get(self.agent_id)

    def send(self, to: Optional[str] = None, body: Body = None, **options: Any) -> Receipt:
        """:meth:`Client.send` from this agent."""
        return self._c().send(self.agent_id, to=to, body=body, **options)

    def reply(self, in_reply_to: str, body: Body = None, **options: Any) -> Receipt:
        """:meth:`Client.reply` from this agent."""
        return self._c().reply(self.agent_id, in_reply_to, body, **options)

    def messages(self, after: Optional[int] = None, timeout: Optional[float] = None) -> MappedStream:
        """:meth:`Inbox.stream` of this agent."""
        return self._c().inbox.stream(self.agent_id, after=after, timeout=timeout)

    def ack(self, up_to: int) -> Dict[str, int]:
        return self._c().inbox.ack(self.agent_id, up_to)

    def create_task(self, input: Any, **options: Any) -> Task:
        """:meth:`Tasks.create` as this agent."""
        return self._c().tasks.create(self.agent_id, input, **options)

    def assigned_tasks(self, timeout: Optional[float] = None) -> Iterator[Task]:
        """:meth:`Tasks.offered` for this agent: ``for task in agent.assigned_tasks(): task.accept() ...``."""
        return self._c().tasks.offered(self.agent_id, timeout=timeout)


class Agents:
    """``client.agents``: create, list, get, update, delete (admin token; an agent token may get itself)."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def create(self, name: str, capabilities: Optional[List[str]] = None,
               display_name: Optional[str] = None) -> Agent:
        """Creates a local agent; the answer carries its token (shown only here)."""
        body: Dict[str, Any] = {"name": name}
        if capabilities is not None:
            body["capabilities"] = list(capabilities)
        if display_name is not None:
            body["display_name"] = display_name
        _, raw = self._c._transport.request("POST", "/v1/agents", body)
        return Agent.from_json(raw, self._c)

    def list(self) -> List[Agent]:
        _, raw = self._c._transport.request("GET", "/v1/agents")
        return [Agent.from_json(a, self._c) for a in raw.get("agents", [])]

    def get(self, agent: str) -> Agent:
        _, raw = self._c._transport.request("GET", f"/v1/agents/{quote(agent)}")
        return Agent.from_json(raw, self._c)

    def update(self, agent: str, *, capabilities: Optional[List[str]] = None, state: Optional[str] = None,
               display_name: Optional[str] = None, a2a: Optional[Dict[str, Any]] = None) -> Agent:
        """Changes capabilities, state (``running``, ``draining``, ``stopped``), display name or A2A profile."""
        body: Dict[str, Any] = {}
        for k, v in (("capabilities", capabilities), ("state", state), ("display_name", display_name), ("a2a", a2a)):
            if v is not None:
                body[k] = v
        _, raw = self._c._transport.request("PATCH", f"/v1/agents/{quote(agent)}", body)
        return Agent.from_json(raw, self._c)

    def delete(self, agent: str) -> Dict[str, Any]:
        """Deletes the agent; its unacknowledged messages become dead letters."""
        _, raw = self._c._transport.request("DELETE", f"/v1/agents/{quote(agent)}")
        return raw


class Inbox:
    """``client.inbox``: read (without acknowledging), stream and acknowledge an agent's inbox."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def list(self, agent: str, after: int = 0, limit: Optional[int] = None) -> InboxPage:
        """Messages after ``after`` (acknowledged ones stay readable for a while); nothing is acknowledged."""
        _, raw = self._c._transport.request("GET", f"/v1/agents/{quote(agent)}/inbox",
                                            query={"after": after, "limit": limit})
        return InboxPage.from_json(raw)

    def ack(self, agent: str, up_to: int) -> Dict[str, int]:
        """Acknowledges every message up to and including ``up_to``."""
        _, raw = self._c._transport.request("POST", f"/v1/agents/{quote(agent)}/inbox/ack", {"up_to": up_to})
        return raw

    def stream(self, agent: str, after: Optional[int] = None, last_event_id: Optional[str] = None,
               timeout: Optional[float] = None, reconnect: bool = True) -> MappedStream:
        """The inbox as it fills (SSE): from after ``after`` (default: the acked cursor), replaying what is stored,
        then live. Task steps come as messages with ``task_event`` set. It reconnects with backoff when the
        connection breaks or the daemon restarts, resuming after the last message it gave (``Last-Event-ID``), and
        ends when the agent is deleted. ``timeout`` bounds each wait (then :class:`~agentmesh.Timeout`)."""
        events = EventStream(self._c._transport, f"/v1/agents/{quote(agent)}/events", {"after": after},
                             last_event_id=last_event_id, timeout=timeout, reconnect=reconnect)
        return MappedStream(events, _inbox_entry)


def _inbox_entry(e: SseEvent) -> Optional[Message]:
    if e.event == "message":
        return Message.from_json(json.loads(e.data))
    if e.event == "task":
        step = json.loads(e.data)
        raw = {k: step[k] for k in ("seq", "from", "to") if k in step}
        raw["task_event"] = {k: v for k, v in step.items() if k not in ("seq", "from", "to")}
        raw["content_type"] = "application/vnd.agentmesh.task-event+json"
        return Message.from_json(raw)
    return None


class Client:
    """A connection to the local daemon.

    Finding it works as for the CLI: ``api``/``token`` (or ``AGENTMESH_API``/``AGENTMESH_TOKEN``), else the files of
    the data directory of ``name`` (a named instance), ``data_dir``, ``AGENTMESH_DATA_DIR``/``AGENTMESH_NAME``, or the
    default. With ``spawn=True``, a daemon is started in the background for that data directory when none answers
    (``binary``: the ``agentmesh`` executable, default ``AGENTMESH_BINARY`` or the PATH).

    Each thread uses its own keep-alive connection. Errors are :class:`agentmesh.Error` subclasses.
    """

    def __init__(self, name: Optional[str] = None, *, api: Optional[str] = None, token: Optional[str] = None,
                 data_dir: Optional[str] = None, spawn: bool = False, binary: Optional[str] = None,
                 timeout: float = DEFAULT_TIMEOUT_S) -> None:
        locator = Locator(api, token, name, data_dir)
        #: The daemon process this client started (``spawn=True`` and none was running), else ``None``.
        self.spawned = spawn_daemon(locator, binary) if spawn else None
        self._transport = Transport(locator, timeout)
        self.agents = Agents(self)
        self.inbox = Inbox(self)
        self.tasks = Tasks(self)
        self.topics = Topics(self)
        self.subscriptions = Subscriptions(self)
        self.blocks = Blocks(self)
        self.directory = Directory(self)
        self.conversations = Conversations(self)
        self.dead_letters = DeadLetters(self)
        self.peers = Peers(self)
        self.a2a_tokens = A2aTokens(self)

    @property
    def data_dir(self) -> str:
        """The data directory this client looks in for the daemon's files."""
        return str(self._transport.locator.data_dir)

    def close(self) -> None:
        """Closes this thread's connection."""
        self._transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def agent(self, agent: str) -> Agent:
        """The local agent with this name or id."""
        return self.agents.get(agent)

    def send(self, sender: str, to: Optional[str] = None, body: Body = None, *, data: Any = None,
             content_type: Optional[str] = None, performative: Optional[str] = None,
             conversation_id: Optional[str] = None, reply_with: Optional[str] = None,
             in_reply_to: Optional[str] = None, protocol: Optional[str] = None,
             metadata: Optional[Dict[str, str]] = None, ttl_ms: Optional[int] = None,
             idempotency_key: Optional[str] = None, signed: Optional[bool] = None, path: Optional[str] = None,
             wait_for_ack: bool = False, timeout_ms: Optional[int] = None) -> Receipt:
        """Sends a direct message from the local agent ``sender`` to ``to`` (a local name, or an agent id anywhere).

        ``body`` is text (``str``) or bytes; ``data`` is any JSON value (sent as ``application/json``). With
        ``wait_for_ack``, answers once the recipient acknowledged it (or it was rejected or expired), waiting at most
        ``timeout_ms``. An ``idempotency_key`` makes retries safe for 24 h; without one a retried call may send twice.
        """
        if data is not None:
            if body is not None:
                raise ValueError("give body or data, not both")
            body = json.dumps(data, separators=(",", ":"))
            content_type = content_type or "application/json"
        req: Dict[str, Any] = {}
        if isinstance(body, (bytes, bytearray)):
            req["body_base64"] = base64.b64encode(bytes(body)).decode()
        elif body is not None:
            req["body"] = body
        else:
            raise ValueError("a message needs a body (text or bytes) or data")
        for k, v in (("to", to), ("content_type", content_type), ("performative", performative),
                     ("conversation_id", conversation_id), ("reply_with", reply_with), ("in_reply_to", in_reply_to),
                     ("protocol", protocol), ("metadata", metadata), ("ttl_ms", ttl_ms),
                     ("idempotency_key", idempotency_key), ("signed", signed), ("path", path),
                     ("timeout_ms", timeout_ms)):
            if v is not None:
                req[k] = v
        wait = None
        if wait_for_ack:
            req["wait"] = "ack"
            wait = (timeout_ms or 10_000) / 1000.0 + 15.0
        _, raw = self._transport.request("POST", f"/v1/agents/{quote(sender)}/messages", req, timeout=wait)
        return Receipt.from_json(raw)

    def reply(self, sender: str, in_reply_to: str, body: Body = None, **options: Any) -> Receipt:
        """Replies to a received message (by its ``reply_with`` or ``request_id``): goes to its sender, in its
        conversation."""
        return self.send(sender, body=body, in_reply_to=in_reply_to, **options)

    def message_status(self, sender: str, request_id: str) -> Receipt:
        """The receipt of a message ``sender`` sent to an agent on another daemon."""
        _, raw = self._transport.request("GET", f"/v1/agents/{quote(sender)}/messages/{quote(request_id)}")
        return Receipt.from_json(raw)

    def health(self) -> Health:
        """The daemon's health (also when it is unhealthy: ``status`` says so)."""
        _, raw = self._transport.request("GET", "/v1/health", accept=(503,))
        if not isinstance(raw, dict) or "status" not in raw:
            err = raw if isinstance(raw, dict) else {}
            raise Unavailable(str(err.get("error", "unhealthy")), str(err.get("message", raw)), 503, True)
        return Health.from_json(raw)

    def node(self) -> Dict[str, Any]:
        """This daemon's peer id, listen addresses and protocols (admin)."""
        return self._transport.request("GET", "/v1/node")[1]

    def metrics(self) -> str:
        """The Prometheus text of ``/metrics`` (admin)."""
        return self._transport.request("GET", "/metrics")[1]

    def diagnostics(self, area: str) -> Dict[str, Any]:
        """``/v1/diagnostics/{area}``: ``transport``, ``pubsub``, ``direct``, ``tasks``, ``conversations``, ``a2a``
        (admin)."""
        return self._transport.request("GET", f"/v1/diagnostics/{quote(area)}")[1]


__all__ = ["Agent", "Agents", "Client", "Inbox", "raise_for"]
