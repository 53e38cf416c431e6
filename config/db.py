"""Database helpers that are not part of any one app."""

from django.db import connection


def hot_statement_cursor():
    """A cursor of the default connection (PostgreSQL only) that binds its parameters on the
    server, for statements run on every request of a hot path: every acknowledged trigger,
    and the Changes page's query of a page of changes.

    Django's own cursors bind on the client, so PostgreSQL parses and plans each statement
    again every time. Bound on the server, psycopg prepares a statement once it has run
    ``prepare_threshold`` times on a connection (``DATABASES`` OPTIONS, see settings), and
    PostgreSQL then skips its planning. With a threshold of None nothing is prepared, and the
    parameters are still sent apart from the SQL, unquoted.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    server_bound = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(server_bound)
    return connection.make_cursor(server_bound)
