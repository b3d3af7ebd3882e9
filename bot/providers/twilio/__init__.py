"""Twilio: the webhook form, the REST sender, status callbacks, error codes, media and the WhatsApp window."""
