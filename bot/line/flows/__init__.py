"""Conversation flows, one per file, run by runner.py from their declarative states (states.py).
bot/line/features.py imports the flows, which registers them with the runner."""
