# SPDX-License-Identifier: Apache-2.0
"""Every row of a Synapse database that names a user, normalised so that two
users' rows compare equal when the server treated them alike: the e2e diffs of
`user create` against registration and `user deactivate` against the admin
API's deactivation."""
from realserver import uid


# Columns that differ between any two users by nature.
VOLATILE = {"creation_ts", "password_hash", "last_seen", "stream_id", "completed_delta_stream_id", "ts",
            "docid"}   # the row number of the SQLite FTS index of the user directory


def text_columns(s):
    """{table: [its text columns]} of the Synapse database of S."""
    if s.backend == "sqlite":
        import sqlite3
        con = sqlite3.connect(s.dir / "homeserver.db")
        cols = {}
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cols[t] = [c[1] for c in con.execute(f"PRAGMA table_info({t})") if c[2].upper() in ("TEXT", "")]
        con.close()
        return cols
    cols = {}
    for t, c in s.sql("SELECT table_name, column_name FROM information_schema.columns"
                      " WHERE table_schema = 'public' AND data_type = 'text'"):
        cols.setdefault(t, []).append(c)
    return cols


def rows_naming(s, cols, local, volatile=()):
    """{table: sorted rows as dicts} of every row with a text column equal to the user's ID or localpart."""
    ids = (uid(local), local)
    out = {}
    for t, cs in cols.items():
        if not cs or t.startswith("mxdba_"):
            continue
        where = " OR ".join(f"{c} IN ('{ids[0]}', '{ids[1]}')" for c in cs)
        if s.backend == "sqlite":
            import sqlite3
            con = sqlite3.connect(s.dir / "homeserver.db")
            cur = con.execute(f"SELECT * FROM {t} WHERE {where}")
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
            con.close()
        else:
            names = [r[0] for r in s.sql(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{t}'"
                                         " AND table_schema = 'public' ORDER BY ordinal_position")]
            rows = s.sql(f"SELECT * FROM {t} WHERE {where}")
        if rows:
            norm = []
            for r in rows:
                d = {}
                for n, v in zip(names, r):
                    v = "" if v is None else str(v)
                    d[n] = "<volatile>" if n in VOLATILE or n in volatile else v.replace(ids[0], "@U").replace(ids[1], "U")
                norm.append(d)
            out[t] = sorted(norm, key=lambda d: sorted(d.items()))
    return out
