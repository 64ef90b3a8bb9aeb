"""Session-wide fixtures: a live Kafka broker and schema registry for integration tests.

Set ``KAFKA_BOOTSTRAP_SERVERS`` and ``SCHEMA_REGISTRY_URL`` to run the tests against a stack
that is already up (e.g. ``eval "$(orderflow stack env)"``); otherwise a private stack is
started on free ports in a temporary directory and stopped at the end of the session.
"""
from __future__ import annotations

import os

import pytest

from pipeline.serde import SchemaRegistry
from pipeline.serde.admin import register_all
from pipeline.settings import Settings
from pipeline.stack import Stack
from pipeline.stack.registry import set_backward

STACK_ENV = ("KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL")


def start_stack(stack_dir) -> Stack:
    """A stack on free ports, so it runs next to any other stack on the machine."""
    stack = Stack.on_free_ports(stack_dir)
    try:
        stack.up()
    except BaseException:
        stack.down()
        raise
    return stack


def registered(settings: Settings) -> Settings:
    """Every subject with its versions, oldest first, as ``orderflow schemas register`` leaves
    a cluster before any service produces (so ``orders-value`` holds v1, then v2)."""
    set_backward(settings.registry_url)
    register_all(SchemaRegistry(settings.registry_url))
    return settings


@pytest.fixture(scope="session")
def kafka_stack(tmp_path_factory):
    """Settings pointing at a live broker and registry (BACKWARD, every schema registered)."""
    if all(os.environ.get(name) for name in STACK_ENV):
        yield registered(Settings.from_env())
        return
    stack = start_stack(tmp_path_factory.mktemp("stack"))
    saved = {name: os.environ.get(name) for name in STACK_ENV}
    os.environ.update(stack.env())
    try:
        yield registered(Settings.from_env())
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        stack.down()
