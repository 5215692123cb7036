"""The database side of Tapewire: migrations, connections and Grafana's SQL macros.

Schema changes happen only here, through the numbered files in ``sql/`` applied by
:mod:`streams.db.migrations` (``tapewire migrate``); sinks never create or alter tables.
"""
