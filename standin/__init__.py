"""Local stand-ins for outside services (for tests, benchmarks and `make run`).

standin.twilio_api  TwilioStandin: Twilio's Messages API (create, list, fetch) on 127.0.0.1, checked against
                    Twilio's OpenAPI description, with rate limits, injected faults and signed status callbacks.
standin.client      local_twilio_client(): twilio-python's real Client pointed at a stand-in.
standin.spec        Twilio's OpenAPI description, parsed once, and the request/response checks on it.
standin.sms         GSM-7 / UCS-2 segment counting.
"""
