"""The desk: what organizers use through the pages, the API and the CLI.

The reports inbox and its handling, figures and exports, the members roster, conversations with one
worker, the markets desk, accounts and API tokens, retention, the demo history and the phone simulator.

May import: bot core, bot.line, bot.broadcasts, nlu/ and content/. Never a provider module, never Flask.
Imported by webhooks/ and the CLI.
"""
