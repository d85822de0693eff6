import sqlite3

import sqlalchemy
from sqlalchemy import text


def bad(conn, cursor, user_id, name, table):
    # ruleid: sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE id = %s" % user_id)
    # ruleid: sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = '{}'".format(name))
    # ruleid: sql-string-formatting
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
    # ruleid: sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = '" + name + "'")
    # ruleid: sql-string-formatting
    cursor.executemany("INSERT INTO %s VALUES (?)" % table, [(1,), (2,)])
    # ruleid: sql-string-formatting
    conn.execute(text(f"DELETE FROM users WHERE id = {user_id}"))
    # ruleid: sql-string-formatting
    conn.execute(sqlalchemy.text("SELECT * FROM t WHERE a = " + name))


def bad_variable(cursor, user_id):
    query = f"SELECT * FROM users WHERE id = {user_id}"
    # ruleid: sql-string-formatting
    cursor.execute(query)


def bad_augmented(cursor, name):
    query = "SELECT * FROM users"
    query += " WHERE name = '%s'" % name
    # ruleid: sql-string-formatting
    cursor.execute(query)


def good(conn, cursor, user_id, name):
    # ok: sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))
    # ok: sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = ?", [name])
    # ok: sql-string-formatting
    conn.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user_id})
    # ok: sql-string-formatting
    cursor.execute("SELECT * FROM users " "WHERE id = %s", (user_id,))
    # ok: sql-string-formatting
    cursor.execute("SELECT * FROM users " + "WHERE id = %s", (user_id,))
    query = "SELECT * FROM users WHERE id = ?"
    # ok: sql-string-formatting
    cursor.execute(query, (user_id,))


def placeholder_lists(cursor, ids):
    # ok: sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE id IN (%s)" % ",".join("?" * len(ids)), ids)
    # ok: sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE id IN ({})".format(", ".join(["%s"] * len(ids))), ids)
    # ok: sql-string-formatting
    cursor.execute("DELETE FROM t WHERE id IN (%s)" % ",".join("?" for _ in ids), ids)
    # ruleid: sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE id IN (%s)" % ",".join(ids))


def not_sql(pool, fmt, value):
    # ok: sql-string-formatting
    pool.submit("job-%s" % value)
    # ok: sql-string-formatting
    return sqlite3.connect(":memory:").execute("SELECT 1")
