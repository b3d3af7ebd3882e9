"""A token bucket per sender (a number or a messaging service) in Redis, shared by every worker.

One Lua script does refill-and-take atomically with the server's clock, so any number of worker
processes together never exceed `rate` units per second (units: messages, or SMS segments) beyond the
bucket's burst (default: one tenth of a second's worth, at least one message). When the bucket is short
the script takes nothing and answers how long to wait; the caller sleeps and asks again.
"""
from __future__ import annotations

import time

# KEYS[1] bucket hash; ARGV: rate (units/s), burst (units), cost (units). Returns {granted, wait_ms}.
TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens = burst
  stamp = now
end
if now > stamp then
  tokens = math.min(burst, tokens + (now - stamp) * rate / 1000000)
  stamp = now
end
if cost > burst then cost = burst end
local granted = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  granted = 1
else
  wait = math.ceil((cost - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(stamp))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
return {granted, wait}
"""


class RateLimiter:
    def __init__(self, redis, prefix: str = "streetline:ratelimit:"):
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(TAKE)

    def try_take(self, sender: str, rate: float, cost: float = 1.0, burst: float | None = None) -> float:
        """0.0 if `cost` units were taken, else the seconds to wait before asking again."""
        burst = burst if burst is not None else max(1.0, rate / 10.0, float(cost))
        granted, wait_us = self._script(keys=[self.prefix + sender], args=[rate, burst, cost])
        return 0.0 if int(granted) else int(wait_us) / 1_000_000

    def take(self, sender: str, rate: float, cost: float = 1.0, burst: float | None = None,
             deadline: float | None = None, should_stop=None) -> bool:
        """Block until the units are taken (True), or until `deadline` (monotonic) / should_stop() (False)."""
        while True:
            wait = self.try_take(sender, rate, cost, burst)
            if wait <= 0:
                return True
            if should_stop is not None and should_stop():
                return False
            if deadline is not None and time.monotonic() + wait > deadline:
                return False
            time.sleep(min(wait, 0.5))

    def reset(self, sender: str) -> None:
        self.redis.delete(self.prefix + sender)
