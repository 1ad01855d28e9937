"""The history checker on hand-made histories: a clean one passes; a lost, a duplicated and a phantom message,
and every other anomaly, are each caught and named."""

import copy
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from netsim.checker import check  # noqa: E402


def send(req, frm, to, kind="ok", rid=None, invoke=1000.0):
    return {"op": "send", "req": req, "host": "h", "from": frm, "to": to, "invoke_ms": invoke,
            "complete_ms": invoke + 5, "type": kind, "http": 202, "request_id": rid or f"r{req}",
            "result": {"state": "queued"}}


def msg(req, frm, to, seq, received=1050.0, body=None):
    return {"seq": seq, "request_id": f"r{req}", "from": frm, "to": to, "received_ms": received,
            "body": body if body is not None else json.dumps({"req": req})}


BASE_HISTORY = [send("1", "A", "B"), send("2", "B", "A"), send("3", "A", "C", kind="info"),
                send("4", "C", "A", kind="fail")]
BASE_STATE = {
    "inboxes": {"A": [msg("2", "B", "A", 1)], "B": [msg("1", "A", "B", 1)], "C": []},
    "receipts": {"r1": {"state": "accepted", "seq": 1}, "r2": {"state": "accepted", "seq": 1}},
}


class CheckerTest(unittest.TestCase):
    def run_check(self, history=None, state=None, **kw):
        return check(history if history is not None else BASE_HISTORY,
                     state if state is not None else BASE_STATE, **kw)

    def test_clean_history_passes(self):
        r = self.run_check()
        self.assertTrue(r.ok, r.anomalies)
        self.assertEqual(r.counts["ok"], 2)
        self.assertEqual(r.counts["delivered"], 2)
        self.assertEqual(sorted(r.delivery_ms), [50.0, 50.0])

    def test_indeterminate_send_may_arrive_once(self):
        state = copy.deepcopy(BASE_STATE)
        state["inboxes"]["C"].append(msg("3", "A", "C", 1))
        self.assertTrue(self.run_check(state=state).ok)

    def test_lost_message_is_caught(self):
        state = copy.deepcopy(BASE_STATE)
        state["inboxes"]["B"] = []
        del state["receipts"]["r1"]
        r = self.run_check(state=state)
        self.assertEqual(len(r.anomalies["lost"]), 1)
        self.assertTrue(r.anomalies["lost"][0].startswith("1 "), r.anomalies)
        self.assertFalse(r.ok)

    def test_duplicated_message_is_caught(self):
        state = copy.deepcopy(BASE_STATE)
        state["inboxes"]["B"].append(msg("1", "A", "B", 2))
        r = self.run_check(state=state)
        self.assertEqual(r.anomalies.get("duplicated"), ["1 (2 copies in B)"])

    def test_duplicated_indeterminate_send_is_caught(self):
        state = copy.deepcopy(BASE_STATE)
        state["inboxes"]["C"] += [msg("3", "A", "C", 1), msg("3", "A", "C", 2)]
        self.assertIn("duplicated", self.run_check(state=state).anomalies)

    def test_phantom_message_is_caught(self):
        state = copy.deepcopy(BASE_STATE)
        state["inboxes"]["C"].append(msg("99", "A", "C", 1))
        r = self.run_check(state=state)
        self.assertEqual(len(r.anomalies["phantom"]), 1)
        self.assertIn("99", r.anomalies["phantom"][0])

    def test_message_without_a_req_is_phantom(self):
        state = copy.deepcopy(BASE_STATE)
        state["inboxes"]["C"].append(msg("x", "A", "C", 1, body="hello"))
        self.assertIn("phantom", self.run_check(state=state).anomalies)

    def test_misdelivered_message_is_phantom(self):
        state = copy.deepcopy(BASE_STATE)
        state["inboxes"]["C"].append(msg("1", "A", "C", 1))  # sent to B
        self.assertIn("phantom", self.run_check(state=state).anomalies)

    def test_failed_send_delivered_is_caught(self):
        state = copy.deepcopy(BASE_STATE)
        state["inboxes"]["A"].append(msg("4", "C", "A", 2))
        self.assertEqual(self.run_check(state=state).anomalies.get("failed_delivered"), ["4"])

    def test_receipt_disagreeing_with_inbox_is_caught(self):
        state = copy.deepcopy(BASE_STATE)
        state["receipts"]["r1"] = {"state": "accepted", "seq": 7}
        self.assertIn("receipt_disagrees", self.run_check(state=state).anomalies)
        state["receipts"]["r1"] = {"state": "expired"}
        self.assertIn("receipt_disagrees", self.run_check(state=state).anomalies)

    def test_topic_duplicates_and_phantoms_are_caught(self):
        history = [{"op": "publish", "req": "p1", "host": "h", "from": "A", "topic": "t", "invoke_ms": 1000.0,
                    "complete_ms": 1001.0, "type": "ok"},
                   {"op": "publish", "req": "p2", "host": "h", "from": "A", "topic": "t", "invoke_ms": 1000.0,
                    "complete_ms": 1001.0, "type": "ok"}]

        def tmsg(pub, frm="A"):
            return {"protocol": "agentmesh/topic", "from": frm, "request_id": "x", "received_ms": 1100.0,
                    "body": json.dumps({"pub": pub})}

        state = {"inboxes": {"B": [tmsg("p1"), tmsg("p1"), tmsg("p9")], "C": [tmsg("p1"), tmsg("p2")]},
                 "subscribers": {"t": ["B", "C"]}}
        r = check(history, state)
        self.assertEqual(r.anomalies.get("topic_duplicated"), ["B: pub p1"])
        self.assertEqual(len(r.anomalies.get("topic_phantom", [])), 1)
        self.assertEqual(r.topic_ratio, {"B": 0.5, "C": 1.0})
        self.assertNotIn("topic_lost", r.anomalies)
        r = check(history, state, require_topic_delivery=True)
        self.assertEqual(r.anomalies.get("topic_lost"), ["B: pub p2"])


def create(req, frm="A", to="B", kind="ok"):
    return {"op": "task_create", "req": req, "host": "h", "from": frm, "to": to, "invoke_ms": 1000.0,
            "complete_ms": 1005.0, "type": kind, "task_id": f"T{req}" if kind == "ok" else None}


def task(req, frm="A", to="B", state="completed", seq=3, chunks=1, parts=None):
    t = {"task_id": f"T{req}", "requester": frm, "assignee": to, "state": state, "state_sequence": seq,
         "input": [{"kind": "data", "data": {"req": req}}], "artifacts": []}
    if state == "completed":
        t["artifacts"] = [{"name": "result", "chunks": chunks, "complete": True,
                           "parts": parts if parts is not None else [{"kind": "data", "data": {"req": req}}]}]
    return t


def step(req, seq, inbox_seq):
    return {"seq": inbox_seq, "protocol": "agentmesh.task/1", "from": "A", "received_ms": 1100.0,
            "body": "{}", "task_event": {"task_id": f"T{req}", "state_sequence": seq}}


def task_state():
    return {"inboxes": {"A": [step("t1", s, s) for s in (1, 2, 3)], "B": [step("t1", s, s) for s in (1, 2, 3)]},
            "tasks": {"A": [task("t1")], "B": [task("t1")]}}


class TaskCheckerTest(unittest.TestCase):
    """Tasks: both daemons' copies and each party's inbox, against the creates of the history."""

    def test_clean_tasks_pass(self):
        r = check([create("t1")], task_state())
        self.assertTrue(r.ok, r.anomalies)
        self.assertEqual((r.counts["tasks"], r.counts["tasks_ok"], r.counts["tasks_completed"]), (1, 1, 1))

    def test_a_task_missing_on_one_daemon_is_lost(self):
        for agent in ("A", "B"):
            state = task_state()
            state["tasks"][agent] = []
            r = check([create("t1")], state)
            self.assertEqual(len(r.anomalies.get("task_lost", [])), 1, agent)
            self.assertTrue(r.anomalies["task_lost"][0].startswith("t1 A -> B"), r.anomalies)

    def test_an_indeterminate_create_may_be_nowhere_but_not_half_way(self):
        state = {"inboxes": {"A": [], "B": []}, "tasks": {"A": [], "B": []}}
        self.assertTrue(check([create("t1", kind="info")], state).ok)
        state = task_state()
        self.assertTrue(check([create("t1", kind="info")], state).ok)
        state["tasks"]["B"] = []
        self.assertIn("task_lost", check([create("t1", kind="info")], state).anomalies)

    def test_copies_that_disagree_or_never_end_are_caught(self):
        state = task_state()
        state["tasks"]["B"] = [task("t1", state="working", seq=2)]
        r = check([create("t1")], state)
        self.assertEqual(r.anomalies.get("task_diverged"),
                         ["Tt1: requester's daemon completed #3, assignee's working #2"])
        state = task_state()
        state["tasks"] = {"A": [task("t1", state="working", seq=2)], "B": [task("t1", state="working", seq=2)]}
        state["inboxes"] = {"A": [step("t1", 1, 1), step("t1", 2, 2)], "B": []}
        self.assertIn("task_diverged", check([create("t1")], state).anomalies)

    def test_a_step_twice_in_an_inbox_is_caught(self):
        state = task_state()
        state["inboxes"]["B"].append(step("t1", 2, 4))
        self.assertEqual(check([create("t1")], state).anomalies.get("task_step_duplicated"),
                         ["Tt1: steps [2] twice in B's inbox"])

    def test_a_step_missing_from_the_requesters_inbox_is_caught(self):
        state = task_state()
        del state["inboxes"]["A"][1]
        self.assertEqual(check([create("t1")], state).anomalies.get("task_step_missing"),
                         ["Tt1: steps [2] of 1..3 not in the requester's inbox"])

    def test_phantom_tasks_are_caught(self):
        state = task_state()
        state["tasks"]["B"].append(task("t9"))  # no create made it
        state["tasks"]["A"][0]["assignee"] = "C"  # not the create's assignee
        state["inboxes"]["A"].append(step("t8", 1, 4))  # steps of a task nobody holds
        r = check([create("t1")], state)
        self.assertEqual(len(r.anomalies.get("task_phantom", [])), 3, r.anomalies)
        state = task_state()
        state["tasks"]["B"].append(dict(task("t1"), task_id="Tother"))  # a second task for one create
        self.assertIn("task_phantom", check([create("t1")], state).anomalies)

    def test_a_failed_create_that_exists_is_caught(self):
        r = check([create("t1", kind="fail")], task_state())
        self.assertEqual(r.anomalies.get("task_failed_exists"), ["t1 (Tt1)"])

    def test_an_artifact_chunk_twice_or_missing_is_caught(self):
        twice = [{"kind": "data", "data": {"req": "t1"}}] * 2
        for kwargs in ({"chunks": 2, "parts": twice}, {"parts": []}, {"parts": [{"kind": "data", "data": {}}]}):
            state = task_state()
            state["tasks"]["B"] = [task("t1", **kwargs)]
            r = check([create("t1")], state)
            self.assertEqual(len(r.anomalies.get("task_artifact", [])), 1, kwargs)
            self.assertIn("assignee's daemon", r.anomalies["task_artifact"][0])


if __name__ == "__main__":
    unittest.main()
