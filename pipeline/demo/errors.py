"""The one error of the demo: a step failed, and the message says which and where to look."""


class DemoError(RuntimeError):
    pass
