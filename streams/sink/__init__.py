"""The Timescale sink: events from the log into the analyst tables.

``rows`` maps events to table rows (pure), ``statements`` builds the SQL, ``writer`` writes a
batch in one transaction (COPY into a session TEMP staging table, then ``INSERT ... SELECT
... ON CONFLICT``), ``loop`` consumes, writes, dead-letters and commits offsets only after the
database commit, pausing the partitions while the database is away.
"""
