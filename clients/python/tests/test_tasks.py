"""Tasks for both roles, and the client across two daemons and daemon restarts."""

from __future__ import annotations

import threading

from harness import DaemonTest, eventually  # first: it puts the package under test on the path

import agentmesh


class TaskTest(DaemonTest):
    def setUp(self) -> None:
        super().setUp()
        self.c = self.daemon().client()
        self.addCleanup(self.c.close)
        self.alice = self.c.agents.create("alice")
        self.bob = self.c.agents.create("bob", capabilities=["translate"])

    def test_lifecycle_for_both_roles(self) -> None:
        task = self.alice.create_task("bonjour", capability="translate", idempotency_key="t1",
                                      metadata={"lang": "en"})
        self.assertEqual((task.state, task.requester, task.capability), ("submitted", self.alice.agent_id,
                                                                         "translate"))
        again = self.c.tasks.create("alice", "bonjour", capability="translate", idempotency_key="t1",
                                    metadata={"lang": "en"})
        self.assertEqual((again.task_id, again.duplicate), (task.task_id, True))
        offers = self.bob.assigned_tasks(timeout=10)
        offered = next(offers)
        self.assertEqual((offered.task_id, offered.input), (task.task_id, [agentmesh.text("bonjour")]))
        working = offered.accept(request_id="acc-1")
        self.assertEqual(working.state, "working")
        self.assertTrue(offered.accept(request_id="acc-1").duplicate)
        working.progress("halfway", percent=50, artifacts=[agentmesh.artifact("translation", "hel", 0, last=False)])
        done = working.complete(artifacts=[agentmesh.artifact("translation", "lo", 1)])
        self.assertEqual(done.state, "completed")
        finished = task.wait(timeout=10)
        self.assertEqual((finished.state, finished.artifact_text()), ("completed", "hello"))
        self.assertEqual(finished.messages[0]["percent"], 50)
        kinds = [e.kind for e in task.events(timeout=10)]
        self.assertEqual(kinds, ["created", "accepted", "progress", "completed"])
        self.assertEqual([t.task_id for t in self.c.tasks.list("alice", role="requester")], [task.task_id])
        self.assertEqual([t.task_id for t in self.c.tasks.iterate("bob", state="completed")], [task.task_id])
        # The steps are in both inboxes, as task events.
        steps = [m.task_event["kind"] for m in self.c.inbox.list("bob").messages if m.task_event]
        self.assertIn("completed", steps)
        with self.assertRaises(agentmesh.Conflict) as e:
            done.fail(reason="too late")
        self.assertEqual(e.exception.code, "invalid_transition")
        with self.assertRaises(agentmesh.Forbidden) as e:
            self.c.tasks.act("alice", task.task_id, "complete")
        self.assertEqual(e.exception.code, "not_participant")
        with self.assertRaises(agentmesh.NotFound) as e:
            self.c.tasks.get("alice", "0" * 32)
        self.assertEqual(e.exception.code, "unknown_task")
        offers.close()

    def test_input_required_answer_and_create_wait(self) -> None:
        def worker() -> None:
            for t in self.bob.assigned_tasks(timeout=10):
                t = t.accept()
                t.input_required("which language?")
                t = self.c.tasks.wait("bob", t.task_id, timeout=10, until=["working"])
                answer = t.messages[-1]["parts"][0]["text"]
                t.complete(artifacts=[{"name": "out", "parts": f"in {answer}"}])
                return

        w = threading.Thread(target=worker)
        w.start()
        task = self.c.tasks.create("alice", {"text": "bonjour"}, to="bob")
        asked = task.wait(timeout=10, until=["input_required"])
        self.assertEqual(asked.messages[-1]["parts"], [agentmesh.text("which language?")])
        asked.answer("english")
        w.join(20)
        self.assertFalse(w.is_alive())
        self.assertEqual(task.wait(timeout=10).artifact_text(), "in english")
        # create(wait=...) returns the task once it ends; a task nobody takes is still open after the wait.
        open_task = self.c.tasks.create("alice", "x", to="bob", wait=0.3)
        self.assertEqual(open_task.state, "submitted")
        canceled = open_task.cancel(reason="changed my mind")
        self.assertEqual((canceled.state, canceled.reason), ("canceled", "changed my mind"))
        with self.assertRaises(agentmesh.Timeout):
            self.c.tasks.create("alice", "y", to="bob").wait(timeout=0.3)

    def test_reject_and_no_candidate(self) -> None:
        task = self.c.tasks.create("alice", "x", to="bob", acceptance_timeout_ms=60000)
        rejected = self.c.tasks.get("bob", task.task_id).reject(reason="busy")
        self.assertEqual((rejected.state, rejected.reason), ("rejected", "busy"))  # a named assignee: no other
        with self.assertRaises(agentmesh.NotFound) as e:
            self.c.tasks.create("alice", "x", capability="nobody-has-this")
        self.assertEqual(e.exception.code, "no_candidate")
        with self.assertRaises(agentmesh.BadRequest):
            self.c.tasks.create("alice", "x")


NEVER_CONNECTED_PEER = "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"


class MeshTest(DaemonTest):
    def test_messages_and_tasks_between_daemons(self) -> None:
        a, b = self.linked()
        ca, cb = a.client(), b.client()
        self.addCleanup(ca.close)
        self.addCleanup(cb.close)
        alice = ca.agents.create("alice")
        bob = cb.agents.create("bob", capabilities=["translate"])
        eventually(lambda: ca.directory.list(capability="translate", online=True), 20, "bob's advert at a")
        self.assertEqual(ca.directory.get(bob.agent_id).presence, "online")
        r = alice.send(to=bob.agent_id, body="across", wait_for_ack=True, timeout_ms=10000)
        self.assertEqual((r.state, r.seq), ("accepted", 1))
        self.assertEqual(ca.message_status("alice", r.request_id).state, "accepted")
        self.assertEqual(cb.inbox.list("bob").messages[0].body, "across")
        task = alice.create_task("bonjour", capability="translate")
        worker = cb.agent("bob")
        for t in worker.assigned_tasks(timeout=20):
            t.accept().complete(artifacts=[agentmesh.artifact("out", "hello")])
            break
        self.assertEqual(task.wait(timeout=20).artifact_text(), "hello")

    def test_peers(self) -> None:
        a, b = self.linked()
        ca = a.client()
        self.addCleanup(ca.close)
        peer = ca.peers.list()[0]
        with b.client() as cb:
            b_node = cb.node()
        self.assertEqual(peer["peer_id"], b_node["peer_id"])
        self.assertEqual(ca.peers.disconnect(peer["peer_id"])["disconnected"], True)
        # b was bootstrapped from a and may dial it again at once, so "not connected" is shown with a peer
        # that never was.
        with self.assertRaises(agentmesh.NotFound) as e:
            ca.peers.disconnect(NEVER_CONNECTED_PEER)
        self.assertEqual(e.exception.code, "unknown_peer")
        self.assertEqual(ca.peers.connect(b_node["listen_addrs"][0]), {"peer_id": peer["peer_id"], "connected": True})
        with self.assertRaises(agentmesh.BadRequest) as e:
            ca.peers.connect("not-a-multiaddr")
        self.assertEqual(e.exception.code, "invalid_multiaddr")

    def test_expired_message_becomes_a_dead_letter_and_retries(self) -> None:
        a, b = self.linked()
        ca, cb = a.client(), b.client()
        self.addCleanup(ca.close)
        self.addCleanup(cb.close)
        ca.agents.create("alice")
        bob = cb.agents.create("bob")
        eventually(lambda: [e for e in ca.directory.list() if e.agent_id == bob.agent_id], 20, "bob's advert at a")
        b.stop()
        r = ca.send("alice", to=bob.agent_id, body="late", ttl_ms=500)
        self.assertIn(r.state, ("queued", "sending"))
        letter = eventually(lambda: ca.dead_letters.list(), 20, "the dead letter")[0]
        self.assertEqual((letter.body, letter.to), ("late", bob.agent_id))
        self.assertIn("dial_failed", letter.reason)  # an expired message's reason is its last error
        self.assertEqual(ca.message_status("alice", r.request_id).state, "expired")
        b.start()
        self.assertEqual(ca.dead_letters.retry(letter.id).state, "queued")
        eventually(lambda: ca.message_status("alice", r.request_id).state == "accepted", 30, "the retried message")
        self.assertEqual(cb.inbox.list("bob").messages[0].body, "late")

    def test_inbox_stream_resumes_after_the_daemon_restarts(self) -> None:
        d = self.daemon()
        c = d.client()
        self.addCleanup(c.close)
        c.agents.create("alice")
        c.agents.create("bob")
        c.send("alice", to="bob", body="before")
        stream = c.inbox.stream("bob", timeout=30)
        self.assertEqual(next(stream).body, "before")
        d.stop()  # the stream gets event: shutdown; the daemon comes back on another port
        d.start()
        c.send("alice", to="bob", body="after-1")
        c.send("alice", to="bob", body="after-2")
        self.assertEqual([next(stream).body, next(stream).body], ["after-1", "after-2"])
        self.assertGreaterEqual(stream.events.reconnects, 1)
        stream.close()
