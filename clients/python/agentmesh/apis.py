"""The smaller parts of the API: topics, durable subscriptions, block lists, the directory, conversations, dead
letters, peers and A2A tokens."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Union

from ._http import quote
from ._sse import EventStream, MappedStream, SseEvent
from .models import Conversation, ConversationPage, DeadLetter, DirectoryEntry, Receipt, TopicMessage

if TYPE_CHECKING:
    from .client import Client


class Topics:
    """``client.topics``: publish to and live-subscribe to gossipsub topics (live only; use
    ``client.subscriptions`` for delivery into an inbox)."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def publish(self, topic: str, body: Union[str, bytes], as_agent: Optional[str] = None,
                content_type: Optional[str] = None) -> Dict[str, Any]:
        """Publishes as ``as_agent`` (required with the admin token); returns ``{"message_id", "peers"}``."""
        req: Dict[str, Any] = {}
        if isinstance(body, (bytes, bytearray)):
            req["body_base64"] = base64.b64encode(bytes(body)).decode()
        else:
            req["body"] = body
        if as_agent is not None:
            req["as"] = as_agent
        if content_type is not None:
            req["content_type"] = content_type
        return self._c._transport.request("POST", f"/v1/topics/{quote(topic)}/messages", req)[1]

    def subscribe(self, topic: str, timeout: Optional[float] = None) -> MappedStream:
        """The topic's messages as they arrive (:class:`TopicMessage`; a ``gap`` comes as one with ``dropped`` > 0),
        from the moment this returns. Reconnects when the connection breaks; what was published meanwhile is not
        replayed."""
        events = EventStream(self._c._transport, f"/v1/topics/{quote(topic)}/events", timeout=timeout).open()
        return MappedStream(events, _topic_event)

    def list(self, internal: bool = False) -> List[Dict[str, Any]]:
        """Topics known to the daemon (admin)."""
        return self._c._transport.request("GET", "/v1/topics", query={"internal": internal or None})[1]["topics"]


def _topic_event(e: SseEvent) -> Optional[TopicMessage]:
    if e.event == "message":
        return TopicMessage.from_json(json.loads(e.data))
    if e.event == "gap":
        return TopicMessage.from_json(json.loads(e.data))
    return None


class Subscriptions:
    """``client.subscriptions``: an agent's durable topic subscriptions (messages go into its inbox)."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def create(self, agent: str, topic: str) -> Dict[str, Any]:
        return self._c._transport.request("POST", f"/v1/agents/{quote(agent)}/subscriptions", {"topic": topic})[1]

    def list(self, agent: str) -> List[str]:
        return self._c._transport.request("GET", f"/v1/agents/{quote(agent)}/subscriptions")[1]["subscriptions"]

    def delete(self, agent: str, topic: str) -> Dict[str, Any]:
        return self._c._transport.request("DELETE", f"/v1/agents/{quote(agent)}/subscriptions",
                                          query={"topic": topic})[1]


class Blocks:
    """``client.blocks``: the senders an agent refuses messages from."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def add(self, agent: str, sender: str) -> Dict[str, Any]:
        return self._c._transport.request("POST", f"/v1/agents/{quote(agent)}/blocks", {"sender": sender})[1]

    def list(self, agent: str) -> List[str]:
        return self._c._transport.request("GET", f"/v1/agents/{quote(agent)}/blocks")[1]["blocked"]

    def remove(self, agent: str, sender: str) -> Dict[str, Any]:
        return self._c._transport.request("DELETE", f"/v1/agents/{quote(agent)}/blocks", query={"sender": sender})[1]


class Directory:
    """``client.directory``: the agents of the mesh (from their signed adverts) and this daemon's own."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def list(self, capability: Optional[str] = None, online: Optional[bool] = None) -> List[DirectoryEntry]:
        _, raw = self._c._transport.request("GET", "/v1/directory", query={"capability": capability, "online": online})
        return [DirectoryEntry.from_json(a) for a in raw.get("agents", [])]

    def get(self, agent_id: str) -> DirectoryEntry:
        return DirectoryEntry.from_json(self._c._transport.request("GET", f"/v1/directory/{quote(agent_id)}")[1])


class Conversations:
    """``client.conversations``: the conversations an agent took part in, and their messages."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def list(self, agent: str, state: str = "any", after: Optional[str] = None,
             limit: Optional[int] = None) -> List[Conversation]:
        """One page by conversation id (``state``: ``active``, ``expired``, ``any``)."""
        _, raw = self._c._transport.request("GET", f"/v1/agents/{quote(agent)}/conversations",
                                            query={"state": state, "after": after, "limit": limit})
        return [Conversation.from_json(v) for v in raw.get("conversations", [])]

    def get(self, agent: str, conversation_id: str, after: int = 0, limit: Optional[int] = None) -> ConversationPage:
        """The conversation and a page of its messages as this agent saw them, oldest first."""
        _, raw = self._c._transport.request(
            "GET", f"/v1/agents/{quote(agent)}/conversations/{quote(conversation_id)}",
            query={"after": after, "limit": limit})
        return ConversationPage.from_json(raw)


class DeadLetters:
    """``client.dead_letters`` (admin): messages that were rejected, expired, or whose recipient was deleted."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def list(self, after: Optional[int] = None, limit: Optional[int] = None) -> List[DeadLetter]:
        _, raw = self._c._transport.request("GET", "/v1/deadletters", query={"after": after, "limit": limit})
        return [DeadLetter.from_json(d) for d in raw.get("dead_letters", [])]

    def iterate(self) -> Iterator[DeadLetter]:
        after: Optional[int] = None
        while True:
            _, raw = self._c._transport.request("GET", "/v1/deadletters", query={"after": after, "limit": 1000})
            letters = raw.get("dead_letters", [])
            for d in letters:
                yield DeadLetter.from_json(d)
            after = raw.get("next_after")
            if not letters or after is None:
                return

    def get(self, id: int) -> DeadLetter:
        return DeadLetter.from_json(self._c._transport.request("GET", f"/v1/deadletters/{id}")[1])

    def retry(self, id: int) -> Receipt:
        """Delivers it again to its recipient (same request id) and removes it."""
        return Receipt.from_json(self._c._transport.request("POST", f"/v1/deadletters/{id}/retry", {})[1])

    def delete(self, id: int) -> Dict[str, Any]:
        return self._c._transport.request("DELETE", f"/v1/deadletters/{id}")[1]


class Peers:
    """``client.peers`` (admin): the daemon's libp2p connections."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def list(self) -> List[Dict[str, Any]]:
        return self._c._transport.request("GET", "/v1/peers")[1]["peers"]

    def connect(self, addr: str) -> Dict[str, Any]:
        """Dials a multiaddr (with ``/p2p/<id>``) and keeps the peer connected."""
        return self._c._transport.request("POST", "/v1/peers", {"addr": addr})[1]

    def disconnect(self, peer_id: str) -> Dict[str, Any]:
        return self._c._transport.request("DELETE", f"/v1/peers/{quote(peer_id)}")[1]


class A2aTokens:
    """``client.a2a_tokens`` (admin): the bearer tokens of an agent's A2A callers."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def create(self, agent: str, label: Optional[str] = None, expires_in_s: Optional[int] = None) -> Dict[str, Any]:
        body: Dict[str, Any] = {}
        if label is not None:
            body["label"] = label
        if expires_in_s is not None:
            body["expires_in_s"] = expires_in_s
        return self._c._transport.request("POST", f"/v1/agents/{quote(agent)}/a2a/tokens", body)[1]

    def list(self, agent: str) -> List[Dict[str, Any]]:
        return self._c._transport.request("GET", f"/v1/agents/{quote(agent)}/a2a/tokens")[1]["tokens"]

    def revoke(self, agent: str, token_id: str) -> Dict[str, Any]:
        return self._c._transport.request("DELETE", f"/v1/agents/{quote(agent)}/a2a/tokens/{quote(token_id)}")[1]
