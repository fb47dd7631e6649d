# SPDX-License-Identifier: Apache-2.0
"""`user 3pid add|remove` against the real Synapse 1.163.2 (SQLite and
PostgreSQL), the recovery case: an admin's email is wrong and password-reset
mails go nowhere. Offline, mxdba removes the wrong address and adds the right
one (given in capitals: Synapse's canonical form is stored); the admin API and
the client API list exactly that; a password-reset request for the new address
sends a mail to it, caught by a local SMTP server (tests/lib/smtpcatch.py), and
its link lets the user set a new password; the old address is unknown to
Synapse. One added while Synapse runs is seen at once (Synapse caches no 3PID)."""
import email
import re
import urllib.request

from mxtest import ok
from realserver import uid
from smtpcatch import SMTPCatcher
from synapse import q

PW = "password-123"


def email_config(port):
    return ("email:\n  smtp_host: 127.0.0.1\n  smtp_port: %d\n  notif_from: \"Matrix <noreply@example.org>\"\n"
            "  require_transport_security: false\n  enable_tls: false\n" % port)


def listed(s, admin, tok, who):
    status, doc = s.req("GET", f"/_synapse/admin/v2/users/{q(uid(who))}", token=admin)
    assert status == 200, doc
    by_admin = sorted((t["medium"], t["address"]) for t in doc["threepids"])
    status, doc = s.req("GET", "/_matrix/client/v3/account/3pid", token=tok)
    assert status == 200, doc
    by_client = sorted((t["medium"], t["address"]) for t in doc["threepids"])
    assert by_admin == by_client, (by_admin, by_client)
    return by_admin


def request_reset(s, address, secret):
    return s.req("POST", "/_matrix/client/v3/account/password/email/requestToken",
                 body={"client_secret": secret, "email": address, "send_attempt": 1})


def test_a_wrong_admin_email_is_fixed_offline_and_the_reset_mail_arrives(s):
    with SMTPCatcher() as smtp:
        s.set_extra(email_config(smtp.port))
        s.start()
        admin = s.register("mail_admin", PW, admin=True)["access_token"]
        s.stop()
        ok(s.mxdba("user", "3pid", "add", "mail_admin", "email", "wrong@typo.example"))
        ok(s.mxdba("user", "3pid", "remove", "mail_admin", "email", "wrong@typo.example"))
        ok(s.mxdba("user", "3pid", "add", "mail_admin", "email", "Admin@Mail.Example"))
        ok(s.mxdba("user", "3pid", "add", "mail_admin", "msisdn", "447700900123"))
        s.start()
        tok = s.login("mail_admin", PW)[1]["access_token"]
        assert listed(s, admin, tok, "mail_admin") == [("email", "admin@mail.example"), ("msisdn", "447700900123")]
        status, doc = s.req("GET", f"/_synapse/admin/v1/threepid/email/users/{q('admin@mail.example')}", token=admin)
        assert status == 200 and doc["user_id"] == uid("mail_admin"), doc
        # the old address is unknown to Synapse, the new one gets the mail
        status, doc = request_reset(s, "wrong@typo.example", "secret-1")
        assert status == 400 and doc["errcode"] == "M_THREEPID_NOT_FOUND", doc
        status, doc = request_reset(s, "ADMIN@mail.example", "secret-2")
        assert status == 200 and doc.get("sid"), doc
        sid = doc["sid"]
        mail = smtp.wait_for("admin@mail.example")
        assert mail is not None, smtp.mails
        assert all("typo.example" not in r for m in smtp.mails for r in m["to"]), smtp.mails
        # the mail's link validates the session; the new password then works
        msg = email.message_from_string(mail["data"])
        assert msg["To"] == "admin@mail.example" and "Password reset" in msg["Subject"], msg
        body = "".join(p.get_payload(decode=True).decode() for p in msg.walk() if p.get_content_type() == "text/plain")
        link = re.search(r"https?://\S+?/_synapse/client/password_reset/email/submit_token\?[^\s\"<>]+", body)
        assert link, body[:2000]
        path = link.group(0).split("/_synapse/", 1)[1].replace("&amp;", "&")
        req = urllib.request.Request(f"{s.url}/_synapse/{path}", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
        status, doc = s.req("POST", "/_matrix/client/v3/account/password", body={
            "new_password": "new-password-456",
            "auth": {"type": "m.login.email.identity", "threepid_creds": {"sid": sid, "client_secret": "secret-2"}}})
        assert status == 200, doc
        assert s.login("mail_admin", "new-password-456")[0] == 200
        s.stop()


def test_one_added_while_synapse_runs_is_seen_at_once(s):
    s.start()
    admin = s.register("mail_live", PW, admin=True)["access_token"]
    tok = s.login("mail_live", PW)[1]["access_token"]
    ok(s.mxdba("user", "3pid", "add", "mail_live", "email", "live@mail.example"))
    assert listed(s, admin, tok, "mail_live") == [("email", "live@mail.example")]
    ok(s.mxdba("user", "3pid", "remove", "mail_live", "email", "live@mail.example"))
    assert listed(s, admin, tok, "mail_live") == []
    s.stop()
