"""A stopped and restarted stack keeps topics, committed transactions, offsets and schemas."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from pipeline.cli.stack import command as stack_command
from pipeline.stack import Stack, StackError

TOPIC = "restart-probe"
GROUP = "restart-group"
SUBJECT = f"{TOPIC}-value"
SCHEMA = Schema(json.dumps({"type": "record", "name": "RestartProbe", "namespace": "orderflow.events",
                            "fields": [{"name": "n", "type": "int"}]}), "AVRO")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A private stack, since these tests stop it; the CLI test runs first, on the started stack."""
    stack = Stack.on_free_ports(tmp_path_factory.mktemp("restart") / "stack")
    try:
        stack.up()
        yield stack
    finally:
        stack.down(purge=True)


def write_state(stack: Stack) -> int:
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])[TOPIC].result(30)
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "transactional.id": "restart-tx"})
    producer.init_transactions(30)
    for values, commit in (([b"1", b"2", b"3"], True), ([b"aborted"], False)):
        producer.begin_transaction()
        for value in values:
            producer.produce(TOPIC, value)
        producer.flush(30)
        producer.commit_transaction(30) if commit else producer.abort_transaction(30)
    consumer = group_consumer(stack)
    consumer.commit(offsets=[TopicPartition(TOPIC, 0, 2)], asynchronous=False)
    consumer.close()
    return SchemaRegistryClient({"url": stack.registry_url}).register_schema(SUBJECT, SCHEMA)


def group_consumer(stack: Stack) -> Consumer:
    return Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": GROUP,
                     "auto.offset.reset": "earliest", "enable.auto.commit": False,
                     "isolation.level": "read_committed"})


def committed_values(stack: Stack) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": "restart-reader",
                         "isolation.level": "read_committed", "enable.partition.eof": True})
    consumer.assign([TopicPartition(TOPIC, 0, 0)])
    values = []
    while True:
        message = consumer.poll(30)
        assert message is not None, f"no end of {TOPIC}[0] reached"
        if message.error():
            assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
            break
        values.append(message.value())
    consumer.close()
    return values


def test_cli_finds_the_running_stack_by_its_dir(stack):
    runner = CliRunner()
    env = runner.invoke(stack_command, ["env", "--stack-dir", str(stack.dir)])
    assert env.exit_code == 0, env.output
    assert env.output.splitlines() == [f"export {name}={value}" for name, value in stack.env().items()]
    status = runner.invoke(stack_command, ["status", "--stack-dir", str(stack.dir)])
    assert status.exit_code == 0, status.output
    for component in stack.status():
        assert component.running and str(component.pid) in status.output


def test_running_stack_refuses_other_ports(stack):
    other = Stack(stack.dir, kafka_port=stack.ports.kafka + 1)
    with pytest.raises(StackError, match="runs on other ports"):
        other.up()
    assert all(component.running for component in stack.status())


def test_restart_keeps_data(stack):
    schema_id = write_state(stack)
    stack.down()
    assert not any(component.running for component in stack.status())

    again = Stack(stack.dir)  # the ports come from the stack dir
    assert again.env() == stack.env()
    again.up()

    assert committed_values(again) == [b"1", b"2", b"3"]
    consumer = group_consumer(again)
    assert consumer.committed([TopicPartition(TOPIC, 0)], timeout=30)[0].offset == 2
    consumer.close()
    registry = SchemaRegistryClient({"url": again.registry_url})
    assert json.loads(registry.get_schema(schema_id).schema_str) == json.loads(SCHEMA.schema_str)
    assert registry.get_latest_version(SUBJECT).schema_id == schema_id
