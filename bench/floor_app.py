"""The floor bench/inbound.py compares the line against: the least any Twilio webhook app must do.

A minimal Flask app that checks X-Twilio-Signature with twilio's RequestValidator, inserts the inbound
row in PostgreSQL (one autocommit INSERT on a per-thread connection), does one Redis SET NX for the
MessageSid (the duplicate check) and returns a fixed TwiML reply. No content, no session, no NLU, no
ORM: whatever the real app spends beyond this is the price of what it does.

    gunicorn 'bench.floor_app:create_app()'   # env: DATABASE_URL, REDIS_URL, TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL
"""
from __future__ import annotations

import json
import os
import threading

PATH = "/webhooks/twilio/messages"
REPLY = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Welcome. 1 Relief 2 Markets 3 Join '
         '4 Report 5 Language</Message></Response>')
INSERT = ("INSERT INTO inbound_messages (provider_sid, channel, from_address, to_address, body, media, raw, "
          "received_at, spooled) VALUES (%s, %s, %s, %s, %s, '[]', %s, now(), false)")


def create_app():
    import psycopg
    import redis
    from flask import Flask, Response, request
    from twilio.request_validator import RequestValidator

    dsn = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    url = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/") + PATH
    cache = redis.Redis.from_url(os.environ["REDIS_URL"])
    local = threading.local()
    app = Flask(__name__)

    def connection():
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = psycopg.connect(dsn, autocommit=True)
        return conn

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.post(PATH)
    def messages():
        form = request.form
        if not validator.validate(url, form.to_dict(), request.headers.get("X-Twilio-Signature", "")):
            return Response("bad signature", status=403)
        sid = form.get("MessageSid", "")
        sender = form.get("From", "")
        channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
        connection().execute(INSERT, (sid, channel, sender, form.get("To", ""), form.get("Body", ""),
                                      json.dumps(form.to_dict())))
        cache.set(f"floor:sid:{sid}", 1, nx=True, ex=86400)
        return Response(REPLY, content_type="text/xml")

    return app
