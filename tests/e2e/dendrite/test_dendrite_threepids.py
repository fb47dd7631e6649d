# SPDX-License-Identifier: Apache-2.0
"""`user 3pid add|remove` against the real Dendrite v0.13.8 (SQLite and
PostgreSQL): what mxdba writes offline is what Dendrite's own 3PID listing
(GET /account/3pid) answers after a start; an address stored as given
(Dendrite does not fold case); one removed is gone. Dendrite sends no mail of
its own (password resets by email go through an identity server), so the
password-reset mail is proven on Synapse only."""
PW = "mail-password-1"


def listing(d, tok):
    status, doc = d.req("GET", "/_matrix/client/v3/account/3pid", token=tok)
    assert status == 200, doc
    return sorted((t["medium"], t["address"]) for t in doc["threepids"])


def test_threepids_written_offline_are_dendrites_own(dendrite):
    d = dendrite
    d.start()
    d.register("mia", PW)
    d.stop()
    for args in (["add", "mia", "email", "wrong@typo.example"], ["remove", "mia", "email", "wrong@typo.example"],
                 ["add", "mia", "email", "Mia@Mail.Example"], ["add", "mia", "msisdn", "447700900123"]):
        r = d.mxdba("user", "3pid", *args)
        assert r.rc == 0, r
    d.start()
    tok = d.login("mia", PW)[1]["access_token"]
    assert listing(d, tok) == [("email", "Mia@Mail.Example"), ("msisdn", "447700900123")]
    d.stop()
    assert d.mxdba("user", "3pid", "remove", "mia", "msisdn", "447700900123").rc == 0
    d.start()
    tok = d.login("mia", PW)[1]["access_token"]
    assert listing(d, tok) == [("email", "Mia@Mail.Example")]
    d.stop()
