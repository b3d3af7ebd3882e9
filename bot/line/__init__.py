"""The line: one inbound message in, replies out.

Holds the engine, the conversation flows (flows/), the answers (answers/), sessions, the store and the
spool, human handover, organizer SMS commands, and what a worker's message creates (reports, members,
data-rights requests, delivery status of replies).

May import: bot core (settings, services, db, models, messages, phones, orgs), bot.broadcasts (an
organizer's SMS command starts one), nlu/ and content/. Never bot.desk, never a provider module
(providers are reached through the services object and bot.messages types), never Flask.
"""
