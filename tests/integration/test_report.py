# SPDX-License-Identifier: Apache-2.0
"""`mxdba report`: every figure against a count written into the test by
hand (the real servers' own answers are compared in the e2e suites),
sorting, limits, the rooms no local user is in, tables on every homeserver
and backend, blocked background updates, and refusals that change nothing."""
import json

import pytest

from mxtest import ok
from synapse_db import SynapseHome

EX_USAGE, EX_REFUSED = 2, 6


def lines(r):
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


def synapse_home(backend, pg):
    return SynapseHome(backend, pg=pg if backend == "postgres" else None)


def add_events(home, room, n, start=1, ts=1700000000000, state=0):
    """N events in ROOM, each with its JSON (n * 100 bytes), the last STATE of them state events."""
    for i in range(start, start + n):
        eid = f"$e{i}_{room[1:4]}"
        home.sql("INSERT INTO events (stream_ordering, topological_ordering, event_id, type, room_id, processed,"
                 " outlier, depth, origin_server_ts, received_ts, sender, contains_url, state_key) VALUES"
                 f" ({i}, {i}, '{eid}', 'm.room.message', '{room}', TRUE, FALSE, {i}, {ts + i}, {ts + i},"
                 f" '@alice:example.org', FALSE, NULL)")
        home.sql("INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version) VALUES"
                 f" ('{eid}', '{room}', '{{}}', '{'x' * 100}', 3)")


def stats(home, room, joined, local, state):
    home.sql("INSERT INTO room_stats_current (room_id, current_state_events, joined_members, invited_members,"
             " left_members, banned_members, local_users_in_room, completed_delta_stream_id, knocked_members)"
             f" VALUES ('{room}', {state}, {joined}, 0, 0, 0, {local}, 1, 0)")


@pytest.fixture(params=["sqlite", "postgres"])
def rooms_home(request, pg):
    """Three rooms with known weights: big (30 events, 5 members, 2 local), mid
    (10 events, 4 forward extremities, 3 state groups of 7 rows), and gone
    (2 events, no local member left)."""
    home = synapse_home(request.param, pg)
    home.add_account("alice")
    home.add_room("!big:example.org", name="Big room", alias="#big:example.org")
    home.add_room("!mid:example.org", name="Mid")
    home.add_room("!gone:example.org")
    stats(home, "!big:example.org", 5, 2, 9)
    stats(home, "!mid:example.org", 3, 1, 6)
    stats(home, "!gone:example.org", 1, 0, 4)
    add_events(home, "!big:example.org", 30, start=1)
    add_events(home, "!mid:example.org", 10, start=100, ts=1800000000000)
    add_events(home, "!gone:example.org", 2, start=200, ts=1600000000000)
    for i in range(4):
        home.sql(f"INSERT INTO event_forward_extremities (event_id, room_id) VALUES ('$e{100 + i}_mid', '!mid:example.org')")
    for g in range(3):
        home.sql(f"INSERT INTO state_groups (id, room_id, event_id) VALUES ({g + 1}, '!mid:example.org', '$sg{g}')")
    for k in range(7):
        home.sql("INSERT INTO state_groups_state (state_group, room_id, type, state_key, event_id) VALUES"
                 f" ({k % 3 + 1}, '!mid:example.org', 'm.room.member', '@u{k}:example.org', '$s{k}')")
    return home


def test_room_figures_are_the_counts_in_the_tables(rooms_home):
    rows = {r["room_id"]: r for r in lines(ok(rooms_home.run("--json", "report", "rooms")))}
    assert list(rows) == ["!big:example.org", "!mid:example.org", "!gone:example.org"]   # by events, descending
    big, mid, gone = rows["!big:example.org"], rows["!mid:example.org"], rows["!gone:example.org"]
    assert (big["name"], big["canonical_alias"], big["version"]) == ("Big room", "#big:example.org", "10")
    assert (big["joined_members"], big["joined_local_members"], big["state_events"], big["events"]) == (5, 2, 9, 30)
    assert big["event_bytes"] == 3000 and big["last_event_ts"] == 1700000000030
    assert (mid["forward_extremities"], mid["state_groups"], mid["state_group_rows"]) == (4, 3, 7)
    assert mid["event_bytes"] == 1000 and mid["last_event_ts"] == 1800000000109
    assert (gone["joined_local_members"], gone["events"], gone["name"], gone["canonical_alias"]) == (0, 2, None, None)
    assert (big["forward_extremities"], big["state_groups"]) == (0, 0)


@pytest.mark.parametrize("key,first", [("forward_extremities", "!mid:example.org"),
                                       ("last_event_ts", "!mid:example.org"),
                                       ("joined_members", "!big:example.org"),
                                       ("event_bytes", "!big:example.org"),
                                       ("state_group_rows", "!mid:example.org")])
def test_rooms_sort_by_any_key_descending(rooms_home, key, first):
    rows = lines(ok(rooms_home.run("--json", "report", "rooms", "--sort", key)))
    assert rows[0]["room_id"] == first
    assert [r[key] or -1 for r in rows] == sorted([r[key] or -1 for r in rows], reverse=True)


def test_rooms_limit_and_rooms_no_local_user_is_in(rooms_home):
    assert [r["room_id"] for r in lines(ok(rooms_home.run("--json", "report", "rooms", "--limit", "1")))] == [
        "!big:example.org"]
    assert [r["room_id"] for r in lines(ok(rooms_home.run("--json", "report", "rooms", "--no-local-members")))] == [
        "!gone:example.org"]
    r = ok(rooms_home.run("report", "rooms", "--limit", "2"))
    assert r.out.splitlines()[0].split()[:2] == ["ROOM", "ID"] and len(r.out.splitlines()) == 3, r.out
    r = ok(rooms_home.run("--csv", "report", "rooms"))
    assert r.out.splitlines()[0].startswith("room_id,name,canonical_alias,version,joined_members"), r.out


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_media_per_uploader(backend, pg):
    home = synapse_home(backend, pg)
    for i, (user, size) in enumerate([("@a:example.org", 100), ("@a:example.org", 50), ("@b:example.org", 1000),
                                      ("@c:example.org", 1), ("@c:example.org", 1), ("@c:example.org", 1)]):
        home.sql("INSERT INTO local_media_repository (media_id, media_type, media_length, created_ts, user_id)"
                 f" VALUES ('m{i}', 'image/png', {size}, 1, '{user}')")
    rows = lines(ok(home.run("--json", "report", "media")))
    assert rows == [{"user_id": "@b:example.org", "media_count": 1, "media_bytes": 1000},
                    {"user_id": "@a:example.org", "media_count": 2, "media_bytes": 150},
                    {"user_id": "@c:example.org", "media_count": 3, "media_bytes": 3}]
    rows = lines(ok(home.run("--json", "report", "media", "--sort", "count", "--limit", "2")))
    assert [r["user_id"] for r in rows] == ["@c:example.org", "@a:example.org"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_updates_in_order_and_the_ones_that_never_run(backend, pg):
    home = synapse_home(backend, pg)
    home.sql("DELETE FROM background_updates")
    for name, dep, order in [("a_first", None, 1), ("b_after_a", "a_first", 2), ("c_gone_dep", "long_finished", 3),
                             ("d_cycle", "e_cycle", 4), ("e_cycle", "d_cycle", 5), ("f_waits_cycle", "d_cycle", 6)]:
        home.sql("INSERT INTO background_updates (update_name, progress_json, depends_on, ordering) VALUES"
                 f" ('{name}', '{{\"last\": {order}}}', {repr(dep) if dep else 'NULL'}, {order})")
    rows = lines(ok(home.run("--json", "report", "updates")))
    assert [r["update_name"] for r in rows] == ["a_first", "b_after_a", "c_gone_dep", "d_cycle", "e_cycle",
                                                "f_waits_cycle"]
    # a dependency no longer pending is done (Synapse deletes finished updates): it runs
    assert {r["update_name"]: r["blocked"] for r in rows} == {
        "a_first": False, "b_after_a": False, "c_gone_dep": False, "d_cycle": True, "e_cycle": True,
        "f_waits_cycle": True}
    assert rows[1]["depends_on"] == "a_first" and json.loads(rows[2]["progress"]) == {"last": 3}


def test_tables_count_rows_exactly_and_weigh_them(home):
    home.add_accounts(500, prefix="t")
    rows = {(r["database"], r["table"]): r for r in lines(ok(home.run("--json", "report", "tables")))}
    acc = next(r for (db, t), r in rows.items() if t == home.accounts_table)
    assert acc["rows"] == len(home.accounts()) and acc["rows_estimated"] is False, acc
    assert acc["bytes"] > 500 * 20, acc
    sizes = [r["bytes"] for r in lines(ok(home.run("--json", "report", "tables"))) if r["table"] != "(free pages)"]
    databases = {db for db, _ in rows}
    assert len(databases) >= 1
    if home.backend == "sqlite":
        free = [r for (db, t), r in rows.items() if t == "(free pages)"]
        assert len(free) == len(databases) and all(f["rows"] >= 0 for f in free)
        before = next(f for f in free if f["database"] == acc["database"])["rows"]
        home.sql(f"DELETE FROM {home.accounts_table}")
        after = {(r["database"], r["table"]): r for r in lines(ok(home.run("--json", "report", "tables")))}
        assert after[(acc["database"], "(free pages)")]["rows"] > before     # what VACUUM would give back
    # the biggest first within each database
    per_db = {}
    for r in lines(ok(home.run("--json", "report", "tables"))):
        if r["table"] != "(free pages)":
            per_db.setdefault(r["database"], []).append(r["bytes"])
    assert all(v == sorted(v, reverse=True) for v in per_db.values()) and sizes


def test_refusals_change_nothing(home):
    home.add_account("alice")
    before = home.snapshot()
    for args, code, msg in [(["report", "tables", "extra"], EX_USAGE, "no arguments"),
                            (["--csv", "--json", "report", "tables"], EX_USAGE, "exclude")]:
        r = home.run(*args)
        assert r.rc == code and msg in r.err, (args, r)
    if home.kind == "synapse":
        for args, msg in [(["report", "rooms", "--sort", "bogus"], "not a key"),
                          (["report", "rooms", "--limit", "0"], "--limit"),
                          (["report", "rooms", "--limit", "x"], "--limit"),
                          (["report", "media", "--sort", "events"], "bytes or count")]:
            r = home.run(*args)
            assert r.rc == EX_USAGE and msg in r.err and "HINT" in r.err, (args, r)
    else:
        r = home.run("report", "updates")                 # Dendrite keeps no background updates
        assert r.rc == EX_REFUSED and "Dendrite" in r.err and "HINT" in r.err, r
        r = home.run("report", "media")                   # no media API database among these
        assert r.rc in (3, EX_REFUSED) and "mediaapi" in r.err and "HINT" in r.err, r
    assert home.snapshot() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_doctor_finds_updates_that_wait_for_each_other(backend, pg):
    from mxtest import doctor_findings
    home = synapse_home(backend, pg)
    home.sql("DELETE FROM background_updates")
    home.sql("INSERT INTO background_updates (update_name, progress_json, depends_on, ordering) VALUES"
             " ('x_a', '{}', 'x_b', 1), ('x_b', '{}', 'x_a', 2), ('x_c', '{}', 'gone', 3)")
    before = home.snapshot()
    r = home.run("--json", "doctor")
    f = doctor_findings(r)
    assert r.rc == 11 and f["synapse-update-cycle"]["count"] == 2 and f["synapse-update-cycle"]["rows"] == ["x_a", "x_b"], r
    assert home.run("doctor", "--fix", "--check", "synapse-update-cycle").rc == 11    # a decision: no --fix
    assert home.snapshot() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_doctor_warns_of_forward_extremities_over_synapses_threshold(backend, pg):
    from mxtest import doctor_findings
    home = synapse_home(backend, pg)
    home.add_room("!fwd:example.org")
    add_events(home, "!fwd:example.org", 12, start=1)
    for i in range(1, 12):                                             # 11: one over the default 10
        home.sql(f"INSERT INTO event_forward_extremities (event_id, room_id) VALUES ('$e{i}_fwd', '!fwd:example.org')")
    f = doctor_findings(home.run("--json", "doctor"))
    assert f["synapse-forward-extremities"]["rows"] == ["!fwd:example.org (11)"], f
    # homeserver.yaml's dummy_events_threshold is Synapse's own threshold
    (home.dir / "homeserver.yaml").write_text("server_name: example.org\ndummy_events_threshold: 20\n"
                                              f"database:\n  name: sqlite3\n  args:\n    database: {home.dir}/none.db\n")
    home.write_config(home.config.read_text().replace("[homeserver]\n", "[homeserver]\nsynapse_config = homeserver.yaml\n"))
    f = doctor_findings(home.run("--json", "doctor"))
    assert "synapse-forward-extremities" not in f, f


def test_doctor_notes_updates_pending_while_synapse_is_stopped():
    from mxtest import doctor_findings
    home = SynapseHome("sqlite", updates_done=False)       # as a first start leaves it
    n = int(home.sql("SELECT count(*) FROM background_updates")[0][0])
    assert n > 0
    r = home.run("--json", "doctor")
    f = doctor_findings(r)
    assert r.rc == 0 and f["synapse-updates-pending"]["count"] == n and f["synapse-updates-pending"]["severity"] == "note"
    home.sql("DELETE FROM background_updates")
    assert "synapse-updates-pending" not in doctor_findings(home.run("--json", "doctor"))
