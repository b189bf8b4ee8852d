"""The `tessera` command: entry point, one module per subcommand, chat REPL, rendering."""
