"""The ``salesfunnel`` command line: argument parsing, loading files, commands."""
