"""Start failures end in one line naming the cause and the log to read."""
from __future__ import annotations

import socket

import pytest

from pipeline.stack import Stack, StackError


def test_taken_port_is_reported(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = Stack.on_free_ports(tmp_path)
        stack = Stack(tmp_path, kafka_port=port, controller_port=stack.ports.controller,
                      registry_port=stack.ports.registry, management_port=stack.ports.management)
        with pytest.raises(StackError, match=rf"port {port} \(kafka\) is already in use"):
            stack.up()
    assert not stack.kafka.process.pid_file.exists()


def test_jvm_exiting_at_start_is_reported_with_its_log(tmp_path):
    stack = Stack.on_free_ports(tmp_path, kafka_heap="plenty")
    with pytest.raises(StackError, match="kafka exited at start with code 1; see .*kafka.log") as error:
        stack.up()
    assert str(stack.kafka.process.log_file) in str(error.value)
    assert "Invalid maximum heap size" in stack.kafka.process.log_file.read_text()
    assert [component.running for component in stack.status()] == [False, False]
