import http.server
import threading
from datetime import UTC, datetime

import pytest

from oncall.models import Schedule, ScheduleOverride, User
from oncall.people.ical import CachedOnly, IcalError, IcalFeeds, UserDirectory
from oncall.people.ical_fetch import FetchError, fetch_feed
from oncall.people.schedules import on_call_user_ids, shifts

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://calendar.example/private-s3cr3t/basic.ics"

# Weekdays 09:00–17:00 Paris: alice, except Wednesday 4 March (EXDATE); Thursday 5 March the occurrence is
# moved to Bob (RECURRENCE-ID). Carol is on call all day Saturday 7 March (all-day event, read in the
# schedule's zone). A cancelled event and an event naming nobody are ignored; Dave is an attendee.
FEED = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//serverless-oncall//tests//EN
BEGIN:VTIMEZONE
TZID:Europe/Paris
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekday@test
SUMMARY:[L1] @Alice
DTSTART;TZID=Europe/Paris:20260302T090000
DTEND;TZID=Europe/Paris:20260302T170000
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
EXDATE;TZID=Europe/Paris:20260304T090000
END:VEVENT
BEGIN:VEVENT
UID:weekday@test
RECURRENCE-ID;TZID=Europe/Paris:20260305T090000
SUMMARY:bob@example.com
DTSTART;TZID=Europe/Paris:20260305T090000
DTEND;TZID=Europe/Paris:20260305T170000
END:VEVENT
BEGIN:VEVENT
UID:weekend@test
SUMMARY:On call: carol
DTSTART;VALUE=DATE:20260307
DTEND;VALUE=DATE:20260308
END:VEVENT
BEGIN:VEVENT
UID:cancelled@test
SUMMARY:carol
STATUS:CANCELLED
DTSTART:20260303T000000Z
DTEND:20260303T230000Z
END:VEVENT
BEGIN:VEVENT
UID:nobody@test
SUMMARY:Team offsite
DTSTART:20260303T000000Z
DTEND:20260303T230000Z
END:VEVENT
BEGIN:VEVENT
UID:attendee@test
SUMMARY:Secondary
DTSTART:20260306T200000Z
DTEND:20260306T220000Z
ATTENDEE;CN=Dave:mailto:DAVE@example.com
END:VEVENT
END:VCALENDAR
"""

USERS = [
    User(id="UAL", username="alice", email="alice@example.com", created_at=CREATED),
    User(id="UBO", username="bob", email="bob@example.com", created_at=CREATED),
    User(id="UCA", username="carol", created_at=CREATED),
    User(id="UDA", username="dave", email="dave@example.com", created_at=CREATED),
]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Fetcher:
    def __init__(self, body: bytes = FEED, error: Exception | None = None):
        self.body, self.error, self.calls = body, error, 0

    def __call__(self, url: str) -> bytes:
        self.calls += 1
        if self.error:
            raise self.error
        return self.body


def _feeds(fetcher=None, clock=None):
    return IcalFeeds(lambda: USERS, fetch=fetcher or Fetcher(), monotonic=clock or Clock())


def _utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def _schedule(**fields):
    return Schedule(id="S1", name="feed", time_zone="Europe/Paris", ical_url=URL, created_at=CREATED, **fields)


def test_recurring_events_exdate_and_moved_occurrence():
    feeds = _feeds()
    assert feeds(URL, _utc(2026, 3, 2, 8)) == ["UAL"]  # Monday 09:00 CET
    assert feeds(URL, _utc(2026, 3, 2, 7, 59)) == []
    assert feeds(URL, _utc(2026, 3, 4, 10)) == []  # EXDATE
    assert feeds(URL, _utc(2026, 3, 5, 10)) == ["UBO"]  # moved to Bob
    assert feeds(URL, _utc(2026, 3, 9, 15, 59)) == ["UAL"]  # the rule goes on


def test_all_day_events_use_the_schedule_zone_and_attendees_map_by_email():
    feeds = _feeds()
    result = shifts(_schedule(), _utc(2026, 3, 6), _utc(2026, 3, 8))
    assert result == []  # no feed given: layers only, and there are none
    result = shifts(_schedule(), _utc(2026, 3, 6), _utc(2026, 3, 8), feeds)
    assert [(s.user_id, s.start, s.end) for s in result] == [
        ("UAL", _utc(2026, 3, 6, 8), _utc(2026, 3, 6, 16)),
        ("UDA", _utc(2026, 3, 6, 20), _utc(2026, 3, 6, 22)),
        ("UCA", _utc(2026, 3, 6, 23), _utc(2026, 3, 7, 23)),  # Saturday, Paris midnight to midnight
    ]


def test_cancelled_and_unmapped_events_put_no_one_on_call():
    assert _feeds()(URL, _utc(2026, 3, 3, 1)) == []


def test_overrides_win_over_the_feed():
    override = ScheduleOverride(user_id="UCA", start=_utc(2026, 3, 2, 10), end=_utc(2026, 3, 2, 11))
    schedule = _schedule(overrides=[override])
    assert on_call_user_ids(schedule, _utc(2026, 3, 2, 10, 30), _feeds()) == ["UCA"]
    assert on_call_user_ids(schedule, _utc(2026, 3, 2, 11), _feeds()) == ["UAL"]


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("alice", ("UAL",)),
        ("@Alice, bob@example.com", ("UAL", "UBO")),
        ("[L1] Alice / Bob", ("UAL", "UBO")),
        ('"carol".', ("UCA",)),
        ("On call: nobody", ()),
        ("alice alice", ("UAL",)),
    ],
)
def test_summary_mapping_rule(summary, expected):
    assert UserDirectory(USERS).match(summary, []) == expected


def test_feed_is_cached_per_container_and_refetched_after_the_ttl():
    fetcher, clock = Fetcher(), Clock()
    feeds = _feeds(fetcher, clock)
    feeds(URL, _utc(2026, 3, 2, 10))
    clock.now += 299
    feeds(URL, _utc(2026, 3, 2, 10))
    assert fetcher.calls == 1
    clock.now += 2
    feeds(URL, _utc(2026, 3, 2, 10))
    assert fetcher.calls == 2


def test_failures_mean_no_one_never_an_exception_and_are_retried_soon():
    fetcher, clock = Fetcher(error=FetchError("calendar.example answered HTTP 500")), Clock()
    feeds = _feeds(fetcher, clock)
    # the point lookup (what escalation uses) answers "no one" and says why
    assert feeds(URL, _utc(2026, 3, 2, 10)) == []
    assert "HTTP 500" in feeds.last_error(URL) and "s3cr3t" not in feeds.last_error(URL)
    assert on_call_user_ids(_schedule(), _utc(2026, 3, 2, 10), feeds) == []
    # the window query raises, so an API can report the failure
    with pytest.raises(IcalError, match="HTTP 500"):
        feeds.events(URL, _utc(2026, 3, 2), _utc(2026, 3, 3))
    assert fetcher.calls == 1  # the failure is cached briefly: a paging storm does not hammer the feed
    clock.now += 31
    fetcher.error = None
    assert feeds(URL, _utc(2026, 3, 2, 10)) == ["UAL"]
    assert feeds.last_error(URL) is None


@pytest.mark.parametrize("body", [b"", b"<html>not a calendar</html>", b"BEGIN:VEVENT\r\nEND:VEVENT\r\n"])
def test_garbage_is_a_feed_error(body):
    feeds = _feeds(Fetcher(body=body))
    assert feeds(URL, _utc(2026, 3, 2, 10)) == []
    assert feeds.last_error(URL).startswith("iCal feed https://calendar.example/****")


# ------------------------------------------------------------------------------------------ the fetcher
def _resolver(*addresses):
    return lambda host: list(addresses)


@pytest.mark.parametrize(
    ("url", "addresses", "message"),
    [
        ("http://calendar.example/f.ics", ["93.184.216.34"], "only https"),
        ("file:///etc/passwd", ["93.184.216.34"], "only https"),
        ("https://calendar.example/f.ics", ["127.0.0.1"], "loopback"),
        ("https://calendar.example/f.ics", ["10.1.2.3"], "private"),
        ("https://calendar.example/f.ics", ["169.254.169.254"], "metadata"),
        ("https://calendar.example/f.ics", ["93.184.216.34", "192.168.1.1"], "private"),
        ("https://calendar.example/f.ics", ["::ffff:127.0.0.1"], "loopback"),
        ("https://[::1]/f.ics", ["::1"], "loopback"),
        # the SSRF guard's protections, which the fetcher's own checks lacked
        ("https://calendar.example/f.ics", ["64:ff9b::a9fe:a9fe"], "metadata"),  # NAT64 of the metadata address
        ("https://calendar.example/f.ics", ["2002:c0a8:101::"], "private"),  # 6to4 of 192.168.1.1
        ("https://calendar.example/f.ics", ["fec0::1"], "private"),  # site-local
        ("https://2130706433/f.ics", [], "loopback"),  # a decimal IP literal
        ("https://0x7f.1/f.ics", [], "loopback"),
    ],
)
def test_fetch_refuses_what_could_reach_internal_services(url, addresses, message):
    with pytest.raises(FetchError, match=message):
        fetch_feed(url, resolver=_resolver(*addresses))


def test_metadata_is_refused_even_when_private_feeds_are_allowed():
    with pytest.raises(FetchError, match="metadata"):
        fetch_feed("https://calendar.example/f.ics", allow_private=True, resolver=_resolver("169.254.169.254"))
    with pytest.raises(FetchError, match="metadata"):
        fetch_feed("http://[fd00:ec2::254]/", allow_http=True, allow_private=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    seen_auth: list[bool] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        _Handler.seen_auth.append("Authorization" in self.headers)
        if self.path == "/to-metadata":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
        elif self.path.startswith("/to-localhost"):
            self.send_response(302)  # another host name for the same server
            self.send_header("Location", f"http://localhost:{self.path.rsplit('=', 1)[1]}/feed.ics")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 5000)
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_size_cap_and_redirect_limit_on_a_loopback_server(loopback_server):
    allowed = {"allow_http": True, "allow_private": True, "timeout": 3}
    assert fetch_feed(f"{loopback_server}/feed.ics", **allowed) == FEED
    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        fetch_feed(f"{loopback_server}/big", max_bytes=1000, **allowed)
    with pytest.raises(FetchError, match="redirects"):
        fetch_feed(f"{loopback_server}/loop", **allowed)
    with pytest.raises(FetchError, match="loopback"):  # the defaults refuse the same server
        fetch_feed(f"{loopback_server}/feed.ics".replace("http:", "https:"))


def test_a_redirect_to_the_metadata_endpoint_is_refused_and_credentials_stay_with_their_host(loopback_server):
    allowed = {"allow_http": True, "allow_private": True, "timeout": 3}
    with pytest.raises(FetchError, match="metadata"):
        fetch_feed(f"{loopback_server}/to-metadata", **allowed)
    # the user:password of the feed URL is sent to its host, never to where that host redirects
    port = loopback_server.rsplit(":", 1)[1]
    assert fetch_feed(f"http://user:pw@127.0.0.1:{port}/to-localhost?port={port}", **allowed) == FEED
    assert _Handler.seen_auth[-2:] == [True, False]


def test_cached_only_view_never_fetches():
    fetcher = Fetcher()
    feeds = _feeds(fetcher)
    cached_only = CachedOnly(feeds)
    # not read yet: no one, and the window query says why, without a fetch
    assert cached_only(URL, _utc(2026, 3, 2, 10)) == []
    with pytest.raises(IcalError, match="not read yet"):
        cached_only.events(URL, _utc(2026, 3, 2), _utc(2026, 3, 3))
    assert fetcher.calls == 0
    # once the container has the feed, the view answers from it
    feeds(URL, _utc(2026, 3, 2, 10))
    assert cached_only(URL, _utc(2026, 3, 2, 10)) == ["UAL"] and fetcher.calls == 1
