# SPDX-License-Identifier: Apache-2.0
"""Every row of every database of a real Dendrite that names a user, normalised
so that two users' rows compare equal when the server treated them alike: the
e2e diff of `user deactivate` against Dendrite's own account deactivation.
Dendrite keeps a database per component (SQLite files side by side, or the
one PostgreSQL database): a row names the user when a text column equals the
user's ID or localpart."""
import sqlite3

from realserver import uid


def tables(d):
    """[(database label, table, [text columns], fetch(sql) -> (names, rows))] of Dendrite D."""
    out = []
    if d.backend == "sqlite":
        for f in sorted(d.dir.glob("*.db")):
            def fetch(query, f=f):
                con = sqlite3.connect(f, timeout=10)
                try:
                    cur = con.execute(query)
                    return [c[0] for c in cur.description], cur.fetchall()
                finally:
                    con.close()
            con = sqlite3.connect(f, timeout=10)
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                cols = [c[1] for c in con.execute(f"PRAGMA table_info({t})") if c[2].upper() in ("TEXT", "")]
                out.append((f.name, t, cols, fetch))
            con.close()
        return out
    cols = {}
    for t, c in d.pg.psql(d.db, "SELECT table_name, column_name FROM information_schema.columns"
                                " WHERE table_schema = 'public' AND data_type = 'text'"):
        cols.setdefault(t, []).append(c)

    def fetch(query):
        t = query.split(" FROM ")[1].split()[0]
        names = [r[0] for r in d.pg.psql(d.db, "SELECT column_name FROM information_schema.columns WHERE"
                                               f" table_name = '{t}' AND table_schema = 'public' ORDER BY ordinal_position")]
        return names, [tuple(r) for r in d.pg.psql(d.db, query)]
    return [("postgres", t, cs, fetch) for t, cs in sorted(cols.items())]


def rows_naming(d, local, volatile=(), server="example.org"):
    """{table: sorted normalised rows} of every row with a text column equal to the user's ID or localpart."""
    ids = (uid(local), local)
    out = {}
    for _, t, cs, fetch in tables(d):
        if not cs or t.startswith("mxdba_"):
            continue
        where = " OR ".join(f"{c} IN ('{ids[0]}', '{ids[1]}')" for c in cs)
        names, rows = fetch(f"SELECT * FROM {t} WHERE {where}")
        if not rows:
            continue
        norm = []
        for r in rows:
            row = {}
            for n, v in zip(names, r):
                v = "" if v is None else str(v)
                row[n] = "<volatile>" if n in volatile else v.replace(ids[0], "@U").replace(f"\"{ids[1]}\"", "\"U\"")
                if v == ids[1]:
                    row[n] = "U"
            norm.append(row)
        out[t] = sorted(norm, key=lambda x: sorted(x.items()))
    return out
