"""Real PostgreSQL (also behind PgBouncer) and Redis (also with Sentinels) servers started on free
loopback ports, for tests, benchmarks and `make run`. Each can be stopped and started again to show
what the line does without it."""
from localservers.pgbouncer import PgBouncerServer
from localservers.postgres import PostgresServer
from localservers.redis import RedisServer, redis_server_binary
from localservers.ports import free_port, wait_for_port

__all__ = ["PgBouncerServer", "PostgresServer", "RedisServer", "free_port", "redis_server_binary", "wait_for_port"]
