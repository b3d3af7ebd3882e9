"""Answers about market status, relief and registration from the content and live data organizers
own, and paging of long answers. bot/line/features.py imports the modules that register routes."""
