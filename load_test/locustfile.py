"""Load test for the dcache public API (through nginx or against one master).

Run it with load_test/loadTest.sh, which picks the defaults, writes the reports and turns the
failure ratio into an exit code. Plain locust works too:

    locust -f load_test/locustfile.py --headless -H http://127.0.0.1:8080 -u 20 -r 5 -t 30s
    locust -f load_test/locustfile.py ... ReadHeavyUser HotKeyUser   # only some user classes

Every user checks what it reads, not just the status code: it keeps a dict of key -> last value
it wrote, under a key prefix no other user shares, and a read that returns another value (or a
404 for a key it wrote and that has not expired) is recorded as a failure with
response.failure(...). A write that failed may or may not have been applied, so its key is
dropped from the dict until the next successful write makes its value certain again.

User classes (weights in brackets, the share of users of each class when all run):
    ReadHeavyUser  [4]  90% GET of its own keys, 10% POST
    WriteHeavyUser [2]  80% POST, 20% GET
    BulkUser       [1]  POST /data/bulk of 50 keys, then POST /data/bulk/get of 50 written keys
    HotKeyUser     [2]  GET of one key shared by every hot-key user (a hot spot on one replica set)
    TtlUser        [1]  POST with a ttl; GET before expiry expects the value, after expiry a 404

Written for Debian's python3-locust 2.12 (HttpUser, task, between, events, catch_response).
Settings come from the environment (loadTest.sh documents them): VALUE_BYTES, KEYS_PER_USER,
TTL_SECONDS, WAIT_MIN, WAIT_MAX, RUN_ID; the failure threshold is --max-fail-ratio.
"""

import json
import logging
import os
import random
import re
import string
import time
import uuid
from urllib.parse import quote

import gevent
import locust.stats
from locust import HttpUser, between, events, task

VALUE_BYTES = int(os.environ.get("VALUE_BYTES", "100"))
KEYS_PER_USER = int(os.environ.get("KEYS_PER_USER", "200"))
TTL_SECONDS = int(os.environ.get("TTL_SECONDS", "5"))
WAIT_MIN = float(os.environ.get("WAIT_MIN", "0.05"))
WAIT_MAX = float(os.environ.get("WAIT_MAX", "0.2"))
BULK_SIZE = 50
# A TTL key is read as "live" until this long before its expiry and as "expired" from this long
# after it: the master stamps expiry with its own clock when it receives the write, which is a
# little later than the moment this user sent it and a little earlier than when the answer came.
TTL_MARGIN_SECONDS = 1.0

# One id per run keeps keys of different runs apart, so a rerun against the same cluster never
# reads a value an earlier run left behind.
RUN_ID = os.environ.get("RUN_ID") or uuid.uuid4().hex[:8]
HOT_KEY = f"lt-{RUN_ID}-hot"
HOT_VALUE = f"hot-value-{RUN_ID}"

# locust 2.12 rewrites <prefix>_stats.csv every CSV_STATS_INTERVAL_SEC (2 s) and never once more at
# the end, so the file can miss the last seconds; write often and wait one interval when quitting.
locust.stats.CSV_STATS_INTERVAL_SEC = 0.5
locust.stats.CSV_STATS_FLUSH_INTERVAL_SEC = 0.5

JSON_HEADERS = {"Content-Type": "application/json"}
log = logging.getLogger("dcache-load")


@events.init_command_line_parser.add_listener
def _add_arguments(parser):
    parser.add_argument(
        "--max-fail-ratio",
        type=float,
        env_var="MAX_FAIL_RATIO",
        default=0.01,
        help="exit with code 1 when failures / requests exceeds this (default 0.01)",
    )


@events.quitting.add_listener
def _exit_code_from_fail_ratio(environment, **_kwargs):
    """Turns the failure ratio into the process exit code (locust's own rule is 'any failure')."""
    if environment.parsed_options.csv_prefix:
        gevent.sleep(1.0)  # lets the CSV writer record the final figures, see CSV_STATS_INTERVAL_SEC
    total = environment.stats.total
    limit = environment.parsed_options.max_fail_ratio
    ratio = total.fail_ratio
    verdict = "PASS" if ratio <= limit else "FAIL"
    log.info(
        "%s: %d requests, %d failures, failure ratio %.4f (limit %.4f)",
        verdict, total.num_requests, total.num_failures, ratio, limit,
    )
    if total.num_requests == 0:
        log.error("FAIL: no request was made")
        environment.process_exit_code = 1
    else:
        environment.process_exit_code = 0 if ratio <= limit else 1


def random_value(tag):
    """A value of VALUE_BYTES ASCII characters that starts with tag, so a mix-up is readable."""
    filler = "".join(random.choices(string.ascii_letters + string.digits, k=max(0, VALUE_BYTES - len(tag) - 1)))
    return f"{tag}:{filler}"[:max(VALUE_BYTES, len(tag))]


VALUE_TAG = re.compile(r"^(lt-\w+-\w+-)(\d+)#(\d+):")


def wrong_value(expected, got):
    """A failure message that groups well in locust's report: what kind of wrong value came back.
    Values start with "<user prefix><key index>#<write counter>:", see random_value."""
    if got is None:
        return "wrong value: null"
    e, g = VALUE_TAG.match(expected or ""), VALUE_TAG.match(got)
    if e and g:
        if e.group(1) != g.group(1):
            return "wrong value: another user's value"
        if e.group(2) != g.group(2):
            return "wrong value: the value of another of this user's keys"
        if int(g.group(3)) < int(e.group(3)):
            return "wrong value: an older write of this key (lost update)"
    return "wrong value: not one this user wrote"


def key_path(key):
    return "/data/" + quote(key, safe="")


def short(text, limit=80):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."


def body_of(response):
    """The response's JSON body, or None when it has none (connection errors have status 0)."""
    try:
        return response.json()
    except (ValueError, TypeError):
        return None


class DcacheUser(HttpUser):
    """Shared plumbing: a private key space and verified reads and writes."""

    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self):
        self.prefix = f"lt-{RUN_ID}-{uuid.uuid4().hex[:10]}-"
        # key -> last value this user wrote successfully; only these keys are read and checked
        self.written = {}
        self.counter = 0

    def own_key(self, i):
        # every eighth key carries characters that must be percent-encoded in the path
        return f"{self.prefix}k{i}" if i % 8 else f"{self.prefix}k{i}/ü %?#"

    def put(self, key, value, ttl=None, name="/data"):
        """Writes one key; on success records its value. Returns True on success."""
        item = {"key": key, "value": value}
        if ttl is not None:
            item["ttl"] = ttl
        # until the answer says otherwise the value is uncertain
        self.written.pop(key, None)
        with self.client.post("/data", data=json.dumps(item), headers=JSON_HEADERS, name=name,
                              catch_response=True) as r:
            body = body_of(r)
            if r.status_code != 200:
                r.failure(f"status {r.status_code}: {short(r.text)}")
                return False
            if not isinstance(body, dict) or body.get("key") != key or not isinstance(body.get("version"), int):
                r.failure(f"malformed write reply: {short(r.text)}")
                return False
            if body.get("replicas", 0) < 1:
                r.failure(f"write acknowledged by {body.get('replicas')} replicas")
                return False
            r.success()
        self.written[key] = value
        return True

    def get_and_check(self, key, expected, name="/data/[key]"):
        """Reads one key and fails the request unless it holds expected."""
        with self.client.get(key_path(key), name=name, catch_response=True) as r:
            body = body_of(r)
            if r.status_code == 404:
                r.failure("404 for a key this user wrote (lost write or evicted)")
            elif r.status_code != 200:
                r.failure(f"status {r.status_code}: {short(r.text)}")
            elif not isinstance(body, dict) or body.get("key") != key:
                r.failure(f"malformed read reply: {short(r.text)}")
            elif body.get("value") != expected:
                r.failure(wrong_value(expected, body.get("value")))
            else:
                r.success()

    def read_own(self):
        if not self.written:
            self.write_own()
            return
        key = random.choice(list(self.written))
        self.get_and_check(key, self.written[key])

    def write_own(self):
        i = random.randrange(KEYS_PER_USER)
        self.counter += 1
        self.put(self.own_key(i), random_value(f"{self.prefix}{i}#{self.counter}"))

    def seed(self, n):
        for i in range(n):
            self.counter += 1
            self.put(self.own_key(i), random_value(f"{self.prefix}{i}#{self.counter}"))


class ReadHeavyUser(DcacheUser):
    """90% reads of keys it wrote, 10% writes."""

    weight = 4

    def on_start(self):
        super().on_start()
        self.seed(20)

    @task(9)
    def read(self):
        self.read_own()

    @task(1)
    def write(self):
        self.write_own()


class WriteHeavyUser(DcacheUser):
    """80% writes, 20% reads of keys it wrote."""

    weight = 2

    @task(8)
    def write(self):
        self.write_own()

    @task(2)
    def read(self):
        self.read_own()


class BulkUser(DcacheUser):
    """Bulk writes of 50 keys, then a bulk read of 50 keys it wrote, checked value by value."""

    weight = 1

    @task
    def bulk_put_then_get(self):
        batches = max(1, KEYS_PER_USER // BULK_SIZE)
        start = random.randrange(batches) * BULK_SIZE
        self.counter += 1
        items = [{"key": self.own_key(start + j), "value": random_value(f"{self.prefix}{start + j}#{self.counter}")}
                 for j in range(BULK_SIZE)]
        for it in items:
            self.written.pop(it["key"], None)
        with self.client.post("/data/bulk", data=json.dumps(items), headers=JSON_HEADERS,
                              name="/data/bulk", catch_response=True) as r:
            body = body_of(r)
            if r.status_code != 200:
                r.failure(f"status {r.status_code}: {short(r.text)}")
            elif not isinstance(body, dict) or body.get("stored") != BULK_SIZE:
                r.failure(f"stored {short(r.text)} of {BULK_SIZE}")
            else:
                r.success()
                for it in items:
                    self.written[it["key"]] = it["value"]
        self.bulk_get_and_check()

    def bulk_get_and_check(self):
        if len(self.written) < BULK_SIZE:
            return
        keys = random.sample(list(self.written), BULK_SIZE)
        with self.client.post("/data/bulk/get", data=json.dumps(keys), headers=JSON_HEADERS,
                              name="/data/bulk/get", catch_response=True) as r:
            body = body_of(r)
            if r.status_code != 200:
                r.failure(f"status {r.status_code}: {short(r.text)}")
                return
            if not isinstance(body, dict) or not isinstance(body.get("values"), dict):
                r.failure(f"malformed bulk read reply: {short(r.text)}")
                return
            values = body["values"]
            missing = [k for k in keys if k not in values]
            wrong = [k for k in keys if k in values and values[k] != self.written[k]]
            if missing:
                r.failure("written keys missing from a bulk read (lost write or evicted)")
            elif wrong:
                r.failure(f"bulk read: {wrong_value(self.written[wrong[0]], values[wrong[0]])}")
            else:
                r.success()


class HotKeyUser(DcacheUser):
    """Every hot-key user reads one shared key. They all write the same value to it at start,
    so whichever write wins, the expected value is known."""

    weight = 2

    def on_start(self):
        super().on_start()
        self.put(HOT_KEY, HOT_VALUE, name="/data [hot key]")

    @task
    def read_hot(self):
        self.get_and_check(HOT_KEY, HOT_VALUE, name="/data/[hot key]")


class TtlUser(DcacheUser):
    """Writes keys with a TTL; reads them while they must still be live (expects the value and a
    ttl field within range) and after they must have expired (expects a 404)."""

    weight = 1

    def on_start(self):
        super().on_start()
        self.deadlines = {}  # key -> monotonic time the write was sent; expiry is after + TTL

    @task(2)
    def write_ttl(self):
        i = random.randrange(KEYS_PER_USER)
        key = self.own_key(i)
        self.counter += 1
        sent = time.monotonic()
        self.deadlines.pop(key, None)
        if self.put(key, random_value(f"{self.prefix}{i}#{self.counter}"), ttl=TTL_SECONDS, name="/data [ttl]"):
            self.deadlines[key] = sent

    @task(6)
    def read_live(self):
        now = time.monotonic()
        live = [k for k, sent in self.deadlines.items() if now < sent + TTL_SECONDS - TTL_MARGIN_SECONDS]
        if not live:
            return
        key = random.choice(live)
        with self.client.get(key_path(key), name="/data/[ttl live]", catch_response=True) as r:
            body = body_of(r)
            if r.status_code == 404:
                r.failure("404 before the ttl ran out")
            elif r.status_code != 200:
                r.failure(f"status {r.status_code}: {short(r.text)}")
            elif not isinstance(body, dict) or body.get("key") != key:
                r.failure(f"malformed read reply: {short(r.text)}")
            elif body.get("value") != self.written.get(key):
                r.failure(wrong_value(self.written.get(key), body.get("value")))
            elif not isinstance(body.get("ttl"), int) or not 1 <= body["ttl"] <= TTL_SECONDS:
                r.failure(f"ttl field {body.get('ttl')!r} outside [1, {TTL_SECONDS}]")
            else:
                r.success()

    @task(1)
    def read_expired(self):
        now = time.monotonic()
        expired = [k for k, sent in self.deadlines.items() if now > sent + TTL_SECONDS + TTL_MARGIN_SECONDS]
        if not expired:
            return
        key = random.choice(expired)
        # checked once: forget it so the next expired read picks another key
        del self.deadlines[key]
        self.written.pop(key, None)
        with self.client.get(key_path(key), name="/data/[ttl expired]", catch_response=True) as r:
            if r.status_code == 404:
                r.success()
            elif r.status_code == 200:
                r.failure("expired key still readable")
            else:
                r.failure(f"status {r.status_code}: {short(r.text)}")
