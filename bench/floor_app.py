"""The floor bench/inbound.py compares the line against: the least any Twilio webhook app must do.

A minimal Flask app that checks X-Twilio-Signature with twilio's RequestValidator, inserts the inbound
row in PostgreSQL (one autocommit INSERT on a per-thread connection), does one Redis SET NX for the
MessageSid (the duplicate check) and returns a fixed TwiML reply. No content, no session, no NLU, no
ORM: whatever the real app spends beyond this is the price of what it does.

`create_skeleton()` is the floor plus the round trips a line that keeps its promises cannot skip, and
nothing else: the inbound row stored with its contact (the number's language and opt-out) in one
statement, the per-phone lock taken with the session read (one Redis script), a fixed reply, the
session written with the lock released (one Redis script), then the message marked handled with its
reply on record (one statement). bench/inbound.py --skeleton measures it beside the floor and the
app: what the app spends beyond the skeleton is its own logic.

    gunicorn 'bench.floor_app:create_app()'   # env: DATABASE_URL, REDIS_URL, TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL
    gunicorn 'bench.floor_app:create_skeleton()'
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


STORE = ("WITH c AS (INSERT INTO contacts (organization, phone, opted_out, created_at, updated_at) "
         "VALUES (%s, %s, false, now(), now()) ON CONFLICT (organization, phone) DO UPDATE "
         "SET updated_at = excluded.updated_at RETURNING id, language, opted_out) "
         "INSERT INTO inbound_messages (provider_sid, channel, from_address, to_address, body, media, raw, "
         "received_at, spooled, organization, contact_id) "
         "SELECT %s, %s, %s, %s, %s, '[]', %s, now(), false, %s, c.id FROM c "
         "ON CONFLICT (provider_sid) DO NOTHING RETURNING id, contact_id")
FINISH = ("WITH h AS (UPDATE inbound_messages SET handled_at = now() WHERE id = %s RETURNING 1) "
          "INSERT INTO outbound_messages (organization, contact_id, channel, to_address, from_address, body, "
          "kind, in_reply_to_id, status, status_rank, created_at, updated_at) "
          "VALUES (%s, %s, %s, %s, %s, %s, 'reply', %s, 'replied', 0, now(), now())")
LOCK = "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', 15000) then return redis.call('GET', KEYS[2]) end return false"
RELEASE = "redis.call('SET', KEYS[2], ARGV[2], 'EX', 86400) if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1"
MENU = REPLY.split("<Message>")[1].split("</Message>")[0]


def create_app(skeleton: bool = False):
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
        if skeleton:
            return _skeleton(connection(), sid, channel, sender, form)
        connection().execute(INSERT, (sid, channel, sender, form.get("To", ""), form.get("Body", ""),
                                      json.dumps(form.to_dict())))
        cache.set(f"floor:sid:{sid}", 1, nx=True, ex=86400)
        return Response(REPLY, content_type="text/xml")

    lock, release = cache.register_script(LOCK), cache.register_script(RELEASE)
    org = os.environ.get("SKELETON_ORG", "nairobi-vendors")  # the organization bench/inbound.py writes to

    def _skeleton(conn, sid, channel, sender, form):
        phone = sender.removeprefix("whatsapp:")
        row = conn.execute(STORE, (org, phone, sid, channel, sender, form.get("To", ""), form.get("Body", ""),
                                   json.dumps(form.to_dict()), org)).fetchone()
        if row is None:  # a retry of a stored message
            return Response(REPLY, content_type="text/xml")
        inbound_id, contact_id = row
        keys, token = (f"skeleton:lock:{phone}", f"skeleton:session:{phone}"), sid
        lock(keys=keys, args=[token])
        release(keys=keys, args=[token, "{}"])
        conn.execute(FINISH, (inbound_id, org, contact_id, channel, sender, form.get("To", ""), MENU, inbound_id))
        return Response(REPLY, content_type="text/xml")

    return app


def create_skeleton():
    return create_app(skeleton=True)
