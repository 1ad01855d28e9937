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


if __name__ == "__main__":
    unittest.main()
