"""Edits the scenario's main.tf in the current directory the way a team evolves it:
more shards and retention, another tag, bigger Firehose buffers, a new alarm
threshold, longer log retention, tags on the bucket and the key, a topic display
name. examples/terraform/run.sh applies the result (UPDATE_CMD) and re-plans."""
import pathlib

EDITS = [
    ("shard_count      = 4", "shard_count      = 6"),
    ("retention_period = 48 # hours", "retention_period = 72 # hours"),
    ('    ManagedBy   = "terraform"', '    ManagedBy   = "terraform"\n    Team        = "data"'),
    ("buffering_size     = 64  # MB", "buffering_size     = 128 # MB"),
    ("  threshold           = 0\n", "  threshold           = 5\n"),
    ("retention_in_days = 14", "retention_in_days = 30"),
    ('  bucket = "event-data-lake"\n', '  bucket = "event-data-lake"\n  tags = {\n    Purpose = "lake"\n  }\n'),
    ("  enable_key_rotation = true\n", '  enable_key_rotation = true\n  tags = {\n    Owner = "platform"\n  }\n'),
    ('  name = "kinesis-alerts"\n', '  name         = "kinesis-alerts"\n  display_name = "Kinesis alerts"\n'),
]

path = pathlib.Path("main.tf")
text = path.read_text()
for old, new in EDITS:
    assert text.count(old) >= 1, f"main.tf no longer has {old!r}"
    text = text.replace(old, new, 1)
path.write_text(text)
