"""`make chat`: a terminal phone. Sends Twilio-signed webhooks to the running app as a worker
would, prints the replies (SMS with their segment count) and messages pushed to the outbox."""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

from content import load_catalog
from content.sms import segment_info

ROOT = Path(__file__).resolve().parent.parent


def ask(prompt: str, default: str) -> str:
    answer = input(f"{prompt} [{default}]: ").strip()
    return answer or default


def send(session, app_url, public_url, token, form) -> list[str]:
    url = public_url.rstrip("/") + "/webhooks/twilio/messages"
    signature = RequestValidator(token).compute_signature(url, form)
    response = session.post(app_url.rstrip("/") + "/webhooks/twilio/messages", data=form,
                            headers={"X-Twilio-Signature": signature}, timeout=20)
    if response.status_code != 200:
        return [f"[HTTP {response.status_code}] {response.text[:200]}"]
    return [html.unescape(m) for m in re.findall(r"<Message>(.*?)</Message>", response.text, re.S)]


def show(text: str, channel: str, prefix: str = "<") -> None:
    if channel == "sms":
        info = segment_info(text)
        print(f"{prefix} {text}\n  [{info.segments} SMS segment(s), {info.encoding}, {info.units} units]")
    else:
        print(f"{prefix} {text}")


def watch_outbox(path: Path, address: str, channel: str, stop: threading.Event) -> None:
    """Messages the line pushes (broadcasts, notifications) land in the local outbox."""
    offset = path.stat().st_size if path.exists() else 0
    while not stop.is_set():
        if path.exists() and path.stat().st_size > offset:
            with open(path, encoding="utf-8") as fh:
                fh.seek(offset)
                for line in fh:
                    record = json.loads(line)
                    if record["to"] == address:
                        show(record["body"], channel, prefix="\n<< (pushed)")
                offset = fh.tell()
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", default=os.environ.get("APP_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"))
    parser.add_argument("--channel", choices=["sms", "whatsapp"])
    parser.add_argument("--from", dest="from_", help="your number, E.164")
    parser.add_argument("--to", help="the organization's number")
    args = parser.parse_args()
    public_url = os.environ.get("PUBLIC_BASE_URL", args.app)
    token = os.environ.get("TWILIO_AUTH_TOKEN", "dev-auth-token")
    catalog = load_catalog()
    orgs = list(catalog.organizations.values())

    print("streetline terminal phone. Organizations:")
    for n, org in enumerate(orgs, 1):
        print(f"  {n} {org.name}  {org.numbers[0]}  ({'/'.join(org.languages)})")
    channel = args.channel or ask("channel sms or whatsapp", "sms")
    to = args.to or orgs[int(ask("organization", "1")) - 1].numbers[0]
    number = args.from_ or ask("your phone number", "+254711000001")
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    print(f"Texting {to} as {number} over {channel}. Type a message; Ctrl-D to quit.\n")

    stop = threading.Event()
    outbox = Path(os.environ.get("OUTBOX_PATH", ROOT / "var" / "outbox.jsonl"))
    threading.Thread(target=watch_outbox, args=(outbox, prefix + number, channel, stop), daemon=True).start()
    session = requests.Session()
    try:
        while True:
            try:
                body = input("> ")
            except EOFError:
                break
            form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32,
                    "From": prefix + number, "To": prefix + to, "Body": body, "NumMedia": "0"}
            if channel == "whatsapp":
                form.update(WaId=number.lstrip("+"), ProfileName="Chat Tester")
            try:
                replies = send(session, args.app, public_url, token, form)
            except requests.RequestException as exc:
                print(f"! the app at {args.app} did not answer: {exc}")
                continue
            if not replies:
                print("< (no reply)")
            for text in replies:
                show(text, channel)
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
