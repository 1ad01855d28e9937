"""What the API returns, as typed objects. Each keeps the daemon's JSON in ``raw`` (fields a newer daemon adds are
there too)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

Part = Dict[str, Any]


def text(value: str, media_type: Optional[str] = None) -> Part:
    """A text part."""
    p: Part = {"kind": "text", "text": value}
    if media_type:
        p["media_type"] = media_type
    return p


def data(value: Any, media_type: Optional[str] = None) -> Part:
    """A data part: any JSON value."""
    p: Part = {"kind": "data", "data": value}
    if media_type:
        p["media_type"] = media_type
    return p


def file(uri: str, media_type: Optional[str] = None, name: Optional[str] = None, size: Optional[int] = None) -> Part:
    """A file part, by reference."""
    p: Part = {"kind": "file", "uri": uri}
    if media_type:
        p["media_type"] = media_type
    if name:
        p["name"] = name
    if size is not None:
        p["size"] = size
    return p


def parts_of(value: Any) -> List[Part]:
    """``"text"`` → one text part; a part (a dict with ``kind``) → a list of it; a list → each item so converted."""
    if value is None:
        return []
    if isinstance(value, str):
        return [text(value)]
    if isinstance(value, dict):
        return [value] if "kind" in value else [data(value)]
    if isinstance(value, (list, tuple)):
        out: List[Part] = []
        for v in value:
            out.extend(parts_of(v))
        return out
    return [data(value)]


def artifact(name: str, parts: Any, index: int = 0, last: bool = True) -> Dict[str, Any]:
    """One artifact chunk for ``progress``/``complete``: chunks of an artifact are numbered from 0; ``last`` closes
    it."""
    return {"name": name, "index": index, "last": last, "parts": parts_of(parts)}


def _body(raw: Dict[str, Any]) -> Union[str, bytes, None]:
    """`body` (UTF-8 text) or the decoded `body_base64`."""
    body = raw.get("body")
    if body is None and "body_base64" in raw:
        return base64.b64decode(raw["body_base64"])
    return body


def _get(raw: Dict[str, Any], key: str, default: Any = None) -> Any:
    v = raw.get(key, default)
    return default if v is None else v


@dataclass
class Health:
    status: str
    version: str
    uptime_s: int
    components: Dict[str, Any]
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "Health":
        return cls(raw.get("status", ""), raw.get("version", ""), _get(raw, "uptime_s", 0),
                   _get(raw, "components", {}), raw)


@dataclass
class Receipt:
    """The state of a sent message (``queued``, ``sending``, ``accepted``, ``rejected``, ``expired``)."""

    request_id: str
    state: str
    to: str
    seq: Optional[int]
    duplicate: bool
    path: Optional[str]
    reason: Optional[str]
    last_error: Optional[str]
    raw: Dict[str, Any] = field(repr=False)

    @property
    def final(self) -> bool:
        return self.state in ("accepted", "rejected", "expired")

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "Receipt":
        return cls(raw.get("request_id", ""), raw.get("state", ""), raw.get("to", ""), raw.get("seq"),
                   bool(raw.get("duplicate", False)), raw.get("path"), raw.get("reason"), raw.get("last_error"), raw)


@dataclass
class Message:
    """An inbox entry: a direct message, a topic message of a durable subscription, or a task step (``task_event``
    set, ``body`` ``None``). ``body`` is ``str`` for UTF-8 content, ``bytes`` otherwise."""

    seq: int
    request_id: str
    sender: str
    to: str
    received_ms: int
    content_type: str
    body: Union[str, bytes, None]
    performative: Optional[str]
    conversation_id: Optional[str]
    reply_with: Optional[str]
    in_reply_to: Optional[str]
    protocol: Optional[str]
    metadata: Dict[str, str]
    task_event: Optional[Dict[str, Any]]
    raw: Dict[str, Any] = field(repr=False)

    def json(self) -> Any:
        """The body parsed as JSON."""
        b = self.body
        return json.loads(b if isinstance(b, (str, bytes)) else "null")

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "Message":
        body = _body(raw)
        return cls(_get(raw, "seq", 0), raw.get("request_id", ""), raw.get("from", ""), raw.get("to", ""),
                   _get(raw, "received_ms", 0), raw.get("content_type", ""), body, raw.get("performative"),
                   raw.get("conversation_id"), raw.get("reply_with"), raw.get("in_reply_to"), raw.get("protocol"),
                   _get(raw, "metadata", {}), raw.get("task_event"), raw)


@dataclass
class InboxPage:
    messages: List[Message]
    next_after: int
    last_seq: int
    acked_seq: int

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "InboxPage":
        return cls([Message.from_json(m) for m in _get(raw, "messages", [])], _get(raw, "next_after", 0),
                   _get(raw, "last_seq", 0), _get(raw, "acked_seq", 0))


@dataclass
class TopicMessage:
    """A live topic message (``gap`` events are reported as ``dropped`` > 0 with no body)."""

    topic: str
    message_id: str
    from_peer: str
    from_agent: Optional[str]
    content_type: str
    body: Union[str, bytes, None]
    received_ms: int
    dropped: int
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "TopicMessage":
        body = _body(raw)
        return cls(raw.get("topic", ""), raw.get("message_id", ""), raw.get("from_peer", ""), raw.get("from_agent"),
                   raw.get("content_type", ""), body, _get(raw, "received_ms", 0), _get(raw, "dropped", 0), raw)


@dataclass
class DirectoryEntry:
    agent_id: str
    peer_id: str
    capabilities: List[str]
    display_name: Optional[str]
    online: bool
    local: bool
    addrs: List[str]
    raw: Dict[str, Any] = field(repr=False)
    # "online", "suspect" (its daemon went quiet: still counted online) or "offline".
    presence: str = "online"

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "DirectoryEntry":
        online = bool(raw.get("online", False))
        return cls(raw.get("agent_id", ""), raw.get("peer_id", ""), _get(raw, "capabilities", []),
                   raw.get("display_name"), online, bool(raw.get("local", False)),
                   _get(raw, "addrs", []), raw, raw.get("presence") or ("online" if online else "offline"))


@dataclass
class Conversation:
    conversation_id: str
    participants: List[str]
    protocol: Optional[str]
    message_count: int
    first_ms: int
    last_ms: int
    state: str
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "Conversation":
        return cls(raw.get("conversation_id", ""), _get(raw, "participants", []), raw.get("protocol"),
                   _get(raw, "message_count", 0), _get(raw, "first_ms", 0), _get(raw, "last_ms", 0),
                   raw.get("state", ""), raw)


@dataclass
class ConversationMessage:
    index: int
    direction: str
    sender: str
    to: str
    time_ms: int
    body: Union[str, bytes, None]
    task_event: Optional[Dict[str, Any]]
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "ConversationMessage":
        body = _body(raw)
        return cls(_get(raw, "index", 0), raw.get("direction", ""), raw.get("from", ""), raw.get("to", ""),
                   _get(raw, "time_ms", 0), body, raw.get("task_event"), raw)


@dataclass
class ConversationPage:
    conversation: Conversation
    messages: List[ConversationMessage]
    first_kept: int
    next_after: Optional[int]

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "ConversationPage":
        return cls(Conversation.from_json(raw.get("conversation", {})),
                   [ConversationMessage.from_json(m) for m in _get(raw, "messages", [])], _get(raw, "first_kept", 0),
                   raw.get("next_after"))


@dataclass
class TaskEvent:
    """One step of a task: ``kind`` (``created``, ``offered``, ``accepted``, ``progress``, ``input_required``,
    ``input``, ``completed``, ``failed``, ``canceled``, ``rejected``) and the state it leads to."""

    task_id: str
    state_sequence: int
    kind: str
    state: str
    assignee: Optional[str]
    time_ms: int
    message: Optional[Dict[str, Any]]
    artifacts: List[Dict[str, Any]]
    reason: Optional[str]
    seq: Optional[int]
    raw: Dict[str, Any] = field(repr=False)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "TaskEvent":
        return cls(raw.get("task_id", ""), _get(raw, "state_sequence", 0), raw.get("kind", ""), raw.get("state", ""),
                   raw.get("assignee"), _get(raw, "time_ms", 0), raw.get("message"), _get(raw, "artifacts", []),
                   raw.get("reason"), raw.get("seq"), raw)


TERMINAL_STATES = frozenset({"completed", "failed", "canceled", "rejected"})


@dataclass
class DeadLetter:
    id: int
    request_id: str
    sender: str
    to: str
    reason: str
    attempts: int
    body: Union[str, bytes, None]
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "DeadLetter":
        body = _body(raw)
        return cls(_get(raw, "id", 0), raw.get("request_id", ""), raw.get("from", ""), raw.get("to", ""),
                   raw.get("reason", ""), _get(raw, "attempts", 0), body, raw)
