"""Market data: instruments, connectors (synthetic, files, venues), normalisation and bars.

Everything here is pure logic or a thin edge: the processors (:mod:`.normalizer`,
:mod:`.bars`) and the generators (:mod:`.synthetic`, :mod:`.files`) do no I/O and never
read the wall clock; the agent modules in :mod:`streams.agents` wire them to the hosts.
See docs/market-data.md.
"""
