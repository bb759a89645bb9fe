"""A database connection that dies before its Nth statement: the crash every recovery lab injects.

Wrap a DuckDB or SQLite connection; statements run as usual until the chosen one, which raises
``InjectedCrash`` instead of running, and from then on every call fails, as it does for a client
whose process has died. ``ran`` lists the statements that did run, shortened, so a lab can say
where the crash fell.

    >>> from labs import engines
    >>> con = CrashingConnection(engines.sqlite(), crash_before=2, statements=("execute", "commit"))
    >>> _ = con.execute("CREATE TABLE t (x INTEGER)")
    >>> con.execute("INSERT INTO t VALUES (1)")
    Traceback (most recent call last):
    ...
    labs._crash.InjectedCrash: injected crash before statement 2: INSERT INTO t VALUES (1)
    >>> con.ran
    ['CREATE TABLE t (x INTEGER)']
"""
from __future__ import annotations

# A statement's text when it is the SQL itself; any other method shows as its name, e.g. "commit()".
_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "sql", "query"})


class InjectedCrash(RuntimeError):
    """The crash a lab injects between two statements."""


class _State:
    """When to fail, shared by a connection and the cursors made from it."""

    def __init__(self, before: int | None):
        self.before, self.ran, self.crashed, self.hit, self.cursors = before, [], False, None, []


class CrashingConnection:
    """A connection that fails before its ``crash_before``-th statement (``None``: never), then for good.

    ``statements`` names the methods that count as a statement; anything else (``register``,
    ``fetchall`` on a result) passes through. With ``roll_back=True`` the open transaction is
    rolled back at the crash, as the database does for a client that died; otherwise the
    harness does it (``cursors`` lists the cursors made through this connection).
    """

    def __init__(self, con, crash_before: int | None = None, *, statements=tuple(_SQL_METHODS | {"commit"}),
                 roll_back: bool = False, _state: _State | None = None):
        self._con, self._statements, self._roll_back = con, frozenset(statements), roll_back
        self._state = _state or _State(crash_before)

    @property
    def ran(self) -> list[str]:
        return self._state.ran

    @property
    def crashed(self) -> bool:
        return self._state.crashed

    @property
    def crash_before(self) -> int | None:
        return self._state.before

    @property
    def hit(self) -> str | None:
        """The statement the crash stopped, shortened."""
        return self._state.hit

    @property
    def cursors(self) -> list:
        return self._state.cursors

    def cursor(self):
        state = self._state
        if state.crashed:
            raise InjectedCrash("the connection is gone: its process died")
        cur = CrashingConnection(self._con.cursor(), statements=self._statements, roll_back=self._roll_back,
                                 _state=state)
        state.cursors.append(cur._con)
        return cur

    def __getattr__(self, name):
        attr = getattr(self._con, name)
        state = self._state
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if state.crashed:
                raise InjectedCrash("the connection is gone: its process died")
            if name in self._statements:
                text = _statement(name, args)
                if len(state.ran) + 1 == state.before:
                    state.crashed, state.hit = True, text
                    if self._roll_back:
                        _roll_back(self._con)
                    raise InjectedCrash(f"injected crash before statement {state.before}: {text}")
                state.ran.append(text)
            return attr(*args, **kwargs)

        return call

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _statement(method: str, args) -> str:
    text = args[0] if args and isinstance(args[0], str) else ""
    text = " ".join(text.split()) if method in _SQL_METHODS else f"{method}()"
    return text if len(text) <= 50 else text[:50].rsplit(" ", 1)[0] + " …"


def _roll_back(con) -> None:
    """What the database does with a dead client's open transaction."""
    if hasattr(con, "in_transaction"):  # sqlite3 says whether one is open
        if con.in_transaction:
            con.rollback()
        return
    try:
        con.execute("ROLLBACK")
    except Exception:  # noqa: BLE001 - no transaction was open; the engine's error type varies
        pass
