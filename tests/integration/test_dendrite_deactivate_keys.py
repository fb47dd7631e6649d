# SPDX-License-Identifier: Apache-2.0
"""`user deactivate` on Dendrite's schema (both backends): after the userapi
transaction, the keyserver database's rows of the deleted devices are left
as Dendrite's own device deletion leaves them: an empty device key each
(numbered on in the user's key stream; also for a device that never
uploaded keys), their one-time keys and the signatures on them deleted, the user's
key change recorded; another user's keys untouched. A key server that cannot
be opened refuses the deactivation before anything changes; none configured
is warned about; a run cut short between the two commits is finished by
running it again; --dry-run and a failed batch touch neither database. The
row-for-row diff against the real Dendrite is the e2e suite's
(test_dendrite_deactivation.py)."""
import pytest

from mxtest import ok

EX_DB, EX_NOTFOUND = 7, 4
B, A = "@bob:example.org", "@alice:example.org"


@pytest.fixture(params=["sqlite", "postgres"])
def den(request, make_home):
    home = make_home(request.param)
    for u in ("bob", "alice"):
        home.add_account(u)
    home.add_device("bob", "PHONE", "tok-bob-1")
    home.add_device("bob", "LAPTOP", "tok-bob-2")   # logged in, never uploaded keys
    home.add_device("alice", "PHONE", "tok-alice")
    for uid in (B, A):
        home.ksql("INSERT INTO keyserver_device_keys (user_id, device_id, ts_added_secs, key_json, stream_id, display_name)"
                  f" VALUES ('{uid}', 'PHONE', 1, '{{\"keys\":{{}}}}', 3, 'phone')")
        home.ksql("INSERT INTO keyserver_one_time_keys (user_id, device_id, key_id, algorithm, ts_added_secs, key_json)"
                  f" VALUES ('{uid}', 'PHONE', 'AAAA', 'signed_curve25519', 1, '{{}}')")
        home.ksql("INSERT INTO keyserver_cross_signing_sigs VALUES"
                  f" ('{uid}', 'ed25519:self', '{uid}', 'PHONE', 'sig')")
    return home


def keys(home, uid):
    rows = home.ksql(f"SELECT device_id, key_json, stream_id, coalesce(display_name, '-') FROM keyserver_device_keys"
                     f" WHERE user_id = '{uid}' ORDER BY device_id")
    return [(d, k, int(s), n) for d, k, s, n in rows]


def count(home, table, col, uid):
    return int(home.ksql(f"SELECT count(*) FROM {table} WHERE {col} = '{uid}'")[0][0])


def test_deleted_devices_keys_emptied_as_dendrite_does(den):
    before_alice = (keys(den, A), count(den, "keyserver_one_time_keys", "user_id", A))
    out = ok(den.run("user", "deactivate", "bob")).out
    assert "2 device(s) with 2 key(s)" in out, out
    assert den.devices_of("bob") == []
    got = keys(den, B)
    # the gone devices' rows deleted, then an empty key each, numbered on from what remains (nothing)
    assert [(d, k, n) for d, k, _, n in got] == [("LAPTOP", "", ""), ("PHONE", "", "")]
    assert sorted(s for _, _, s, _ in got) == [1, 2]
    assert count(den, "keyserver_one_time_keys", "user_id", B) == 0
    assert count(den, "keyserver_cross_signing_sigs", "target_user_id", B) == 0
    assert count(den, "keyserver_key_changes", "user_id", B) == 1
    # alice untouched
    assert (keys(den, A), count(den, "keyserver_one_time_keys", "user_id", A)) == before_alice
    assert count(den, "keyserver_cross_signing_sigs", "target_user_id", A) == 1
    assert count(den, "keyserver_key_changes", "user_id", A) == 0
    # again: nothing left to empty, nothing changes
    k1 = den.ksql("SELECT change_id FROM keyserver_key_changes")
    out = ok(den.run("user", "deactivate", "bob")).out
    assert "was deactivated already" in out and keys(den, B) == got
    assert den.ksql("SELECT change_id FROM keyserver_key_changes") == k1
    # reactivation: the account back, the keys not (said so)
    out = ok(den.run("user", "reactivate", "bob")).out
    assert "not restored" in out and "end-to-end keys" in out and keys(den, B) == got


def test_unreachable_keyserver_refuses_before_any_change(den):
    ini = den.config.read_text()
    if den.backend == "sqlite":
        den.write_config(ini.replace("keyserver = file:dendrite_keyserver.db", "keyserver = file:no-such.db"))
    else:
        den.write_config(ini.replace("[database]\n", "[database]\nkeyserver = postgresql:///no_such_db?host=/nonexistent\n"))
    snap = den.snapshot()
    r = den.run("user", "deactivate", "bob")
    assert r.rc == EX_DB and "nothing was changed" in r.err, r
    assert den.snapshot() == snap and not den.is_deactivated("bob")


def test_a_run_cut_short_is_finished_by_running_it_again(den):
    """The userapi committed, the keyserver did not (simulated: the account
    deactivated and its devices deleted by hand, as the first commit leaves
    them): the next run empties the keys of every gone device."""
    den.sql("DELETE FROM userapi_devices WHERE localpart = 'bob'")
    den.sql(f"UPDATE userapi_accounts SET is_deactivated = {den._bool(True)} WHERE localpart = 'bob'")
    ok(den.run("user", "deactivate", "bob"))
    assert [(d, k) for d, k, _, _ in keys(den, B)] == [("PHONE", "")]
    assert count(den, "keyserver_one_time_keys", "user_id", B) == 0


def test_no_keyserver_configured_is_warned_about(den):
    if den.backend == "postgres":
        pytest.skip("on PostgreSQL [database] default names the key server too")
    den.write_config(den.config.read_text().replace("keyserver = file:dendrite_keyserver.db\n", ""))
    r = ok(den.run("user", "deactivate", "bob"))
    assert "no [database] keyserver" in r.err and den.is_deactivated("bob")
    assert count(den, "keyserver_one_time_keys", "user_id", B) == 1     # left, as warned


def test_dry_run_and_failed_batch_touch_neither_database(den, tmp_path):
    ks = keys(den, B)
    snap = den.snapshot()
    ok(den.run("--dry-run", "user", "deactivate", "bob"))
    assert den.snapshot() == snap and keys(den, B) == ks
    f = tmp_path / "b.txt"
    f.write_text("user deactivate bob\nuser promote nobody\n")
    r = den.run("--yes", "batch", str(f))
    assert r.rc == EX_NOTFOUND and den.snapshot() == snap and keys(den, B) == ks, r
    f.write_text("user deactivate bob\nuser deactivate alice\n")
    ok(den.run("--yes", "batch", str(f)))
    assert [k for _, k, _, _ in keys(den, B) + keys(den, A)] == ["", "", ""]
    assert count(den, "keyserver_key_changes", "user_id", A) == 1
