"""One module per agent. Each defines ``AGENT`` (see :mod:`streams.runtime.agent_spec`)."""
