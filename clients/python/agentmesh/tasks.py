"""Tasks, for both roles: the requester creates, waits for, answers and cancels; the assignee accepts, reports
progress, asks for input, completes or fails (docs/api.md, "Tasks")."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional

from ._http import quote
from ._sse import EventStream, MappedStream, SseEvent
from .errors import Timeout
from .models import TERMINAL_STATES, TaskEvent, parts_of

if TYPE_CHECKING:
    from .client import Client


@dataclass
class Task:
    """A task as one of its parties sees it. Its methods act as that party (``acting_as``) and return the task as it
    is after the action.

    ``duplicate`` is set when the daemon answered a repeated idempotency key or ``request_id``; ``pending`` when an
    action on a task whose requester is on another daemon is still on its way (the outbox keeps sending it)."""

    task_id: str
    context_id: str
    requester: str
    assignee: Optional[str]
    capability: Optional[str]
    state: str
    state_sequence: int
    attempt: int
    input: List[Dict[str, Any]]
    messages: List[Dict[str, Any]]
    artifacts: List[Dict[str, Any]]
    reason: Optional[str]
    metadata: Dict[str, str]
    created_ms: int
    updated_ms: int
    duplicate: bool
    pending: bool
    acting_as: str
    raw: Dict[str, Any] = field(repr=False)
    _client: Optional["Client"] = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, raw: Dict[str, Any], client: Optional["Client"], acting_as: str) -> "Task":
        g = raw.get
        return cls(g("task_id", ""), g("context_id", ""), g("requester", ""), g("assignee"), g("capability"),
                   g("state", ""), g("state_sequence") or 0, g("attempt") or 0, g("input") or [], g("messages") or [],
                   g("artifacts") or [], g("reason"), g("metadata") or {}, g("created_ms") or 0, g("updated_ms") or 0,
                   bool(g("duplicate", False)), bool(g("pending", False)), acting_as, raw, client)

    @property
    def terminal(self) -> bool:
        """Whether the task ended (completed, failed, canceled or rejected)."""
        return self.state in TERMINAL_STATES

    def artifact_text(self) -> str:
        """The text parts of every artifact, joined in order (a convenience for text results)."""
        return "".join(p.get("text", "") for a in self.artifacts for p in a.get("parts", []) if p.get("kind") == "text")

    def _tasks(self) -> "Tasks":
        if self._client is None:
            raise RuntimeError("this Task is not bound to a Client")
        return self._client.tasks

    def refresh(self) -> "Task":
        """The task as it is now."""
        return self._tasks().get(self.acting_as, self.task_id)

    def accept(self, request_id: Optional[str] = None, timeout_ms: Optional[int] = None) -> "Task":
        """Assignee: take the offered task (submitted → working)."""
        return self._tasks().act(self.acting_as, self.task_id, "accept", request_id=request_id, timeout_ms=timeout_ms)

    def reject(self, reason: Optional[str] = None, request_id: Optional[str] = None,
               timeout_ms: Optional[int] = None) -> "Task":
        """Assignee: decline the offer; the task goes to the next candidate, or ends rejected."""
        return self._tasks().act(self.acting_as, self.task_id, "reject", reason=reason, request_id=request_id,
                                 timeout_ms=timeout_ms)

    def progress(self, parts: Any = None, percent: Optional[int] = None,
                 artifacts: Optional[Iterable[Dict[str, Any]]] = None, request_id: Optional[str] = None,
                 timeout_ms: Optional[int] = None) -> "Task":
        """Assignee: a status message, a percentage and/or artifact chunks while working."""
        return self._tasks().act(self.acting_as, self.task_id, "progress", parts=parts, percent=percent,
                                 artifacts=artifacts, request_id=request_id, timeout_ms=timeout_ms)

    def input_required(self, parts: Any = None, request_id: Optional[str] = None,
                       timeout_ms: Optional[int] = None) -> "Task":
        """Assignee: ask the requester a question (working → input_required)."""
        return self._tasks().act(self.acting_as, self.task_id, "input-required", parts=parts, request_id=request_id,
                                 timeout_ms=timeout_ms)

    def complete(self, parts: Any = None, artifacts: Optional[Iterable[Dict[str, Any]]] = None,
                 request_id: Optional[str] = None, timeout_ms: Optional[int] = None) -> "Task":
        """Assignee: finish with a result (working → completed). Artifacts: :func:`agentmesh.artifact` chunks, or
        dicts ``{"name", "parts"}`` (taken as one whole chunk)."""
        return self._tasks().act(self.acting_as, self.task_id, "complete", parts=parts, artifacts=artifacts,
                                 request_id=request_id, timeout_ms=timeout_ms)

    def fail(self, reason: Optional[str] = None, parts: Any = None, request_id: Optional[str] = None,
             timeout_ms: Optional[int] = None) -> "Task":
        """Assignee: give up (working or input_required → failed)."""
        return self._tasks().act(self.acting_as, self.task_id, "fail", reason=reason, parts=parts,
                                 request_id=request_id, timeout_ms=timeout_ms)

    def cancel(self, reason: Optional[str] = None, request_id: Optional[str] = None,
               timeout_ms: Optional[int] = None) -> "Task":
        """Requester: cancel an open task."""
        return self._tasks().act(self.acting_as, self.task_id, "cancel", reason=reason, request_id=request_id,
                                 timeout_ms=timeout_ms)

    def answer(self, parts: Any, request_id: Optional[str] = None, timeout_ms: Optional[int] = None) -> "Task":
        """Requester: answer the assignee's question (input_required → working)."""
        return self._tasks().act(self.acting_as, self.task_id, "messages", parts=parts, request_id=request_id,
                                 timeout_ms=timeout_ms)

    def wait(self, timeout: float = 60.0, until: Iterable[str] = TERMINAL_STATES) -> "Task":
        """Blocks until the task reaches one of the states ``until`` (by default: it ends), then returns it;
        :class:`~agentmesh.Timeout` after ``timeout`` seconds."""
        return self._tasks().wait(self.acting_as, self.task_id, timeout=timeout, until=until)

    def events(self, after: int = 0, timeout: Optional[float] = None) -> MappedStream:
        """The task's steps as :class:`TaskEvent`, from ``after``; the stream ends after the terminal step."""
        return self._tasks().events(self.acting_as, self.task_id, after=after, timeout=timeout)


def _chunks(artifacts: Optional[Iterable[Dict[str, Any]]]) -> Optional[List[Dict[str, Any]]]:
    if artifacts is None:
        return None
    out = []
    for a in artifacts:
        chunk = dict(a)
        chunk["parts"] = parts_of(chunk.get("parts"))
        if "index" not in chunk:
            chunk["index"] = 0
            chunk.setdefault("last", True)
        out.append(chunk)
    return out


class Tasks:
    """``client.tasks``: every task route. ``agent`` is the acting agent's name or id."""

    def __init__(self, client: "Client") -> None:
        self._c = client

    def _path(self, agent: str, *rest: str) -> str:
        return "/".join([f"/v1/agents/{quote(agent)}/tasks", *rest])

    def create(self, agent: str, input: Any, *, to: Optional[str] = None, capability: Optional[str] = None,
               acceptance_timeout_ms: Optional[int] = None, deadline_ms: Optional[int] = None,
               context_id: Optional[str] = None, idempotency_key: Optional[str] = None,
               metadata: Optional[Dict[str, str]] = None, wait: Optional[float] = None) -> Task:
        """Asks ``to`` (an agent name or id) or any agent offering ``capability`` to do ``input`` (text, parts, or
        JSON data). With ``wait`` (seconds), blocks until the task ends or the time passes and returns it then
        (still open after the time is not an error: check ``state``). Without an ``idempotency_key`` a retried call
        creates a second task."""
        body: Dict[str, Any] = {"input": parts_of(input)}
        for k, v in (("to", to), ("capability", capability), ("acceptance_timeout_ms", acceptance_timeout_ms),
                     ("deadline_ms", deadline_ms), ("context_id", context_id), ("idempotency_key", idempotency_key),
                     ("metadata", metadata)):
            if v is not None:
                body[k] = v
        _, raw = self._c._transport.request("POST", self._path(agent), body)
        task = Task.from_json(raw, self._c, agent)
        if wait is not None and not task.terminal:
            try:
                return self.wait(agent, task.task_id, timeout=wait)
            except Timeout:
                return self.get(agent, task.task_id)
        return task

    def get(self, agent: str, task_id: str) -> Task:
        _, raw = self._c._transport.request("GET", self._path(agent, quote(task_id)))
        return Task.from_json(raw, self._c, agent)

    def list(self, agent: str, role: str = "any", state: Optional[str] = None, context_id: Optional[str] = None,
             after: Optional[str] = None, limit: Optional[int] = None) -> List[Task]:
        """One page of the agent's tasks by task id (``role``: ``requester``, ``assignee`` (offered to it now) or
        ``any``); pass the last task id as ``after`` for the next page, or use :meth:`iterate`."""
        q = {"role": role, "state": state, "context_id": context_id, "after": after, "limit": limit}
        _, raw = self._c._transport.request("GET", self._path(agent), query=q)
        return [Task.from_json(t, self._c, agent) for t in raw.get("tasks", [])]

    def iterate(self, agent: str, role: str = "any", state: Optional[str] = None,
                context_id: Optional[str] = None) -> Iterator[Task]:
        """Every matching task, page by page."""
        after: Optional[str] = None
        while True:
            q = {"role": role, "state": state, "context_id": context_id, "after": after, "limit": 100}
            _, raw = self._c._transport.request("GET", self._path(agent), query=q)
            for t in raw.get("tasks", []):
                yield Task.from_json(t, self._c, agent)
            after = raw.get("next_after")
            if not after:
                return

    def act(self, agent: str, task_id: str, action: str, *, parts: Any = None, percent: Optional[int] = None,
            artifacts: Optional[Iterable[Dict[str, Any]]] = None, reason: Optional[str] = None,
            request_id: Optional[str] = None, timeout_ms: Optional[int] = None) -> Task:
        """One action (``accept``, ``reject``, ``progress``, ``input-required``, ``complete``, ``fail``, ``cancel``,
        ``messages``). A ``request_id`` makes a retry safe: the same one again answers the task with
        ``duplicate`` set instead of acting twice."""
        body: Dict[str, Any] = {}
        if parts is not None:
            body["parts"] = parts_of(parts)
        chunks = _chunks(artifacts)
        for k, v in (("percent", percent), ("artifacts", chunks), ("reason", reason), ("request_id", request_id),
                     ("timeout_ms", timeout_ms)):
            if v is not None:
                body[k] = v
        wait_s = (timeout_ms or 10_000) / 1000.0 + 15.0
        _, raw = self._c._transport.request("POST", self._path(agent, quote(task_id), action), body,
                                            timeout=max(wait_s, self._c._transport.timeout))
        return Task.from_json(raw, self._c, agent)

    def events(self, agent: str, task_id: str, after: int = 0, timeout: Optional[float] = None) -> MappedStream:
        """The task's steps (:class:`TaskEvent`) from ``after``; ends after the terminal step."""
        stream = EventStream(self._c._transport, self._path(agent, quote(task_id), "events"), {"after": after},
                             timeout=timeout)
        return MappedStream(stream, _task_event)

    def stream(self, agent: str, after: Optional[int] = None, timeout: Optional[float] = None) -> MappedStream:
        """The task steps of the agent's inbox (every task it is party to) as :class:`TaskEvent` with ``seq`` set;
        starts after ``after`` or the inbox's acked cursor, and resumes by inbox seq."""
        stream = EventStream(self._c._transport, f"/v1/agents/{quote(agent)}/tasks/events", {"after": after},
                             timeout=timeout)
        return MappedStream(stream, _task_event)

    def wait(self, agent: str, task_id: str, timeout: float = 60.0, until: Iterable[str] = TERMINAL_STATES) -> Task:
        """Blocks until the task is in one of the states ``until`` and returns it; :class:`~agentmesh.Timeout`
        after ``timeout`` seconds."""
        wanted = frozenset(until)
        deadline = time.monotonic() + timeout
        task = self.get(agent, task_id)
        if task.state in wanted:
            return task
        with EventStream(self._c._transport, self._path(agent, quote(task_id), "events"),
                         {"after": task.state_sequence}) as events:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Timeout(f"task {task_id} is still {task.state} after {timeout:g} s")
                events.timeout = remaining
                try:
                    e = next(events)
                except StopIteration:
                    return self.get(agent, task_id)  # the stream ended after the terminal step
                if e.event == "task":
                    step = json.loads(e.data)
                    if step.get("state") in wanted:
                        return self.get(agent, task_id)

    def offered(self, agent: str, after: Optional[int] = None, timeout: Optional[float] = None) -> Iterator[Task]:
        """The tasks offered to the agent, as they come: first those waiting now, then each new offer from the
        agent's inbox. Each is yielded once, while it still waits for this agent (an offer already withdrawn or
        taken is skipped). Acting on it is up to the caller; the inbox entries of the steps stay until acked."""
        me = self._c.agents.get(agent).agent_id
        seen = set()
        for t in self.iterate(agent, role="assignee", state="submitted"):
            seen.add((t.task_id, t.attempt))
            yield t
        with self.stream(agent, after=after, timeout=timeout) as steps:
            for e in steps:
                # "created" offers a task to its first assignee, "offered" to each later one.
                if e.kind not in ("created", "offered") or e.assignee != me:
                    continue
                key = (e.task_id, e.raw.get("attempt"))
                if key in seen:
                    continue
                seen.add(key)
                t = self.get(agent, e.task_id)
                if t.state == "submitted" and t.assignee == me:
                    yield t


def _task_event(e: SseEvent) -> Optional[TaskEvent]:
    if e.event != "task":
        return None
    return TaskEvent.from_json(json.loads(e.data))
