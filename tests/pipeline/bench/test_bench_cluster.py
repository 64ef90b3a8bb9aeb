"""Resetting between runs: a consumer group whose member was killed is deleted once the member times out."""
from __future__ import annotations

import secrets
import signal
import subprocess
import sys

from confluent_kafka.admin import AdminClient

from pipeline.bench.cluster import create_topics, delete_groups

MEMBER = """
import sys
from confluent_kafka import Consumer
consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "session.timeout.ms": 6000,
                     "auto.offset.reset": "earliest"})
consumer.subscribe([sys.argv[3]], on_assign=lambda c, partitions: print("joined", flush=True))
while True:
    consumer.poll(0.5)
"""


def test_a_group_left_by_a_killed_member_is_deleted_once_its_session_ends(kafka_stack):
    group, topic = f"killed-member-{secrets.token_hex(3)}", f"killed-member-{secrets.token_hex(3)}"
    create_topics(kafka_stack, [topic])
    member = subprocess.Popen([sys.executable, "-c", MEMBER, kafka_stack.bootstrap_servers, group, topic],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert member.stdout.readline().strip() == "joined"
    finally:
        member.send_signal(signal.SIGKILL)
        member.wait()
    admin = AdminClient({"bootstrap.servers": kafka_stack.bootstrap_servers})
    members = admin.describe_consumer_groups([group])[group].result(30).members
    assert len(members) == 1  # still a member: its session has not timed out yet
    delete_groups(kafka_stack, [group], timeout=30)
    listed = admin.list_consumer_groups().result(30)
    assert group not in {g.group_id for g in listed.valid}
