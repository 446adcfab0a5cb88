"""What every service's repository shares: it reads and writes that service's tables
inside one unit of work, and writes events to the outbox in the same transaction."""


class Repository:
    def __init__(self, uow):
        self.uow = uow

    def emit(self, event: dict) -> None:
        """Into the outbox, committed with the change that caused it."""
        self.uow.emit(event)

    def _all(self, query) -> list:
        return self.uow.execute(query).all()
