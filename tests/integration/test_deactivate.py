# SPDX-License-Identifier: Apache-2.0
"""`user deactivate [--erase]` and `user reactivate` on Synapse's schema (both
backends): every row Synapse's own deactivation deletes is deleted (a hidden
device and its keys kept, as Synapse keeps them), nothing of another user is
touched, the leaves of every joined room, invite and knock are queued (no room
table written), the audit rows, --erase, the inverse, the refusals and
--dry-run changing nothing. The row-for-row diff against the real Synapse's
admin API deactivation is the e2e suite's (test_synapse_deactivation.py)."""
import json

import pytest

from mxtest import ok
from synapse_db import SynapseHome

EX_NOTFOUND, EX_REFUSED = 4, 6
B, A = "@bob:example.org", "@alice:example.org"

# (table, the column naming the user) of every row deactivation deletes
DELETED = [("user_threepids", "user_id"), ("device_auth_providers", "user_id"), ("e2e_one_time_keys_json", "user_id"),
           ("e2e_fallback_keys_json", "user_id"), ("device_inbox", "user_id"),
           ("pushers", "user_name"), ("account_data", "user_id"), ("room_account_data", "user_id"),
           ("ignored_users", "ignorer_user_id"), ("push_rules", "user_name"), ("push_rules_enable", "user_name"),
           ("push_rules_stream", "user_id"), ("e2e_room_keys", "user_id"), ("e2e_room_keys_versions", "user_id"),
           ("delayed_events", "user_localpart"), ("access_tokens", "user_id"), ("refresh_tokens", "user_id")]


def lines(r):
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


def fill(home, u):
    """Every kind of row Synapse's deactivation deletes, for U (a localpart), and a hidden device."""
    uid = f"@{u}:example.org"
    home.add_device(u, "PHONE", f"tok-{u}")
    home.sql(f"INSERT INTO devices (user_id, device_id, hidden) VALUES ('{uid}', 'XSIGN', TRUE)")
    for dev in ("PHONE", "XSIGN"):
        home.sql(f"INSERT INTO e2e_device_keys_json (user_id, device_id, ts_added_ms, key_json) VALUES ('{uid}', '{dev}', 1, '{{}}')")
    home.sql("INSERT INTO refresh_tokens (id, user_id, device_id, token) VALUES"
             f" ((SELECT coalesce(max(id), 0) + 1 FROM refresh_tokens), '{uid}', 'PHONE', 'rt-{u}')")
    home.sql(f"INSERT INTO device_auth_providers VALUES ('{uid}', 'PHONE', 'oidc', 'sess-{u}')")
    home.sql("INSERT INTO e2e_one_time_keys_json (user_id, device_id, algorithm, key_id, ts_added_ms, key_json)"
             f" VALUES ('{uid}', 'PHONE', 'signed_curve25519', 'K1', 1, '{{}}')")
    home.sql(f"INSERT INTO e2e_fallback_keys_json (user_id, device_id, algorithm, key_id, key_json) VALUES ('{uid}', 'PHONE', 'a', 'F', '{{}}')")
    home.sql(f"INSERT INTO device_inbox (user_id, device_id, stream_id, message_json) VALUES ('{uid}', 'PHONE', 1, '{{}}')")
    home.sql("INSERT INTO pushers (id, user_name, profile_tag, kind, app_id, app_display_name, device_display_name, pushkey, ts)"
             f" VALUES ((SELECT coalesce(max(id), 0) + 1 FROM pushers), '{uid}', '', 'email', 'm.email', 'Email', '{u}@mail.example', '{u}@mail.example', 1)")
    home.sql(f"INSERT INTO user_threepids VALUES ('{uid}', 'email', '{u}@mail.example', 1, 1)")
    home.sql(f"INSERT INTO account_data (user_id, account_data_type, stream_id, content) VALUES ('{uid}', 'm.direct', 1, '{{}}')")
    home.sql("INSERT INTO room_account_data (user_id, room_id, account_data_type, stream_id, content)"
             f" VALUES ('{uid}', '!r1:example.org', 'm.fully_read', 1, '{{}}')")
    home.sql(f"INSERT INTO ignored_users VALUES ('{uid}', '@spam:remote.example')")
    home.sql("INSERT INTO push_rules (id, user_name, rule_id, priority_class, conditions, actions)"
             f" VALUES ((SELECT coalesce(max(id), 0) + 1 FROM push_rules), '{uid}', 'r', 5, '[]', '[]')")
    home.sql("INSERT INTO push_rules_enable (id, user_name, rule_id, enabled)"
             f" VALUES ((SELECT coalesce(max(id), 0) + 1 FROM push_rules_enable), '{uid}', 'r', 1)")
    home.sql("INSERT INTO push_rules_stream (stream_id, event_stream_ordering, user_id, rule_id, op)"
             f" VALUES ((SELECT coalesce(max(stream_id), 0) + 1 FROM push_rules_stream), 1, '{uid}', 'r', 'ADD')")
    home.sql(f"INSERT INTO e2e_room_keys_versions (user_id, version, algorithm, auth_data) VALUES ('{uid}', 1, 'a', '{{}}')")
    home.sql("INSERT INTO e2e_room_keys (user_id, room_id, session_id, version, session_data)"
             f" VALUES ('{uid}', '!r1:example.org', 's', 1, '{{}}')")
    home.sql("INSERT INTO delayed_events (delay_id, user_localpart, delay, send_ts, room_id, event_type, content)"
             f" VALUES ('d1', '{u}', 1000, 1, '!r1:example.org', 'm.room.message', '{{}}')")


def count(home, table, col, who):
    who = who[1:].split(":")[0] if col == "user_localpart" else who
    return int(home.sql(f"SELECT count(*) FROM {table} WHERE {col} = '{who}'")[0][0])


@pytest.fixture(params=["sqlite", "postgres"])
def sy(request):
    pg = request.getfixturevalue("pg") if request.param == "postgres" else None
    home = SynapseHome(request.param, pg=pg)
    for u in ("alice", "bob"):
        home.add_account(u, password_hash="$2b$04$" + "x" * 53)
        home.set_display_name(u, u.title())
        fill(home, u)
    home.sql(f"INSERT INTO user_threepid_id_server VALUES ('{B}', 'email', 'bob@mail.example', 'id.example')")
    for room, state in (("!joined:example.org", "join"), ("!invited:example.org", "invite"),
                        ("!knocked:example.org", "knock"), ("!left:example.org", "leave")):
        home.add_room(room)
        home.add_member(room, B, state)
    return home


def test_deactivate_deletes_what_synapse_deletes_and_queues_the_rooms(sy):
    before_alice = {t: count(sy, t, c, A) for t, c in DELETED}
    rooms_before = sy.sql("SELECT count(*) FROM room_memberships")
    r = ok(sy.run("--json", "user", "deactivate", "bob"))
    doc = lines(r)[-1]
    assert doc["changed"] is True and doc["devices_deleted"] == 1 and doc["keys_deleted"] == 3, doc
    assert doc["pushers_deleted"] == 1 and doc["threepids_deleted"] == 1 and doc["tokens_revoked"] == 1, doc
    assert doc["threepids_left_bound"] == 1 and doc["leaves_queued"] == 3 and doc["erased"] is False, doc
    assert "stay bound at an identity server" in r.err
    for t, c in DELETED:
        assert count(sy, t, c, B) == 0, t
        assert count(sy, t, c, A) == before_alice[t], t      # nobody else's rows
    # the hidden device (cross-signing) and its keys stay, as in Synapse
    assert sy.sql(f"SELECT device_id FROM devices WHERE user_id = '{B}'") == [("XSIGN",)]
    assert sy.sql(f"SELECT device_id FROM e2e_device_keys_json WHERE user_id = '{B}'") == [("XSIGN",)]
    assert sy.is_deactivated("bob") and sy.password_hash("bob") in (None, "")
    assert sy.sql(f"SELECT count(*) FROM user_directory WHERE user_id = '{B}'")[0][0] in (0, "0")
    assert sy.display_name("bob") == "Bob"                       # no --erase: the profile stays
    assert sy.sql("SELECT count(*) FROM room_memberships") == rooms_before   # rooms: queued, not written
    queued = lines(ok(sy.run("--json", "queue", "list")))
    assert sorted(q["room_id"] for q in queued) == ["!invited:example.org", "!joined:example.org", "!knocked:example.org"]
    fields = [(a["field"], a["new"]) for a in lines(ok(sy.run("--json", "audit", "list", "--user", "bob")))]
    assert ("deactivated", "1") in fields and ("devices", "deleted") in fields, fields
    # again: nothing left to delete, nothing queued twice
    doc = lines(ok(sy.run("--json", "user", "deactivate", "bob")))[-1]
    assert doc["changed"] is False and doc["devices_deleted"] == 0 and doc["already_pending"] == 3, doc


def test_erase_and_reactivate(sy):
    r = ok(sy.run("user", "deactivate", "bob", "--erase"))
    assert "erased @bob:example.org" in r.out, r
    assert sy.sql(f"SELECT count(*) FROM erased_users WHERE user_id = '{B}'")[0][0] in (1, "1")
    assert sy.sql(f"SELECT count(*) FROM profiles WHERE full_user_id = '{B}'")[0][0] in (0, "0")
    assert ("erased", "1") in [(a["field"], a["new"]) for a in lines(ok(sy.run("--json", "audit", "list", "--user", "bob")))]
    assert "was erased already" in ok(sy.run("user", "deactivate", "bob", "--erase")).out
    r = ok(sy.run("user", "reactivate", "bob"))
    assert "no password" in r.err        # deactivation took the hash, as Synapse's does
    assert not sy.is_deactivated("bob")
    assert sy.sql(f"SELECT count(*) FROM erased_users WHERE user_id = '{B}'")[0][0] in (0, "0")
    # a blank profile again, as Synapse's activate_account makes it
    assert sy.sql(f"SELECT user_id, displayname FROM profiles WHERE full_user_id = '{B}'") in ([("bob", None)], [("bob", "")])
    assert sy.sql(f"SELECT count(*) FROM user_directory WHERE user_id = '{B}'")[0][0] in (1, "1")
    assert "erased" not in ok(sy.run("user", "show", "alice")).out


def test_refusals_and_dry_run_change_nothing(sy):
    snap = sy.snapshot()
    r = sy.run("user", "deactivate", "nobody")
    assert r.rc == EX_NOTFOUND and sy.snapshot() == snap, r
    r = sy.run("--dry-run", "user", "deactivate", "bob", "--erase")
    assert r.rc == 0 and "would deactivate" in r.out and sy.snapshot() == snap, r
    r = sy.run("user", "deactivate", "bob", "--eras")
    assert r.rc == 2 and sy.snapshot() == snap, r


def test_erase_is_refused_on_dendrite(make_home):
    home = make_home("sqlite")
    home.add_account("bob")
    snap = home.snapshot()
    r = home.run("user", "deactivate", "bob", "--erase")
    assert r.rc == EX_REFUSED and "erase" in r.err and home.snapshot() == snap, r


def test_in_a_batch_with_the_rest_or_nothing(sy, tmp_path):
    f = tmp_path / "b.txt"
    f.write_text("user deactivate bob --erase\nuser 3pid add alice email alice@new.example\nuser promote nobody\n")
    snap = sy.snapshot()
    r = sy.run("--yes", "batch", str(f))
    assert r.rc == EX_NOTFOUND and ":3:" in r.err and sy.snapshot() == snap, r     # the last line fails: nothing
    f.write_text("user deactivate bob --erase\nuser 3pid add alice email alice@new.example\n")
    ok(sy.run("--yes", "batch", str(f)))
    assert sy.is_deactivated("bob") and count(sy, "pushers", "user_name", B) == 0
    assert sy.sql(f"SELECT count(*) FROM erased_users WHERE user_id = '{B}'")[0][0] in (1, "1")
    assert len(lines(ok(sy.run("--json", "queue", "list")))) == 3
