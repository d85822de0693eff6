"""Database engine and sessions (SQLAlchemy 2). The schema is owned by Alembic (migrations/)."""

from __future__ import annotations

import logging

from flask import current_app, g
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class Database:
    """One engine per process; one session per request (:func:`session`)."""

    def __init__(self, url: str) -> None:
        # pool_pre_ping drops connections the database closed (failover, restarts) before use.
        self.engine = create_engine(url, pool_pre_ping=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def ping(self) -> bool:
        """True when ``SELECT 1`` succeeds; failures are logged, not raised."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            log.warning("database ping failed", exc_info=True)
            return False


def session() -> Session:
    """The current request's session (closed by the app's teardown)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db"].sessions()
    return g.db_session
