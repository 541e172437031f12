"""Load test for the dcache public API (through nginx or against one master).

Run it with load_test/loadTest.sh, which picks the defaults, writes the reports and turns the
failure ratio into an exit code. Plain locust works too:

    locust -f load_test/locustfile.py --headless -H http://127.0.0.1:8080 -u 20 -r 5 -t 30s
    locust -f load_test/locustfile.py ReadHeavyUser HotKeyUser ...     # only some user classes
    locust -f load_test/locustfile.py ... --tags read hot              # only some workloads
    locust -f load_test/locustfile.py ... --exclude-tags values ttl    # all but some workloads

Name the user classes before the options (or end the options with --): --tags and
--exclude-tags take every word that follows them, class names included.

Every user checks what it reads, not just the status code: it keeps a dict of key -> last value
it wrote, under a key prefix no other user shares, and a read that returns another value (or a
404 for a key it wrote and that has not expired) is recorded as a failure with
response.failure(...). A write that failed may or may not have been applied, so its key is
dropped from the dict until the next successful write makes its value certain again.

User classes (weights in brackets, the share of users of each class when all run):
    ReadHeavyUser   [4]  90% GET of its own keys, 10% POST
    WriteHeavyUser  [2]  80% POST, 20% GET
    BulkUser        [1]  POST /data/bulk of 50 keys, then POST /data/bulk/get of 50 written keys
    HotKeyUser      [2]  GET of one key shared by every hot-key user (a hot spot on one replica set)
    TtlUser         [1]  POST with a ttl; GET before expiry expects the value, after expiry a 404
    ValueShapesUser [1]  every value shape of docs/api.md: JSON numbers (all digits kept),
                         booleans, objects (member order kept), arrays and strings by POST and
                         bulk, read back as the same JSON value; raw bytes by PUT (binary
                         application/octet-stream, UTF-8 text/plain) read back raw by Accept and
                         as the envelope; version and ETag of every answer; If-None-Match -> 304;
                         HEAD

Tags (--tags / --exclude-tags; every task has one workload tag, the values tasks also an aspect
tag). A user class left without tasks by the selection is not started at all:
    read         ReadHeavyUser and WriteHeavyUser: GET of an own key (the seed writes stay, and
                 a user with no key written yet writes one first)
    write        ReadHeavyUser and WriteHeavyUser: POST of an own key
    bulk         BulkUser
    hot          HotKeyUser
    ttl          TtlUser
    values       ValueShapesUser, all of it; its aspects:
      json         POST of JSON values and their reads (envelope, text/plain for a string)
      raw          PUT of raw bytes and their reads (Accept: the stored type, and the envelope)
      valuesbulk   POST /data/bulk of mixed JSON values, then /data/bulk/get of JSON and raw keys
      conditional  GET with If-None-Match of the known version -> 304
      head         HEAD -> the GET's status and headers, no body

All users are locust FastHttpUsers (geventhttpclient), written for Debian's python3-locust 2.12:
a response's status_code is 0 when no answer came (then .error says why and .text is None).
Settings come from the environment (loadTest.sh documents them): VALUE_BYTES, KEYS_PER_USER,
TTL_SECONDS, WAIT_MIN, WAIT_MAX, RUN_ID; the failure threshold is --max-fail-ratio.
"""

import base64
import json
import logging
import os
import random
import re
import string
import sys
import time
import uuid
from decimal import Decimal
from urllib.parse import quote

import gevent
import locust.stats
from locust import between, events, tag, task
from locust.contrib.fasthttp import FastHttpUser

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


@events.init.add_listener
def _drop_users_without_tasks(environment, **_kwargs):
    """Leaves out the user classes that --tags / --exclude-tags left without a task. locust 2.12
    would start them anyway: their on_start would still write, and then every wait would log
    "No tasks defined". Filtering now is what locust does when the test starts (it filters once)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its "had no tasks left ..., instantiating it will fail!" warnings
    try:
        environment._filter_tasks_by_tags()
    finally:
        root.setLevel(level)
    kept = [u for u in environment.user_classes if u.tasks]
    dropped = [u.__name__ for u in environment.user_classes if not u.tasks]
    if dropped:
        log.info("tags leave no task to %s: not started", ", ".join(dropped))
    if not kept:
        log.error("no user class has a task that the tags select (see the tag list in %s)", __file__)
        sys.exit(1)
    environment.user_classes[:] = kept


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


def unexpected(response):
    """The failure message for an unexpected status: the status and the start of the body, or,
    when no answer came (FastHttpUser's status 0), the connection error."""
    if not response.status_code:
        error = getattr(response, "error", None)
        return f"no answer: {type(error).__name__ if error else 'unknown error'}: {short(error)}"
    # the key in an error message would make every failure its own row in locust's report
    return f"status {response.status_code}: {short(OWN_KEY.sub('<key>', response.text or ''))}"


OWN_KEY = re.compile(r"lt-\w+-\w+-k[^\s\"]*")


class DcacheUser(FastHttpUser):
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
                r.failure(unexpected(r))
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
                r.failure(unexpected(r))
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

    @tag("read")
    @task(9)
    def read(self):
        self.read_own()

    @tag("write")
    @task(1)
    def write(self):
        self.write_own()


class WriteHeavyUser(DcacheUser):
    """80% writes, 20% reads of keys it wrote."""

    weight = 2

    @tag("write")
    @task(8)
    def write(self):
        self.write_own()

    @tag("read")
    @task(2)
    def read(self):
        self.read_own()


class BulkUser(DcacheUser):
    """Bulk writes of 50 keys, then a bulk read of 50 keys it wrote, checked value by value."""

    weight = 1

    @tag("bulk")
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
                r.failure(unexpected(r))
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
                r.failure(unexpected(r))
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

    @tag("hot")
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

    @tag("ttl")
    @task(2)
    def write_ttl(self):
        i = random.randrange(KEYS_PER_USER)
        key = self.own_key(i)
        self.counter += 1
        sent = time.monotonic()
        self.deadlines.pop(key, None)
        if self.put(key, random_value(f"{self.prefix}{i}#{self.counter}"), ttl=TTL_SECONDS, name="/data [ttl]"):
            self.deadlines[key] = sent

    @tag("ttl")
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
                r.failure(unexpected(r))
            elif not isinstance(body, dict) or body.get("key") != key:
                r.failure(f"malformed read reply: {short(r.text)}")
            elif body.get("value") != self.written.get(key):
                r.failure(wrong_value(self.written.get(key), body.get("value")))
            elif not isinstance(body.get("ttl"), int) or not 1 <= body["ttl"] <= TTL_SECONDS:
                r.failure(f"ttl field {body.get('ttl')!r} outside [1, {TTL_SECONDS}]")
            else:
                r.success()

    @tag("ttl")
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
                r.failure(unexpected(r))


# ---------------------------------------------------------------------------------------------
# Value shapes (docs/api.md "Values"): JSON values of every type, raw bytes, versions, ETag, 304,
# HEAD, Accept.

RAW_TTL_SECONDS = 3600  # long enough not to run out during a run: the TtlUser tests expiry
VALUES_BULK_SIZE = 10


def to_json(v):
    """Compact JSON text of v. Decimal numbers are written with their digits and exponent
    (Decimal("1.10") -> 1.10), ints of any size in full; object members in their dict order."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(to_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + to_json(x) for k, x in v.items()) + "}"
    raise TypeError(f"not a JSON value: {v!r}")


def parse_json(data):
    """JSON text (bytes or str) -> Python, fractions and exponents as Decimal so their digits
    can be compared; None when it is not JSON."""
    if data is None:
        return None
    try:
        return json.loads(bytes(data) if isinstance(data, bytearray) else data, parse_float=Decimal)
    except (ValueError, TypeError):
        return None


def json_difference(expected, got, where="value"):
    """None when got is the same JSON value as expected (same types, same digits of every number,
    same member order), else a short message that says what differs first, grouped for locust's
    failure report."""
    kind = json_kind(expected)
    if json_kind(got) != kind:
        return f"wrong JSON value: {where} is {json_kind(got)}, was written as {kind}"
    if kind == "number":
        if number_digits(expected) != number_digits(got):
            same = Decimal(expected) == Decimal(got)
            return f"wrong JSON value: {where} number {short(got, 40)} was written as {short(expected, 40)}" + (
                " (digits not kept)" if same else "")
        return None
    if kind == "array":
        if len(got) != len(expected):
            return f"wrong JSON value: {where} array of {len(got)} items, was written with {len(expected)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            d = json_difference(e, g, f"{where}[{i}]")
            if d:
                return d
        return None
    if kind == "object":
        if list(got) != list(expected):
            if sorted(got) == sorted(expected):
                return f"wrong JSON value: {where} object members reordered"
            return f"wrong JSON value: {where} object members {short(list(got), 60)}, were {short(list(expected), 60)}"
        for k in expected:
            d = json_difference(expected[k], got[k], f"{where}.{k}")
            if d:
                return d
        return None
    if expected != got:
        if kind == "string" and isinstance(expected, str):
            return "wrong JSON value: " + wrong_value(expected, got).replace("wrong value: ", "") + f" ({where})"
        return f"wrong JSON value: {where} {short(got, 40)!s}, was written as {short(expected, 40)!s}"
    return None


def number_digits(n):
    """A JSON number's digits and scale: (sign, digits, exponent). 1.10 and 1.1 differ. The cache
    gives a number token back exactly as it was written; a Decimal cannot tell -1.65e2 from -165
    (nor json.loads -0 from 0), so this check is looser than the cache: the exact spelling is
    checked by integration-tests' DataPathContract."""
    t = (n if isinstance(n, Decimal) else Decimal(n)).as_tuple()
    return (t.sign if any(t.digits) else 0, t.digits, t.exponent)


def json_kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, Decimal, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def header(response, name):
    headers = getattr(response, "headers", None)
    return headers.get(name) if headers is not None else None


def media_type(content_type):
    """'Text/Plain; Charset=UTF-8' -> 'text/plain;charset=utf-8', for comparing content types."""
    return "".join((content_type or "").split()).lower()


def version_difference(known, got):
    """None when a read's version is the one this user's last write of the key was given."""
    if not isinstance(got, int) or isinstance(got, bool):
        return f"version {short(got, 30)!s} is not an integer"
    if known is None or got == known:
        return None
    if got < known:
        return "version older than this user's last write (lost update)"
    return "version newer than this user's last write (a write nobody made)"


class ValueShapesUser(DcacheUser):
    """The value shapes of docs/api.md, each written and read back and compared exactly:
    JSON numbers, booleans, objects, arrays and strings (POST /data and POST /data/bulk), raw
    bytes (PUT /data/{key}, binary and UTF-8 text) read raw by Accept and as the envelope, the
    version and ETag of every write and read, If-None-Match answered by 304, and HEAD."""

    weight = 1

    def on_start(self):
        super().on_start()
        # key -> {"shape": "json"|"raw", "value": JSON value or bytes, "type": raw content type,
        #         "ttl": seconds or None, "version": int or None (None: written by bulk, not read yet)}
        self.known = {}

    # -- values -----------------------------------------------------------------------------

    def new_json(self, key_index):
        """(shape name, JSON value) of a random shape; strings, arrays and objects carry a tag of
        user, key and write, so a value from another key or write is recognised."""
        self.counter += 1
        label = f"{self.prefix}{key_index}#{self.counter}"
        shape = random.choice(("number", "boolean", "object", "array", "string"))
        if shape == "number":
            value = random.choice((
                random.randint(-2**53, 2**53),
                random.randint(10**25, 10**30),  # beyond 64 bits: kept in full
                Decimal(f"{random.randint(0, 99999)}.{random.randint(0, 999):03d}0"),  # trailing zero kept
                Decimal(f"-{random.randint(1, 9)}.{random.randint(0, 99):02d}e{random.randint(-30, 30)}"),
                Decimal("0.1"),
            ))
        elif shape == "boolean":
            value = random.choice((True, False))
        elif shape == "string":
            value = random_value(label) + random.choice(("", " ü€😀 \\\"\n\t\u0001", "</script>"))
        elif shape == "array":
            value = [label, random.randint(-1000, 1000), Decimal("2.50"), True, None, [], {},
                     ["nested", Decimal("1E+3")]]
        else:
            value = {"z": label, "a": [1, Decimal("1.10"), False], "m": {"ü €": "😀", "n": None},
                     "b": random.random() < 0.5, "0": Decimal(f"{random.randint(0, 10**6)}.0")}
        return shape, value

    def new_raw(self, key_index):
        """(shape name, bytes, content type): random binary, or UTF-8 text with non-ASCII."""
        self.counter += 1
        label = f"{self.prefix}{key_index}#{self.counter}"
        if random.random() < 0.6:
            data = label.encode() + b"\x00\xff\xfe" + os.urandom(random.randint(1, max(1, VALUE_BYTES)))
            return "binary", data, "application/octet-stream"
        text = random_value(label) + " ü€😀\r\n"
        return "text", text.encode("utf-8"), "text/plain; charset=utf-8"

    def pick(self, shape=None, versioned=False):
        keys = [k for k, e in self.known.items()
                if (shape is None or e["shape"] == shape) and (not versioned or e["version"] is not None)]
        return random.choice(keys) if keys else None

    def check_write_answer(self, r, key):
        """The answer of a single-key write: 200, {"key", "version", "replicas"} and ETag of the
        version. Returns the version, or None after marking the failure."""
        body = body_of(r)
        if r.status_code != 200:
            r.failure(unexpected(r))
        elif not isinstance(body, dict) or body.get("key") != key or not isinstance(body.get("version"), int):
            r.failure(f"malformed write reply: {short(r.text)}")
        elif body.get("replicas", 0) < 1:
            r.failure(f"write acknowledged by {body.get('replicas')} replicas")
        elif header(r, "ETag") != f'"{body["version"]}"':
            r.failure(f"write reply's ETag {header(r, 'ETag')!r} is not the version in quotes")
        else:
            r.success()
            return body["version"]
        return None

    def check_envelope(self, r, key, entry):
        """Fails r unless it is the JSON envelope of entry: value (JSON, or raw as text/base64 with
        contentType and encoding), version, ttl and ETag. Returns the version read, or None."""
        body = parse_json(r.content)
        if r.status_code == 404:
            r.failure("404 for a key this user wrote (lost write or evicted)")
            return None
        if r.status_code != 200:
            r.failure(unexpected(r))
            return None
        if not isinstance(body, dict) or body.get("key") != key or "value" not in body:
            r.failure(f"malformed read reply: {short(r.text)}")
            return None
        if entry["shape"] == "json":
            problem = json_difference(entry["value"], body["value"])
            if not problem and ("contentType" in body or "encoding" in body):
                problem = "a JSON value read back with contentType/encoding (as a raw value)"
        else:
            problem = raw_in_json_difference(entry, body.get("value"), body.get("contentType"), body.get("encoding"))
        problem = problem or version_difference(entry["version"], body.get("version"))
        if not problem and header(r, "ETag") != f'"{body.get("version")}"':
            problem = f"read's ETag {header(r, 'ETag')!r} is not the version in quotes"
        if not problem:
            problem = ttl_difference(entry["ttl"], body.get("ttl"), "ttl field")
        if problem:
            r.failure(problem)
            return None
        r.success()
        return body["version"]

    # -- tasks ------------------------------------------------------------------------------

    @tag("values", "json")
    @task(3)
    def write_json(self):
        i = random.randrange(KEYS_PER_USER)
        key = self.own_key(i)
        shape, value = self.new_json(i)
        ttl = random.choice((None, RAW_TTL_SECONDS))
        item = {"key": key, "value": value}
        if ttl:
            item["ttl"] = ttl
        self.known.pop(key, None)
        with self.client.post("/data", data=to_json(item).encode("utf-8"), headers=JSON_HEADERS,
                              name=f"/data [json {shape}]", catch_response=True) as r:
            version = self.check_write_answer(r, key)
        if version is not None:
            self.known[key] = {"shape": "json", "value": value, "type": None, "ttl": ttl, "version": version}

    @tag("values", "json")
    @task(4)
    def read_json(self):
        key = self.pick("json")
        if key is None:
            return self.write_json()
        entry = self.known[key]
        if isinstance(entry["value"], str) and random.random() < 0.3:
            return self.read_string_as_text(key, entry)
        with self.client.get(key_path(key), name="/data/[json]", catch_response=True) as r:
            version = self.check_envelope(r, key, entry)
        if version is not None:
            entry["version"] = version

    def read_string_as_text(self, key, entry):
        """A JSON string asked for as text/plain: its characters, without quotes."""
        with self.client.get(key_path(key), headers={"Accept": "text/plain"}, name="/data/[json string as text]",
                             catch_response=True) as r:
            if r.status_code != 200:
                r.failure("404 for a key this user wrote (lost write or evicted)" if r.status_code == 404
                          else unexpected(r))
            elif not media_type(header(r, "Content-Type")).startswith("text/plain"):
                r.failure(f"JSON string read as text came as {header(r, 'Content-Type')!r}")
            elif bytes(r.content).decode("utf-8", "replace") != entry["value"]:
                r.failure("JSON string read as text: " + wrong_value(entry["value"], bytes(r.content).decode("utf-8", "replace")))
            elif entry["version"] is not None and header(r, "ETag") != f'"{entry["version"]}"':
                r.failure(f"raw read's ETag {header(r, 'ETag')!r}, the last write's version is {entry['version']}")
            else:
                r.success()

    @tag("values", "raw")
    @task(2)
    def write_raw(self):
        i = random.randrange(KEYS_PER_USER)
        key = self.own_key(i)
        shape, data, content_type = self.new_raw(i)
        ttl = random.choice((None, RAW_TTL_SECONDS))
        path = key_path(key) + (f"?ttl={ttl}" if ttl else "")
        self.known.pop(key, None)
        with self.client.put(path, data=data, headers={"Content-Type": content_type},
                             name=f"/data/[key] [raw {shape}]", catch_response=True) as r:
            version = self.check_write_answer(r, key)
        if version is not None:
            self.known[key] = {"shape": "raw", "value": data, "type": content_type, "ttl": ttl, "version": version}

    @tag("values", "raw")
    @task(3)
    def read_raw(self):
        key = self.pick("raw")
        if key is None:
            return self.write_raw()
        entry = self.known[key]
        if random.random() < 0.25:
            # a raw value without Accept: the envelope, its bytes as text or base64
            with self.client.get(key_path(key), name="/data/[raw as json]", catch_response=True) as r:
                version = self.check_envelope(r, key, entry)
            if version is not None:
                entry["version"] = version
            return
        accept = entry["type"].split(";")[0]
        with self.client.get(key_path(key), headers={"Accept": accept}, name="/data/[raw]", catch_response=True) as r:
            got = bytes(r.content) if r.content is not None else None
            if r.status_code == 404:
                r.failure("404 for a key this user wrote (lost write or evicted)")
            elif r.status_code != 200:
                r.failure(unexpected(r))
            elif media_type(header(r, "Content-Type")) != media_type(entry["type"]):
                r.failure(f"raw read's Content-Type {header(r, 'Content-Type')!r}, was written as {entry['type']!r}")
            elif got != entry["value"]:
                r.failure(raw_difference(entry["value"], got))
            elif header(r, "ETag") is None or not header(r, "ETag").strip('"').isdigit():
                r.failure(f"raw read's ETag {header(r, 'ETag')!r} is not a version in quotes")
            else:
                problem = version_difference(entry["version"], int(header(r, "ETag").strip('"')))
                x_ttl = header(r, "X-TTL")
                problem = problem or ttl_difference(
                    entry["ttl"], int(x_ttl) if x_ttl and x_ttl.isdigit() else x_ttl, "X-TTL header")
                if problem:
                    r.failure(problem)
                else:
                    r.success()

    @tag("values", "conditional")
    @task(2)
    def read_not_modified(self):
        """If-None-Match with the version this user knows: 304, the ETag, no body. The tag list
        varies between the forms the API accepts (strong, weak, a list, *)."""
        key = self.pick(versioned=True)
        if key is None:
            return self.write_json()
        version = self.known[key]["version"]
        etag = f'"{version}"'
        condition = random.choice((etag, "W/" + etag, f'"{version + 1}", {etag}', "*"))
        with self.client.get(key_path(key), headers={"If-None-Match": condition}, name="/data/[key] If-None-Match",
                             catch_response=True) as r:
            if r.status_code == 304:
                if header(r, "ETag") != etag:
                    r.failure(f"304's ETag {header(r, 'ETag')!r}, the last write's is {etag}")
                elif r.content:
                    r.failure("304 with a body")
                else:
                    r.success()
            elif r.status_code == 200:
                body = parse_json(r.content)
                got = body.get("version") if isinstance(body, dict) else None
                r.failure("200 for If-None-Match of the current version" if got == version
                          else "200 for If-None-Match: " + (version_difference(version, got) or "same version"))
            elif r.status_code == 404:
                r.failure("404 for a key this user wrote (lost write or evicted)")
            else:
                r.failure(unexpected(r))

    @tag("values", "head")
    @task(1)
    def head(self):
        """HEAD: what GET answers (the envelope for no Accept), without the body."""
        key = self.pick()
        if key is None:
            return self.write_json()
        entry = self.known[key]
        with self.client.head(key_path(key), name="/data/[key]", catch_response=True) as r:
            if r.status_code == 404:
                r.failure("404 for a key this user wrote (lost write or evicted)")
            elif r.status_code != 200:
                r.failure(unexpected(r))
            elif not media_type(header(r, "Content-Type")).startswith("application/json"):
                r.failure(f"HEAD's Content-Type {header(r, 'Content-Type')!r}, a GET without Accept is JSON")
            elif r.content:
                r.failure("HEAD answered with a body")
            elif header(r, "ETag") is None or not header(r, "ETag").strip('"').isdigit():
                r.failure(f"HEAD's ETag {header(r, 'ETag')!r} is not a version in quotes")
            else:
                problem = version_difference(entry["version"], int(header(r, "ETag").strip('"')))
                if problem:
                    r.failure("HEAD: " + problem)
                else:
                    r.success()

    @tag("values", "valuesbulk")
    @task(1)
    def bulk_values(self):
        """POST /data/bulk of JSON values of every shape, then POST /data/bulk/get of keys of both
        kinds, checking values, versions and the raw map."""
        start = random.randrange(max(1, KEYS_PER_USER - VALUES_BULK_SIZE))
        items = [{"key": self.own_key(i), "value": self.new_json(i)[1]} for i in range(start, start + VALUES_BULK_SIZE)]
        for it in items:
            self.known.pop(it["key"], None)
        body_text = "[" + ",".join(to_json(it) for it in items) + "]"
        with self.client.post("/data/bulk", data=body_text.encode("utf-8"), headers=JSON_HEADERS,
                              name="/data/bulk [values]", catch_response=True) as r:
            body = body_of(r)
            if r.status_code != 200:
                r.failure(unexpected(r))
            elif not isinstance(body, dict) or body.get("stored") != VALUES_BULK_SIZE:
                r.failure(f"stored {short(r.text)} of {VALUES_BULK_SIZE}")
            else:
                r.success()
                for it in items:
                    # a bulk write answers no versions: the next read learns it
                    self.known[it["key"]] = {"shape": "json", "value": it["value"], "type": None, "ttl": None,
                                             "version": None}
        self.bulk_get_values()

    def bulk_get_values(self):
        keys = random.sample(list(self.known), min(VALUES_BULK_SIZE, len(self.known)))
        if not keys:
            return
        with self.client.post("/data/bulk/get", data=json.dumps(keys), headers=JSON_HEADERS,
                              name="/data/bulk/get [values]", catch_response=True) as r:
            body = parse_json(r.content)
            if r.status_code != 200:
                r.failure(unexpected(r))
                return
            if not isinstance(body, dict) or not isinstance(body.get("values"), dict) \
                    or not isinstance(body.get("versions"), dict):
                r.failure(f"malformed bulk read reply: {short(r.text)}")
                return
            values, versions, raw = body["values"], body["versions"], body.get("raw") or {}
            if not isinstance(raw, dict):
                r.failure(f"bulk read's raw is not an object: {short(raw)}")
                return
            learned = {}
            for k in keys:
                entry = self.known[k]
                if k not in values:
                    r.failure("written keys missing from a bulk read (lost write or evicted)")
                    return
                if entry["shape"] == "json":
                    problem = json_difference(entry["value"], values[k])
                    if not problem and k in raw:
                        problem = "bulk read lists a JSON value in raw"
                else:
                    info = raw.get(k)
                    if not isinstance(info, dict):
                        problem = "bulk read leaves a raw value out of raw"
                    else:
                        problem = raw_in_json_difference(entry, values[k], info.get("contentType"), info.get("encoding"))
                problem = problem or version_difference(entry["version"], versions.get(k))
                if problem:
                    r.failure("bulk read: " + problem)
                    return
                learned[k] = versions[k]
            r.success()
        for k, v in learned.items():
            if k in self.known:
                self.known[k]["version"] = v


def raw_difference(expected, got):
    if got is None:
        return "raw read: no body"
    if len(got) != len(expected):
        return f"raw read: {len(got)} bytes, {len(expected)} were written"
    first = next(i for i, (a, b) in enumerate(zip(expected, got)) if a != b)
    return f"raw read: bytes differ from byte {first} on"


def raw_in_json_difference(entry, value, content_type, encoding):
    """None when (value, contentType, encoding) of a JSON answer represent entry's raw bytes:
    UTF-8 bytes as text, other bytes as base64, with the content type they were written with."""
    data = entry["value"]
    try:
        text = data.decode("utf-8")
        want_encoding = "utf-8"
    except UnicodeDecodeError:
        text, want_encoding = None, "base64"
    if media_type(content_type) != media_type(entry["type"]):
        return f"raw value as JSON: contentType {content_type!r}, was written as {entry['type']!r}"
    if encoding != want_encoding:
        return f"raw value as JSON: encoding {encoding!r}, expected {want_encoding}"
    if not isinstance(value, str):
        return f"raw value as JSON: value is {json_kind(value)}, not a string"
    if want_encoding == "utf-8":
        return None if value == text else "raw value as JSON: " + wrong_value(text, value)
    try:
        got = base64.b64decode(value, validate=True)
    except ValueError:
        return "raw value as JSON: value is not base64"
    return None if got == data else raw_difference(data, got)


def ttl_difference(ttl, got, what):
    """None when got is a fitting time-to-live field: absent for a key without expiry, 1..ttl
    seconds for one written with ttl."""
    if ttl is None:
        return None if got is None else f"{what} {got!r} for a key written without ttl"
    if not isinstance(got, int) or isinstance(got, bool) or not 1 <= got <= ttl:
        return f"{what} {got!r} outside [1, {ttl}]"
    return None
