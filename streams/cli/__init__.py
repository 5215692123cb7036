"""The ``tapewire`` command line. Each module here with a ``register`` function adds commands."""
