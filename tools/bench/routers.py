"""Scale phase only: send every query to the database chosen for the current request."""

current = "default"


def use(alias):
    global current
    current = alias


class SwitchableRouter:
    def db_for_read(self, model, **hints):
        return current

    def db_for_write(self, model, **hints):
        return current
