"""The client against a real daemon: agents, messages, the inbox, errors, conversations, topics, subscriptions,
blocks, dead letters, the directory, health and diagnostics, A2A tokens, and finding the daemon."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import unittest
from pathlib import Path

from harness import DaemonTest, binary, environment, eventually  # first: it puts the package under test on the path

import agentmesh


class ClientTest(DaemonTest):
    def setUp(self) -> None:
        super().setUp()
        self.d = self.daemon()
        self.c = self.d.client()
        self.addCleanup(self.c.close)

    def test_agents(self) -> None:
        alice = self.c.agents.create("alice", capabilities=["summarize", "translate"], display_name="Alice")
        self.assertEqual(alice.name, "alice")
        self.assertEqual(len(alice.agent_id), 64)
        self.assertTrue(alice.token)
        self.assertEqual(alice.capabilities, ["summarize", "translate"])
        self.assertEqual(self.c.agents.get(alice.agent_id).name, "alice")
        self.assertIsNone(self.c.agent("alice").token)
        self.assertEqual([a.name for a in self.c.agents.list()], ["alice"])
        changed = self.c.agents.update("alice", capabilities=["x"], state="draining", display_name="A")
        self.assertEqual((changed.capabilities, changed.state, changed.display_name), (["x"], "draining", "A"))
        published = self.c.agents.update("alice", a2a={"enabled": True, "description": "Summarizes."})
        self.assertEqual((published.a2a["enabled"], published.a2a["description"]), (True, "Summarizes."))
        with self.assertRaises(agentmesh.BadRequest) as e:
            self.c.agents.update("alice", state="asleep")
        self.assertEqual(e.exception.code, "invalid_field")
        with self.assertRaises(agentmesh.Conflict) as e:
            self.c.agents.create("alice")
        self.assertEqual((e.exception.code, e.exception.status, e.exception.retryable), ("name_taken", 409, False))
        with self.assertRaises(agentmesh.BadRequest) as e:
            self.c.agents.create("Not A Name")
        self.assertEqual(e.exception.code, "invalid_name")
        self.assertEqual(self.c.agents.delete("alice")["deleted"], True)
        with self.assertRaises(agentmesh.NotFound) as e:
            self.c.agents.get("alice")
        self.assertEqual(e.exception.code, "unknown_agent")

    def test_send_read_and_ack(self) -> None:
        self.c.agents.create("alice")
        self.c.agents.create("bob")
        r = self.c.send("alice", to="bob", body="hello", wait_for_ack=False, performative="inform")
        self.assertEqual((r.state, r.seq, r.duplicate), ("accepted", 1, False))
        self.c.send("alice", to="bob", body=b"\x00\xffraw")
        self.c.send("alice", to="bob", data={"n": 1, "list": [1, 2]})
        page = self.c.inbox.list("bob")
        self.assertEqual([m.seq for m in page.messages], [1, 2, 3])
        self.assertEqual(page.messages[0].body, "hello")
        self.assertEqual(page.messages[0].performative, "inform")
        self.assertEqual(page.messages[1].body, b"\x00\xffraw")
        self.assertEqual(page.messages[2].json(), {"n": 1, "list": [1, 2]})
        self.assertEqual(page.messages[2].content_type, "application/json")
        self.assertEqual(self.c.inbox.ack("bob", 2), {"acked_seq": 2, "last_seq": 3})
        self.assertEqual(self.c.agent("bob").unacked, 1)
        with self.assertRaises(agentmesh.BadRequest) as e:
            self.c.inbox.ack("bob", 99)
        self.assertEqual(e.exception.code, "ack_beyond_last")
        # Idempotency: the same key and content answer the first send; other content is a conflict.
        first = self.c.send("alice", to="bob", body="once", idempotency_key="k1")
        again = self.c.send("alice", to="bob", body="once", idempotency_key="k1")
        self.assertEqual((again.request_id, again.duplicate), (first.request_id, True))
        with self.assertRaises(agentmesh.Conflict) as e:
            self.c.send("alice", to="bob", body="other", idempotency_key="k1")
        self.assertEqual(e.exception.code, "idempotency_conflict")
        self.assertEqual(self.c.inbox.list("bob", after=3).messages[0].body, "once")
        with self.assertRaises(agentmesh.NotFound) as e:
            self.c.send("alice", to="nobody", body="x")
        self.assertEqual(e.exception.code, "unknown_recipient")
        with self.assertRaises(ValueError):
            self.c.send("alice", to="bob")

    def test_wait_for_ack_returns_when_the_recipient_acks(self) -> None:
        self.c.agents.create("alice")
        self.c.agents.create("bob")
        r = self.c.send("alice", to="bob", body="hi", wait_for_ack=True)
        self.assertEqual(r.state, "accepted")

    def test_stream_replays_resumes_and_acks(self) -> None:
        self.c.agents.create("alice")
        bob = self.c.agents.create("bob")
        for i in range(3):
            self.c.send("alice", to="bob", body=f"m{i}")
        got = []
        with self.c.inbox.stream("bob", timeout=10) as s:
            for msg in s:
                got.append(msg.body)
                self.c.inbox.ack("bob", msg.seq)
                if len(got) == 2:
                    break
            last = s.events.last_event_id
        self.assertEqual(got, ["m0", "m1"])
        self.assertEqual(last, "2")
        # A new stream starts after the acked cursor; one given Last-Event-ID starts after it.
        self.c.send("alice", to="bob", body="m3")
        with self.c.inbox.stream("bob", timeout=10) as s:
            self.assertEqual([next(s).body, next(s).body], ["m2", "m3"])
        with self.c.inbox.stream("bob", last_event_id="3", timeout=10) as s:
            self.assertEqual(next(s).body, "m3")
            with self.assertRaises(agentmesh.Timeout):
                s.events.timeout = 0.3
                next(s)
        # Messages sent while a stream waits arrive live, through the agent's own method too.
        stream = bob.messages(after=4, timeout=10)
        sender = threading.Timer(0.2, lambda: self.c.send("alice", to="bob", body="live"))
        sender.start()
        self.assertEqual(next(stream).body, "live")
        sender.join()
        # close() from another thread ends a blocked iteration.
        closer = threading.Timer(0.2, stream.close)
        closer.start()
        stream.events.timeout = None
        self.assertEqual(list(stream), [])
        closer.join()
        # Deleting the agent ends its stream with the reason.
        s = self.c.inbox.stream("bob", after=5, timeout=10)
        deleted = []
        deleter = threading.Timer(0.2, lambda: deleted.append(self.c.agents.delete("bob")))
        deleter.start()
        self.assertEqual(list(s), [])
        self.assertEqual(s.closed_reason, "unknown_agent")
        deleter.join()
        self.assertEqual(deleted[0]["deleted"], True)

    def test_agent_token_acts_only_as_its_agent(self) -> None:
        alice = self.c.agents.create("alice")
        self.c.agents.create("bob")
        as_alice = alice.as_client()
        self.assertEqual(as_alice.send("alice", to="bob", body="mine").state, "accepted")
        with self.assertRaises(agentmesh.Forbidden) as e:
            as_alice.send("bob", to="alice", body="not mine")
        self.assertEqual((e.exception.code, e.exception.status), ("forbidden", 403))
        with self.assertRaises(agentmesh.Unauthorized):
            agentmesh.Client(api=f"127.0.0.1:{self.c._transport.locator.address()[1]}", token="0" * 64).agents.list()

    def test_replies_and_conversations(self) -> None:
        self.c.agents.create("alice")
        bob = self.c.agents.create("bob")
        self.c.send("alice", to="bob", body="price?", conversation_id="deal-7", reply_with="q1",
                    performative="query-ref", protocol="fipa-query")
        r = bob.reply("q1", "ten", performative="inform")
        self.assertEqual(r.state, "accepted")
        answer = self.c.inbox.list("alice").messages[0]
        self.assertEqual((answer.body, answer.conversation_id, answer.in_reply_to), ("ten", "deal-7", "q1"))
        convs = self.c.conversations.list("alice")
        self.assertEqual([(v.conversation_id, v.message_count, v.state) for v in convs], [("deal-7", 2, "active")])
        page = self.c.conversations.get("alice", "deal-7")
        self.assertEqual([(m.direction, m.body) for m in page.messages], [("sent", "price?"), ("received", "ten")])
        with self.assertRaises(agentmesh.NotFound) as e:
            self.c.conversations.get("alice", "none/such")
        self.assertEqual(e.exception.code, "unknown_conversation")
        with self.assertRaises(agentmesh.NotFound) as e:
            self.c.reply("alice", "no-such-message", "x")
        self.assertEqual(e.exception.code, "unknown_reply_target")

    def test_topics_subscriptions_and_blocks(self) -> None:
        alice = self.c.agents.create("alice")
        bob = self.c.agents.create("bob")
        self.assertEqual(self.c.subscriptions.create("bob", "news/today")["topic"], "news/today")
        self.assertEqual(self.c.subscriptions.list("bob"), ["news/today"])
        with self.assertRaises(agentmesh.Conflict):
            self.c.subscriptions.create("bob", "news/today")
        live = self.c.topics.subscribe("news/today", timeout=10)  # subscribed once this returns
        self.c.topics.publish("news/today", "headline", as_agent="alice")
        first = next(live)
        self.assertEqual((first.topic, first.from_agent, first.body), ("news/today", alice.agent_id, "headline"))
        live.close()
        # The durable subscriber gets it in its inbox too.
        durable = eventually(lambda: self.c.inbox.list("bob").messages, 10, "the topic message in the inbox")
        self.assertEqual([(m.body, m.protocol) for m in durable], [("headline", "agentmesh/topic")])
        self.assertTrue(any(t["topic"] == "news/today" for t in self.c.topics.list()))
        self.assertEqual(self.c.subscriptions.delete("bob", "news/today")["deleted"], True)
        with self.assertRaises(agentmesh.BadRequest):
            self.c.topics.publish("agentmesh/adverts/1", "x", as_agent="alice")
        # Blocks.
        self.assertEqual(self.c.blocks.add("bob", alice.agent_id)["sender"], alice.agent_id)
        self.assertEqual(self.c.blocks.list("bob"), [alice.agent_id])
        with self.assertRaises(agentmesh.Forbidden) as e:
            self.c.send("alice", to="bob", body="blocked?")
        self.assertEqual(e.exception.code, "blocked")
        self.c.blocks.remove("bob", alice.agent_id)
        self.assertEqual(bob.refresh().name, "bob")
        self.assertEqual(self.c.send("alice", to="bob", body="unblocked").state, "accepted")

    def test_dead_letters(self) -> None:
        self.c.agents.create("alice")
        self.c.agents.create("bob")
        self.c.send("alice", to="bob", body="lost")
        self.assertEqual(self.c.agents.delete("bob")["dead_lettered"], 1)
        letters = self.c.dead_letters.list()
        self.assertEqual([(d.body, d.reason) for d in letters], [("lost", "agent_deleted")])
        self.assertEqual(self.c.dead_letters.get(letters[0].id).request_id, letters[0].request_id)
        self.assertEqual(list(self.c.dead_letters.iterate())[0].id, letters[0].id)
        # Its recipient is gone (a new "bob" has another id): the retry fails and the letter stays.
        self.c.agents.create("bob")
        with self.assertRaises(agentmesh.NotFound) as e:
            self.c.dead_letters.retry(letters[0].id)
        self.assertEqual(e.exception.code, "unknown_recipient")
        self.assertEqual(len(self.c.dead_letters.list()), 1)
        self.assertEqual(self.c.dead_letters.delete(letters[0].id)["deleted"], True)
        self.assertEqual(self.c.dead_letters.list(), [])
        with self.assertRaises(agentmesh.NotFound):
            self.c.dead_letters.delete(letters[0].id)

    def test_directory_health_node_and_diagnostics(self) -> None:
        alice = self.c.agents.create("alice", capabilities=["summarize"])
        entries = self.c.directory.list(capability="summarize")
        self.assertEqual([(e.agent_id, e.local) for e in entries], [(alice.agent_id, True)])
        self.assertEqual(self.c.directory.get(alice.agent_id).capabilities, ["summarize"])
        self.assertEqual(self.c.directory.list(capability="none"), [])
        with self.assertRaises(agentmesh.BadRequest):
            self.c.directory.get("not-an-id")
        h = self.c.health()
        self.assertIn(h.status, ("ok", "degraded"))
        self.assertIn("store", h.components)
        self.assertTrue(self.c.node()["peer_id"].startswith("12D3KooW"))
        self.assertEqual(self.c.peers.list(), [])
        self.assertIn("agentmesh_agents 1", self.c.metrics())
        self.assertIn("outbox", self.c.diagnostics("direct"))
        a2a = self.c.diagnostics("a2a")
        self.assertFalse(a2a["enabled"])
        self.assertEqual(a2a["outbound"]["tasks"], 0)
        with self.assertRaises(agentmesh.NotFound):
            self.c.diagnostics("nothing")

    def test_a2a_tokens(self) -> None:
        self.c.agents.create("alice")
        t = self.c.a2a_tokens.create("alice", label="acme", expires_in_s=3600)
        self.assertTrue(t["token"].startswith("amt_"))
        self.assertEqual([x["label"] for x in self.c.a2a_tokens.list("alice")], ["acme"])
        self.assertEqual(self.c.a2a_tokens.revoke("alice", t["token_id"])["revoked"], True)
        self.assertEqual(self.c.a2a_tokens.list("alice"), [])

    def test_finding_the_daemon(self) -> None:
        port = self.c._transport.locator.address()[1]
        token = (self.d.data_dir / "api-token").read_text().strip()
        with environment({"AGENTMESH_API": f"127.0.0.1:{port}", "AGENTMESH_TOKEN": token}):
            self.assertEqual(agentmesh.Client().agents.list(), [])
        self.assertEqual(agentmesh.Client(api=f"127.0.0.1:{port}", token=token).agents.list(), [])
        empty = self.tmp / "nothing-here"
        with self.assertRaises(agentmesh.DaemonUnavailable) as e:
            agentmesh.Client(data_dir=str(empty)).agents.list()
        self.assertIn(str(empty), e.exception.message)
        self.assertTrue(e.exception.retryable)

    def test_the_daemon_going_away_is_a_clear_error_and_the_client_recovers(self) -> None:
        self.c.agents.create("alice")
        self.d.stop()
        with self.assertRaises(agentmesh.DaemonUnavailable):
            self.c.agents.list()
        self.d.start()
        self.assertEqual([a.name for a in self.c.agents.list()], ["alice"])


class SpawnTest(DaemonTest):
    def test_spawn_starts_a_daemon_for_a_named_instance(self) -> None:
        with environment({"XDG_DATA_HOME": str(self.tmp), "AGENTMESH_LISTEN": "/ip4/127.0.0.1/tcp/0",
                          "AGENTMESH_BINARY": binary()}):
            c = agentmesh.Client(name="spawned", spawn=True)
            self.assertIsNotNone(c.spawned)
            self.addCleanup(lambda: (c.spawned.kill(), c.spawned.wait()))
            self.assertEqual(Path(c.data_dir), self.tmp / "agentmesh-spawned")
            self.assertIn(c.health().status, ("ok", "degraded"))
            c.agents.create("a")
            # A second client finds the running daemon and starts nothing.
            again = agentmesh.Client(name="spawned", spawn=True)
            self.assertIsNone(again.spawned)
            self.assertEqual([a.name for a in again.agents.list()], ["a"])
            self.assertTrue((self.tmp / "agentmesh-spawned" / "daemon.log").exists())


class PackageTest(unittest.TestCase):
    def test_the_sources_are_python_3_9(self) -> None:
        import ast

        root = Path(__file__).resolve().parents[1]
        for path in [*(root / "agentmesh").glob("*.py"), root / "_build" / "agentmesh_build.py"]:
            ast.parse(path.read_text(), str(path), feature_version=(3, 9))

    def test_pip_installs_it_without_an_index(self) -> None:
        import tempfile

        root = Path(__file__).resolve().parents[1]
        with tempfile.TemporaryDirectory(prefix="agentmesh-venv-") as venv:
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            py = str(Path(venv) / "bin" / "python")
            subprocess.run([py, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", "-q",
                            str(root)], check=True)
            out = subprocess.run([py, "-c", "import agentmesh, pathlib; print(agentmesh.__version__);"
                                  "print(pathlib.Path(agentmesh.__file__).parent.parent)"],
                                 check=True, capture_output=True, text=True, cwd=venv).stdout.split()
            self.assertEqual(out[0], "0.1.0")
            self.assertIn("site-packages", out[1])


if __name__ == "__main__":
    unittest.main()
