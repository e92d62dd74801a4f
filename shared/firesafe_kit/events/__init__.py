"""Events: CloudEvents envelope, transactional outbox, relay, consumers, brokers."""
