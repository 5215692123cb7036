"""Topics as data: topics/topics.yaml, its typed loader and the broker admin around it."""
