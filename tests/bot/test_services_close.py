"""Services.close() while another thread still holds a database connection (a request still being
answered, a job finishing): close waits for it, so the connection is closed with the pool instead of
going back to a disposed one and staying open until the garbage collector finds it (a ResourceWarning
in whatever runs then; CI once failed an unrelated test on exactly that)."""
from __future__ import annotations

import gc
import threading
import warnings

from sqlalchemy import text

from bot.services import build_services


def test_close_waits_for_a_connection_another_thread_still_holds(make_settings, db):
    services = build_services(make_settings())
    conn = services.engine.connect()
    conn.execute(text("SELECT 1"))
    finishing = threading.Timer(0.3, conn.close)  # the other thread's request ends a moment later
    finishing.start()
    services.close()
    finishing.join()
    del conn
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        gc.collect()
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)], [str(w.message) for w in seen]
