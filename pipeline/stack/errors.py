"""The one error type of the local stack: its message is a single line meant for the user."""


class StackError(RuntimeError):
    """Something the user can act on: a taken port, a failed download, a JVM that exited."""
