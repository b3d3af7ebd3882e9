"""Providers: everything that knows one messaging provider (today Twilio, plus the local outbox).

Inbound forms and their validation, the sender, status callbacks and their mapping, the error-code
table, the status-callback URL, media fetching with credentials and the WhatsApp 24 h window rule live
here. The rest of bot/ sees only the provider-neutral types in bot.messages; a second provider is one more
module in this room.

May import: bot core only (settings, messages, phones, models). Imported by bot.services (to build the
sender), webhooks/ (to parse requests) and nothing else in bot/.
"""
