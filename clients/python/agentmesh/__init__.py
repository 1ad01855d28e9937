"""agentmesh: a client for the agentmesh daemon's local API, standard library only.

    import agentmesh
    c = agentmesh.Client()                                # or Client(name="a"), or Client(api=..., token=...)
    c.agents.create("alice", capabilities=["summarize"])
    c.send("alice", to="bob", body="hello", wait_for_ack=True)
    for msg in c.inbox.stream("bob"):
        print(msg.seq, msg.body)
        c.inbox.ack("bob", msg.seq)
"""

from .client import Agent, Agents, Client, Inbox
from .errors import (BadRequest, Conflict, DaemonUnavailable, Error, Forbidden, NotFound, RateLimited, ServerError,
                     Timeout, TooLarge, Unauthorized, Unavailable)
from .models import (TERMINAL_STATES, Conversation, ConversationMessage, ConversationPage, DeadLetter,
                     DirectoryEntry, Health, InboxPage, Message, Receipt, TaskEvent, TopicMessage, artifact, data,
                     file, text)
from .tasks import Task, Tasks

__version__ = "0.1.0"

__all__ = [
    "Agent", "Agents", "BadRequest", "Client", "Conflict", "Conversation", "ConversationMessage", "ConversationPage",
    "DaemonUnavailable", "DeadLetter", "DirectoryEntry", "Error", "Forbidden", "Health", "Inbox", "InboxPage",
    "Message", "NotFound", "RateLimited", "Receipt", "ServerError", "TERMINAL_STATES", "Task", "TaskEvent", "Tasks",
    "Timeout", "TooLarge", "TopicMessage", "Unauthorized", "Unavailable", "artifact", "data", "file", "text",
]
